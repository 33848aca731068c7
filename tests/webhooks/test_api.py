"""The webhooks API (``/api/v1/establishments/{id}/webhooks/``): an admin subscribes, lists, reads
the deliveries' log and deletes; a refused URL is a 400 naming ``url`` with nothing written; HR,
a viewer, another establishment's admin and a stranger get a 404 (anonymous: 403)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from ville_hopital.models import AuditEvent
from webhooks.models import SubscriptionState, WebhookDelivery, WebhookEvent, WebhookSubscription
from webhooks.services import (
    webhook_event_emit,
    webhook_event_id,
    webhook_subscription_create,
    webhook_subscription_disable,
)

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/ville-hopital"  # a public address written as such: nothing to resolve


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def list_url(establishment) -> str:
    return reverse("api:webhook-list", kwargs={"establishment_id": establishment.pk})


def _subscription(world, url=PUBLIC_URL, events=(WebhookEvent.SHIFT_FILLED,)):
    subscription, _ = webhook_subscription_create(actor=world.alice, establishment=world.site, url=url,
                                                  events=list(events))
    return subscription


def test_an_admin_creates_a_webhook_and_sees_its_secret_once(world):
    response = api(world.alice).post(list_url(world.site), {
        "url": PUBLIC_URL, "events": ["contract.signed", "shift.filled", "shift.filled"],
    }, format="json")
    assert response.status_code == 201, response.json()
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["url"] == PUBLIC_URL and body["events"] == ["shift.filled", "contract.signed"]
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["state"] == "active" and body["active"] is True
    subscription = WebhookSubscription.objects.get(pk=body["id"])
    assert subscription.secret == body["secret"] and subscription.created_by == world.alice
    listed = api(world.alice).get(list_url(world.site)).json()
    assert [w["id"] for w in listed["results"]] == [body["id"]]
    assert "secret" not in listed["results"][0]  # never shown again
    assert AuditEvent.objects.filter(action="webhook.create", target_id=str(subscription.pk)).exists()
    assert body["secret"] not in str(AuditEvent.objects.values_list("data", flat=True))


@pytest.mark.parametrize(("url", "says"), [
    ("http://93.184.216.34/hook", "https://"),
    ("https://localhost/hook", "adresse privée, locale ou réservée"),
    ("https://127.0.0.1:8443/hook", "adresse privée, locale ou réservée"),
    ("https://[::1]/hook", "adresse privée, locale ou réservée"),
    ("https://10.1.2.3/hook", "adresse privée, locale ou réservée"),
    ("https://192.168.1.10/hook", "adresse privée, locale ou réservée"),
    ("https://169.254.169.254/latest/meta-data", "adresse privée, locale ou réservée"),
    ("https://[::ffff:10.0.0.1]/hook", "adresse privée, locale ou réservée"),
    ("https://224.0.0.1/hook", "adresse privée, locale ou réservée"),
    ("https://0.0.0.0/hook", "adresse privée, locale ou réservée"),
    ("https://240.0.0.1/hook", "adresse privée, locale ou réservée"),
    ("https://user:pass@93.184.216.34/hook", "ni identifiant ni mot de passe"),
    ("https://no-such-host.invalid/hook", "ne se résout pas"),
    ("https://93.184.216.34:99999/hook", "pas une URL valide"),
    ("hooks.example.org", "https://"),
])
def test_a_url_that_is_not_https_to_a_public_address_is_refused(world, url, says):
    """With the production setting (``WEBHOOK_ALLOW_LOOPBACK`` off): 400 naming ``url``, nothing written."""
    audit_rows = AuditEvent.objects.count()
    response = api(world.alice).post(list_url(world.site), {"url": url, "events": ["shift.filled"]}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["url"] and says in response.json()["url"][0]
    assert not WebhookSubscription.objects.exists() and AuditEvent.objects.count() == audit_rows


def test_the_refusal_speaks_english_when_asked(world):
    response = api(world.alice).post(list_url(world.site), {"url": "http://93.184.216.34/", "events": ["shift.filled"]},
                                     format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "https://" in response.json()["url"][0]
    assert "encrypted" in response.json()["url"][0]


@pytest.mark.parametrize(("body", "field"), [
    ({"url": PUBLIC_URL, "events": []}, "events"),
    ({"url": PUBLIC_URL, "events": ["shift.deleted"]}, "events"),
    ({"url": PUBLIC_URL}, "events"),
    ({"events": ["shift.filled"]}, "url"),
    ({"url": "https://93.184.216.34/" + "x" * 600, "events": ["shift.filled"]}, "url"),
    ({"url": PUBLIC_URL, "events": ["shift.filled"], "secret": "mine"}, "secret"),  # not ours to choose
])
def test_a_malformed_body_names_its_field(world, body, field):
    response = api(world.alice).post(list_url(world.site), body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not WebhookSubscription.objects.exists()


def test_at_most_ten_webhooks_per_establishment(world):
    for n in range(10):
        _subscription(world, url=f"{PUBLIC_URL}/{n}")
    response = api(world.alice).post(list_url(world.site), {"url": PUBLIC_URL, "events": ["shift.filled"]}, format="json")
    assert response.status_code == 400 and "au plus 10" in str(response.json())
    assert WebhookSubscription.objects.count() == 10


def test_an_admin_reads_the_deliveries_log_and_deletes_the_webhook(world):
    subscription = _subscription(world)
    for n in range(3):
        webhook_event_emit(establishment_id=world.site.pk, event=WebhookEvent.SHIFT_FILLED,
                           event_id=webhook_event_id("test", n), data={"n": n})
    url = reverse("api:webhook-deliveries", kwargs={"establishment_id": world.site.pk, "webhook_id": subscription.pk})
    log = api(world.alice).get(url).json()
    assert log["count"] == 3
    row = log["results"][0]
    assert row["state"] == "pending" and row["attempts"] == 0 and row["last_status_code"] is None
    assert row["event"] == "shift.filled" and row["payload"]["data"] == {"n": 2}  # newest first
    assert api(world.alice).get(url, {"state": "succeeded"}).json()["count"] == 0
    assert api(world.alice).get(url, {"state": "nonsense"}).status_code == 400
    detail = reverse("api:webhook-detail", kwargs={"establishment_id": world.site.pk, "webhook_id": subscription.pk})
    assert api(world.alice).delete(detail).status_code == 204
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()
    assert AuditEvent.objects.filter(action="webhook.delete", target_id=str(subscription.pk)).exists()


def test_an_admin_re_enables_a_disabled_webhook(world):
    subscription = _subscription(world)
    enable = reverse("api:webhook-enable", kwargs={"establishment_id": world.site.pk, "webhook_id": subscription.pk})
    active = api(world.alice).post(enable)
    assert active.status_code == 409 and list(active.json()) == ["state"]  # already active: the state is named
    webhook_subscription_disable(subscription=subscription, reason="test")
    response = api(world.alice).post(enable)
    assert response.status_code == 200 and response.json()["state"] == "active"
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ACTIVE and subscription.consecutive_failures == 0


def _every_call(world, subscription) -> list[tuple[str, str, dict | None]]:
    ids = {"establishment_id": world.site.pk, "webhook_id": subscription.pk}
    return [
        ("get", list_url(world.site), None),
        ("post", list_url(world.site), {"url": PUBLIC_URL, "events": ["shift.filled"]}),
        ("delete", reverse("api:webhook-detail", kwargs=ids), None),
        ("post", reverse("api:webhook-enable", kwargs=ids), None),
        ("get", reverse("api:webhook-deliveries", kwargs=ids), None),
    ]


@pytest.mark.parametrize("who", ["bob", "vera", "charlie", "dora"])
def test_hr_a_viewer_another_site_and_a_stranger_get_404(world, who):
    subscription = _subscription(world)
    for method, url, body in _every_call(world, subscription):
        response = getattr(api(getattr(world, who)), method)(url, body, format="json")
        assert response.status_code == 404, (who, method, url)
    assert WebhookSubscription.objects.count() == 1


def test_anonymous_gets_403(world):
    subscription = _subscription(world)
    for method, url, body in _every_call(world, subscription):
        assert getattr(api(), method)(url, body, format="json").status_code == 403


def test_another_establishment_s_webhook_is_missing_under_mine(world):
    theirs, _ = webhook_subscription_create(actor=world.dora, establishment=world.other_site, url=PUBLIC_URL,
                                            events=["shift.filled"])
    url = reverse("api:webhook-deliveries", kwargs={"establishment_id": world.site.pk, "webhook_id": theirs.pk})
    assert api(world.alice).get(url).status_code == 404
    detail = reverse("api:webhook-detail", kwargs={"establishment_id": world.site.pk, "webhook_id": theirs.pk})
    assert api(world.alice).delete(detail).status_code == 404
    assert WebhookSubscription.objects.filter(pk=theirs.pk).exists()


def test_lists_cost_the_same_queries_whatever_their_length(world, django_assert_max_num_queries):
    subscription = _subscription(world)
    url = reverse("api:webhook-deliveries", kwargs={"establishment_id": world.site.pk, "webhook_id": subscription.pk})
    counts = []
    for n, webhooks in ((2, 1), (40, 4)):
        for k in range(n):
            webhook_event_emit(establishment_id=world.site.pk, event=WebhookEvent.SHIFT_FILLED,
                               event_id=webhook_event_id("size", n, k), data={"k": k})
        for k in range(webhooks):
            _subscription(world, url=f"{PUBLIC_URL}/{n}-{k}")
        client = api(world.alice)
        with django_assert_max_num_queries(8) as log:
            assert client.get(url, {"limit": 200}).status_code == 200
            assert client.get(list_url(world.site), {"limit": 200}).status_code == 200
        counts.append(len(log.captured_queries))
    assert counts[0] == counts[1]


def test_the_schema_names_each_operation(client):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    base = "/api/v1/establishments/{establishment_id}/webhooks/"
    assert paths[base]["get"]["operationId"] == "webhooks_list"
    assert paths[base]["post"]["operationId"] == "webhooks_create"
    assert paths[base + "{webhook_id}/"]["delete"]["operationId"] == "webhooks_destroy"
    assert paths[base + "{webhook_id}/deliveries/"]["get"]["operationId"] == "webhook_deliveries_list"
    assert paths[base + "{webhook_id}/enable/"]["post"]["operationId"] == "webhooks_enable"
    assert "400" in paths[base]["post"]["responses"] and "404" in paths[base]["get"]["responses"]
