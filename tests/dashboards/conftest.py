"""Dashboard test data: a thin ``World`` over ``tests.factories``.

``world`` builds establishments, shifts, professionals and missions relative to *today* (the
Europe/Paris date), so that the period defaults (last 30 days + next 30 days) cover them. People,
professionals and establishments go through the services; shifts, missions and availability are
history (past days, a chosen posting time and time-to-fill, any state), written as rows (``as_row``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from establishments.models import Establishment, Shift, ShiftState
from missions.core.models import Mission, MissionState
from professionals.models import Availability, Professional
from tests import factories

# Occitanie (76) communes, and two of other regions.
MONTPELLIER, MENDE, RODEZ, NIMES = "34172", "48095", "12202", "30189"
PARIS, MARSEILLE = "75056", "13055"


@dataclass
class World:
    today: date
    hr: User

    def user(self, email: str | None = None, **extra) -> User:
        return factories.make_user(email, **extra)

    def ars(self, region: str, email: str | None = None) -> User:
        return factories.make_ars_agent(region, email)

    def establishment(self, name: str, commune: str, type_code: str = "CH") -> Establishment:
        estab = factories.make_establishment(admin=self.hr, name=name, commune=commune, type_code=type_code)
        factories.make_unit(estab)
        return estab

    def shift(
        self, estab: Establishment, *, day: int, profession: str = "60", positions: int = 1, hours: int = 12,
        urgent: bool = False, location: str | None = None, created_days_before: float = 5,
        state: str = ShiftState.PUBLISHED, start_hour: int = 8,
    ) -> Shift:
        starts = factories.local(self.today + timedelta(days=day), start_hour)
        return factories.make_shift(
            estab, by=self.hr, profession=profession, starts_at=starts, hours=hours, positions=positions,
            urgent=urgent, location=location, pay=Decimal("500.00"), as_row=True, state=state,
            created_at=starts - timedelta(days=created_days_before), contract_route="fixed_term",
        )

    def professional(self, commune: str = MONTPELLIER, profession: str = "60") -> Professional:
        return factories.make_professional(profession=profession, commune=commune)

    def mission(
        self, shift: Shift, pro: Professional, *, position: int = 1, state: str = MissionState.BOOKED,
        ttf_hours: float = 10, km: str = "12.0", cancelled_by: str = "",
    ) -> Mission:
        return factories.book(
            shift, pro, as_row=True, position=position, state=state, distance=km, cancelled_by=cancelled_by,
            booked_at=shift.created_at + timedelta(hours=ttf_hours),
        )

    def availability(self, pro: Professional, day: int, slot: str = "D") -> Availability:
        # What the aggregates count: slots declared at some point, some since started or booked; the
        # calendar no longer lets anyone declare either, so rows, like the rest of this history.
        return factories.make_availability(pro, self.today + timedelta(days=day), slot, as_row=True)


@pytest.fixture
def world(db) -> World:
    return World(today=timezone.localdate(), hr=factories.make_user())


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Pages computed on every request (query counts, figures); test_cache turns the cache back on."""
    settings.DASHBOARDS_CACHE_SECONDS = 0
