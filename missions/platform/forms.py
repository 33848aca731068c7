"""HR's actions on an unfilled shift (offer it to someone, raise its pay): forms parse and label, the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ville_hopital.input_hygiene import LARGEST_INT

PAY_MESSAGE = _("Indiquez un montant en euros, par exemple 650 ou 650,50.")


class EurosField(forms.DecimalField):
    """An amount as people type it: « 650,50 », « 1 200 » or « 650.50 », whatever the page's language
    (a localised field would read « 650,50 » as 65 050 in English)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".").replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
        return super().to_python(value)


class ShiftOfferForm(forms.Form):
    professional = forms.IntegerField(
        label=_("Professionnel"), min_value=1, max_value=LARGEST_INT,
        error_messages={"required": _("choisissez un professionnel dans la liste."),
                        "invalid": _("choisissez un professionnel dans la liste.")},
    )


class ShiftPayRaiseForm(forms.Form):
    pay = EurosField(
        label=_("Nouvelle rémunération par poste (€ HT)"), max_digits=9, decimal_places=2, min_value=Decimal("0.01"),
        error_messages={"required": PAY_MESSAGE, "invalid": PAY_MESSAGE},
    )
