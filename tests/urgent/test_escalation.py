"""Escalation of an urgent shift: waves sized and spaced by how soon it starts, widening until every
eligible professional was asked; the first acceptance wins and the other offers are withdrawn, their
holders told; HR's live status (sent, seen, declined, pending, next wave)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from missions.booking.selectors_hr import set_next_wave, shift_for_hr
from missions.booking.services.proposals import proposal_accept, proposal_decline, proposals_mark_seen
from missions.core.escalation import ESCALATION, next_wave_at, wave_plan
from missions.core.models import MatchingRun, Proposal, ProposalState
from missions.platform.services.urgent import urgent_pending_match, urgent_shift_match, urgent_shifts_due
from notifications.models import Notification

from .conftest import nurses


def test_the_table_is_data_soonest_first(scene, pin):
    pin(15)
    shift = scene.shift()  # tonight 20:00, in 5 h
    now = timezone.now()
    assert [p.starts_within for p in ESCALATION] == [timedelta(hours=6), timedelta(hours=24), None]
    assert wave_plan(shift, now) is ESCALATION[0]
    assert wave_plan(shift, now - timedelta(hours=8)) is ESCALATION[1]  # 13 h before its start
    assert wave_plan(shift, now - timedelta(days=3)) is ESCALATION[2]
    assert [ESCALATION[0].size(n) for n in (1, 2, 3)] == [5, 10, 15]  # tonight: widening circles
    assert [ESCALATION[1].size(n) for n in (1, 2, 3)] == [5, 5, 5]
    assert next_wave_at(shift=shift, last_wave_at=None, now=now) == now
    assert next_wave_at(shift=shift, last_wave_at=now, now=now) == now + timedelta(minutes=5)


def test_tonight_waves_widen_every_five_minutes_until_everyone_was_asked(scene, pin):
    pin(15)
    shift = scene.shift()  # in 5 h
    pros = nurses(shift, 17)
    assert urgent_shift_match(shift=shift, wave=1) == 5
    assert urgent_shift_match(shift=shift, wave=1) == 0  # a retried task sends nothing twice
    first = Proposal.objects.filter(shift=shift, wave=1)
    assert max(first.values_list("distance_km", flat=True)) <= min(
        Proposal.objects.exclude(pk__in=first).values_list("distance_km", flat=True), default=999
    )
    assert shift.pk not in urgent_shifts_due()  # the next wave is due in 5 minutes
    later = timezone.now() + timedelta(minutes=5, seconds=1)
    assert shift.pk in urgent_shifts_due(now=later)
    assert urgent_pending_match(now=later) == 10  # the second wave is twice as wide
    assert urgent_pending_match(now=later + timedelta(minutes=5, seconds=1)) == 2  # all that is left
    assert set(Proposal.objects.filter(shift=shift).values_list("professional_id", flat=True)) == {p.pk for p in pros}
    # Everyone eligible was asked: HR's board says so instead of announcing a next wave.
    row = set_next_wave([shift_for_hr(user=scene.alice).get(pk=shift.pk)], now=timezone.now())[0]
    assert (row.offers_sent, row.pending_count, row.left_to_ask, row.next_wave) == (17, 17, 0, None)
    assert urgent_pending_match(now=later + timedelta(minutes=11)) == 0
    runs = MatchingRun.objects.filter(shift=shift, kind="urgent")
    assert [r.proposals_written for r in runs.order_by("started_at", "pk")] == [5, 10, 2]


def test_tomorrow_waves_of_five_every_quarter_of_an_hour(scene, pin):
    pin(7)
    shift = scene.shift()  # tonight, in 13 h
    nurses(shift, 8)
    assert urgent_shift_match(shift=shift) == 5
    assert shift.pk not in urgent_shifts_due(now=timezone.now() + timedelta(minutes=14))
    assert urgent_pending_match(now=timezone.now() + timedelta(minutes=15, seconds=1)) == 3


@pytest.mark.parametrize("positions", [7])
def test_a_wave_reaches_at_least_as_many_as_there_are_open_positions(scene, pin, positions):
    pin(7)
    shift = scene.shift(positions=positions)
    nurses(shift, 9)
    assert urgent_shift_match(shift=shift) == 7


def test_a_shift_flagged_urgent_days_ahead_gets_hourly_waves(scene, pin):
    pin(7)
    shift = scene.shift(day=5, urgent=True)
    nurses(shift, 7, notice=24)
    assert shift.pk in urgent_shifts_due()
    assert urgent_pending_match() == 5
    assert shift.pk not in urgent_shifts_due(now=timezone.now() + timedelta(minutes=59))
    assert urgent_pending_match(now=timezone.now() + timedelta(minutes=60, seconds=1)) == 2


def test_short_notice_is_a_choice_the_waves_respect(scene, pin):
    pin(15)
    shift = scene.shift()
    short = nurses(shift, 2)
    nurses(shift, 3, notice=24)  # insured and available, but want a day's notice
    assert urgent_shift_match(shift=shift) == 2
    assert set(Proposal.objects.values_list("professional_id", flat=True)) == {p.pk for p in short}


def test_the_first_acceptance_wins_the_others_are_withdrawn_and_told(scene, pin, django_capture_on_commit_callbacks):
    pin(15)
    shift = scene.shift()
    nurses(shift, 6)
    with django_capture_on_commit_callbacks(execute=True):
        urgent_shift_match(shift=shift)
    offers = list(Proposal.objects.filter(shift=shift).select_related("professional__user"))
    assert Notification.objects.filter(event="proposal.new").count() == 5  # each told at once
    winner, *others = offers
    with django_capture_on_commit_callbacks(execute=True):
        proposal_accept(actor=winner.professional.user, proposal=winner)
    assert set(Proposal.objects.filter(pk__in=[o.pk for o in others]).values_list("state", flat=True)) == {
        ProposalState.WITHDRAWN
    }
    told = Notification.objects.filter(event="proposal.withdrawn")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(o.professional.user_id for o in others)
    assert sorted(n.dedupe_key for n in told) == sorted(f"proposal:{o.pk}:withdrawn" for o in others)
    assert all(n.urgent for n in told)  # an urgent shift's notices skip the digest
    assert "Tous les postes ont été pourvus." in told.first().body
    assert not told.filter(recipient=winner.professional.user).exists()
    # Full: no wave goes out any more, and the safety net leaves it alone.
    assert urgent_shift_match(shift=shift) == 0 and shift.pk not in urgent_shifts_due()


def test_a_declined_professional_is_not_asked_again(scene, pin):
    pin(15)
    shift = scene.shift()
    nurses(shift, 7)
    urgent_shift_match(shift=shift)
    declined = Proposal.objects.filter(shift=shift).first()
    proposal_decline(actor=declined.professional.user, proposal=declined)
    urgent_shift_match(shift=shift)
    assert Proposal.objects.filter(shift=shift, professional=declined.professional).count() == 1
    assert Proposal.objects.filter(shift=shift).count() == 7


def test_hr_sees_sent_seen_declined_pending_and_the_next_wave(scene, pin, client):
    pin(15)
    shift = scene.shift()
    nurses(shift, 8)
    urgent_shift_match(shift=shift)
    a, b, c, *_rest = Proposal.objects.filter(shift=shift).select_related("professional__user")
    client.force_login(a.professional.user)
    assert client.get("/missions/propositions/").status_code == 200  # opening the inbox: seen
    assert proposals_mark_seen(actor=b.professional.user, proposals=[b]) == 1
    assert proposals_mark_seen(actor=b.professional.user, proposals=[b]) == 0  # stamped once
    assert proposals_mark_seen(actor=b.professional.user, proposals=[c]) == 0  # not theirs
    proposal_decline(actor=c.professional.user, proposal=c)
    now = timezone.now()
    row = set_next_wave([shift_for_hr(user=scene.alice).get(pk=shift.pk)], now=now)[0]
    assert (row.offers_sent, row.offers_seen, row.offers_declined, row.pending_count) == (5, 2, 1, 4)
    assert row.triage == 0 and row.urgent_now
    wave_at = Proposal.objects.filter(shift=shift).latest("created_at").created_at
    assert row.next_wave == wave_at + timedelta(minutes=5)
    client.force_login(scene.alice)
    html = client.get(f"/missions/rh/etablissement/{scene.chu.pk}/vacations/").content.decode()
    for text in ("5 envoyées", "2 vues", "1 déclinée", "4 en attente",
                 f"prochaine vague à {timezone.localtime(row.next_wave):%H:%M}"):
        assert text in html, text
