"""One commune field for the platform (``territories.forms.CommuneField``), in both forms that ask
for a commune: an establishment's registration and a professional's profile."""

from __future__ import annotations

import pytest
from django.urls import reverse

from establishments.forms import EstablishmentRegisterForm
from establishments.models import Establishment
from professionals.forms import ProfileForm
from professionals.models import Professional
from territories.forms import CommuneField
from tests.factories import finess, make_user

pytestmark = pytest.mark.django_db

ACCEPTED = [
    ("Mende", "48095"),  # a name
    ("mende", "48095"),
    ("34000", "34172"),  # a postal code (Montpellier's only)
    ("48095", "48095"),  # an INSEE code
    ("2a004", "2A004"),  # Corsica's INSEE codes
    ("Mende (48000)", "48095"),  # what the autocomplete offers
    ("  Montpellier   (34090) ", "34172"),
]
UNKNOWN = ["Nulle-Part-sur-Mer", "99999", "Mende (34000)", "4800"]  # "4800" is no longer a part of 48000
AMBIGUOUS = [
    "48000",  # the postal code of Mende, Badaroux, Balsièges…
    "13001",  # Aix-en-Provence's INSEE code and Marseille 1er's postal code
    "Sainte-Colombe",
]


def establishment_data(commune: str) -> dict:
    return {
        "finess_geo": finess("48078123"), "finess_legal": finess("48000123"), "name": "CH test",
        "type": "CH", "commune": commune, "address": "1 rue de l'Hôpital",
    }


def profile_data(commune: str) -> dict:
    return {
        "profession": "60", "rpps": "10005173140", "adeli": "", "home_commune": commune, "radius_km": "40",
        "max_missions_per_month": "6", "min_notice_hours": "24", "expected_hourly_rate": "",
    }


def _type_pk() -> str:
    from reference.models import EstablishmentType

    return str(EstablishmentType.objects.get(code="CH").pk)


FORMS = [
    (EstablishmentRegisterForm, "commune", lambda c: {**establishment_data(c), "type": _type_pk()}),
    (ProfileForm, "home_commune", profile_data),
]


def test_both_forms_use_the_one_field():
    assert type(EstablishmentRegisterForm.base_fields["commune"]) is CommuneField
    assert type(ProfileForm.base_fields["home_commune"]) is CommuneField


@pytest.mark.parametrize(("form_class", "field", "data"), FORMS)
@pytest.mark.parametrize(("typed", "insee"), ACCEPTED)
def test_accepted(form_class, field, data, typed, insee):
    form = form_class(data=data(typed))
    assert form.is_valid(), form.errors
    assert form.cleaned_data[field].code_insee == insee


@pytest.mark.parametrize(("form_class", "field", "data"), FORMS)
@pytest.mark.parametrize("typed", UNKNOWN)
def test_unknown_is_named_on_the_field(form_class, field, data, typed):
    form = form_class(data=data(typed))
    assert not form.is_valid()
    assert list(form.errors) == [field]
    [message] = form.errors[field]
    assert "introuvable" in message and typed.strip() in message


@pytest.mark.parametrize(("form_class", "field", "data"), FORMS)
@pytest.mark.parametrize("typed", AMBIGUOUS)
def test_ambiguous_asks_for_the_postal_code(form_class, field, data, typed):
    form = form_class(data=data(typed))
    assert not form.is_valid()
    assert "Plusieurs communes" in form.errors[field][0]


@pytest.mark.parametrize(("form_class", "field", "data"), FORMS)
def test_too_long_text_is_an_error_not_a_crash(form_class, field, data):
    form = form_class(data=data("Mende" * 30))
    assert not form.is_valid()
    assert "120" in form.errors[field][0]


def test_widget_and_display():
    form = ProfileForm(initial={"home_commune": None})
    assert 'data-commune-search="1"' in str(form["home_commune"])
    form = EstablishmentRegisterForm(data={**establishment_data("48095"), "type": _type_pk()})
    assert form.is_valid()
    from territories.models import Commune

    assert form.fields["commune"].prepare_value(Commune.objects.get(pk="48095")) == "Mende (48000)"


# --- Through the pages: nothing is saved, the message sits on the field ----------------------------


def test_registration_page_unknown_commune_saves_nothing(client):
    client.force_login(make_user())
    response = client.post(reverse("establishments:onboarding"), {**establishment_data("Nulle-Part"), "type": _type_pk()})
    assert response.status_code == 200
    assert "introuvable" in " ".join(response.context["form"].errors["commune"])
    assert not Establishment.objects.exists()
    response = client.post(reverse("establishments:onboarding"), {**establishment_data("Mende (48000)"), "type": _type_pk()})
    assert response.status_code == 302
    assert Establishment.objects.get().commune_id == "48095"


def test_profile_page_unknown_commune_saves_nothing(client):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("professionals:profile_create"), profile_data("Nulle-Part"))
    assert response.status_code == 200
    assert "introuvable" in " ".join(response.context["form"].errors["home_commune"])
    assert not Professional.objects.filter(user=user).exists()
    response = client.post(reverse("professionals:profile_create"), profile_data("34000"))
    assert response.status_code == 302
    assert Professional.objects.get(user=user).home_commune_id == "34172"
