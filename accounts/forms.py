from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from accounts.models import Civility, SignupIntent
from accounts.services import civility_set

#: The civility as asked: Madame, Monsieur, or saying so explicitly; no answer is « not stated » too.
CIVILITY_CHOICES = [
    (Civility.MADAME, _("Madame")),
    (Civility.MONSIEUR, _("Monsieur")),
    (Civility.NOT_STATED, _("Je préfère ne pas le préciser")),
]
CIVILITY_HELP = _(
    "Pour écrire votre profession au féminin ou au masculin (« Infirmière », « Infirmier ») sur vos pages, "
    "vos contrats et vos messages. Sans réponse, elle garde son libellé habituel."
)


def civility_field(*, help_text=CIVILITY_HELP) -> forms.ChoiceField:
    """The optional civility, as radio buttons none of which is ticked until the person answers
    (sign-up, the professional's profile). An empty answer is « not stated »; the services check it."""
    return forms.ChoiceField(
        label=_("Civilité (facultatif)"), choices=CIVILITY_CHOICES, required=False, widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"invalid_choice": _("Civilité inconnue : choisissez Madame, Monsieur, ou de ne pas la préciser.")},
    )


class SignupForm(AllauthSignupForm):
    """Sign-up as a professional or for an establishment. ARS staff never sign up: they are invited."""

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    # Nothing ticked: a default would sign an establishment's HR up as a professional without a word.
    signup_intent = forms.ChoiceField(
        label=_("Vous êtes"), choices=SignupIntent.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Indiquez si vous êtes un professionnel de santé ou un établissement.")},
    )
    # Nothing ticked either; asked here so that a professional's pages read right from the start.
    civility = civility_field(help_text=_(
        "Professionnels de santé : pour écrire votre profession au féminin ou au masculin (« Infirmière », "
        "« Infirmier »). Vous pourrez la changer dans votre profil."
    ))

    def save(self, request):
        user = super().save(request)
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        user.signup_intent = self.cleaned_data["signup_intent"]
        user.save(update_fields=["first_name", "last_name", "signup_intent"])
        # Kept for professionals only: an establishment's staff have no profession for it to agree with.
        if user.signup_intent == SignupIntent.PROFESSIONAL:
            civility_set(actor=user, civility=self.cleaned_data["civility"])
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
