"""The thin ORM layer around the pure engine: load a partition, write proposals (docs/matching-platform.md).

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
* what the **pair rules** of ``missions.eligibility`` need beside the instance: each shift's state,
  route and local start date, each professional's notice and last insured day, the blocks both
  ways, the offers already declined or left to expire. ``missions.eligibility.platform_candidates``
  removes the pairs they exclude from the engine's candidates (exported as ``excluded.csv``).

Time slots: a shift starting 06:00–17:59 (local time) is the ``D`` slot of that day, 18:00–05:59
the ``N`` slot (of the previous day before 06:00). A shift longer than 12 h still occupies one slot
in the engine; once booked it covers every slot it overlaps.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from scipy.spatial import cKDTree

from establishments.models import EstablishmentStatus, Shift, ShiftState
from missions.matching.candidates import Candidates, build_candidates, chord_for_km, unit_vectors
from missions.matching.instance import (
    Assignment,
    Establishments,
    Instance,
    InstanceError,
    Meta,
    Pros,
    Rules,
    Shifts,
    Slots,
    encode_skills,
    write_instance,
)
from missions.models import (
    ACTIVE_MISSION_STATES,
    EstablishmentBlock,
    Mission,
    Proposal,
    ProposalState,
)
from professionals.models import Availability, Credential, CredentialKind, Professional
from ville_hopital.models import AuditEvent
from ville_hopital.months import month_bounds, month_key, month_start

#: FORMAT.md's objective weight of one urgency point, in km.
BIG_KM_PER_URGENCY = 10_000.0
#: The platform's working-time rules (DESIGN.md §4 and §5): all three are on.
PLATFORM_RULES = Rules(rest_night_then_day=True, rest_after_24h=True, max_hours_per_7_days=48.0)
#: A day starts at 06:00 for the slot mapping; the day slot runs until 17:59.
DAY_SLOT_FROM, NIGHT_SLOT_FROM = 6, 18
BOOKED_MARGIN_DAYS = 7
EXCLUDED_FILE = "excluded.csv"
#: Serialises the write phase of all matching runs (PostgreSQL advisory lock key, 'VHMW').
WRITE_LOCK_KEY = 0x56484D57
FORBIDDEN_ROUTE = "forbidden"
#: Nightly offers expire this much before ``PROPOSAL_TTL_HOURS`` (see ``proposals_write``).
NIGHTLY_EXPIRY_MARGIN = timedelta(minutes=30)


# --------------------------------------------------------------------------------------------
# Time slots
# --------------------------------------------------------------------------------------------


def slot_of(moment: datetime) -> tuple[date, int]:
    """The (day, slot) a shift starting at ``moment`` maps to: 06:00–17:59 → D (0), else N (1)."""
    local = timezone.localtime(moment)
    if DAY_SLOT_FROM <= local.hour < NIGHT_SLOT_FROM:
        return local.date(), 0
    if local.hour >= NIGHT_SLOT_FROM:
        return local.date(), 1
    return local.date() - timedelta(days=1), 1


def slot_start(day: date, slot: int) -> datetime:
    """The aware start of the mapping window of a slot (06:00 for D, 18:00 for N)."""
    return timezone.make_aware(datetime.combine(day, time(NIGHT_SLOT_FROM if slot else DAY_SLOT_FROM)))


def _format_slot_start(day: date, slot: int) -> datetime:
    """FORMAT.md's own slot start: 08:00 (D) or 20:00 (N)."""
    return timezone.make_aware(datetime.combine(day, time(20 if slot else 8)))


def slots_covered(starts_at: datetime, ends_at: datetime) -> list[tuple[date, int]]:
    """Every slot a booked mission occupies: its start slot, then each following slot (D 08:00–20:00,
    N 20:00–08:00) that begins before the mission ends — a 24 h guard 08:00→08:00 takes D and N."""
    day, slot = slot_of(starts_at)
    out = [(day, slot)]
    while len(out) < 14:
        day, slot = (day, 1) if slot == 0 else (day + timedelta(days=1), 0)
        if _format_slot_start(day, slot) >= ends_at:
            break
        out.append((day, slot))
    return out


