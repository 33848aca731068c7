"""Validation of French identifiers: RPPS, ADELI, FINESS, SIREN and SIRET.

This is the one place where these numbers are checked. The core is pure Python
(no settings, no database, no app registry) and comes in three layers:

* ``clean_x(value) -> str`` normalises the value and returns the canonical form,
  or raises :class:`InvalidIdentifier` (a ``ValueError``) carrying a ``code``;
* ``is_valid_x(value) -> bool`` never raises;
* ``validate_x(value)`` (bottom of the module) are thin Django validators that
  raise ``django.core.exceptions.ValidationError`` with a French, translatable
  message and the same ``code``. Use them in ``validators=[...]`` of model or
  form fields.

The validators check the *normalised* value (spaces, dots and dashes removed,
letters upper-cased), so a form should store ``normalize(value)`` (or the
result of ``clean_x``), not the raw input.

Error codes are shared by every identifier: ``invalid_characters``,
``invalid_length``, ``invalid_departement``, ``invalid_key`` and ``repeated_digit``.

``repeated_digit``: a number made of one digit repeated (00000000000, 11111111111) is refused
before any other check. Such numbers are what people type to get past a required field; some are
even Luhn-valid (all zeros), and no directory assigns them.
"""

from __future__ import annotations

import re
from typing import Final

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DEPARTEMENT_CODES",
    "InvalidIdentifier",
    "clean_adeli",
    "clean_finess",
    "clean_rpps",
    "clean_siren",
    "clean_siret",
    "is_valid_adeli",
    "is_valid_finess",
    "is_valid_rpps",
    "is_valid_siren",
    "is_valid_siret",
    "luhn_check_digit",
    "luhn_is_valid",
    "normalize",
    "rpps_national_id",
    "validate_adeli",
    "validate_finess",
    "validate_rpps",
    "validate_siren",
    "validate_siret",
]

# --------------------------------------------------------------------------- #
# Départements
# --------------------------------------------------------------------------- #

#: The 101 départements: 01–19, 2A, 2B, 21–95 (metropolitan France, 96 codes)
#: and the five overseas départements 971 Guadeloupe, 972 Martinique,
#: 973 Guyane, 974 La Réunion, 976 Mayotte. 975 (Saint-Pierre-et-Miquelon) is a
#: collectivité d'outre-mer, not a département, hence 101 codes and not 102.
DEPARTEMENT_CODES: Final[frozenset[str]] = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"] + ["971", "972", "973", "974", "976"]
)

# Two-digit numeric prefixes of metropolitan départements, including the
# pre-1976 Corsican code "20" (used where an identifier is digits only).
_METRO_NUMERIC_PREFIXES: Final[frozenset[str]] = frozenset(f"{n:02d}" for n in range(1, 96))

# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #

# Whitespace (including the non-breaking and narrow no-break spaces French
# typography puts in numbers), dots, and the hyphen/dash family.
_SEPARATORS: Final[re.Pattern[str]] = re.compile(r"[\s.\-\u2010\u2011\u2012\u2013\u2014\u2212]+")


class InvalidIdentifier(ValueError):
    """An identifier failed validation. ``kind`` is e.g. ``"RPPS"``, ``code`` one of
    ``invalid_characters``, ``invalid_length``, ``invalid_departement``, ``invalid_key``,
    ``repeated_digit``."""

    def __init__(self, kind: str, code: str) -> None:
        super().__init__(f"{kind}: {code}")
        self.kind = kind
        self.code = code


def normalize(value: object) -> str:
    """Strip spaces, dots and dashes and upper-case the letters.

    ``None`` gives ``""``; integers are accepted (note that an ``int`` loses its
    leading zeros, so identifiers should be kept as strings).
    """
    if value is None:
        return ""
    return _SEPARATORS.sub("", str(value)).upper()


def is_ascii_digits(value: str) -> bool:
    """Only the digits 0-9 (what identifiers and query parameters mean by a number)."""
    # str.isdigit() alone accepts "²", "٣" and other non-ASCII digits.
    return value.isascii() and value.isdigit()


def _luhn_sum(digits: str, *, double_rightmost: bool) -> int:
    total = 0
    start = 0 if double_rightmost else 1
    for index, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if index % 2 == start:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total


