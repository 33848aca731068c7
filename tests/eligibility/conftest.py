"""The eligibility tests build their worlds with the matching platform's ``World`` (establishments,
shifts, professionals, availability), plus the bookings below: rows, because a mission booked days
ago, a pending offer about to expire or a declined one are states no single service call makes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from missions.core.models import Mission, Proposal, ProposalState
from tests.matching_platform.conftest import World

__all__ = ["RulesWorld", "book", "offer"]


class RulesWorld(World):
    """The platform's ``World``; a professional accepts the shortest notice there is (2 h) unless a
    case says otherwise, so that the notice rule bites only where a test means it to."""

    def pro(self, commune: str, *, notice: int = 2, **options):
        return super().pro(commune, notice=notice, **options)


def book(pro, shift) -> Mission:
    """``pro`` holds a booked mission on ``shift`` (the lowest free position)."""
    position = Mission.objects.filter(shift=shift).count() + 1
    return Mission.objects.create(shift=shift, position=position, professional=pro, pay=shift.pay,
                                  starts_at=shift.starts_at, ends_at=shift.ends_at, distance_km=0)


def offer(pro, shift, *, state: str = ProposalState.PENDING, now: datetime | None = None) -> Proposal:
    """An offer of ``shift`` to ``pro`` in ``state``; a pending one expires a day after ``now``."""
    now = now or timezone.now()
    return Proposal.objects.create(shift=shift, professional=pro, state=state, source="manual", distance_km=0,
                                   expires_at=now + timedelta(days=1),
                                   decided_at=None if state == ProposalState.PENDING else now)


@pytest.fixture
def world(db) -> RulesWorld:
    return RulesWorld(timezone.localdate() + timedelta(days=2))
