"""Verification against the imported directories: an RPPS with the same profession and family name,
a FINESS ET with its declared EJ; the badge HR sees; obviously fake numbers refused at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from directories.finess import finess_import
from directories.rpps import rpps_import
from directories.selectors import FinessState, RppsState
from establishments.models import Establishment, MemberRole
from establishments.selectors import establishment_finess_check
from establishments.services import establishment_register
from missions.contracts.services import contract_draft
from professionals.models import Professional
from professionals.selectors import set_directory_checks
from professionals.services import professional_create
from reference.models import Profession
from territories.models import Commune
from tests.directories.files import finess_file, finess_line, rpps_file, rpps_line
from tests.factories import (
    book,
    etype,
    finess,
    in_days,
    make_establishment,
    make_mission,
    make_professional,
    make_proposal,
    make_shift,
    make_unit,
    make_user,
    valid_rpps,
)

pytestmark = pytest.mark.django_db


def nurse(last_name: str, number: str, profession: str = "60", **fields) -> Professional:
    return make_professional(make_user(first_name="Claire", last_name=last_name), profession=profession,
                             rpps=number, **fields)


def check(professional: Professional) -> RppsState:
    set_directory_checks([professional])
    return professional.directory_check.state


@pytest.fixture
def directory(tmp_path):
    """The RPPS numbers 1 to 4 in the directory: nurses, except 3 (a physiotherapist)."""
    rpps_import(path=rpps_file(tmp_path, [
        rpps_line(valid_rpps(1), "SÉGURET"), rpps_line(valid_rpps(2), "LE GALL"),
        rpps_line(valid_rpps(3), "BOUSQUET", profession="70"), rpps_line(valid_rpps(4), "MOLINIER"),
    ]))


@pytest.mark.usefixtures("directory")
def test_rpps_states():
    assert check(nurse("Seguret", valid_rpps(1))) == RppsState.VERIFIED  # accents and case aside
    assert check(nurse("Le-Gall", valid_rpps(2))) == RppsState.VERIFIED  # hyphen or space
    assert check(nurse("Bousquet", valid_rpps(3))) == RppsState.OTHER_PROFESSION
    assert check(nurse("Martin", valid_rpps(4))) == RppsState.OTHER_NAME
    assert check(nurse("Molinier", valid_rpps(5))) == RppsState.UNKNOWN
    adeli_only = professional_create(
        actor=make_user(last_name="Fabre"), profession=Profession.objects.get(code="35"),
        home_commune=Commune.objects.get(code_insee="48095"), adeli="480012345",
    )
    assert check(adeli_only) == RppsState.NO_RPPS


def test_the_check_follows_the_directory_and_the_profile(tmp_path, directory):
    """Computed at read time: a new import or a corrected profile changes the answer, nothing to recompute."""
    claire = nurse("Molinier", valid_rpps(4))
    assert check(claire) == RppsState.VERIFIED
    rpps_import(path=rpps_file(tmp_path, [rpps_line(valid_rpps(1), "SÉGURET")], name="next.txt"))  # struck off
    assert check(claire) == RppsState.UNKNOWN
    rpps_import(path=rpps_file(tmp_path, [rpps_line(valid_rpps(4), "MOLINIER", profession="70")], name="again.txt"))
    assert check(claire) == RppsState.OTHER_PROFESSION


def test_one_query_checks_a_whole_page(django_assert_num_queries, directory):
    pros = list(Professional.objects.filter(pk__in=[nurse("Seguret", valid_rpps(1)).pk, nurse("X", valid_rpps(9)).pk])
                .select_related("user"))
    with django_assert_num_queries(1):
        set_directory_checks(pros)
    assert [p.directory_check.verified for p in sorted(pros, key=lambda p: p.rpps)] == [True, False]


def test_finess_states(tmp_path):
    site, legal = finess("48123456"), finess("48000099")
    finess_import(path=finess_file(tmp_path, [finess_line(site, legal)]))
    right = make_establishment(finess_geo=site, finess_legal=legal)
    wrong = make_establishment(finess_geo=finess("48123457"), finess_legal=legal)
    finess_import(path=finess_file(tmp_path, [finess_line(site, legal), finess_line(finess("48123457"), finess("48000098"))]))
    unknown = make_establishment(finess_geo=finess("48123458"), finess_legal=legal)
    assert establishment_finess_check(right).state == FinessState.VERIFIED
    assert establishment_finess_check(wrong).state == FinessState.OTHER_LEGAL
    assert establishment_finess_check(unknown).state == FinessState.UNKNOWN
    assert establishment_finess_check(right).label == "FINESS vérifié dans le fichier national"


@pytest.mark.usefixtures("directory")
def test_hr_sees_who_is_verified_on_the_board_and_the_shift_page(client):
    hr = make_user()
    establishment = make_establishment(members={hr: MemberRole.HR})
    unit = make_unit(establishment)
    verified = nurse("Séguret", valid_rpps(1))
    renamed = nurse("Martin", valid_rpps(4))
    unknown = nurse("Roux", valid_rpps(6))
    shift = make_shift(establishment, unit=unit, starts_at=in_days(4, 20), positions=2)
    book(shift, verified)
    make_proposal(shift, renamed, expires_in=timedelta(hours=12))
    other = make_shift(establishment, unit=unit, starts_at=in_days(6, 20))
    book(other, unknown)
    client.force_login(hr)
    page = client.get(reverse("missions:hr_board", args=[establishment.pk])).content.decode()
    assert page.count("✓ RPPS vérifié") == 1
    assert "⚠ Non vérifié — l&#x27;annuaire santé donne un autre nom de famille pour ce RPPS" in page
    assert "⚠ Non vérifié — RPPS absent de l&#x27;annuaire santé" in page
    line = next(part for part in page.split("<li>") if "Séguret" in part)
    assert "RPPS vérifié" in line and "Non vérifié" not in line


def test_fake_rpps_is_refused_on_the_profile_form_naming_the_field(client):
    client.force_login(make_user())
    data = {
        "profession": "60", "rpps": "000 0000 0000", "adeli": "", "home_commune": "Mende (48000)", "radius_km": "40",
        "max_missions_per_month": "6", "min_notice_hours": "24", "expected_hourly_rate": "45.50",
    }
    response = client.post(reverse("professionals:profile_create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["rpps"] == [
        "Le numéro RPPS ne peut pas être un seul chiffre répété (00000000000, 11111111111…) : indiquez votre vrai numéro."
    ]
    assert not Professional.objects.exists()
    response = client.post(reverse("professionals:profile_create"), data | {"rpps": "11111111111"})
    assert "rpps" in response.context["form"].errors


def test_fake_finess_is_refused_at_registration_naming_the_field(client):
    mende = Commune.objects.get(code_insee="48095")
    with pytest.raises(ValidationError) as refused:
        establishment_register(
            actor=make_user(), finess_geo="111111111", finess_legal="000000000", name="CH", type=etype("CH"),
            commune=mende, address="Rue",
        )
    assert set(refused.value.message_dict) == {"finess_geo", "finess_legal"}
    assert "un seul chiffre répété" in refused.value.message_dict["finess_geo"][0]
    client.force_login(make_user())
    response = client.post(reverse("establishments:onboarding"), {
        "finess_geo": "111 111 111", "finess_legal": finess("48000322"), "name": "Hôpital de Florac",
        "type": "CH", "commune": "Mende (48000)", "address": "Rue de l'Hôpital",
    })
    assert response.status_code == 200
    assert "Le numéro FINESS ne peut pas être un seul chiffre répété" in response.content.decode()
    assert not Establishment.objects.exists()


@pytest.mark.usefixtures("directory")
def test_the_mission_contract_page_shows_the_professionals_check(client):
    hr = make_user()
    establishment = make_establishment(members={hr: MemberRole.HR})
    verified = make_mission(nurse("Séguret", valid_rpps(1)), establishment, starts_at=in_days(4, 20))
    unknown = make_mission(nurse("Roux", valid_rpps(6)), establishment, starts_at=in_days(6, 20))
    client.force_login(hr)
    pages = [
        client.get(reverse("missions:contract_detail", args=[contract_draft(mission=mission).pk])).content.decode()
        for mission in (verified, unknown)
    ]
    assert "✓ RPPS vérifié" in pages[0] and "Non vérifié" not in pages[0]
    assert "⚠ Non vérifié — RPPS absent de l&#x27;annuaire santé" in pages[1] and "✓ RPPS vérifié" not in pages[1]


def test_staff_read_the_finess_check_in_the_admin(client, tmp_path):
    site, legal = finess("48123456"), finess("48000099")
    finess_import(path=finess_file(tmp_path, [finess_line(site, legal)]))
    pending = make_establishment(finess_geo=site, finess_legal=finess("48000098"), verified=False)
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    listing = client.get(reverse("admin:establishments_establishment_changelist")).content.decode()
    assert "le fichier national rattache ce site à un autre FINESS juridique" in listing
    page = client.get(reverse("admin:establishments_establishment_change", args=[pending.pk])).content.decode()
    assert "le fichier national rattache ce site à un autre FINESS juridique" in page
