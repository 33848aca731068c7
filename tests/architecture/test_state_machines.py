"""Every state machine goes through ``ville_hopital.transitions.transition``.

1. The guard: no project code writes a ``state`` field anywhere else (an assignment to ``.state``,
   ``setattr(…, "state", …)``, ``.update(state=…)``, ``bulk_update`` of ``state``).
2. The tables, one test per machine: every allowed move works and writes its audit row (old state,
   new state, actor); every other move is refused with a message naming the current state, and
   nothing changes — neither the row nor the trail.
"""

from __future__ import annotations

import ast
import html
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation

from establishments.models import MemberRole, Shift
from missions.contracts.models import Contract
from missions.contracts.services import contract_draft
from missions.core.models import MatchingRun, MatchingRunKind, Mission, Proposal
from notifications.models import Delivery
from notifications.services import notify
from territories.models import Region
from tests.factories import (
    book,
    from_now,
    make_establishment,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
)
from ville_hopital.models import AuditEvent
from ville_hopital.transitions import transition
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_event_emit, webhook_event_id, webhook_subscription_create

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "dashboards", "directories", "establishments", "missions", "notifications",
            "professionals", "reference", "territories", "ville_hopital", "webhooks")
HELPER = ROOT / "ville_hopital" / "transitions.py"


