"""Writes about webhooks: subscriptions (an establishment admin's), events emitted, deliveries.

- ``webhook_subscription_create`` / ``_delete`` / ``_enable``: the admin's actions (page and API).
- ``webhook_event_emit``: called by the services where an event happens (``missions``), inside
  their transaction: one delivery row per active subscription to the event (an outbox: written with
  the change, gone with it if it rolls back), its task queued once the transaction commits. The
  event id makes it idempotent: emitting the same event again delivers nothing more.
- ``webhook_delivery_attempt``: one attempt (the task ``webhooks.tasks.deliver``). Success is a 2xx
  answer within ``WEBHOOK_TIMEOUT_SECONDS``. A failure plans the next attempt after 1, 2, 4, 8, 16,
  32 then 60 minutes (``retry_delay``) — Celery's countdown — up to ``MAX_ATTEMPTS`` attempts
  (about two hours), then the delivery is given up. ``WEBHOOK_DISABLE_AFTER`` deliveries given up in
  a row, with no success between them, disable the subscription and tell its establishment's admins
  (notification ``webhook.disabled``).
- ``webhook_deliveries_requeue``: the periodic safety net (a countdown lost with a broker restart,
  a worker that died mid-attempt; in the embedded set-up, where Celery runs eagerly and a countdown
  is not waited for, it is what runs the retries).

Deliveries are at least once: a receiver recognises a repeat by ``X-VH-Delivery`` or the payload's ``id``.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from establishments.access import establishment_require
from establishments.models import Establishment, MemberRole
from notifications.services import notify
from ville_hopital.access import ADMIN
from ville_hopital.audit import audit_record
from ville_hopital.task_queue import task_queue_each, task_queue_on_commit
from ville_hopital.transitions import transition
from webhooks.models import (
    OPEN_DELIVERY_STATES,
    DeliveryState,
    SubscriptionState,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from webhooks.signing import body_bytes, secret_new, signed_headers
from webhooks.transport import PostResult, https_post, tls_context
from webhooks.url_safety import webhook_url_resolve

logger = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.tasks.deliver"
#: Attempts of one delivery before it is given up: 8, over about two hours (1+2+4+8+16+32+60 min).
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
#: Deliveries given up in a row (no success between them) that disable a subscription: with
#: ``MAX_ATTEMPTS`` each, a receiver failing for two hours on three events — not a short outage.
WEBHOOK_DISABLE_AFTER = 3
#: An attempt holds its delivery this long (connect + TLS + answer take at most a few timeouts).
ATTEMPT_LEASE = timedelta(minutes=2)
#: A copy of the task arriving this early (clocks of the worker and the database) still counts as due.
DUE_TOLERANCE = timedelta(seconds=2)
#: The safety net queues a due delivery again only when its countdown should have run by then.
REQUEUE_GRACE = timedelta(minutes=2)
#: Subscriptions one establishment may have.
MAX_SUBSCRIPTIONS = 10
#: UUIDv5 namespace of event ids: an event's id is a function of what happened (``webhook_event_id``).
EVENT_NAMESPACE = uuid.UUID("5d0c1c8e-2f7b-4f39-9a53-0b8f1f6e7c21")


def webhook_event_id(event: str, *keys: object) -> uuid.UUID:
    """The id of ``event`` about ``keys`` (``("shift.filled", shift.pk, mission.pk)``): the same
    happening always gets the same id, which is what makes emitting it twice harmless."""
    return uuid.uuid5(EVENT_NAMESPACE, ":".join([event, *map(str, keys)]))


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, 8, 16, 32 minutes, then one hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


# --- Subscriptions ------------------------------------------------------------------------------


def _require_admin(actor, establishment: Establishment) -> None:
    establishment_require(actor, establishment, ADMIN,
                          _("Seul un administrateur de l'établissement peut gérer ses webhooks."))


def _clean_events(events: list[str]) -> list[str]:
    unknown = [code for code in events if code not in WebhookEvent.values]
    if unknown:
        raise ValidationError({"events": _("Événement inconnu : %(codes)s.") % {"codes": ", ".join(map(str, unknown))}})
    if not events:
        raise ValidationError({"events": _("Choisissez au moins un événement.")})
    return [code for code in WebhookEvent.values if code in events]  # the list's own order, once each


@transaction.atomic
def webhook_subscription_create(
    *, actor, establishment: Establishment, url: str, events: list[str]
) -> tuple[WebhookSubscription, str]:
    """``actor`` (an admin of ``establishment``) subscribes ``url`` to ``events``. Returns the
    subscription and its signing secret, which is shown this once.

    Refused (``ValidationError`` naming ``url`` or ``events``, nothing written): a URL that is not
    HTTPS or whose host resolves to a private, loopback, link-local, multicast or reserved address
    (``url_safety``); no event, or an unknown one; more than ``MAX_SUBSCRIPTIONS``.
    """
    _require_admin(actor, establishment)
    url = (url or "").strip()
    events = _clean_events(list(events or []))
    webhook_url_resolve(url)
    # Locks the establishment's row: two requests at once cannot both pass the cap.
    Establishment.objects.select_for_update().filter(pk=establishment.pk).first()
    if WebhookSubscription.objects.filter(establishment=establishment).count() >= MAX_SUBSCRIPTIONS:
        raise ValidationError({NON_FIELD_ERRORS: _("Un établissement a au plus %(max)d webhooks.")
                               % {"max": MAX_SUBSCRIPTIONS}})
    secret = secret_new()
    subscription = WebhookSubscription(
        establishment=establishment, url=url, events=events, secret=secret, created_by=actor,
    )
    subscription.full_clean()
    subscription.save()
    audit_record(actor=actor, action="webhook.create", target=subscription,
                 data={"establishment": establishment.pk, "url": url, "events": events})
    return subscription, secret


@transaction.atomic
def webhook_subscription_delete(*, actor, subscription: WebhookSubscription) -> None:
    """An admin removes a subscription, with its deliveries' log (the trail keeps who did it)."""
    _require_admin(actor, subscription.establishment)
    audit_record(actor=actor, action="webhook.delete", target=subscription,
                 data={"establishment": subscription.establishment_id, "url": subscription.url})
    subscription.delete()