def horizon_bounds(start: date, horizon_days: int) -> tuple[datetime, datetime]:
    """Shifts starting in [06:00 on ``start``, 06:00 on ``start + horizon_days``) belong to the horizon."""
    return slot_start(start, 0), slot_start(start + timedelta(days=horizon_days), 0)


# --------------------------------------------------------------------------------------------
# The partition
# --------------------------------------------------------------------------------------------


@dataclass
class Partition:
    """An engine instance and what the platform needs beside it (ids are database primary keys)."""

    region_code: str
    start: date
    now: datetime
    instance: Instance
    shift_starts: np.ndarray  # float64 epoch seconds per shift index
    shift_establishment: np.ndarray  # int64 establishment pk per shift index
    shift_urgent: np.ndarray  # bool
    pro_notice_hours: np.ndarray  # int32 per pro index
    blocked: np.ndarray  # sorted int64 keys pro_index * BLOCK_SPACE + establishment pk
    answered: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # pro_index * BLOCK_SPACE + shift index
    # Only ``include_closed`` loads have closed (cancelled, started, suspended) or forbidden shifts.
    shift_closed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    shift_forbidden: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    shift_ends: np.ndarray = field(default_factory=lambda: np.zeros(0))  # float64 epoch seconds
    shift_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # local start date, ordinal
    shift_month: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # month_key of that date
    pro_insured_until: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # ordinal, 0: never
    bookings: Bookings = field(default_factory=lambda: Bookings.empty())
    window: tuple[datetime, datetime] | None = None  # the booked-missions window the load looked at
    known_proposals: set[int] = field(default_factory=set)
    known_missions: set[int] = field(default_factory=set)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def n_positions(self) -> int:
        return int(self.instance.shifts.positions.sum())


BLOCK_SPACE = 1 << 32


@dataclass(frozen=True)
class Bookings:
    """The active missions and pending offers of a partition's professionals, one row each (the
    instance's ``booked`` slots are their union), and the slots each one covers inside the rules'
    window (days numbered like the instance's, day 1 = the partition's start)."""

    pro: np.ndarray  # int32 pro index
    shift: np.ndarray  # int64 shift pk
    mission: np.ndarray  # bool: a mission (else a pending offer)
    month: np.ndarray  # int64 month_key of the local start
    slot_booking: np.ndarray  # int32 row of the booking, one per covered slot
    slot_day: np.ndarray  # int16
    slot_slot: np.ndarray  # int8

    @classmethod
    def empty(cls) -> Bookings:
        z32 = np.zeros(0, np.int32)
        return cls(z32, np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, np.int64), z32,
                   np.zeros(0, np.int16), np.zeros(0, np.int8))


