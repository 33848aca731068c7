"""The one place tests build their data: people, professionals, establishments, units, shifts,
proposals, missions, availability and insurance.

Every function writes through the project's services, as a user would (``professional_create``,
``establishment_register`` then ``establishment_verify``, ``unit_create``, ``shift_post``,
``proposal_create`` then ``proposal_accept``…), so a test's data obeys the same rules as real data.
The ORM is used directly only for a state no service can produce, each time with a comment saying
why; those paths are asked for explicitly (``as_row=True``, ``move_shift``).

Identifiers come from one module-level counter: e-mail addresses, RPPS and FINESS numbers (with
their Luhn keys) never collide within a test run. Dates are computed when a function runs, from
``timezone.localdate()`` / ``timezone.now()``, never at import time.
"""

from __future__ import annotations

import itertools
import time as clock
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import ars_invitation_accept, ars_invitation_create
from establishments.models import WRITER_ROLES, Establishment, MemberRole, Membership, Shift, ShiftState, Unit
from establishments.services import (
    ShiftSpec,
    establishment_register,
    establishment_verify,
    member_invitation_accept,
    member_invitation_create,
    shift_post,
    unit_create,
)
from missions.booking.services.proposals import proposal_accept, proposal_create
from missions.core.models import Mission, MissionState, Proposal, ProposalSource
from professionals.models import Availability, Credential, CredentialKind, Professional
from professionals.services import availability_month_save, professional_create
from reference.models import EstablishmentType, Profession, Skill
from reference.selectors import contract_route_for, pay_cap_for_shift
from territories.models import Commune, Region
from ville_hopital.identifiers import luhn_check_digit

#: The password of every user made here (long and uncommon enough for the sign-up validators).
PASSWORD = "correct-horse-battery-staple"
#: The authenticator-app secret (base32) of every user given a second factor here: a test computes
#: their current code with ``totp_code``.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: The platform staff member who verifies establishments and invites ARS staff by default.
STAFF_EMAIL = "verifier@ville-hopital.test"
#: The practical information of the default unit (what a professional reads before coming).
UNIT_INFO = {"where_to_go": "Entrée B, 2e étage, demander le cadre de santé", "contact": "Cadre : 04 66 00 00 00"}

_numbers = itertools.count(1)


def next_number() -> int:
    return next(_numbers)


# --------------------------------------------------------------------------- identifiers and dates


def with_luhn_key(payload: str) -> str:
    return payload + luhn_check_digit(payload)


def valid_rpps(n: int) -> str:
    """A valid RPPS chosen by the test (``1000…``; the automatic ones start with ``1009``)."""
    return with_luhn_key(f"1000{n:06d}")


def finess(payload8: str) -> str:
    """A valid numeric FINESS from its first 8 digits."""
    return with_luhn_key(payload8)


def new_finess(commune: str) -> str:
    """A FINESS of the commune's département never handed out before (``<dép>9…``, a range tests
    that name their numbers do not use)."""
    n = next_number() % 100_000
    if commune.startswith("97"):
        return finess(f"{commune[:3]}{n:05d}")
    return finess(f"{commune[:2]}9{n:05d}")


