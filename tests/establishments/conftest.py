"""Fixtures of the establishments area: alice (admin of A), bob (viewer of A), charlie (admin of B).

A is the CH de Mende (Lozère, public: capped), B a clinic in Montpellier (another legal entity).
Establishments are created through the services, as a user would.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from establishments.models import MemberRole, Membership
from establishments.services import establishment_register, establishment_verify, unit_create
from reference.models import EstablishmentType, Profession, Skill
from territories.models import Commune
from ville_hopital.identifiers import luhn_check_digit


def finess(payload8: str) -> str:
    """A valid numeric FINESS from its first 8 digits."""
    return payload8 + luhn_check_digit(payload8)


def local(day_offset: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("staff@ville-hopital.test", "pw-staff-123!", is_staff=True, is_superuser=True)


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice@ch-mende.test", "pw-alice-123!", first_name="Alice", last_name="Martin")


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob@ch-mende.test", "pw-bob-123!", first_name="Bob", last_name="Durand")


@pytest.fixture
def charlie(db) -> User:
    return User.objects.create_user("charlie@clinique.test", "pw-charlie-123!", first_name="Charlie", last_name="Roux")


@pytest.fixture
def mende(db) -> Commune:
    return Commune.objects.get(code_insee="48095")


@pytest.fixture
def montpellier(db) -> Commune:
    return Commune.objects.get(code_insee="34172")


def etype(code: str) -> EstablishmentType:
    return EstablishmentType.objects.get(code=code)


def profession(short: str) -> Profession:
    return Profession.objects.get(short=short)


def skill(code: str) -> Skill:
    return Skill.objects.get(code=code)


@pytest.fixture
def establishment_a(alice, bob, staff, mende):
    est = establishment_register(
        actor=alice, finess_geo=finess("48078009"), finess_legal=finess("48000001"), name="CH de Mende",
        type=etype("CH"), commune=mende, address="2 avenue du 8 Mai 1945",
    )
    establishment_verify(actor=staff, establishment=est)
    Membership.objects.create(user=bob, establishment=est, role=MemberRole.VIEWER)
    est.refresh_from_db()
    return est


@pytest.fixture
def establishment_b(charlie, staff, montpellier):
    est = establishment_register(
        actor=charlie, finess_geo=finess("34001234"), finess_legal=finess("34009999"),
        name="Clinique du Millénaire", type=etype("CLINIQUE"), commune=montpellier, address="220 boulevard Pénélope",
    )
    establishment_verify(actor=staff, establishment=est)
    est.refresh_from_db()
    return est


@pytest.fixture
def unit_a(establishment_a, alice):
    return unit_create(
        actor=alice, establishment=establishment_a, name="Urgences", where_to_go="Accueil des urgences, niveau 0",
        contact="Cadre de santé : 04 66 49 49 49", parking="Parking du personnel, badge à l'accueil",
        patient_record_access="Identifiants remis par le cadre",
    )


@pytest.fixture
def unit_b(establishment_b, charlie):
    return unit_create(actor=charlie, establishment=establishment_b, name="Chirurgie")


@pytest.fixture
def shift_kwargs(unit_a):
    """A valid night shift for a nurse at A, tomorrow + 3 days (not urgent by date)."""
    return {
        "unit": unit_a, "profession": profession("IDE"), "required_skills": [],
        "starts_at": local(4, 20), "ends_at": local(5, 8), "positions": 2, "urgency": 3, "urgent": False,
        "pay": Decimal("600.00"),
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are created by the dozen here; PBKDF2's deliberate slowness is not what is tested."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_professional(email: str, code: str = "60", commune: str = "48095"):
    from professionals.models import Professional

    user = User.objects.create_user(email, "pw-pro-12345!", first_name="Pro", last_name=email.split("@")[0].title())
    payload = f"100{User.objects.count():07d}"
    return Professional.objects.create(
        user=user, rpps=payload + luhn_check_digit(payload), profession=Profession.objects.get(code=code),
        home_commune=Commune.objects.get(code_insee=commune),
    )


def book(shift, professional, position: int = 1, state: str = "booked"):
    """A booked mission written straight to the database (the booking itself is tested in missions)."""
    from missions.models import Mission

    return Mission.objects.create(
        shift=shift, position=position, professional=professional, state=state, pay=shift.pay,
        starts_at=shift.starts_at, ends_at=shift.ends_at, distance_km=Decimal("12.0"),
    )


def move_to_past(shift, days: int = 2):
    """Shifts cannot be posted in the past: move a posted one there directly, to close its missions."""
    from establishments.models import Shift

    delta = timedelta(days=days) + (shift.starts_at - timezone.now())
    Shift.objects.filter(pk=shift.pk).update(starts_at=shift.starts_at - delta, ends_at=shift.ends_at - delta)
    shift.refresh_from_db()
    from missions.models import Mission

    Mission.objects.filter(shift=shift).update(starts_at=shift.starts_at, ends_at=shift.ends_at)
    return shift
