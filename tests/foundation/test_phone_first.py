"""Phone first, in Chromium: every role's main pages fit a 360 px phone without scrolling sideways,
the calendar's controls and every action button are touch targets of at least 44 × 44 px (WCAG 2.5.5),
axe-core finds no serious or critical violation at 390 px; screenshots at 360, 390 and 1280 px of the
key pages are kept under docs/screenshots/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from dashboards.services import aggregates_rebuild
from establishments.models import MemberRole
from territories.services import geography_load
from tests import factories
from tests.browser import log_in
from tests.factories import local

pytestmark = [pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE, PHONE_LARGE, DESKTOP = 360, 390, 1280
TOUCH = 44

# The calendar's controls: each box counts through its label when the label is the larger target.
CALENDAR_TARGETS = """() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };
  const out = [];
  document.querySelectorAll("#calendar-form input:not([type=hidden]), #calendar-form button, #calendar-form select, .month-nav a, .mission-link").forEach((el) => {
    let [w, h] = box(el);
    const label = el.id ? document.querySelector(`label[for="${el.id}"]`) : null;
    if (label && el.type === "checkbox") { const [lw, lh] = box(label); if (lw >= w && lh >= h) { [w, h] = [lw, lh]; } }
    out.push({what: el.id || el.name || el.textContent.trim(), width: w, height: h});
  });
  return out;
}"""

# Every visible action: buttons, submit inputs, link-buttons and the header's links.
ACTION_TARGETS = """() => Array.from(document.querySelectorAll(
    "button, input[type=submit], .button, .link-button, .nav a")).filter((el) => el.offsetParent !== null)
  .map((el) => { const r = el.getBoundingClientRect();
    return {what: el.textContent.trim() || el.value, width: Math.round(r.width), height: Math.round(r.height)}; })"""


def small(targets: list[dict]) -> list[dict]:
    """The targets smaller than 44 px in either dimension."""
    return [t for t in targets if t["width"] < TOUCH or t["height"] < TOUCH]


def check_page(page: Page, url: str, axe: Callable[[], list[dict]], screenshot: str | None = None) -> None:
    """At 360 px: no sideways scrolling and no action smaller than 44 px; at 390 px: axe clean.
    With ``screenshot``, the page is kept at 360, 390 and 1280 px."""
    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto(url)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE, f"{url} scrolls sideways at {PHONE} px ({width} px wide)"
    assert small(page.evaluate(ACTION_TARGETS)) == [], url
    if screenshot:
        page.screenshot(path=str(SCREENSHOTS / f"{screenshot}-{PHONE}.png"), full_page=True)
    page.set_viewport_size({"width": PHONE_LARGE, "height": 844})
    assert axe() == [], url
    if screenshot:
        page.screenshot(path=str(SCREENSHOTS / f"{screenshot}-{PHONE_LARGE}.png"), full_page=True)
        page.set_viewport_size({"width": DESKTOP, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{screenshot}-{DESKTOP}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _screenshots_folder() -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def test_professional_pages_on_a_phone(page, live_server, live_db, axe):
    professional = factories.make_professional()
    factories.insure(professional, timezone.localdate() + timedelta(days=365))
    today = timezone.localdate()
    factories.make_mission(professional, starts_at=local(today + timedelta(days=3), 8))
    for days in (4, 6, 9):
        factories.make_proposal(factories.make_shift(starts_at=local(today + timedelta(days=days), 20)), professional)
    log_in(page, live_server.url, professional.user.email)
    base = live_server.url

    check_page(page, f"{base}/pro/disponibilites/", axe, screenshot="phone-calendar")
    for width in (PHONE, PHONE_LARGE):
        page.set_viewport_size({"width": width, "height": 800})
        assert small(page.evaluate(CALENDAR_TARGETS)) == [], f"calendar at {width} px"
    # The label is the hit area: a tap at its far corner ticks the day's box. Tomorrow may be in
    # next month (on 31 December): its month's page.
    tomorrow = today + timedelta(days=1)
    page.goto(f"{base}{reverse('professionals:calendar', args=(tomorrow.year, tomorrow.month))}")
    label = page.locator(f"label[for='slot-{tomorrow.isoformat()}:D']")
    label.scroll_into_view_if_needed()
    box = label.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] - 3)
    assert page.locator(f"#slot-{tomorrow.isoformat()}\\:D").is_checked()

    check_page(page, f"{base}/missions/propositions/", axe, screenshot="phone-proposals")
    check_page(page, f"{base}/missions/mes-missions/", axe)
    check_page(page, f"{base}/pro/profil/", axe)
    # The other long lists, each under its week headings.
    check_page(page, f"{base}/missions/vacations-ouvertes/", axe, screenshot="phone-open-shifts")
    assert page.locator("h2.group-heading").count() >= 1
    for url in ("/missions/mes-missions/?vue=passees", "/missions/contrats/", "/notifications/", "/journal/"):
        check_page(page, base + url, axe)


def test_hr_pages_on_a_phone(page, live_server, live_db, axe):
    hr = factories.make_user()
    establishment = factories.make_establishment(members={hr: MemberRole.HR})
    today = timezone.localdate()
    shifts = [factories.make_shift(establishment, starts_at=local(today + timedelta(days=d), 8 if d % 2 else 20), positions=2)
              for d in range(3, 12)]
    factories.make_mission(factories.make_professional(), establishment, starts_at=local(today + timedelta(days=2), 8))
    # Ended unfilled two days ago: settled, so after the shifts still to act on, though it starts first.
    ended = factories.make_shift(establishment, starts_at=local(today - timedelta(days=2), 8), as_row=True)
    log_in(page, live_server.url, hr.email)
    base = live_server.url

    check_page(page, f"{base}/missions/rh/etablissement/{establishment.pk}/vacations/", axe, screenshot="phone-hr-board")
    cards = page.locator(".board .card.shift")
    assert cards.first.get_attribute("id") != f"shift-{ended.pk}"
    assert cards.last.get_attribute("id") == f"shift-{ended.pk}"
    check_page(page, f"{base}/etablissement/{establishment.pk}/vacations/nouvelle/", axe)
    check_page(page, f"{base}/missions/rh/vacations/{shifts[0].pk}/pourvoir/", axe)


def test_ars_pages_on_a_phone(page, live_server, live_db, axe):
    today = timezone.localdate()
    geography_load(only_departements=frozenset({"974"}))  # live_db reloads a few metropolitan ones only
    reunion = factories.make_establishment(commune="97411", type_code="CHU")  # Saint-Denis, La Réunion
    for d in range(-20, 20, 3):
        factories.make_shift(starts_at=local(today + timedelta(days=d), 8), as_row=True)
        factories.make_shift(reunion, starts_at=local(today + timedelta(days=d), 8), as_row=True)
    aggregates_rebuild()
    agent = factories.make_ars_agent("76")
    log_in(page, live_server.url, agent.email)
    base = live_server.url

    check_page(page, f"{base}/ars/76/", axe, screenshot="phone-ars-overview")
    check_page(page, f"{base}/ars/76/etablissements/", axe)
    check_page(page, f"{base}/ars/76/penuries/", axe)

    # The national map: metropolitan France, then the five overseas départements in named boxes;
    # an overseas region: its one département in its box, the width of the column.
    log_in(page, base, factories.platform_staff().email)
    check_page(page, f"{base}/ars/fr/", axe, screenshot="phone-ars-national")
    assert page.locator("svg.map rect").count() == 5
    log_in(page, base, factories.make_ars_agent("04").email)
    check_page(page, f"{base}/ars/04/", axe, screenshot="phone-ars-reunion")
    assert page.locator("svg.map path").count() == 1 and page.locator("svg.map text").all_text_contents() == ["La Réunion"]


def test_long_lists_keep_their_filters_within_reach(page, live_server, live_db, axe):
    """HR's board over two pages: on a phone the filters come first and the paging block links back
    to them; on a large screen they stay in view (sticky) while the list scrolls under them."""
    admin = factories.make_user()
    establishment = factories.make_establishment(members={admin: MemberRole.ADMIN})
    today = timezone.localdate()
    for n in range(30):  # from three days on: not urgent, nobody booked
        factories.make_shift(establishment, starts_at=local(today + timedelta(days=3 + n // 2), 8 if n % 2 else 20))
    log_in(page, live_server.url, admin.email)
    board = f"{live_server.url}/missions/rh/etablissement/{establishment.pk}/vacations/"
    check_page(page, board, axe)
    check_page(page, f"{live_server.url}/journal/etablissement/{establishment.pk}/", axe)

    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto(board)
    assert page.locator("h2.group-heading").all_inner_texts() == ["À pourvoir"]
    filters = page.locator("#filtres")
    page.get_by_role("link", name="Revenir aux filtres").click()
    box = filters.bounding_box()
    assert 0 <= box["y"] < 800, box  # scrolled back to them
    page.get_by_role("link", name="Page suivante").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h2.group-heading").all_inner_texts() == ["À pourvoir (suite)"]
    assert page.locator(".board .card.shift").count() == 5

    page.set_viewport_size({"width": DESKTOP, "height": 900})
    page.goto(board)
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    assert page.evaluate("() => window.scrollY") > 900  # the list is longer than the screen
    assert abs(page.evaluate("() => document.getElementById('filtres').getBoundingClientRect().top")) < 1
