"""Mobile numbers as people type them, turned into E.164 ("+33612345678"), or refused with a reason.

Only numbers an SMS can reach on the French networks are accepted: metropolitan mobiles (06, 07)
and the overseas mobiles (Réunion and Mayotte +262, Guadeloupe and the French Antilles +590,
Guyane +594, Martinique +596). Written nationally, an overseas mobile is recognised by its prefix
("0692 12 34 56" is a Réunion number, +262 692 12 34 56). +269, Mayotte's code before 2007, is
still typed by some: a Mayotte mobile written with it (+269 639…) is stored under +262. Landlines
(01–05, 09, and the overseas fixed ranges), special numbers (08) and foreign numbers are refused.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: National overseas mobile prefixes (after the leading 0) → their country calling code.
OVERSEAS_MOBILE_PREFIXES = {
    "639": "262", "692": "262", "693": "262",  # Mayotte, Réunion
    "690": "590", "691": "590",  # Guadeloupe, Saint-Martin, Saint-Barthélemy
    "694": "594",  # Guyane
    "696": "596", "697": "596",  # Martinique
}
OVERSEAS_CODES = ("262", "590", "594", "596")
MAYOTTE_FORMER_CODE = "269"
_ALLOWED = re.compile(r"^\+?[\d\s.\-()/]+$")
_NOT_DIGIT = re.compile(r"\D")


def _refuse(message: str) -> ValidationError:
    return ValidationError({"phone": message})


def _international(digits: str) -> str:
    """``digits``: the number after the international prefix (+ or 00), country code first."""
    if digits.startswith("33"):
        national = digits[2:]
        if national.startswith("0"):  # "+33 (0)6…": the trunk 0 written in brackets
            national = national[1:]
        return _national("0" + national)
    if digits.startswith(MAYOTTE_FORMER_CODE) and digits[3:6] == "639" and len(digits) == 12:
        return "+262" + digits[3:]
    code = digits[:3]
    if code in OVERSEAS_CODES:
        national = digits[3:]
        if len(national) != 9:
            raise _refuse(_("Numéro de mobile : un numéro +%(code)s a 9 chiffres après l'indicatif.") % {"code": code})
        if national[:3] not in OVERSEAS_MOBILE_PREFIXES:
            raise _refuse(_("Numéro de mobile : ce numéro est un fixe ; indiquez un numéro de mobile."))
        return f"+{code}{national}"
    raise _refuse(_(
        "Numéro de mobile : seuls les mobiles français sont acceptés (métropole 06 ou 07, outre-mer +262, "
        "+590, +594, +596) ; les numéros étrangers ne peuvent pas recevoir nos SMS."
    ))


def _national(digits: str) -> str:
    """A number written the French way: 10 digits starting with 0."""
    if len(digits) != 10 or not digits.startswith("0"):
        raise _refuse(_("Numéro de mobile : 10 chiffres attendus, par exemple 06 12 34 56 78."))
    overseas = OVERSEAS_MOBILE_PREFIXES.get(digits[1:4])
    if overseas:
        return f"+{overseas}{digits[1:]}"
    if digits[1] in "67":
        return "+33" + digits[1:]
    if digits[1] == "8":
        raise _refuse(_("Numéro de mobile : les numéros spéciaux (08) ne reçoivent pas de SMS ; indiquez un mobile."))
    raise _refuse(_("Numéro de mobile : ce numéro est un fixe ; indiquez un numéro de mobile (06 ou 07)."))


def mobile_e164(raw: str) -> str:
    """The E.164 form of a French mobile number typed in any usual way:
    "06 12 34 56 78", "+33 6 12 34 56 78", "+33 (0)6 12…", "0033 6 12…" → "+33612345678".
    Raises ``ValidationError({"phone": …})`` with the reason otherwise."""
    text = (raw or "").strip()
    if not text:
        raise _refuse(_("Numéro de mobile : indiquez un numéro."))
    if not _ALLOWED.match(text) or text.count("+") > 1:
        raise _refuse(_("Numéro de mobile : seuls des chiffres, espaces, points et tirets sont acceptés."))
    digits = _NOT_DIGIT.sub("", text)
    if text.startswith("+"):
        return _international(digits)
    if digits.startswith("00"):
        return _international(digits[2:])
    return _national(digits)


def mobile_display(e164: str) -> str:
    """"+33612345678" → "06 12 34 56 78": the national form people read their number in (overseas
    mobiles too: +262 692… is dialled 0692… from anywhere in France); other forms as they are."""
    for code in ("33", *OVERSEAS_CODES):
        if e164.startswith("+" + code) and len(e164) == len(code) + 10:
            national = "0" + e164[len(code) + 1:]
            return " ".join(national[i:i + 2] for i in range(0, 10, 2))
    return e164
