from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from missions.contracts.demo import book_and_sign
from missions.contracts.models import Contract, ContractState
from missions.models import Proposal, ProposalSource
from professionals.models import Credential, CredentialKind, Professional
from tests.contracts.conftest import PASSWORD, make_shift
from ville_hopital.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_demo_step_books_drafts_and_signs_once(world):
    charlie = Professional.objects.get(user=world.charlie)
    Credential.objects.create(  # accepting needs a valid RCP insurance
        professional=charlie, kind=CredentialKind.INSURANCE, file=ContentFile(b"%PDF-1.4\n", name="rcp.pdf"),
        original_name="rcp.pdf", content_type="application/pdf", size=9,
        expires_on=timezone.localdate() + timedelta(days=365),
    )
    shift = make_shift(world.site, charlie.profession, creator=world.bob, starts_in=timedelta(days=5))
    Proposal.objects.create(shift=shift, professional=charlie, source=ProposalSource.MANUAL,
                            distance_km=Decimal("3.0"), expires_at=timezone.now() + timedelta(days=2))
    ctx = DemoContext(rng=random.Random(7), size=1)
    assert book_and_sign(ctx, [charlie], password=PASSWORD, known=world.charlie.email) == 1
    contract = Contract.objects.get(mission__professional=charlie)
    assert contract.state == ContractState.SIGNED_BY_PROFESSIONAL  # the known login waits for HR
    assert book_and_sign(ctx, [charlie], password=PASSWORD, known=world.charlie.email) == 0
    assert Contract.objects.filter(mission__professional=charlie).count() == 1
