"""Dashboard test data, built with the ORM directly (the writing services belong to other areas).

``world`` builds establishments, shifts, professionals and missions relative to *today* (the
Europe/Paris date), so that the period defaults (last 30 days + next 30 days) cover them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import ArsStaff, User
from establishments.models import Establishment, EstablishmentStatus, Shift, ShiftState, Unit
from missions.models import Mission, MissionState
from professionals.models import Availability, Professional

PASSWORD = "a-long-test-password-42"

# Occitanie (76) communes, and two of other regions.
MONTPELLIER, MENDE, RODEZ, NIMES = "34172", "48095", "12202", "30189"
PARIS, MARSEILLE = "75056", "13055"

_seq = itertools.count(1)


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@dataclass
class World:
    today: date
    hr: User

    def user(self, email: str | None = None, **extra) -> User:
        return User.objects.create_user(email or f"user{next(_seq)}@test.fr", PASSWORD, **extra)

    def ars(self, region: str, email: str | None = None) -> User:
        user = self.user(email)
        ArsStaff.objects.create(user=user, region_id=region)
        return user

    def establishment(self, name: str, commune: str, type_code: str = "CH") -> Establishment:
        n = next(_seq)
        estab = Establishment.objects.create(
            finess_geo=f"{n:09d}", finess_legal=f"{n:09d}", name=name, type_id=type_code, commune_id=commune,
            address="1 rue de l'Hôpital", status=EstablishmentStatus.VERIFIED,
        )
        Unit.objects.create(establishment=estab, name="Urgences")
        return estab

    def shift(
        self, estab: Establishment, *, day: int, profession: str = "60", positions: int = 1, hours: int = 12,
        urgent: bool = False, location: str | None = None, created_days_before: float = 5,
        state: str = ShiftState.PUBLISHED, start_hour: int = 8,
    ) -> Shift:
        d = self.today + timedelta(days=day)
        starts = at(d, start_hour)
        return Shift.objects.create(
            establishment=estab, unit=estab.units.first(), profession_id=profession, starts_at=starts,
            ends_at=starts + timedelta(hours=hours), positions=positions, urgent=urgent, pay=Decimal("500.00"),
            contract_route="fixed_term", location_id=location or estab.commune_id, state=state,
            created_by=self.hr, created_at=starts - timedelta(days=created_days_before),
        )

    def professional(self, commune: str = MONTPELLIER, profession: str = "60") -> Professional:
        n = next(_seq)
        return Professional.objects.create(
            user=self.user(), rpps=f"{n:011d}", profession_id=profession, home_commune_id=commune
        )

    def mission(
        self, shift: Shift, pro: Professional, *, position: int = 1, state: str = MissionState.BOOKED,
        ttf_hours: float = 10, km: str = "12.0", cancelled_by: str = "",
    ) -> Mission:
        return Mission.objects.create(
            shift=shift, position=position, professional=pro, state=state, pay=shift.pay, starts_at=shift.starts_at,
            ends_at=shift.ends_at, distance_km=Decimal(km), booked_at=shift.created_at + timedelta(hours=ttf_hours),
            cancelled_by=cancelled_by,
        )

    def availability(self, pro: Professional, day: int, slot: str = "D") -> Availability:
        return Availability.objects.create(professional=pro, day=self.today + timedelta(days=day), slot=slot)


@pytest.fixture
def world(db) -> World:
    hr = User.objects.create_user(f"hr{next(_seq)}@test.fr", PASSWORD)
    return World(today=timezone.localdate(), hr=hr)


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Pages computed on every request (query counts, figures); test_cache turns the cache back on."""
    settings.DASHBOARDS_CACHE_SECONDS = 0
