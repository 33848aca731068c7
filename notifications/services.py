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
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from notifications import channels
from notifications.errors import PermanentSendError, SendError, TransientSendError
from notifications.events import EVENTS, Event, get_event
from notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Digest,
    DigestState,
    EventPreference,
    Notification,
    NotificationSettings,
    PhoneVerification,
)
from notifications.phones import mobile_e164
from notifications.rendering import SUBJECT_MAX, jsonable, localise, one_line, render_event
from notifications.selectors import sms_choice_for
from notifications.sms import get_sms_backend
from ville_hopital.audit import audit_record
from ville_hopital.emails import email_context
from ville_hopital.task_queue import task_queue_each, task_queue_on_commit
from ville_hopital.transitions import transition

logger = logging.getLogger(__name__)

# Queued by name: notifications.tasks imports this module (a task only calls a service).
DELIVER_TASK = "notifications.tasks.deliver"

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


# --- SMS: who may get one, and when -------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
#: No SMS from 21:00 to 07:00, Paris time (07:00: when hospitals staff up for the day, and when HR
#: posts tonight's shift) (the platform's clock, also for overseas numbers)...
QUIET_START, QUIET_END = time(21, 0), time(7, 0)
#: ...except about a shift starting within this delay, for someone who allowed night SMS.
NIGHT_SMS_WITHIN = timedelta(hours=6)


def in_quiet_hours(moment: datetime) -> bool:
    local = moment.astimezone(PARIS).time()
    return local >= QUIET_START or local < QUIET_END


def sms_allowed_at(*, now: datetime, starts_at: datetime | None, night_sms: bool) -> bool:
    """Outside the quiet hours, yes; inside, only for something starting within ``NIGHT_SMS_WITHIN``
    (the night nurse needed at 02:00) to someone who said yes to such night SMS."""
    if not in_quiet_hours(now):
        return True
    return night_sms and starts_at is not None and starts_at <= now + NIGHT_SMS_WITHIN


def channels_for(
    *, recipient: User, event: Event, preference: Preference, urgent: bool, starts_at: datetime | None,
    now: datetime,
) -> dict[str, str]:
    """The external channels a notification leaves by, with the address for each.

    Email when the person ticked it for the event. SMS only to a verified number, when the person
    ticked SMS for the event or — an urgent offer (``Event.urgent_sms``, ``urgent=True``) — chose
    urgent offers by SMS; and not during the quiet hours (``sms_allowed_at``). A deactivated
    account gets nothing outside the site, nor does an integration token's account (its address
    reaches no one: the software reads its notifications through the API)."""
    if not recipient.is_active or recipient.is_integration:
        return {}
    result = {Channel.EMAIL: recipient.email} if preference.email else {}
    sms = sms_choice_for(recipient)
    wanted = preference.sms or (urgent and event.urgent_sms and sms.urgent_sms)
    if wanted and sms.number and sms_allowed_at(now=now, starts_at=starts_at, night_sms=sms.night_sms):
        result[Channel.SMS] = sms.number
    return result


# --- notify -------------------------------------------------------------------------------------


def _idempotency_key(recipient: User, key: str, channel: str) -> str:
    return f"{recipient.pk}:{key}:{channel}"


def _queue(delivery: Delivery) -> None:
    """Queue the send once the transaction commits. ``robust``: a broker that is down at that moment
    must not turn the caller's committed request into an error — the delivery stays pending and
    ``deliveries_requeue`` (every 10 minutes) queues it again."""
    task_queue_on_commit(DELIVER_TASK, delivery.pk)


