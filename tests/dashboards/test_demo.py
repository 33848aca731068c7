"""The dashboards demo step: a deterministic, idempotent year of history, then the aggregates."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from django.utils import timezone

from dashboards import demo
from dashboards.models import DailyFillArea
from dashboards.selectors import Filters, overview, scope_for
from establishments.models import Shift, ShiftSeries
from missions.core.models import Mission, MissionState
from tests.dashboards.conftest import MENDE, MONTPELLIER, RODEZ
from ville_hopital.demo import DemoContext


def test_demo_history_is_deterministic_and_idempotent(world):
    world.establishment("CHU Montpellier", MONTPELLIER, "CHU")
    world.establishment("CH Mende", MENDE, "CH")
    world.establishment("EHPAD Rodez", RODEZ, "EHPAD")
    for commune in (MONTPELLIER, MENDE, RODEZ) * 3:
        world.professional(commune)
        world.professional(commune, profession="10")
    world.user(is_staff=True)
    demo.seed(DemoContext(rng=random.Random(2026), size=1))
    shifts, missions = Shift.objects.count(), Mission.objects.count()
    assert shifts > 300 and missions > 200
    assert DailyFillArea.objects.exists()
    first = sorted(Mission.objects.values_list("shift__starts_at", "position", "state", "distance_km"))
    demo.seed(DemoContext(rng=random.Random(2026), size=1))
    assert (Shift.objects.count(), Mission.objects.count()) == (shifts, missions)  # idempotent
    # The same seed gives the same history.
    Mission.objects.all().delete()
    Shift.objects.all().delete()
    ShiftSeries.objects.all().delete()
    demo.add_history(DemoContext(rng=random.Random(2026), size=1))
    assert sorted(Mission.objects.values_list("shift__starts_at", "position", "state", "distance_km")) == first
    # Rural Lozère fills less than Hérault over the year.
    today = world.today
    demo.aggregates_rebuild()
    year = Filters(today - timedelta(days=365), today)
    o = overview(scope_for(world.ars("76"), "76"), year, today)
    assert o.by_departement["48"].fill_rate < o.by_departement["34"].fill_rate
    assert sum(1 for _w, posted, _f in o.weeks if posted) > 40
    # The default period (last 30 days and next 30) shows the history up to yesterday.
    recent = overview(scope_for(world.ars("76"), "76"), Filters(today - timedelta(days=30), today + timedelta(days=30)), today)
    assert recent.total.posted > 20 and recent.total.done > 10


def test_demo_history_never_books_a_professional_twice_a_day(world):
    """Another demo step's bookings in the last month keep that professional out of the history those days."""
    world.establishment("CHU Montpellier", MONTPELLIER, "CHU")
    estab = world.establishment("CH Mende", MENDE, "CH")
    busy, free = world.professional(MONTPELLIER), world.professional(MENDE)
    world.user(is_staff=True)
    for back in range(1, 31):
        world.mission(world.shift(estab, day=-back), busy, state=MissionState.DONE)
    demo.add_history(DemoContext(rng=random.Random(7), size=1))
    history = Mission.objects.filter(shift__series__rule=demo.HISTORY_RULE).exclude(state=MissionState.CANCELLED)
    recent = history.filter(starts_at__gte=timezone.now() - timedelta(days=30))
    # The history reaches the last month. Demand follows the season (fewest shifts in spring and
    # autumn), so the count depends on the date: 3 holds on every day of the year (checked at the
    # hard dates by `make test-dates`), while the expected count is 7 to 12.
    assert recent.filter(professional=free).count() >= 3
    assert not recent.filter(professional=busy).exists()
    per_day = Counter(
        (pro, timezone.localdate(starts))
        for pro, starts in Mission.objects.exclude(state=MissionState.CANCELLED).values_list("professional_id", "starts_at")
    )
    assert max(per_day.values()) == 1
