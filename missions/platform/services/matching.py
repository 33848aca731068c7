"""Matching runs: the nightly optimisation per region, urgent waves, and explanations.

Writes go through ``missions.platform.writes.proposals_write`` (bulk, same rules as
``proposal_create``); reads of the database state through ``missions.platform.loading.partition_load``;
the optimisation itself is the pure engine ``missions.matching.solve``.

Idempotency (DESIGN.md §4): a region's run holds a PostgreSQL advisory lock for its whole
transaction, and loading counts pending proposals as taken positions, so a re-run — after a
success, a failure or a worker killed mid-run (the transaction rolls back) — proposes exactly
the positions still open and never touches accepted proposals or missions.
"""

from __future__ import annotations

import logging
import time
import traceback
from datetime import date, datetime

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from establishments.models import Shift
from missions.booking.services.proposals import proposals_expire
from missions.core.eligibility import excluded_mask, exclusions_for
from missions.core.models import (
    ACTIVE_MISSION_STATES,
    MatchingRun,
    MatchingRunKind,
    MatchingRunState,
    Mission,
    Proposal,
    ProposalSource,
    ProposalState,
)
from missions.core.partition import Partition
from missions.matching import check_assignment, solve
from missions.matching.instance import Assignment
from missions.platform.eligible import exclusion_counts, explanation_summary, platform_candidates
from missions.platform.loading import partition_load
from missions.platform.writes import advisory_xact_lock, proposals_write
from notifications.services import notify
from professionals.models import Professional
from territories.models import Region
from ville_hopital.task_queue import task_queue, task_queue_on_commit
from ville_hopital.transitions import transition

logger = logging.getLogger(__name__)


def _region_lock_key(region_code: str) -> int:
    return 0x5648520000 + int(region_code)  # 'VHR' + the region's INSEE code


def _run_kind_source(kind: str) -> str:
    return {MatchingRunKind.NIGHTLY: ProposalSource.NIGHTLY, MatchingRunKind.URGENT: ProposalSource.URGENT}.get(
        kind, ProposalSource.MANUAL
    )


# --------------------------------------------------------------------------------------------
# Nightly / manual run of a region
# --------------------------------------------------------------------------------------------


def matching_run_region(*, region_code: str, start: date, kind: str = MatchingRunKind.NIGHTLY,
                        horizon_days: int | None = None, task_id: str = "", progress=None) -> MatchingRun:
    """Match the open positions of ``region_code`` from ``start`` over the horizon; write proposals.

    Returns the :class:`MatchingRun` (``succeeded``); on an error the run is saved ``failed`` with
    the traceback and the error is raised again (nothing of the run's proposals is kept).
    ``progress(step: str)`` is called between steps (the management command draws a bar).
    """
    region = Region.objects.get(code=region_code)
    horizon = horizon_days or settings.MATCHING_HORIZON_DAYS
    proposals_expire()  # expired offers give their positions back before we count what is open
    run = MatchingRun.objects.create(region=region, start=start, horizon_days=horizon, kind=kind, task_id=task_id)
    step = progress or (lambda name: None)
    try:
        with transaction.atomic():
            advisory_xact_lock(_region_lock_key(region_code))
            _fail_interrupted_runs(region=region, run=run)
            step("load")
            part = partition_load(region_code=region_code, start=start, horizon_days=horizon)
            run.load_seconds = part.timings["load"]
            step("solve")
            t0 = time.perf_counter()
            assignment, _result = _solve_partition(part, run)
            run.solve_seconds = time.perf_counter() - t0
            step("write")
            t1 = time.perf_counter()
            outcome = proposals_write(part=part, assignment=assignment, source=_run_kind_source(kind),
                                      matching_run_id=run.pk)
            run.write_seconds = time.perf_counter() - t1
            run.proposals_written = outcome.written
            run.finished_at = timezone.now()
            transition(run, to_state=MatchingRunState.SUCCEEDED, actor=None, action="matching.run",
                       data={"filled": run.filled, "written": outcome.written,
                             "dropped_conflicts": outcome.dropped_conflicts})
            proposals_notify_on_commit(outcome.proposal_ids)
    except Exception:
        run.error = traceback.format_exc()[-4000:]
        run.finished_at = timezone.now()
        transition(run, to_state=MatchingRunState.FAILED, actor=None, action="matching.run_failed",
                   data={"error": run.error.splitlines()[-1] if run.error else ""})
        logger.exception("matching run %s failed", run.pk)
        raise
    logger.info("matching run %s: %s/%s positions proposed", run.pk, run.proposals_written, run.n_positions)
    return run