@transaction.atomic
def webhook_subscription_enable(*, actor, subscription: WebhookSubscription) -> WebhookSubscription:
    """An admin turns a disabled subscription back on (its URL is checked again): the count of
    failures starts from zero. Deliveries given up meanwhile stay given up."""
    _require_admin(actor, subscription.establishment)
    webhook_url_resolve(subscription.url)
    subscription.consecutive_failures = 0
    subscription.disabled_at = None
    subscription.disabled_reason = ""
    transition(subscription, to_state=SubscriptionState.ACTIVE, actor=actor, action="webhook.enable",
               update_fields=["consecutive_failures", "disabled_at", "disabled_reason"])
    return subscription


# --- Emitting -------------------------------------------------------------------------------


def _envelope(*, event: str, event_id: uuid.UUID, establishment_id: int, occurred_at: datetime,
              data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(event_id), "event": event, "occurred_at": timezone.localtime(occurred_at).isoformat(),
        "establishment": establishment_id, "data": data,
    }


@transaction.atomic
def webhook_event_emit(
    *, establishment_id: int, event: str, event_id: uuid.UUID, data: dict[str, Any],
    occurred_at: datetime | None = None,
) -> int:
    """``event`` happened at ``establishment_id``: a delivery for each of its active subscriptions
    to it, sent once the caller's transaction commits. Idempotent per (subscription, ``event_id``).
    ``data`` holds plain JSON values (ids, ISO dates, decimal strings). Returns how many deliveries
    were created."""
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    subscriptions = [
        s for s in WebhookSubscription.objects.active().filter(establishment_id=establishment_id).order_by("pk")
        if event in s.events
    ]
    if not subscriptions:
        return 0
    payload = _envelope(event=event, event_id=event_id, establishment_id=establishment_id,
                        occurred_at=occurred_at or timezone.now(), data=data)
    created = 0
    for subscription in subscriptions:
        delivery, new = WebhookDelivery.objects.get_or_create(
            subscription=subscription, event_id=event_id, defaults={"event": event, "payload": payload},
        )
        if new:
            created += 1
            task_queue_on_commit(DELIVER_TASK, delivery.pk)
    return created


# --- Delivering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    outcome: str  # "succeeded", "retry", "given_up" or "skipped"
    attempts: int = 0
    status_code: int | None = None
    retry_in: timedelta | None = None
    detail: str = ""


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Under the row lock: the delivery if it is open, due and held by no other attempt; the attempt
    is counted and a lease taken (committed before anything is sent). Else None."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",)).select_related("subscription")
            .filter(pk=delivery_id, state__in=OPEN_DELIVERY_STATES, next_attempt_at__lte=now + DUE_TOLERANCE)
            .filter(models.Q(lease_until__isnull=True) | models.Q(lease_until__lt=now))
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.lease_until = now + ATTEMPT_LEASE
        delivery.save(update_fields=["attempts", "last_attempt_at", "lease_until"])
    return delivery


def _post(delivery: WebhookDelivery, now: datetime) -> PostResult:
    """Check the URL again (a host re-pointed since: DNS rebinding), then POST the signed payload."""
    subscription = delivery.subscription
    try:
        host, port, address = webhook_url_resolve(subscription.url)
    except ValidationError as error:
        return PostResult(None, " ".join(error.message_dict.get("url", [])) or str(error))
    if settings.WEBHOOK_LOOPBACK_ONLY and not ipaddress.ip_address(address).is_loopback:
        return PostResult(None, _("Cette instance ne livre qu'à la boucle locale (WEBHOOK_LOOPBACK_ONLY)."))
    parts = urlsplit(subscription.url.strip())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = body_bytes(delivery.payload)
    headers = signed_headers(secret=subscription.secret, timestamp=int(now.timestamp()), body=body,
                             event=delivery.event, delivery_id=delivery.pk)
    return https_post(host=host, port=port, address=address, path=path, body=body, headers=headers,
                      timeout=settings.WEBHOOK_TIMEOUT_SECONDS, context=tls_context(settings.WEBHOOK_CA_BUNDLE))