def local(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """``day`` at ``hour``:``minute``, Paris time."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def in_days(n: int, hour: int = 8, minute: int = 0) -> datetime:
    """``n`` days from today (Paris date) at ``hour``:``minute``."""
    return local(timezone.localdate() + timedelta(days=n), hour, minute)


def from_now(delta: timedelta) -> datetime:
    """``delta`` from now, on the hour before (a shift starting "in 3 days", whatever the time now)."""
    return (timezone.now() + delta).replace(minute=0, second=0, microsecond=0)


# --------------------------------------------------------------------------- reference data


def etype(code: str) -> EstablishmentType:
    return EstablishmentType.objects.get(code=code)


def profession(short: str) -> Profession:
    """A profession by its short name (``"IDE"``, ``"MED"``…)."""
    return Profession.objects.get(short=short)


def skill(code: str) -> Skill:
    return Skill.objects.get(code=code)


# --------------------------------------------------------------------------- people


def make_user(email: str | None = None, *, password: str = PASSWORD, verified: bool = True,
              second_factor: bool | None = None, **extra) -> User:
    """An account; ``verified`` gives it the confirmed e-mail address a login needs.

    ``User.objects.create_user`` is the account's creation (sign-up is a form over it); the
    e-mail address row is what allauth writes when the link in its message is followed.
    Platform staff (``is_staff=True``) get a second factor, as their role requires, unless
    ``second_factor=False``; anyone else with ``second_factor=True``.
    """
    email = email or f"user{next_number()}@example.org"
    extra.setdefault("first_name", email.split("@")[0].title())
    user = User.objects.create_user(email, password, **extra)
    if verified:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if second_factor or (second_factor is None and user.is_staff):
        give_second_factor(user)
    return user


def give_second_factor(user: User) -> User:
    """``user`` has an authenticator app (TOTP, secret ``TOTP_SECRET``), activated with allauth's own
    ``TOTP.activate`` — what its activation page does once the first code is right. Kept if they have one.

    Platform staff, ARS staff and establishment admins / HR must have one (ville_hopital.roles): the
    factories below give it to them by default (``second_factor=False`` builds one who has not enrolled)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)
    return user


