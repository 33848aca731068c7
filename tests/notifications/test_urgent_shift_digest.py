"""Only notifications about an urgent shift may bypass the daily digest (issue: "urgent shifts are
the only ones that may bypass the digest"). One rule, ``Shift.is_urgent`` (and the same in SQL,
``Shift.objects.urgent``), used by every caller."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from missions.booking.services.missions import mission_cancel
from missions.booking.services.notices import proposals_expiring_notify
from missions.core.models import CancelledBy, Proposal, ProposalSource
from missions.platform.services.matching import proposals_notify
from notifications.models import Delivery, DigestState, Notification
from notifications.services import Preference, preferences_update
from tests.contracts.conftest import build_world
from tests.factories import from_now, make_mission, make_proposal, make_shift, move_shift

pytestmark = pytest.mark.django_db


def _digest_for(user, *events: str) -> None:
    preferences_update(actor=user, language="fr", choices={e: Preference(email=True, sms=False, digest=True) for e in events})


def _cancel(world, mission):
    mission_cancel(actor=world.bob, mission=mission, reason="Fermeture du service", by=CancelledBy.ESTABLISHMENT)
    return Notification.objects.get(recipient=world.alice, event="mission.cancelled", dedupe_key=f"mission:{mission.pk}:cancelled")


def test_a_cancellation_10_days_ahead_waits_for_the_digest_one_20h_ahead_is_sent_at_once():
    world = build_world()
    _digest_for(world.alice, "mission.cancelled")
    far = make_mission(world.pro, world.site, starts_at=from_now(timedelta(days=10)))
    near = make_mission(world.pro, world.site, starts_at=from_now(timedelta(days=5)))
    move_shift(near.shift, starts_at=from_now(timedelta(hours=20)))  # posted days ago, it now starts in 20 h
    near.refresh_from_db()
    assert not far.shift.urgent and not near.shift.urgent  # neither was flagged urgent when posted

    held = _cancel(world, far)
    assert (held.urgent, held.digest_state) == (False, DigestState.HELD)
    assert not Delivery.objects.filter(notification=held).exists()

    sent = _cancel(world, near)
    assert (sent.urgent, sent.digest_state) == (True, DigestState.NONE)
    assert Delivery.objects.filter(notification=sent, channel="email").count() == 1


def test_a_shift_ticked_urgent_by_hr_bypasses_the_digest_even_10_days_ahead():
    world = build_world()
    _digest_for(world.alice, "mission.cancelled")
    mission = make_mission(world.pro, world.site, starts_at=from_now(timedelta(days=10)))
    type(mission.shift).objects.filter(pk=mission.shift_id).update(urgent=True)
    sent = _cancel(world, mission)
    assert (sent.urgent, sent.digest_state) == (True, DigestState.NONE)


def test_the_rule_at_its_48h_boundary():
    world = build_world()
    now = timezone.now()
    shift = make_shift(world.site, profession=world.pro.profession_id, starts_at=from_now(timedelta(days=5)))
    urgent_in_sql = type(shift).objects.filter(pk=shift.pk).urgent
    for at, expected in (
        (shift.starts_at - timedelta(hours=48), True),
        (shift.starts_at - timedelta(hours=48, seconds=1), False),
        (shift.starts_at + timedelta(hours=1), True),  # started
    ):
        assert shift.is_urgent(at) is expected, at
        assert urgent_in_sql(at).exists() is expected, at  # the queryset says the same
    type(shift).objects.filter(pk=shift.pk).update(urgent=True)  # HR's flag
    shift.refresh_from_db()
    assert shift.is_urgent(now) is True and urgent_in_sql(now).exists()


def _proposal(world, shift, *, source: str, expires_in: timedelta) -> Proposal:
    return make_proposal(shift, world.pro, source=source, expires_in=expires_in, distance="4")


def test_offers_follow_the_shift_not_the_wave_that_made_them():
    world = build_world()
    _digest_for(world.alice, "proposal.new", "proposal.expiring")
    far = make_shift(world.site, profession=world.pro.profession_id, starts_at=from_now(timedelta(days=10)))
    near = make_shift(world.site, profession=world.pro.profession_id, starts_at=from_now(timedelta(days=5)))
    move_shift(near, starts_at=from_now(timedelta(hours=30)))  # posted days ago (not flagged), now 30 h away
    # An "urgent wave" offer on a shift that is not urgent no longer skips the digest…
    p_far = _proposal(world, far, source=ProposalSource.URGENT, expires_in=timedelta(hours=5))
    # …and a nightly offer on a shift starting within 48 h does.
    p_near = _proposal(world, near, source=ProposalSource.NIGHTLY, expires_in=timedelta(hours=5))
    assert proposals_notify(proposal_ids=[p_far.pk, p_near.pk]) == 2
    new = {n.dedupe_key: n for n in Notification.objects.filter(event="proposal.new")}
    assert new[f"proposal:{p_far.pk}:new"].digest_state == DigestState.HELD
    assert new[f"proposal:{p_near.pk}:new"].digest_state == DigestState.NONE

    # proposal.expiring: same rule (it used to be urgent whatever the shift)
    Proposal.objects.filter(pk__in=[p_far.pk, p_near.pk]).update(created_at=timezone.now() - timedelta(hours=20))
    assert proposals_expiring_notify(now=timezone.now() + timedelta(hours=4)) == 2
    expiring = {n.dedupe_key: n for n in Notification.objects.filter(event="proposal.expiring")}
    assert expiring[f"proposal:{p_far.pk}:expiring"].urgent is False
    assert expiring[f"proposal:{p_far.pk}:expiring"].digest_state == DigestState.HELD
    assert expiring[f"proposal:{p_near.pk}:expiring"].urgent is True
