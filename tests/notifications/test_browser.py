"""The notification centre and the preferences page in Chromium, at desktop and phone widths:
badge in the header, mark read, save preferences; axe-core finds no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from notifications.models import EventPreference
from notifications.services import notify
from tests.browser import log_in
from tests.factories import make_user
from tests.notifications.conftest import sample_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lea(live_db):
    user = make_user("lea@example.org", phone="0612345678", first_name="Léa")
    for n, event in enumerate(("proposal.new", "mission.booked", "contract.to_sign")):
        notify(recipient=user, event=event, context=sample_context(event), dedupe_key=f"{event}:{n}",
               urgent=event == "proposal.new")
    return user


@pytest.mark.parametrize("width", [1280, 375])
def test_notification_centre_and_preferences(page, live_server, lea, axe, width, tmp_path):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, lea.email)

    badge = page.locator("a.nav-notifications")
    expect(badge).to_contain_text("3")
    badge.click()
    expect(page.locator("h1")).to_have_text("Notifications")
    expect(page.locator("#unread-count")).to_have_text("3 notifications non lues.")
    expect(page.locator("li.notification")).to_have_count(3)
    expect(page.locator("li.notification").first).to_contain_text("Contrat à signer")
    assert axe() == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"centre-{width}.png"), full_page=True)

    page.get_by_role("button", name="Marquer comme lue : Mission réservée").click()
    expect(page.locator("#unread-count")).to_have_text("2 notifications non lues.")
    expect(badge).to_contain_text("2")
    page.get_by_role("button", name="Tout marquer comme lu").click()
    expect(page.locator("#unread-count")).to_have_text("Aucune notification non lue.")
    expect(page.locator("a.nav-notifications .badge")).to_have_count(0)

    page.get_by_role("link", name="Préférences de notification").click()
    expect(page.locator("h1")).to_have_text("Préférences de notification")
    assert axe() == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_label("SMS — Nouvelle proposition de mission").check()
    page.get_by_label("Résumé quotidien — Mission réservée").check()
    page.get_by_label("Langue des messages").select_option("en")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".messages")).to_contain_text("Vos préférences de notification sont enregistrées.")
    assert axe() == []
    page.screenshot(path=str(tmp_path / f"preferences-{width}.png"), full_page=True)
    saved = {p.event: (p.email, p.sms, p.digest) for p in EventPreference.objects.filter(user=lea)}
    assert saved["proposal.new"] == (True, True, False)
    assert saved["mission.booked"] == (True, False, True)
