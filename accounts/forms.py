from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from accounts.models import SignupIntent


class SignupForm(AllauthSignupForm):
    """Sign-up as a professional or for an establishment. ARS staff never sign up: they are invited."""

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    # Nothing ticked: a default would sign an establishment's HR up as a professional without a word.
    signup_intent = forms.ChoiceField(
        label=_("Vous êtes"), choices=SignupIntent.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Indiquez si vous êtes un professionnel de santé ou un établissement.")},
    )

    def save(self, request):
        user = super().save(request)
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        user.signup_intent = self.cleaned_data["signup_intent"]
        user.save(update_fields=["first_name", "last_name", "signup_intent"])
        return user


class ArsInvitationAcceptForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    password1 = forms.CharField(label=_("Mot de passe"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Mot de passe (confirmation)"), widget=forms.PasswordInput, strip=False)

    def clean_password1(self) -> str:
        password = self.cleaned_data["password1"]
        validate_password(password)
        return password

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("Les deux mots de passe ne correspondent pas."))
        return cleaned


class ApiTokenRevokeForm(forms.Form):
    """« Révoquer » on the API token page: a POST with nothing to choose, confirmed by its button."""

    confirm = forms.BooleanField(label=_("Je révoque mon jeton d'API"), required=True)
