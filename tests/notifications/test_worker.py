"""A real Celery worker (subprocess, Redis broker, the test database) delivers a notification by SMTP.

The local SMTP server refuses the first attempt (451): the worker's retry goes through Celery's own
countdown (NOTIFICATIONS_RETRY_BASE_SECONDS=1 here) and exactly one email arrives.
"""

from __future__ import annotations

import pytest

from notifications.models import DeliveryState, Notification
from notifications.services import Preference, notify, preferences_update
from tests.factories import make_user
from tests.notifications.conftest import deliveries, sample_context


@pytest.fixture
def worker_with_smtp(transactional_db, request, monkeypatch, smtp_server):
    monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{smtp_server.port}")
    monkeypatch.setenv("NOTIFICATIONS_RETRY_BASE_SECONDS", "1")
    monkeypatch.setenv("SMS_BACKEND", "notifications.sms.ConsoleSmsBackend")
    return request.getfixturevalue("celery_worker_process")  # started with the environment above


@pytest.mark.celery_worker
def test_a_real_worker_delivers_a_notification_once_after_a_refusal(worker_with_smtp, smtp_server):
    smtp_server.refusals = ["451 4.7.1 greylisted, try again later"]
    nina = make_user("nina@example.org", first_name="Nina")
    preferences_update(actor=nina, language="fr", choices={"mission.booked": Preference(True, False, False)})

    notification = notify(recipient=nina, event="mission.booked", context=sample_context("mission.booked"),
                          dedupe_key="mission:77:booked")  # autocommit: queued to Redis at once
    assert isinstance(notification, Notification)
    delivery = deliveries(nina).get()

    def sent() -> bool:
        delivery.refresh_from_db()
        return delivery.state == DeliveryState.SENT

    assert worker_with_smtp(sent, timeout=90)
    assert (delivery.attempts, smtp_server.transactions, len(smtp_server.messages)) == (2, 2, 1)
    [mail] = smtp_server.messages
    assert mail.rcpt_to == ["<nina@example.org>"]
    assert "Bonjour Nina," in mail.text and "est réservée pour Alice Martin" in mail.text

    # The same event again: deduplicated, nothing queued, still one email.
    assert notify(recipient=nina, event="mission.booked", context=sample_context("mission.booked"),
                  dedupe_key="mission:77:booked") is None
    assert len(smtp_server.messages) == 1