@transaction.atomic
def notify(
    *, recipient: User, event: str, context: Mapping[str, Any], urgent: bool = False, dedupe_key: str
) -> Notification | None:
    """Tell ``recipient`` about ``event``, once per ``dedupe_key`` (e.g. ``proposal:123:new``).

    Returns the new notification, or ``None`` when one with this key already exists for the
    recipient (nothing is sent twice). ``context`` holds plain values (strings, numbers, dates,
    datetimes, Decimals) with at least the event's required keys; ``url`` is a path on this site.
    Urgent notifications skip the daily digest; channel choices are always honoured (``channels_for``:
    SMS to verified numbers only, quiet hours at night). A ``starts_at`` datetime in the context is
    what lets an SMS through the quiet hours. A deactivated account gets the in-app row only.
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
    starts_at = context.get("starts_at")
    channels_on = channels_for(
        recipient=recipient, event=spec, preference=preference, urgent=urgent,
        starts_at=starts_at if isinstance(starts_at, datetime) else None, now=timezone.now(),
    )
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
    for channel, address in channels_on.items():
        delivery = Delivery.objects.create(
            recipient=recipient, notification=notification, channel=channel,
            idempotency_key=_idempotency_key(recipient, dedupe_key, channel),
            address=address,
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
            delivery.last_error = INTERRUPTED
            delivery.lease_until = None
            transition(delivery, to_state=DeliveryState.FAILED, actor=None, action="notification_delivery.failed",
                       data={"error": INTERRUPTED}, update_fields=["last_error", "lease_until"])
            return AttemptResult("failed", delivery.attempts, INTERRUPTED)
        delivery.attempts += 1
        delivery.lease_until = now + SEND_LEASE
        transition(delivery, to_state=DeliveryState.SENDING, actor=None, action="notification_delivery.sending",
                   data={"attempt": delivery.attempts}, update_fields=["attempts", "lease_until"])

    reference, outcome, error = "", "sent", ""
    try:
        reference = channels.send(delivery, email=_email_parts(delivery) if delivery.channel == Channel.EMAIL else None)
    except TransientSendError as exc:
        outcome, error = ("retry" if delivery.attempts < MAX_ATTEMPTS else "failed"), str(exc)
    except PermanentSendError as exc:
        outcome, error = "failed", str(exc)
    except Exception as exc:  # a bug or an unforeseen library error: stop, show it, do not loop
        logger.exception("delivery %s: unexpected error", delivery.pk)
        outcome, error = "failed", f"{type(exc).__name__}: {exc}"

    new_state = {"sent": DeliveryState.SENT, "retry": DeliveryState.PENDING, "failed": DeliveryState.FAILED}[outcome]
    retry_in = retry_delay_seconds(delivery.attempts) if outcome == "retry" else 0
    _attempt_record(delivery_id=delivery.pk, to_state=new_state, error=error, reference=reference, retry_in=retry_in)
    if outcome != "sent":
        logger.warning("delivery %s (%s) attempt %s: %s — %s", delivery.pk, delivery.channel,
                       delivery.attempts, outcome, error)
    return AttemptResult(outcome, delivery.attempts, error, retry_in)


def _attempt_record(*, delivery_id: int, to_state: str, error: str, reference: str, retry_in: int) -> None:
    """The outcome of a send, unless the delivery left ``sending`` meanwhile (its lease ran out
    and a later attempt marked it failed): that later verdict stands."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id, state=DeliveryState.SENDING).first()
        if delivery is None:
            return
        now = timezone.now()
        delivery.lease_until = None
        delivery.next_attempt_at = now + timedelta(seconds=retry_in)
        delivery.last_error = error[:2000]
        delivery.provider_reference = reference[:120]
        delivery.sent_at = now if to_state == DeliveryState.SENT else None
        transition(delivery, to_state=to_state, actor=None, action=f"notification_delivery.{to_state}",
                   data={"attempt": delivery.attempts, "error": error[:200]},
                   update_fields=["lease_until", "next_attempt_at", "last_error", "provider_reference", "sent_at"])


