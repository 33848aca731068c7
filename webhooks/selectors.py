"""Reads about webhooks, each starting from the models' ``for_user`` (admins of the establishment only)."""

from __future__ import annotations

from django.core.paginator import Page
from django.db.models import QuerySet

from establishments.models import Establishment
from ville_hopital.access import ADMIN
from ville_hopital.list_pages import RowGroup, group_by_week
from webhooks.models import WebhookDelivery, WebhookSubscription


def subscriptions_of(*, user, establishment: Establishment) -> QuerySet[WebhookSubscription]:
    """The establishment's subscriptions, oldest first."""
    return WebhookSubscription.objects.for_user(user, ADMIN).filter(establishment=establishment).order_by("created_at", "pk")


def deliveries_of(*, user, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """A subscription's deliveries, newest first (the log of its attempts)."""
    return WebhookDelivery.objects.for_user(user, ADMIN).filter(subscription=subscription).order_by("-created_at", "-pk")


def deliveries_by_week(page: Page) -> list[RowGroup]:
    """A page of the log in weeks (of the delivery's creation), as every dated list."""
    return group_by_week(page, when=lambda delivery: delivery.created_at)
