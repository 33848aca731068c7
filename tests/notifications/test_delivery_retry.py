"""Retries: a real local SMTP server refuses, then accepts; exactly one email arrives.

Also: permanent failures stop at once and show in admin; an interrupted send is never repeated
automatically; the admin "retry" action re-sends failed deliveries only.
"""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Channel, Delivery, DeliveryState
from notifications.services import INTERRUPTED, MAX_ATTEMPTS, deliveries_requeue, delivery_attempt, notify
from notifications.services import retry_delay_seconds as backoff_seconds
from notifications.tasks import deliver
from tests.notifications.conftest import deliveries, sample_context
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


def _email_only(user):
    from notifications.services import Preference, preferences_update

    preferences_update(actor=user, language="fr", choices={"mission.cancelled": Preference(True, False, False)})


def _notify(user, key="mission:7:cancelled"):
    return notify(recipient=user, event="mission.cancelled", context=sample_context("mission.cancelled"),
                  dedupe_key=key)


def test_a_retry_after_an_smtp_451_sends_exactly_once(alice, smtp_settings, django_capture_on_commit_callbacks):
    smtp = smtp_settings
    smtp.refusals = ["451 4.3.0 Mail server temporarily rejected message, try again later"]
    _email_only(alice)
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify(alice)

    delivery = deliveries(alice, Channel.EMAIL).get()
    assert smtp.transactions == 2  # refused once, accepted on the retry
    assert len(smtp.messages) == 1
    [mail] = smtp.messages
    assert mail.rcpt_to == ["<alice@example.org>"]
    assert str(make_header(decode_header(mail.message["Subject"]))).startswith("Mission annulée : ")
    assert "est annulée" in mail.text and "Motif : fermeture temporaire du service" in mail.text
    assert mail.message["Message-ID"].strip() == delivery.provider_reference
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    assert delivery.last_error == ""

    # Running the task again (a duplicate message, a re-run) never sends twice.
    assert deliver.delay(delivery.pk).get() == "skipped"
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(alice) is None
    assert len(smtp.messages) == 1 and notification.deliveries.count() == 1


def test_a_closed_port_is_transient_too(alice, settings, smtp_server, django_capture_on_commit_callbacks):
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    _email_only(alice)
    _notify(alice)
    delivery = deliveries(alice).get()
    result = delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert result.outcome == "retry"
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert "SMTP unreachable" in delivery.last_error

    settings.EMAIL_PORT = smtp_server.port  # the server is back
    assert delivery_attempt(delivery_id=delivery.pk).outcome == "sent"
    assert delivery_attempt(delivery_id=delivery.pk).outcome == "skipped"
    assert len(smtp_server.messages) == 1


def test_a_permanent_refusal_fails_at_once_and_is_kept_for_admin(alice, smtp_settings,
                                                                 django_capture_on_commit_callbacks):
    smtp_settings.refusals = ["550 5.1.1 mailbox unavailable"]
    _email_only(alice)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice)
    delivery = deliveries(alice).get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert "550" in delivery.last_error
    assert smtp_settings.messages == []


def test_transient_errors_stop_after_max_attempts(alice, smtp_settings, django_capture_on_commit_callbacks):
    smtp_settings.refusals = ["421 4.7.0 try later"] * (MAX_ATTEMPTS + 3)
    _email_only(alice)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice)
    delivery = deliveries(alice).get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, MAX_ATTEMPTS)
    assert smtp_settings.transactions == MAX_ATTEMPTS and smtp_settings.messages == []


def test_backoff_grows_exponentially_and_is_capped():
    assert 30 <= backoff_seconds(1) <= 33
    assert 60 <= backoff_seconds(2) <= 66
    assert 240 <= backoff_seconds(4) <= 264
    assert 3600 <= backoff_seconds(20) <= 3960


