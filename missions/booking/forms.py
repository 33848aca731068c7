"""HR's actions on a shift and its missions (cancel, complete): forms parse and label, the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from missions.core.models import MissionState
from ville_hopital.forms import NextForm


class ShiftCancelForm(NextForm):
    reason = forms.CharField(
        label=_("Motif"), max_length=300,
        error_messages={"required": _("Indiquez le motif de l'annulation : le professionnel le recevra."),
                        "max_length": _("Le motif ne doit pas dépasser 300 caractères.")},
    )


class MissionCompleteForm(NextForm):
    outcome = forms.ChoiceField(
        label=_("Issue"), choices=[(MissionState.DONE, _("Service fait")), (MissionState.NO_SHOW, _("Absence"))],
        error_messages={"required": _("choisissez « Service fait » ou « Absence »."),
                        "invalid_choice": _("choisissez « Service fait » ou « Absence ».")},
    )
