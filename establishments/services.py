"""Writes about establishments: onboarding, verification, members, units and shift posting.

Every function is keyword-only, atomic, checks who may act (``PermissionDenied``), validates
(``ValidationError`` naming the field) and writes an audit row. Shift posting runs one validation,
``shift_validate``, shared by the one-off form, the recurring posting and the CSV import, so a
rule cannot be checked in one path and forgotten in another; the three hand it the same
``ShiftSpec`` (what is posted; when is apart), built in one place per entry point (the posting
forms' ``spec()``, the CSV import's ``line_spec``), the series validating it on each of its dates.

Choices where the issue is silent (also in the final report):

* a shift starting within 48 h is urgent whatever HR ticked (``Shift.is_urgent``, the one definition;
  posting stores it in the flag so that the board shows it);
* a shift lasts at most 24 h (the legal maximum of continuous work);
* the pay cap in force is the one of the shift's start date, in the establishment's region
  (overseas amounts in overseas regions); for a mobile unit, the region of the place it parks;
* a CSV import writes one audit row per import (with the ids of the shifts), not one per line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from establishments.access import establishment_require
from establishments.models import (
    Establishment,
    EstablishmentStatus,
    MemberInvitation,
    MemberRole,
    Membership,
    Shift,
    ShiftSeries,
    ShiftState,
    Unit,
)
from reference.models import EstablishmentType, Profession, Skill
from reference.selectors import contract_route_for, pay_cap_for_shift
from reference.skills import foreign_skill_messages
from territories.models import Commune
from ville_hopital.access import ADMIN, CHANGE
from ville_hopital.audit import audit_record
from ville_hopital.emails import email_send_on_commit
from ville_hopital.identifiers import clean_finess, validate_finess
from ville_hopital.money import format_amount
from ville_hopital.task_queue import task_queue_on_commit

MAX_SHIFT_DURATION = timedelta(hours=24)
INVITATION_VALIDITY = timedelta(days=14)
MAX_SERIES_WEEKS = 26

#: Shift templates offered by the forms and the recurring posting: (start, end); an end at or
#: before the start means the next morning.
SHIFT_TEMPLATES: dict[str, tuple[time, time]] = {
    "day": (time(8, 0), time(20, 0)),
    "night": (time(20, 0), time(8, 0)),
}

# Fields a shift references by instance: they were loaded from the database (and checked) just
# before, so ``full_clean`` need not query each of them again (that made a CSV import slow).
_SHIFT_FK_FIELDS = ["establishment", "unit", "profession", "location", "created_by", "series"]


# --------------------------------------------------------------------------- #
# Onboarding and verification
# --------------------------------------------------------------------------- #


def _clean_finess_field(value: str, field_name: str) -> str:
    try:
        validate_finess(value)
    except ValidationError as error:
        raise ValidationError({field_name: error.messages}) from None
    return clean_finess(value)


@transaction.atomic
def establishment_register(
    *,
    actor,
    finess_geo: str,
    finess_legal: str,
    name: str,
    type: EstablishmentType,
    commune: Commune,
    address: str,
) -> Establishment:
    """Claim a FINESS site: the establishment is *pending* and ``actor`` becomes its admin."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    try:
        finess_geo = _clean_finess_field(finess_geo, "finess_geo")
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        finess_legal = _clean_finess_field(finess_legal, "finess_legal")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if Establishment.objects.filter(finess_geo=finess_geo).exists():
        raise ValidationError(
            {"finess_geo": _("Ce numéro FINESS est déjà enregistré par un autre compte.")}, code="claimed"
        )
    establishment = Establishment(
        finess_geo=finess_geo,
        finess_legal=finess_legal,
        name=name.strip(),
        type=type,
        commune=commune,
        address=address.strip(),
        status=EstablishmentStatus.PENDING,
    )
    establishment.full_clean()
    try:
        with transaction.atomic():
            establishment.save()
    except IntegrityError:  # two claims of one FINESS at the same instant
        raise ValidationError(
            {"finess_geo": _("Ce numéro FINESS est déjà enregistré par un autre compte.")}, code="claimed"
        ) from None
    Membership.objects.create(user=actor, establishment=establishment, role=MemberRole.ADMIN)
    audit_record(
        actor=actor, action="establishment.register", target=establishment, to_state=EstablishmentStatus.PENDING,
        data={"finess_geo": finess_geo, "finess_legal": finess_legal},
    )
    return establishment


