"""Explanation pages: who may see them (404 for the others), what they say, and accessibility in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from establishments.models import MemberRole
from missions.core.models import Proposal
from missions.platform.services.matching import matching_run_region
from tests.browser import log_in
from tests.factories import add_member, make_user

MONTPELLIER, CASTELNAU, MENDE, AVIGNON = "34172", "34057", "48095", "84007"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _scene(world):
    est = world.estab(MONTPELLIER, name="CHU de Montpellier")
    shift = world.shift(est, day=3)
    near = world.pro(MONTPELLIER, days=(3,))
    far = world.pro(CASTELNAU, days=(3,))
    hr = make_user("alice-rh@example.org")
    add_member(est, hr, MemberRole.HR)
    viewer = make_user("bob-viewer@example.org")
    add_member(est, viewer, MemberRole.VIEWER)
    outsider = make_user("charlie@example.org")
    add_member(world.estab(MENDE), outsider, MemberRole.HR)
    return est, shift, near, far, hr, viewer, outsider


def test_professional_sees_why_and_others_get_404(world, client):
    _est, shift, near, far, *_ = _scene(world)
    matching_run_region(region_code="76", start=world.start)
    assert Proposal.objects.get().professional == near
    client.force_login(far.user)
    page = client.get(f"/missions/pourquoi/{shift.pk}/")
    assert page.status_code == 200
    assert "plus proches" in page.content.decode()
    # Another profession, or another region: the page does not exist for them.
    kine = world.pro(MONTPELLIER, profession="70")
    client.force_login(kine.user)
    assert client.get(f"/missions/pourquoi/{shift.pk}/").status_code == 404
    elsewhere = world.shift(world.estab(AVIGNON), day=3)
    client.force_login(far.user)
    assert client.get(f"/missions/pourquoi/{elsewhere.pk}/").status_code == 404
    assert client.get("/missions/pourquoi/999999/").status_code == 404


def test_hr_panel_scoped_to_their_shifts(world, client):
    _est, shift, _near, _far, hr, viewer, outsider = _scene(world)
    for user in (hr, viewer):
        client.force_login(user)
        page = client.get(f"/missions/rh/shifts/{shift.pk}/pourquoi/")
        assert page.status_code == 200
        assert "éligible" in page.content.decode()
    client.force_login(outsider)
    assert client.get(f"/missions/rh/shifts/{shift.pk}/pourquoi/").status_code == 404
    client.logout()
    assert client.get(f"/missions/rh/shifts/{shift.pk}/pourquoi/").status_code == 302  # to the login page


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_pages_are_accessible(live_world, page, live_server, axe, width):
    _est, shift, _near, far, hr, *_ = _scene(live_world)
    matching_run_region(region_code="76", start=live_world.start)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, far.user.email)
    page.goto(f"{live_server.url}/missions/pourquoi/{shift.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pourquoi")
    expect(page.get_by_text("plus proches", exact=False)).to_be_visible()
    assert axe() == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"matching-why-not-proposed-{width}.png"), full_page=True)
    page.context.clear_cookies()
    log_in(page, live_server.url, hr.email)
    page.goto(f"{live_server.url}/missions/rh/shifts/{shift.pk}/pourquoi/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("pourvue")
    expect(page.locator('[data-code="within_reach"]')).to_have_text(re.compile("^2 professionnels .* à portée"))
    expect(page.locator('[data-code="eligible"]')).to_have_text("1 éligible")  # the far one; the near one is asked
    assert axe() == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SCREENSHOTS / f"matching-why-unfilled-{width}.png"), full_page=True)


def test_admin_lists_runs_read_only(world, client):
    _est, _shift, *_ = _scene(world)
    run = matching_run_region(region_code="76", start=world.start)
    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get("/admin/missions/matchingrun/")
    assert page.status_code == 200
    assert str(run.proposals_written) in page.content.decode()
    assert client.get("/admin/missions/matchingrun/add/").status_code == 403
    detail = client.get(f"/admin/missions/matchingrun/{run.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
