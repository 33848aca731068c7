"""The five events, each emitted once by the real services where it happens and delivered to a
real HTTPS receiver: a shift filled (its last position booked), a mission cancelled, a mission
done, a contract signed by both parties, a shift still unfilled at its deadline (48 h before it
starts, the start of the urgent window)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from establishments.models import URGENT_WITHIN
from missions import tasks as mission_tasks
from missions.booking.services.missions import mission_cancel, mission_complete
from missions.contracts.services import contract_draft, contract_sign
from missions.core.models import CancelledBy, MissionState
from missions.core.webhook_events import shift_filled_emit, shifts_unfilled_emit
from tests.factories import PASSWORD, book, from_now, make_professional, make_shift, make_user, move_to_past
from tests.webhooks.receiver import verify
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db


def _events(receiver) -> list[str]:
    return [r.headers["X-VH-Event"] for r in receiver.received]


def _last(receiver) -> dict:
    return json.loads(receiver.received[-1].body)


def test_each_event_is_emitted_once_by_the_services(world, receiver, django_capture_on_commit_callbacks):
    _, secret = webhook_subscription_create(actor=world.alice, establishment=world.site, url=receiver.url,
                                            events=WebhookEvent.values)
    quentin = make_professional(make_user("quentin@example.org", first_name="Quentin", last_name="Renfort"))
    shift = make_shift(world.site, positions=2, starts_at=from_now(timedelta(days=5)))
    capture = django_capture_on_commit_callbacks

    with capture(execute=True):
        first = book(shift, world.paul)
    assert _events(receiver) == []  # one position still open
    with capture(execute=True):
        second = book(shift, quentin)
    assert _events(receiver) == ["shift.filled"]
    filled = _last(receiver)
    assert filled["establishment"] == world.site.pk
    assert filled["data"]["shift"]["id"] == shift.pk and filled["data"]["shift"]["positions"] == 2
    assert filled["data"]["shift"]["filled"] == 2 and filled["data"]["mission"]["id"] == second.pk
    assert filled["data"]["mission"]["professional"]["name"] == "Quentin Renfort"
    assert filled["data"]["shift"]["pay"] == str(shift.pay)  # money as a decimal string
    with capture(execute=True):
        assert shift_filled_emit(shift=shift, mission=second) == 0  # the same filling: nothing more

    contract = contract_draft(mission=second)  # drafted on commit already: the same one
    with capture(execute=True):
        contract_sign(actor=quentin.user, contract=contract, password=PASSWORD, ip="192.0.2.1")
    assert _events(receiver) == ["shift.filled"]  # one signature is not "signed"
    with capture(execute=True):
        contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip="192.0.2.2")
    assert _events(receiver)[-1] == "contract.signed"
    signed = _last(receiver)["data"]
    assert signed["contract"]["id"] == contract.pk and signed["contract"]["state"] == "signed"
    assert signed["mission"]["id"] == second.pk

    with capture(execute=True):
        mission_cancel(actor=world.bob, mission=first, reason="Service fermé", by=CancelledBy.ESTABLISHMENT)
    assert _events(receiver)[-1] == "mission.cancelled"
    cancelled = _last(receiver)["data"]["mission"]
    assert cancelled["id"] == first.pk and cancelled["state"] == "cancelled"
    assert cancelled["cancelled_by"] == "establishment" and cancelled["cancel_reason"] == "Service fermé"

    move_to_past(shift)
    second.refresh_from_db()
    with capture(execute=True):
        mission_complete(actor=world.bob, mission=second, outcome=MissionState.DONE)
    assert _events(receiver)[-1] == "mission.done"
    assert _last(receiver)["data"]["mission"]["state"] == "done"

    lonely = make_shift(world.site, starts_at=from_now(timedelta(days=4)))
    deadline = lonely.starts_at - URGENT_WITHIN
    with time_machine.travel(deadline - timedelta(minutes=10), tick=False), capture(execute=True):
        assert mission_tasks.webhooks_unfilled_shifts() == 0  # not yet at its deadline
    with time_machine.travel(deadline + timedelta(minutes=5), tick=False), capture(execute=True):
        assert mission_tasks.webhooks_unfilled_shifts() == 1
        assert mission_tasks.webhooks_unfilled_shifts() == 0  # once per shift
    assert _events(receiver)[-1] == "shift.unfilled"
    unfilled = _last(receiver)
    assert unfilled["data"]["shift"]["id"] == lonely.pk and unfilled["data"]["open_positions"] == 1

    assert sorted(_events(receiver)) == sorted(WebhookEvent.values)  # each of the five, once
    assert all(verify(secret=secret, headers=r.headers, body=r.body, now=int(r.headers["X-VH-Timestamp"]))
               for r in receiver.received)
    assert len({r.headers["X-VH-Delivery"] for r in receiver.received}) == 5


def test_a_subscription_receives_only_its_events_and_only_its_establishment_s(world, receiver,
                                                                          django_capture_on_commit_callbacks):
    webhook_subscription_create(actor=world.alice, establishment=world.site, url=receiver.url,
                                events=[WebhookEvent.MISSION_CANCELLED])
    other_shift = make_shift(world.other_site, starts_at=from_now(timedelta(days=6)))
    mine = make_shift(world.site, starts_at=from_now(timedelta(days=6)))
    with django_capture_on_commit_callbacks(execute=True):
        book(other_shift, world.paul)  # another establishment's shift filled: not ours
    with django_capture_on_commit_callbacks(execute=True):
        mission = book(mine, make_professional())  # filled, but not subscribed to shift.filled
    assert receiver.received == [] and not WebhookDelivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        mission_cancel(actor=mission.professional.user, mission=mission, reason="Empêchement",
                       by=CancelledBy.PROFESSIONAL)
    assert _events(receiver) == ["mission.cancelled"]


def test_a_refused_change_emits_nothing(world, receiver, django_capture_on_commit_callbacks):
    """The deliveries are written in the service's transaction: refused, nothing is left to send."""
    webhook_subscription_create(actor=world.alice, establishment=world.site, url=receiver.url,
                                events=WebhookEvent.values)
    mission = book(make_shift(world.site, starts_at=from_now(timedelta(days=6))), world.paul)
    WebhookDelivery.objects.all().delete()
    with pytest.raises(ValidationError), django_capture_on_commit_callbacks(execute=True):
        mission_complete(actor=world.bob, mission=mission, outcome=MissionState.DONE)  # not over yet
    assert not WebhookDelivery.objects.exists()


def test_a_shift_posted_inside_the_urgent_window_has_no_deadline_to_miss(world, receiver):
    webhook_subscription_create(actor=world.alice, establishment=world.site, url=receiver.url,
                                events=[WebhookEvent.SHIFT_UNFILLED])
    urgent = make_shift(world.site, starts_at=from_now(timedelta(hours=30)))
    assert shifts_unfilled_emit(now=urgent.starts_at - timedelta(hours=20)) == 0
