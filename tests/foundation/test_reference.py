from datetime import date
from decimal import Decimal

import pytest

from reference.models import ContractRoute, EstablishmentType, Profession, RouteKind
from reference.selectors import contract_route_for, pay_cap_for_shift
from ville_hopital.money import floor_eur, round_eur

pytestmark = pytest.mark.django_db
ON = date(2026, 12, 1)


def cap(profession: str, etype: str = "CH", hours: str = "12", skills=(), overseas=False, on=ON):
    return pay_cap_for_shift(
        profession=Profession.objects.get(code=profession), skill_codes=skills,
        establishment_type=EstablishmentType.objects.get(code=etype), on=on, hours=Decimal(hours), overseas=overseas,
    )


def test_the_reference_tables_are_loaded_by_migration():
    assert set(Profession.objects.values_list("code", flat=True)) == {"10", "21", "35", "40", "50", "60", "69", "70", "98"}
    assert ContractRoute.objects.count() == Profession.objects.count() * EstablishmentType.objects.count()


@pytest.mark.parametrize(
    ("profession", "hours", "skills", "overseas", "expected"),
    [
        ("10", "24", (), False, "2681.00"),
        ("10", "12", (), False, "1340.50"),
        ("10", "24", (), True, "3752.00"),
        ("60", "12", (), False, "648.00"),
        ("60", "12", ("SI06",), False, "876.00"),
        ("60", "10", ("SI07",), False, "730.00"),
        ("98", "12", (), False, "672.00"),
        ("70", "12", (), False, "744.00"),
        ("50", "12", (), False, "936.00"),
        ("21", "8", (), False, "893.66"),
    ],
)
def test_pay_caps_pro_rata_of_the_shift(profession, hours, skills, overseas, expected):
    assert cap(profession, hours=hours, skills=skills, overseas=overseas).amount == Decimal(expected)


def test_caps_apply_to_public_establishments_only():
    assert cap("60", etype="CLINIQUE") is None
    assert cap("60", etype="EHPAD") is None
    assert cap("60", etype="CHU") is not None


def test_no_cap_before_the_arrete_came_into_force():
    assert cap("60", on=date(2025, 1, 1)) is None


def test_nursing_assistants_have_no_published_cap():
    assert cap("35") is None


def test_the_explanation_names_the_rate_and_the_text():
    text = cap("60", hours="12").explanation
    assert "54,00 €/h × 12 h" in text and "Arrêté du 5 septembre 2025" in text


@pytest.mark.parametrize(
    ("profession", "etype", "kind"),
    [
        ("10", "CH", RouteKind.CONVENTION_L6146_2),
        ("50", "CHU", RouteKind.CONVENTION_L6146_2),
        ("60", "CH", RouteKind.FIXED_TERM),
        ("70", "CHU", RouteKind.FIXED_TERM),
        ("60", "CLINIQUE", RouteKind.LIBERAL_SERVICE),
        ("35", "EHPAD", RouteKind.FORBIDDEN),
        ("60", "EHPAD", RouteKind.LIBERAL_SERVICE),
    ],
)
def test_contract_routes(profession, etype, kind):
    route = contract_route_for(
        profession=Profession.objects.get(code=profession), establishment_type=EstablishmentType.objects.get(code=etype)
    )
    assert route.kind == kind
    assert route.is_allowed is (kind != RouteKind.FORBIDDEN)


def test_the_forbidden_route_cites_the_conseil_d_etat():
    route = ContractRoute.objects.get(profession_id="35", establishment_type_id="EHPAD")
    assert "Conseil d'État, 11 février 2025" in route.legal_basis


def test_money_rounds_half_up_to_the_cent_and_refuses_floats():
    assert round_eur(Decimal("10.005")) == Decimal("10.01")
    assert floor_eur(Decimal("893.6666")) == Decimal("893.66")
    with pytest.raises(TypeError):
        round_eur(10.005)
