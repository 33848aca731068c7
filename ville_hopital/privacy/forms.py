from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class EraseConfirmForm(forms.Form):
    """The destructive step: the person types their own address again."""

    email = forms.EmailField(label=_("Votre adresse e-mail, pour confirmer"), max_length=254)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email.strip().lower() != self.user.email.lower():
            raise forms.ValidationError(_("ce n'est pas l'adresse de votre compte."), code="mismatch")
        return email