def _fail_interrupted_runs(*, region: Region, run: MatchingRun) -> None:
    """Runs of this region left ``running`` by a worker that died: the caller holds the region's
    lock, so none of them is still going."""
    stale = MatchingRun.objects.filter(
        region=region, state=MatchingRunState.RUNNING, started_at__lt=run.started_at
    ).exclude(kind=MatchingRunKind.URGENT)
    for old in stale:
        old.finished_at = timezone.now()
        old.error = f"interrupted (worker lost); superseded by run {run.pk}"
        transition(old, to_state=MatchingRunState.FAILED, actor=None, action="matching.run_failed",
                   data={"superseded_by": run.pk}, update_fields=["finished_at", "error"])


def _solve_partition(part: Partition, run: MatchingRun) -> tuple[Assignment, object]:
    inst = part.instance
    run.n_pros, run.n_slots, run.n_shifts = len(inst.pros), len(inst.availability), len(inst.shifts)
    run.n_positions = part.n_positions
    if len(inst.shifts) == 0 or len(inst.pros) == 0:
        run.filled, run.objective, run.bound, run.gap, run.method = 0, 0.0, 0.0, 0.0, "empty"
        return Assignment.empty(), None
    cand, n_excluded = platform_candidates(part)
    run.n_arcs, run.n_excluded = len(cand), n_excluded
    result = solve(inst, candidates=cand)
    problems = check_assignment(inst, result.assignment)
    a = result.assignment
    if problems or excluded_mask(part, a.pro, a.shift).any():
        raise RuntimeError(f"the engine's assignment breaks {len(problems)} rules: {problems[:3]}")
    run.filled, run.objective, run.method = result.filled, result.objective, result.method
    run.bound = None if np.isnan(result.upper_bound) else result.upper_bound
    run.gap = None if np.isnan(result.gap) else result.gap
    return a, result


def matching_run_night(*, start: date | None = None) -> list[str]:
    """Queue one ``match_region`` task per region (the regions are independent); return the task ids."""
    start = start or timezone.localdate()
    ids = []
    for code in Region.objects.order_by("code").values_list("code", flat=True):
        ids.append(task_queue("missions.tasks.match_region", code, start.isoformat()))
    return ids


NOTIFY_CHUNK = 500


def proposals_notify_on_commit(proposal_ids: list[int]) -> None:
    """Queue the "new proposal" notifications once the proposals are committed (chunks of 500)."""
    if not proposal_ids:
        return
    for i in range(0, len(proposal_ids), NOTIFY_CHUNK):
        task_queue_on_commit("missions.tasks.notify_proposals", proposal_ids[i:i + NOTIFY_CHUNK])


def proposals_notify(*, proposal_ids: list[int]) -> int:
    """Tell each professional about their new pending proposals (idempotent: one notification per
    proposal, ``dedupe_key`` ``proposal:<id>:new``). Offers on an urgent shift skip the daily digest
    (``Shift.is_urgent``: the one rule; the wave that made the offer does not decide it)."""
    sent = 0
    proposals = Proposal.objects.filter(pk__in=proposal_ids, state=ProposalState.PENDING).select_related(
        "professional__user", "shift__establishment", "shift__unit"
    )
    for proposal in proposals:
        shift = proposal.shift
        context = {
            "shift": f"{shift.unit.name}", "establishment": shift.establishment.name,
            "starts_at": shift.starts_at, "ends_at": shift.ends_at, "expires_at": proposal.expires_at,
            "pay": shift.pay, "url": reverse("missions:proposals"),
        }
        if notify(recipient=proposal.professional.user, event="proposal.new", context=context,
                  urgent=shift.is_urgent(), dedupe_key=f"proposal:{proposal.pk}:new"):
            sent += 1
    return sent


# --------------------------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------------------------


#: Rules that answer "why not me?" on their own: the shift is closed, or it was offered to them.
ANSWERS_ON_ITS_OWN = ("shift_closed", "already_booked", "offered", "declined")


