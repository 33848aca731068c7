"""An establishment admin manages webhooks in a real Chromium: signs in, creates one (a refused URL
first), copies the secret shown once, reads the deliveries log of an event delivered to a real
HTTPS receiver; axe on every page, and the page fits 375 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from establishments.models import MemberRole
from tests.browser import log_in
from tests.factories import make_establishment, make_user
from webhooks.models import WebhookSubscription
from webhooks.services import webhook_event_emit, webhook_event_id

pytestmark = [pytest.mark.browser]


@pytest.fixture
def site(live_db):
    admin = make_user("admin@example.org", first_name="Adèle", last_name="Admin")
    return make_establishment(admin=admin, members={make_user(): MemberRole.HR}, name="Centre hospitalier de Mende")


def test_an_admin_creates_a_webhook_and_reads_its_log(page, live_server, site, axe, receiver):
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server.url, "admin@example.org")
    page.goto(f"{live_server.url}/etablissement/{site.pk}/")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks — Centre hospitalier de Mende")
    assert axe() == []

    page.get_by_label("Adresse du serveur qui reçoit les événements (HTTPS)").fill("http://93.184.216.34/vh")
    page.get_by_label("mission annulée").check()
    page.get_by_role("button", name="Créer le webhook").click()
    expect(page.get_by_text("L'adresse doit commencer par https://")).to_be_visible()
    assert axe() == []
    assert not WebhookSubscription.objects.exists()

    page.get_by_label("Adresse du serveur qui reçoit les événements (HTTPS)").fill(receiver.url)
    page.get_by_role("button", name="Créer le webhook").click()
    expect(page.get_by_role("heading", name="Webhook créé : copiez son secret maintenant")).to_be_visible()
    subscription = WebhookSubscription.objects.get()
    expect(page.get_by_label("Secret de signature")).to_have_value(subscription.secret)
    assert axe() == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    webhook_event_emit(establishment_id=site.pk, event="mission.cancelled", event_id=webhook_event_id("b", 1), data={})
    page.goto(f"{live_server.url}/etablissement/{site.pk}/webhooks/")
    expect(page.get_by_label("Secret de signature")).to_have_count(0)  # shown once
    page.get_by_role("link", name="Livraisons").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Livraisons du webhook")
    expect(page.get_by_role("cell", name="mission annulée")).to_be_visible()
    expect(page.get_by_role("cell", name="réussie")).to_be_visible()  # delivered to the local receiver
    expect(page.get_by_role("cell", name="200")).to_be_visible()
    assert axe() == []
