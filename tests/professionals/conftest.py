"""Builders for the professionals area: people, establishments, shifts, proposals (straight ORM or services)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from establishments.models import Establishment, EstablishmentStatus, MemberRole, Membership, Shift, Unit
from professionals.models import Credential, CredentialKind, Professional
from reference.models import EstablishmentType, Profession, Skill
from territories.models import Commune
from ville_hopital.identifiers import luhn_check_digit

_numbers = itertools.count(1)


def valid_rpps(n: int) -> str:
    payload = f"1000{n:06d}"
    return payload + luhn_check_digit(payload)


def valid_finess(n: int, departement: str = "48") -> str:
    payload = f"{departement}{n:06d}"
    return payload + luhn_check_digit(payload)


def local(day, hour: int = 8) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))


@pytest.fixture
def make_user(db):
    def make(email: str | None = None, **extra) -> User:
        n = next(_numbers)
        return User.objects.create_user(email or f"user{n}@example.org", "pw-Long-enough-1", first_name="Prénom", last_name=f"Nom{n}", **extra)

    return make


@pytest.fixture
def make_professional(make_user):
    def make(user: User | None = None, *, profession: str = "60", commune: str = "48095", skills=(), **fields) -> Professional:
        n = next(_numbers)
        pro = Professional.objects.create(
            user=user or make_user(),
            rpps=fields.pop("rpps", valid_rpps(n)),
            profession=Profession.objects.get(code=profession),
            home_commune=Commune.objects.get(code_insee=commune),
            **fields,
        )
        if skills:
            pro.skills.set(Skill.objects.filter(code__in=skills))
        return pro

    return make


@pytest.fixture
def make_establishment(make_user):
    def make(*, commune: str = "48095", type_code: str = "CH", members: dict | None = None, name: str | None = None):
        n = next(_numbers)
        establishment = Establishment.objects.create(
            finess_geo=valid_finess(n),
            finess_legal=valid_finess(n + 500000),
            name=name or f"Centre hospitalier {n}",
            type=EstablishmentType.objects.get(code=type_code),
            commune=Commune.objects.get(code_insee=commune),
            address="1 avenue de l'Hôpital",
            status=EstablishmentStatus.VERIFIED,
        )
        for user, role in (members or {}).items():
            Membership.objects.create(user=user, establishment=establishment, role=role)
        return establishment

    return make


@pytest.fixture
def make_shift(make_establishment, make_user):
    def make(
        *, establishment: Establishment | None = None, starts_at: datetime | None = None, hours: int = 12,
        positions: int = 1, profession: str = "60", pay: Decimal = Decimal("600.00"), skills=(),
        unit: Unit | None = None,
    ) -> Shift:
        establishment = establishment or make_establishment()
        unit = unit or Unit.objects.get_or_create(
            establishment=establishment, name="Urgences",
            defaults={"where_to_go": "Entrée B, 2e étage, demander le cadre de santé", "contact": "Cadre : 04 66 00 00 00"},
        )[0]
        starts_at = starts_at or local(timezone.localdate() + timedelta(days=10))
        shift = Shift.objects.create(
            establishment=establishment, unit=unit, profession=Profession.objects.get(code=profession),
            starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), positions=positions, pay=pay,
            contract_route="fixed_term", location=establishment.commune, created_by=make_user(),
        )
        if skills:
            shift.required_skills.set(Skill.objects.filter(code__in=skills))
        return shift

    return make


@pytest.fixture
def make_proposal():
    from missions.models import ProposalSource
    from missions.services.proposals import proposal_create

    def make(shift: Shift, professional: Professional, *, expires_in: timedelta = timedelta(days=2), distance="12.3"):
        # Only insured professionals receive offers (and may accept them): give one an RCP
        # attestation valid on the shift's day when they have none, as the matching requires.
        day = timezone.localdate(shift.starts_at)
        if not Professional.objects.eligible_on(day).filter(pk=professional.pk).exists():
            Credential.objects.create(
                professional=professional, kind=CredentialKind.INSURANCE, file="credentials/test-rcp.pdf",
                original_name="rcp.pdf", content_type="application/pdf", size=8, expires_on=day + timedelta(days=365),
            )
        return proposal_create(
            shift=shift, professional=professional, source=ProposalSource.MANUAL, distance_km=Decimal(distance),
            expires_at=timezone.now() + expires_in,
        )

    return make


@pytest.fixture
def hr_user(make_user):
    return make_user()


@pytest.fixture
def writer_establishment(make_establishment, hr_user):
    return make_establishment(members={hr_user: MemberRole.HR})
