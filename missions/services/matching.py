"""Matching runs: the nightly optimisation per region, urgent waves, and explanations.

Writes go through ``missions.matching_io.proposals_write`` (bulk, same rules as
``proposal_create``); reads of the database state through ``missions.matching_io.partition_load``;
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
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from establishments.models import Shift, ShiftState
from missions.eligibility import excluded_mask, platform_candidates, ranked_candidates
from missions.matching import check_assignment, solve
from missions.matching.instance import Assignment
from missions.matching_io import (
    FORBIDDEN_ROUTE,
    Partition,
    advisory_xact_lock,
    partition_load,
    proposals_write,
    slot_of,
)
from missions.models import (
    ACTIVE_MISSION_STATES,
    EstablishmentBlock,
    MatchingRun,
    MatchingRunKind,
    MatchingRunState,
    Mission,
    Proposal,
    ProposalSource,
    ProposalState,
)
from missions.selectors import insured_on, missions_in_month_count, month_bounds, working_time_violations
from missions.services.proposals import proposals_expire
from professionals.models import Availability, Professional
from territories.geo import haversine_km
from territories.models import Region
from ville_hopital.audit import audit_record

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
            MatchingRun.objects.filter(
                region=region, state=MatchingRunState.RUNNING, started_at__lt=run.started_at
            ).exclude(kind=MatchingRunKind.URGENT).update(
                state=MatchingRunState.FAILED, finished_at=timezone.now(),
                error=f"interrupted (worker lost); superseded by run {run.pk}",
            )
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
            run.state = MatchingRunState.SUCCEEDED
            run.finished_at = timezone.now()
            run.save()
            audit_record(actor=None, action="matching.run", target=run, to_state=run.state,
                         data={"filled": run.filled, "written": outcome.written,
                               "dropped_conflicts": outcome.dropped_conflicts})
            _notify_on_commit(outcome.proposal_ids)
    except Exception:
        run.state = MatchingRunState.FAILED
        run.error = traceback.format_exc()[-4000:]
        run.finished_at = timezone.now()
        run.save()
        logger.exception("matching run %s failed", run.pk)
        raise
    logger.info("matching run %s: %s/%s positions proposed", run.pk, run.proposals_written, run.n_positions)
    return run


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
    from missions.tasks import match_region

    start = start or timezone.localdate()
    ids = []
    for code in Region.objects.order_by("code").values_list("code", flat=True):
        ids.append(match_region.delay(code, start.isoformat()).id)
    return ids


NOTIFY_CHUNK = 500


def _notify_on_commit(proposal_ids: list[int]) -> None:
    """Queue the "new proposal" notifications once the proposals are committed (chunks of 500)."""
    if not proposal_ids:
        return
    from missions.tasks import notify_proposals

    chunks = [proposal_ids[i:i + NOTIFY_CHUNK] for i in range(0, len(proposal_ids), NOTIFY_CHUNK)]
    transaction.on_commit(lambda: [notify_proposals.delay(chunk) for chunk in chunks], robust=True)


def proposals_notify(*, proposal_ids: list[int]) -> int:
    """Tell each professional about their new pending proposals (idempotent: one notification per
    proposal, ``dedupe_key`` ``proposal:<id>:new``). Offers on an urgent shift skip the daily digest
    (``Shift.is_urgent``: the one rule; the wave that made the offer does not decide it)."""
    from notifications.services import notify

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
# One shift's candidates, ranked (urgent waves in missions.services.urgent, HR's explanation)
# --------------------------------------------------------------------------------------------


def _ranked_candidates(part: Partition, shift_index: int) -> list[tuple[int, float]]:
    """Eligible professionals for one shift, best first: ``missions.eligibility.ranked_candidates``."""
    return ranked_candidates(part, shift_index)


# --------------------------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------------------------


def explain_for_professional(*, professional: Professional, shift: Shift, now: datetime | None = None) -> list[str]:
    """Why ``shift`` was not proposed to ``professional``, in words (French), most decisive first.

    Every hard rule that fails is listed; when none does, the professional was eligible and the
    optimisation chose others (closer, or freeing positions of higher urgency), or the shift has
    not been matched yet.
    """
    now = now or timezone.now()
    reasons: list[str] = []
    mine = Proposal.objects.filter(shift=shift, professional=professional)
    if Mission.objects.filter(shift=shift, professional=professional, state__in=ACTIVE_MISSION_STATES).exists():
        return [_("Vous êtes déjà inscrit(e) sur cette vacation.")]
    for state, text in (
        (ProposalState.PENDING, _("Cette vacation vous a été proposée : la proposition est en attente de votre réponse.")),
        (ProposalState.DECLINED, _("Cette vacation vous a été proposée et vous l'avez déclinée.")),
        (ProposalState.EXPIRED, _("Cette vacation vous a été proposée mais la proposition a expiré sans réponse.")),
    ):
        if mine.filter(state=state).exists():
            return [text]
    if shift.state != ShiftState.PUBLISHED:
        return [_("L'établissement a annulé cette vacation.")]
    if shift.profession_id != professional.profession_id:
        reasons.append(_("Cette vacation est réservée à une autre profession."))
    missing = set(shift.required_skills.values_list("code", flat=True)) - set(
        professional.skills.values_list("code", flat=True)
    )
    if missing:
        reasons.append(_("Compétence requise manquante : %(codes)s.") % {"codes": ", ".join(sorted(missing))})
    home, place = professional.home_commune, shift.location
    km = haversine_km(home.latitude, home.longitude, place.latitude, place.longitude)
    if km > professional.radius_km:
        reasons.append(
            _("Le lieu est à %(km)s km de chez vous, au-delà de votre rayon de %(radius)s km.")
            % {"km": f"{km:.0f}", "radius": professional.radius_km}
        )
    day, slot = slot_of(shift.starts_at)
    if not Availability.objects.filter(professional=professional, day=day, slot="N" if slot else "D").exists():
        reasons.append(_("Vous n'avez pas déclaré de disponibilité sur ce créneau."))
    if not insured_on(professional=professional, day=timezone.localtime(shift.starts_at).date()):
        reasons.append(_("Votre attestation d'assurance (RCP) est absente ou expirée à cette date."))
    if professional.blocked_establishments.filter(pk=shift.establishment_id).exists():
        reasons.append(_("Vous avez exclu cet établissement."))
    if EstablishmentBlock.objects.filter(establishment_id=shift.establishment_id, professional=professional).exists():
        reasons.append(_("Cet établissement ne souhaite plus travailler avec vous."))
    if shift.contract_route == FORBIDDEN_ROUTE:
        reasons.append(_("Aucune voie contractuelle légale ne permet cette vacation pour votre profession."))
    if shift.starts_at < now + timedelta(hours=professional.min_notice_hours):
        reasons.append(
            _("La vacation commence dans moins de %(h)s h, votre délai de prévenance.")
            % {"h": professional.min_notice_hours}
        )
    shift_day = timezone.localtime(shift.starts_at).date()
    used = missions_in_month_count(professional=professional, day=shift_day)
    month_from, month_to = month_bounds(shift_day)
    offered = Proposal.objects.filter(
        professional=professional, state=ProposalState.PENDING, expires_at__gt=now,
        shift__starts_at__gte=month_from, shift__starts_at__lt=month_to,
    ).exclude(shift=shift).count()
    if used >= professional.max_missions_per_month:
        reasons.append(
            _("Vous avez atteint votre maximum de %(n)s missions pour ce mois.") % {"n": professional.max_missions_per_month}
        )
    elif used + offered >= professional.max_missions_per_month:
        reasons.append(
            _("Avec les propositions en attente de votre réponse, vous atteignez votre maximum de %(n)s missions "
              "pour ce mois.") % {"n": professional.max_missions_per_month}
        )
    reasons += working_time_violations(professional=professional, starts_at=shift.starts_at, ends_at=shift.ends_at)
    same_slot = Proposal.objects.filter(
        professional=professional, state=ProposalState.PENDING, expires_at__gt=now
    ).exclude(shift=shift).select_related("shift")
    if any(slot_of(p.shift.starts_at) == (day, slot) for p in same_slot):
        reasons.append(_("Une autre vacation vous est déjà proposée sur ce créneau."))
    if reasons:
        return reasons
    taken = Mission.objects.filter(shift=shift, state__in=ACTIVE_MISSION_STATES).count() + Proposal.objects.filter(
        shift=shift, state=ProposalState.PENDING, expires_at__gt=now
    ).count()
    if taken >= shift.positions:
        return [_("D'autres professionnels ont été retenus : plus proches du lieu, ou leur choix permettait de "
                  "pourvoir des vacations plus urgentes ailleurs.")]
    return [_("Vous êtes éligible : cette vacation n'a pas encore été attribuée, elle le sera lors du prochain "
              "appariement (chaque nuit, ou dans les minutes qui suivent pour une vacation urgente).")]


def explain_unfilled(*, shift: Shift, now: datetime | None = None) -> dict:
    """Why ``shift`` is not (yet) full, for HR: counts per state and the main reasons in words.

    Keys: ``positions``, ``booked``, ``pending``, ``declined``, ``expired``, ``withdrawn``, ``open``,
    ``within_reach`` (same profession and skills, home within their radius), ``available`` (of
    those, declared the slot and insured that day), ``eligible`` (and also allowed: no block, notice
    respected, slot free, caps and rest rules kept), ``reasons`` (list of sentences).
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
        "within_reach": 0,
        "available": 0,
        "eligible": 0,
        "reasons": [],
    }
    reasons: list[str] = out["reasons"]
    if out["open"] == 0:
        reasons.append(_("Tous les postes sont pourvus."))
        return out
    if shift.state != ShiftState.PUBLISHED:
        reasons.append(_("La vacation est annulée."))
        return out
    if shift.starts_at <= now:
        reasons.append(_("La vacation a commencé : elle n'est plus proposée."))
        return out
    if shift.contract_route == FORBIDDEN_ROUTE:
        reasons.append(_("Aucune voie contractuelle légale pour cette profession dans ce type d'établissement."))
        return out
    day, slot = slot_of(shift.starts_at)
    part = partition_load(region_code=None, start=day, horizon_days=1, now=now, shift_ids=[shift.pk],
                          count_pending=False)
    inst = part.instance
    if len(inst.shifts):
        # Within reach: the loader keeps professionals whose radius reaches the shift; skills checked here.
        need = inst.shifts.required[0]
        skilled = ~np.any(need & ~inst.pros.skills, axis=1)
        place = inst.establishments
        km = haversine_km(inst.pros.lat, inst.pros.lon, place.lat[0], place.lon[0])
        reach = skilled & (np.asarray(km) <= inst.pros.radius_km) if len(inst.pros) else skilled
        out["within_reach"] = int(reach.sum())
        avail = inst.availability
        declared = np.zeros(len(inst.pros), bool)
        declared[avail.pro[(avail.day == 1) & (avail.slot == slot)]] = True
        out["available"] = int((declared & reach).sum())
        out["eligible"] = len(_ranked_candidates(part, 0))
    asked = out["pending"] + out["declined"] + out["expired"]
    if out["within_reach"] == 0:
        reasons.append(_("Aucun professionnel de cette profession (avec les compétences requises) n'habite dans "
                         "son rayon de déplacement autour du lieu."))
    elif out["available"] == 0:
        reasons.append(_("Les professionnels à portée n'ont pas déclaré ce créneau disponible (ou leur assurance "
                         "n'est pas valide à cette date)."))
    elif out["eligible"] == 0 and asked == 0:
        reasons.append(_("Tous les professionnels éligibles sont déjà pris ailleurs sur ce créneau, ont atteint "
                         "leur plafond mensuel ou leurs règles de repos, ou sont exclus (blocage, délai de prévenance)."))
    if out["pending"]:
        reasons.append(_("%(n)s proposition(s) en attente de réponse.") % {"n": out["pending"]})
    if out["declined"] or out["expired"]:
        reasons.append(_("%(d)s proposition(s) déclinée(s) et %(e)s expirée(s) : les postes reviennent au prochain "
                         "appariement.") % {"d": out["declined"], "e": out["expired"]})
    if out["eligible"] and not asked:
        reasons.append(_("%(n)s professionnel(s) éligible(s) : la vacation sera proposée au prochain appariement.")
                       % {"n": out["eligible"]})
    return out