def explain_for_professional(*, professional: Professional, shift: Shift, now: datetime | None = None) -> list[str]:
    """Why ``shift`` was not proposed to ``professional``, in words (French), most decisive first.

    The rules that exclude them (``missions.core.eligibility.exclusions_for``: the matching's own rules,
    their pending offers counted as booked as the matching counts them) — only the first when the
    shift is closed or was offered to them. When no rule does, they were eligible and the
    optimisation chose others (closer, or freeing positions of higher urgency), or the shift has not
    been matched yet.
    """
    now = now or timezone.now()
    found = exclusions_for(professional=professional, shift=shift, now=now)
    if found and found[0].code in ANSWERS_ON_ITS_OWN:
        return [found[0].for_professional]
    if found:
        return [exclusion.for_professional for exclusion in found]
    taken = Mission.objects.filter(shift=shift, state__in=ACTIVE_MISSION_STATES).count() + Proposal.objects.filter(
        shift=shift, state=ProposalState.PENDING, expires_at__gt=now
    ).count()
    if taken >= shift.positions:
        return [_("D'autres professionnels ont été retenus : plus proches du lieu, ou leur choix permettait de "
                  "pourvoir des vacations plus urgentes ailleurs.")]
    return [_("Vous êtes éligible : cette vacation n'a pas encore été attribuée, elle le sera lors du prochain "
              "appariement (chaque nuit, ou dans les minutes qui suivent pour une vacation urgente).")]


def explain_unfilled(*, shift: Shift, now: datetime | None = None) -> dict:
    """Why ``shift`` is not (yet) full, for HR.

    Keys: ``positions``, ``booked``, ``pending``, ``declined``, ``expired``, ``withdrawn``, ``open``;
    ``counts``, the rows of ``missions.platform.eligible.exclusion_counts`` (``(code, n, sentence)``:
    the professionals of the profession within reach, how many each rule excludes — each counted
    under the first rule that does —, and the eligible); ``within_reach`` and ``eligible`` (their
    numbers); ``summary`` (those rows in one line: « 12 professionnels (Infirmier) à portée ;
    9 exigent un préavis plus long ; … »); ``reasons`` (what HR may do about it, in sentences).
    """
    now = now or timezone.now()
    counts = dict(
        Proposal.objects.filter(shift=shift).values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    booked = Mission.objects.filter(shift=shift, state__in=ACTIVE_MISSION_STATES).count()
    out = {
        "positions": shift.positions,
        "booked": booked,
        "pending": counts.get(ProposalState.PENDING, 0),
        "declined": counts.get(ProposalState.DECLINED, 0),
        "expired": counts.get(ProposalState.EXPIRED, 0),
        "withdrawn": counts.get(ProposalState.WITHDRAWN, 0),
        "open": max(shift.positions - booked, 0),
        "counts": [],
        "within_reach": 0,
        "eligible": 0,
        "summary": "",
        "reasons": [],
    }
    reasons: list[str] = out["reasons"]
    if out["open"] == 0:
        reasons.append(_("Tous les postes sont pourvus."))
        return out
    rows = exclusion_counts(shift=shift, now=now)
    by_code = {code: n for code, n, _sentence in rows}
    out.update(counts=rows, within_reach=by_code["within_reach"], eligible=by_code["eligible"],
               summary=explanation_summary(rows))
    asked = out["pending"] + out["declined"] + out["expired"]
    if out["within_reach"] == 0:
        reasons.append(_("Aucun professionnel de cette profession n'habite dans son rayon de déplacement autour "
                         "du lieu."))
    if out["pending"]:
        reasons.append(_("%(n)s proposition(s) en attente de réponse.") % {"n": out["pending"]})
    if out["declined"] or out["expired"]:
        reasons.append(_("%(d)s proposition(s) déclinée(s) et %(e)s expirée(s) : les postes reviennent au prochain "
                         "appariement.") % {"d": out["declined"], "e": out["expired"]})
    if out["eligible"] and not asked:
        reasons.append(_("%(n)s professionnel(s) éligible(s) : la vacation sera proposée au prochain appariement.")
                       % {"n": out["eligible"]})
    return out