def _state_writes(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        lines += [t.lineno for t in targets if isinstance(t, ast.Attribute) and t.attr == "state"]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "update" and any(k.arg == "state" for k in node.keywords):
                lines.append(node.lineno)
            if node.func.attr == "bulk_update" and any(
                isinstance(n, ast.Constant) and n.value == "state" for n in ast.walk(node)
            ):
                lines.append(node.lineno)
        is_setattr = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
        if is_setattr and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "state":
            lines.append(node.lineno)
    return lines


def _project_modules() -> list[Path]:
    return [
        path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts and path != HELPER
    ]


def test_no_code_writes_a_state_outside_the_transition_helper():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _project_modules()
        for line in _state_writes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == [], "write the state through ville_hopital.transitions.transition: " + ", ".join(offenders)


@pytest.mark.parametrize("code", [
    "run.state = 'failed'",
    "self.contract.state: str = x",
    "Delivery.objects.filter(pk=1).update(state='sent', sent_at=now)",
    "setattr(mission, 'state', 'done')",
    "Proposal.objects.bulk_update(rows, ['state', 'decided_at'])",
])
def test_the_guard_sees_each_way_of_writing_a_state(code):
    assert _state_writes(ast.parse(code)) == [1]


def test_the_guard_leaves_other_fields_and_reads_alone():
    code = "x = run.state\nrun.digest_state = 'sent'\nqs.update(digest_state='sent')\nif m.state == 'done': pass"
    assert _state_writes(ast.parse(code)) == []


# --- The tables --------------------------------------------------------------------------------


def _shift(db) -> Shift:
    return make_shift()


def _proposal(db) -> Proposal:
    return make_proposal(make_shift(), make_professional())


def _mission(db) -> Mission:
    return book(make_shift(starts_at=from_now(timedelta(days=5))), make_professional())


def _contract(db) -> Contract:
    return contract_draft(mission=_mission(db))


def _matching_run(db) -> MatchingRun:
    return MatchingRun.objects.create(region=Region.objects.get(code="76"), start=timezone.localdate(),
                                      kind=MatchingRunKind.NIGHTLY)


def _delivery(db) -> Delivery:
    recipient = make_user()
    notify(recipient=recipient, event="mission.cancelled", dedupe_key="architecture:1", context={
        "shift": "Infirmier de nuit — Urgences", "establishment": "CH de Mende", "starts_at": from_now(timedelta(days=3)),
        "ends_at": from_now(timedelta(days=3, hours=12)), "url": "/missions/", "reason": "fermeture",
    })
    return Delivery.objects.filter(recipient=recipient).first()


def _webhook(db) -> WebhookSubscription:
    admin = make_user()
    subscription, _secret = webhook_subscription_create(
        actor=admin, establishment=make_establishment(admin=admin), url="https://93.184.216.34/vh",
        events=["mission.done"],
    )
    return subscription


def _webhook_delivery(db) -> WebhookDelivery:
    subscription = _webhook(db)
    webhook_event_emit(establishment_id=subscription.establishment_id, event="mission.done",
                       event_id=webhook_event_id("architecture", 1), data={})
    return subscription.deliveries.get()


BUILDERS = {
    Shift: _shift, Proposal: _proposal, Mission: _mission, Contract: _contract, MatchingRun: _matching_run,
    Delivery: _delivery, WebhookSubscription: _webhook, WebhookDelivery: _webhook_delivery,
}


def _force(row: models.Model, state: str) -> models.Model:
    """Put the row in ``state`` directly, to start each move from every state (tests only)."""
    type(row).objects.filter(pk=row.pk).update(**{"state": state})
    return type(row).objects.get(pk=row.pk)


def _trail(row: models.Model):
    return AuditEvent.objects.filter(target_type=row._meta.label_lower, target_id=str(row.pk), action="test.move")


@pytest.mark.parametrize("model", list(BUILDERS), ids=lambda m: m.__name__)
def test_every_move_of_the_table_and_no_other(db, model):
    row = BUILDERS[model](db)
    assert row is not None
    actor = make_user()
    states = [value for value, _label in model._meta.get_field("state").choices]
    table = model.TRANSITIONS
    allowed_moves = refused_moves = 0
    for source, target in itertools.product(states, states):
        row = _force(row, source)
        before = _trail(row).count()
        if target in table.get(source, ()):
            assert transition(row, to_state=target, actor=actor, action="test.move") == source
            assert type(row).objects.get(pk=row.pk).state == target, (source, target)
            event = _trail(row).latest("pk")
            assert (event.from_state, event.to_state, event.actor) == (source, target, actor), (source, target)
            allowed_moves += 1
        else:
            with pytest.raises(ValidationError) as refused:
                transition(row, to_state=target, actor=actor, action="test.move")
            label = dict(model._meta.get_field("state").flatchoices)[source]
            assert f"« {label} »" in str(refused.value), (source, target, refused.value)
            assert type(row).objects.get(pk=row.pk).state == source, (source, target)
            assert _trail(row).count() == before, (source, target)
            refused_moves += 1
    assert allowed_moves == sum(len(targets) for targets in table.values())
    assert refused_moves == len(states) ** 2 - allowed_moves


def test_a_move_decided_on_a_stale_copy_is_refused(db):
    """Another request cancelled the shift after this one read it: the lock reads the truth."""
    shift = make_shift()
    stale = Shift.objects.get(pk=shift.pk)
    transition(shift, to_state="cancelled", actor=None, action="test.move")
    with pytest.raises(ValidationError, match="« annulée »"):
        transition(stale, to_state="cancelled", actor=None, action="test.move")


def test_the_refusal_reads_in_english_too(db):
    shift = make_shift()
    transition(shift, to_state="cancelled", actor=None, action="test.move")
    with translation.override("en"), pytest.raises(ValidationError, match="state “cancelled”; moving to “cancelled”"):
        transition(shift, to_state="cancelled", actor=None, action="test.move")


# --- An illegal move asked for through the pages: the current state named, nothing changed -----


def test_accepting_a_withdrawn_offer_names_its_state_and_books_nothing(db, client):
    shift = make_shift(positions=1)
    first, second = make_professional(), make_professional()
    offer = make_proposal(shift, second)
    book(shift, first)  # the shift is full: the other offer is withdrawn
    client.force_login(second.user)
    answer = client.post(reverse("missions:proposal_accept", args=[offer.pk]), follow=True)
    assert "état « retirée », le passage à « acceptée » n'est pas possible" in html.unescape(answer.content.decode())
    offer.refresh_from_db()
    assert offer.state == "withdrawn" and not Mission.objects.filter(professional=second).exists()


def test_closing_a_mission_already_closed_names_its_state_and_changes_nothing(db, client):
    hr = make_user()
    establishment = make_establishment(members={hr: MemberRole.HR})
    mission = book(make_shift(establishment, starts_at=from_now(timedelta(days=-2)), as_row=True), make_professional(),
                   as_row=True, state="done")
    client.force_login(hr)  # a sign-in is itself in the trail
    trail = AuditEvent.objects.count()
    answer = client.post(reverse("missions:hr_mission_complete", args=[mission.pk]), {"outcome": "no_show"}, follow=True)
    assert "état « service fait », le passage à « absence » n'est pas possible" in html.unescape(answer.content.decode())
    mission.refresh_from_db()
    assert mission.state == "done" and AuditEvent.objects.count() == trail
