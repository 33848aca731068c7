"""Indicator values on a hand-built data set: every expected figure is worked out in the comments.

Occitanie (76), default period [today − 30, today + 30] (61 days, 31 of them elapsed):

====  ===========================  ====  ========  ===  =========  =========================================
shift establishment (type, dept)   day   prof.     pos  urgent     missions (ttf h, km)
====  ===========================  ====  ========  ===  =========  =========================================
S1    CHU Montpellier (CHU, 34)    −10   IDE 12 h  2               P1 done (3, 12), P2 done (10, 30)
S2    CHU Montpellier (CHU, 34)    −3    MED 24 h  1               P3 cancelled by the professional
S3    CH Mende (CH, 48)            +2    IDE 12 h  3    urgent     P1 booked (30, 45), P4 cancelled by the establishment
S4    CH Mende (CH, 48)            +20   IDE       1
S5    Médicobus (MOBILE, based 12, +−5  IDE 10 h  1               P2 done (20, 60)
      parks in Nîmes 30)
S6    CHU Montpellier              −40   IDE       1               done (outside the period)
S7    CHU Montpellier              +1    IDE       2               (shift cancelled: 2 positions withdrawn)
S8    CH Paris (region 11)         −2    IDE       1               done (other region)
S9    CHU Montpellier (34)         +10   IDE       1    urgent     (beyond the 7-day urgent window)
====  ===========================  ====  ========  ===  =========  =========================================
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboards.figures import histogram_median
from dashboards.forms import default_period
from dashboards.selectors import (
    Filters,
    establishment_ranking,
    grouped_totals,
    grouped_totals_portable,
    overview,
    period_parts,
    scope_for,
    shortages,
)
from dashboards.services import aggregates_rebuild, availability_refresh
from establishments.models import ShiftState
from missions.core.models import CancelledBy, MissionState
from tests.dashboards.conftest import MENDE, MONTPELLIER, NIMES, PARIS, RODEZ

DONE, BOOKED, CANCELLED = MissionState.DONE, MissionState.BOOKED, MissionState.CANCELLED


@pytest.fixture
def hand_built(world):
    w = world
    chu = w.establishment("CHU Montpellier", MONTPELLIER, "CHU")
    mende = w.establishment("CH Mende", MENDE, "CH")
    bus = w.establishment("Médicobus Aveyron", RODEZ, "MOBILE")
    paris = w.establishment("CH Paris", PARIS, "CH")
    p1, p2, p4 = w.professional(MONTPELLIER), w.professional(NIMES), w.professional(MENDE)
    p3 = w.professional(MONTPELLIER, profession="10")
    p5 = w.professional(MENDE)

    s1 = w.shift(chu, day=-10, positions=2)
    w.mission(s1, p1, state=DONE, ttf_hours=3, km="12.0")
    w.mission(s1, p2, position=2, state=DONE, ttf_hours=10, km="30.0")
    s2 = w.shift(chu, day=-3, profession="10", hours=24)
    w.mission(s2, p3, state=CANCELLED, cancelled_by=CancelledBy.PROFESSIONAL, ttf_hours=5, km="8.0")
    s3 = w.shift(mende, day=2, positions=3, urgent=True)
    w.mission(s3, p1, state=BOOKED, ttf_hours=30, km="45.0")
    w.mission(s3, p4, position=2, state=CANCELLED, cancelled_by=CancelledBy.ESTABLISHMENT)
    w.shift(mende, day=20)
    s5 = w.shift(bus, day=-5, hours=10, location=NIMES)
    w.mission(s5, p2, state=DONE, ttf_hours=20, km="60.0")
    s6 = w.shift(chu, day=-40)
    w.mission(s6, p1, state=DONE)
    w.shift(chu, day=1, positions=2, state=ShiftState.CANCELLED)
    s8 = w.shift(paris, day=-2)
    w.mission(s8, w.professional(PARIS), state=DONE)
    w.shift(chu, day=10, urgent=True)

    w.availability(p5, 3)
    w.availability(p5, 4, "N")
    w.availability(p1, 10)
    w.availability(p1, -5)  # in the past: not offered against open positions

    aggregates_rebuild()
    availability_refresh()
    start, end = default_period(w.today)
    return {"chu": chu, "mende": mende, "bus": bus, "filters": Filters(start, end), "today": w.today}


def test_headline_figures(hand_built, world):
    ars = world.ars("76")
    o = overview(scope_for(ars, "76"), hand_built["filters"], hand_built["today"])
    t = o.total
    assert t.posted == 9  # S1 2 + S2 1 + S3 3 + S4 1 + S5 1 + S9 1 (S6 outside, S7 cancelled, S8 Paris)
    assert t.filled == 4  # S1 ×2, S3 ×1, S5 ×1
    assert t.fill_rate == pytest.approx(4 / 9)
    assert t.urgent_unfilled_7d == 2  # S3: 3 urgent − 1 booked; S9 is 10 days away
    assert (t.cancelled_by_pro, t.cancelled_by_estab, t.cancelled_by_platform) == (1, 1, 0)
    assert t.done == 3
    assert t.hours_done == 34  # 12 + 12 + 10
    assert t.elapsed_days == 31
    assert t.fte == pytest.approx(34 / (1607 * 31 / 365))  # ≈ 0.249 FTE
    assert t.active_professionals == 2  # P1 and P2 (P3, P4 only have cancelled missions)
    # time-to-fill of the 4 active missions: 3 h, 10 h, 20 h, 30 h in buckets [2,4) [8,12) [12,24) [24,48):
    # the 2nd of 4 falls in [8,12) with 1 below → 8 + (2 − 1) / 1 × 4 = 12 h (exact median 15 h).
    assert t.median_ttf_hours == pytest.approx(12)
    # km 12, 30, 45, 60 in [10,15) [30,40) [40,50) [60,80): 30 + (2 − 1) / 1 × 10 = 40 km (exact 37.5).
    assert t.median_km == pytest.approx(40)


def test_breakdowns(hand_built, world):
    o = overview(scope_for(world.ars("76"), "76"), hand_built["filters"], hand_built["today"])
    by_dep = {code: (f.posted, f.filled, f.urgent_unfilled_7d, f.active_professionals) for code, f in o.by_departement.items()}
    # The mobile unit counts in Nîmes (30) where it parked, not in Aveyron (12) where it is based.
    assert by_dep == {"34": (4, 2, 0, 2), "48": (4, 1, 2, 1), "30": (1, 1, 0, 1)}
    by_prof = {code: (f.posted, f.filled, f.cancelled) for code, f in o.by_profession.items()}
    assert by_prof == {"60": (8, 4, 1), "10": (1, 0, 1)}
    by_type = {code: (f.posted, f.filled, f.hours_done) for code, f in o.by_type.items()}
    assert by_type == {"CHU": (4, 2, 24), "CH": (4, 1, 0), "MOBILE": (1, 1, 10)}
    assert o.by_departement["48"].fill_rate == pytest.approx(0.25)
    weeks = {week: (posted, filled) for week, posted, filled in o.weeks}
    assert sum(p for p, _f in weeks.values()) == 9 and sum(f for _p, f in weeks.values()) == 4
    assert len(o.weeks) in (9, 10)  # 61 days span 9 or 10 Monday-weeks


def test_establishment_ranking(hand_built, world):
    rows = establishment_ranking(scope_for(world.ars("76"), "76"), hand_built["filters"], hand_built["today"])
    assert [(r.name, r.figures.posted, r.figures.filled) for r in rows] == [
        ("CH Mende", 4, 1),  # 25 %
        ("CHU Montpellier", 4, 2),  # 50 %
        ("Médicobus Aveyron", 1, 1),  # 100 %
    ]
    assert rows[0].figures.urgent_unfilled_7d == 2
    assert rows[1].figures.active_professionals == 2


def test_shortages(hand_built, world):
    rows = shortages(scope_for(world.ars("76"), "76"), hand_built["filters"], hand_built["today"])
    # From today on: Lozère × IDE has 2 + 1 open positions for 2 slots declared by P5 (lives in Mende);
    # Hérault × IDE has 1 open (S9) for 1 slot of P1 (its past slot does not count): no shortage.
    assert [(r.departement, r.profession, r.open_positions, r.available_slots, r.gap) for r in rows] == [
        ("48", "60", 3, 2, 1)
    ]


def test_filters_narrow_the_figures(hand_built, world):
    f = hand_built["filters"]
    scope = scope_for(world.ars("76"), "76")
    lozere = overview(scope, Filters(f.start, f.end, departement="48"), hand_built["today"]).total
    assert (lozere.posted, lozere.filled) == (4, 1)
    doctors = overview(scope, Filters(f.start, f.end, profession="10"), hand_built["today"]).total
    assert (doctors.posted, doctors.filled, doctors.cancelled_by_pro) == (1, 0, 1)
    past = Filters(hand_built["today"] - timedelta(days=12), hand_built["today"] - timedelta(days=4))
    assert overview(scope, past, hand_built["today"]).total.posted == 3  # S1 (2) + S2 (1)


def test_national_view_for_staff(hand_built, world):
    staff = world.user(is_staff=True)
    o = overview(scope_for(staff, "fr"), hand_built["filters"], hand_built["today"])
    assert o.total.posted == 10  # Occitanie's 9 + Paris's 1
    assert o.total.done == 4


def test_grouping_sets_equal_the_portable_queries(hand_built, world):
    from dashboards.models import COUNT_FIELDS, FILL_FIELDS, DailyFillArea, ProfessionalDay

    sums = {name: ("sum", name) for name in COUNT_FIELDS}
    area = DailyFillArea.objects.all()
    assert grouped_totals(area, sums, by_day=True) == grouped_totals_portable(area, sums, by_day=True)
    # Weeks + edge days give the same totals as the days alone.
    f = hand_built["filters"]
    scope = scope_for(world.user(is_staff=True), "fr")
    parts = period_parts(scope, f, f.start, f.end)
    assert len(parts) <= 5  # a month, then weeks and days at both ends
    days_only = [DailyFillArea.objects.filter(day__gte=f.start, day__lte=f.end)]
    assert grouped_totals(parts, sums) == grouped_totals(days_only, sums)
    assert grouped_totals(parts, sums) == grouped_totals_portable(parts, sums)
    # Months + weeks + days give the days' totals for any period, every summable column included.
    all_sums = {name: ("sum", name) for name in FILL_FIELDS}
    for back, ahead in ((0, 0), (6, 0), (40, 3), (64, 31), (120, 60), (365, 35)):
        start, end = f.start - timedelta(days=back), f.end + timedelta(days=ahead)
        days_only = [DailyFillArea.objects.filter(day__gte=start, day__lte=end)]
        assert grouped_totals(period_parts(scope, f, start, end), all_sums) == grouped_totals(days_only, all_sums)
    distinct = {"n": ("distinct", "professional_id")}
    pros = ProfessionalDay.objects.filter(region_id="76")
    assert grouped_totals(pros, distinct) == grouped_totals_portable(pros, distinct)
    assert grouped_totals(pros, distinct)[(None, None)] == {"n": 2}


def test_histogram_median_rules():
    assert histogram_median([0, 0, 0], [1, 2]) is None
    assert histogram_median([2, 0, 0], [10, 20]) == 5  # both in [0, 10): 0 + 1/2 × 10
    assert histogram_median([0, 0, 3], [10, 20]) == 20  # the open bucket: its lower bound
    assert histogram_median([1, 1, 0], [10, 20]) == 10
