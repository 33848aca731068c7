"""A small world builder for the platform side of the matching (ORM rows, no mocks)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from establishments.models import Establishment, EstablishmentStatus, Shift, Unit
from professionals.models import Availability, Credential, CredentialKind, Professional
from reference.models import EstablishmentType
from territories.models import Commune

_seq = itertools.count(1)


class World:
    """Creates establishments, shifts, professionals and availability; ``start`` is day 1 of the horizon."""

    def __init__(self, start: date):
        self.start = start
        self.hr = User.objects.create_user(f"rh{next(_seq)}@example.org", "x")

    def day(self, n: int) -> date:
        return self.start + timedelta(days=n - 1)

    def at(self, n: int, hour: int, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(self.day(n), time(hour, minute)))

    def estab(self, commune: str, type_code: str = "CH", name: str = "") -> Establishment:
        n = next(_seq)
        est = Establishment.objects.create(
            finess_geo=f"{n:09d}", finess_legal=f"{n:09d}", name=name or f"Établissement {n}",
            type=EstablishmentType.objects.get(code=type_code), commune=Commune.objects.get(pk=commune),
            address="1 rue de l'Hôpital", status=EstablishmentStatus.VERIFIED,
        )
        Unit.objects.create(establishment=est, name="Urgences")
        return est

    def shift(self, est: Establishment, *, day: int = 1, hour: int = 8, hours: int = 12, positions: int = 1,
              profession: str = "60", urgency: int = 3, urgent: bool = False, location: str | None = None,
              route: str = "fixed_term", skills: tuple[str, ...] = ()) -> Shift:
        starts = self.at(day, hour)
        shift = Shift.objects.create(
            establishment=est, unit=est.units.first(), profession_id=profession, starts_at=starts,
            ends_at=starts + timedelta(hours=hours), positions=positions, urgency=urgency, urgent=urgent,
            pay=Decimal("500.00"), contract_route=route, location_id=location or est.commune_id, created_by=self.hr,
        )
        if skills:
            shift.required_skills.set(skills)
        return shift

    def pro(self, commune: str, *, radius: int = 30, profession: str = "60", skills: tuple[str, ...] = (),
            max_missions: int = 10, notice: int = 0, insured_until: date | str | None = "default",
            days: tuple[int, ...] = (), slot: str = "D") -> Professional:
        n = next(_seq)
        user = User.objects.create_user(f"pro{n}@example.org", "x", first_name="Pro", last_name=str(n))
        pro = Professional.objects.create(
            user=user, rpps=f"{n:011d}", profession_id=profession, home_commune_id=commune, radius_km=radius,
            max_missions_per_month=max_missions, min_notice_hours=notice,
        )
        if skills:
            pro.skills.set(skills)
        if insured_until == "default":
            insured_until = self.start + timedelta(days=365)
        if insured_until is not None:
            Credential.objects.create(professional=pro, kind=CredentialKind.INSURANCE, file="x.pdf",
                                      original_name="rcp.pdf", content_type="application/pdf", size=1,
                                      expires_on=insured_until)
        for d in days:
            self.available(pro, d, slot)
        return pro

    def available(self, pro: Professional, day: int, slot: str = "D") -> None:
        Availability.objects.get_or_create(professional=pro, day=self.day(day), slot=slot)


@pytest.fixture
def world(db) -> World:
    return World(timezone.localdate() + timedelta(days=2))


@pytest.fixture
def live_world(live_db) -> World:
    return World(timezone.localdate() + timedelta(days=2))
