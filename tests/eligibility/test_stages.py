"""The same rules at each stage: ``proposal_create`` (every offer), ``proposal_accept`` (under its locks,
the legal hours, only missions booked) and the matching's question (``Stage.OFFER``)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from establishments.models import Shift
from missions.booking.services.proposals import proposal_accept, proposal_create
from missions.core.eligibility import RULE_BY_CODE, Stage, exclusions_for
from missions.core.models import EstablishmentBlock, MissionState
from tests.eligibility.conftest import book, offer

MONTPELLIER, CASTELNAU = "34172", "34057"


def _codes(pro, shift, stage=Stage.OFFER):
    return [e.code for e in exclusions_for(professional=pro, shift=shift, stage=stage)]


def test_a_pending_offer_keeps_others_away_but_never_blocks_its_own_acceptance(world):
    """Offering counts a pending offer as booked (the night before: no day shift offered after it);
    accepting counts missions only: the professional may take the day and let the night go."""
    est = world.estab(MONTPELLIER)
    night, day = world.shift(est, day=2, hour=20), world.shift(est, day=3)
    pro = world.pro(MONTPELLIER, days=(3,))
    offer(pro, night)
    assert _codes(pro, day) == ["rest_11h"]
    assert _codes(pro, day, Stage.ACCEPT) == []
    mission = proposal_accept(actor=pro.user, proposal=offer(pro, day))
    assert mission.state == MissionState.BOOKED
    # Now the night is refused by the legal rest, in hours, against the booked day.
    assert _codes(pro, night, Stage.ACCEPT) == ["rest_11h"]


def test_acceptance_gives_every_failing_rule_at_once(world):
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3)
    pro = world.pro(MONTPELLIER, days=(3,), insured_until=None)
    proposal = offer(pro, shift)
    EstablishmentBlock.objects.create(establishment=est, professional=pro, created_by=world.hr)
    with pytest.raises(ValidationError) as error:
        proposal_accept(actor=pro.user, proposal=proposal)
    assert error.value.messages == [e.for_professional for e in exclusions_for(
        professional=pro, shift=shift, stage=Stage.ACCEPT)]
    assert [m[:20] for m in error.value.messages] == ["Cet établissement ne", "Votre assurance resp"]


def _four_hours(shift: Shift) -> Shift:
    """The shift cut to 4 h (a row: its pay, posted for 12 h, stays under the cap)."""
    Shift.objects.filter(pk=shift.pk).update(ends_at=shift.starts_at + timedelta(hours=4))
    shift.refresh_from_db()
    return shift


def test_acceptance_follows_the_hours_where_the_slots_are_stricter(world):
    """08:00–12:00 then 14:00–18:00: one half-day slot for the matching (never offered together), one
    working day of 10 h for the law (accepted if offered, e.g. by HR)."""
    morning = _four_hours(world.shift(world.estab(MONTPELLIER), day=3))
    afternoon = _four_hours(world.shift(world.estab(CASTELNAU), day=3, hour=14))
    pro = world.pro(MONTPELLIER, days=(3,))
    book(pro, morning)
    assert _codes(pro, afternoon) == ["slot_taken"]
    assert _codes(pro, afternoon, Stage.ACCEPT) == []
    assert proposal_accept(actor=pro.user, proposal=offer(pro, afternoon)).state == MissionState.BOOKED


def test_creation_refuses_with_each_rule_under_its_field(world):
    est = world.estab(MONTPELLIER)
    forbidden = world.shift(est, day=3, route="forbidden")
    pro = world.pro(MONTPELLIER, days=(3,), profession="70")
    pro.blocked_establishments.add(est)
    with pytest.raises(ValidationError) as error:
        proposal_create(shift=forbidden, professional=pro, source="manual", distance_km=Decimal("1"),
                        expires_at=timezone.now() + timedelta(days=1))
    texts = {code: exclusion.for_hr for code, exclusion in (
        (e.code, e) for e in exclusions_for(professional=pro, shift=forbidden, stage=Stage.CREATE))}
    assert set(texts) == {"profession", "contract_route", "blocked"}
    assert error.value.message_dict == {
        "shift": [texts["contract_route"]],
        "professional": [texts["profession"], texts["blocked"]],
    }
    assert RULE_BY_CODE["contract_route"].field == "shift"


def test_creation_does_not_ask_what_the_matching_asks(world):
    """Availability, notice, distance, working time: the matching's (and HR's) question before an
    offer, not a refusal of ``proposal_create`` (HR may offer to someone who has not declared the slot)."""
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3)
    pro = world.pro(MONTPELLIER, days=(4,), notice=48)
    assert _codes(pro, shift)[:1] == ["availability"]
    assert _codes(pro, shift, Stage.CREATE) == []
    assert proposal_create(shift=shift, professional=pro, source="manual", distance_km=Decimal("1"),
                           expires_at=timezone.now() + timedelta(days=1)).pk


def test_a_shift_across_the_night_and_the_morning_is_one_mission_not_two(world):
    """01:00–13:00 covers the night slot and the next day slot: nobody is "at rest" against it by
    itself; a day worked just before it still is (5 h of rest)."""
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3, hour=1, hours=12)
    fresh = world.pro(MONTPELLIER, days=(2, 3), slot="N")
    world.available(fresh, 3, "D")
    assert "rest_11h" not in _codes(fresh, shift)
    tired = world.pro(MONTPELLIER, days=(2, 3), slot="N")
    world.available(tired, 2, "D")
    book(tired, world.shift(est, day=2, hour=8))
    assert "rest_11h" in _codes(tired, shift)
