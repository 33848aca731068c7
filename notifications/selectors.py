"""Reads of the notification centre, always scoped to the person asking."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.events import BOTH, ESTABLISHMENT, EVENTS, PROFESSIONAL, Event
from notifications.models import Notification
from ville_hopital.mixins import is_establishment_member, is_professional


def notifications_for(user) -> QuerySet[Notification]:
    # ``language`` and ``context``: what ``rendering.localise`` needs to show them in the reader's language.
    return Notification.objects.for_user(user).only(
        "pk", "event", "subject", "body", "url", "urgent", "created_at", "read_at", "digest_state",
        "language", "context",
    )


def unread_count(user) -> int:
    return Notification.objects.for_user(user).unread().count()


def events_for(user) -> list[Event]:
    """The events a person's preferences page lists: those of their roles (all, for a person with none yet)."""
    audiences = set()
    if is_professional(user):
        audiences.add(PROFESSIONAL)
    if is_establishment_member(user):
        audiences.add(ESTABLISHMENT)
    audiences = audiences or set(BOTH)
    return [event for event in EVENTS.values() if audiences & set(event.audience)]