def _empty_instance(start: date, horizon: int) -> Instance:
    z64, zf, zs = np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, dtype="<U1")
    pros = Pros(z64, np.zeros(0, np.int16), np.zeros((0, 1), np.uint64), zf, zf, zs, zf, np.zeros(0, np.int32),
                np.zeros(0, np.int32))
    estabs = Establishments(z64, zs, zs, zs, zf, zf)
    shifts = Shifts(z64, np.zeros(0, np.int32), np.zeros(0, np.int16), np.zeros((0, 1), np.uint64),
                    np.zeros(0, np.int16), np.zeros(0, np.int8), np.zeros(0, np.int32), np.zeros(0, np.int8), z64)
    meta = Meta(start.isoformat(), horizon, BIG_KM_PER_URGENCY, PLATFORM_RULES, {})
    return Instance(pros, Slots.empty(), estabs, shifts, meta, (), ())


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
    for chunk in _chunks(shift_ids, 20_000):
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


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
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
    ``missions.eligibility`` then say why nobody may take them.
    """
    import time as _time

    t0 = _time.perf_counter()
    horizon = horizon_days or settings.MATCHING_HORIZON_DAYS
    now = now or timezone.now()
    shifts = _open_shifts(region_code=region_code, start=start, horizon=horizon, now=now, shift_ids=shift_ids,
                          include_closed=include_closed)
    taken, known_proposals, known_missions = _taken_per_shift([r["pk"] for r in shifts], now, count_pending)
    for r in shifts:
        r["open"] = max(r["positions"] - taken.get(r["pk"], 0), 0)
    shifts = [r for r in shifts if r["open"] > 0 or include_closed]
    region = region_code or ""
    if not shifts:
        return Partition(region, start, now, _empty_instance(start, horizon), np.zeros(0), np.zeros(0, np.int64),
                         np.zeros(0, bool), np.zeros(0, np.int32), np.zeros(0, np.int64),
                         known_proposals=known_proposals, known_missions=known_missions,
                         timings={"load": _time.perf_counter() - t0})
    shift_pks = [r["pk"] for r in shifts]
    required: dict[int, list[str]] = defaultdict(list)
    through = Shift.required_skills.through
    for chunk in _chunks(shift_pks, 20_000):
        for shift_id, code in through.objects.filter(shift_id__in=chunk).values_list("shift_id", "skill_id"):
            required[shift_id].append(code)

    # --- professionals: same profession, home inside a box, then the exact reach test ------------
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
        p_prof = np.array([r[1] for r in rows], dtype=object)
        p_lat = np.array([r[2] for r in rows], dtype=np.float64)
        p_lon = np.array([r[3] for r in rows], dtype=np.float64)
        p_radius = np.array([r[5] for r in rows], dtype=np.float64)
        keep = np.zeros(len(rows), bool)
        s_prof = np.array([r["profession_id"] for r in shifts], dtype=object)
        p_xyz, s_xyz = unit_vectors(p_lat, p_lon), unit_vectors(s_lat, s_lon)
        for code in professions:
            pi, si = np.flatnonzero(p_prof == code), np.flatnonzero(s_prof == code)
            if len(pi) == 0:
                continue
            dist, _ = cKDTree(s_xyz[si]).query(p_xyz[pi], k=1)
            chords = np.array([chord_for_km(r) for r in p_radius[pi]])
            keep[pi] = dist <= chords
        rows = [r for r, k in zip(rows, keep, strict=True) if k]
    pro_ids = np.array([r[0] for r in rows], dtype=np.int64)
    sub = pros_qs.values("pk")
    index_of = {int(pk): i for i, pk in enumerate(pro_ids)}

    # --- insurance: the last valid day per professional ------------------------------------------
    insured_until: dict[int, date] = {}
    for pro_id, until in (
        Credential.objects.filter(professional__in=sub, kind=CredentialKind.INSURANCE, expires_on__isnull=False)
        .values("professional_id").annotate(until=Max("expires_on")).values_list("professional_id", "until")
    ):
        insured_until[pro_id] = until

    # --- availability inside the horizon (insurance is a pair rule: the shift's local date) ------
    last_day = start + timedelta(days=horizon - 1)
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

    # --- booked: active missions and pending proposals, by slot and by month ---------------------
    win_from = min(slot_start(start - timedelta(days=BOOKED_MARGIN_DAYS + 1), 0), month_bounds(start)[0])
    # (the month of the day after the last: a night shift of the last day may start there)
    win_to = max(slot_start(last_day + timedelta(days=BOOKED_MARGIN_DAYS + 2), 0),
                 month_bounds(last_day + timedelta(days=1))[1])
    booked_items: list[tuple[int, int, bool, datetime, datetime]] = []
    for pk, pro_id, shift_id, s_at, e_at in Mission.objects.filter(
        professional__in=sub, state__in=ACTIVE_MISSION_STATES, starts_at__gte=win_from, starts_at__lt=win_to
    ).values_list("pk", "professional_id", "shift_id", "starts_at", "ends_at"):
        known_missions.add(pk)
        if pro_id in index_of:
            booked_items.append((index_of[pro_id], shift_id, True, s_at, e_at))
    for pk, pro_id, shift_id, s_at, e_at in Proposal.objects.filter(
        professional__in=sub, state=ProposalState.PENDING, expires_at__gt=now,
        shift__starts_at__gte=win_from, shift__starts_at__lt=win_to,
    ).values_list("pk", "professional_id", "shift_id", "shift__starts_at", "shift__ends_at"):
        known_proposals.add(pk)
        if pro_id in index_of:
            booked_items.append((index_of[pro_id], shift_id, False, s_at, e_at))
    months = sorted({month_start(start), month_start(last_day)})
    per_month: dict[tuple[int, date], int] = defaultdict(int)
    booked_set: set[tuple[int, int, int]] = set()
    lo, hi = 1 - BOOKED_MARGIN_DAYS, horizon + BOOKED_MARGIN_DAYS
    b_month, b_slot_rows = [], []
    for row, (i, _shift_id, _mission, s_at, e_at) in enumerate(booked_items):
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
        pro=np.array([b[0] for b in booked_items], np.int32),
        shift=np.array([b[1] for b in booked_items], np.int64),
        mission=np.array([b[2] for b in booked_items], bool),
        month=np.array(b_month, np.int64),
        slot_booking=np.array([r[0] for r in b_slot_rows], np.int32),
        slot_day=np.array([r[1] for r in b_slot_rows], np.int16),
        slot_slot=np.array([r[2] for r in b_slot_rows], np.int8),
    )
    used = np.zeros(len(pro_ids), np.int32)
    for (i, _m), n in per_month.items():
        used[i] = max(used[i], n)  # the busiest month of the horizon sets what is left (conservative)

    # --- skills and blocks -----------------------------------------------------------------------
    pro_skills: dict[int, list[str]] = defaultdict(list)
    for pro_id, code in Professional.skills.through.objects.filter(professional__in=sub).values_list(
        "professional_id", "skill_id"
    ):
        pro_skills[pro_id].append(code)
    estab_pks = sorted({r["establishment_id"] for r in shifts})
    block_keys = set()
    for pro_id, est in Professional.blocked_establishments.through.objects.filter(
        professional__in=sub, establishment_id__in=estab_pks
    ).values_list("professional_id", "establishment_id"):
        if pro_id in index_of:
            block_keys.add(index_of[pro_id] * BLOCK_SPACE + est)
    for pro_id, est in EstablishmentBlock.objects.filter(
        professional__in=sub, establishment_id__in=estab_pks
    ).values_list("professional_id", "establishment_id"):
        if pro_id in index_of:
            block_keys.add(index_of[pro_id] * BLOCK_SPACE + est)

    # --- pairs already answered: a declined (or unanswered, expired) offer is not made again -----
    shift_pos = {r["pk"]: j for j, r in enumerate(shifts)}
    answered = set()
    for chunk in _chunks(shift_pks, 20_000):
        for pro_id, shift_id in Proposal.objects.filter(
            shift_id__in=chunk, state__in=[ProposalState.DECLINED, ProposalState.EXPIRED]
        ).values_list("professional_id", "shift_id"):
            if pro_id in index_of:
                answered.add(index_of[pro_id] * BLOCK_SPACE + shift_pos[shift_id])

    instance = _build_instance(start, horizon, rows, pro_skills, used, (a_pro, a_day, a_slot), booked_set,
                               shifts, required)
    part = Partition(
        region_code=region, start=start, now=now, instance=instance,
        shift_starts=np.array([r["starts_at"].timestamp() for r in shifts], dtype=np.float64),
        shift_establishment=np.array([r["establishment_id"] for r in shifts], dtype=np.int64),
        shift_urgent=np.array([r["urgent"] for r in shifts], dtype=bool),
        pro_notice_hours=np.array([r[7] for r in rows], dtype=np.int32),
        blocked=np.array(sorted(block_keys), dtype=np.int64),
        answered=np.array(sorted(answered), dtype=np.int64),
        shift_ends=np.array([r["ends_at"].timestamp() for r in shifts], dtype=np.float64),
        shift_closed=np.array([r["state"] != ShiftState.PUBLISHED or r["starts_at"] <= now
                               or r["establishment__status"] == EstablishmentStatus.SUSPENDED for r in shifts], bool),
        shift_forbidden=np.array([r["contract_route"] == FORBIDDEN_ROUTE for r in shifts], bool),
        shift_day=np.array([timezone.localdate(r["starts_at"]).toordinal() for r in shifts], np.int64),
        shift_month=np.array([month_key(timezone.localdate(r["starts_at"])) for r in shifts], np.int64),
        pro_insured_until=np.array([insured_until[r[0]].toordinal() if r[0] in insured_until else 0 for r in rows],
                                   np.int64),
        bookings=bookings,
        window=(win_from, win_to),
        known_proposals=known_proposals, known_missions=known_missions,
    )
    part.timings["load"] = _time.perf_counter() - t0
    return part


def _build_instance(start, horizon, rows, pro_skills, used, avail, booked_set, shifts, required) -> Instance:
    skill_vocab: dict[str, int] = {}
    prof_vocab: dict[str, int] = {}
    for r in rows:
        prof_vocab.setdefault(r[1], len(prof_vocab))
        for code in pro_skills.get(r[0], ()):
            skill_vocab.setdefault(code, len(skill_vocab))
    for r in shifts:
        prof_vocab.setdefault(r["profession_id"], len(prof_vocab))
        for code in required.get(r["pk"], ()):
            skill_vocab.setdefault(code, len(skill_vocab))
    words = max(1, -(-len(skill_vocab) // 64))
    pros = Pros(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        profession=np.array([prof_vocab[r[1]] for r in rows], dtype=np.int16),
        skills=encode_skills([pro_skills.get(r[0], []) for r in rows], skill_vocab, words),
        lat=np.array([r[2] for r in rows], dtype=np.float64),
        lon=np.array([r[3] for r in rows], dtype=np.float64),
        commune=np.array([r[4] for r in rows], dtype=str) if rows else np.zeros(0, dtype="<U1"),
        radius_km=np.array([r[5] for r in rows], dtype=np.float64),
        max_missions=np.array([r[6] for r in rows], dtype=np.int32),
        used_missions=used,
    )
    a_pro, a_day, a_slot = avail
    availability = Slots(np.array(a_pro, np.int32), np.array(a_day, np.int16), np.array(a_slot, np.int8))
    b = sorted(booked_set)
    booked = Slots(np.array([x[0] for x in b], np.int32), np.array([x[1] for x in b], np.int16),
                   np.array([x[2] for x in b], np.int8))
    # One establishment row per (establishment, place): a mobile unit parks in a different commune each day.
    places: dict[tuple[int, str], int] = {}
    e_rows = []
    for r in shifts:
        key = (r["establishment_id"], r["location_id"])
        if key not in places:
            places[key] = len(places)
            e_rows.append(r)
    estabs = Establishments(
        ids=np.arange(1, len(e_rows) + 1, dtype=np.int64),
        kind=np.array([r["establishment__type_id"] for r in e_rows], dtype=str),
        commune=np.array([r["location_id"] for r in e_rows], dtype=str),
        departement=np.array([r["location__departement_id"] for r in e_rows], dtype=str),
        lat=np.array([r["location__latitude"] for r in e_rows], dtype=np.float64),
        lon=np.array([r["location__longitude"] for r in e_rows], dtype=np.float64),
    )
    days, slots = [], []
    for r in shifts:
        day, slot = slot_of(r["starts_at"])
        days.append((day - start).days + 1)
        slots.append(slot)
    shift_arr = Shifts(
        ids=np.array([r["pk"] for r in shifts], dtype=np.int64),
        estab=np.array([places[(r["establishment_id"], r["location_id"])] for r in shifts], dtype=np.int32),
        profession=np.array([prof_vocab[r["profession_id"]] for r in shifts], dtype=np.int16),
        required=encode_skills([required.get(r["pk"], []) for r in shifts], skill_vocab, words),
        day=np.array(days, dtype=np.int16),
        slot=np.array(slots, dtype=np.int8),
        positions=np.array([r["open"] for r in shifts], dtype=np.int32),
        urgency=np.array([r["urgency"] for r in shifts], dtype=np.int8),
        posted_seq=np.array([r["pk"] for r in shifts], dtype=np.int64),
    )
    meta = Meta(start.isoformat(), horizon, BIG_KM_PER_URGENCY, PLATFORM_RULES, {"source": "ville-hopital"})
    return Instance(pros, availability, estabs, shift_arr, meta, tuple(prof_vocab), tuple(skill_vocab), booked)


# --------------------------------------------------------------------------------------------
# The FORMAT.md folder and the pairs the platform's rules exclude (excluded.csv)
# --------------------------------------------------------------------------------------------


def partition_export(part: Partition, folder: str | Path, *, excluded: tuple[np.ndarray, np.ndarray]) -> Path:
    """Write the FORMAT.md folder plus ``booked.csv`` and ``excluded.csv`` (see docs/matching-platform.md).

    ``excluded`` is the (pro index, shift index) pairs of the engine's candidates that the platform's
    pair rules remove (``missions.eligibility.excluded_pairs``).
    """
    folder = Path(folder)
    write_instance(part.instance, folder)
    inst = part.instance
    pro, shift = excluded
    with (folder / EXCLUDED_FILE).open("w", encoding="utf-8", newline="") as handle:
        handle.write("pro_id,shift_id\n")
        for p, s in zip(pro.tolist(), shift.tolist(), strict=True):
            handle.write(f"{inst.pros.ids[p]},{inst.shifts.ids[s]}\n")
    return folder


def read_excluded(folder: str | Path, instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Read ``excluded.csv`` (absent: nothing excluded) as (pro index, shift index) arrays.

    A bad row raises :class:`InstanceError` naming the file, the line and the column, like the
    engine's own readers (FORMAT.md's bad-input rule).
    """
    path = Path(folder) / EXCLUDED_FILE
    if not path.is_file():
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    known = {"pro_id": {int(v): i for i, v in enumerate(instance.pros.ids)},
             "shift_id": {int(v): i for i, v in enumerate(instance.shifts.ids)}}
    found: dict[str, list[int]] = {column: [] for column in known}
    with path.open(newline="", encoding="utf-8-sig") as handle:  # -sig: tolerate an Excel BOM
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        for column in known:
            if column not in header:
                raise InstanceError(EXCLUDED_FILE, "missing column", 1, column)
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != len(header):
                raise InstanceError(EXCLUDED_FILE, f"expected {len(header)} fields, found {len(row)}",
                                    reader.line_num)
            for column, positions in known.items():
                text = row[header.index(column)].strip()
                try:
                    value = int(text)
                except ValueError:
                    raise InstanceError(EXCLUDED_FILE, f"integer expected, got {text!r}", reader.line_num,
                                        column) from None
                if value not in positions:
                    raise InstanceError(EXCLUDED_FILE, f"unknown {column} {value}", reader.line_num, column)
                found[column].append(positions[value])
    return np.array(found["pro_id"], np.int32), np.array(found["shift_id"], np.int32)