def luhn_is_valid(digits: str) -> bool:
    """True iff ``digits`` is a non-empty string of ASCII digits whose Luhn sum is 0 mod 10."""
    if not is_ascii_digits(digits):
        return False
    return _luhn_sum(digits, double_rightmost=False) % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The Luhn key to append to ``payload`` (a non-empty string of ASCII digits)."""
    if not is_ascii_digits(payload):
        raise ValueError("luhn_check_digit expects a non-empty string of digits")
    return str(-_luhn_sum(payload, double_rightmost=True) % 10)


def _digits_of_length(value: object, kind: str, length: int) -> str:
    number = normalize(value)
    if number and not is_ascii_digits(number):
        raise InvalidIdentifier(kind, "invalid_characters")
    if len(number) != length:
        raise InvalidIdentifier(kind, "invalid_length")
    _refuse_repeated_digit(number, kind)
    return number


def _refuse_repeated_digit(number: str, kind: str) -> None:
    if len(set(number)) == 1:
        raise InvalidIdentifier(kind, "repeated_digit")


# --------------------------------------------------------------------------- #
# RPPS
# --------------------------------------------------------------------------- #

RPPS_LENGTH: Final = 11


def clean_rpps(value: object) -> str:
    """RPPS: 11 digits, the last one a Luhn key over the 11 digits."""
    number = _digits_of_length(value, "RPPS", RPPS_LENGTH)
    if not luhn_is_valid(number):
        raise InvalidIdentifier("RPPS", "invalid_key")
    return number


def is_valid_rpps(value: object) -> bool:
    try:
        clean_rpps(value)
    except InvalidIdentifier:
        return False
    return True


def rpps_national_id(rpps: object) -> str:
    """The 12-character national identifier (IdNat_PS) of an RPPS: ``"8" + rpps``.

    Raises :class:`InvalidIdentifier` if ``rpps`` is not a valid RPPS.
    """
    return "8" + clean_rpps(rpps)


# --------------------------------------------------------------------------- #
# ADELI
# --------------------------------------------------------------------------- #

ADELI_LENGTH: Final = 9


def clean_adeli(value: object) -> str:
    """ADELI: 9 digits = département (2) + profession (2) + order number (4) + key (1).

    Choice: only the structure is checked, never the key. The ADELI key is not a
    plain, publicly documented Luhn for every number, and rejecting a real
    professional's number is worse than letting a typo through, so we do not
    check a key we cannot verify. The first two digits must be a département
    prefix: 01–95 (which includes "20": Corsican numbers, 2A/2B, may be
    written with the digits "20") or "97" for the overseas départements
    971–976 (the third digit is then part of the number and is not checked).
    Letters (a literal "2A"/"2B") are rejected: ADELI numbers are digits only.
    """
    number = _digits_of_length(value, "ADELI", ADELI_LENGTH)
    prefix = number[:2]
    if prefix not in _METRO_NUMERIC_PREFIXES and prefix != "97":
        raise InvalidIdentifier("ADELI", "invalid_departement")
    return number


def is_valid_adeli(value: object) -> bool:
    try:
        clean_adeli(value)
    except InvalidIdentifier:
        return False
    return True


# --------------------------------------------------------------------------- #
# FINESS
# --------------------------------------------------------------------------- #

FINESS_LENGTH: Final = 9
_FINESS_CORSICA: Final = frozenset({"2A", "2B"})
_FINESS_OVERSEAS_THIRD: Final = frozenset("123456")


def clean_finess(value: object) -> str:
    """FINESS (établissement or entité juridique): 9 characters.

    * Two-character département prefix: 01–95 except 20, or 2A/2B (Corsica), or
      97 followed by 1–6 (971–976; FINESS also numbers Saint-Pierre-et-Miquelon,
      975). 96, 98 (not a département), 99 and 00 are rejected.
    * Numeric numbers end with a Luhn key computed over the 9 digits
      (750712184 AP-HP, 750100125 Pitié-Salpêtrière, 130786049 AP-HM).
    * Corsican numbers (2A/2B + 7 digits): we found no reliable public source
      for how the key is computed when the prefix contains a letter (the
      "replace 2A/2B by 20", "by 19/18" and similar rules circulate without an
      authoritative reference), so they are accepted WITHOUT checking the key.
    """
    number = normalize(value)
    if len(number) != FINESS_LENGTH:
        raise InvalidIdentifier("FINESS", "invalid_length")
    _refuse_repeated_digit(number, "FINESS")
    prefix, rest = number[:2], number[2:]
    if prefix in _FINESS_CORSICA:
        if not is_ascii_digits(rest):
            raise InvalidIdentifier("FINESS", "invalid_characters")
        return number  # key deliberately not checked, see docstring
    if not is_ascii_digits(number):
        raise InvalidIdentifier("FINESS", "invalid_characters")
    if prefix == "97":
        if number[2] not in _FINESS_OVERSEAS_THIRD:
            raise InvalidIdentifier("FINESS", "invalid_departement")
    elif prefix == "20" or prefix not in _METRO_NUMERIC_PREFIXES:
        raise InvalidIdentifier("FINESS", "invalid_departement")
    if not luhn_is_valid(number):
        raise InvalidIdentifier("FINESS", "invalid_key")
    return number


def is_valid_finess(value: object) -> bool:
    try:
        clean_finess(value)
    except InvalidIdentifier:
        return False
    return True


# --------------------------------------------------------------------------- #
# SIREN / SIRET
# --------------------------------------------------------------------------- #

SIREN_LENGTH: Final = 9
SIRET_LENGTH: Final = 14
LA_POSTE_SIREN: Final = "356000000"
#: La Poste's head office keeps the ordinary Luhn key (its digit sum, 26, is not
#: a multiple of 5); this is also how python-stdnum handles it.
LA_POSTE_HEAD_OFFICE_SIRET: Final = "35600000000048"


def clean_siren(value: object) -> str:
    """SIREN: 9 digits, Luhn."""
    number = _digits_of_length(value, "SIREN", SIREN_LENGTH)
    if not luhn_is_valid(number):
        raise InvalidIdentifier("SIREN", "invalid_key")
    return number


def is_valid_siren(value: object) -> bool:
    try:
        clean_siren(value)
    except InvalidIdentifier:
        return False
    return True


def clean_siret(value: object) -> str:
    """SIRET: 14 digits (SIREN + NIC), Luhn over the 14 digits.

    Exception: for La Poste's establishments (SIREN 356000000) the key rule is
    different: the sum of the 14 digits must be a multiple of 5. The head
    office, 35600000000048, is Luhn-valid but not sum-valid; it is accepted
    (by Luhn), as python-stdnum does.
    """
    number = _digits_of_length(value, "SIRET", SIRET_LENGTH)
    if number.startswith(LA_POSTE_SIREN) and number != LA_POSTE_HEAD_OFFICE_SIRET:
        valid = sum(ord(c) - 48 for c in number) % 5 == 0
    else:
        valid = luhn_is_valid(number)
    if not valid:
        raise InvalidIdentifier("SIRET", "invalid_key")
    return number


def is_valid_siret(value: object) -> bool:
    try:
        clean_siret(value)
    except InvalidIdentifier:
        return False
    return True


# --------------------------------------------------------------------------- #
# Django validators (thin wrappers)
# --------------------------------------------------------------------------- #

_MESSAGES: Final = {
    ("RPPS", "invalid_characters"): _("Le numéro RPPS ne doit contenir que des chiffres."),
    ("RPPS", "invalid_length"): _("Le numéro RPPS doit comporter 11 chiffres."),
    ("RPPS", "invalid_key"): _("La clé de contrôle du numéro RPPS est invalide."),
    ("RPPS", "repeated_digit"): _(
        "Le numéro RPPS ne peut pas être un seul chiffre répété (00000000000, 11111111111…) : indiquez votre vrai numéro."
    ),
    ("ADELI", "invalid_characters"): _("Le numéro ADELI ne doit contenir que des chiffres."),
    ("ADELI", "invalid_length"): _("Le numéro ADELI doit comporter 9 chiffres."),
    ("ADELI", "invalid_departement"): _(
        "Le numéro ADELI doit commencer par un code de département valide (01 à 95, ou 97 pour l’outre-mer)."
    ),
    ("ADELI", "repeated_digit"): _(
        "Le numéro ADELI ne peut pas être un seul chiffre répété (000000000, 111111111…) : indiquez votre vrai numéro."
    ),
    ("FINESS", "invalid_characters"): _(
        "Le numéro FINESS ne doit contenir que des chiffres (hormis 2A ou 2B en tête pour la Corse)."
    ),
    ("FINESS", "invalid_length"): _("Le numéro FINESS doit comporter 9 caractères."),
    ("FINESS", "invalid_departement"): _(
        "Le numéro FINESS doit commencer par un code de département valide (01 à 95, 2A, 2B ou 971 à 976)."
    ),
    ("FINESS", "invalid_key"): _("La clé de contrôle du numéro FINESS est invalide."),
    ("FINESS", "repeated_digit"): _(
        "Le numéro FINESS ne peut pas être un seul chiffre répété (000000000, 111111111…) : indiquez le vrai numéro."
    ),
    ("SIREN", "invalid_characters"): _("Le numéro SIREN ne doit contenir que des chiffres."),
    ("SIREN", "invalid_length"): _("Le numéro SIREN doit comporter 9 chiffres."),
    ("SIREN", "invalid_key"): _("La clé de contrôle du numéro SIREN est invalide."),
    ("SIREN", "repeated_digit"): _(
        "Le numéro SIREN ne peut pas être un seul chiffre répété (000000000, 111111111…) : indiquez le vrai numéro."
    ),
    ("SIRET", "invalid_characters"): _("Le numéro SIRET ne doit contenir que des chiffres."),
    ("SIRET", "invalid_length"): _("Le numéro SIRET doit comporter 14 chiffres."),
    ("SIRET", "invalid_key"): _("La clé de contrôle du numéro SIRET est invalide."),
    ("SIRET", "repeated_digit"): _(
        "Le numéro SIRET ne peut pas être un seul chiffre répété (00000000000000…) : indiquez le vrai numéro."
    ),
}


def _raise_validation_error(error: InvalidIdentifier) -> None:
    raise ValidationError(_MESSAGES[error.kind, error.code], code=error.code) from error


def validate_rpps(value: object) -> None:
    try:
        clean_rpps(value)
    except InvalidIdentifier as error:
        _raise_validation_error(error)


def validate_adeli(value: object) -> None:
    try:
        clean_adeli(value)
    except InvalidIdentifier as error:
        _raise_validation_error(error)


def validate_finess(value: object) -> None:
    try:
        clean_finess(value)
    except InvalidIdentifier as error:
        _raise_validation_error(error)


def validate_siren(value: object) -> None:
    try:
        clean_siren(value)
    except InvalidIdentifier as error:
        _raise_validation_error(error)


def validate_siret(value: object) -> None:
    try:
        clean_siret(value)
    except InvalidIdentifier as error:
        _raise_validation_error(error)
