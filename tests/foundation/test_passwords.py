"""Passwords anyone would try first here are refused, with a reason; a real passphrase is not."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("password", ["ville-hopital", "Ville-Hôpital2026", "Mende48000", "48000-mende!", "Montpellier34"])
def test_the_platforms_name_and_a_commune_with_digits_are_refused(password):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert {"password_platform_name", "password_commune_name"} & {e.code for e in refused.value.error_list}


@pytest.mark.parametrize("password", ["marmotte-lozere-brouillard-7", "Mende a 48000 pas et trois tilleuls"])
def test_a_passphrase_passes_even_with_a_commune_inside(password):
    validate_password(password)
