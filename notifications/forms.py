from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from notifications.events import Event
from notifications.services import Preference
from ville_hopital.forms import NextForm

CHANNEL_FIELDS = ("email", "sms", "digest")


class PreferencesForm(forms.Form):
    """One checkbox per event × (email, SMS, daily digest), and the language of the messages."""

    language = forms.ChoiceField(label=_("Langue des messages"), choices=settings.LANGUAGES)

    def __init__(self, *args, events: list[Event], current: dict[str, Preference], language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.events = events
        self.fields["language"].initial = language
        labels = {"email": _("E-mail"), "sms": _("SMS"), "digest": _("Résumé quotidien")}
        for event in events:
            for name in CHANNEL_FIELDS:
                self.fields[f"{event.code}__{name}"] = forms.BooleanField(
                    label=f"{labels[name]} — {event.label}", required=False,
                    initial=getattr(current[event.code], name),
                )

    def rows(self) -> list[tuple[Event, list[forms.BoundField]]]:
        return [(event, [self[f"{event.code}__{name}"] for name in CHANNEL_FIELDS]) for event in self.events]

    def choices(self) -> dict[str, Preference]:
        data = self.cleaned_data
        return {
            event.code: Preference(
                email=data[f"{event.code}__email"], sms=data[f"{event.code}__sms"], digest=data[f"{event.code}__digest"]
            )
            for event in self.events
        }


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Numéro de mobile"), max_length=30,
        help_text=_("Un mobile français : 06 12 34 56 78, +33 6 12 34 56 78, ou outre-mer (+262, +590, +594, +596)."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
        error_messages={"required": _("Numéro de mobile : indiquez un numéro.")},
    )


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code reçu par SMS"), max_length=12,
        help_text=_("6 chiffres, valable 10 minutes."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}),
        error_messages={"required": _("Code : tapez les 6 chiffres reçus par SMS.")},
    )


class PhoneStepForm(NextForm):
    """Which form of the phone page was sent (to send a code, to confirm it), and where it leads back to."""

    action = forms.ChoiceField(
        label=_("Étape"), choices=[("send", "send"), ("confirm", "confirm")],
        error_messages={"required": _("envoyez le formulaire depuis la page du numéro de mobile."),
                        "invalid_choice": _("envoyez le formulaire depuis la page du numéro de mobile.")},
    )
