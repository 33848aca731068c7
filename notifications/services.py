"""Writes of the notification service. Other apps call only ``notify``.

``notify`` records the in-app notification (always), then — per the recipient's preferences for
the event — either holds it for the daily digest, or creates one ``Delivery`` per enabled channel
(email, SMS) and queues ``notifications.tasks.deliver`` when the transaction commits.

``delivery_attempt`` is the delivery state machine (pending → sending → sent | failed, back to
pending on a transient error); see docs/notifications.md for the at-most-once window.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import channels
from notifications.errors import PermanentSendError, TransientSendError
from notifications.events import EVENTS, get_event
from notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Digest,
    DigestState,
    EventPreference,
    Notification,
    NotificationSettings,
)
from notifications.rendering import SUBJECT_MAX, jsonable, localise, one_line, render_event
from ville_hopital.audit import audit_record

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # then the delivery is failed and shown in admin
SEND_LEASE = timedelta(minutes=5)  # longer than EMAIL_TIMEOUT / SMS_TIMEOUT: a live attempt is never taken over
SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}
BACKOFF_MAX_SECONDS = 3600
REQUEUE_GRACE = timedelta(minutes=5)  # a due delivery nobody picked up within this is queued again


# --- Preferences ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    email: bool
    sms: bool
    digest: bool


def language_for(user: User) -> str:
    row = NotificationSettings.objects.filter(user=user).only("language").first()
    language = row.language if row else "fr"
    return language if language in SUPPORTED_LANGUAGES else "fr"


def preferences_for(user: User) -> dict[str, Preference]:
    """Every event's preference for the user: their saved choice, else the event's default."""
    saved = {p.event: p for p in EventPreference.objects.filter(user=user)}
    result = {}
    for code, event in EVENTS.items():
        row = saved.get(code)
        result[code] = (
            Preference(email=row.email, sms=row.sms, digest=row.digest)
            if row
            else Preference(email=event.default_email, sms=event.default_sms, digest=event.default_digest)
        )
    return result


@transaction.atomic
def preferences_update(*, actor: User, language: str, choices: Mapping[str, Preference]) -> None:
    """Save the user's language and, for each event given, the channels and the digest choice."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    if language not in SUPPORTED_LANGUAGES:
        raise ValidationError({"language": _("Langue inconnue.")})
    unknown = set(choices) - set(EVENTS)
    if unknown:
        raise ValidationError({"events": _("Événement inconnu : %(codes)s") % {"codes": ", ".join(sorted(unknown))}})
    row, _created = NotificationSettings.objects.select_for_update().get_or_create(user=actor)
    row.language = language
    row.full_clean()
    row.save()
    for code, choice in choices.items():
        EventPreference.objects.update_or_create(
            user=actor, event=code, defaults={"email": choice.email, "sms": choice.sms, "digest": choice.digest}
        )
    audit_record(
        actor=actor, action="notification_preferences.update", target=row,
        data={"language": language, "events": {c: [p.email, p.sms, p.digest] for c, p in choices.items()}},
    )


# --- notify -------------------------------------------------------------------------------------


def _idempotency_key(recipient: User, key: str, channel: str) -> str:
    return f"{recipient.pk}:{key}:{channel}"


def _queue(delivery: Delivery) -> None:
    """Queue the send once the transaction commits. ``robust``: a broker that is down at that moment
    must not turn the caller's committed request into an error — the delivery stays pending and
    ``deliveries_requeue`` (every 10 minutes) queues it again."""
    from notifications.tasks import deliver  # the tasks module imports this one

    transaction.on_commit(lambda: deliver.delay(delivery.pk), robust=True)


