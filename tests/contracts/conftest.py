"""Contracts test set-up: the two parties of a mission, built with ``tests.factories``.

Alice is a professional, Bob the HR member of her mission's establishment, Vera a viewer member
of it, Charlie another professional, Dora the admin of another establishment.
"""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from accounts.models import User
from establishments.models import Establishment, MemberRole
from missions.core.models import Mission
from professionals.models import Professional
from tests.factories import from_now, make_establishment, make_mission, make_professional, make_user

_serial = itertools.count(1)


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
    alice = make_user("alice@example.org", first_name="Alice", last_name="Martin")
    bob = make_user("bob@example.org", first_name="Bob", last_name="Durand")
    vera = make_user("vera@example.org", first_name="Vera", last_name="Petit")
    charlie = make_user("charlie@example.org", first_name="Charlie", last_name="Bernard")
    dora = make_user("dora@example.org", first_name="Dora", last_name="Leroy")
    staff = make_user("staff@example.org", is_staff=True)
    pro = make_professional(alice, profession="10")
    make_professional(charlie, profession="10")
    site = make_establishment(
        members={bob: MemberRole.HR, vera: MemberRole.VIEWER}, name="Centre hospitalier de Mende",
        address="1 avenue du 8 Mai 1945",
    )
    other_site = make_establishment(admin=dora, name="Clinique du Gévaudan", type_code="CLINIQUE")
    mission = make_mission(pro, site, starts_at=from_now(timedelta(days=3)))
    return World(alice, bob, vera, charlie, dora, staff, pro, site, other_site, mission)


@pytest.fixture
def world(db) -> World:
    return build_world()
