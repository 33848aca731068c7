"""The contract follows its mission: cancelled with it, completed after "service fait", cancelled on
an absence; HR's board lists unsigned contracts; the ARS aggregates follow each transition on commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from dashboards.models import DailyFill
from missions.booking.services.missions import mission_cancel, mission_complete
from missions.contracts.models import ContractState
from missions.contracts.services import contract_draft, contract_sign, contracts_flag_unsigned
from missions.core.models import CancelledBy, Mission, MissionState
from tests.factories import PASSWORD, move_shift
from ville_hopital.models import AuditEvent


def _signed_by_both(world):
    contract = contract_draft(mission=world.mission)
    contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip="192.0.2.1")
    contract_sign(actor=world.bob, contract=contract, password=PASSWORD, ip="192.0.2.2")
    contract.refresh_from_db()
    assert contract.state == ContractState.SIGNED
    return contract


def _ended(mission: Mission) -> Mission:
    """Move a mission into the past (as if its shift had been worked)."""
    move_shift(mission.shift, starts_at=timezone.now() - timedelta(hours=14))  # 12 h: ended 2 h ago
    mission.refresh_from_db()
    return mission


def test_cancelling_the_mission_cancels_its_contract_with_the_reason(world):
    contract = contract_draft(mission=world.mission)
    mission_cancel(actor=world.bob, mission=world.mission, reason="Unité fermée", by=CancelledBy.ESTABLISHMENT)
    contract.refresh_from_db()
    assert contract.state == ContractState.CANCELLED
    assert contract.cancel_reason == "Unité fermée" and contract.cancelled_by == world.bob
    assert AuditEvent.objects.filter(action="contract.cancel", target_id=str(contract.pk)).count() == 1


def test_a_refused_cancellation_leaves_the_contract_as_it_was(world):
    contract = contract_draft(mission=world.mission)
    with pytest.raises(PermissionDenied):
        mission_cancel(actor=world.charlie, mission=world.mission, reason="pas moi", by=CancelledBy.PROFESSIONAL)
    contract.refresh_from_db()
    assert contract.state == ContractState.DRAFT


def test_service_fait_completes_the_contract_signed_by_both(world):
    contract = _signed_by_both(world)
    mission_complete(actor=world.bob, mission=_ended(world.mission), outcome=MissionState.DONE)
    contract.refresh_from_db()
    assert contract.state == ContractState.COMPLETED and contract.completed_at is not None


def test_an_absence_cancels_the_contract(world):
    contract = _signed_by_both(world)
    mission_complete(actor=world.bob, mission=_ended(world.mission), outcome=MissionState.NO_SHOW)
    contract.refresh_from_db()
    assert contract.state == ContractState.CANCELLED
    assert "absence" in contract.cancel_reason


def test_service_fait_on_an_unsigned_contract_keeps_it_visible(world):
    contract = contract_draft(mission=world.mission)
    mission_complete(actor=world.bob, mission=_ended(world.mission), outcome=MissionState.DONE)
    contract.refresh_from_db()
    assert contract.state == ContractState.DRAFT  # never signed: not "completed", still listed


def test_hr_board_lists_flagged_unsigned_contracts(world, client):
    Mission.objects.filter(pk=world.mission.pk).update(starts_at=timezone.now() + timedelta(hours=10))
    contract = contract_draft(mission=world.mission)
    assert contracts_flag_unsigned() == 1
    board = reverse("missions:hr_board", args=[world.site.pk])
    client.force_login(world.bob)
    page = client.get(board).content.decode()
    assert "Contrats non signés" in page and reverse("missions:contract_detail", args=[contract.pk]) in page
    client.force_login(world.dora)  # another establishment's admin: not her board
    assert client.get(board).status_code == 404


def test_nav_links_contracts_for_both_parties_only(world, client):
    url = reverse("missions:contract_list")
    for user, shown in ((world.alice, True), (world.bob, True), (world.staff, False)):
        client.force_login(user)
        page = client.get(reverse("notifications:centre")).content.decode()
        assert (f'href="{url}"' in page) is shown, user


def _row(mission: Mission) -> DailyFill | None:
    day = timezone.localdate(mission.shift.starts_at)
    return DailyFill.objects.filter(day=day, establishment=mission.shift.establishment_id).first()


def test_each_transition_refreshes_the_aggregates_on_commit(world, django_capture_on_commit_callbacks):
    # Booked before the aggregates existed: the first transition's refresh writes the day's row.
    with django_capture_on_commit_callbacks(execute=True):
        mission_cancel(actor=world.bob, mission=world.mission, reason="Unité fermée", by=CancelledBy.ESTABLISHMENT)
    row = _row(world.mission)
    assert row is not None and row.cancelled_by_estab == 1 and row.filled == 0


def test_service_fait_is_counted_once_committed(world, django_capture_on_commit_callbacks):
    mission = _ended(world.mission)
    with django_capture_on_commit_callbacks(execute=True):
        mission_complete(actor=world.bob, mission=mission, outcome=MissionState.DONE)
    row = _row(mission)
    assert row is not None and (row.done, row.filled, row.minutes_done) == (1, 1, 12 * 60)
