"""The privacy pages in a real Chromium at phone (390 px) and desktop (1280 px) widths: no sideways
scrolling, no serious axe violation, nothing the Content-Security-Policy blocks; the erasure done
through the page ends signed out."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from tests.browser import log_in
from tests.privacy.conftest import build_world

pytestmark = [pytest.mark.browser]

WIDTHS = (390, 1280)


def _fits(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width}px ({scroll}px)"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pages_fit_and_pass_axe(page, live_server, live_db, axe, width):
    world = build_world()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + reverse("home"))
    page.get_by_role("link", name="Confidentialité").click()
    expect(page.get_by_role("heading", name="Confidentialité et données personnelles")).to_be_visible()
    _fits(page, width)
    assert axe() == []
    log_in(page, live_server.url, world.alice.email)
    for name in ("privacy:my_data", "privacy:erase"):
        page.goto(live_server.url + reverse(name))
        _fits(page, width)
        assert axe() == []


def test_download_then_erase_through_the_pages(page, live_server, live_db):
    world = build_world()
    log_in(page, live_server.url, world.alice.email)
    page.goto(live_server.url + reverse("privacy:my_data"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger l'archive").click()
    assert download.value.suggested_filename.endswith(".zip")
    page.get_by_role("link", name="Supprimer mon compte…").click()
    page.get_by_label("Votre adresse e-mail, pour confirmer").fill(world.alice.email)
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.get_by_text("Votre compte a été supprimé.")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Se connecter")).to_be_visible()
    assert not User.objects.get(pk=world.alice.pk).is_active