def totp_code(*, periods: int = 0, secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app shows now (``periods`` periods of 30 s later, or earlier when
    negative), computed with allauth's own TOTP function."""
    counter = int(clock.time()) // mfa_settings.TOTP_PERIOD + periods
    return format_hotp_value(hotp_value(secret, counter))


def sign_in(client, user: User) -> None:
    """``user`` signs in with Django's test ``client`` through the pages, as a person does: the password,
    then (an account with a second factor) the current code — a recent authentication, which inviting a
    member or signing a contract asks for (``force_login`` records none). A code serves once per
    account: if this one was used already, the next period's is typed (allauth accepts it)."""
    client.logout()  # whoever was signed in before is not any more
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    if response.status_code != 302 or response["Location"] != reverse("mfa_authenticate"):
        return
    for periods in (0, 1):
        if client.post(reverse("mfa_authenticate"), {"code": totp_code(periods=periods)}).status_code == 302:
            return
    raise AssertionError(f"{user.email}: the second step refused the current and the next code")


def platform_staff() -> User:
    """The platform staff member of this test's database (created on first use; with a second factor)."""
    return User.objects.filter(email=STAFF_EMAIL).first() or make_user(STAFF_EMAIL, is_staff=True)


def make_ars_agent(region: str = "76", email: str | None = None, *, invited_by: User | None = None,
                   first_name: str = "Agent", last_name: str = "ARS", second_factor: bool = True) -> User:
    """ARS staff of ``region``, through the invitation (the only way to become one); with a second
    factor (``give_second_factor``) unless ``second_factor=False``."""
    invitation = ars_invitation_create(
        actor=invited_by or platform_staff(), email=email or f"ars{next_number()}@ars.sante.fr",
        region=Region.objects.get(code=region),
    )
    agent = ars_invitation_accept(token=invitation.token, first_name=first_name, last_name=last_name, password=PASSWORD)
    return give_second_factor(agent) if second_factor else agent


# --------------------------------------------------------------------------- professionals


def make_professional(user: User | None = None, *, profession: str = "60", commune: str = "48095",
                      skills: Iterable[str] = (), rpps: str | None = None, **fields) -> Professional:
    """``user``'s professional profile (a new user when None). ``fields``: the other arguments of
    ``professional_create`` (``radius_km``, ``max_missions_per_month``, ``min_notice_hours``…)."""
    return professional_create(
        actor=user or make_user(), profession=Profession.objects.get(code=profession),
        home_commune=Commune.objects.get(code_insee=commune), rpps=rpps or with_luhn_key(f"1009{next_number():06d}"),
        skills=Skill.objects.filter(code__in=list(skills)), **fields,
    )


def insure(professional: Professional, until: date | None = None) -> Credential:
    """An RCP insurance attestation valid until ``until`` (a year from today by default).

    ORM: ``credential_upload`` needs a real file; what is tested here is the expiry date, the
    upload itself is tested in the professionals area.
    """
    return Credential.objects.create(
        professional=professional, kind=CredentialKind.INSURANCE, file="credentials/test-rcp.pdf",
        original_name="rcp.pdf", content_type="application/pdf", size=8,
        expires_on=until or timezone.localdate() + timedelta(days=365),
    )


def make_availability(professional: Professional, day: date, slot: str = "D", *, as_row: bool = False) -> Availability:
    """``professional`` declares ``slot`` (``"D"`` or ``"N"``) of ``day``, keeping the month's other slots.

    ``as_row=True`` writes the row directly, for a slot already started (in the past), which the
    calendar no longer lets anyone declare.
    """
    if as_row:
        return Availability.objects.get_or_create(professional=professional, day=day, slot=slot)[0]
    month = Availability.objects.filter(professional=professional, day__year=day.year, day__month=day.month)
    slots = set(month.values_list("day", "slot")) | {(day, slot)}
    availability_month_save(actor=professional.user, professional=professional, year=day.year, month=day.month,
                            slots=slots)
    declared = Availability.objects.filter(professional=professional, day=day, slot=slot).first()
    if declared is None:  # the calendar keeps a started or booked slot as it is
        raise ValueError(f"{day} {slot}: a started or booked slot cannot be declared (as_row=True writes it)")
    return declared


# --------------------------------------------------------------------------- establishments


def _registrant(members: Mapping[User, str]) -> User | None:
    for role in (MemberRole.ADMIN, MemberRole.HR):
        for user, wanted in members.items():
            if wanted == role:
                return user
    return None


def writer_of(establishment: Establishment) -> User:
    """An admin of the establishment, else an HR member: who posts its shifts by default."""
    memberships = Membership.objects.filter(establishment=establishment, role__in=[MemberRole.ADMIN, MemberRole.HR])
    membership = min(memberships.select_related("user"), key=lambda m: (m.role != MemberRole.ADMIN, m.pk), default=None)
    if membership is None:
        raise ValueError(f"{establishment} has no admin or HR member to act for it")
    return membership.user


def add_member(establishment: Establishment, user: User, role: str = MemberRole.HR, *, by: User | None = None,
               second_factor: bool = True) -> Membership:
    """``user`` joins with ``role``: invited by an admin (``by``), then accepting the invitation. An
    admin or HR member gets a second factor (``give_second_factor``) unless ``second_factor=False``."""
    if by is None:
        admin = Membership.objects.filter(establishment=establishment, role=MemberRole.ADMIN).first()
        if admin is None:
            raise ValueError(f"{establishment} has no admin to invite {user}")
        by = admin.user
    invitation = member_invitation_create(actor=by, establishment=establishment, email=user.email, role=role)
    membership = member_invitation_accept(actor=user, token=invitation.token)
    if second_factor and role in WRITER_ROLES:
        give_second_factor(user)
    return membership


def make_establishment(
    *, admin: User | None = None, members: Mapping[User, str] | None = None, name: str | None = None,
    type_code: str = "CH", commune: str = "48095", address: str = "1 avenue de l'Hôpital",
    finess_geo: str | None = None, finess_legal: str | None = None, verified: bool = True,
    verified_by: User | None = None, second_factor: bool = True,
) -> Establishment:
    """An establishment registered by ``admin`` and verified by platform staff (``verified=False``:
    left pending); then each of ``members`` joins with its role.

    Without ``admin``, the first admin, else the first HR member, of ``members`` registers it,
    else a new user does. Its admins and HR members have a second factor, as their role requires,
    unless ``second_factor=False``.
    """
    members = dict(members or {})
    registrant = admin or _registrant(members) or make_user()
    establishment = establishment_register(
        actor=registrant, finess_geo=finess_geo or new_finess(commune), finess_legal=finess_legal or new_finess(commune),
        name=name or f"Établissement {next_number()}", type=etype(type_code),
        commune=Commune.objects.get(code_insee=commune), address=address,
    )
    if verified:
        establishment = establishment_verify(actor=verified_by or platform_staff(), establishment=establishment)
    for user, role in members.items():
        if user != registrant:
            add_member(establishment, user, role, by=registrant, second_factor=second_factor)
    role = members.get(registrant, MemberRole.ADMIN)
    if second_factor and role in WRITER_ROLES:
        give_second_factor(registrant)
    if role != MemberRole.ADMIN:
        # ORM: no service takes the admin role back from the one who registered the establishment;
        # the test wants its writers to be exactly ``members`` (e.g. one HR member and no admin).
        Membership.objects.filter(user=registrant, establishment=establishment).update(role=role)
    return establishment


def make_unit(establishment: Establishment, *, name: str = "Urgences", by: User | None = None, **info) -> Unit:
    """A unit, with practical information (``UNIT_INFO`` unless given)."""
    return unit_create(actor=by or writer_of(establishment), establishment=establishment, name=name,
                       **{**UNIT_INFO, **info})


def default_unit(establishment: Establishment) -> Unit:
    """The establishment's "Urgences" unit, made on first use."""
    return establishment.units.filter(name="Urgences").first() or make_unit(establishment)


# --------------------------------------------------------------------------- shifts


def post_shift(*, actor, starts_at: datetime, ends_at: datetime, **spec_fields) -> Shift:
    """``shift_post`` from one flat dict of fields (what the tests vary one at a time): the times,
    and the rest as the ``ShiftSpec``."""
    return shift_post(actor=actor, spec=ShiftSpec(**spec_fields), starts_at=starts_at, ends_at=ends_at)


def make_shift(
    establishment: Establishment | None = None, *, by: User | None = None, unit: Unit | None = None,
    profession: str = "60", skills: Iterable[str] = (), starts_at: datetime | None = None, hours: float = 12,
    positions: int = 1, pay: Decimal | None = None, urgent: bool = False, urgency: int = 3,
    location: str | None = None, as_row: bool = False, state: str = ShiftState.PUBLISHED,
    created_at: datetime | None = None, contract_route: str | None = None,
) -> Shift:
    """A shift posted with ``shift_post`` by ``by`` (a writer of the establishment by default).

    Defaults: a new establishment, its "Urgences" unit, a nurse (``"60"``), 12 h from 08:00 in
    10 days, one position, paid the legal cap when one applies (600 € otherwise). ``location``: the
    commune where a mobile unit parks. As the service does, a shift within 48 h is urgent.

    ``as_row=True`` writes the row directly, for what ``shift_post`` refuses or decides otherwise:
    history (a start in the past, a back-dated ``created_at``, another ``state``), a pay above the
    cap, a ``contract_route`` that forbids the pair, or a shift within 48 h not flagged urgent.
    """
    if not as_row and (state != ShiftState.PUBLISHED or created_at or contract_route):
        raise TypeError("state, created_at and contract_route are for as_row=True (shift_post decides them)")
    establishment = establishment or (unit.establishment if unit else make_establishment())
    unit = unit or default_unit(establishment)
    actor = by or writer_of(establishment)
    job = Profession.objects.get(code=profession)
    required = list(Skill.objects.filter(code__in=list(skills)))
    starts_at = starts_at or in_days(10)
    ends_at = starts_at + timedelta(hours=hours)
    place = Commune.objects.get(code_insee=location) if location else None
    cap = pay_cap_for_shift(
        profession=job, skill_codes=[s.code for s in required], establishment_type=establishment.type,
        on=timezone.localdate(starts_at), hours=Decimal(str(hours)),
        overseas=(place or establishment.commune).region.is_overseas,
    )
    if pay is None:
        pay = cap.amount if cap else Decimal("600.00")
    if not as_row:
        spec = ShiftSpec(
            unit=unit, profession=job, required_skills=required, positions=positions, urgency=urgency,
            urgent=urgent, pay=pay, location=place,
        )
        return shift_post(actor=actor, spec=spec, starts_at=starts_at, ends_at=ends_at)
    # ORM: the states listed in the docstring, which the posting service would refuse or change.
    route = contract_route or contract_route_for(profession=job, establishment_type=establishment.type).kind
    shift = Shift.objects.create(
        establishment=establishment, unit=unit, profession=job, starts_at=starts_at, ends_at=ends_at,
        positions=positions, urgent=urgent, urgency=urgency, pay=pay, pay_cap=cap.amount if cap else None,
        pay_cap_explanation=cap.explanation if cap else "", contract_route=route,
        location=place or establishment.commune, state=state, created_by=actor, created_at=created_at or timezone.now(),
    )
    shift.required_skills.set(required)
    return shift


def move_shift(shift: Shift, *, starts_at: datetime) -> Shift:
    """Time passes: ``shift`` and its missions now start at ``starts_at`` (same duration).

    ORM: no service moves a posted shift, and a shift cannot be posted in the past; this is how a
    test gets a shift that was posted days ago and starts soon, has started or is over.
    """
    ends_at = starts_at + (shift.ends_at - shift.starts_at)
    Shift.objects.filter(pk=shift.pk).update(starts_at=starts_at, ends_at=ends_at)
    Mission.objects.filter(shift=shift).update(starts_at=starts_at, ends_at=ends_at)
    shift.refresh_from_db()
    return shift


def move_to_past(shift: Shift, days: int = 2) -> Shift:
    """``shift`` (and its missions) started ``days`` days ago: it can be closed ("service fait")."""
    return move_shift(shift, starts_at=timezone.now() - timedelta(days=days))


# --------------------------------------------------------------------------- proposals and missions


def make_proposal(shift: Shift, professional: Professional, *, expires_in: timedelta = timedelta(days=2),
                  distance: str = "12.3", source: str = ProposalSource.MANUAL, insured: bool = True) -> Proposal:
    """``shift`` offered to ``professional`` with ``proposal_create``.

    Only insured professionals receive offers (and may accept them): with ``insured``, one who has
    no RCP attestation valid on the shift's day gets one (``insure``), as the matching requires.
    """
    day = timezone.localdate(shift.starts_at)
    if insured and not Professional.objects.eligible_on(day).filter(pk=professional.pk).exists():
        insure(professional, day + timedelta(days=365))
    return proposal_create(
        shift=shift, professional=professional, source=source, distance_km=Decimal(distance),
        expires_at=timezone.now() + expires_in,
    )


def book(shift: Shift, professional: Professional, *, distance: str = "12.3", as_row: bool = False,
         position: int | None = None, state: str = MissionState.BOOKED, booked_at: datetime | None = None,
         cancelled_by: str = "") -> Mission:
    """``professional`` booked on ``shift``: a proposal (``make_proposal``) they accept (``proposal_accept``).

    ``as_row=True`` writes the mission directly, for what the booking refuses or does on its own:
    history (a shift in the past or cancelled, a chosen ``state``, ``booked_at``, ``cancelled_by``),
    overlapping missions of one professional, or a full shift whose pending offers stay pending
    (an acceptance that fills a shift withdraws them).
    """
    if not as_row:
        return proposal_accept(actor=professional.user, proposal=make_proposal(shift, professional, distance=distance))
    if position is None:
        taken = set(Mission.objects.filter(shift=shift).exclude(state=MissionState.CANCELLED).values_list("position", flat=True))
        position = next(n for n in range(1, shift.positions + 1) if n not in taken)
    # ORM: the states listed in the docstring, which ``proposal_accept`` would refuse.
    return Mission.objects.create(
        shift=shift, position=position, professional=professional, state=state, pay=shift.pay,
        starts_at=shift.starts_at, ends_at=shift.ends_at, distance_km=Decimal(distance),
        booked_at=booked_at or timezone.now(), cancelled_by=cancelled_by,
    )


def make_mission(professional: Professional, establishment: Establishment | None = None, **shift_fields) -> Mission:
    """A shift of ``professional``'s profession (``make_shift(**shift_fields)``), booked with ``book``."""
    return book(make_shift(establishment, profession=professional.profession_id, **shift_fields), professional)