@transaction.atomic
def notify(
    *, recipient: User, event: str, context: Mapping[str, Any], urgent: bool = False, dedupe_key: str
) -> Notification | None:
    """Tell ``recipient`` about ``event``, once per ``dedupe_key`` (e.g. ``proposal:123:new``).

    Returns the new notification, or ``None`` when one with this key already exists for the
    recipient (nothing is sent twice). ``context`` holds plain values (strings, numbers, dates,
    datetimes, Decimals) with at least the event's required keys; ``url`` is a path on this site.
    Urgent notifications skip the daily digest; channel choices are always honoured. A deactivated
    account gets the in-app row only.
    """
    spec = get_event(event)
    missing = [key for key in spec.required if key not in context]
    if missing:
        raise ValueError(f"notify({event!r}): context lacks {', '.join(missing)}")
    if not dedupe_key or len(dedupe_key) > 120:
        raise ValueError("dedupe_key must be a non-empty string of at most 120 characters")
    url = str(context.get("url", ""))
    if url and (not url.startswith("/") or url.startswith("//")):
        raise ValueError(f"notify({event!r}): url must be a path on this site, like /missions/12/, not {url!r}")
    if Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists():
        return None

    language = language_for(recipient)
    texts = render_event(event=event, context=context, recipient=recipient, language=language, urgent=urgent)
    preference = preferences_for(recipient)[event]
    channels_on = [Channel.EMAIL] * preference.email + [Channel.SMS] * (preference.sms and bool(recipient.phone))
    if not recipient.is_active:
        channels_on = []  # a deactivated account keeps its in-app history but receives no email or SMS
    held = preference.digest and not urgent and bool(channels_on)

    notification = Notification(
        recipient=recipient, event=event, dedupe_key=dedupe_key, urgent=urgent, language=language,
        subject=texts["subject"], body=texts["body"], sms_text=texts["sms_text"],
        url=url[:300], context=jsonable(context),
        digest_state=DigestState.HELD if held else DigestState.NONE,
    )
    notification.full_clean(exclude=["recipient"], validate_unique=False, validate_constraints=False)
    # The unique constraint (recipient, dedupe_key) settles a race between two callers.
    notification, created = Notification.objects.get_or_create(
        recipient=recipient, dedupe_key=dedupe_key,
        defaults={f.name: getattr(notification, f.name) for f in Notification._meta.concrete_fields
                  if f.name not in ("id", "recipient", "dedupe_key")},
    )
    if not created:
        return None
    if held:
        return notification
    for channel in channels_on:
        delivery = Delivery.objects.create(
            recipient=recipient, notification=notification, channel=channel,
            idempotency_key=_idempotency_key(recipient, dedupe_key, channel),
            address=recipient.email if channel == Channel.EMAIL else recipient.phone,
            subject=texts["subject"],
            body=texts["email_body"] if channel == Channel.EMAIL else texts["sms_text"],
        )
        _queue(delivery)
    return notification


# --- In-app notification centre --------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read. Someone else's raises ``Notification.DoesNotExist``."""
    notification = Notification.objects.for_user(actor).select_for_update().get(pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: User) -> int:
    return Notification.objects.for_user(actor).unread().update(read_at=timezone.now())


# --- Delivery state machine ---------------------------------------------------------------------


