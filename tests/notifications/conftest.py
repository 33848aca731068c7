"""Fixtures of the notification tests: people, event contexts, a real SMTP server, a fake Brevo API."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from notifications.models import Channel, Delivery
from notifications.services import (
    phone_set,
    phone_verification_confirm,
    phone_verification_start,
    sms_settings_update,
)
from tests.factories import make_user
from tests.notifications.servers import FakeBrevo, SmtpServer

PARIS = ZoneInfo("Europe/Paris")


def with_mobile(user: User, phone: str, *, verified: bool = True) -> User:
    """``user`` with their mobile saved (E.164) and, unless ``verified=False``, verified with the
    code, as the verification page does: only a verified number receives SMS."""
    phone_set(actor=user, phone=phone)
    if verified:
        phone_verification_confirm(actor=user, code=phone_verification_start(actor=user))
    user.refresh_from_db()
    return user


def sms_opt_in(user: User, *, night: bool = False) -> None:
    """What a professional chooses on their profile: urgent offers by SMS (``night``: also at night
    for a shift starting within a few hours)."""
    sms_settings_update(actor=user, phone=user.phone, urgent_sms=True, night_sms=night)


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def daytime():
    """The clock at 11:00 (Paris) today, ticking: outside the SMS quiet hours (21:00–07:00), so a
    test that expects an SMS holds whatever the hour it runs at. Yields that instant."""
    moment = paris(timezone.localdate(), 11)
    with time_machine.travel(moment, tick=True):
        yield moment


@pytest.fixture
def alice(db) -> User:
    """Alice has a verified mobile (06 12 34 56 78)."""
    return with_mobile(make_user("alice@example.org", first_name="Alice"), "06 12 34 56 78")


@pytest.fixture
def charlie(db) -> User:
    return make_user("charlie@example.org", first_name="Charlie")


STARTS = datetime(2026, 12, 3, 8, 0, tzinfo=PARIS)


def sample_context(event: str) -> dict:
    """A plausible context for each event, as the owning apps will pass it."""
    base = {
        "shift": "Infirmier·e de nuit — Urgences",
        "establishment": "CH de Mende",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=12),
        "expires_at": STARTS - timedelta(days=2),
        "url": "/missions/propositions/42/",
        "professional": "Alice Martin",
        "reason": "fermeture temporaire du service",
        "address": "2 avenue du 8 Mai 1945, 48000 Mende",
        "contract": "C-2026-0042",
        "counterparty": "CH de Mende",
        "credential": "Attestation d'assurance RCP",
        "expires_on": date(2026, 12, 31),
        "unit": "Urgences",
        "open_positions": 2,
        "pay": Decimal("648.00"),
        "endpoint": "https://rh.example.org/ville-hopital/evenements",
        "failures": 3,
    }
    return base


def deliveries(user: User, channel: str | None = None):
    qs = Delivery.objects.filter(recipient=user)
    return qs.filter(channel=channel) if channel else qs


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


@pytest.fixture
def brevo(settings):
    fake = FakeBrevo().start()
    settings.SMS_BACKEND = "notifications.sms.BrevoSmsBackend"
    settings.SMS_API_URL = fake.url
    settings.SMS_API_KEY = "xkeysib-test-key"
    settings.SMS_SENDER = "VHopital"
    settings.SMS_TIMEOUT = 5
    yield fake
    fake.stop()


__all__ = ["Channel", "deliveries", "paris", "sample_context", "sms_opt_in", "with_mobile"]
