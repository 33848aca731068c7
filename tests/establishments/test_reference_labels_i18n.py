"""Professions, skills and establishment types are shown in the reader's language (label_en column)."""

from __future__ import annotations

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from missions.booking.services.proposals import proposal_accept
from professionals.services import professional_update
from reference.models import EstablishmentType, Profession, Skill
from tests import factories

pytestmark = pytest.mark.django_db


def page(client, user, url: str, language: str | None) -> str:
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(url).content.decode().replace("&#x27;", "'")


def test_the_shift_form_in_english_names_professions_in_english(client, alice, establishment_a, unit_a):
    html = page(client, alice, reverse("establishments:shift_create", args=[establishment_a.pk]), "en")
    for english in ("Nurse", "Physician", "Midwife", "Nursing assistant"):
        assert f">{english}</option>" in html, english
    for english in ("Emergency medicine", "Operating theatre nurse (IBODE)"):  # the skill boxes
        assert f" {english}</label>" in html, english
    assert "Médecine d'urgence" not in html
    for french in ("Infirmier", "Médecin", "Sage-femme", "Aide-soignant"):
        assert f">{french}</option>" not in html, french


def test_the_shift_form_in_french_keeps_the_french_names(client, alice, establishment_a, unit_a):
    html = page(client, alice, reverse("establishments:shift_create", args=[establishment_a.pk]), None)
    for french in ("Infirmier", "Médecin", "Sage-femme", "Aide-soignant"):
        assert f">{french}</option>" in html, french
    assert ">Nurse</option>" not in html


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [("en", "University hospital", "Centre hospitalier universitaire"), ("fr", "Centre hospitalier universitaire", "University hospital")],
)
def test_the_establishment_form_names_types_in_the_readers_language(client, alice, language, shown, hidden):
    html = page(client, alice, reverse("establishments:onboarding"), language)
    assert f">{shown}</option>" in html
    assert f">{hidden}</option>" not in html


def test_every_reference_row_has_an_english_name_and_french_stays_the_reference():
    for model in (Profession, Skill, EstablishmentType):
        rows = list(model.objects.all())
        assert rows and all(row.label_en for row in rows), model
        with translation.override("en"):
            assert [str(row) for row in rows] == [row.label_en for row in rows]
        with translation.override("fr"):
            assert [str(row) for row in rows] == [row.label for row in rows]


def test_a_skill_field_offers_skills_in_the_readers_language():
    # A plain ModelMultipleChoiceField labels each skill with str(): the reader's language.
    field = forms.ModelMultipleChoiceField(queryset=Skill.objects.filter(code__in=["SM59", "SI06"]))
    with translation.override("en"):
        assert {label for _value, label in field.choices} == {"Emergency medicine", "Operating theatre nurse (IBODE)"}
    with translation.override("fr"):
        assert {label for _value, label in field.choices} == {"Médecine d'urgence", "Infirmier de bloc opératoire (IBODE)"}


def test_the_ars_dashboard_names_professions_in_the_readers_language(client):
    ars = factories.make_ars_agent("76")
    english = page(client, ars, reverse("dashboards:overview", args=["76"]), "en")
    assert ">Nurse</option>" in english and ">Infirmier</option>" not in english
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    french = page(client, ars, reverse("dashboards:overview", args=["76"]), None)
    assert ">Infirmier</option>" in french and ">Nurse</option>" not in french


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [("en", " · Operating theatre nurse (IBODE)", "Infirmier de bloc opératoire"),
     (None, " · Infirmier de bloc opératoire (IBODE)", "Operating theatre nurse")],
)
def test_the_hr_board_names_required_skills_in_the_readers_language(client, alice, establishment_a, unit_a,
                                                                    language, shown, hidden):
    factories.make_shift(establishment_a, by=alice, skills=("SI06",))
    html = page(client, alice, reverse("missions:hr_board", args=[establishment_a.pk]), language)
    assert shown in html and hidden not in html


@pytest.mark.parametrize(
    ("language", "skill", "profession"),
    [("en", "“Operating theatre nurse (IBODE)” is required", "missions booked as Nurse"),
     ("fr", "« Infirmier de bloc opératoire (IBODE) » est requise", "missions réservées comme Infirmier")],
)
def test_the_profile_refusals_name_skills_and_professions_in_the_readers_language(language, skill, profession):
    pro = factories.make_professional(skills=("SI06",))
    shift = factories.make_shift(skills=("SI06",))
    proposal_accept(actor=pro.user, proposal=factories.make_proposal(shift, pro))
    with translation.override(language):
        with pytest.raises(ValidationError) as refused:
            professional_update(actor=pro.user, professional=pro, skills=[])
        assert skill in refused.value.message_dict["skills"][0]
        with pytest.raises(ValidationError) as refused:
            professional_update(actor=pro.user, professional=pro, profession=Profession.objects.get(code="10"))
        assert profession in refused.value.message_dict["profession"][0]
