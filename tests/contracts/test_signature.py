"""Signing (services): evidence, final PDF, bad input, tampering, the forward-only state machine."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from missions.contracts.models import CONTRACT_TRANSITIONS, Contract, ContractSignature, ContractState
from missions.contracts.pdf import sha256_hex
from missions.contracts.selectors import contract_file_intact, unsigned_contracts_for_establishment_member
from missions.contracts.services import (
    SIGN_ATTEMPT_FAILED,
    SIGN_PASSWORD_ATTEMPTS,
    SIGN_PASSWORD_WINDOW,
    contract_cancel,
    contract_complete,
    contract_draft,
    contract_new_version,
    contract_sign,
    contracts_cancel_for_mission,
    contracts_complete_for_mission,
    contracts_flag_unsigned,
)
from missions.core.models import MissionState
from tests.contracts.conftest import file_bytes, pdf_text
from tests.factories import PASSWORD, from_now, make_mission
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


def _snapshot(contract: Contract) -> tuple:
    contract = Contract.objects.get(pk=contract.pk)
    return (contract.state, contract.sha256, contract.final_sha256, contract.pdf.name,
            ContractSignature.objects.filter(contract=contract).count(),
            AuditEvent.objects.filter(target_type="missions.contract", target_id=str(contract.pk)).count())


def _audits(contract: Contract, action: str):
    return AuditEvent.objects.filter(action=action, target_type="missions.contract", target_id=str(contract.pk))


def test_both_sides_sign_and_the_final_pdf_carries_the_evidence(world, tmp_path):
    contract = contract_draft(mission=world.mission)
    contract = contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip="203.0.113.7")
    assert contract.state == ContractState.SIGNED_BY_PROFESSIONAL and not contract.final_pdf
    contract = contract_sign(actor=world.bob, contract=contract, password=PASSWORD, ip="2001:db8::5")
    assert contract.state == ContractState.SIGNED and contract.signed_at is not None

    signatures = {s.side: s for s in contract.signatures.all()}
    assert signatures["professional"].user == world.alice and signatures["professional"].ip == "203.0.113.7"
    assert signatures["establishment"].user == world.bob and signatures["establishment"].ip == "2001:db8::5"
    assert {s.sha256_signed for s in signatures.values()} == {contract.sha256}
    assert "ressources humaines — Centre hospitalier de Mende" in signatures["establishment"].signer_role

    final = file_bytes(contract.final_pdf)
    assert contract.final_sha256 == sha256_hex(final) != contract.sha256
    original_text = pdf_text(file_bytes(contract.pdf), tmp_path)
    final_text = pdf_text(final, tmp_path)
    assert final_text.startswith(original_text[:200])  # the original pages come first, unchanged
    assert "Page de signature électronique" in final_text
    for needle in ("Alice Martin", "alice@example.org", "Bob Durand", "203.0.113.7", "2001:db8::5", contract.sha256):
        assert needle in final_text
    local = timezone.localtime(signatures["professional"].signed_at)
    assert f"{local:%H:%M:%S}" in final_text

    moves = list(_audits(contract, "contract.sign").order_by("created_at").values_list("from_state", "to_state"))
    assert moves == [("draft", "signed_by_professional"), ("signed_by_professional", "signed")]


def test_the_establishment_may_sign_first(world):
    contract = contract_draft(mission=world.mission)
    contract = contract_sign(actor=world.bob, contract=contract, password=PASSWORD, ip="198.51.100.1")
    assert contract.state == ContractState.SIGNED_BY_ESTABLISHMENT
    contract = contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip="198.51.100.2")
    assert contract.state == ContractState.SIGNED


@pytest.mark.parametrize("case", ["wrong_password", "empty_password", "twice", "cancelled", "someone_else", "viewer",
                                  "other_establishment", "staff"])
def test_bad_input_leaves_the_contract_unchanged(world, case):
    contract = contract_draft(mission=world.mission)
    actor, password = world.alice, PASSWORD
    expected = ValidationError
    if case == "wrong_password":
        password = "not-my-password"
    elif case == "empty_password":
        password = ""
    elif case == "twice":
        contract = contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip="192.0.2.1")
    elif case == "cancelled":
        contract = contract_cancel(actor=world.staff, contract=contract, reason="Vacation supprimée")
    elif case == "someone_else":
        actor, expected = world.charlie, PermissionDenied
    elif case == "viewer":
        actor, expected = world.vera, PermissionDenied
    elif case == "other_establishment":
        actor, expected = world.dora, PermissionDenied
    elif case == "staff":
        actor, expected = world.staff, PermissionDenied
    before = _snapshot(contract)
    with pytest.raises(expected) as error:
        contract_sign(actor=actor, contract=contract, password=password, ip="192.0.2.9")
    assert _snapshot(contract) == before
    message = " ".join(error.value.messages) if expected is ValidationError else str(error.value)
    assert {
        "wrong_password": "Mot de passe incorrect", "empty_password": "Mot de passe incorrect",
        "twice": "déjà signé", "cancelled": "annulé", "someone_else": "pas partie",
        "viewer": "lecture seule", "other_establishment": "pas partie", "staff": "pas partie",
    }[case] in message


def test_a_changed_byte_is_detected_and_signing_refused(world):
    contract = contract_draft(mission=world.mission)
    assert contract_file_intact(contract)
    path = contract.pdf.path
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    data[len(data) // 2] ^= 0x01
    with open(path, "wb") as handle:
        handle.write(data)
    assert not contract_file_intact(contract)
    before_state = Contract.objects.get(pk=contract.pk).state
    with pytest.raises(ValidationError) as error:
        contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip="192.0.2.1")
    assert "empreinte SHA-256" in " ".join(error.value.messages)
    assert Contract.objects.get(pk=contract.pk).state == before_state
    assert not ContractSignature.objects.filter(contract=contract).exists()
    alert = _audits(contract, "contract.tamper_detected").get()  # the alert survives the refusal
    assert alert.data["expected"] == contract.sha256 and alert.data["found"] == sha256_hex(bytes(data))


def test_a_missing_file_is_refused_too(world):
    contract = contract_draft(mission=world.mission)
    contract.pdf.storage.delete(contract.pdf.name)
    with pytest.raises(ValidationError):
        contract_sign(actor=world.bob, contract=contract, password=PASSWORD, ip=None)


def test_the_transitions_table_only_goes_forward():
    order = [ContractState.DRAFT, {ContractState.SIGNED_BY_PROFESSIONAL, ContractState.SIGNED_BY_ESTABLISHMENT},
             ContractState.SIGNED, {ContractState.COMPLETED, ContractState.CANCELLED, ContractState.SUPERSEDED}]
    rank = {}
    for i, states in enumerate(order):
        for state in states if isinstance(states, set) else {states}:
            rank[state] = i
    assert set(rank) == set(ContractState.values)
    for source, targets in CONTRACT_TRANSITIONS.items():
        assert all(rank[t] > rank[source] for t in targets), source
    terminal = {ContractState.COMPLETED, ContractState.CANCELLED, ContractState.SUPERSEDED}
    assert terminal.isdisjoint(CONTRACT_TRANSITIONS)


def _signed(world) -> Contract:
    contract = contract_draft(mission=world.mission)
    contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip="192.0.2.1")
    return contract_sign(actor=world.bob, contract=contract, password=PASSWORD, ip="192.0.2.2")


def _done(mission):
    mission.state = MissionState.DONE
    mission.closed_at = timezone.now()
    mission.save()


def test_complete_after_service_fait_then_nothing_moves(world):
    contract = _signed(world)
    with pytest.raises(ValidationError):  # the mission is not done yet
        contract_complete(actor=world.bob, contract=contract)
    _done(world.mission)
    with pytest.raises(PermissionDenied):
        contract_complete(actor=world.vera, contract=contract)
    contract = contract_complete(actor=world.bob, contract=contract)
    assert contract.state == ContractState.COMPLETED and contract.completed_at
    assert _audits(contract, "contract.complete").get().from_state == "signed"
    before = _snapshot(contract)
    for attempt in (
        lambda: contract_cancel(actor=world.bob, contract=contract, reason="trop tard"),
        lambda: contract_complete(actor=world.bob, contract=contract),
        lambda: contract_new_version(actor=world.bob, contract=contract, reason="erratum"),
        lambda: contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip=None),
    ):
        with pytest.raises(ValidationError):
            attempt()
    assert _snapshot(contract) == before


def test_a_draft_cannot_be_completed(world):
    contract = contract_draft(mission=world.mission)
    _done(world.mission)
    with pytest.raises(ValidationError) as error:
        contract_complete(actor=world.bob, contract=contract)
    assert "state" in error.value.message_dict
    assert Contract.objects.get(pk=contract.pk).state == ContractState.DRAFT


def test_cancel_needs_a_reason_and_a_party_and_is_final(world):
    contract = contract_draft(mission=world.mission)
    with pytest.raises(ValidationError) as error:  # the mission is booked: cancel the mission instead
        contract_cancel(actor=world.alice, contract=contract, reason="Je ne suis plus disponible")
    assert "toujours réservée" in " ".join(error.value.messages)
    world.mission.state = MissionState.NO_SHOW
    world.mission.save()
    with pytest.raises(ValidationError):
        contract_cancel(actor=world.bob, contract=contract, reason="  ")
    with pytest.raises(PermissionDenied):
        contract_cancel(actor=world.vera, contract=contract, reason="lecteur")
    with pytest.raises(PermissionDenied):
        contract_cancel(actor=world.charlie, contract=contract, reason="pas à moi")
    assert Contract.objects.get(pk=contract.pk).state == ContractState.DRAFT
    contract = contract_cancel(actor=world.bob, contract=contract, reason="Absence du professionnel")
    assert contract.state == ContractState.CANCELLED and contract.cancelled_by == world.bob
    event = _audits(contract, "contract.cancel").get()
    assert event.actor == world.bob and event.data["reason"] == "Absence du professionnel"
    with pytest.raises(ValidationError):
        contract_cancel(actor=world.alice, contract=contract, reason="encore")
    with pytest.raises(ValidationError):
        contract_new_version(actor=world.bob, contract=contract, reason="reprise")


def test_staff_may_cancel_while_booked_and_the_sweeper_drafts_again(world):
    from missions.contracts.services import contracts_draft_missing

    v1 = contract_draft(mission=world.mission)
    contract_cancel(actor=world.staff, contract=v1, reason="Erreur de saisie")
    assert contracts_draft_missing() == 1
    v2 = Contract.objects.get(mission=world.mission, state=ContractState.DRAFT)
    assert v2.version == 2 and v2.previous is None


def test_mission_hooks_cancel_and_complete(world):
    contract = _signed(world)
    assert contracts_cancel_for_mission(actor=world.bob, mission=world.mission, reason="Mission annulée") == 1
    assert Contract.objects.get(pk=contract.pk).state == ContractState.CANCELLED
    assert contracts_cancel_for_mission(actor=world.bob, mission=world.mission, reason="again") == 0

    other = make_mission(world.pro, world.site, by=world.bob, starts_at=from_now(timedelta(days=9)))
    signed = contract_draft(mission=other)
    contract_sign(actor=world.alice, contract=signed, password=PASSWORD, ip=None)
    contract_sign(actor=world.bob, contract=signed, password=PASSWORD, ip=None)
    _done(other)
    assert contracts_complete_for_mission(actor=world.bob, mission=other) == 1
    assert Contract.objects.get(pk=signed.pk).state == ContractState.COMPLETED


def test_new_version_supersedes_a_draft_and_needs_new_signatures(world, tmp_path):
    v1 = contract_draft(mission=world.mission)
    contract_sign(actor=world.alice, contract=v1, password=PASSWORD, ip=None)
    with pytest.raises(PermissionDenied):
        contract_new_version(actor=world.alice, contract=v1, reason="je veux plus")
    with pytest.raises(ValidationError):
        contract_new_version(actor=world.bob, contract=v1, reason="")
    world.mission.ends_at += timedelta(hours=2)
    world.mission.save()
    v2 = contract_new_version(actor=world.bob, contract=v1, reason="Horaires prolongés de 2 h")
    v1.refresh_from_db()
    assert v1.state == ContractState.SUPERSEDED and v2.state == ContractState.DRAFT
    assert (v2.version, v2.previous, v2.created_by) == (2, v1, world.bob)
    assert v2.sha256 != v1.sha256 and v2.pdf.name != v1.pdf.name
    assert "14 h" in pdf_text(file_bytes(v2.pdf), tmp_path) and "Horaires prolongés de 2 h" in pdf_text(file_bytes(v2.pdf), tmp_path)
    assert contract_draft(mission=world.mission) == v2  # the current version
    with pytest.raises(ValidationError):  # an old version cannot be signed
        contract_sign(actor=world.bob, contract=v1, password=PASSWORD, ip=None)
    with pytest.raises(ValidationError):  # nor re-versioned
        contract_new_version(actor=world.bob, contract=v1, reason="encore")


def test_a_signed_version_stays_in_force_until_its_replacement_is_signed(world):
    v1 = _signed(world)
    v1_bytes = (v1.sha256, v1.final_sha256)
    v2 = contract_new_version(actor=world.bob, contract=v1, reason="Rémunération corrigée")
    v1.refresh_from_db()
    assert v1.state == ContractState.SIGNED and (v1.sha256, v1.final_sha256) == v1_bytes  # immutable
    contract_sign(actor=world.alice, contract=v2, password=PASSWORD, ip=None)
    v1.refresh_from_db()
    assert v1.state == ContractState.SIGNED
    contract_sign(actor=world.bob, contract=v2, password=PASSWORD, ip=None)
    v1.refresh_from_db()
    assert v1.state == ContractState.SUPERSEDED and (v1.sha256, v1.final_sha256) == v1_bytes
    assert _audits(v1, "contract.supersede").get().data == {"by_version": 2}


def test_unsigned_contracts_are_flagged_once_24h_before(world):
    soon = contract_draft(mission=world.mission)  # starts in 3 days
    assert contracts_flag_unsigned() == 0
    now = world.mission.starts_at - timedelta(hours=23)
    # Booked a day later (1 h after the first one ends would break the 11 h rest), then moved.
    signed_mission = make_mission(world.pro, world.site, by=world.bob, starts_at=from_now(timedelta(days=4)))
    signed_mission.starts_at = world.mission.starts_at + timedelta(hours=13)
    signed_mission.save()
    signed = contract_draft(mission=signed_mission)
    contract_sign(actor=world.alice, contract=signed, password=PASSWORD, ip=None)
    contract_sign(actor=world.bob, contract=signed, password=PASSWORD, ip=None)

    assert contracts_flag_unsigned(now=now) == 1
    soon.refresh_from_db()
    assert soon.flagged_at == now
    assert contracts_flag_unsigned(now=now + timedelta(hours=1)) == 0  # once
    assert _audits(soon, "contract.flag_unsigned").count() == 1
    assert list(unsigned_contracts_for_establishment_member(world.bob)) == [soon]
    assert list(unsigned_contracts_for_establishment_member(world.vera)) == [soon]
    assert list(unsigned_contracts_for_establishment_member(world.dora)) == []
    assert list(unsigned_contracts_for_establishment_member(world.alice)) == []
    # once both have signed it leaves the board
    contract_sign(actor=world.alice, contract=soon, password=PASSWORD, ip=None)
    assert list(unsigned_contracts_for_establishment_member(world.bob)) == [soon]
    contract_sign(actor=world.bob, contract=soon, password=PASSWORD, ip=None)
    assert list(unsigned_contracts_for_establishment_member(world.bob)) == []


def test_flag_task_runs_the_service(world):
    from missions.contracts.tasks import flag_unsigned

    world.mission.starts_at = timezone.now() + timedelta(hours=5)
    world.mission.ends_at = world.mission.starts_at + timedelta(hours=12)
    world.mission.save()
    contract_draft(mission=world.mission)
    assert flag_unsigned.delay().get() == 1
    assert flag_unsigned.delay().get() == 0


def test_both_sides_are_told_to_sign_then_flagged_sides_urgently(world):
    from notifications.models import Notification

    contract = contract_draft(mission=world.mission)
    to_sign = Notification.objects.filter(event="contract.to_sign", dedupe_key=f"contract:{contract.pk}:to_sign")
    assert set(to_sign.values_list("recipient__email", flat=True)) == {"alice@example.org", "bob@example.org"}
    assert to_sign.get(recipient=world.alice).url == f"/missions/contrats/{contract.pk}/"
    assert "Centre hospitalier de Mende" in to_sign.get(recipient=world.alice).body
    assert "Alice Martin" in to_sign.get(recipient=world.bob).body
    contract_draft(mission=world.mission)  # idempotent: nobody is told twice
    assert to_sign.count() == 2

    contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip=None)
    assert contracts_flag_unsigned(now=world.mission.starts_at - timedelta(hours=2)) == 1
    unsigned = Notification.objects.filter(event="contract.unsigned")
    assert [(n.recipient, n.urgent) for n in unsigned] == [(world.bob, True)]  # Alice has signed already


def test_the_sweeper_drafts_what_the_booking_task_missed(world):
    from missions.contracts.services import contracts_draft_missing

    assert contracts_draft_missing() == 1
    assert Contract.objects.filter(mission=world.mission, state=ContractState.DRAFT).count() == 1
    assert contracts_draft_missing() == 0
    forbidden = world.mission.shift
    forbidden.contract_route = "forbidden"
    forbidden.save()
    other = make_mission(world.pro, world.site, by=world.bob, starts_at=from_now(timedelta(days=6)))
    other.shift.contract_route = "forbidden"
    other.shift.save()
    assert contracts_draft_missing() == 0  # logged and skipped, never raised


def test_the_booking_task_drafts_once_and_never_raises_into_the_booking(world):
    from missions.contracts.tasks import contract_draft_task

    first = contract_draft_task.delay(world.mission.pk).get()
    assert contract_draft_task.delay(world.mission.pk).get() == first  # idempotent
    assert Contract.objects.filter(mission=world.mission).count() == 1
    other = make_mission(world.pro, world.site, by=world.bob, starts_at=from_now(timedelta(days=8)))
    other.shift.contract_route = "forbidden"
    other.shift.save()
    assert contract_draft_task.delay(other.pk).get() is None
    assert not Contract.objects.filter(mission=other).exists()


def test_a_cancelled_mission_cannot_be_signed_a_done_one_is_regularised(world):
    contract = contract_draft(mission=world.mission)
    contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip=None)
    world.mission.state = MissionState.CANCELLED
    world.mission.save()
    with pytest.raises(ValidationError) as error:
        contract_sign(actor=world.bob, contract=contract, password=PASSWORD, ip=None)
    assert "annulée" in " ".join(error.value.messages)
    _done(world.mission)  # (a test shortcut: service fait attested while one signature was missing)
    contract = contract_sign(actor=world.bob, contract=contract, password=PASSWORD, ip=None)
    assert contract.state == ContractState.COMPLETED and contract.final_pdf
    assert [e.to_state for e in _audits(contract, "contract.complete")] == ["completed"]


def test_board_block_per_establishment_and_current_contract(world):
    from missions.contracts.selectors import current_contract

    assert current_contract(world.mission) is None
    contract = contract_draft(mission=world.mission)
    assert current_contract(world.mission) == contract
    contracts_flag_unsigned(now=world.mission.starts_at - timedelta(hours=1))
    assert list(unsigned_contracts_for_establishment_member(world.bob, establishment=world.site)) == [contract]
    assert list(unsigned_contracts_for_establishment_member(world.bob, establishment=world.other_site)) == []


def test_five_wrong_passwords_suspend_signing_for_a_quarter_of_an_hour_then_it_works(world):
    contract = contract_draft(mission=world.mission)
    before = _snapshot(contract)
    for _attempt in range(SIGN_PASSWORD_ATTEMPTS):
        with pytest.raises(ValidationError, match="Mot de passe incorrect"):
            contract_sign(actor=world.alice, contract=contract, password="not-my-password", ip=None)
    with pytest.raises(ValidationError, match="Trop de mots de passe erronés") as refused:
        contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip=None)  # even the right one
    assert refused.value.error_dict["password"][0].code == "too_many_attempts"
    assert _snapshot(contract) == before
    failures = AuditEvent.objects.filter(action=SIGN_ATTEMPT_FAILED, actor=world.alice)
    assert failures.count() == SIGN_PASSWORD_ATTEMPTS and failures.first().data == {"contract": contract.pk}
    # Someone else's attempts are theirs: the establishment's signer is not held back.
    contract = contract_sign(actor=world.bob, contract=contract, password=PASSWORD, ip=None)
    with time_machine.travel(timezone.now() + SIGN_PASSWORD_WINDOW + timedelta(seconds=1), tick=True):
        contract = contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip=None)
    assert contract.state == ContractState.SIGNED