def candidates_without(instance: Instance, pro: np.ndarray, shift: np.ndarray) -> Candidates:
    """The engine's candidates of ``instance`` minus the listed (pro index, shift index) pairs."""
    cand = build_candidates(instance)
    n = max(len(instance.shifts), 1)
    bad = np.isin(cand.pro.astype(np.int64) * n + cand.shift, pro.astype(np.int64) * n + shift)
    return cand.subset(~bad)


# --------------------------------------------------------------------------------------------
# Writing proposals
# --------------------------------------------------------------------------------------------


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def advisory_xact_lock(key: int) -> None:
    """Take a transaction-scoped PostgreSQL advisory lock (no-op on SQLite, which has one writer)."""
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


@dataclass(frozen=True)
class WriteOutcome:
    written: int
    dropped_conflicts: int
    proposal_ids: list[int]


def _conflicts(part: Partition, pro_pks: list[int], shift_pks: list[int]) -> tuple[set[int], dict[int, int]]:
    """Professionals and shifts that changed since the load (another run, an urgent wave, HR).

    Returns the professionals that got a new pending proposal or mission, and for each shift that
    changed the number of positions taken now.
    """
    changed_pros: set[int] = set()
    shift_taken: dict[int, int] = defaultdict(int)
    changed_shifts: set[int] = set()
    win_from, win_to = part.window
    for chunk in _chunks(pro_pks, 20_000):
        for pk, pro_id in Proposal.objects.filter(
            professional_id__in=chunk, state=ProposalState.PENDING, expires_at__gt=part.now,
            shift__starts_at__gte=win_from, shift__starts_at__lt=win_to,
        ).values_list("pk", "professional_id"):
            if pk not in part.known_proposals:
                changed_pros.add(pro_id)
        for pk, pro_id in Mission.objects.filter(
            professional_id__in=chunk, state__in=ACTIVE_MISSION_STATES, starts_at__gte=win_from,
            starts_at__lt=win_to,
        ).values_list("pk", "professional_id"):
            if pk not in part.known_missions:
                changed_pros.add(pro_id)
    for chunk in _chunks(shift_pks, 20_000):
        for pk, shift_id in Proposal.objects.filter(
            shift_id__in=chunk, state=ProposalState.PENDING, expires_at__gt=part.now
        ).values_list("pk", "shift_id"):
            shift_taken[shift_id] += 1
            if pk not in part.known_proposals:
                changed_shifts.add(shift_id)
        for pk, shift_id in Mission.objects.filter(shift_id__in=chunk, state__in=ACTIVE_MISSION_STATES).values_list(
            "pk", "shift_id"
        ):
            shift_taken[shift_id] += 1
            if pk not in part.known_missions:
                changed_shifts.add(shift_id)
    return changed_pros, {s: shift_taken[s] for s in changed_shifts}