def test_an_interrupted_send_is_never_repeated_automatically(alice, smtp_settings):
    _email_only(alice)
    _notify(alice)  # no on_commit run: the delivery stays pending
    delivery = deliveries(alice).get()
    # A worker took it (state "sending", lease running) and is still at it: another attempt steps aside.
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, attempts=1, lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert delivery_attempt(delivery_id=delivery.pk).outcome == "skipped"
    # The worker died: the lease ran out, the outcome is unknown. Failed, shown in admin, not re-sent.
    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert delivery_attempt(delivery_id=delivery.pk).outcome == "failed"
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.last_error == INTERRUPTED
    assert smtp_settings.transactions == 0


def test_admin_lists_failures_and_retries_failed_deliveries_only(
    alice, admin_client, smtp_settings, django_capture_on_commit_callbacks
):
    smtp_settings.refusals = ["554 5.7.1 rejected"]
    _email_only(alice)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice, "mission:1:cancelled")
        _notify(alice, "mission:2:cancelled")
    failed, sent = (deliveries(alice).get(notification__dedupe_key=f"mission:{n}:cancelled") for n in (1, 2))
    assert (failed.state, sent.state) == (DeliveryState.FAILED, DeliveryState.SENT)

    changelist = reverse("admin:notifications_delivery_changelist")
    page = admin_client.get(changelist, {"state__exact": "failed", "channel__exact": "email"})
    assert page.status_code == 200
    body = page.content.decode()
    assert failed.idempotency_key in body and sent.idempotency_key not in body
    assert "554" in body

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(changelist, {"action": "retry", "_selected_action": [failed.pk, sent.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.state == DeliveryState.SENT and failed.attempts == 2
    assert sent.attempts == 1  # a sent delivery is never sent again
    assert len(smtp_settings.messages) == 2
    assert AuditEvent.objects.filter(action="notification_delivery.retry", target_id=str(failed.pk)).count() == 1


def test_a_lost_queue_message_is_picked_up_by_the_requeue_scan(alice, smtp_settings):
    _email_only(alice)
    _notify(alice)  # its on_commit never runs: as if the broker had been down when the caller committed
    delivery = deliveries(alice).get()
    assert deliveries_requeue() == 0  # due, but its task may still be on the way: wait the grace period
    later = timezone.now() + timedelta(minutes=6)
    assert deliveries_requeue(now=later) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 1)
    assert deliveries_requeue(now=later) == 0
    assert len(smtp_settings.messages) == 1


def test_the_requeue_scan_keeps_the_backoff_and_surfaces_dead_workers(alice, smtp_settings):
    _email_only(alice)
    _notify(alice, "mission:1:cancelled")
    _notify(alice, "mission:2:cancelled")
    waiting, dead = (deliveries(alice).get(notification__dedupe_key=f"mission:{n}:cancelled") for n in (1, 2))
    now = timezone.now()
    Delivery.objects.filter(pk=waiting.pk).update(attempts=2, next_attempt_at=now + timedelta(minutes=10))
    Delivery.objects.filter(pk=dead.pk).update(state=DeliveryState.SENDING, attempts=1,
                                               lease_until=now - timedelta(seconds=1))
    assert deliveries_requeue(now=now + timedelta(minutes=6)) == 1
    waiting.refresh_from_db()
    dead.refresh_from_db()
    assert (waiting.state, waiting.attempts) == (DeliveryState.PENDING, 2)
    assert (dead.state, dead.last_error) == (DeliveryState.FAILED, INTERRUPTED)
    assert smtp_settings.transactions == 0


def test_a_transient_failure_schedules_the_next_attempt_after_the_backoff(alice, settings, smtp_settings):
    smtp_settings.refusals = ["451 4.3.0 later"]
    _email_only(alice)
    _notify(alice)
    delivery = deliveries(alice).get()
    before = timezone.now()
    result = delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert result.outcome == "retry" and 30 <= result.retry_in <= 33
    assert delivery.state == DeliveryState.PENDING
    assert before + timedelta(seconds=30) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=33)
