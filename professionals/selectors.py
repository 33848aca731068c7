"""Reads for the professional's own pages, always scoped to the user.

Missions: ``professionals`` never imports ``missions`` (the dependency points the other way), yet
the calendar must show booked slots and a profile change must not break a booked mission. Those
reads go through the reverse relation ``professional.missions`` with the state values spelled
here (``BOOKED``, ``ACTIVE``: the same strings as ``missions.models.MissionState``) — a read of the
table, not a use of its code. Keep them in this module only.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from directories.selectors import RppsDeclaration, rpps_checks
from professionals.calendar import (
    SLOT_CODES,
    SlotKey,
    copy_previous_month,
    month_weeks,
)
from professionals.models import (
    MISSION_STATES_SHARING_DOCUMENTS,
    Availability,
    Credential,
    CredentialKind,
    Professional,
    slot_bounds,
)
from ville_hopital.access import CHANGE
from ville_hopital.months import month_days, next_month, previous_month

BOOKED = "booked"
ACTIVE = MISSION_STATES_SHARING_DOCUMENTS


def professional_of(user) -> Professional | None:
    return Professional.objects.for_user(user).select_related("user", "profession", "home_commune").first()


# --------------------------------------------------------------------------- missions seen from here


def missions_between(professional: Professional, start: datetime, end: datetime) -> QuerySet:
    """Active missions overlapping [start, end), with what the calendar shows."""
    return (
        professional.missions.filter(state__in=ACTIVE, starts_at__lt=end, ends_at__gt=start)
        .select_related("shift__unit", "shift__establishment")
        .order_by("starts_at")
    )


def upcoming_booked_missions(professional: Professional) -> QuerySet:
    return (
        professional.missions.filter(state=BOOKED, starts_at__gt=timezone.now())
        .select_related("shift__establishment", "shift__location", "shift__profession")
        .prefetch_related("shift__required_skills")
        .order_by("starts_at")
    )


def confirmed_missions_for_feed(professional: Professional) -> QuerySet:
    """Missions for the iCalendar feed: booked and done ones from 90 days back (not cancelled)."""
    return (
        professional.missions.filter(state__in=ACTIVE, ends_at__gte=timezone.now() - timedelta(days=90))
        .select_related("shift__unit", "shift__establishment__commune")
        .order_by("starts_at")
    )


# --------------------------------------------------------------------------- credentials


def my_credentials(*, user) -> QuerySet[Credential]:
    return Credential.objects.for_user(user, CHANGE).order_by("kind", "-uploaded_at")


@dataclass(frozen=True)
class InsuranceStatus:
    expires_on: date | None
    expired: bool
    missing: bool


def insurance_status(professional: Professional, *, on: date | None = None) -> InsuranceStatus:
    """The latest expiry of the professional's RCP insurance; missing or expired means no
    proposals (see ``ProfessionalQuerySet.eligible_on``)."""
    on = on or timezone.localdate()
    latest = (
        Credential.objects.filter(professional=professional, kind=CredentialKind.INSURANCE, expires_on__isnull=False)
        .order_by("-expires_on")
        .values_list("expires_on", flat=True)
        .first()
    )
    if latest is None:
        return InsuranceStatus(expires_on=None, expired=False, missing=True)
    return InsuranceStatus(expires_on=latest, expired=latest < on, missing=False)


# --------------------------------------------------------------------------- the calendar


@dataclass
class SlotCell:
    day: date
    slot: str
    value: str
    declared: bool
    past: bool
    missions: list = field(default_factory=list)

    @property
    def locked(self) -> bool:
        return self.past or bool(self.missions)


@dataclass
class DayCell:
    day: date
    slots: list[SlotCell]


@dataclass
class CalendarMonth:
    year: int
    month: int
    weeks: list[list[DayCell | None]]
    declared: int
    booked: int
    previous: date  # the 1st of the month before
    following: date  # the 1st of the month after
    copy_candidates: set[SlotKey]

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)


def declared_slots(professional: Professional, first: date, last: date) -> set[SlotKey]:
    return set(
        Availability.objects.filter(professional=professional, day__gte=first, day__lte=last).values_list("day", "slot")
    )


def booked_slots(professional: Professional, year: int, month: int) -> dict[SlotKey, list]:
    """Slots of the month overlapped by an active mission (a 14:00–22:00 mission books both slots)."""
    days = month_days(date(year, month, 1))
    start, _end = slot_bounds(days[0], "D")
    _start, end = slot_bounds(days[-1], "N")
    booked: dict[SlotKey, list] = defaultdict(list)
    for mission in missions_between(professional, start - timedelta(hours=12), end):
        day = timezone.localdate(mission.starts_at) - timedelta(days=1)
        while day <= timezone.localdate(mission.ends_at):
            for code in SLOT_CODES:
                slot_start, slot_end = slot_bounds(day, code)
                if day.month == month and day.year == year and mission.starts_at < slot_end and slot_start < mission.ends_at:
                    booked[day, code].append(mission)
            day += timedelta(days=1)
    return booked


def calendar_month(professional: Professional, year: int, month: int, *, now: datetime | None = None) -> CalendarMonth:
    """Everything the calendar page shows, in three queries whatever the number of slots."""
    now = now or timezone.now()
    first = date(year, month, 1)
    days = month_days(first)
    declared = declared_slots(professional, days[0], days[-1])
    booked = booked_slots(professional, year, month)
    previous = previous_month(first)
    previous_days = month_days(previous)
    copy = copy_previous_month(declared_slots(professional, previous_days[0], previous_days[-1]), year, month)

    def cell(day: date) -> DayCell:
        slots = []
        for code in SLOT_CODES:
            start, _end = slot_bounds(day, code)
            slots.append(
                SlotCell(
                    day=day, slot=code, value=f"{day.isoformat()}:{code}", declared=(day, code) in declared,
                    past=start <= now, missions=booked.get((day, code), []),
                )
            )
        return DayCell(day=day, slots=slots)

    weeks = [[cell(d) if d else None for d in row] for row in month_weeks(year, month)]
    return CalendarMonth(
        year=year, month=month, weeks=weeks, declared=len(declared), booked=len(booked), previous=previous,
        following=next_month(first), copy_candidates=copy,
    )


def month_grid_key(month: CalendarMonth, *, professional_id: int, revision: str) -> str:
    """The calendar grid's cache key: a digest of everything the grid shows — each slot's state
    (declared, past, locked), each booked mission's link and labels — with the language, the
    professional and the grid template's ``revision``. Any change of what the grid shows is a new
    key, so a cached grid is never stale; it saves rendering some 60 cells, not reading them."""
    digest = hashlib.sha256()
    digest.update(f"{professional_id}|{get_language()}|{revision}|{month.year}-{month.month}".encode())
    for week in month.weeks:
        for day in week:
            for slot in day.slots if day else ():
                digest.update(f"|{slot.value}:{slot.declared:d}{slot.past:d}".encode())
                for mission in slot.missions:
                    digest.update(f"/{mission.pk}:{mission.starts_at.isoformat()}:{mission.shift.unit.name}"
                                  f":{mission.shift.establishment.name}".encode())
    return f"calendar-grid:{digest.hexdigest()}"


def set_directory_checks(professionals: Iterable[Professional]) -> None:
    """Attach ``directory_check`` (``directories.selectors.DirectoryCheck``) to each professional:
    their RPPS in the national directory with their profession and family name. One query for them
    all; the pages that list professionals for establishments show it as a badge. Needs ``user``."""
    professionals = list(professionals)
    declarations = {
        p.pk: RppsDeclaration(rpps=p.rpps, profession_code=p.profession_id, family_name=p.user.last_name)
        for p in professionals
    }
    checks = rpps_checks(declarations.values())
    for professional in professionals:
        professional.directory_check = checks[declarations[professional.pk]]
