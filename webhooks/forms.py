"""The admin's form: a URL and the events it receives. The service checks the URL (HTTPS, public)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.models import WebhookEvent
from webhooks.url_safety import URL_MAX_LENGTH


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("Adresse du serveur qui reçoit les événements (HTTPS)"), max_length=URL_MAX_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "url"}),
        help_text=_("une adresse publique en https:// ; chaque envoi est signé (voir la documentation)"),
    )
    events = forms.MultipleChoiceField(
        label=_("Événements envoyés"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un événement.")},
    )
