"""The Brevo SMS backend against a local fake of Brevo's API (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import io

import pytest

from notifications.errors import PermanentSendError
from notifications.models import Channel, DeliveryState
from notifications.services import Preference, notify, preferences_update
from notifications.sms import BrevoSmsBackend, ConsoleSmsBackend, phone_to_msisdn
from tests.notifications.conftest import deliveries, sample_context

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]  # SMS leave in the day only


def _sms_only(user, event="mission.cancelled"):
    preferences_update(actor=user, language="fr", choices={event: Preference(email=False, sms=True, digest=False)})


def _notify(user, key="mission:7:cancelled"):
    return notify(recipient=user, event="mission.cancelled", context=sample_context("mission.cancelled"),
                  dedupe_key=key)


def test_the_request_follows_brevos_transactional_sms_api(alice, brevo, django_capture_on_commit_callbacks):
    _sms_only(alice)
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify(alice)
    [request] = brevo.requests
    assert request.method == "POST" and request.path == "/v3/transactionalSMS/sms"
    assert request.headers["api-key"] == "xkeysib-test-key"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.body == {
        "type": "transactional",
        "sender": "VHopital",
        "recipient": "33612345678",
        "content": notification.sms_text,
        "tag": "mission.cancelled",
        "unicodeEnabled": True,  # "É", "·", "—": not GSM 7-bit
    }
    assert notification.sms_text.startswith("Ville-Hôpital : mission ANNULÉE, Infirmier·e de nuit — Urgences")
    delivery = deliveries(alice, Channel.SMS).get()
    assert (delivery.state, delivery.attempts, delivery.provider_reference) == (
        DeliveryState.SENT, 1, "1511882900176220")


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_5xx_or_429_is_retried_and_sends_once(alice, brevo, status, django_capture_on_commit_callbacks):
    brevo.statuses = [status]
    _sms_only(alice)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice)
    assert len(brevo.requests) == 2
    assert brevo.requests[0].body == brevo.requests[1].body
    delivery = deliveries(alice, Channel.SMS).get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)


@pytest.mark.parametrize("status", [400, 401, 402])
def test_a_4xx_fails_at_once_with_brevos_message(alice, brevo, status, django_capture_on_commit_callbacks):
    brevo.statuses = [status]
    _sms_only(alice)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice)
    assert len(brevo.requests) == 1
    delivery = deliveries(alice, Channel.SMS).get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert delivery.last_error == f"Brevo HTTP {status}: invalid_parameter Invalid phone number"


def test_an_unreachable_provider_is_transient(alice, settings, django_capture_on_commit_callbacks):
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings.SMS_BACKEND = "notifications.sms.BrevoSmsBackend"
    settings.SMS_API_URL = f"http://127.0.0.1:{port}/v3/transactionalSMS/sms"
    settings.SMS_API_KEY = "k"
    _sms_only(alice)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(alice)
    delivery = deliveries(alice, Channel.SMS).get()
    assert delivery.state == DeliveryState.FAILED  # every eager attempt found the port closed
    assert "Brevo unreachable" in delivery.last_error
    assert delivery.attempts == 6


def test_a_number_never_verified_gets_no_sms(brevo, django_capture_on_commit_callbacks):
    """A number on the account that no code confirmed (typed in the admin, or from before
    verification existed) is never texted: no delivery is even created."""
    from tests.factories import make_user

    bob = make_user("bob@example.org", phone="12")
    _sms_only(bob)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(bob)
    assert brevo.requests == []
    assert not deliveries(bob, Channel.SMS).exists()


def test_a_backend_refuses_what_cannot_be_a_mobile_number(brevo):
    with pytest.raises(PermanentSendError, match="not a mobile phone number"):
        BrevoSmsBackend().send(to="12", body="x", reference="ref")
    assert brevo.requests == []


@pytest.mark.parametrize(("raw", "msisdn"), [
    ("06 12 34 56 78", "33612345678"),
    ("06.12.34.56.78", "33612345678"),
    ("+33 6 12 34 56 78", "33612345678"),
    ("0033612345678", "33612345678"),
    ("+262 692 12 34 56", "262692123456"),
    ("+44 7700 900123", "447700900123"),
])
def test_phone_numbers_become_msisdn(raw, msisdn):
    assert phone_to_msisdn(raw) == msisdn


@pytest.mark.parametrize("raw", ["", "12", "0612", "06 12 34 56 78 90 12 34 56", "abc"])
def test_impossible_numbers_are_refused(raw):
    with pytest.raises(PermanentSendError):
        phone_to_msisdn(raw)


def test_the_console_backend_prints_the_sms():
    stream = io.StringIO()
    reference = ConsoleSmsBackend(stream=stream).send(to="0612345678", body="Bonjour", reference="1:k:sms", tag="t")
    assert reference == "console:1:k:sms"
    assert stream.getvalue().startswith("SMS to +33612345678 [t] (1:k:sms):\nBonjour\n")
