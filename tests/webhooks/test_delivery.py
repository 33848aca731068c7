"""Deliveries to a real HTTPS server: signed as documented, retried with exponential backoff (the
clock moved with time-machine, each attempt run by the task itself), a subscription that keeps
failing disabled and its admins told, the URL checked again at each delivery."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications.models import Notification
from tests.webhooks.receiver import verify
from ville_hopital.models import AuditEvent
from webhooks import tasks
from webhooks.models import DeliveryState, SubscriptionState, WebhookDelivery, WebhookEvent
from webhooks.services import (
    MAX_ATTEMPTS,
    WEBHOOK_DISABLE_AFTER,
    retry_delay,
    webhook_deliveries_requeue,
    webhook_event_emit,
    webhook_event_id,
    webhook_subscription_create,
)

pytestmark = pytest.mark.django_db

EVENT = WebhookEvent.MISSION_CANCELLED


def _subscribe(world, url, events=(EVENT,)):
    return webhook_subscription_create(actor=world.alice, establishment=world.site, url=url, events=list(events))


def _emit(world, n: int, capture) -> WebhookDelivery:
    """Event ``n`` happens; its delivery is queued once the transaction commits (and runs at once:
    Celery is eager in the tests)."""
    with capture(execute=True):
        webhook_event_emit(establishment_id=world.site.pk, event=EVENT, event_id=webhook_event_id(EVENT, n),
                           data={"mission": {"id": n}})
    return WebhookDelivery.objects.get(event_id=webhook_event_id(EVENT, n))


def test_a_delivery_is_signed_as_documented(world, receiver, django_capture_on_commit_callbacks):
    subscription, secret = _subscribe(world, receiver.url)
    delivery = _emit(world, 1, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.attempts == 1 and delivery.last_status_code == 200
    [request] = receiver.received
    assert request.path == "/ville-hopital/evenements"
    assert verify(secret=secret, headers=request.headers, body=request.body)
    assert request.headers["X-VH-Event"] == "mission.cancelled"
    assert request.headers["X-VH-Delivery"] == str(delivery.pk)
    assert request.headers["X-VH-Signature"].startswith("v1=")
    payload = json.loads(request.body)
    assert payload["id"] == str(webhook_event_id(EVENT, 1)) and payload["event"] == "mission.cancelled"
    assert payload["establishment"] == world.site.pk and payload["data"] == {"mission": {"id": 1}}
    # What a receiver must refuse: another secret, a body changed on the way, an old (replayed) request.
    assert not verify(secret=secret + "x", headers=request.headers, body=request.body)
    assert not verify(secret=secret, headers=request.headers, body=request.body.replace(b"1", b"2"))
    replayed_at = int(request.headers["X-VH-Timestamp"]) + 301
    assert not verify(secret=secret, headers=request.headers, body=request.body, now=replayed_at)
    assert subscription.secret == secret  # kept: the platform signs with it


def test_two_failures_then_success_on_the_third_attempt_with_backoff(world, receiver, django_capture_on_commit_callbacks):
    receiver.script = [500, 500]
    subscription, secret = _subscribe(world, receiver.url)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        delivery = _emit(world, 2, django_capture_on_commit_callbacks)
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts, delivery.last_status_code) == (DeliveryState.FAILED, 1, 500)
        assert delivery.next_attempt_at == start + timedelta(minutes=1)
        assert "HTTP 500" in delivery.last_error
        # The retry's own task, queued with its countdown, ran at once (eager): not due, it did nothing.
        assert len(receiver.received) == 1
        clock.shift(timedelta(seconds=57))
        assert tasks.deliver(delivery.pk) == "skipped"  # 3 s early (2 s are tolerated: clocks differ)
        clock.shift(timedelta(seconds=3))
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.deliver(delivery.pk) == "retry"
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 2)
        assert delivery.next_attempt_at == start + timedelta(minutes=3)  # 1 then 2 minutes
        clock.shift(timedelta(minutes=2))
        assert tasks.deliver(delivery.pk) == "succeeded"
        assert tasks.deliver(delivery.pk) == "skipped"  # a repeated message sends nothing more
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryState.SUCCEEDED, 3, 200, "")
    stamps = [int(r.headers["X-VH-Timestamp"]) for r in receiver.received]
    assert [b - a for a, b in itertools.pairwise(stamps)] == [60, 120]
    assert all(verify(secret=secret, headers=r.headers, body=r.body, now=stamp)
               for r, stamp in zip(receiver.received, stamps, strict=True))
    assert len({r.headers["X-VH-Delivery"] for r in receiver.received}) == 1  # the same delivery each time
    trail = list(AuditEvent.objects.filter(target_id=str(delivery.pk), action__startswith="webhook_delivery.")
                 .order_by("pk").values_list("to_state", flat=True))
    assert trail == ["failed", "failed", "succeeded"]
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0 and subscription.state == SubscriptionState.ACTIVE


def test_backoff_doubles_from_one_minute_and_stops_at_an_hour():
    assert [retry_delay(n).total_seconds() / 60 for n in range(1, MAX_ATTEMPTS)] == [1, 2, 4, 8, 16, 32, 60]


def _run_until_finished(clock, delivery: WebhookDelivery) -> None:
    """Every attempt of ``delivery``, each when it is due."""
    for _ in range(MAX_ATTEMPTS):
        delivery.refresh_from_db()
        if delivery.state not in (DeliveryState.PENDING, DeliveryState.FAILED):
            return
        clock.move_to(delivery.next_attempt_at)
        tasks.deliver(delivery.pk)


def test_a_subscription_that_keeps_failing_is_disabled_and_its_admins_told(
    world, receiver, django_capture_on_commit_callbacks
):
    receiver.then = 503
    subscription, _ = _subscribe(world, receiver.url)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(WEBHOOK_DISABLE_AFTER):
            delivery = _emit(world, 100 + n, django_capture_on_commit_callbacks)
            with django_capture_on_commit_callbacks(execute=True):
                _run_until_finished(clock, delivery)
            delivery.refresh_from_db()
            assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
                DeliveryState.GIVEN_UP, MAX_ATTEMPTS, 503)
            subscription.refresh_from_db()
            assert subscription.consecutive_failures == n + 1
            expected = SubscriptionState.DISABLED if n + 1 == WEBHOOK_DISABLE_AFTER else SubscriptionState.ACTIVE
            assert subscription.state == expected
    assert len(receiver.received) == WEBHOOK_DISABLE_AFTER * MAX_ATTEMPTS
    assert subscription.disabled_at is not None and subscription.disabled_reason.endswith("tentatives : 3.")
    [told] = Notification.objects.filter(event="webhook.disabled")
    assert told.recipient == world.alice  # the admin; not HR, not the viewer
    assert subscription.url in told.subject and told.url == f"/etablissement/{world.site.pk}/webhooks/"
    # Disabled: a new event is not delivered to it any more.
    assert webhook_event_emit(establishment_id=world.site.pk, event=EVENT, event_id=webhook_event_id(EVENT, 999),
                              data={}) == 0


def test_one_success_resets_the_count_of_failures(world, receiver, django_capture_on_commit_callbacks):
    receiver.then = 500
    subscription, _ = _subscribe(world, receiver.url)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(WEBHOOK_DISABLE_AFTER - 1):
            delivery = _emit(world, 200 + n, django_capture_on_commit_callbacks)
            with django_capture_on_commit_callbacks(execute=True):
                _run_until_finished(clock, delivery)
        receiver.then = 204
        _emit(world, 300, django_capture_on_commit_callbacks)
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0 and subscription.state == SubscriptionState.ACTIVE


def test_the_url_is_checked_again_at_delivery(world, receiver, settings, django_capture_on_commit_callbacks):
    """The name's address is checked before each attempt (DNS rebinding): a URL that became private
    (here the loopback, no longer allowed) is not called, and the attempt counts as failed."""
    _subscribe(world, receiver.url)
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    delivery = _emit(world, 3, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.last_status_code is None
    assert "adresse privée, locale ou réservée" in delivery.last_error
    assert receiver.received == []


def test_a_certificate_the_platform_does_not_trust_is_a_failure(world, receiver, settings,
                                                              django_capture_on_commit_callbacks):
    _subscribe(world, receiver.url)
    settings.WEBHOOK_CA_BUNDLE = ""  # the system's CAs: the receiver's self-signed certificate is unknown
    delivery = _emit(world, 4, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
    assert receiver.received == []


def test_emitting_the_same_event_twice_delivers_it_once(world, receiver, django_capture_on_commit_callbacks):
    _subscribe(world, receiver.url)
    _emit(world, 5, django_capture_on_commit_callbacks)
    _emit(world, 5, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.count() == 1 and len(receiver.received) == 1


def test_the_safety_net_queues_an_overdue_delivery(world, receiver, django_capture_on_commit_callbacks):
    """A retry whose countdown was lost (a broker restart) is sent by the periodic requeue."""
    receiver.script = [500]
    _subscribe(world, receiver.url)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        delivery = _emit(world, 6, django_capture_on_commit_callbacks)
        assert webhook_deliveries_requeue() == 0  # not overdue yet
        clock.shift(timedelta(minutes=4))
        assert webhook_deliveries_requeue() == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.attempts == 2


def test_a_public_address_is_not_called_while_deliveries_stay_on_the_loopback(world, django_capture_on_commit_callbacks):
    """Every test runs with ``WEBHOOK_LOOPBACK_ONLY`` (tests/conftest.py): a subscription to a public
    address (accepted, as in the security world) gets a failed attempt saying why, and no
    connection leaves the machine."""
    _subscribe(world, "https://93.184.216.34/ville-hopital")
    delivery = _emit(world, 9, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.last_status_code is None
    assert "WEBHOOK_LOOPBACK_ONLY" in delivery.last_error
