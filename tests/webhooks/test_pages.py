"""The admin's webhook pages: create (the secret shown once), the list, the deliveries log,
delete and re-enable; a refused URL keeps the form with its message and writes nothing; HR, a
viewer, another establishment's admin and a stranger get a 404."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from webhooks.models import SubscriptionState, WebhookEvent, WebhookSubscription
from webhooks.services import (
    webhook_event_emit,
    webhook_event_id,
    webhook_subscription_create,
    webhook_subscription_disable,
)

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/ville-hopital"


def _page(world) -> str:
    return reverse("webhooks:list", kwargs={"establishment_id": world.site.pk})


def test_an_admin_creates_a_webhook_and_reads_its_secret_once(client, world):
    client.force_login(world.alice)
    response = client.post(_page(world), {"url": PUBLIC_URL, "events": ["shift.filled", "mission.done"]})
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    page = response.content.decode()
    assert subscription.secret in page and "copiez son secret maintenant" in page
    assert "no-store" in response["Cache-Control"]
    assert subscription.events == ["shift.filled", "mission.done"]
    again = client.get(_page(world)).content.decode()
    assert PUBLIC_URL in again and subscription.secret not in again
    assert "vacation pourvue (son dernier poste réservé)" in again
    # The header of the establishment's pages leads an admin here.
    detail = client.get(reverse("establishments:detail", kwargs={"pk": world.site.pk})).content.decode()
    assert _page(world) in detail


def test_every_event_has_a_labelled_checkbox(client, world):
    client.force_login(world.alice)
    page = client.get(_page(world)).content.decode()
    for code in WebhookEvent.values:
        [box] = re.findall(rf'<input type="checkbox" name="events" value="{re.escape(code)}"[^>]*id="([^"]+)"', page)
        assert f'<label for="{box}">' in page
    assert '<label for="id_url">' in page


@pytest.mark.parametrize(("url", "says"), [
    ("http://93.184.216.34/", "https://"),
    ("https://localhost/hook", "adresse privée, locale ou réservée"),
    ("https://10.0.0.7/hook", "adresse privée, locale ou réservée"),
])
def test_a_refused_url_is_said_under_its_field(client, world, url, says):
    client.force_login(world.alice)
    response = client.post(_page(world), {"url": url, "events": ["shift.filled"]})
    assert response.status_code == 400
    assert response.context["form"].errors["url"] and says in response.context["form"].errors["url"][0]
    assert not WebhookSubscription.objects.exists()


def test_the_page_speaks_english(client, world):
    client.force_login(world.alice)
    page = client.get(_page(world), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Add a webhook" in page and "Events sent" in page and "shift filled (its last position booked)" in page


def test_the_deliveries_log_delete_and_re_enable(client, world):
    subscription, _ = webhook_subscription_create(actor=world.alice, establishment=world.site, url=PUBLIC_URL,
                                                  events=["mission.cancelled"])
    webhook_event_emit(establishment_id=world.site.pk, event="mission.cancelled",
                       event_id=webhook_event_id("page", 1), data={})
    ids = {"establishment_id": world.site.pk, "webhook_id": subscription.pk}
    client.force_login(world.alice)
    log = client.get(reverse("webhooks:deliveries", kwargs=ids)).content.decode()
    assert "mission annulée" in log and "en attente" in log and '<th scope="col">Tentatives</th>' in log
    webhook_subscription_disable(subscription=subscription, reason="test")
    page = client.get(_page(world)).content.decode()
    assert "désactivée" in page.lower() and reverse("webhooks:enable", kwargs=ids) in page
    assert client.post(reverse("webhooks:enable", kwargs=ids)).status_code == 302
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ACTIVE
    assert client.post(reverse("webhooks:delete", kwargs=ids)).status_code == 302
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("who", ["bob", "vera", "charlie", "dora"])
def test_only_the_establishment_s_admins_reach_the_pages(client, world, who):
    subscription, _ = webhook_subscription_create(actor=world.alice, establishment=world.site, url=PUBLIC_URL,
                                                  events=["shift.filled"])
    ids = {"establishment_id": world.site.pk, "webhook_id": subscription.pk}
    client.force_login(getattr(world, who))
    assert client.get(_page(world)).status_code == 404
    assert client.post(_page(world), {"url": PUBLIC_URL, "events": ["shift.filled"]}).status_code == 404
    assert client.get(reverse("webhooks:deliveries", kwargs=ids)).status_code == 404
    assert client.post(reverse("webhooks:delete", kwargs=ids)).status_code == 404
    assert client.post(reverse("webhooks:enable", kwargs=ids)).status_code == 404
    assert WebhookSubscription.objects.count() == 1


def test_a_visitor_is_sent_to_sign_in(client, world):
    response = client.get(_page(world))
    assert response.status_code == 302 and reverse("account_login") in response.url
