"""The integration area reuses the professionals area's builders (people, establishments, shifts,
proposals through the services) and adds an insurance helper and a booked-mission builder."""

from __future__ import annotations

from datetime import date

import pytest

from professionals.models import Credential, CredentialKind, Professional
from tests.professionals.conftest import (  # noqa: F401  (fixtures, re-used as they are)
    hr_user,
    local,
    make_establishment,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
    valid_rpps,
    writer_establishment,
)


def insure(professional: Professional, until: date) -> Credential:
    """An RCP attestation valid until ``until`` (straight ORM: the upload itself is tested elsewhere)."""
    return Credential.objects.create(
        professional=professional, kind=CredentialKind.INSURANCE, file="credentials/test-rcp.pdf",
        original_name="rcp.pdf", content_type="application/pdf", size=8, expires_on=until,
    )


@pytest.fixture
def book(make_proposal):  # noqa: F811  (the fixture imported above)
    """Book ``professional`` on ``shift`` through the services (proposal, then acceptance)."""
    from missions.services.proposals import proposal_accept

    def make(shift, professional):
        return proposal_accept(actor=professional.user, proposal=make_proposal(shift, professional))

    return make
