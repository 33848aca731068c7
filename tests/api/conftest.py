"""Fixtures of the establishment API: site 1 (CH de Mende) with alice (HR) and bob (viewer), site 2
with charlie (HR), a professional (pro). Built with ``tests.factories``, through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client

from accounts.models import User
from establishments.models import Establishment, MemberRole, Unit
from professionals.models import Professional
from tests.factories import default_unit, in_days, make_establishment, make_professional, make_user


def signed_in(user: User | None) -> Client:
    """A test client with ``user``'s session (anonymous: None)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@dataclass
class Scene:
    alice: User
    bob: User
    charlie: User
    pro: Professional
    site: Establishment
    other: Establishment
    unit: Unit
    other_unit: Unit

    def client(self, user: User | None) -> Client:
        return signed_in(user)

    def shift_body(self, days: int = 10, **changes) -> dict:
        starts_at = in_days(days)
        return {
            "unit": self.unit.pk, "profession": "60", "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=12)).isoformat(), "positions": 1, "pay": "300.00", **changes,
        }


def build_scene() -> Scene:
    alice, bob, charlie = (make_user(first_name=name, last_name="Api") for name in ("Alice", "Bob", "Charlie"))
    site = make_establishment(members={alice: MemberRole.HR, bob: MemberRole.VIEWER}, commune="48095")
    other = make_establishment(members={charlie: MemberRole.HR}, commune="75056")
    return Scene(alice=alice, bob=bob, charlie=charlie, pro=make_professional(commune="48095"), site=site,
                 other=other, unit=default_unit(site), other_unit=default_unit(other))


@pytest.fixture
def scene(db) -> Scene:
    return build_scene()
