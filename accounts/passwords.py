"""A password validator for the words anyone would try first against this platform.

Django's own validators let through the site's name (« ville-hopital ») and a commune followed by
its postal code (« Mende48000 »): long enough, not in the common-password list, not numeric, and
yet the first guesses of anyone attacking accounts of a health platform in Lozère.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from territories.models import Commune

#: The platform's own name, as letters only.
PLATFORM_WORDS = {"villehopital", "hopital", "villehopitalfr"}
# Digits, punctuation and spaces around the word ("Mende48000", "48000-Mende!", "ville-hopital2026").
_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def _letters(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in plain if c.isalpha() and not unicodedata.combining(c))


class PlatformWordsValidator:
    """Refuse a password that is the platform's name or a French commune, give or take digits and
    punctuation around it."""

    def validate(self, password: str, user: object | None = None) -> None:
        core = _AROUND.sub("", password)
        if _letters(password) in PLATFORM_WORDS or _letters(core) in PLATFORM_WORDS:
            raise ValidationError(_("Ce mot de passe reprend le nom du site : trop facile à deviner."),
                                  code="password_platform_name")
        if core and Commune.objects.filter(name__iexact=core).exists():
            raise ValidationError(
                _("Ce mot de passe est un nom de commune (avec des chiffres autour) : trop facile à deviner."),
                code="password_commune_name",
            )

    def get_help_text(self) -> str:
        return _("Ni le nom du site, ni un nom de commune suivi de chiffres.")
