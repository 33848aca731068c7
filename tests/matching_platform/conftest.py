"""A small world builder for the platform side of the matching: a thin ``World`` over ``tests.factories``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from establishments.models import Establishment, Shift
from professionals.models import Notice, Professional
from tests.factories import (
    insure,
    make_availability,
    make_establishment,
    make_professional,
    make_shift,
    make_unit,
    make_user,
)


class World:
    """Establishments (registered by ``hr``, their admin), shifts, professionals and availability;
    ``start`` is day 1 of the horizon."""

    def __init__(self, start: date):
        self.start = start
        self.hr = make_user()

    def day(self, n: int) -> date:
        return self.start + timedelta(days=n - 1)

    def at(self, n: int, hour: int, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(self.day(n), time(hour, minute)))

    def estab(self, commune: str, type_code: str = "CH", name: str = "") -> Establishment:
        est = make_establishment(admin=self.hr, commune=commune, type_code=type_code, name=name or None)
        make_unit(est)
        return est

    def shift(self, est: Establishment, *, day: int = 1, hour: int = 8, hours: int = 12, positions: int = 1,
              profession: str = "60", urgency: int = 3, urgent: bool = False, location: str | None = None,
              route: str | None = None, skills: tuple[str, ...] = ()) -> Shift:
        """Posted by ``hr``; a shift before now, or on a contract ``route`` the posting would refuse
        (``"forbidden"``), is written as a row (see ``make_shift``)."""
        starts = self.at(day, hour)
        row = {"as_row": True, "contract_route": route} if route or starts <= timezone.now() else {}
        return make_shift(
            est, by=self.hr, profession=profession, skills=skills, starts_at=starts, hours=hours, positions=positions,
            urgency=urgency, urgent=urgent, location=location, pay=Decimal("500.00"), **row,
        )

    def pro(self, commune: str, *, radius: int = 30, profession: str = "60", skills: tuple[str, ...] = (),
            max_missions: int = 10, notice: int = Notice.H2, insured_until: date | str | None = "default",
            days: tuple[int, ...] = (), slot: str = "D") -> Professional:
        pro = make_professional(
            profession=profession, commune=commune, skills=skills, radius_km=radius,
            max_missions_per_month=max_missions, min_notice_hours=notice,
        )
        if insured_until == "default":
            insured_until = self.start + timedelta(days=365)
        if insured_until is not None:
            insure(pro, insured_until)
        for d in days:
            self.available(pro, d, slot)
        return pro

    def available(self, pro: Professional, day: int, slot: str = "D") -> None:
        make_availability(pro, self.day(day), slot)


@pytest.fixture
def world(db) -> World:
    return World(timezone.localdate() + timedelta(days=2))


@pytest.fixture
def live_world(live_db) -> World:
    return World(timezone.localdate() + timedelta(days=2))
