"""Forms parse and label; the services decide (``ville_hopital.forms.apply_service_errors`` puts their errors on fields)."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.forms import civility_field
from establishments.selectors import blockable_establishments
from professionals.calendar import SlotKey, parse_slot
from professionals.models import (
    MISSIONS_PER_MONTH_MAX,
    MISSIONS_PER_MONTH_MIN,
    RADIUS_KM_MAX,
    RADIUS_KM_MIN,
    CredentialKind,
    Notice,
    profession_label,
)
from reference.models import Profession
from reference.skills import NO_CHOICE, SkillCheckboxes, SkillsOfProfessionMixin, skill_queryset
from territories.forms import CommuneField


class ProfileForm(SkillsOfProfessionMixin, forms.Form):
    # Nothing ticked unless the person answered (at sign-up, or before): the view passes that answer.
    civility = civility_field()
    # No profession pre-selected: the first one in the list (« Aide-soignant ») is nobody's default.
    profession = forms.ModelChoiceField(label=_("Profession"), queryset=Profession.objects.all(), empty_label=NO_CHOICE)
    rpps = forms.CharField(
        label=_("Numéro RPPS"), max_length=20, required=False,
        help_text=_("11 chiffres, sur votre carte CPS ou l'annuaire santé."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    adeli = forms.CharField(
        label=_("Numéro ADELI"), max_length=20, required=False,
        help_text=_("Seulement si votre profession est encore enregistrée au répertoire ADELI (9 chiffres)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("Spécialités et compétences"), queryset=skill_queryset(), required=False, widget=SkillCheckboxes,
        help_text=_("Seules celles de votre profession sont acceptées."),
    )
    home_commune = CommuneField(
        label=_("Commune de départ"),
        help_text=_("Tapez le nom ou le code postal, puis choisissez, ex. « Mende (48000) »."),
    )
    radius_km = forms.IntegerField(
        label=_("Rayon de déplacement (km)"), min_value=RADIUS_KM_MIN, max_value=RADIUS_KM_MAX, initial=30,
        help_text=_("De %(min)s à %(max)s km.") % {"min": RADIUS_KM_MIN, "max": RADIUS_KM_MAX},
    )
    max_missions_per_month = forms.IntegerField(
        label=_("Missions par mois au maximum"), min_value=MISSIONS_PER_MONTH_MIN, max_value=MISSIONS_PER_MONTH_MAX,
        initial=4,
    )
    min_notice_hours = forms.TypedChoiceField(
        label=_("Au plus court, combien de temps à l'avance acceptez-vous d'être prévenu·e ?"),
        choices=Notice.choices, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez le délai de prévenance qui vous convient.")},
        help_text=_(
            "Une vacation qui commence plus tôt que ce délai ne vous est jamais proposée. Les établissements "
            "cherchent souvent quelqu'un pour le soir même : avec 2 ou 6 heures vous recevez ces offres urgentes, "
            "avec 24 heures aucune pour le jour même."
        ),
    )
    phone = forms.CharField(
        label=_("Numéro de mobile"), max_length=30, required=False,
        help_text=_("Un mobile français (06, 07 ou outre-mer). Un code vous sera envoyé par SMS pour le vérifier."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    urgent_sms = forms.BooleanField(
        label=_("Recevoir les offres urgentes par SMS"), required=False,
        help_text=_("Seulement les vacations urgentes (moins de 48 h ou signalées urgentes). Jamais entre 21 h et 7 h, sauf ci-dessous."),
    )
    night_sms = forms.BooleanField(
        label=_("La nuit aussi, pour une vacation qui commence dans les 6 heures"), required=False,
        help_text=_("Entre 21 h et 7 h, un SMS ne part que si vous cochez ceci et que la vacation est imminente."),
    )
    expected_hourly_rate = forms.DecimalField(
        label=_("Tarif horaire souhaité (€ HT)"), min_value=0, max_digits=7, decimal_places=2, required=False,
    )
    blocked_establishments = forms.ModelMultipleChoiceField(
        label=_("Établissements pour lesquels je ne veux pas travailler"), required=False,
        queryset=blockable_establishments().select_related("commune"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Maintenez Ctrl (ou Cmd) pour en choisir plusieurs."),
    )

    #: Rendered together under one heading ("Offres urgentes"); the SMS choices are notification settings.
    URGENT_FIELDS = ("min_notice_hours", "phone", "urgent_sms", "night_sms")

    def __init__(self, *args, civility: str = "", **kwargs) -> None:
        """``civility``: the person's saved civility, which names the professions of the list as
        their own would read (« Infirmière » for Madame)."""
        super().__init__(*args, **kwargs)
        self.fields["profession"].label_from_instance = lambda profession: profession_label(profession, civility)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class CredentialForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de document"), choices=CredentialKind.choices)
    file = forms.FileField(
        label=_("Fichier"), help_text=_("PDF, JPEG ou PNG, 10 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    expires_on = forms.DateField(
        label=_("Valable jusqu'au"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Obligatoire pour l'attestation d'assurance RCP."),
    )


def _week_label(n: int) -> str:
    return gettext("la semaine %(n)s") % {"n": n}


# Formatting a lazy string with % translates it at once, i.e. at import time, in French for
# everyone: the label is built lazily instead, in the language of the request that shows it.
week_label = lazy(_week_label, str)

SHORTCUT_DAYS = [
    ("wd5", _("tous les samedis")),
    ("wd6", _("tous les dimanches")),
    ("weekends", _("tous les week-ends")),
    ("weekdays", _("tous les jours de semaine")),
    ("all", _("tous les jours du mois")),
    ("wd0", _("tous les lundis")),
    ("wd1", _("tous les mardis")),
    ("wd2", _("tous les mercredis")),
    ("wd3", _("tous les jeudis")),
    ("wd4", _("tous les vendredis")),
    *[(f"w{n}", week_label(n)) for n in range(1, 7)],
]
SHORTCUT_SLOTS = [("D", _("le jour (08:00–20:00)")), ("N", _("la nuit (20:00–08:00)")), ("DN", _("jour et nuit"))]


SHORTCUT_UNKNOWN = _("Raccourci inconnu : choisissez dans la liste.")


class ShortcutForm(forms.Form):
    shortcut_days = forms.ChoiceField(
        label=_("Ajouter"), choices=SHORTCUT_DAYS, required=False, error_messages={"invalid_choice": SHORTCUT_UNKNOWN}
    )
    shortcut_slots = forms.ChoiceField(
        label=_("Créneau"), choices=SHORTCUT_SLOTS, required=False, error_messages={"invalid_choice": SHORTCUT_UNKNOWN}
    )


class SlotsField(forms.Field):
    """The ticked boxes of the month, « 2026-12-05:D » each, as a set of ``(day, "D" | "N")``.
    Whether they lie in the month and may still change is the service's to say."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Créneau illisible : « %(v)s ».")}

    def to_python(self, value) -> set[SlotKey]:
        slots: set[SlotKey] = set()
        for raw in [value] if isinstance(value, str) else value or []:
            try:
                slots.add(parse_slot(raw))
            except ValueError:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"v": raw[:40]}) from None
        return slots


CALENDAR_ACTIONS = [
    ("save", _("Enregistrer le mois")),
    ("shortcut", _("Ajouter et enregistrer")),
    ("copy", _("Copier le mois précédent et enregistrer")),
    ("clear", _("Tout effacer et enregistrer")),
]


class CalendarForm(ShortcutForm):
    """The month's grid as sent: the ticked slots, the button pressed (a form sent without one saves)
    and the shortcut's choices."""

    slots = SlotsField(label=_("Créneaux"), required=False)
    action = forms.ChoiceField(
        label=_("Action"), choices=CALENDAR_ACTIONS, required=False,
        error_messages={"invalid_choice": _("bouton inconnu : enregistrez depuis la page du calendrier.")},
    )

    def clean_action(self) -> str:
        return self.cleaned_data["action"] or "save"
