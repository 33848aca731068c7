"""An ARS agent logs in through the form and reads the dashboard in Chromium: axe-core finds no
serious or critical violation; screenshots (desktop and phone) are kept under docs/screenshots/."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from dashboards.services import aggregates_rebuild, availability_refresh
from missions.core.models import CancelledBy, MissionState
from tests.browser import log_in
from tests.dashboards.conftest import MENDE, MONTPELLIER, NIMES, RODEZ, World
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def agent(live_db) -> User:
    world = World(today=timezone.localdate(), hr=make_user("rh@example.org"))
    rng = random.Random(11)
    sites = [
        (world.establishment("CHU de Montpellier", MONTPELLIER, "CHU"), 0.9),
        (world.establishment("CH de Mende", MENDE, "CH"), 0.45),
        (world.establishment("EHPAD Les Tilleuls", RODEZ, "EHPAD"), 0.6),
        (world.establishment("CHU de Nîmes", NIMES, "CHU"), 0.75),
        (world.establishment("Médicobus des Causses", RODEZ, "MOBILE"), 0.7),
    ]
    pros = [world.professional(rng.choice([MONTPELLIER, NIMES, MENDE, RODEZ])) for _ in range(25)]
    doctors = [world.professional(rng.choice([MONTPELLIER, NIMES]), profession="10") for _ in range(6)]
    for day in range(-30, 31, 2):
        for estab, fill in sites:
            profession = "10" if estab.type_id == "CHU" and rng.random() < 0.3 else "60"
            if (profession, estab.type_id) == ("10", "EHPAD"):
                profession = "60"
            shift = world.shift(
                estab, day=day, positions=rng.randint(1, 3), profession=profession, urgent=rng.random() < 0.2,
                location=MENDE if estab.type_id == "MOBILE" and day % 4 == 0 else None,
                created_days_before=rng.uniform(0.5, 12),
            )
            pool = list(doctors if profession == "10" else pros)
            rng.shuffle(pool)
            for position in range(1, shift.positions + 1):
                if rng.random() < fill:
                    state = MissionState.DONE if day < 0 else MissionState.BOOKED
                    cancelled = rng.random() < 0.07
                    world.mission(
                        shift, pool.pop(), position=position, ttf_hours=rng.uniform(1, 120),
                        km=f"{rng.uniform(2, 70):.1f}", state=MissionState.CANCELLED if cancelled else state,
                        cancelled_by=rng.choice(list(CancelledBy.values)) if cancelled else "",
                    )
    for pro in pros[:8]:
        for day in rng.sample(range(1, 30), 3):
            world.availability(pro, day)
    aggregates_rebuild()
    availability_refresh()
    return world.ars("76", "agent@ars.sante.fr")  # invited: the address is verified


def test_ars_agent_reads_the_dashboard(page, live_server, agent, axe):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, agent.email)
    expect(page).to_have_url(re.compile(r"/ars/76/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Occitanie")
    expect(page.get_by_role("img", name="Postes publiés et pourvus par semaine")).to_be_visible()
    expect(page.get_by_role("img", name="Carte des départements selon le taux de pourvoi")).to_be_visible()
    assert axe() == []
    page.screenshot(path=str(SCREENSHOTS / "ars-dashboard.png"), full_page=True)

    page.get_by_label("Département", exact=True).select_option("48")
    page.get_by_role("button", name="Appliquer").click()
    expect(page).to_have_url(re.compile(r"departement=48"))
    expect(page.locator("#t-departements + p + .table-wrap tbody tr")).to_have_count(1)

    page.get_by_role("link", name="Établissements").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("plus faible taux")
    expect(page.get_by_role("rowheader", name="CH de Mende")).to_be_visible()
    assert axe() == []
    page.get_by_role("link", name="Pénuries").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Pénuries")
    assert axe() == []
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^XLSX")).click()
    assert re.match(r"ars-76_penuries_\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d_dep48\.xlsx", download.value.suggested_filename)

    page.goto(f"{live_server.url}/ars/76/?start=2026-05-01&end=2026-04-01")
    expect(page.get_by_role("alert")).to_contain_text("précède son début")
    assert axe() == []


def test_dashboard_at_phone_width(page, live_server, agent, axe):
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page, live_server.url, agent.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Occitanie")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways ({width}px)"
    assert axe() == []
    page.screenshot(path=str(SCREENSHOTS / "ars-dashboard-phone.png"), full_page=True)
