"""A professional takes an urgent open position at once (the same race-free booking as an acceptance),
or offers themselves for a later one (HR confirms); the page says why they cannot. A shift already
filled or started: a clear message, nothing written. On PostgreSQL, a take racing an acceptance for
the last position: exactly one booking."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from missions.booking.services.proposals import proposal_accept
from missions.booking.services.shifts import shift_cancel
from missions.core.models import Mission, MissionState, Proposal, ProposalSource, ProposalState
from missions.platform.services.urgent import candidacy_confirm, shift_apply, shift_take
from tests.factories import book, make_proposal, move_shift
from ville_hopital.models import AuditEvent

from .conftest import nurse

TAKE = "/missions/vacations-ouvertes/{}/"


def _nothing_written(shift) -> bool:
    return not Proposal.objects.filter(shift=shift, source=ProposalSource.TAKEN).exists() and not (
        AuditEvent.objects.filter(action="shift.take").exists()
    )


def test_an_eligible_nurse_takes_tonights_urgent_position_at_once(scene, pin, django_capture_on_commit_callbacks):
    pin(15)
    shift = scene.shift()
    offered = nurse(shift=shift)
    offer = make_proposal(shift, offered)
    taker = nurse(shift=shift, notice=24)  # taking is their own choice: their notice does not forbid it
    with django_capture_on_commit_callbacks(execute=True):
        mission = shift_take(actor=taker.user, shift=shift)
    assert (mission.professional, mission.state, mission.position) == (taker, MissionState.BOOKED, 1)
    assert mission.proposal.source == ProposalSource.TAKEN and mission.proposal.state == ProposalState.ACCEPTED
    offer.refresh_from_db()
    assert offer.state == ProposalState.WITHDRAWN  # the shift is full: the other offer goes, its holder told
    assert AuditEvent.objects.filter(action="shift.take", target_id=str(shift.pk), actor=taker.user).exists()


def test_a_live_offer_they_hold_is_the_one_accepted(scene, pin):
    pin(15)
    shift = scene.shift(positions=2)
    pro = nurse(shift=shift)
    offer = make_proposal(shift, pro)
    mission = shift_take(actor=pro.user, shift=shift)
    assert mission.proposal == offer and Proposal.objects.filter(shift=shift).count() == 1


@pytest.mark.parametrize("how", ["filled", "started", "cancelled"])
def test_a_shift_filled_started_or_cancelled_cannot_be_taken_and_nothing_is_written(scene, pin, how):
    pin(15)
    shift = scene.shift()
    taker = nurse(shift=shift)
    expected = {"filled": "déjà pourvus", "started": "déjà commencé", "cancelled": "annulée"}[how]
    if how == "filled":
        book(shift, nurse(shift=shift))
    elif how == "started":
        move_shift(shift, starts_at=timezone.now() - timedelta(hours=1))
    else:
        shift_cancel(actor=scene.alice, shift=shift, reason="Lits fermés")
    before = Mission.objects.count()
    with pytest.raises(ValidationError, match=expected):
        shift_take(actor=taker.user, shift=shift)
    assert Mission.objects.count() == before and _nothing_written(shift)


def test_a_rule_that_refuses_the_booking_is_said_and_nothing_is_written(scene, pin):
    pin(15)
    shift = scene.shift()
    uninsured = nurse(shift=shift, insured=False)
    with pytest.raises(ValidationError) as refused:
        shift_take(actor=uninsured.user, shift=shift)
    assert "assurance" in " ".join(refused.value.messages).lower()
    assert not Mission.objects.filter(shift=shift).exists() and _nothing_written(shift)
    assert not Proposal.objects.filter(shift=shift).exists()  # the offer created on the way was rolled back


def test_a_later_shift_is_applied_for_and_hr_confirms(scene, pin, client):
    pin(7)
    shift = scene.shift(day=10)
    pro = nurse(shift=shift, notice=48)
    with pytest.raises(ValidationError, match="pas urgente"):
        shift_take(actor=pro.user, shift=shift)
    candidacy = shift_apply(actor=pro.user, shift=shift)
    assert (candidacy.source, candidacy.state) == (ProposalSource.CANDIDACY, ProposalState.PENDING)
    assert candidacy.expires_at < timezone.now() + timedelta(hours=24)  # the next night's matching decides
    # Not an offer to them: not in their inbox, and they cannot accept it themselves.
    client.force_login(pro.user)
    assert candidacy not in client.get("/missions/propositions/").context["proposals"]
    assert client.post(f"/missions/propositions/{candidacy.pk}/accepter/").status_code == 404
    with pytest.raises(ValidationError) as refused:  # the rule is the service's, whatever the door
        proposal_accept(actor=pro.user, proposal=candidacy)
    assert list(refused.value.message_dict) == ["source"]
    assert not Mission.objects.exists()
    # HR confirms: booked, under the acceptance's locks and rules.
    mission = candidacy_confirm(actor=scene.alice, proposal=candidacy)
    assert mission.professional == pro and mission.proposal == candidacy
    assert AuditEvent.objects.filter(action="candidacy.confirm", actor=scene.alice).exists()


def test_an_urgent_shift_is_taken_not_applied_for(scene, pin):
    pin(15)
    shift = scene.shift()
    with pytest.raises(ValidationError, match="prenez-la directement"):
        shift_apply(actor=nurse(shift=shift).user, shift=shift)


# --- Pages --------------------------------------------------------------------------------------


def test_open_shifts_lead_to_take_or_apply_and_the_page_says_why_not(scene, pin, client):
    pin(15)
    tonight = scene.shift()
    later = scene.shift(day=10)
    pro = nurse(shift=tonight)
    client.force_login(pro.user)
    html = client.get("/missions/vacations-ouvertes/").content.decode()
    assert f'href="{TAKE.format(tonight.pk)}">Prendre ce poste' in html
    assert f'href="{TAKE.format(later.pk)}">Proposer ma candidature' in html

    page = client.get(TAKE.format(tonight.pk))
    assert page.status_code == 200 and "Je prends ce poste" in page.content.decode()
    response = client.post(TAKE.format(tonight.pk))
    mission = Mission.objects.get(shift=tonight)
    assert response.status_code == 302 and response.url == f"/missions/mes-missions/{mission.pk}/"

    # Another nurse comes too late: the page says so, nothing is written.
    late = nurse(shift=tonight)
    client.force_login(late.user)
    page = client.get(TAKE.format(tonight.pk))
    assert "déjà pourvus" in page.content.decode() and "Je prends ce poste" not in page.content.decode()
    response = client.post(TAKE.format(tonight.pk))
    assert response.status_code == 400 and "déjà pourvus" in response.content.decode()
    assert Mission.objects.filter(shift=tonight).count() == 1

    # An uninsured nurse sees the rule that keeps them off, before trying.
    uninsured = nurse(shift=later, insured=False)
    client.force_login(uninsured.user)
    html = client.get(TAKE.format(later.pk)).content.decode()
    assert "Pourquoi vous ne pouvez pas proposer votre candidature" in html and "assurance" in html.lower()
    assert client.post(TAKE.format(later.pk)).status_code == 400
    assert not Proposal.objects.filter(shift=later).exists()


def test_another_professions_shift_is_a_404_and_hr_cannot_take(scene, pin, client):
    pin(15)
    shift = scene.shift()
    kine = nurse(profession="70")
    client.force_login(kine.user)
    assert client.get(TAKE.format(shift.pk)).status_code == 404
    assert client.post(TAKE.format(shift.pk)).status_code == 404
    client.force_login(scene.alice)
    assert client.get(TAKE.format(shift.pk)).status_code == 404
    assert not Mission.objects.exists()


# --- The race ----------------------------------------------------------------------------------


def _race(calls: dict) -> dict:
    """Run each call in its own thread, all released at once; each outcome is the call's result or
    the ``ValidationError`` it raised (anything else becomes a ``RuntimeError``, which fails)."""
    barrier = threading.Barrier(len(calls))
    outcomes: dict[str, object] = {}

    def run(name, call):
        try:
            barrier.wait(timeout=10)
            outcomes[name] = call()
        except ValidationError as error:
            outcomes[name] = error
        except Exception as error:  # reported below: a thread's crash must fail the test
            outcomes[name] = RuntimeError(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
def test_a_take_and_an_acceptance_for_the_last_position_book_exactly_once(live_scene, pin):
    pin(15)
    scene = live_scene
    winners_seen = set()
    for _round in range(6):
        shift = scene.shift(pay=Decimal("600.00"))
        holder, taker = nurse(shift=shift), nurse(shift=shift)
        offer = make_proposal(shift, holder)
        outcomes = _race({
            "accept": partial(proposal_accept, actor=holder.user, proposal=offer),
            "take": partial(shift_take, actor=taker.user, shift=shift),
        })
        assert not [o for o in outcomes.values() if isinstance(o, RuntimeError)], outcomes
        assert Mission.objects.filter(shift=shift, state=MissionState.BOOKED).count() == 1, outcomes
        winners = [name for name, o in outcomes.items() if isinstance(o, Mission)]
        losers = [o for o in outcomes.values() if isinstance(o, ValidationError)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        if winners == ["accept"]:  # the take was refused: it left nothing behind
            assert "déjà pourvus" in " ".join(losers[0].messages)
            assert not Proposal.objects.filter(shift=shift, professional=taker).exists()
        else:  # the take filled the shift: the holder's offer was withdrawn under them
            assert "retirée" in " ".join(losers[0].messages)
            offer.refresh_from_db()
            assert offer.state == ProposalState.WITHDRAWN
        winners_seen.update(winners)
    print("winners over the rounds:", winners_seen)
