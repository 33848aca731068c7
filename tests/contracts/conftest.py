"""Contracts test set-up: the two parties of a mission, built straight with the ORM.

Alice is a professional, Bob an HR member of her mission's establishment, Vera a viewer member
of it, Charlie another professional, Dora an admin of another establishment.
"""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from establishments.models import Establishment, EstablishmentStatus, MemberRole, Membership, Shift, Unit
from missions.models import Mission
from professionals.models import Professional
from reference.models import EstablishmentType, Profession
from reference.selectors import contract_route_for, pay_cap_for_shift
from territories.models import Commune
from ville_hopital.identifiers import luhn_check_digit

PASSWORD = "Signature-Test-2026"
_serial = itertools.count(1)


def luhn_number(prefix: str, n: int, width: int) -> str:
    payload = f"{prefix}{n:0{width}d}"
    return payload + luhn_check_digit(payload)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text ``pdftotext`` extracts, with runs of (non-breaking) spaces collapsed."""
    source = tmp_path / f"doc-{next(_serial)}.pdf"
    source.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.replace("\u00a0", " ").replace("\u202f", " ").split())


def file_bytes(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Signing checks passwords many times: a fast hasher keeps the suite quick (tests only).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_person(email: str, first: str, last: str) -> User:
    user = User.objects.create_user(email, PASSWORD, first_name=first, last_name=last)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_professional(user: User, *, profession: str = "10", commune: str = "48095") -> Professional:
    return Professional.objects.create(
        user=user, rpps=luhn_number("1009", next(_serial), 6), profession=Profession.objects.get(code=profession),
        home_commune=Commune.objects.get(code_insee=commune),
    )


def make_establishment(name: str, *, etype: str = "CH", commune: str = "48095", departement: str = "48") -> Establishment:
    n = next(_serial)
    return Establishment.objects.create(
        finess_geo=luhn_number(departement, n, 6), finess_legal=luhn_number(departement, n + 5000, 6), name=name,
        type=EstablishmentType.objects.get(code=etype), commune=Commune.objects.get(code_insee=commune),
        address=f"{n} avenue du 8 Mai 1945", status=EstablishmentStatus.VERIFIED, verified_at=timezone.now(),
    )


def make_shift(establishment: Establishment, profession: Profession, *, creator: User,
               starts_in: timedelta = timedelta(days=3), hours: int = 12, pay: Decimal | None = None) -> Shift:
    """A published one-position shift, priced at its legal cap when one applies."""
    unit, _ = Unit.objects.get_or_create(
        establishment=establishment, name="Urgences", defaults={"where_to_go": "Accueil des urgences, bâtiment B"}
    )
    starts = (timezone.now() + starts_in).replace(minute=0, second=0, microsecond=0)
    cap = pay_cap_for_shift(profession=profession, skill_codes=[], establishment_type=establishment.type,
                            on=timezone.localdate(starts), hours=Decimal(hours), overseas=False)
    route = contract_route_for(profession=profession, establishment_type=establishment.type)
    if pay is None:
        pay = cap.amount if cap else Decimal("650.00")
    return Shift.objects.create(
        establishment=establishment, unit=unit, profession=profession, starts_at=starts,
        ends_at=starts + timedelta(hours=hours), positions=1, pay=pay, pay_cap=cap.amount if cap else None,
        pay_cap_explanation=cap.explanation if cap else "", contract_route=route.kind, location=establishment.commune,
        created_by=creator,
    )


def make_mission(professional: Professional, establishment: Establishment, *, creator: User,
                 starts_in: timedelta = timedelta(days=3), hours: int = 12, pay: Decimal | None = None) -> Mission:
    shift = make_shift(establishment, professional.profession, creator=creator, starts_in=starts_in, hours=hours, pay=pay)
    return Mission.objects.create(
        shift=shift, position=1, professional=professional, pay=shift.pay, starts_at=shift.starts_at,
        ends_at=shift.ends_at, distance_km=Decimal("4.5"),
    )


@dataclass
class World:
    alice: User
    bob: User
    vera: User
    charlie: User
    dora: User
    staff: User
    pro: Professional
    site: Establishment
    other_site: Establishment
    mission: Mission


def build_world() -> World:
    alice = make_person("alice@example.org", "Alice", "Martin")
    bob = make_person("bob@example.org", "Bob", "Durand")
    vera = make_person("vera@example.org", "Vera", "Petit")
    charlie = make_person("charlie@example.org", "Charlie", "Bernard")
    dora = make_person("dora@example.org", "Dora", "Leroy")
    staff = User.objects.create_user("staff@example.org", PASSWORD, is_staff=True)
    pro = make_professional(alice)
    make_professional(charlie)
    site = make_establishment("Centre hospitalier de Mende")
    other_site = make_establishment("Clinique du Gévaudan", etype="CLINIQUE")
    Membership.objects.create(user=bob, establishment=site, role=MemberRole.HR)
    Membership.objects.create(user=vera, establishment=site, role=MemberRole.VIEWER)
    Membership.objects.create(user=dora, establishment=other_site, role=MemberRole.ADMIN)
    mission = make_mission(pro, site, creator=bob)
    return World(alice, bob, vera, charlie, dora, staff, pro, site, other_site, mission)


@pytest.fixture
def world(db) -> World:
    return build_world()
