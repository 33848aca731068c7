"""Privacy test set-up: a professional with a whole history, built with ``tests.factories``.

Alice is a professional with a mission done (its contract drafted and signed by her), a pending
offer, availability, an uploaded RCP attestation, a notification; Bob is HR of the establishment
and received the booking notice that names her. Charlie is another professional (not Alice's data).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Civility, User
from establishments.models import Establishment, MemberRole
from missions.booking.services.notices import mission_booked_notify
from missions.contracts.models import Contract
from missions.contracts.services import contract_draft, contract_sign
from missions.core.models import Mission, MissionState
from professionals.models import Credential, Professional
from professionals.pro_sante_connect.models import PscIdentity
from professionals.services import credential_upload
from tests.factories import (
    PASSWORD,
    from_now,
    make_availability,
    make_establishment,
    make_mission,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ALICE_PHONE = "+33612345678"


@dataclass
class World:
    alice: User
    bob: User
    charlie: User
    pro: Professional
    site: Establishment
    mission: Mission
    contract: Contract
    credential: Credential


def _done_in_the_past(mission: Mission) -> Mission:
    """History: the mission took place last week (ORM, as ``factories.book(as_row=True)`` does)."""
    starts = from_now(timedelta(days=-7))
    Mission.objects.filter(pk=mission.pk).update(
        starts_at=starts, ends_at=starts + timedelta(hours=12), state=MissionState.DONE, closed_at=timezone.now(),
    )
    mission.refresh_from_db()
    return mission


def build_world() -> World:
    alice = make_user(
        "alice.martin@example.org", first_name="Alyzée", last_name="Vauquelin-Ortiz", phone=ALICE_PHONE,
        civility=Civility.MADAME,
    )
    bob = make_user("bob.durand@example.org", first_name="Bob", last_name="Durand")
    charlie = make_user("charlie.bernard@example.org", first_name="Charlie", last_name="Bernardin")
    pro = make_professional(alice, profession="60")
    make_professional(charlie, profession="60")
    site = make_establishment(members={bob: MemberRole.HR}, name="Centre hospitalier de Mende")
    mission = make_mission(pro, site, starts_at=from_now(timedelta(days=3)))
    mission_booked_notify(mission=mission)  # Bob is told, by name (on commit in production)
    contract = contract_draft(mission=mission)
    contract_sign(actor=alice, contract=contract, password=PASSWORD, ip="192.0.2.10")
    mission = _done_in_the_past(mission)
    make_proposal(make_shift(site, profession="60", starts_at=from_now(timedelta(days=20))), pro)
    make_availability(pro, timezone.localdate() + timedelta(days=25))
    credential = credential_upload(
        actor=alice, professional=pro, kind="insurance", file=SimpleUploadedFile("rcp alice.pdf", PDF, "application/pdf"),
        expires_on=timezone.localdate() + timedelta(days=300),
    )
    # ORM: what a Pro Santé Connect sign-in writes (allauth's linked account, the RPPS it vouched for).
    SocialAccount.objects.create(user=alice, provider="pro_sante_connect", uid="psc-alice-0001",
                                 extra_data={"family_name": "Vauquelin-Ortiz", "email": alice.email})
    PscIdentity.objects.create(user=alice, subject="psc-alice-0001", rpps=pro.rpps)
    contract.refresh_from_db()
    return World(alice, bob, charlie, pro, site, mission, contract, credential)


@pytest.fixture
def world(db) -> World:
    return build_world()


def unzip(archive) -> zipfile.ZipFile:
    data = archive.read() if hasattr(archive, "read") else archive
    return zipfile.ZipFile(io.BytesIO(data))
