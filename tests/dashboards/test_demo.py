"""The dashboards demo step: a deterministic, idempotent year of history, then the aggregates."""

from __future__ import annotations

import random
from datetime import timedelta

from dashboards import demo
from dashboards.models import DailyFillArea
from dashboards.selectors import Filters, overview, scope_for
from establishments.models import Shift, ShiftSeries
from missions.models import Mission
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
