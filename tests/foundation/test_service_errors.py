"""One way from a service's refusal to what the person reads: a form's fields, a message, the API."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from ville_hopital.api_errors import exception_handler
from ville_hopital.forms import apply_service_errors, service_error_text, service_errors


class ReasonForm(forms.Form):
    reason = forms.CharField()
    first_day = forms.DateField(required=False)


REFUSAL = ValidationError({
    "reason": ["Le motif ne doit pas dépasser 300 caractères."],
    "starts_at": ["La vacation doit commencer dans le futur."],
    "rpps": ["Numéro RPPS invalide."],
    "__all__": ["Cette vacation est déjà annulée."],
})


def _bound() -> ReasonForm:
    form = ReasonForm({"reason": "x"})
    assert form.is_valid()
    return form


def test_each_message_goes_under_the_field_it_names_else_at_the_top():
    form = _bound()
    apply_service_errors(form, REFUSAL, {"starts_at": "first_day"})
    assert form.errors["reason"] == ["Le motif ne doit pas dépasser 300 caractères."]
    assert form.errors["first_day"] == ["La vacation doit commencer dans le futur."]  # the form's own name for it
    # A field this form does not have, and the whole request: at the top, never a ValueError (a 500).
    assert form.non_field_errors() == ["Numéro RPPS invalide.", "Cette vacation est déjà annulée."]


def test_a_refusal_without_fields_goes_at_the_top():
    form = _bound()
    apply_service_errors(form, ValidationError(["Tous les postes sont pourvus.", "Réessayez demain."]))
    assert form.non_field_errors() == ["Tous les postes sont pourvus.", "Réessayez demain."]
    assert service_error_text(ValidationError("Tous les postes sont pourvus.")) == "Tous les postes sont pourvus."


def test_the_one_reading_names_fields_and_none_for_the_whole_request():
    assert service_errors(REFUSAL)[None] == ["Cette vacation est déjà annulée."]
    assert service_errors(ValidationError("Non.")) == {None: ["Non."]}
    assert service_error_text(REFUSAL).startswith("Le motif ne doit pas dépasser 300 caractères.")


def _refusing(refusal: ValidationError):
    """An API view whose service says no, as every write of the API's services may."""

    class Refusing(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def post(self, request):
            raise refusal

    return Refusing.as_view()


@pytest.mark.parametrize("refusal, body", [
    (REFUSAL, {"reason": ["Le motif ne doit pas dépasser 300 caractères."],
               "starts_at": ["La vacation doit commencer dans le futur."], "rpps": ["Numéro RPPS invalide."],
               "non_field_errors": ["Cette vacation est déjà annulée."]}),
    (ValidationError("Non."), {"non_field_errors": ["Non."]}),
])
def test_the_api_answers_a_refusal_400_with_the_same_fields(refusal, body):
    response = _refusing(refusal)(APIRequestFactory().post("/api/v1/x/", {}, format="json"))
    assert response.status_code == 400 and response.data == body
    assert exception_handler(refusal, {}).status_code == 400
