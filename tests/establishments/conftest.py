"""Fixtures of the establishments area: alice (admin of A), bob (viewer of A), charlie (admin of B).

A is the CH de Mende (Lozère, public: capped), B a clinic in Montpellier (another legal entity).
Everything is built with ``tests.factories``, through the services, as a user would.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import User
from establishments.models import MemberRole
from territories.models import Commune
from tests.factories import finess, in_days, make_establishment, make_unit, make_user, profession


@pytest.fixture
def staff(db) -> User:
    return make_user("staff@ville-hopital.test", is_staff=True, is_superuser=True)


@pytest.fixture
def alice(db) -> User:
    return make_user("alice@ch-mende.test", first_name="Alice", last_name="Martin")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob@ch-mende.test", first_name="Bob", last_name="Durand")


@pytest.fixture
def charlie(db) -> User:
    return make_user("charlie@clinique.test", first_name="Charlie", last_name="Roux")


@pytest.fixture
def mende(db) -> Commune:
    return Commune.objects.get(code_insee="48095")


@pytest.fixture
def montpellier(db) -> Commune:
    return Commune.objects.get(code_insee="34172")


@pytest.fixture
def establishment_a(alice, bob, staff):
    return make_establishment(
        admin=alice, members={bob: MemberRole.VIEWER}, verified_by=staff, finess_geo=finess("48078009"),
        finess_legal=finess("48000001"), name="CH de Mende", commune="48095", address="2 avenue du 8 Mai 1945",
    )


@pytest.fixture
def establishment_b(charlie, staff):
    return make_establishment(
        admin=charlie, verified_by=staff, finess_geo=finess("34001234"), finess_legal=finess("34009999"),
        name="Clinique du Millénaire", type_code="CLINIQUE", commune="34172", address="220 boulevard Pénélope",
    )


@pytest.fixture
def unit_a(establishment_a, alice):
    return make_unit(
        establishment_a, by=alice, name="Urgences", where_to_go="Accueil des urgences, niveau 0",
        contact="Cadre de santé : 04 66 49 49 49", parking="Parking du personnel, badge à l'accueil",
        patient_record_access="Identifiants remis par le cadre",
    )


@pytest.fixture
def unit_b(establishment_b, charlie):
    return make_unit(establishment_b, by=charlie, name="Chirurgie")


@pytest.fixture
def shift_kwargs(unit_a):
    """A valid night shift for a nurse at A, tomorrow + 3 days (not urgent by date)."""
    return {
        "unit": unit_a, "profession": profession("IDE"), "required_skills": [],
        "starts_at": in_days(4, 20), "ends_at": in_days(5, 8), "positions": 2, "urgency": 3, "urgent": False,
        "pay": Decimal("600.00"),
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are created by the dozen here; PBKDF2's deliberate slowness is not what is tested."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