def _admin_emails(establishment: Establishment) -> list[str]:
    return list(
        Membership.objects.filter(establishment=establishment, role=MemberRole.ADMIN).values_list(
            "user__email", flat=True
        )
    )


@transaction.atomic
def establishment_verify(*, actor, establishment: Establishment) -> Establishment:
    """Platform staff checked the FINESS and the person: the establishment may post. Admins are emailed."""
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied(_("Seule l'équipe de la plateforme vérifie les établissements."))
    establishment = Establishment.objects.select_for_update().get(pk=establishment.pk)
    if establishment.status == EstablishmentStatus.VERIFIED:
        return establishment
    previous = establishment.status
    establishment.status = EstablishmentStatus.VERIFIED
    establishment.verified_at = timezone.now()
    establishment.full_clean()
    establishment.save(update_fields=["status", "verified_at"])
    audit_record(
        actor=actor, action="establishment.verify", target=establishment, from_state=previous,
        to_state=EstablishmentStatus.VERIFIED,
    )
    recipients = _admin_emails(establishment)
    link = settings.SITE_URL + reverse("establishments:detail", args=[establishment.pk])
    if recipients:
        email_send_on_commit(
            "establishments/email/verified", to=recipients,
            context={"name": establishment.name, "finess": establishment.finess_geo, "link": link},
        )
    return establishment


# --------------------------------------------------------------------------- #
# Members
# --------------------------------------------------------------------------- #


@transaction.atomic
def member_invitation_create(
    *, actor, establishment: Establishment, email: str, role: str
) -> MemberInvitation:
    """An admin invites someone by email with a role (admin, HR or viewer)."""
    establishment_require(actor, establishment, ADMIN)
    email = email.strip().lower()
    if role not in MemberRole.values:
        raise ValidationError({"role": _("Rôle inconnu.")})
    if Membership.objects.filter(establishment=establishment, user__email__iexact=email).exists():
        raise ValidationError({"email": _("Cette personne est déjà membre de l'établissement.")})
    invitation = MemberInvitation(
        establishment=establishment, email=email, role=role, invited_by=actor,
        expires_at=timezone.now() + INVITATION_VALIDITY,
    )
    invitation.full_clean()
    invitation.save()
    audit_record(actor=actor, action="member_invitation.create", target=invitation, data={"role": role})
    link = settings.SITE_URL + reverse("establishments:invitation_accept", args=[invitation.token])
    email_send_on_commit(
        "establishments/email/member_invitation", to=[email],
        context={
            "who": str(actor), "name": establishment.name, "role": invitation.get_role_display(),
            "link": link, "expires_at": invitation.expires_at,
        },
    )
    return invitation


