"""The aggregates equal a direct count of shifts and missions after bookings, cancellations and
completions, whether kept up to date by the on-commit hook, by the periodic run or rebuilt."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from celery import current_app
from django.db.models import Sum
from django.utils import timezone

from dashboards.models import (
    FILL_FIELDS,
    DailyFill,
    DailyFillArea,
    MonthlyFill,
    MonthlyFillArea,
    ProfessionalDay,
    WeeklyFill,
    WeeklyFillArea,
)
from dashboards.selectors import Filters, Scope, establishment_ranking, overview
from dashboards.services import aggregates_rebuild, aggregates_refresh_recent, day_runs
from establishments.models import Shift, ShiftState
from missions.core.models import ACTIVE_MISSION_STATES, CancelledBy, Mission, MissionState
from territories.models import Region
from tests.dashboards.conftest import MARSEILLE, MENDE, MONTPELLIER, NIMES, PARIS, RODEZ
from ville_hopital.audit import audit_record


def hook(mission: Mission) -> None:
    """The line the missions services run on commit (dashboards is reached by task name only)."""
    current_app.signature(
        "dashboards.tasks.refresh_days",
        args=[[timezone.localdate(mission.shift.starts_at).isoformat()], [mission.shift.establishment_id]],
    ).apply_async()


def raw_counts() -> Counter:
    """Counted straight from the rows, in Python: an implementation independent of the refresh SQL."""
    counts: Counter = Counter()
    for s in Shift.objects.select_related("location"):
        key = (timezone.localdate(s.starts_at), s.location.departement_id, s.profession_id)
        if s.state == ShiftState.PUBLISHED:
            counts[(*key, "posted")] += s.positions
            counts[(*key, "urgent_posted")] += s.positions if s.urgent else 0
        else:
            counts[(*key, "withdrawn")] += s.positions
    for m in Mission.objects.select_related("shift__location"):
        s = m.shift
        key = (timezone.localdate(s.starts_at), s.location.departement_id, s.profession_id)
        if m.state == MissionState.CANCELLED:
            who = {CancelledBy.PROFESSIONAL: "cancelled_by_pro", CancelledBy.ESTABLISHMENT: "cancelled_by_estab"}
            counts[(*key, who.get(m.cancelled_by, "cancelled_by_platform"))] += 1
        elif s.state == ShiftState.PUBLISHED:
            counts[(*key, "filled")] += 1
            counts[(*key, "minutes_filled")] += int((m.ends_at - m.starts_at).total_seconds() // 60)
            if m.state == MissionState.DONE:
                counts[(*key, "done")] += 1
                counts[(*key, "minutes_done")] += int((m.ends_at - m.starts_at).total_seconds() // 60)
            if m.state == MissionState.NO_SHOW:
                counts[(*key, "no_show")] += 1
    return +counts  # drop zeros


def aggregate_counts(model=DailyFillArea) -> Counter:
    fields = ["posted", "urgent_posted", "withdrawn", "filled", "done", "no_show", "cancelled_by_pro",
              "cancelled_by_estab", "cancelled_by_platform", "minutes_filled", "minutes_done"]
    counts: Counter = Counter()
    rows = model.objects.values("day", "departement_id", "profession_id").annotate(**{f: Sum(f) for f in fields})
    for row in rows:
        for f in fields:
            counts[(row["day"], row["departement_id"], row["profession_id"], f)] += row[f]
    return +counts


def snapshot(model) -> list[tuple]:
    keys = ["day", "departement_id", "profession_id", "establishment_type_id"]
    if model in (DailyFill, WeeklyFill, MonthlyFill):
        keys.append("establishment_id")
    return sorted(model.objects.values_list(*keys, *FILL_FIELDS))


@pytest.fixture
def scenario(world):
    rng = random.Random(7)
    estabs = [
        world.establishment("CHU Montpellier", MONTPELLIER, "CHU"),
        world.establishment("CH Mende", MENDE, "CH"),
        world.establishment("Médicobus", RODEZ, "MOBILE"),
    ]
    pros = [world.professional(rng.choice([MONTPELLIER, NIMES, MENDE])) for _ in range(12)]
    shifts = []
    for i in range(10):
        estab = estabs[i % 3]
        shifts.append(
            world.shift(
                estab, day=rng.randint(-8, 8), positions=rng.randint(1, 3), urgent=rng.random() < 0.3,
                hours=rng.choice([8, 10, 12]), location=NIMES if estab.type_id == "MOBILE" else None,
                start_hour=rng.choice([7, 8, 20]),
            )
        )
    aggregates_rebuild()
    return rng, shifts, pros


def test_hook_keeps_aggregates_equal_to_raw_counts(scenario):
    rng, shifts, pros = scenario
    assert aggregate_counts() == raw_counts()
    missions: list[Mission] = []
    for step in range(40):
        action = rng.random()
        booked = [m for m in missions if m.state == MissionState.BOOKED]
        if action < 0.55 or not booked:  # book a free position
            shift = rng.choice(shifts)
            taken = {m.position for m in missions if m.shift_id == shift.pk and m.state in ACTIVE_MISSION_STATES}
            busy = {m.professional_id for m in missions if m.shift_id == shift.pk and m.state in ACTIVE_MISSION_STATES}
            free = [p for p in range(1, shift.positions + 1) if p not in taken]
            candidates = [p for p in pros if p.pk not in busy]
            if not free:
                continue
            mission = Mission.objects.create(
                shift=shift, position=free[0], professional=rng.choice(candidates), pay=shift.pay,
                starts_at=shift.starts_at, ends_at=shift.ends_at, distance_km=rng.randint(1, 900) / 10,
                booked_at=shift.created_at + timedelta(hours=rng.randint(1, 100)),
            )
            missions.append(mission)
        elif action < 0.8:  # cancel
            mission = rng.choice(booked)
            mission.state = MissionState.CANCELLED
            mission.cancelled_by = rng.choice(list(CancelledBy.values))
            mission.closed_at = timezone.now()
            mission.save()
        else:  # complete, or no-show
            mission = rng.choice(booked)
            mission.state = MissionState.DONE if rng.random() < 0.85 else MissionState.NO_SHOW
            mission.closed_at = timezone.now()
            mission.save()
        hook(mission)
        if step % 10 == 9:
            assert aggregate_counts() == raw_counts(), f"after step {step}"
    assert aggregate_counts() == raw_counts()
    assert aggregate_counts(DailyFill) == raw_counts()
    # Active professionals: one row per professional × day × establishment with an active mission.
    expected = {
        (timezone.localdate(m.shift.starts_at), m.professional_id, m.shift.establishment_id)
        for m in Mission.objects.filter(state__in=ACTIVE_MISSION_STATES)
    }
    assert set(ProfessionalDay.objects.values_list("day", "professional_id", "establishment_id")) == expected
    # The incremental state is exactly what a full rebuild gives (and a rebuild is idempotent).
    tables = (DailyFill, DailyFillArea, WeeklyFill, WeeklyFillArea, MonthlyFill, MonthlyFillArea)
    incremental = [snapshot(model) for model in tables]
    assert all(incremental)
    aggregates_rebuild()
    aggregates_rebuild()
    assert [snapshot(model) for model in tables] == incremental


def test_periodic_refresh_finds_touched_days(scenario, world):
    _rng, shifts, pros = scenario
    aggregates_refresh_recent()  # first run: sets the mark
    shift = shifts[0]
    Mission.objects.create(
        shift=shift, position=1, professional=pros[0], pay=shift.pay, starts_at=shift.starts_at,
        ends_at=shift.ends_at, distance_km=5, booked_at=timezone.now(),
    )  # no hook: found from booked_at
    other = shifts[1]
    Shift.objects.filter(pk=other.pk).update(positions=other.positions + 2)
    audit_record(actor=None, action="shift.edit", target=other)  # found from the audit row
    assert aggregate_counts() != raw_counts()
    result = aggregates_refresh_recent()
    assert result.days >= 1
    assert aggregate_counts() == raw_counts()


def test_day_runs_split_consecutive_days():
    d = timezone.localdate()
    days = [d, d + timedelta(days=1), d + timedelta(days=3), d + timedelta(days=1)]
    assert day_runs(days) == [(d, d + timedelta(days=1)), (d + timedelta(days=3), d + timedelta(days=3))]
    long = [d + timedelta(days=i) for i in range(40)]
    assert day_runs(long) == [(d, d + timedelta(days=30)), (d + timedelta(days=31), d + timedelta(days=39))]


def test_rebuild_drops_rows_of_deleted_shifts(scenario):
    _rng, shifts, _pros = scenario
    assert DailyFill.objects.exists()
    Shift.objects.filter(pk__in=[s.pk for s in shifts]).delete()
    aggregates_rebuild()
    assert not DailyFill.objects.exists() and not DailyFillArea.objects.exists()


def direct_active(missions: list[Mission], start, end, key) -> Counter:
    """Distinct professionals with an active mission in [start, end], overall (None) and by ``key``."""
    seen = set()
    for m in missions:
        day = timezone.localdate(m.shift.starts_at)
        if start <= day <= end:
            seen.add((None, m.professional_id))
            seen.add((key(m), m.professional_id))
    return Counter(k for k, _pro in seen)


def test_active_professionals_equal_a_direct_count_for_any_period(world):
    """The summed "last active day" counters plus the after-the-period correction give exactly the
    distinct professionals, whatever the period, scope, filter and breakdown, as missions come and go
    (on-commit hook) and after a rebuild."""
    rng = random.Random(11)
    estabs = [
        world.establishment("CHU Montpellier", MONTPELLIER, "CHU"),
        world.establishment("CH Mende", MENDE, "CH"),
        world.establishment("Médicobus", RODEZ, "MOBILE"),
        world.establishment("CH Paris", PARIS, "CH"),
        world.establishment("Clinique Marseille", MARSEILLE, "CLINIQUE"),
    ]
    pros = [world.professional(rng.choice([MONTPELLIER, PARIS, MENDE])) for _ in range(8)]
    shifts = []
    for _ in range(70):
        estab = rng.choice(estabs)
        shifts.append(world.shift(
            estab, day=rng.randint(-100, 60), positions=rng.randint(1, 3), profession=rng.choice(["60", "60", "10"]),
            location=rng.choice([NIMES, MENDE]) if estab.type_id == "MOBILE" else None,
        ))
    aggregates_rebuild()
    missions: list[Mission] = []
    today = world.today
    national = Scope("fr", None)
    occitanie = Scope("76", Region.objects.get(code="76"))

    def check() -> None:
        active = [m for m in Mission.objects.select_related("shift__location").filter(state__in=ACTIVE_MISSION_STATES)
                  if m.shift.state == ShiftState.PUBLISHED]
        for back, ahead in ((30, 30), (100, 60), (3, 0), (45, -20), (70, -40)):
            for scope, dep, prof in ((national, None, None), (occitanie, None, None), (occitanie, "48", None),
                                     (national, None, "60"), (occitanie, "30", "10")):
                f = Filters(today - timedelta(days=back), today + timedelta(days=ahead), dep, prof)
                rows = [m for m in active if (scope.region is None or m.shift.location.region_id == "76")
                        and (dep is None or m.shift.location.departement_id == dep)
                        and (prof is None or m.shift.profession_id == prof)]
                o = overview(scope, f, today)
                for attr, key in (("by_departement", lambda m: m.shift.location.departement_id),
                                  ("by_profession", lambda m: m.shift.profession_id),
                                  ("by_type", lambda m: m.shift.establishment.type_id)):
                    expected = direct_active(rows, f.start, f.end, key)
                    assert o.total.active_professionals == expected[None], (f, scope.code)
                    got = {k: v.active_professionals for k, v in getattr(o, attr).items() if v.active_professionals}
                    assert got == {k: n for k, n in expected.items() if k is not None}, (f, scope.code, attr)
                expected = direct_active(rows, f.start, f.end, lambda m: m.shift.establishment_id)
                ranked = {r.id: r.figures.active_professionals for r in establishment_ranking(scope, f, today)}
                assert {k: n for k, n in ranked.items() if n} == {k: n for k, n in expected.items() if k is not None}, (
                    f, scope.code)

    check()
    for _step in range(30):
        booked = [m for m in missions if m.state == MissionState.BOOKED]
        if rng.random() < 0.7 or not booked:
            shift = rng.choice(shifts)
            taken = Mission.objects.filter(shift=shift).exclude(state=MissionState.CANCELLED)
            free = sorted(set(range(1, shift.positions + 1)) - set(taken.values_list("position", flat=True)))
            candidates = [p for p in pros if p.pk not in set(taken.values_list("professional_id", flat=True))]
            if not free or not candidates:
                continue
            mission = Mission.objects.create(
                shift=shift, position=free[0], professional=rng.choice(candidates), pay=shift.pay,
                starts_at=shift.starts_at, ends_at=shift.ends_at, distance_km=5, booked_at=shift.created_at,
            )
            missions.append(mission)
        else:
            mission = rng.choice(booked)
            mission.state = MissionState.CANCELLED
            mission.closed_at = timezone.now()
            mission.save()
        hook(mission)
    check()
    incremental = [snapshot(model) for model in (DailyFill, DailyFillArea, WeeklyFill, MonthlyFillArea)]
    aggregates_rebuild()
    assert [snapshot(model) for model in (DailyFill, DailyFillArea, WeeklyFill, MonthlyFillArea)] == incremental
    check()
