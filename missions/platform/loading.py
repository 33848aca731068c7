"""Loading a partition, stage by stage (docs/matching-platform.md).

``partition_load`` turns the database state of a region (or of a few shifts) into the engine's
:class:`missions.matching.Instance`, with the platform's extra rules applied:

* **open positions** = ``shift.positions`` − active missions − pending proposals, for published
  shifts of verified/pending (not suspended) establishments, whose place (``Shift.location``: the
  commune where a mobile unit parks) lies in the region, starting inside the horizon and not yet
  started; a shift whose ``contract_route`` is ``forbidden`` is never offered;
* **professionals** of the shifts' professions whose travel radius reaches at least one of those
  shifts (a bounding-box query, then a k-d tree: never all pairs). A professional near a border is
  therefore in the partitions of both regions; ``proposals_write`` makes sure two regions running
  at the same time never book them twice;
* **availability**: the declared slots;
* **booked**: active missions *and pending proposals* (the professional may still accept them)
  are passed to the engine as booked slots: the slot is taken, and they count for the rest rules,
  the 48 h / 7 days budget and the monthly cap. Each one is also kept with its shift
  (``Partition.bookings``) so that the rules can tell "booked on this shift" from "busy on this slot";
* what the **pair rules** of ``missions.core.eligibility`` need beside the instance: each shift's state,
  route and local start date, each professional's notice and last insured day, the blocks both
  ways, the offers already declined or left to expire. ``missions.platform.eligible.platform_candidates``
  removes the pairs they exclude from the engine's candidates (exported as ``excluded.csv``).


Time slots: ``missions.core.slots``. The instance itself is built by ``instance_build``; the
proposals are written by ``writes``.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from scipy.spatial import cKDTree

from establishments.models import EstablishmentStatus, Shift, ShiftState
from missions.core.models import (
    ACTIVE_MISSION_STATES,
    EstablishmentBlock,
    Mission,
    Proposal,
    ProposalState,
)
from missions.core.partition import BLOCK_SPACE, FORBIDDEN_ROUTE, Bookings, Partition
from missions.core.slots import horizon_bounds, slot_start, slots_covered
from missions.matching.candidates import chord_for_km, unit_vectors
from missions.platform.instance_build import _build_instance, _empty_instance
from professionals.models import Availability, Credential, CredentialKind, Professional
from ville_hopital.months import month_bounds, month_key, month_start

BOOKED_MARGIN_DAYS = 7


def _open_shifts(*, region_code: str | None, start: date, horizon: int, now: datetime,
                 shift_ids: Sequence[int] | None, include_closed: bool = False) -> list[dict]:
    """Published, legal, not started shifts of the horizon (``include_closed``: whatever their state)."""
    t_from, t_to = horizon_bounds(start, horizon)
    qs = Shift.objects.filter(starts_at__gte=t_from, starts_at__lt=t_to)
    if not include_closed:
        qs = qs.filter(state=ShiftState.PUBLISHED, starts_at__gte=now).exclude(
            contract_route=FORBIDDEN_ROUTE
        ).exclude(establishment__status=EstablishmentStatus.SUSPENDED)
    if region_code is not None:
        qs = qs.filter(location__region_id=region_code)
    if shift_ids is not None:
        qs = qs.filter(pk__in=list(shift_ids))
    rows = list(
        qs.values(
            "pk", "establishment_id", "establishment__type_id", "profession_id", "starts_at", "ends_at", "positions",
            "urgency", "urgent", "location_id", "location__latitude", "location__longitude",
            "location__departement_id", "state", "contract_route", "establishment__status",
        ).order_by("pk")
    )
    return rows


def _taken_per_shift(shift_ids: list[int], now: datetime, count_pending: bool = True
                     ) -> tuple[dict[int, int], set[int], set[int]]:
    """Active missions + pending proposals per shift, and the ids seen (for the write-time check)."""
    taken: dict[int, int] = defaultdict(int)
    proposals, missions = set(), set()
    for chunk in chunks(shift_ids, 20_000):
        for pk, shift_id in Mission.objects.filter(shift_id__in=chunk, state__in=ACTIVE_MISSION_STATES).values_list(
            "pk", "shift_id"
        ):
            taken[shift_id] += 1
            missions.add(pk)
        for pk, shift_id in Proposal.objects.filter(
            shift_id__in=chunk, state=ProposalState.PENDING, expires_at__gt=now
        ).values_list("pk", "shift_id"):
            taken[shift_id] += int(count_pending)
            proposals.add(pk)
    return taken, proposals, missions


def chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    """``items`` in slices of ``size`` (an ``IN`` list per query stays well below PostgreSQL's limits)."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _bbox_filter(lat: np.ndarray, lon: np.ndarray, reach_km: float) -> Q:
    """A latitude/longitude box around the points, widened by ``reach_km`` (a SQL pre-filter only)."""
    dlat = reach_km / 111.0 + 0.01
    max_abs_lat = min(float(np.max(np.abs(lat))) + dlat, 89.0)
    dlon = reach_km / (111.320 * math.cos(math.radians(max_abs_lat))) + 0.01
    return Q(
        home_commune__latitude__gte=float(lat.min()) - dlat, home_commune__latitude__lte=float(lat.max()) + dlat,
        home_commune__longitude__gte=float(lon.min()) - dlon, home_commune__longitude__lte=float(lon.max()) + dlon,
    )


def partition_load(*, region_code: str | None, start: date, horizon_days: int | None = None,
                   now: datetime | None = None, shift_ids: Sequence[int] | None = None,
                   count_pending: bool = True, include_closed: bool = False) -> Partition:
    """Load the open positions of a region (or only ``shift_ids``) and the professionals who can reach them.

    ``count_pending=False`` (urgent waves) counts only missions as taken: a wave is sent while the
    earlier waves' proposals are still pending. ``include_closed`` (explanations, HR's counts) keeps
    the shifts of the horizon whatever their state, route or open positions: the rules of
    ``missions.core.eligibility`` then say why nobody may take them.

    One stage per helper below, in this order: shifts and their open positions, the professionals
    who reach them, what each professional brings (insurance, availability, bookings, skills,
    blocks, offers answered), then the engine's instance (``instance_build``).
    """
    t0 = time.perf_counter()
    horizon = horizon_days or settings.MATCHING_HORIZON_DAYS
    now = now or timezone.now()
    shifts, known_proposals, known_missions = _open_positions(
        region_code=region_code, start=start, horizon=horizon, now=now, shift_ids=shift_ids,
        count_pending=count_pending, include_closed=include_closed,
    )
    region = region_code or ""
    if not shifts:
        return Partition(region, start, now, _empty_instance(start, horizon), np.zeros(0), np.zeros(0, np.int64),
                         np.zeros(0, bool), np.zeros(0, np.int32), np.zeros(0, np.int64),
                         known_proposals=known_proposals, known_missions=known_missions,
                         timings={"load": time.perf_counter() - t0})
    rows, sub = _reachable_professionals(shifts)
    index_of = {int(r[0]): i for i, r in enumerate(rows)}
    last_day = start + timedelta(days=horizon - 1)
    window = _booked_window(start, last_day)
    booked = _booked_items(sub, index_of, window, now, known_missions=known_missions,
                           known_proposals=known_proposals)
    bookings, booked_set, used = _bookings(booked, start=start, horizon=horizon, n_pros=len(rows))
    instance = _build_instance(
        start, horizon, rows, _pro_skills(sub), used, _availability(sub, index_of, start, last_day), booked_set,
        shifts, _required_skills([r["pk"] for r in shifts]),
    )
    insured_until = _insured_until(sub)
    part = Partition(
        region_code=region, start=start, now=now, instance=instance,
        shift_starts=np.array([r["starts_at"].timestamp() for r in shifts], dtype=np.float64),
        shift_establishment=np.array([r["establishment_id"] for r in shifts], dtype=np.int64),
        shift_urgent=np.array([r["urgent"] for r in shifts], dtype=bool),
        pro_notice_hours=np.array([r[7] for r in rows], dtype=np.int32),
        blocked=np.array(sorted(_blocks(sub, index_of, shifts)), dtype=np.int64),
        answered=np.array(sorted(_answered(shifts, index_of)), dtype=np.int64),
        shift_ends=np.array([r["ends_at"].timestamp() for r in shifts], dtype=np.float64),
        shift_closed=np.array([r["state"] != ShiftState.PUBLISHED or r["starts_at"] <= now
                               or r["establishment__status"] == EstablishmentStatus.SUSPENDED for r in shifts], bool),
        shift_forbidden=np.array([r["contract_route"] == FORBIDDEN_ROUTE for r in shifts], bool),
        shift_day=np.array([timezone.localdate(r["starts_at"]).toordinal() for r in shifts], np.int64),
        shift_month=np.array([month_key(timezone.localdate(r["starts_at"])) for r in shifts], np.int64),
        pro_insured_until=np.array([insured_until[r[0]].toordinal() if r[0] in insured_until else 0 for r in rows],
                                   np.int64),
        bookings=bookings,
        window=window,
        known_proposals=known_proposals, known_missions=known_missions,
    )
    part.timings["load"] = time.perf_counter() - t0
    return part


# --------------------------------------------------------------------------------------------
# Shifts and their open positions
# --------------------------------------------------------------------------------------------


def _open_positions(*, region_code: str | None, start: date, horizon: int, now: datetime,
                    shift_ids: Sequence[int] | None, count_pending: bool, include_closed: bool
                    ) -> tuple[list[dict], set[int], set[int]]:
    """The horizon's shifts with their ``open`` positions (only those with some unless
    ``include_closed``), and the pending proposals and active missions seen on them."""
    shifts = _open_shifts(region_code=region_code, start=start, horizon=horizon, now=now, shift_ids=shift_ids,
                          include_closed=include_closed)
    taken, known_proposals, known_missions = _taken_per_shift([r["pk"] for r in shifts], now, count_pending)
    for r in shifts:
        r["open"] = max(r["positions"] - taken.get(r["pk"], 0), 0)
    return [r for r in shifts if r["open"] > 0 or include_closed], known_proposals, known_missions


def _required_skills(shift_pks: list[int]) -> dict[int, list[str]]:
    required: dict[int, list[str]] = defaultdict(list)
    through = Shift.required_skills.through
    for chunk in chunks(shift_pks, 20_000):
        for shift_id, code in through.objects.filter(shift_id__in=chunk).values_list("shift_id", "skill_id"):
            required[shift_id].append(code)
    return required


# --------------------------------------------------------------------------------------------
# The professionals who reach them
# --------------------------------------------------------------------------------------------


def _reachable_professionals(shifts: list[dict]) -> tuple[list[tuple], QuerySet]:
    """Active professionals of the shifts' professions whose radius reaches at least one of them:
    their rows (pk, profession, lat, lon, commune, radius, max missions a month, notice hours) and
    the sub-query of the box pre-filter that the other stages select by."""
    professions = sorted({r["profession_id"] for r in shifts})
    s_lat = np.array([r["location__latitude"] for r in shifts], dtype=np.float64)
    s_lon = np.array([r["location__longitude"] for r in shifts], dtype=np.float64)
    base = Professional.objects.filter(profession_id__in=professions, user__is_active=True)
    reach = base.aggregate(m=Max("radius_km"))["m"] or 0
    pros_qs = base.filter(_bbox_filter(s_lat, s_lon, float(reach)))
    rows = list(
        pros_qs.values_list(
            "pk", "profession_id", "home_commune__latitude", "home_commune__longitude", "home_commune_id",
            "radius_km", "max_missions_per_month", "min_notice_hours",
        ).order_by("pk")
    )
    if rows:
        s_prof = np.array([r["profession_id"] for r in shifts], dtype=object)
        keep = _within_reach(rows, s_prof, unit_vectors(s_lat, s_lon), professions)
        rows = [r for r, k in zip(rows, keep, strict=True) if k]
    return rows, pros_qs.values("pk")


def _within_reach(rows: list[tuple], s_prof: np.ndarray, s_xyz: np.ndarray, professions: list[str]) -> np.ndarray:
    """The exact reach test, per profession: the nearest shift of it within the professional's radius."""
    p_prof = np.array([r[1] for r in rows], dtype=object)
    p_radius = np.array([r[5] for r in rows], dtype=np.float64)
    p_xyz = unit_vectors(np.array([r[2] for r in rows], dtype=np.float64),
                         np.array([r[3] for r in rows], dtype=np.float64))
    keep = np.zeros(len(rows), bool)
    for code in professions:
        pi, si = np.flatnonzero(p_prof == code), np.flatnonzero(s_prof == code)
        if len(pi) == 0:
            continue
        dist, _ = cKDTree(s_xyz[si]).query(p_xyz[pi], k=1)
        keep[pi] = dist <= np.array([chord_for_km(r) for r in p_radius[pi]])
    return keep


# --------------------------------------------------------------------------------------------
# What each professional brings: insurance, availability, bookings, skills, blocks, answers
# --------------------------------------------------------------------------------------------


def _insured_until(sub: QuerySet) -> dict[int, date]:
    """The last valid day of each professional's insurance (absent: none on file)."""
    return dict(
        Credential.objects.filter(professional__in=sub, kind=CredentialKind.INSURANCE, expires_on__isnull=False)
        .values("professional_id").annotate(until=Max("expires_on")).values_list("professional_id", "until")
    )


def _availability(sub: QuerySet, index_of: dict[int, int], start: date, last_day: date
                  ) -> tuple[list[int], list[int], list[int]]:
    """The declared slots inside the horizon as (pro index, day from 1, slot) lists (insurance is a
    pair rule: the shift's local date)."""
    a_pro, a_day, a_slot = [], [], []
    for pro_id, day, slot in Availability.objects.filter(
        professional__in=sub, day__gte=start, day__lte=last_day
    ).values_list("professional_id", "day", "slot"):
        i = index_of.get(pro_id)
        if i is None:
            continue
        a_pro.append(i)
        a_day.append((day - start).days + 1)
        a_slot.append(1 if slot == "N" else 0)
    return a_pro, a_day, a_slot


def _booked_window(start: date, last_day: date) -> tuple[datetime, datetime]:
    """The bookings the rules look at: ``BOOKED_MARGIN_DAYS`` around the horizon and its whole months."""
    win_from = min(slot_start(start - timedelta(days=BOOKED_MARGIN_DAYS + 1), 0), month_bounds(start)[0])
    # (the month of the day after the last: a night shift of the last day may start there)
    win_to = max(slot_start(last_day + timedelta(days=BOOKED_MARGIN_DAYS + 2), 0),
                 month_bounds(last_day + timedelta(days=1))[1])
    return win_from, win_to


def _booked_items(sub: QuerySet, index_of: dict[int, int], window: tuple[datetime, datetime], now: datetime, *,
                  known_missions: set[int], known_proposals: set[int]
                  ) -> list[tuple[int, int, bool, datetime, datetime]]:
    """Active missions and pending proposals in the window: (pro index, shift pk, is a mission, start,
    end). Every id seen joins ``known_*`` (the write-time check of what changed meanwhile)."""
    win_from, win_to = window
    items: list[tuple[int, int, bool, datetime, datetime]] = []
    for pk, pro_id, shift_id, s_at, e_at in Mission.objects.filter(
        professional__in=sub, state__in=ACTIVE_MISSION_STATES, starts_at__gte=win_from, starts_at__lt=win_to
    ).values_list("pk", "professional_id", "shift_id", "starts_at", "ends_at"):
        known_missions.add(pk)
        if pro_id in index_of:
            items.append((index_of[pro_id], shift_id, True, s_at, e_at))
    for pk, pro_id, shift_id, s_at, e_at in Proposal.objects.filter(
        professional__in=sub, state=ProposalState.PENDING, expires_at__gt=now,
        shift__starts_at__gte=win_from, shift__starts_at__lt=win_to,
    ).values_list("pk", "professional_id", "shift_id", "shift__starts_at", "shift__ends_at"):
        known_proposals.add(pk)
        if pro_id in index_of:
            items.append((index_of[pro_id], shift_id, False, s_at, e_at))
    return items


def _bookings(items: list[tuple[int, int, bool, datetime, datetime]], *, start: date, horizon: int, n_pros: int
              ) -> tuple[Bookings, set[tuple[int, int, int]], np.ndarray]:
    """The bookings by slot (``Bookings`` and the engine's booked (pro, day, slot) set) and the
    missions each professional already has in the busiest month of the horizon."""
    last_day = start + timedelta(days=horizon - 1)
    months = sorted({month_start(start), month_start(last_day)})
    per_month: dict[tuple[int, date], int] = defaultdict(int)
    booked_set: set[tuple[int, int, int]] = set()
    lo, hi = 1 - BOOKED_MARGIN_DAYS, horizon + BOOKED_MARGIN_DAYS
    b_month, b_slot_rows = [], []
    for row, (i, _shift_id, _mission, s_at, e_at) in enumerate(items):
        month = month_start(timezone.localtime(s_at).date())
        b_month.append(month_key(month))
        if month in months:
            per_month[(i, month)] += 1
        for day, slot in slots_covered(s_at, e_at):
            d = (day - start).days + 1
            if lo <= d <= hi:
                booked_set.add((i, d, slot))
                b_slot_rows.append((row, d, slot))
    bookings = Bookings(
        pro=np.array([b[0] for b in items], np.int32),
        shift=np.array([b[1] for b in items], np.int64),
        mission=np.array([b[2] for b in items], bool),
        month=np.array(b_month, np.int64),
        slot_booking=np.array([r[0] for r in b_slot_rows], np.int32),
        slot_day=np.array([r[1] for r in b_slot_rows], np.int16),
        slot_slot=np.array([r[2] for r in b_slot_rows], np.int8),
    )
    used = np.zeros(n_pros, np.int32)
    for (i, _m), n in per_month.items():
        used[i] = max(used[i], n)  # the busiest month of the horizon sets what is left (conservative)
    return bookings, booked_set, used


def _pro_skills(sub: QuerySet) -> dict[int, list[str]]:
    pro_skills: dict[int, list[str]] = defaultdict(list)
    for pro_id, code in Professional.skills.through.objects.filter(professional__in=sub).values_list(
        "professional_id", "skill_id"
    ):
        pro_skills[pro_id].append(code)
    return pro_skills


def _blocks(sub: QuerySet, index_of: dict[int, int], shifts: list[dict]) -> set[int]:
    """Blocks both ways (the professional's, the establishment's) as pro index * BLOCK_SPACE + establishment pk."""
    estab_pks = sorted({r["establishment_id"] for r in shifts})
    keys = set()
    for through in (Professional.blocked_establishments.through.objects, EstablishmentBlock.objects):
        for pro_id, est in through.filter(professional__in=sub, establishment_id__in=estab_pks).values_list(
            "professional_id", "establishment_id"
        ):
            if pro_id in index_of:
                keys.add(index_of[pro_id] * BLOCK_SPACE + est)
    return keys


def _answered(shifts: list[dict], index_of: dict[int, int]) -> set[int]:
    """Pairs already answered (pro index * BLOCK_SPACE + shift index): a declined (or unanswered,
    expired) offer is not made again."""
    shift_pos = {r["pk"]: j for j, r in enumerate(shifts)}
    answered = set()
    for chunk in chunks(list(shift_pos), 20_000):
        for pro_id, shift_id in Proposal.objects.filter(
            shift_id__in=chunk, state__in=[ProposalState.DECLINED, ProposalState.EXPIRED]
        ).values_list("professional_id", "shift_id"):
            if pro_id in index_of:
                answered.add(index_of[pro_id] * BLOCK_SPACE + shift_pos[shift_id])
    return answered
