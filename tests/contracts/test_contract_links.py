"""Links to a mission's contract (the professional's mission page, the rows of HR's board) and
``shift.unfilled`` pointing at the "why unfilled" explanation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from missions.booking.services.notices import shifts_unfilled_notify
from missions.contracts.services import contract_draft, contract_sign
from notifications.models import Notification
from tests.factories import PASSWORD, from_now, make_mission, make_shift

pytestmark = pytest.mark.django_db


def test_the_mission_page_shows_the_contract_state_and_links_it(world, client):
    client.force_login(world.alice)
    url = reverse("missions:mission_detail", args=[world.mission.pk])
    assert "Contrat v1" not in client.get(url).content.decode()  # no contract yet: nothing to link
    contract = contract_draft(mission=world.mission)
    contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip=None)
    page = client.get(url).content.decode()
    assert f'href="{reverse("missions:contract_detail", args=[contract.pk])}">Contrat v1</a>' in page
    assert "Signé par le professionnel" in page
    assert "Non signé au démarrage" not in page


def _board(client, world) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("missions:hr_board", args=[world.site.pk])).content.decode()
    return page, len(queries)


def test_the_board_links_each_missions_contract_without_a_query_per_row(world, client):
    contracts = [contract_draft(mission=world.mission)]
    client.force_login(world.bob)
    _board(client, world)  # the first visit records the current establishment in the session (one write)
    page, one_row = _board(client, world)
    for days in (4, 5, 6):
        mission = make_mission(world.pro, world.site, by=world.bob, starts_at=from_now(timedelta(days=days)))
        contracts.append(contract_draft(mission=mission))
    page, four_rows = _board(client, world)
    assert four_rows == one_row
    for contract in contracts:
        assert f'href="{reverse("missions:contract_detail", args=[contract.pk])}"' in page
    assert page.count(": à signer") == 4


def test_unfilled_shift_notice_links_to_the_why_unfilled_page(world, client):
    shift = make_shift(world.site, profession=world.pro.profession_id, by=world.bob, starts_at=from_now(timedelta(hours=10)))
    assert shifts_unfilled_notify() == 1  # Bob (HR); Vera is a viewer
    notification = Notification.objects.get(recipient=world.bob, event="shift.unfilled")
    assert notification.url == reverse("missions:matching_why_unfilled", args=[shift.pk])
    client.force_login(world.bob)
    assert client.get(notification.url).status_code == 200
