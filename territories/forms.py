"""Form fields about France's geography, shared by every app (one commune field for the platform)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from territories.models import Commune

MAX_TYPED = 120
_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")  # an INSEE code (Corsica: 2A/2B) or a postal code
_NAME_AND_POSTAL = re.compile(r"^(?P<name>.+?)\s*\(\s*(?P<postal>\d{5})\s*\)$")


def _postal_token(postal: str) -> dict:
    """``postal_codes`` holds codes separated by spaces: match a whole code, never a part of one."""
    return {"postal_codes__regex": rf"(^| ){re.escape(postal)}( |$)"}


class CommuneField(forms.Field):
    """A commune typed as « Nom (code postal) » (what the autocomplete offers), a name, a postal
    code or an INSEE code — accepted only when it designates exactly one commune.

    The cleaned value is a ``Commune`` (or ``None`` when not required and empty). The length is
    checked on the typed text, before it becomes a commune (never ``len(commune)``). Five digits
    are tried as both an INSEE code and a postal code: 2,991 INSEE codes are also another
    commune's postal code (``13001``: Aix-en-Provence's INSEE code, Marseille 1er's postal code),
    so such a code is ambiguous and the person is asked for « Nom (code postal) ».
    """

    default_error_messages = {
        "unknown": _("Commune introuvable : « %(value)s ». Tapez son nom ou son code postal et choisissez dans la liste."),
        "ambiguous": _(
            "Plusieurs communes correspondent à « %(value)s » : choisissez dans la liste ou écrivez "
            "« Nom (code postal) », ex. « Mende (48000) »."
        ),
        "too_long": _("%(max)s caractères au plus."),
    }

    widget = forms.TextInput

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"list": "commune-options", "autocomplete": "off", "data-commune-search": "1", "maxlength": str(MAX_TYPED)}
        )

    def prepare_value(self, value):
        if isinstance(value, Commune):
            return str(value)
        return value

    def to_python(self, value) -> Commune | None:
        if isinstance(value, Commune):
            return value
        text = " ".join(str(value or "").split())
        if not text:
            return None
        if len(text) > MAX_TYPED:
            raise ValidationError(self.error_messages["too_long"], code="too_long", params={"max": MAX_TYPED})
        found = self._candidates(text)
        if not found:
            raise ValidationError(self.error_messages["unknown"], code="unknown", params={"value": text})
        if len(found) > 1:
            raise ValidationError(self.error_messages["ambiguous"], code="ambiguous", params={"value": text})
        return found[0]

    @staticmethod
    def _candidates(text: str) -> list[Commune]:
        """At most two communes the text may designate (two is enough to say it is ambiguous)."""
        code = text.upper()
        if _CODE.match(code):
            by_insee = list(Commune.objects.filter(code_insee=code).select_related("region"))
            by_postal = list(
                Commune.objects.filter(**_postal_token(code)).exclude(code_insee=code).select_related("region")[:2]
            ) if code.isdigit() else []
            return (by_insee + by_postal)[:2]
        named = _NAME_AND_POSTAL.match(text)
        if named:
            queryset = Commune.objects.filter(name__iexact=named["name"], **_postal_token(named["postal"]))
        else:
            queryset = Commune.objects.filter(name__iexact=text)
        return list(queryset.select_related("region")[:2])