def proposals_write(*, part: Partition, assignment: Assignment, source: str, matching_run_id: int | None,
                    wave: int = 1, now: datetime | None = None, check_shift_room: bool = True) -> WriteOutcome:
    """Write one pending proposal per assigned position, in bulk, inside the caller's transaction.

    The rules of ``missions.eligibility`` were applied when the pairs were chosen (the engine's
    candidates minus ``platform_candidates``' pair rules, or ``ranked_candidates`` for a wave);
    the expiry is ``PROPOSAL_TTL_HOURS`` from now and never after the shift's start. The write phase of every run is serialised by an
    advisory lock; under it, a professional or a shift that changed since the load (another region
    proposed the same border professional, an urgent wave, an acceptance) keeps only what is still
    safe: that professional's new proposals are dropped, the shift keeps as many as positions left.
    Dropped positions stay open for the next run. A pending pair already present is skipped
    (``one_pending_proposal_per_pair``), so writing twice never duplicates.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("proposals_write runs inside the run's transaction (the advisory lock is per transaction)")
    now = now or timezone.now()
    inst = part.instance
    if len(assignment) == 0:
        return WriteOutcome(0, 0, [])
    pro_pks = inst.pros.ids[assignment.pro]
    shift_pks = inst.shifts.ids[assignment.shift]
    advisory_xact_lock(WRITE_LOCK_KEY)
    changed_pros, shift_taken = _conflicts(part, sorted({int(p) for p in pro_pks}), sorted({int(s) for s in shift_pks}))
    keep = ~np.isin(pro_pks, np.array(sorted(changed_pros), dtype=np.int64))
    if shift_taken and check_shift_room:
        positions = dict(Shift.objects.filter(pk__in=list(shift_taken)).values_list("pk", "positions"))
        room = {s: positions[s] - n for s, n in shift_taken.items()}
        for i in np.argsort(assignment.km, kind="stable"):
            s = int(shift_pks[i])
            if s in room and keep[i]:
                if room[s] > 0:
                    room[s] -= 1
                else:
                    keep[i] = False
    ttl = timedelta(hours=settings.PROPOSAL_TTL_HOURS)
    expires = now + ttl
    if source == "nightly" and ttl > 2 * NIGHTLY_EXPIRY_MARGIN:
        # Last night's offers must be over when tonight's run starts (same hour, 24 h later), so that
        # their positions, if still unanswered, are offered again tonight rather than tomorrow night.
        expires -= NIGHTLY_EXPIRY_MARGIN
    rows = [
        (int(shift_pks[i]), int(pro_pks[i]), Decimal(f"{assignment.km[i]:.1f}"),
         min(expires, datetime.fromtimestamp(part.shift_starts[assignment.shift[i]], tz=UTC)))
        for i in np.flatnonzero(keep)
    ]
    audit_data = {"source": source, "wave": wave, "matching_run_id": matching_run_id}
    if _is_postgres():
        ids = _insert_copy(rows, source=source, wave=wave, matching_run_id=matching_run_id, now=now,
                           audit_data=audit_data)
    else:
        ids = _insert_orm(rows, source=source, wave=wave, matching_run_id=matching_run_id, now=now,
                          audit_data=audit_data)
    return WriteOutcome(len(ids), int((~keep).sum()), ids)


def _insert_orm(rows, *, source: str, wave: int, matching_run_id: int | None, now: datetime,
                audit_data: dict) -> list[int]:
    """SQLite (embedded default): ``bulk_create`` skipping pending pairs that already exist."""
    Proposal.objects.bulk_create(
        [
            Proposal(shift_id=s, professional_id=p, state=ProposalState.PENDING, source=source, distance_km=km,
                     wave=wave, matching_run_id=matching_run_id, created_at=now, expires_at=exp)
            for s, p, km, exp in rows
        ],
        batch_size=5000, ignore_conflicts=True,
    )
    # ignore_conflicts returns no ids: read back what this write created, and audit each proposal.
    ids = list(
        Proposal.objects.filter(state=ProposalState.PENDING, created_at=now, matching_run_id=matching_run_id,
                                source=source, wave=wave).values_list("pk", flat=True)
    )
    AuditEvent.objects.bulk_create(
        [AuditEvent(action="proposal.create", target_type="missions.proposal", target_id=str(pk),
                    to_state=ProposalState.PENDING, created_at=now, data=audit_data) for pk in ids],
        batch_size=5000,
    )
    return ids


def _insert_copy(rows, *, source: str, wave: int, matching_run_id: int | None, now: datetime,
                 audit_data: dict) -> list[int]:
    """PostgreSQL: COPY into a temporary table, then one INSERT … ON CONFLICT DO NOTHING (the partial
    unique index ``one_pending_proposal_per_pair``) that also writes the audit row of each new proposal."""
    import io
    import json

    proposal_table, audit_table = Proposal._meta.db_table, AuditEvent._meta.db_table
    buffer = io.StringIO()
    buffer.writelines(f"{s}\t{p}\t{km}\t{exp.isoformat()}\n" for s, p, km, exp in rows)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE matching_new_proposals (shift_id bigint, professional_id bigint, "
            "distance_km numeric(6,1), expires_at timestamptz) ON COMMIT DROP"
        )
        cursor.cursor.copy_expert("COPY matching_new_proposals FROM STDIN", buffer)
        cursor.execute(
            f"""
            WITH created AS (
                INSERT INTO {proposal_table} (shift_id, professional_id, state, source, distance_km, wave,
                                              matching_run_id, created_at, expires_at, decided_at, decline_reason)
                SELECT shift_id, professional_id, %s, %s, distance_km, %s, %s, %s, expires_at, NULL, ''
                FROM matching_new_proposals ORDER BY shift_id, professional_id
                ON CONFLICT DO NOTHING
                RETURNING id
            ), audited AS (
                INSERT INTO {audit_table} (actor_id, action, target_type, target_id, from_state, to_state, data,
                                           created_at)
                SELECT NULL, 'proposal.create', 'missions.proposal', id::text, '', %s, %s::jsonb, %s FROM created
                RETURNING target_id
            )
            SELECT target_id::bigint FROM audited
            """,  # noqa: S608 — table names come from the models, values are parameters
            [ProposalState.PENDING, source, wave, matching_run_id, now, ProposalState.PENDING,
             json.dumps(audit_data), now],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute("DROP TABLE matching_new_proposals")
    return ids
