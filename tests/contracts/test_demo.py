from __future__ import annotations

import random
from datetime import timedelta

import pytest

from missions.contracts.models import Contract, ContractState
from missions.demo_contracts import book_and_sign
from professionals.models import Professional
from tests.factories import PASSWORD, from_now, insure, make_proposal, make_shift
from ville_hopital.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_demo_step_books_drafts_and_signs_once(world):
    charlie = Professional.objects.get(user=world.charlie)
    insure(charlie)  # accepting needs a valid RCP insurance
    shift = make_shift(world.site, profession=charlie.profession_id, by=world.bob, starts_at=from_now(timedelta(days=5)))
    make_proposal(shift, charlie, distance="3.0")
    ctx = DemoContext(rng=random.Random(7), size=1)
    assert book_and_sign(ctx, [charlie], password=PASSWORD, known=world.charlie.email) == 1
    contract = Contract.objects.get(mission__professional=charlie)
    assert contract.state == ContractState.SIGNED_BY_PROFESSIONAL  # the known login waits for HR
    assert book_and_sign(ctx, [charlie], password=PASSWORD, known=world.charlie.email) == 0
    assert Contract.objects.filter(mission__professional=charlie).count() == 1
