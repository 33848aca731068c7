"""HR's shift board: derived status, filters, constant query count, cancel, service fait / no-show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from establishments.models import Shift, ShiftState
from missions.booking.selectors_hr import BoardFilters, shift_board
from missions.booking.services.shifts import shift_cancel
from missions.core.models import CancelledBy, Mission, MissionState, Proposal, ProposalState
from tests.factories import (
    book,
    in_days,
    make_professional,
    make_proposal,
    make_user,
    move_to_past,
    post_shift,
)
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


def post(alice, shift_kwargs, **change):
    return post_shift(actor=alice, **(shift_kwargs | change))


def offer(shift, professional):
    return make_proposal(shift, professional, distance="5", expires_in=timedelta(hours=12))


def statuses(user, establishment, **filters):
    return {s.pk: s.board_status for s in shift_board(user=user, establishment=establishment, filters=BoardFilters(**filters))}


def test_status_is_derived_from_missions_and_proposals(alice, establishment_a, shift_kwargs, django_capture_on_commit_callbacks):
    # Every shift here is the same night: one nurse can be booked on one of them only.
    nurse1, nurse2, nurse3 = make_professional(), make_professional(), make_professional()
    open_ = post(alice, shift_kwargs)
    proposed = post(alice, shift_kwargs)
    offer(proposed, nurse1)
    filled = post(alice, shift_kwargs, positions=1)
    book(filled, nurse1)
    partly = post(alice, shift_kwargs, positions=2)
    book(partly, nurse2)
    offer(partly, nurse1)
    done = post(alice, shift_kwargs, positions=1)
    book(done, nurse3)
    move_to_past(done)
    mission = Mission.objects.get(shift=done)
    Mission.objects.filter(pk=mission.pk).update(state=MissionState.DONE)
    cancelled = post(alice, shift_kwargs)
    shift_cancel(actor=alice, shift=cancelled, reason="Service fermé")
    assert statuses(alice, establishment_a, date_from=timezone.localdate() - timedelta(days=10)) == {
        open_.pk: "open", proposed.pk: "proposed", filled.pk: "filled", partly.pk: "proposed",
        done.pk: "done", cancelled.pk: "cancelled",
    }
    assert set(statuses(alice, establishment_a, status="proposed")) == {proposed.pk, partly.pk}
    assert "status" not in Shift._meta.fields_map and not hasattr(Shift, "board_status")


def test_filters_by_unit_and_date(alice, establishment_a, shift_kwargs):
    from establishments.services import unit_create

    other = unit_create(actor=alice, establishment=establishment_a, name="Gériatrie")
    first = post(alice, shift_kwargs)
    second = post(alice, shift_kwargs, unit=other, starts_at=in_days(10, 8), ends_at=in_days(10, 20))
    assert set(statuses(alice, establishment_a, unit_id=other.pk)) == {second.pk}
    day = timezone.localdate() + timedelta(days=10)
    assert set(statuses(alice, establishment_a, date_from=day, date_to=day)) == {second.pk}
    assert set(statuses(alice, establishment_a, date_to=day - timedelta(days=1))) == {first.pk}


def test_board_query_count_does_not_grow(client, alice, establishment_a, shift_kwargs):
    offered = make_professional()

    def add(n):
        for _ in range(n):
            shift = post(alice, shift_kwargs, positions=3)
            # Every shift is the same night: two new nurses each time (one is booked once at a time).
            book(shift, make_professional())
            book(shift, make_professional())
            offer(shift, offered)

    client.force_login(alice)
    url = reverse("missions:hr_board", args=[establishment_a.pk])
    add(2)
    # The first visit records the current establishment in the session (one write); later ones read it.
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    assert not [q for q in small.captured_queries if q["sql"].startswith('UPDATE "django_session"')]
    add(20)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200 and response.content.decode().count('class="card shift"') == 22
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]


def test_cancel_cancels_missions_withdraws_proposals_and_tells_the_professional(
    alice, shift_kwargs, django_capture_on_commit_callbacks
):
    booked_nurse = make_professional(make_user("booked@pro.test"))
    offered_nurse = make_professional(make_user("offered@pro.test"))
    shift = post(alice, shift_kwargs)
    mission = book(shift, booked_nurse)
    proposal = offer(shift, offered_nurse)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        shift_cancel(actor=alice, shift=shift, reason="Fermeture de lits")
    shift.refresh_from_db()
    mission.refresh_from_db()
    proposal.refresh_from_db()
    assert shift.state == ShiftState.CANCELLED and shift.cancel_reason == "Fermeture de lits"
    assert mission.state == MissionState.CANCELLED and mission.cancelled_by == CancelledBy.ESTABLISHMENT
    assert proposal.state == ProposalState.WITHDRAWN
    # the booked nurse (mission.cancelled) and the nurse whose offer was withdrawn (proposal.withdrawn)
    told_by_mail = {m.to[0]: m.body for m in mail.outbox}
    assert sorted(told_by_mail) == ["booked@pro.test", "offered@pro.test"]
    assert "Fermeture de lits" in told_by_mail["booked@pro.test"]
    assert "Fermeture de lits" in told_by_mail["offered@pro.test"]
    from notifications.models import Notification

    told = Notification.objects.get(recipient=booked_nurse.user, event="mission.cancelled")
    # skips the digest only when the shift is urgent (Shift.is_urgent)
    assert told.urgent is shift.is_urgent() and told.dedupe_key == f"mission:{mission.pk}:cancelled"
    assert AuditEvent.objects.filter(action="shift.cancel", target_id=str(shift.pk)).exists()


def test_cancel_needs_a_writer_a_reason_and_a_future_shift(alice, bob, charlie, shift_kwargs):
    shift = post(alice, shift_kwargs)
    for actor in (bob, charlie):
        with pytest.raises(PermissionDenied):
            shift_cancel(actor=actor, shift=shift, reason="x")
    with pytest.raises(ValidationError) as error:
        shift_cancel(actor=alice, shift=shift, reason="  ")
    assert "reason" in error.value.message_dict
    move_to_past(shift)
    with pytest.raises(ValidationError):
        shift_cancel(actor=alice, shift=shift, reason="trop tard")
    shift.refresh_from_db()
    assert shift.state == ShiftState.PUBLISHED


def test_cancel_twice_is_refused(alice, shift_kwargs):
    shift = post(alice, shift_kwargs)
    shift_cancel(actor=alice, shift=shift, reason="Doublon")
    with pytest.raises(ValidationError):
        shift_cancel(actor=alice, shift=shift, reason="Doublon")


@pytest.mark.parametrize("outcome", [MissionState.DONE, MissionState.NO_SHOW])
def test_mark_done_or_no_show_from_the_board(client, alice, establishment_a, shift_kwargs, outcome):
    shift = post(alice, shift_kwargs)
    mission = book(shift, make_professional(make_user("done@pro.test")))
    client.force_login(alice)
    url = reverse("missions:hr_mission_complete", args=[mission.pk])
    client.post(url, {"outcome": outcome})
    mission.refresh_from_db()
    assert mission.state == MissionState.BOOKED  # not before the end of the shift
    move_to_past(shift)
    response = client.post(url, {"outcome": outcome})
    assert response.status_code == 302
    mission.refresh_from_db()
    assert mission.state == outcome
    board = client.get(reverse("missions:hr_board", args=[establishment_a.pk]))
    assert 'data-status="done"' in board.content.decode()


def test_pending_proposals_and_assigned_professionals_are_shown(client, alice, establishment_a, shift_kwargs):
    shift = post(alice, shift_kwargs)
    book(shift, make_professional(make_user("assigned@pro.test", first_name="Pro", last_name="Assigned")))
    offer(shift, make_professional(make_user("waiting@pro.test", first_name="Pro", last_name="Waiting")))
    client.force_login(alice)
    page = client.get(reverse("missions:hr_board", args=[establishment_a.pk])).content.decode()
    assert "Pro Assigned" in page and "Pro Waiting" in page
    assert Proposal.objects.filter(state=ProposalState.PENDING).count() == 1