def webhook_delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """One attempt at a delivery (the task ``deliver``): nothing when it is finished, not due yet
    (an early copy of the task) or being attempted elsewhere. The HTTP request runs outside any
    transaction: no row lock is held while a receiver takes its time."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return AttemptOutcome("skipped")
    if not delivery.subscription.is_active:
        result = PostResult(None, _("Webhook désactivé : livraison abandonnée."))
        return _record(delivery_id=delivery.pk, result=result, give_up=True)
    result = _post(delivery, now)
    if not result.ok:
        logger.warning("webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, result.error)
    return _record(delivery_id=delivery.pk, result=result, give_up=delivery.attempts >= MAX_ATTEMPTS)


@transaction.atomic
def _record(*, delivery_id: int, result: PostResult, give_up: bool) -> AttemptOutcome:
    """The attempt's outcome on the delivery row (status, error, next attempt), and on its subscription."""
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:  # its subscription was deleted during the attempt
        return AttemptOutcome("skipped", detail="deleted")
    now = timezone.now()
    delivery.lease_until = None
    delivery.last_status_code = result.status
    delivery.last_error = result.error[:500]
    fields = ["lease_until", "last_status_code", "last_error"]
    data = {"attempt": delivery.attempts, "status": result.status, "error": result.error[:200]}
    if result.ok:
        delivery.finished_at = now
        transition(delivery, to_state=DeliveryState.SUCCEEDED, actor=None, action="webhook_delivery.succeeded",
                   data=data, update_fields=[*fields, "finished_at"])
        WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(consecutive_failures=0)
        return AttemptOutcome("succeeded", delivery.attempts, result.status)
    if give_up:
        delivery.finished_at = now
        transition(delivery, to_state=DeliveryState.GIVEN_UP, actor=None, action="webhook_delivery.given_up",
                   data=data, update_fields=[*fields, "finished_at"])
        _count_given_up(delivery.subscription_id)
        return AttemptOutcome("given_up", delivery.attempts, result.status, detail=result.error)
    wait = retry_delay(delivery.attempts)
    delivery.next_attempt_at = now + wait
    transition(delivery, to_state=DeliveryState.FAILED, actor=None, action="webhook_delivery.failed",
               data=data, update_fields=[*fields, "next_attempt_at"])
    task_queue_on_commit(DELIVER_TASK, delivery.pk, countdown=wait.total_seconds())
    return AttemptOutcome("retry", delivery.attempts, result.status, wait, result.error)


def _count_given_up(subscription_id: int) -> None:
    """One more delivery given up in a row; at ``WEBHOOK_DISABLE_AFTER``, the subscription is disabled."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    subscription.consecutive_failures += 1
    subscription.save(update_fields=["consecutive_failures"])
    if subscription.is_active and subscription.consecutive_failures >= WEBHOOK_DISABLE_AFTER:
        webhook_subscription_disable(subscription=subscription, reason=_(
            "livraisons abandonnées d'affilée, chacune après toutes ses tentatives : %(count)d."
        ) % {"count": subscription.consecutive_failures})


def establishment_admins(establishment_id: int) -> list:
    """The admins of an establishment: who manages its webhooks, and is told when one is disabled."""
    return list(
        get_user_model().objects.filter(
            memberships__establishment_id=establishment_id, memberships__role=MemberRole.ADMIN
        ).order_by("pk")
    )


@transaction.atomic
def webhook_subscription_disable(*, subscription: WebhookSubscription, reason: str) -> WebhookSubscription:
    """The platform disables a subscription that keeps failing, and tells each admin of its
    establishment (``webhook.disabled``, once per disabling: the key names when it happened)."""
    now = timezone.now()
    subscription.disabled_at = now
    subscription.disabled_reason = reason[:300]
    transition(subscription, to_state=SubscriptionState.DISABLED, actor=None, action="webhook.disable",
               data={"reason": reason}, update_fields=["disabled_at", "disabled_reason"])
    context = {
        "endpoint": subscription.url, "failures": subscription.consecutive_failures,
        "url": reverse("webhooks:list", args=[subscription.establishment_id]),
    }
    for admin in establishment_admins(subscription.establishment_id):
        notify(recipient=admin, event="webhook.disabled", context=context,
               dedupe_key=f"webhook:{subscription.pk}:disabled:{int(now.timestamp())}")
    return subscription


def webhook_deliveries_requeue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queue again the open deliveries whose attempt is overdue and held by no one (periodic)."""
    now = now or timezone.now()
    due = (
        WebhookDelivery.objects.filter(state__in=OPEN_DELIVERY_STATES, next_attempt_at__lte=now - REQUEUE_GRACE)
        .filter(models.Q(lease_until__isnull=True) | models.Q(lease_until__lt=now))
        .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    )
    return task_queue_each(DELIVER_TASK, due)
