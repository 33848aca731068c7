from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from notifications.events import Event
from notifications.services import Preference

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