def retry_delay_seconds(attempts: int) -> int:
    """30 s, 60 s, 2 min, 4 min, 8 min… (base ``NOTIFICATIONS_RETRY_BASE_SECONDS``) capped at one hour,
    plus up to 10 % jitter so that the deliveries held up by one outage do not all come back at once."""
    delay = min(settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return delay + random.randint(0, delay // 10)


@dataclass(frozen=True)
class AttemptResult:
    outcome: str  # "sent", "retry", "failed" or "skipped"
    attempts: int
    detail: str = ""
    retry_in: int = 0  # seconds, when outcome == "retry"


INTERRUPTED = (
    "Interrompu pendant l'envoi (processus arrêté) : on ne sait pas si le message est parti. "
    "Pas de nouvel essai automatique, pour ne jamais envoyer deux fois ; vérifiez puis utilisez "
    "l'action « Renvoyer » si besoin."
)


def delivery_attempt(*, delivery_id: int) -> AttemptResult:
    """One attempt at sending a delivery. Never sends a delivery that is sent, failed, or being sent.

    1. Under ``select_for_update``: a pending delivery becomes ``sending`` (with a lease) and the
       attempt is counted; this commits before anything leaves the machine.
    2. The message is sent, outside any transaction (no row lock held during network I/O).
    3. The outcome is recorded: ``sent``; ``pending`` again after a transient error (the task retries
       with backoff) until ``MAX_ATTEMPTS``; ``failed`` after a permanent error.

    A worker that dies between 1 and 3 leaves ``sending``; when the lease has run out, the next
    attempt marks it ``failed`` with "outcome unknown" instead of sending again (at most once).
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",)).select_related("notification").filter(pk=delivery_id).first()
        )
        if delivery is None:
            return AttemptResult("skipped", 0, "no such delivery")
        if delivery.state in (DeliveryState.SENT, DeliveryState.FAILED):
            return AttemptResult("skipped", delivery.attempts, f"already {delivery.state}")
        if delivery.state == DeliveryState.SENDING:
            if delivery.lease_until and delivery.lease_until > now:
                return AttemptResult("skipped", delivery.attempts, "another attempt is sending it")
            delivery.state = DeliveryState.FAILED
            delivery.last_error = INTERRUPTED
            delivery.lease_until = None
            delivery.save(update_fields=["state", "last_error", "lease_until"])
            return AttemptResult("failed", delivery.attempts, INTERRUPTED)
        delivery.state = DeliveryState.SENDING
        delivery.attempts += 1
        delivery.lease_until = now + SEND_LEASE
        delivery.save(update_fields=["state", "attempts", "lease_until"])

    reference, outcome, error = "", "sent", ""
    try:
        reference = channels.send(delivery)
    except TransientSendError as exc:
        outcome, error = ("retry" if delivery.attempts < MAX_ATTEMPTS else "failed"), str(exc)
    except PermanentSendError as exc:
        outcome, error = "failed", str(exc)
    except Exception as exc:  # a bug or an unforeseen library error: stop, show it, do not loop
        logger.exception("delivery %s: unexpected error", delivery.pk)
        outcome, error = "failed", f"{type(exc).__name__}: {exc}"

    new_state = {"sent": DeliveryState.SENT, "retry": DeliveryState.PENDING, "failed": DeliveryState.FAILED}[outcome]
    retry_in = retry_delay_seconds(delivery.attempts) if outcome == "retry" else 0
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
            state=new_state,
            lease_until=None,
            next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
            last_error=error[:2000],
            provider_reference=reference[:120],
            sent_at=timezone.now() if outcome == "sent" else None,
        )
    if outcome != "sent":
        logger.warning("delivery %s (%s) attempt %s: %s — %s", delivery.pk, delivery.channel,
                       delivery.attempts, outcome, error)
    return AttemptResult(outcome, delivery.attempts, error, retry_in)


def deliveries_requeue(*, now=None, limit: int = 500) -> int:
    """Queue again what no task is going to handle: pending deliveries due for more than
    ``REQUEUE_GRACE`` (their message was lost: broker down at commit, a purged queue) and ``sending``
    ones whose lease ran out (their worker died: the attempt marks them failed, never re-sends).
    A delivery queued twice is harmless: ``delivery_attempt`` takes it once."""
    from notifications.tasks import deliver

    now = now or timezone.now()
    due = Delivery.objects.filter(
        models.Q(state=DeliveryState.PENDING, next_attempt_at__lte=now - REQUEUE_GRACE)
        | models.Q(state=DeliveryState.SENDING, lease_until__lt=now)
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    queued = 0
    for pk in due:
        try:
            deliver.delay(pk)
        except Exception:  # the broker is still down: the next run tries again
            logger.exception("could not queue delivery %s", pk)
            break
        queued += 1
    return queued


@transaction.atomic
def delivery_retry(*, actor: User, delivery_id: int) -> bool:
    """Platform staff send a failed delivery again (admin action). A sent one is never re-sent."""
    if not actor.is_staff:
        raise PermissionDenied
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.state != DeliveryState.FAILED:
        return False
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["state", "next_attempt_at"])
    audit_record(actor=actor, action="notification_delivery.retry", target=delivery,
                 from_state=DeliveryState.FAILED, to_state=DeliveryState.PENDING, data={"error": delivery.last_error})
    _queue(delivery)
    return True


# --- Daily digest -------------------------------------------------------------------------------


def today_in_paris() -> date:
    return timezone.localdate()  # TIME_ZONE is Europe/Paris


@transaction.atomic
def digest_send(*, user: User, day: date) -> Digest | None:
    """Gather the user's held notifications into one digest email for ``day``; at most one per day.

    Returns ``None`` when the user's digest for that day exists already or nothing is held.
    Notifications held after the day's digest wait for the next day's.
    """
    if Digest.objects.filter(user=user, day=day).exists():
        return None
    held = list(
        Notification.objects.select_for_update()
        .filter(recipient=user, digest_state=DigestState.HELD, digest__isnull=True)
        .order_by("created_at", "pk")
    )
    if not held:
        return None
    digest, created = Digest.objects.get_or_create(user=user, day=day)
    if not created:
        return None
    language = language_for(user)
    # Each subject in the digest's language, even for those stored before a change of language.
    held = localise(held, reader=user, language=language)
    with translation.override(language):
        context = {"recipient": user, "notifications": held, "day": day, "site_url": settings.SITE_URL}
        subject = one_line(render_to_string("notifications/digest/subject.txt", context))[:SUBJECT_MAX]
        body = render_to_string("notifications/digest/body.txt", context).strip() + "\n"
    Notification.objects.filter(pk__in=[n.pk for n in held]).update(digest=digest, digest_state=DigestState.SENT)
    delivery = Delivery.objects.create(
        recipient=user, digest=digest, channel=Channel.EMAIL,
        idempotency_key=f"{user.pk}:digest:{day.isoformat()}:email",
        address=user.email, subject=subject, body=body,
    )
    _queue(delivery)
    return digest


def digests_send(*, day: date | None = None) -> int:
    """The daily run: one digest per user holding notifications. Safe to run twice (returns 0 then)."""
    day = day or today_in_paris()
    user_ids = (
        Notification.objects.filter(digest_state=DigestState.HELD, digest__isnull=True)
        .values_list("recipient_id", flat=True).distinct().order_by("recipient_id")
    )
    sent = 0
    for user in User.objects.filter(pk__in=list(user_ids)):
        sent += digest_send(user=user, day=day) is not None
    return sent
