"""Pages and downloads: who sees what (owner, member, viewer, outsiders → 404), and the sign form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from establishments.models import MemberRole
from missions.contracts.models import Contract, ContractState
from missions.contracts.services import contract_draft, contract_sign, contracts_flag_unsigned
from tests.contracts.conftest import file_bytes
from tests.factories import (
    PASSWORD,
    add_member,
    book,
    from_now,
    local,
    make_establishment,
    make_mission,
    make_professional,
    make_shift,
    sign_in,
)
from tests.lists import group_headings, monday_of, week_of
from ville_hopital.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(world) -> Contract:
    return contract_draft(mission=world.mission)


def _download(client, contract, **params):
    return client.get(reverse("missions:contract_download", args=[contract.pk]), params)


@pytest.mark.parametrize("who", ["alice", "bob", "vera", "staff"])
def test_parties_and_staff_download_the_exact_pdf(client, world, contract, who):
    client.force_login(getattr(world, who))
    response = _download(client, contract)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == file_bytes(contract.pdf)
    assert client.get(reverse("missions:contract_detail", args=[contract.pk])).status_code == 200


@pytest.mark.parametrize("who", ["charlie", "dora"])
def test_others_get_404_everywhere(client, world, contract, who):
    client.force_login(getattr(world, who))
    for name in ("missions:contract_detail", "missions:contract_download"):
        assert client.get(reverse(name, args=[contract.pk])).status_code == 404
    response = client.post(reverse("missions:contract_sign", args=[contract.pk]), {"password": PASSWORD})
    assert response.status_code == 404
    assert Contract.objects.get(pk=contract.pk).state == ContractState.DRAFT


def test_anonymous_is_sent_to_login(client, contract):
    response = _download(client, contract)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_missing_pk_is_404_like_not_yours(client, world, contract):
    client.force_login(world.alice)
    assert client.get(reverse("missions:contract_detail", args=[contract.pk + 1000])).status_code == 404


def test_viewer_can_download_but_not_sign(client, world, contract):
    client.force_login(world.vera)
    page = client.get(reverse("missions:contract_detail", args=[contract.pk])).content.decode()
    assert "Signer le contrat" not in page and "Votre rôle (lecteur)" in page
    response = client.post(reverse("missions:contract_sign", args=[contract.pk]), {"password": PASSWORD})
    assert response.status_code == 403
    assert Contract.objects.get(pk=contract.pk).state == ContractState.DRAFT


def test_sign_through_the_page(client, world, contract):
    client.force_login(world.alice)
    url = reverse("missions:contract_sign", args=[contract.pk])
    response = client.post(url, {"password": "wrong-password"})
    assert response.status_code == 400 and "Mot de passe incorrect" in response.content.decode()
    assert Contract.objects.get(pk=contract.pk).state == ContractState.DRAFT
    response = client.post(url, {"password": PASSWORD}, REMOTE_ADDR="198.51.100.23")
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.state == ContractState.SIGNED_BY_PROFESSIONAL
    assert contract.signatures.get().ip == "198.51.100.23"
    again = client.post(url, {"password": PASSWORD})
    assert again.status_code == 400 and "déjà signé" in again.content.decode()
    assert client.get(url).status_code == 405


def test_final_document_download(client, world, contract):
    contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip=None)
    client.force_login(world.bob)
    assert _download(client, contract, document="final").status_code == 404  # not yet
    contract_sign(actor=world.bob, contract=contract, password=PASSWORD, ip=None)
    contract.refresh_from_db()
    response = _download(client, contract)  # the default is now the signed one
    assert b"".join(response.streaming_content) == file_bytes(contract.final_pdf)
    original = _download(client, contract, document="original")
    assert b"".join(original.streaming_content) == file_bytes(contract.pdf)
    assert _download(client, contract, document="other").status_code == 404


def test_lists_are_scoped(client, world, contract):
    other_mission = make_mission(world.pro, world.other_site)
    other = contract_draft(mission=other_mission)
    client.force_login(world.alice)
    page = client.get(reverse("missions:contract_list")).content.decode()
    assert "Mes contrats" in page
    assert reverse("missions:contract_detail", args=[contract.pk]) in page
    assert reverse("missions:contract_detail", args=[other.pk]) in page
    client.force_login(world.bob)
    page = client.get(reverse("missions:contract_list")).content.decode()
    assert world.site.name in page and reverse("missions:contract_detail", args=[contract.pk]) in page
    assert reverse("missions:contract_detail", args=[other.pk]) not in page
    client.force_login(world.charlie)
    page = client.get(reverse("missions:contract_list")).content.decode()
    assert reverse("missions:contract_detail", args=[contract.pk]) not in page


def test_establishment_list_query_count_does_not_grow(client, world, contract, django_assert_max_num_queries):
    client.force_login(world.bob)
    with django_assert_max_num_queries(12):
        client.get(reverse("missions:contract_list"))
    for days in range(4, 10):
        # one physician each: seven 12 h missions in seven days would break the 48 h / 7 days rule
        physician = make_professional(profession="10")
        contract_draft(mission=make_mission(physician, world.site, starts_at=from_now(timedelta(days=days))))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("missions:contract_list")).content.decode()
    assert sum(f'href="/missions/contrats/{c.pk}/"' in page for c in Contract.objects.all()) == 7


def test_flag_badge_on_pages(client, world, contract):
    world.mission.starts_at -= timedelta(days=2, hours=12)
    world.mission.save()
    assert contracts_flag_unsigned() == 1
    for who in ("alice", "bob"):
        client.force_login(getattr(world, who))
        detail = client.get(reverse("missions:contract_detail", args=[contract.pk])).content.decode()
        assert "Non signé — mission dans moins de 24 h" in detail
        listing = client.get(reverse("missions:contract_list")).content.decode()
        assert "Non signé — mission dans moins de 24 h" in listing


def test_tampered_file_is_shown_on_the_page(client, world, contract):
    with open(contract.pdf.path, "ab") as handle:
        handle.write(b"%")
    sign_in(client, world.bob)  # a recent second factor: the signature itself is what is refused
    page = client.get(reverse("missions:contract_detail", args=[contract.pk])).content.decode()
    assert "ne correspond plus à son empreinte" in page
    response = client.post(reverse("missions:contract_sign", args=[contract.pk]), {"password": PASSWORD})
    assert response.status_code == 400 and "signature refusée" in response.content.decode()


def test_beat_runs_the_flag_hourly():
    entry = celery_app.conf.beat_schedule["missions.contracts.flag_unsigned"]
    assert entry["task"] == "missions.contracts.tasks.flag_unsigned"
    celery_app.loader.import_default_modules()
    assert entry["task"] in celery_app.tasks


def test_hr_makes_a_new_version_through_the_page(client, world, contract):
    url = reverse("missions:contract_new_version", args=[contract.pk])
    client.force_login(world.alice)  # the professional cannot re-draft
    assert "Établir la nouvelle version" not in client.get(reverse("missions:contract_detail", args=[contract.pk])).content.decode()
    assert client.post(url, {"version-reason": "Je préfère"}).status_code == 403
    client.force_login(world.vera)
    assert client.post(url, {"version-reason": "Lecteur"}).status_code == 403
    client.force_login(world.dora)
    assert client.post(url, {"version-reason": "Autre site"}).status_code == 404
    client.force_login(world.bob)
    response = client.post(url, {"version-reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"version-reason": "Adresse corrigée"})
    v2 = Contract.objects.get(mission=world.mission, version=2)
    assert response.status_code == 302 and response["Location"] == reverse("missions:contract_detail", args=[v2.pk])
    assert Contract.objects.get(pk=contract.pk).state == ContractState.SUPERSEDED
    page = client.get(response["Location"]).content.decode()
    assert "Adresse corrigée" in page and "Version 1" in page


def test_cancel_through_the_page_only_once_the_mission_is_closed(client, world, contract):
    from missions.core.models import MissionState

    url = reverse("missions:contract_cancel", args=[contract.pk])
    client.force_login(world.bob)
    detail = reverse("missions:contract_detail", args=[contract.pk])
    assert "Annuler le contrat" not in client.get(detail).content.decode()
    response = client.post(url, {"cancel-reason": "Essai"})
    assert response.status_code == 400 and "toujours réservée" in response.content.decode()
    world.mission.state = MissionState.NO_SHOW
    world.mission.save()
    assert "Annuler le contrat" in client.get(detail).content.decode()
    assert client.post(url, {"cancel-reason": "Absence"}).status_code == 302
    contract.refresh_from_db()
    assert contract.state == ContractState.CANCELLED and contract.cancel_reason == "Absence"


def test_unsigned_block_for_the_hr_board(world, contract):
    from django.template.loader import render_to_string

    from missions.contracts.selectors import unsigned_contracts_for_establishment_member

    assert render_to_string("contracts/_unsigned_block.html", {
        "unsigned_contracts": unsigned_contracts_for_establishment_member(world.bob, establishment=world.site)
    }).strip() == ""
    contracts_flag_unsigned(now=world.mission.starts_at - timedelta(hours=3))
    html = render_to_string("contracts/_unsigned_block.html", {
        "unsigned_contracts": unsigned_contracts_for_establishment_member(world.bob, establishment=world.site)
    })
    assert "Contrats non signés" in html and reverse("missions:contract_detail", args=[contract.pk]) in html
    assert "Alice Martin" in html


def _contract_on(world, site, day, hour: int = 8) -> Contract:
    """Alice's contract for a mission on ``day`` at ``site`` (written as a row: her monthly cap and the
    48 h / 7 days rule are not what these lists test)."""
    shift = make_shift(site, profession="10", starts_at=local(day, hour))
    return contract_draft(mission=book(shift, world.pro, as_row=True))


def test_my_contracts_go_by_week_newest_mission_first(client, world):
    monday = monday_of(timezone.localdate())
    next_week = _contract_on(world, world.site, monday + timedelta(days=8))
    later = _contract_on(world, world.other_site, monday + timedelta(days=23))
    client.force_login(world.alice)
    response = client.get(reverse("missions:contract_list"))
    html = response.content.decode()
    assert group_headings(html, level=2) == [week_of(monday + timedelta(days=21)), "La semaine prochaine"]
    assert [[c.pk for c in week.rows] for week in response.context["weeks"]] == [[later.pk], [next_week.pk]]
    assert "<h1>Mes contrats</h1>" in html and 'name="liste"' not in html  # one list: nothing to choose
    assert "1 contrat" not in html and "2 contrats" in html


def test_a_member_of_two_sites_chooses_a_list(client, world):
    monday = monday_of(timezone.localdate())
    add_member(world.other_site, world.bob, MemberRole.HR, by=world.dora)
    here = _contract_on(world, world.site, monday + timedelta(days=8))
    there = _contract_on(world, world.other_site, monday + timedelta(days=23))
    elsewhere = make_establishment(name="Hôpital d'ailleurs")
    client.force_login(world.bob)
    url = reverse("missions:contract_list")
    response = client.get(url)
    html = response.content.decode()
    assert "<h2>Tous mes établissements</h2>" in html and 'name="liste"' in html
    assert group_headings(html, level=3) == [week_of(monday + timedelta(days=21)), "La semaine prochaine"]
    assert f"{world.other_site.name} · " in html  # several sites: each row names its own
    mine_here = client.get(url, {"liste": world.site.pk})
    assert [c.pk for c in mine_here.context["page"]] == [here.pk]
    assert f"<h2>{world.site.name}</h2>" in mine_here.content.decode()
    for other in (elsewhere.pk, "moi", "abc", ""):  # not his, not a professional, nonsense: the default list
        fallback = client.get(url, {"liste": other, "page": "0"})
        assert fallback.status_code == 200 and fallback.context["scope"].key == "tous"
        assert {c.pk for c in fallback.context["page"]} == {here.pk, there.pk}


def test_my_contracts_query_count_does_not_grow(client, world):
    monday = monday_of(timezone.localdate())
    client.force_login(world.alice)
    url = reverse("missions:contract_list")
    _contract_on(world, world.site, monday + timedelta(days=8))
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).context["page"]) == 1
    for week in range(2, 8):
        _contract_on(world, world.other_site if week % 2 else world.site, monday + timedelta(days=7 * week + 2))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).context["page"]) == 7
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
