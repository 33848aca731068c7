"""Passwords anyone would try first here are refused, with a reason; a real passphrase is not."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("password", ["ville-hopital", "Ville-Hôpital2026", "Mende48000", "48000-mende!", "Montpellier34"])
def test_the_platforms_name_and_a_commune_with_digits_are_refused(password):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert {"password_platform_name", "password_commune_name"} & {e.code for e in refused.value.error_list}


@pytest.mark.parametrize("password", ["marmotte-lozere-brouillard-7", "Mende a 48000 pas et trois tilleuls"])
def test_a_passphrase_passes_even_with_a_commune_inside(password):
    validate_password(password)


@pytest.mark.parametrize(
    ("password", "code"),
    [("Lozere-48x", "password_too_short"), ("1qaz2wsx3edc", "password_too_common"), ("123456789012", "password_entirely_numeric")],
)
def test_django_validators_refuse_short_common_and_numeric_passwords(password, code):
    # Twelve characters at least (ANSSI's recommendation for a password alone).
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert code in {e.code for e in refused.value.error_list}


def test_a_password_like_the_email_is_refused():
    user = make_user("josiane.martin@example.org")
    with pytest.raises(ValidationError) as refused:
        validate_password("josiane.martin", user=user)
    assert "password_too_similar" in {e.code for e in refused.value.error_list}
