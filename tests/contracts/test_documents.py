"""Route → template, and what the PDF says (text extracted with pdftotext)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from missions.contracts.models import Contract, ContractState
from missions.contracts.pdf import sha256_hex
from missions.contracts.selectors import contract_time_terms
from missions.contracts.services import contract_draft
from reference.models import RouteKind
from tests.contracts.conftest import file_bytes, pdf_text
from tests.factories import book, make_establishment, make_mission, make_professional, make_shift, make_user
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db

ROUTE_CASES = [
    # profession, establishment type, expected route, a phrase only that template prints
    ("10", "CH", RouteKind.CONVENTION_L6146_2, "Convention d'exercice libéral en établissement public de santé"),
    ("60", "CHU", RouteKind.FIXED_TERM, "Contrat de travail à durée déterminée — vacation"),
    ("70", "CLINIQUE", RouteKind.LIBERAL_SERVICE, "Contrat d'exercice libéral — prestation de remplacement"),
]
TITLES = [case[3] for case in ROUTE_CASES]


def _setup(profession: str, etype: str, **mission_kwargs):
    hr = make_user(first_name="Hélène", last_name="Rh")
    pro = make_professional(make_user(first_name="Paul", last_name="Pro"), profession=profession)
    site = make_establishment(admin=hr, name=f"Site {etype}", type_code=etype)
    return make_mission(pro, site, **mission_kwargs)


@pytest.mark.parametrize(("profession", "etype", "route", "title"), ROUTE_CASES)
def test_each_route_gets_its_own_document(profession, etype, route, title, tmp_path):
    mission = _setup(profession, etype)
    assert mission.shift.contract_route == route
    contract = contract_draft(mission=mission)
    assert contract.route == route and contract.state == ContractState.DRAFT and contract.version == 1
    text = pdf_text(file_bytes(contract.pdf), tmp_path)
    assert title in text
    for other in TITLES:
        if other != title:
            assert other not in text


def test_the_forbidden_route_never_gets_a_contract():
    # An independent nursing assistant in a medico-social establishment: the posting service refuses
    # such a shift and no offer of it can be made (missions.core.eligibility, contract_route), so the shift
    # and the mission are rows (as_row) to reach the contract's own check.
    pro = make_professional(profession="35")
    site = make_establishment(type_code="EHPAD")
    mission = book(make_shift(site, profession="35", as_row=True), pro, as_row=True)
    assert mission.shift.contract_route == RouteKind.FORBIDDEN
    with pytest.raises(ValidationError) as error:
        contract_draft(mission=mission)
    assert "route" in error.value.message_dict
    assert not Contract.objects.filter(mission=mission).exists()


def test_pdf_names_both_parties_hours_and_pay_with_the_cap_check(world, tmp_path):
    contract = contract_draft(mission=world.mission)
    data = file_bytes(contract.pdf)
    assert data.startswith(b"%PDF") and contract.sha256 == sha256_hex(data)
    text = pdf_text(data, tmp_path)
    mission, site = world.mission, world.site
    assert "Alice Martin" in text and f"RPPS : {world.pro.rpps}" in text and "Médecin" in text
    assert "48000 Mende" in text  # the professional's home commune
    assert site.name in text and f"FINESS géographique : {site.finess_geo}" in text
    assert f"FINESS juridique : {site.finess_legal}" in text and site.address in text
    assert "Urgences" in text
    start = timezone.localtime(mission.starts_at)
    end = timezone.localtime(mission.ends_at)
    assert f"à {start:%H:%M}" in text and f"à {end:%H:%M}" in text and "12 h" in text
    # 12 h of a physician in a public hospital: 2 681 €/24 h pro rata = 1 340,50 € (the cap, paid in full)
    assert mission.pay == Decimal("1340.50")
    assert "1 340,50 €" in text
    assert "plafond applicable 1 340,50 € : conforme" in text
    assert "2 681,00 €/24 h × 12 h" in text
    assert "jusqu'à 48 heures avant son début" in text


def test_the_fixed_term_contract_states_the_rest_the_platform_enforces(tmp_path, monkeypatch):
    mission = _setup("60", "CHU")
    text = pdf_text(file_bytes(contract_draft(mission=mission).pdf), tmp_path)
    assert "(11 heures consécutives par 24 heures, 48 heures au plus sur 7 jours) s'imposent" in text
    # The figures are the rules' own: change the weekly maximum, the contract follows.
    monkeypatch.setattr("missions.contracts.selectors.MAX_WEEK_HOURS", 44)
    text = pdf_text(file_bytes(contract_draft(mission=_setup("60", "CHU")).pdf), tmp_path)
    assert "44 heures au plus sur 7 jours" in text and "48 heures au plus" not in text


@pytest.mark.parametrize(
    ("n", "french", "english"),
    [
        (0, ["0 heure consécutive par 24 heures", "0 heure au plus sur 7 jours", "0 heure avant son début"],
         ["0 consecutive hours per 24 hours", "at most 0 hours over 7 days", "0 hours before it starts"]),
        (1, ["1 heure consécutive par 24 heures", "1 heure au plus sur 7 jours", "1 heure avant son début"],
         ["1 consecutive hour per 24 hours", "at most 1 hour over 7 days", "1 hour before it starts"]),
        (2, ["2 heures consécutives par 24 heures", "2 heures au plus sur 7 jours", "2 heures avant son début"],
         ["2 consecutive hours per 24 hours", "at most 2 hours over 7 days", "2 hours before it starts"]),
    ],
)
def test_the_contracts_durations_are_counted_phrases(n, french, english):
    for language, expected in (("fr", french), ("en", english)):
        with translation.override(language):
            terms = contract_time_terms(daily_rest_hours=n, week_hours=n, notice_hours=n)
        assert [terms["daily_rest"], terms["week_hours"], terms["cancellation_notice"]] == expected


def test_the_contract_writes_amounts_in_french_whatever_the_interface_language(world, tmp_path):
    # A French legal document: drafted from an English page, it still reads « 1 340,50 € ».
    with translation.override("en"):
        contract = contract_draft(mission=world.mission)
    text = pdf_text(file_bytes(contract.pdf), tmp_path)
    assert "1 340,50 €" in text and "plafond applicable 1 340,50 € : conforme" in text
    assert "1,340.50" not in text and "1340.50" not in text


def test_private_establishment_says_no_cap_applies(tmp_path):
    mission = _setup("10", "CLINIQUE", pay=Decimal("900.00"))
    text = pdf_text(contract_draft(mission=mission).pdf.read(), tmp_path)
    assert "Aucun plafond ne s'applique" in text and "900,00 €" in text


def test_pay_above_the_cap_is_never_contracted(world):
    world.mission.pay = world.mission.shift.pay_cap + Decimal("0.01")
    world.mission.save()
    with pytest.raises(ValidationError) as error:
        contract_draft(mission=world.mission)
    assert "pay" in error.value.message_dict


def test_drafting_is_idempotent_and_audited(world):
    first = contract_draft(mission=world.mission)
    again = contract_draft(mission=world.mission)
    assert again.pk == first.pk and Contract.objects.filter(mission=world.mission).count() == 1
    event = AuditEvent.objects.get(action="contract.draft", target_id=str(first.pk))
    assert event.to_state == "draft" and event.data["sha256"] == first.sha256 and event.actor is None


def test_file_names_are_random(world):
    contract = contract_draft(mission=world.mission)
    other = contract_draft(mission=_setup("10", "CH"))
    assert re.fullmatch(r"contracts/[0-9a-f]{32}\.pdf", contract.pdf.name)
    assert contract.pdf.name != other.pdf.name


def test_hours_are_printed_in_paris_time(world, tmp_path):
    """A mission at 22:00 Paris is 21:00 UTC in winter: the contract prints 22:00."""
    mission = world.mission
    starts = timezone.make_aware(timezone.datetime(2027, 1, 15, 22, 0))
    mission.starts_at, mission.ends_at = starts, starts + timedelta(hours=10)
    mission.save()
    text = pdf_text(contract_draft(mission=mission).pdf.read(), tmp_path)
    assert "vendredi 15 janvier 2027 à 22:00" in text and "samedi 16 janvier 2027 à 08:00" in text


def test_drafts_render_one_after_another(world):
    """Several drafts in one process (the first loads the fonts): each is a PDF. Their speed is
    measured by ``bench/bench_documents.py`` (docs/bench/documents.md), not asserted here (a timed test fails on a busy machine)."""
    missions = [world.mission] + [_setup("10", "CH") for _ in range(3)]
    for mission in missions:
        contract = contract_draft(mission=mission)
        assert file_bytes(contract.pdf).startswith(b"%PDF")
