from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ContractSignForm(forms.Form):
    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Ressaisissez le mot de passe de votre compte pour signer ce document."),
    )


class ContractReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=300)
