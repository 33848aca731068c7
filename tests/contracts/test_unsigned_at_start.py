"""A mission cannot start unsigned: when a booked mission reaches its start with its contract not
signed by both, the contract gets a second flag ("non signé au démarrage"), an audit row and a
second urgent notice to the establishment's admin/HR. The mission itself is left booked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from missions.contracts.models import ContractState
from missions.contracts.services import contract_draft, contract_sign, contracts_flag_unsigned
from missions.core.models import MissionState
from notifications.models import DigestState, Notification
from notifications.services import Preference, preferences_update
from tests.factories import PASSWORD
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


def _audits(contract, action):
    return AuditEvent.objects.filter(action=action, target_id=str(contract.pk))


def test_a_mission_reaching_its_start_unsigned_is_flagged_again_and_hr_told_urgently(world):
    # Bob chose the digest for this event: the second notice must skip it all the same.
    preferences_update(actor=world.bob, language="fr",
                       choices={"contract.unsigned": Preference(email=True, sms=False, digest=True)})
    contract = contract_draft(mission=world.mission)
    contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip=None)  # only HR is missing
    start = world.mission.starts_at

    assert contracts_flag_unsigned(now=start - timedelta(hours=5)) == 1  # the 24 h flag
    contract.refresh_from_db()
    assert contract.flagged_at == start - timedelta(hours=5) and contract.unsigned_at_start_at is None
    assert contracts_flag_unsigned(now=start - timedelta(minutes=1)) == 0  # not started yet

    assert contracts_flag_unsigned(now=start + timedelta(minutes=5)) == 1
    contract.refresh_from_db()
    assert contract.unsigned_at_start_at == start + timedelta(minutes=5)
    assert contract.state == ContractState.SIGNED_BY_PROFESSIONAL
    audit = _audits(contract, "contract.unsigned_at_start").get()
    assert audit.data["state"] == ContractState.SIGNED_BY_PROFESSIONAL
    second = Notification.objects.get(dedupe_key=f"contract:{contract.pk}:unsigned_at_start")
    assert (second.recipient, second.event, second.urgent) == (world.bob, "contract.unsigned", True)
    assert second.digest_state == DigestState.NONE and second.deliveries.count() == 1
    assert second.url == f"/missions/contrats/{contract.pk}/"

    world.mission.refresh_from_db()
    assert world.mission.state == MissionState.BOOKED  # never cancelled automatically

    # idempotent: later runs neither flag nor tell again
    assert contracts_flag_unsigned(now=start + timedelta(hours=1)) == 0
    assert _audits(contract, "contract.unsigned_at_start").count() == 1
    assert Notification.objects.filter(dedupe_key__endswith=":unsigned_at_start").count() == 1


def test_a_contract_first_seen_after_the_start_gets_one_notice_per_person(world):
    contract = contract_draft(mission=world.mission)  # nobody signed
    assert contracts_flag_unsigned(now=world.mission.starts_at + timedelta(hours=2)) == 1
    contract.refresh_from_db()
    assert contract.flagged_at is not None and contract.unsigned_at_start_at is not None
    told = Notification.objects.filter(event="contract.unsigned")
    assert sorted(told.values_list("recipient__email", "dedupe_key")) == [
        ("alice@example.org", f"contract:{contract.pk}:unsigned_at_start"),
        ("bob@example.org", f"contract:{contract.pk}:unsigned_at_start"),
    ]
    assert _audits(contract, "contract.flag_unsigned").count() == 1


def test_a_signed_contract_or_a_cancelled_mission_is_not_flagged_at_start(world):
    contract = contract_draft(mission=world.mission)
    contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip=None)
    contract_sign(actor=world.bob, contract=contract, password=PASSWORD, ip=None)
    assert contracts_flag_unsigned(now=world.mission.starts_at + timedelta(minutes=5)) == 0
    contract.refresh_from_db()
    assert contract.unsigned_at_start_at is None


def test_the_mission_page_and_the_board_show_it(world, client):
    from django.urls import reverse

    contract = contract_draft(mission=world.mission)
    contracts_flag_unsigned(now=world.mission.starts_at + timedelta(minutes=5))
    client.force_login(world.alice)
    page = client.get(reverse("missions:mission_detail", args=[world.mission.pk])).content.decode()
    assert "Non signé au démarrage" in page
    assert f'href="{reverse("missions:contract_detail", args=[contract.pk])}"' in page
    client.force_login(world.bob)
    board = client.get(reverse("missions:hr_board", args=[world.site.pk]) + "?du=2000-01-01").content.decode()
    assert "Non signé au démarrage" in board