@transaction.atomic
def member_invitation_accept(*, actor, token: str) -> Membership:
    """The invited person, logged in with the invited address, joins with the invited role."""
    invitation = MemberInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None or invitation.accepted_at or invitation.expires_at <= timezone.now():
        raise ValidationError(_("Cette invitation n'existe pas, a expiré ou a déjà servi."))
    if actor.email.lower() != invitation.email.lower():
        raise PermissionDenied(_("Cette invitation a été envoyée à une autre adresse e-mail."))
    membership, created = Membership.objects.get_or_create(
        user=actor, establishment=invitation.establishment, defaults={"role": invitation.role}
    )
    if not created and membership.role != invitation.role:
        membership.role = invitation.role
        membership.save(update_fields=["role"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(actor=actor, action="member_invitation.accept", target=invitation, data={"role": invitation.role})
    return membership


# --------------------------------------------------------------------------- #
# Units
# --------------------------------------------------------------------------- #

UNIT_FIELDS = ("name", "specialty", "where_to_go", "contact", "parking", "patient_record_access")


@transaction.atomic
def unit_create(
    *,
    actor,
    establishment: Establishment,
    name: str,
    specialty: Skill | None = None,
    where_to_go: str = "",
    contact: str = "",
    parking: str = "",
    patient_record_access: str = "",
) -> Unit:
    establishment_require(actor, establishment, CHANGE)
    unit = Unit(
        establishment=establishment, name=name.strip(), specialty=specialty, where_to_go=where_to_go,
        contact=contact, parking=parking, patient_record_access=patient_record_access,
    )
    if Unit.objects.filter(establishment=establishment, name__iexact=unit.name).exists():
        raise ValidationError({"name": _("Une unité porte déjà ce nom dans cet établissement.")})
    unit.full_clean()
    unit.save()
    audit_record(actor=actor, action="unit.create", target=unit)
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, **changes) -> Unit:
    establishment_require(actor, unit.establishment, CHANGE)
    unknown = set(changes) - set(UNIT_FIELDS)
    if unknown:
        raise TypeError(f"unit_update: unknown fields {sorted(unknown)}")
    for name, value in changes.items():
        setattr(unit, name, value.strip() if name == "name" else value)
    if Unit.objects.filter(establishment=unit.establishment, name__iexact=unit.name).exclude(pk=unit.pk).exists():
        raise ValidationError({"name": _("Une unité porte déjà ce nom dans cet établissement.")})
    unit.full_clean()
    unit.save()
    audit_record(actor=actor, action="unit.update", target=unit, data={"fields": sorted(changes)})
    return unit


# --------------------------------------------------------------------------- #
# Shifts
# --------------------------------------------------------------------------- #


@dataclass
class ReferenceCache:
    """Per-call memo of the legal tables (a CSV import asks the same question a thousand times)."""

    caps: dict = field(default_factory=dict)
    routes: dict = field(default_factory=dict)

    def cap(self, *, profession, skill_codes, establishment_type, on, hours, overseas):
        key = (profession.pk, tuple(sorted(skill_codes)), establishment_type.pk, on, hours, overseas)
        if key not in self.caps:
            self.caps[key] = pay_cap_for_shift(
                profession=profession, skill_codes=skill_codes, establishment_type=establishment_type,
                on=on, hours=hours, overseas=overseas,
            )
        return self.caps[key]

    def route(self, *, profession, establishment_type):
        key = (profession.pk, establishment_type.pk)
        if key not in self.routes:
            self.routes[key] = contract_route_for(profession=profession, establishment_type=establishment_type)
        return self.routes[key]


@dataclass(frozen=True, kw_only=True)
class ShiftSpec:
    """What HR posts, as the one-off form, the recurring posting and the CSV import all give it.

    When is apart: one start and end for a shift (``shift_post``, ``shift_validate``), a rule of
    dates for a series (each date validated with the same spec). Not yet checked: ``shift_validate``
    is where the rules are.
    """

    unit: Unit
    profession: Profession
    required_skills: tuple[Skill, ...] = ()
    positions: int
    urgency: int
    urgent: bool
    pay: Decimal
    #: Where a mobile unit parks that day; a fixed site's shifts are at its own commune.
    location: Commune | None = None
    shared_with_legal_entity: bool = False

    def __post_init__(self) -> None:
        # A tuple whatever the caller had (a queryset, a list), so equal postings give equal specs.
        object.__setattr__(self, "required_skills", tuple(self.required_skills))


@dataclass
class ShiftDraft:
    """A validated shift, not yet saved, with its required skills."""

    shift: Shift
    skills: list[Skill]


def shift_validate(
    *,
    actor,
    spec: ShiftSpec,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime | None = None,
    cache: ReferenceCache | None = None,
    check_permission: bool = True,
) -> ShiftDraft:
    """Every rule of a shift; raises ``ValidationError`` with a dict naming each wrong field."""
    unit, profession, positions, urgency, pay = spec.unit, spec.profession, spec.positions, spec.urgency, spec.pay
    location = spec.location
    establishment = unit.establishment
    if check_permission:
        establishment_require(actor, establishment, CHANGE)
    if not establishment.can_post:
        raise ValidationError(
            {NON_FIELD_ERRORS: _("L'établissement doit être vérifié par l'équipe Ville-Hôpital avant de publier.")},
            code="not_verified",
        )
    now = now or timezone.now()
    cache = cache or ReferenceCache()
    skills = list(spec.required_skills)
    # Durations are real elapsed time: two Paris datetimes subtract as wall-clock times in Python,
    # which would make the night of a clock change 12 h instead of 13 h (or 11 h).
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if starts_at <= now:
        add("starts_at", _("Le début de la vacation doit être dans le futur."))
    if ends_at <= starts_at:
        add("ends_at", _("La fin doit être après le début."))
    elif ends_at - starts_at > MAX_SHIFT_DURATION:
        add("ends_at", _("Une vacation dure au plus 24 heures."))
    if positions is None or positions < 1:
        add("positions", _("Il faut au moins un poste."))
    elif positions > 50:
        add("positions", _("Au plus 50 postes par vacation."))
    if urgency is None or not 1 <= urgency <= 5:
        add("urgency", _("L'urgence va de 1 à 5."))
    if not isinstance(pay, Decimal):
        raise TypeError("pay must be a Decimal")
    if pay <= 0:
        add("pay", _("La rémunération doit être positive."))
    elif pay.as_tuple().exponent < -2:
        add("pay", _("La rémunération s'exprime en euros et centimes."))
    for message in foreign_skill_messages(profession, skills):
        add("required_skills", message)

    etype = establishment.type
    if etype.is_mobile:
        if location is None:
            add("location", _("Une unité mobile doit indiquer la commune où elle stationne ce jour-là."))
    else:
        location = establishment.commune

    route = cache.route(profession=profession, establishment_type=etype)
    if not route.is_allowed:
        add(
            "profession",
            _("Cette profession ne peut pas être recrutée dans ce type d'établissement : %(basis)s.")
            % {"basis": route.legal_basis},
        )

    cap = None
    if "ends_at" not in errors and "starts_at" not in errors and location is not None:
        hours = Decimal((ends_at - starts_at).total_seconds()) / Decimal(3600)
        overseas = (location if etype.is_mobile else establishment.commune).region.is_overseas
        cap = cache.cap(
            profession=profession, skill_codes=[s.code for s in skills], establishment_type=etype,
            on=timezone.localdate(starts_at), hours=hours, overseas=overseas,
        )
        if cap is not None and "pay" not in errors and pay > cap.amount:
            add(
                "pay",
                _("La rémunération dépasse le plafond légal de %(cap)s € pour cette vacation (%(explanation)s).")
                % {"cap": format_amount(cap.amount, currency=False), "explanation": cap.explanation},
            )
    if errors:
        raise ValidationError(errors)

    shift = Shift(
        establishment=establishment,
        unit=unit,
        profession=profession,
        starts_at=starts_at,
        ends_at=ends_at,
        positions=positions,
        urgent=bool(spec.urgent),
        urgency=urgency,
        pay=pay,
        pay_cap=cap.amount if cap else None,
        pay_cap_explanation=cap.explanation if cap else "",
        contract_route=route.kind,
        location=location,
        shared_with_legal_entity=bool(spec.shared_with_legal_entity),
        state=ShiftState.PUBLISHED,
        created_by=actor,
    )
    shift.urgent = shift.is_urgent(now)
    # The two check constraints (end after start, positions ≥ 1) were checked above and the database
    # enforces them; Django would check each with a query (two per line of a CSV import).
    shift.full_clean(exclude=_SHIFT_FK_FIELDS, validate_constraints=False)
    return ShiftDraft(shift=shift, skills=skills)


#: The urgent matching lives in ``missions``, which depends on this app: queued by name.
URGENT_MATCH_TASK = "missions.tasks.match_urgent_shift"


def urgent_matching_queue(shifts: Iterable[Shift]) -> None:
    """Queue the first wave of proposals of each urgent shift, after the posting commits.

    On commit so the worker sees the shift and nothing is proposed for a posting that rolled back;
    ``missions.tasks.match_urgent_pending`` (every 5 minutes) catches a message lost on the way.
    """
    for shift in shifts:
        if shift.is_urgent():
            task_queue_on_commit(URGENT_MATCH_TASK, shift.pk, 1)


def save_drafts(drafts: Sequence[ShiftDraft], *, series: ShiftSeries | None = None) -> list[Shift]:
    """Write validated drafts in bulk (callers are atomic services that audit what they wrote); the
    urgent ones are queued for matching."""
    shifts = [d.shift for d in drafts]
    for shift in shifts:
        shift.series = series
    Shift.objects.bulk_create(shifts)
    through = Shift.required_skills.through
    through.objects.bulk_create(
        [through(shift_id=d.shift.pk, skill_id=s.pk) for d in drafts for s in d.skills]
    )
    urgent_matching_queue(shifts)
    return shifts


@transaction.atomic
def shift_post(*, actor, spec: ShiftSpec, starts_at: datetime, ends_at: datetime) -> Shift:
    """Publish one shift (a writer member of a verified establishment). Urgent if within 48 h."""
    if spec.shared_with_legal_entity:
        establishment_require(actor, spec.unit.establishment, ADMIN)
    draft = shift_validate(actor=actor, spec=spec, starts_at=starts_at, ends_at=ends_at)
    shift = draft.shift
    shift.save()
    shift.required_skills.set(draft.skills)
    audit_record(
        actor=actor, action="shift.post", target=shift, to_state=ShiftState.PUBLISHED,
        data={"pay": str(shift.pay), "pay_cap": str(shift.pay_cap or ""), "urgent": shift.urgent},
    )
    urgent_matching_queue([shift])
    return shift


def _weekday_names() -> list[str]:
    return [_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi"), _("samedi"), _("dimanche")]


#: How far from today a posting's day may be. Hospitals plan a year or two ahead; a day beyond
#: (9999-12-31, 0001-01-01) would also overflow the date arithmetic of an overnight shift's end or of
#: a series' weeks (a 500, found by the API's review). One window for the form, the API and the CSV.
POSTING_WINDOW = timedelta(days=731)


def posting_day_check(day: date) -> None:
    """Raise ``ValidationError`` (one message, for the caller's field) for a day outside the window."""
    today = timezone.localdate()
    first, last = today - POSTING_WINDOW, today + POSTING_WINDOW
    if not first <= day <= last:
        raise ValidationError(_("Choisissez une date entre le %(low)s et le %(high)s.") % {
            "low": date_format(first, "DATE_FORMAT"), "high": date_format(last, "DATE_FORMAT"),
        }, code="outside_posting_window")


def series_dates(*, first_day: date, weekdays: Iterable[int], weeks: int) -> list[date]:
    """The days of ``weeks`` weeks starting at ``first_day`` that fall on ``weekdays`` (0 = Monday)."""
    wanted = set(weekdays)
    return [d for d in (first_day + timedelta(days=i) for i in range(7 * weeks)) if d.weekday() in wanted]


def shift_times(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """Local (Europe/Paris) start and end, returned in UTC; an end at or before the start is the next day."""
    tz = timezone.get_current_timezone()
    starts_at = timezone.make_aware(datetime.combine(day, start), tz)
    end_day = day + timedelta(days=1) if end <= start else day
    ends_at = timezone.make_aware(datetime.combine(end_day, end), tz)
    # In UTC, so that ``ends_at - starts_at`` is the real duration across a clock change.
    return starts_at.astimezone(UTC), ends_at.astimezone(UTC)


@transaction.atomic
def shift_series_post(
    *,
    actor,
    spec: ShiftSpec,
    first_day: date,
    weekdays: Iterable[int],
    weeks: int,
    start: time,
    end: time,
) -> ShiftSeries:
    """A recurring posting (e.g. every Saturday night for 8 weeks): all shifts or none.

    ``start``/``end`` come from a template (``SHIFT_TEMPLATES``) or are typed; an end at or
    before the start ends the next morning. An error on any date names that date.
    """
    unit = spec.unit
    establishment_require(actor, unit.establishment, CHANGE)
    weekdays = sorted(set(weekdays))
    errors: dict[str, list[str]] = {}
    if not weekdays or any(not 0 <= w <= 6 for w in weekdays):
        errors["weekdays"] = [_("Choisissez au moins un jour de la semaine.")]
    if weeks is None or not 1 <= weeks <= MAX_SERIES_WEEKS:
        errors["weeks"] = [_("Le nombre de semaines va de 1 à %(max)s.") % {"max": MAX_SERIES_WEEKS}]
    try:
        posting_day_check(first_day)
    except ValidationError as error:
        errors["first_day"] = error.messages
    if errors:
        raise ValidationError(errors)
    if spec.shared_with_legal_entity:
        establishment_require(actor, unit.establishment, ADMIN)
    cache = ReferenceCache()
    now = timezone.now()
    drafts: list[ShiftDraft] = []
    days = series_dates(first_day=first_day, weekdays=weekdays, weeks=weeks)
    if not days:
        raise ValidationError({"weekdays": _("Aucune date ne correspond à ces jours.")})
    for day in days:
        starts_at, ends_at = shift_times(day, start, end)
        try:
            drafts.append(
                shift_validate(
                    actor=actor, spec=spec, starts_at=starts_at, ends_at=ends_at, now=now, cache=cache,
                    check_permission=False,
                )
            )
        except ValidationError as error:
            raise ValidationError(
                {
                    name: [f"{day:%d/%m/%Y} : {m}" for m in messages]
                    for name, messages in error.message_dict.items()
                }
            ) from None
    names = _weekday_names()
    rule = _("chaque %(days)s, %(start)s–%(end)s, pendant %(weeks)s semaine(s) à partir du %(first)s") % {
        "days": ", ".join(names[w] for w in weekdays), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
        "weeks": weeks, "first": f"{first_day:%d/%m/%Y}",
    }
    series = ShiftSeries(establishment=unit.establishment, rule=rule[:200], created_by=actor)
    series.full_clean(exclude=["establishment", "created_by"])
    series.save()
    shifts = save_drafts(drafts, series=series)
    audit_record(
        actor=actor, action="shift_series.post", target=series, to_state=ShiftState.PUBLISHED,
        data={"shifts": [s.pk for s in shifts]},
    )
    return series


@transaction.atomic
def shift_share_with_legal_entity(*, actor, shift: Shift, shared: bool = True) -> Shift:
    """An admin offers (or stops offering) a shift to the other sites of the same legal entity."""
    establishment_require(actor, shift.establishment, ADMIN)
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    if shift.state == ShiftState.CANCELLED:
        raise ValidationError({NON_FIELD_ERRORS: _("Cette vacation est annulée.")})
    if shift.shared_with_legal_entity != shared:
        shift.shared_with_legal_entity = shared
        shift.save(update_fields=["shared_with_legal_entity"])
        audit_record(
            actor=actor, action="shift.share" if shared else "shift.unshare", target=shift,
            data={"finess_legal": shift.establishment.finess_legal},
        )
    return shift
