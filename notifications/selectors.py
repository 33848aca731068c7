"""Reads of the notification centre, always scoped to the person asking."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from notifications.events import BOTH, ESTABLISHMENT, EVENTS, PROFESSIONAL, Event
from notifications.models import Notification, NotificationSettings, PhoneVerification
from notifications.phones import mobile_display
from ville_hopital.list_pages import RowGroup, group_by_week
from ville_hopital.mixins import is_professional


def notifications_for(user) -> QuerySet[Notification]:
    # ``language`` and ``context``: what ``rendering.localise`` needs to show them in the reader's language.
    return Notification.objects.for_user(user).only(
        "pk", "event", "subject", "body", "url", "urgent", "created_at", "read_at", "digest_state",
        "language", "context",
    )


def notifications_by_week(page: Iterable[Notification]) -> list[RowGroup[Notification]]:
    """A page of the centre (newest first) in weeks of arrival (« Cette semaine », « La semaine dernière »…)."""
    return group_by_week(page, when=lambda notification: notification.created_at)


def unread_count(user) -> int:
    return Notification.objects.for_user(user).unread().count()


def events_for(user) -> list[Event]:
    """The events a person's preferences page lists: those of their roles (all, for a person with none yet)."""
    audiences = set()
    if is_professional(user):
        audiences.add(PROFESSIONAL)
    # Not an access decision (which toggles the page lists), and this app sits below establishments
    # (import layers), so it cannot ask Establishment.objects.for_user: the reverse relation suffices.
    if user.memberships.exists():
        audiences.add(ESTABLISHMENT)
    audiences = audiences or set(BOTH)
    return [event for event in EVENTS.values() if audiences & set(event.audience)]


@dataclass(frozen=True)
class SmsChoice:
    number: str  # the verified E.164 number; "" when the account has none, or has not verified it
    urgent_sms: bool
    night_sms: bool
    phone: str = ""  # the number on the account, verified or not

    @property
    def phone_display(self) -> str:
        return mobile_display(self.phone)


def sms_choice_for(user) -> SmsChoice:
    """The person's SMS choices; ``number`` is their mobile only once a code confirmed it."""
    row = NotificationSettings.objects.filter(user=user).first()
    phone = user.phone or ""
    if row is None:
        return SmsChoice(number="", urgent_sms=False, night_sms=False, phone=phone)
    verified = phone if phone and row.phone_verified == phone else ""
    return SmsChoice(number=verified, urgent_sms=row.urgent_sms, night_sms=row.night_sms, phone=phone)


@dataclass(frozen=True)
class PhoneStatus:
    sms: SmsChoice
    code_pending: bool  # a code was sent for the current number and has not expired
    locked_until: datetime | None


def phone_status(user) -> PhoneStatus:
    """What the mobile page shows: the number, whether it is verified, a code waiting, a lock."""
    now = timezone.now()
    row = PhoneVerification.objects.filter(user=user).first()
    pending = bool(row and row.code_hash and row.phone == user.phone and row.expires_at and row.expires_at > now)
    locked = row.locked_until if row and row.locked_until and row.locked_until > now else None
    return PhoneStatus(sms=sms_choice_for(user), code_pending=pending, locked_until=locked)
