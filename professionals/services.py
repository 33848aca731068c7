"""Writes about a professional: profile, credentials, availability, calendar feed token.

Bad input raises ``ValidationError`` naming the field; nothing is saved then (every service is one
transaction). Audit rows for each change.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.services import civility_set
from establishments.access import is_establishment_member
from establishments.models import Establishment
from notifications.selectors import sms_choice_for
from notifications.services import notify, sms_settings_update
from professionals.calendar import SLOT_CODES, SlotKey
from professionals.models import (
    Availability,
    Credential,
    CredentialKind,
    Professional,
    profession_label,
    slot_bounds,
)
from professionals.selectors import booked_slots, upcoming_booked_missions
from reference.models import Profession, Skill
from reference.skills import foreign_skill_messages
from territories.geo import haversine_km
from territories.models import Commune
from ville_hopital.audit import audit_record
from ville_hopital.identifiers import (
    InvalidIdentifier,
    clean_adeli,
    clean_rpps,
    validate_adeli,
    validate_rpps,
)
from ville_hopital.months import month_days, month_start

# --------------------------------------------------------------------------- profile

PROFILE_FIELDS = (
    "rpps", "adeli", "profession", "skills", "home_commune", "radius_km", "max_missions_per_month",
    "min_notice_hours", "expected_hourly_rate", "blocked_establishments",
)
#: Asked with the profile, kept by the notification service (``sms_settings_update``): the mobile
#: number (on the account, E.164), urgent offers by SMS, night SMS for an imminent shift.
SMS_FIELDS = ("phone", "urgent_sms", "night_sms")
#: Asked with the profile, kept on the account (``accounts.services.civility_set``): it is asked at
#: sign-up already, before the profile exists.
ACCOUNT_FIELDS = ("civility",)


def _save_sms_choices(actor, sms: dict) -> None:
    if sms:
        current = sms_choice_for(actor)
        sms_settings_update(
            actor=actor, phone=sms.get("phone", current.phone), urgent_sms=sms.get("urgent_sms", current.urgent_sms),
            night_sms=sms.get("night_sms", current.night_sms),
        )


def _clean_number(value: str | None, field_name: str, clean, validate) -> str | None:
    if not value or not str(value).strip():
        return None
    try:
        return clean(value)
    except InvalidIdentifier:
        try:
            validate(value)
        except ValidationError as error:
            raise ValidationError({field_name: error.messages}) from None
        raise


def _check_identity(pro: Professional) -> None:
    errors: dict[str, list[str]] = {}
    for name, clean, validate in (("rpps", clean_rpps, validate_rpps), ("adeli", clean_adeli, validate_adeli)):
        try:
            setattr(pro, name, _clean_number(getattr(pro, name), name, clean, validate))
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if pro.adeli and not pro.profession.uses_adeli and not pro.rpps:
        raise ValidationError(
            {"rpps": _("Profession « %(p)s » : inscription au RPPS obligatoire, indiquez votre numéro RPPS.") % {"p": pro.profession.display_label}}
        )
    if not pro.rpps and not pro.adeli:
        field = "rpps" if not pro.profession.uses_adeli else "adeli"
        raise ValidationError({field: _("Indiquez votre numéro RPPS (ou ADELI si votre profession y est encore).")})


def _check_skills(profession: Profession, skills: Iterable[Skill]) -> None:
    foreign = foreign_skill_messages(profession, skills)
    if foreign:
        raise ValidationError({"skills": foreign})


def _save_profile(pro: Professional, *, skills, blocked) -> Professional:
    _check_identity(pro)
    _check_skills(pro.profession, skills)
    pro.full_clean()
    try:
        with transaction.atomic():
            pro.save()
    except IntegrityError:  # the same RPPS registered by someone else at the same instant
        raise ValidationError({"rpps": _("Ce numéro RPPS est déjà enregistré.")}) from None
    pro.skills.set(skills)
    pro.blocked_establishments.set(blocked)
    return pro


@transaction.atomic
def professional_create(
    *,
    actor,
    profession: Profession,
    home_commune: Commune,
    rpps: str | None = None,
    adeli: str | None = None,
    skills: Iterable[Skill] = (),
    radius_km: int = 30,
    max_missions_per_month: int = 4,
    min_notice_hours: int = 24,
    expected_hourly_rate: Decimal | None = None,
    blocked_establishments: Iterable[Establishment] = (),
    civility: str | None = None,
    **sms,
) -> Professional:
    """The actor's professional profile (one per account). The RPPS is required, except for the
    professions still on ADELI (then one of the two). The same number cannot be registered twice.
    ``civility`` (optional; ``None`` keeps what sign-up recorded, empty is « not stated ») and
    ``sms`` (``SMS_FIELDS``, optional: the mobile number and the SMS choices) are saved with it."""
    unknown = set(sms) - set(SMS_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    if Professional.objects.filter(user=actor).exists():
        raise ValidationError(_("Vous avez déjà un profil professionnel."))
    if is_establishment_member(actor):
        raise ValidationError(_("Un compte d'établissement ne peut pas être aussi un profil de professionnel."))
    pro = Professional(
        user=actor, profession=profession, home_commune=home_commune, rpps=rpps, adeli=adeli, radius_km=radius_km,
        max_missions_per_month=max_missions_per_month, min_notice_hours=min_notice_hours,
        expected_hourly_rate=expected_hourly_rate,
    )
    if civility is not None:
        civility_set(actor=actor, civility=civility)
    _save_profile(pro, skills=list(skills), blocked=list(blocked_establishments))
    _save_sms_choices(actor, sms)
    audit_record(actor=actor, action="professional.create", target=pro, data={"profession": profession.pk})
    return pro


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "j F Y")


def _booked_conflicts(
    pro: Professional, *, skills: list[Skill], blocked: list[Establishment], changed: set[str]
) -> dict[str, str]:
    """Why the new profile would break an upcoming booked mission (field → reason)."""
    errors: dict[str, str] = {}
    upcoming = list(upcoming_booked_missions(pro))
    if not upcoming:
        return errors
    first = upcoming[0]
    if any(m.shift.profession_id != pro.profession_id for m in upcoming):
        errors["profession"] = _(
            "Vous avez des missions réservées comme %(p)s (la prochaine le %(d)s) : changez de profession après "
            "elles, ou annulez-les d'abord."
        ) % {"p": profession_label(first.shift.profession, pro.user.civility), "d": _when(first.starts_at)}
    codes = {s.code for s in skills}
    for mission in upcoming:
        missing = [s.display_label for s in mission.shift.required_skills.all() if s.code not in codes]
        if missing:
            errors["skills"] = _("« %(s)s » est requise pour votre mission du %(d)s chez %(e)s.") % {
                "s": missing[0], "d": _when(mission.starts_at), "e": mission.shift.establishment.name,
            }
            break
    home = pro.home_commune
    for mission in upcoming:
        place = mission.shift.location
        km = haversine_km(home.latitude, home.longitude, place.latitude, place.longitude)
        if km > pro.radius_km:
            field_name = "radius_km" if "radius_km" in changed else "home_commune"
            errors[field_name] = _(
                "Votre mission du %(d)s à %(c)s serait à %(km)s km, hors de votre rayon de %(r)s km."
            ) % {"d": _when(mission.starts_at), "c": place.name, "km": round(km), "r": pro.radius_km}
            break
    per_month = Counter(month_start(timezone.localdate(m.starts_at)) for m in upcoming)
    for month, count in sorted(per_month.items()):
        if count > pro.max_missions_per_month:
            errors["max_missions_per_month"] = ngettext(
                "Vous avez déjà %(n)s mission réservée en %(m)s : le maximum ne peut pas être inférieur.",
                "Vous avez déjà %(n)s missions réservées en %(m)s : le maximum ne peut pas être inférieur.",
                count,
            ) % {"n": count, "m": formats.date_format(month, "F Y")}
            break
    blocked_ids = {e.pk for e in blocked}
    for mission in upcoming:
        if mission.shift.establishment_id in blocked_ids:
            errors["blocked_establishments"] = _(
                "Vous avez une mission réservée chez %(e)s le %(d)s : annulez-la avant d'exclure cet établissement."
            ) % {"e": mission.shift.establishment.name, "d": _when(mission.starts_at)}
            break
    return errors


@transaction.atomic
def professional_update(*, actor, professional: Professional, **changes) -> Professional:
    """Edit the profile. ``changes`` take the names of ``professional_create``'s arguments
    (``civility`` and ``SMS_FIELDS`` included).

    A change that would break an upcoming booked mission is refused, with the reason on the
    field: another profession, dropping a skill a mission requires, a radius or home commune
    that puts a mission out of reach, a monthly maximum below what is booked, excluding an
    establishment where a mission is booked. (Cancel the mission first, or wait until it is done.)
    """
    unknown = set(changes) - set(PROFILE_FIELDS) - set(SMS_FIELDS) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    pro = Professional.objects.select_for_update().get(pk=professional.pk)
    if pro.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    sms = {name: changes.pop(name) for name in SMS_FIELDS if name in changes}
    civility = changes.pop("civility", None)
    skills = list(changes.pop("skills", pro.skills.all()))
    blocked = list(changes.pop("blocked_establishments", pro.blocked_establishments.all()))
    changed = {name for name, value in changes.items() if getattr(pro, name) != value}
    for name, value in changes.items():
        setattr(pro, name, value)
    _check_identity(pro)
    conflicts = _booked_conflicts(pro, skills=skills, blocked=blocked, changed=changed)
    if conflicts:
        raise ValidationError(conflicts)
    if civility is not None and civility_set(actor=actor, civility=civility):
        changed.add("civility")
    _save_profile(pro, skills=skills, blocked=blocked)
    _save_sms_choices(actor, sms)
    audit_record(actor=actor, action="professional.update", target=pro, data={"changed": sorted(changed)})
    return pro


@transaction.atomic
def calendar_token_regenerate(*, actor, professional: Professional) -> str:
    """A new secret for the iCalendar feed: the old URL stops working at once."""
    if professional.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    professional.calendar_token = secrets.token_urlsafe(32)
    professional.save(update_fields=["calendar_token"])
    audit_record(actor=actor, action="professional.calendar_token_regenerate", target=professional)
    return professional.calendar_token


# --------------------------------------------------------------------------- credentials

MAX_CREDENTIAL_BYTES = 10 * 1024 * 1024
#: Accepted types, recognised by their first bytes (the browser's content type is not trusted).
SIGNATURES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def sniff_content_type(upload: UploadedFile) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return next((kind for magic, kind in SIGNATURES.items() if head.startswith(magic)), None)


#: A second upload of the same file within this delay is the same upload (a double submit).
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=10)


def _digest(handle) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in iter(lambda: handle.read(65536), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def _same_recent_upload(
    professional: Professional, kind: str, file: UploadedFile, name: str, expires_on: date | None
) -> Credential | None:
    candidates = Credential.objects.filter(
        professional=professional, kind=kind, size=file.size, original_name=name, expires_on=expires_on,
        uploaded_at__gte=timezone.now() - DOUBLE_SUBMIT_WINDOW,
    )
    if not candidates:
        return None
    wanted = _digest(file)
    for candidate in candidates:
        with candidate.file.open("rb") as stored:
            if _digest(stored) == wanted:
                return candidate
    return None


@transaction.atomic
def credential_upload(
    *, actor, professional: Professional, kind: str, file: UploadedFile, expires_on: date | None = None
) -> Credential:
    """Store a diploma, the RCP insurance (its expiry date is required) or another document.
    PDF, JPEG or PNG (checked on the content, not the name), at most 10 MB. The same file sent
    again within 10 minutes (a double submit) returns the first document instead of a copy."""
    if professional.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if kind not in CredentialKind.values:
        raise ValidationError({"kind": _("Type de document inconnu.")})
    if file.size > MAX_CREDENTIAL_BYTES:
        raise ValidationError(
            {"file": _("Le fichier dépasse 10 Mo (%(mb)s Mo).") % {"mb": round(file.size / 1024 / 1024, 1)}}
        )
    content_type = sniff_content_type(file)
    if content_type is None:
        raise ValidationError({"file": _("Format non accepté : envoyez un PDF, un JPEG ou un PNG.")})
    if kind == CredentialKind.INSURANCE and expires_on is None:
        raise ValidationError({"expires_on": _("Indiquez la date de fin de validité de votre attestation RCP.")})
    if kind == CredentialKind.INSURANCE and expires_on < timezone.localdate():
        raise ValidationError({"expires_on": _("Cette attestation est déjà expirée : envoyez l'attestation en cours.")})
    name = (file.name or "document")[-200:]
    same = _same_recent_upload(professional, kind, file, name, expires_on)
    if same is not None:
        return same
    credential = Credential(
        professional=professional, kind=kind, file=file, original_name=name,
        content_type=content_type, size=file.size, expires_on=expires_on,
    )
    credential.full_clean()
    credential.save()
    audit_record(
        actor=actor, action="credential.upload", target=credential,
        data={"kind": kind, "size": file.size, "expires_on": expires_on.isoformat() if expires_on else None},
    )
    return credential


def credential_download_record(*, actor, credential: Credential, ip: str | None) -> None:
    """Who read whose document: the row targets the professional (a deleted document's readings
    stay in its owner's trail), the document is named in ``data``."""
    audit_record(
        actor=actor, action="credential.download", target=credential.professional,
        data={"credential": credential.pk, "kind": credential.kind, "ip": ip},
    )


@transaction.atomic
def credential_delete(*, actor, credential: Credential) -> None:
    if credential.professional.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    audit_record(actor=actor, action="credential.delete", target=credential, data={"kind": credential.kind})
    storage, name = credential.file.storage, credential.file.name
    credential.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --------------------------------------------------------------------------- availability


def _slot_label(key: SlotKey) -> str:
    day, code = key
    return f"{formats.date_format(day, 'l j F')} ({_('jour') if code == 'D' else _('nuit')})"


@transaction.atomic
def availability_month_save(
    *, actor, professional: Professional, year: int, month: int, slots: Iterable[SlotKey]
) -> tuple[int, int]:
    """Make the month's declared slots equal to ``slots``, for the slots that may still change.

    Past slots (started already) and slots booked by a mission are read-only: they stay as they
    are whatever is sent (a form does not send disabled boxes). Sending a past slot that was not
    declared, or a slot outside the month, is refused and nothing is saved. Saving the same form
    twice gives the same month. Returns (added, removed).
    """
    if professional.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    # One save at a time per professional: two tabs cannot interleave their delete and insert.
    Professional.objects.select_for_update().filter(pk=professional.pk).first()
    days = month_days(date(year, month, 1))
    wanted = set(slots)
    outside = sorted(k for k in wanted if k[0] < days[0] or k[0] > days[-1] or k[1] not in SLOT_CODES)
    if outside:
        raise ValidationError({"slots": _("Créneau hors de ce mois : %(s)s.") % {"s": outside[0][0].isoformat()}})
    now = timezone.now()
    rows = Availability.objects.filter(professional=professional, day__gte=days[0], day__lte=days[-1])
    pks = {(day, code): pk for day, code, pk in rows.values_list("day", "slot", "pk")}
    current = set(pks)
    booked = booked_slots(professional, year, month)

    def locked(key: SlotKey) -> bool:
        return slot_bounds(*key)[0] <= now or key in booked

    past_new = sorted(k for k in wanted - current if slot_bounds(*k)[0] <= now)
    if past_new:
        raise ValidationError(
            {"slots": _("Le créneau du %(s)s est passé : il ne peut plus être déclaré.") % {"s": _slot_label(past_new[0])}}
        )
    target = {k for k in wanted if not locked(k)} | {k for k in current if locked(k)}
    to_remove, to_add = current - target, target - current
    if to_remove:
        Availability.objects.filter(pk__in=[pks[k] for k in to_remove]).delete()
    Availability.objects.bulk_create(
        [Availability(professional=professional, day=day, slot=code) for day, code in sorted(to_add)],
        ignore_conflicts=True,
    )
    if to_add or to_remove:
        audit_record(
            actor=actor, action="availability.save", target=professional,
            data={"month": f"{year:04d}-{month:02d}", "added": len(to_add), "removed": len(to_remove)},
        )
    return len(to_add), len(to_remove)


# --------------------------------------------------------------------------- expiry notices

#: ``credential.expiring`` is sent when the professional's latest RCP insurance ends within this delay.
CREDENTIAL_NOTICE_DAYS = 30


def credentials_expiring_notify(*, today: date | None = None) -> int:
    """Tell each professional whose RCP insurance ends within 30 days (today included) that it is
    expiring (``credential.expiring``; by default in the daily digest). Only the latest insurance
    of each professional counts: one already replaced by a later attestation says nothing.
    Idempotent: the dedupe key ``credential:<id>:expiring:<expires_on>`` (one notice per expiry).
    Returns how many notifications were created.
    """
    today = today or timezone.localdate()
    later = Credential.objects.filter(
        professional=OuterRef("professional"), kind=CredentialKind.INSURANCE, expires_on__gt=OuterRef("expires_on")
    )
    due = (
        Credential.objects.filter(
            kind=CredentialKind.INSURANCE, expires_on__gte=today,
            expires_on__lte=today + timedelta(days=CREDENTIAL_NOTICE_DAYS),
        )
        .exclude(Exists(later))
        .select_related("professional__user")
        .order_by("expires_on", "pk")
    )
    url = reverse("professionals:credentials")
    sent = 0
    for credential in due:
        sent += bool(notify(
            recipient=credential.professional.user, event="credential.expiring",
            dedupe_key=f"credential:{credential.pk}:expiring:{credential.expires_on.isoformat()}",
            context={"credential": str(credential.get_kind_display()), "expires_on": credential.expires_on, "url": url},
        ))
    return sent
