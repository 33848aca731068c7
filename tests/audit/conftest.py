"""The audit trail's tests: an establishment with an admin, an HR member and a viewer, its
professional with a booked mission and its contract; an outsider of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from establishments.models import Establishment, MemberRole
from missions.contracts.models import Contract
from missions.contracts.services import contract_draft
from missions.core.models import Mission
from professionals.models import Credential, Professional
from professionals.services import credential_upload
from tests.factories import make_establishment, make_mission, make_professional, make_user, platform_staff


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Site:
    admin: User
    hr: User
    viewer: User
    other_admin: User
    staff: User
    pro: Professional
    other_pro: Professional
    establishment: Establishment
    other_establishment: Establishment
    mission: Mission
    contract: Contract


@pytest.fixture
def site(db) -> Site:
    admin, hr, viewer, other_admin = make_user(), make_user(), make_user(), make_user()
    establishment = make_establishment(members={admin: MemberRole.ADMIN, hr: MemberRole.HR, viewer: MemberRole.VIEWER})
    other = make_establishment(members={other_admin: MemberRole.ADMIN})
    pro, other_pro = make_professional(), make_professional()
    mission = make_mission(pro, establishment)
    return Site(admin, hr, viewer, other_admin, platform_staff(), pro, other_pro, establishment, other, mission,
                contract_draft(mission=mission))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload_credential(professional: Professional) -> Credential:
    return credential_upload(
        actor=professional.user, professional=professional, kind="insurance",
        file=SimpleUploadedFile("rcp.pdf", PDF, "application/pdf"),
        expires_on=timezone.localdate() + timedelta(days=200),
    )