def deliveries_requeue(*, now=None, limit: int = 500) -> int:
    """Queue again what no task is going to handle: pending deliveries due for more than
    ``REQUEUE_GRACE`` (their message was lost: broker down at commit, a purged queue) and ``sending``
    ones whose lease ran out (their worker died: the attempt marks them failed, never re-sends).
    A delivery queued twice is harmless: ``delivery_attempt`` takes it once."""
    now = now or timezone.now()
    due = Delivery.objects.filter(
        models.Q(state=DeliveryState.PENDING, next_attempt_at__lte=now - REQUEUE_GRACE)
        | models.Q(state=DeliveryState.SENDING, lease_until__lt=now)
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    return task_queue_each(DELIVER_TASK, due)


@transaction.atomic
def delivery_retry(*, actor: User, delivery_id: int) -> bool:
    """Platform staff send a failed delivery again (admin action). A sent one is never re-sent."""
    if not actor.is_staff:
        raise PermissionDenied
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.state != DeliveryState.FAILED:
        return False
    delivery.next_attempt_at = timezone.now()
    transition(delivery, to_state=DeliveryState.PENDING, actor=actor, action="notification_delivery.retry",
               data={"error": delivery.last_error}, update_fields=["next_attempt_at"])
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
        context = {"recipient": user, "notifications": held, "day": day,
                   "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
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


# --- Mobile number, SMS choices and the verification code ----------------------------------------

PHONE_CODE_TTL = timedelta(minutes=10)
PHONE_CODE_MAX_FAILURES = 5  # wrong codes in a row, then verification is locked for PHONE_LOCK
PHONE_LOCK = timedelta(minutes=30)
PHONE_RESEND_AFTER = timedelta(seconds=60)
PHONE_SENDS_PER_HOUR = 5


def _authenticated(actor) -> User:
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    return actor


def _settings_locked(user: User) -> NotificationSettings:
    return NotificationSettings.objects.select_for_update().get_or_create(user=user)[0]


def _at(moment: datetime) -> str:
    return formats.time_format(timezone.localtime(moment), "H:i")


@transaction.atomic
def phone_set(*, actor: User, phone: str) -> str:
    """Save the actor's mobile number, in E.164 (``mobile_e164``: French mobiles only); an empty
    string removes it. A new number is unverified until its own code comes back."""
    _authenticated(actor)
    e164 = mobile_e164(phone) if (phone or "").strip() else ""
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.phone == e164:
        return e164
    had_number = bool(user.phone)
    user.phone = e164
    user.full_clean(exclude=["password"], validate_unique=False)
    user.save(update_fields=["phone"])
    actor.phone = e164
    # The number itself stays out of the trail: it is personal data the person may change again.
    audit_record(actor=actor, action="user.phone_set", target=user, data={"had_number": had_number, "has_number": bool(e164)})
    return e164


@transaction.atomic
def sms_settings_update(*, actor: User, phone: str, urgent_sms: bool, night_sms: bool) -> NotificationSettings:
    """The mobile number and the SMS choices together (the professional's profile form): urgent
    offers by SMS need a number; night SMS for a shift starting within a few hours is a separate yes."""
    _authenticated(actor)
    if urgent_sms and not (phone or "").strip():
        raise ValidationError({"phone": _("Numéro de mobile : indiquez-le pour recevoir les offres urgentes par SMS.")})
    phone_set(actor=actor, phone=phone)
    row = _settings_locked(actor)
    before = (row.urgent_sms, row.night_sms)
    row.urgent_sms, row.night_sms = urgent_sms, night_sms
    row.full_clean()
    row.save()
    if before != (urgent_sms, night_sms):
        audit_record(actor=actor, action="notification_settings.sms", target=row,
                     data={"urgent_sms": urgent_sms, "night_sms": night_sms})
    return row


def _code_hash(user: User, phone: str, code: str) -> str:
    # Keyed with SECRET_KEY and bound to the person and the number: a leaked table gives nothing
    # to try offline without the key, and a code never confirms another number.
    return salted_hmac("notifications.phone_verification", f"{user.pk}:{phone}:{code}", algorithm="sha256").hexdigest()


def _locked_message(until: datetime) -> str:
    return _(
        "Vérification bloquée jusqu'à %(at)s après %(n)s codes erronés de suite : demandez ensuite un nouveau code."
    ) % {"n": PHONE_CODE_MAX_FAILURES, "at": _at(until)}


def _unlock_if_due(row: PhoneVerification, now: datetime) -> None:
    if row.locked_until and row.locked_until <= now:
        row.locked_until = None
        row.failed_attempts = 0


@transaction.atomic
def phone_verification_start(*, actor: User, now: datetime | None = None) -> str:
    """A new 6-digit code for the actor's number, valid ``PHONE_CODE_TTL``; returns it (in clear,
    only to the caller: it is stored hashed). Refused while verification is locked, within
    ``PHONE_RESEND_AFTER`` of the last code, and beyond ``PHONE_SENDS_PER_HOUR`` codes an hour.
    ``phone_verification_send`` sends it; the demo confirms it directly."""
    _authenticated(actor)
    now = now or timezone.now()
    user = User.objects.get(pk=actor.pk)
    if not user.phone:
        raise ValidationError({"phone": _("Numéro de mobile : enregistrez d'abord un numéro.")})
    if sms_choice_for(user).number:
        raise ValidationError({"phone": _("Numéro de mobile : ce numéro est déjà vérifié.")})
    row, _created = PhoneVerification.objects.select_for_update().get_or_create(user=user, defaults={"phone": user.phone})
    _unlock_if_due(row, now)
    if row.locked_until:
        raise ValidationError({"phone": _locked_message(row.locked_until)})
    if row.last_sent_at and now < row.last_sent_at + PHONE_RESEND_AFTER:
        wait = int((row.last_sent_at + PHONE_RESEND_AFTER - now).total_seconds()) + 1
        raise ValidationError({"phone": ngettext(
            "Un code vient d'être envoyé : attendez encore %(s)s seconde avant d'en demander un autre.",
            "Un code vient d'être envoyé : attendez encore %(s)s secondes avant d'en demander un autre.", wait,
        ) % {"s": wait}})
    if row.sends_window_start is None or now >= row.sends_window_start + timedelta(hours=1):
        row.sends_window_start, row.sends_in_window = now, 0
    if row.sends_in_window >= PHONE_SENDS_PER_HOUR:
        raise ValidationError({"phone": _(
            "Numéro de mobile : %(n)s codes envoyés en une heure, c'est le maximum. Réessayez après %(at)s."
        ) % {"n": PHONE_SENDS_PER_HOUR, "at": _at(row.sends_window_start + timedelta(hours=1))}})
    code = f"{secrets.randbelow(10**6):06d}"
    row.phone = user.phone
    row.code_hash = _code_hash(user, user.phone, code)
    row.expires_at = now + PHONE_CODE_TTL
    row.last_sent_at = now
    row.sends_in_window += 1
    row.save()
    audit_record(actor=actor, action="phone_verification.code", target=row, data={"sends_in_window": row.sends_in_window})
    return code


def phone_verification_send(*, actor: User, phone: str | None = None) -> None:
    """Save ``phone`` when given, then send a new code to the actor's number by SMS.

    Not one transaction: the code is saved (and counted) first, then the SMS leaves, synchronously
    so that the page can say at once when the provider refused it (the person asks again after
    ``PHONE_RESEND_AFTER``). The code never goes through a ``Delivery`` row, which keeps its body in clear."""
    _authenticated(actor)
    if phone is not None:
        phone_set(actor=actor, phone=phone)
    code = phone_verification_start(actor=actor)
    number = User.objects.values_list("phone", flat=True).get(pk=actor.pk)
    with translation.override(language_for(actor)):
        body = _(
            "Ville-Hôpital : votre code de vérification est %(code)s. Il expire dans 10 minutes. "
            "Ne le communiquez à personne."
        ) % {"code": code}
        refused = _("Numéro de mobile : le SMS n'a pas pu être envoyé. Réessayez dans une minute.")
    try:
        get_sms_backend().send(to=number, body=body, reference=f"phone:{actor.pk}:{secrets.token_hex(6)}",
                               tag="phone.verify")
    except SendError as error:
        logger.warning("verification SMS for user %s not sent: %s", actor.pk, error)
        raise ValidationError({"phone": refused}) from error


@transaction.atomic
def _phone_code_check(*, actor: User, code: str, now: datetime) -> str:
    """Compare and record the outcome (a wrong code is counted, the lock set); return "" when the
    code is right, else the message. Never raises for a wrong code: the count must commit."""
    user = User.objects.get(pk=actor.pk)
    row = PhoneVerification.objects.select_for_update().filter(user=user).first()
    ask_first = _("Code : demandez d'abord un code (bouton « Recevoir un code »).")
    if row is None:
        return ask_first
    _unlock_if_due(row, now)
    if row.locked_until:
        return _locked_message(row.locked_until)
    if not row.code_hash:
        return ask_first
    if row.phone != user.phone:
        return _("Code : le numéro a changé depuis l'envoi de ce code ; demandez un nouveau code.")
    if row.expires_at is None or row.expires_at <= now:
        row.code_hash, row.expires_at = "", None
        row.save(update_fields=["code_hash", "expires_at"])
        return _("Code : ce code a expiré (il vaut 10 minutes) ; demandez-en un nouveau.")
    if not constant_time_compare(row.code_hash, _code_hash(user, user.phone, code)):
        row.failed_attempts += 1
        if row.failed_attempts >= PHONE_CODE_MAX_FAILURES:
            row.locked_until = now + PHONE_LOCK
            row.code_hash, row.expires_at = "", None  # the code dies with the lock
            row.save(update_fields=["failed_attempts", "locked_until", "code_hash", "expires_at"])
            audit_record(actor=actor, action="phone_verification.locked", target=row,
                         data={"until": row.locked_until.isoformat()})
            return _locked_message(row.locked_until)
        row.save(update_fields=["failed_attempts"])
        left = PHONE_CODE_MAX_FAILURES - row.failed_attempts
        return ngettext(
            "Code incorrect : il vous reste %(n)s essai.", "Code incorrect : il vous reste %(n)s essais.", left
        ) % {"n": left}
    settings_row = _settings_locked(user)
    settings_row.phone_verified, settings_row.phone_verified_at = user.phone, now
    settings_row.save(update_fields=["phone_verified", "phone_verified_at"])
    row.code_hash, row.expires_at, row.failed_attempts = "", None, 0
    row.save(update_fields=["code_hash", "expires_at", "failed_attempts"])
    audit_record(actor=actor, action="phone_verification.verified", target=settings_row)
    return ""


def phone_verification_confirm(*, actor: User, code: str, now: datetime | None = None) -> None:
    """Check the code typed by the actor: right, their number is verified; otherwise
    ``ValidationError({"code": …})`` saying why (wrong, expired, locked after 5 wrong codes in a row)."""
    _authenticated(actor)
    cleaned = "".join((code or "").split())
    if len(cleaned) != 6 or not cleaned.isdigit():
        raise ValidationError({"code": _("Code : 6 chiffres, reçus par SMS.")})
    message = _phone_code_check(actor=actor, code=cleaned, now=now or timezone.now())
    if message:
        raise ValidationError({"code": message})


# --- Unsubscribe in one click (RFC 8058) ---------------------------------------------------------


def _email_parts(delivery: Delivery) -> channels.EmailParts:
    """The HTML part (one template for every notification, around the text body, in the emails'
    layout ``email/base.html``) and the unsubscribe link
    of a notification or summary email, in the recipient's language."""
    notification = delivery.notification
    scope = notification.event if notification else DIGEST_SCOPE
    language = notification.language if notification else language_for(delivery.recipient)
    link = unsubscribe_url(user=delivery.recipient, scope=scope)
    with translation.override(language):
        html = render_to_string("notifications/email.html", email_context(
            subject=delivery.subject, body=delivery.body, unsubscribe_url=link,
            scope_label=Unsubscription(user=delivery.recipient, scope=scope).label,
        ))
    return channels.EmailParts(html=html, unsubscribe_url=link)


UNSUBSCRIBE_SALT = "notifications.unsubscribe"
#: The scope of the daily summary's emails; the other scopes are event codes.
DIGEST_SCOPE = "digest"


@dataclass(frozen=True)
class Unsubscription:
    user: User
    scope: str  # an event code, or DIGEST_SCOPE

    @property
    def label(self) -> str:
        return str(EVENTS[self.scope].label) if self.scope in EVENTS else str(_("le résumé quotidien"))


def unsubscribe_url(*, user: User, scope: str) -> str:
    """The link of an email's ``List-Unsubscribe`` header and footer: signed, so it works without
    signing in (and from a mail provider's one-click POST), for this person and these emails only."""
    token = signing.dumps({"u": user.pk, "s": scope}, salt=UNSUBSCRIBE_SALT, compress=True)
    return settings.SITE_URL + reverse("notifications:unsubscribe", args=[token])


def unsubscription_read(token: str) -> Unsubscription | None:
    """The unsubscription a link stands for; ``None`` for a forged or damaged link, or a closed account."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    scope = data.get("s") if isinstance(data, dict) else None
    if scope != DIGEST_SCOPE and scope not in EVENTS:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    return Unsubscription(user=user, scope=scope) if user else None


@transaction.atomic
def email_unsubscribe(*, unsubscription: Unsubscription) -> int:
    """Stop these emails: the event's (its email channel off), or the daily summary's (every event
    held for the summary stops going by email). In-app notifications stay. Idempotent; audited."""
    user, scope = unsubscription.user, unsubscription.scope
    current = preferences_for(user)
    events = [code for code, pref in current.items() if pref.digest] if scope == DIGEST_SCOPE else [scope]
    for code in events:
        pref = current[code]
        EventPreference.objects.update_or_create(
            user=user, event=code, defaults={"email": False, "sms": pref.sms, "digest": pref.digest}
        )
    audit_record(actor=user, action="notifications.unsubscribe", target=user, data={"scope": scope, "events": events})
    return len(events)
