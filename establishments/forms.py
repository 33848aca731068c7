"""Forms parse and label; the services decide. ``ville_hopital.forms.apply_service_errors`` puts a
service's ``ValidationError`` on the form field it names (or at the top of the form)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from establishments.models import IntegrationTokenScope, MemberRole, Unit
from establishments.services import SHIFT_TEMPLATES, ShiftSpec, posting_day_check
from establishments.services_tokens import DEFAULT_LIFETIME as TOKEN_DEFAULT_LIFETIME
from establishments.services_tokens import MAX_LIFETIME as TOKEN_MAX_LIFETIME
from reference.models import EstablishmentType, Profession
from reference.skills import NO_CHOICE, SkillCheckboxes, SkillsOfProfessionMixin, skill_queryset
from territories.forms import CommuneField  # the platform's one commune field
from ville_hopital.input_hygiene import LARGEST_INT


class EstablishmentRegisterForm(forms.Form):
    finess_geo = forms.CharField(
        label=_("FINESS géographique (site)"), max_length=20,
        help_text=_("9 caractères, ex. 480780097 ; il figure sur finess.esante.gouv.fr"),
    )
    finess_legal = forms.CharField(
        label=_("FINESS juridique (entité)"), max_length=20,
        help_text=_("l'entité juridique ou le GHT qui regroupe vos sites"),
    )
    name = forms.CharField(label=_("Nom de l'établissement"), max_length=200)
    type = forms.ModelChoiceField(label=_("Type"), queryset=EstablishmentType.objects.all())
    commune = CommuneField(label=_("Commune"), help_text=_("nom ou code postal"))
    address = forms.CharField(label=_("Adresse"), max_length=300)


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "specialty", "where_to_go", "contact", "parking", "patient_record_access"]
        widgets = {
            "where_to_go": forms.Textarea(attrs={"rows": 3}),
            "parking": forms.Textarea(attrs={"rows": 2}),
            "patient_record_access": forms.Textarea(attrs={"rows": 2}),
        }


TEMPLATE_CHOICES = [
    ("day", _("Jour (08:00 – 20:00)")),
    ("night", _("Nuit (20:00 – 08:00)")),
    ("custom", _("Horaires personnalisés")),
]
URGENCY_CHOICES = [(1, _("1 — faible")), (2, "2"), (3, _("3 — normale")), (4, "4"), (5, _("5 — critique"))]


class _ShiftFieldsForm(SkillsOfProfessionMixin, forms.Form):
    """What one-off and recurring postings share."""

    skills_field = "required_skills"

    unit = forms.ModelChoiceField(label=_("Unité"), queryset=Unit.objects.none())
    profession = forms.ModelChoiceField(label=_("Profession"), queryset=Profession.objects.all(), empty_label=NO_CHOICE)
    required_skills = forms.ModelMultipleChoiceField(
        label=_("Compétences requises"), queryset=skill_queryset(), required=False, widget=SkillCheckboxes,
    )
    template = forms.ChoiceField(label=_("Horaires"), choices=TEMPLATE_CHOICES, initial="day")
    start = forms.TimeField(label=_("Début (si personnalisé)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(
        label=_("Fin (si personnalisé)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("une fin avant le début finit le lendemain"),
    )
    positions = forms.IntegerField(label=_("Nombre de postes"), initial=1)
    urgency = forms.TypedChoiceField(label=_("Urgence"), choices=URGENCY_CHOICES, coerce=int, initial=3)
    urgent = forms.BooleanField(
        label=_("Urgent (appariement immédiat)"), required=False,
        help_text=_("toujours urgent si la vacation commence dans les 48 h"),
    )
    pay = forms.DecimalField(
        label=_("Rémunération par poste (€ HT)"), max_digits=9, decimal_places=2,
        help_text=_("coût total HT ; plafonné dans le public (arrêté du 5 septembre 2025)"),
    )
    location = CommuneField(
        label=_("Commune de stationnement"), required=False,
        help_text=_("unités mobiles : la commune où l'unité stationne ce jour-là"),
    )
    shared_with_legal_entity = forms.BooleanField(
        label=_("Partager avec les autres sites de l'entité juridique"), required=False
    )

    def __init__(self, *args, establishment, can_share: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.establishment = establishment
        self.fields["unit"].queryset = Unit.objects.filter(establishment=establishment)
        self.fields["unit"].label_from_instance = lambda unit: unit.name
        units = list(self.fields["unit"].queryset[:2])
        if len(units) == 1:
            self.fields["unit"].initial = units[0].pk
        if not establishment.type.is_mobile:
            del self.fields["location"]
        if not can_share:
            del self.fields["shared_with_legal_entity"]

    def times(self) -> tuple[time, time] | None:
        template = self.cleaned_data.get("template")
        if template in SHIFT_TEMPLATES:
            return SHIFT_TEMPLATES[template]
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        if start is None or end is None:
            if start is None:
                self.add_error("start", _("Indiquez l'heure de début."))
            if end is None:
                self.add_error("end", _("Indiquez l'heure de fin."))
            return None
        return start, end

    def spec(self) -> ShiftSpec:
        """What the form posts (the one-off and the recurring posting alike)."""
        data = self.cleaned_data
        return ShiftSpec(
            unit=data["unit"], profession=data["profession"], required_skills=data["required_skills"],
            positions=data["positions"], urgency=data["urgency"], urgent=data["urgent"], pay=data["pay"],
            location=data.get("location"), shared_with_legal_entity=data.get("shared_with_legal_entity", False),
        )


SHIFT_FIELD_MAP = {"starts_at": "day", "ends_at": "end"}


def next_slot(now: datetime) -> tuple[date, str]:
    """The day and template of the next slot to start after ``now`` (local time).

    Before the day slot starts (08:00) it is today's day; until the night slot starts (20:00),
    tonight's night; after that, tomorrow's day. HR posting in the morning or the afternoon is
    most often filling that very day, not tomorrow.
    """
    local = timezone.localtime(now)
    today = local.date()
    for name in ("day", "night"):
        if local.time() < SHIFT_TEMPLATES[name][0]:
            return today, name
    return today + timedelta(days=1), "day"


class ShiftForm(_ShiftFieldsForm):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                          validators=[posting_day_check])
    field_order = ["unit", "profession", "required_skills", "day", "template", "start", "end"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read the clock when the page is built, never at import: the next slot to come.
        day, template = next_slot(timezone.now())
        self.initial.setdefault("day", day)
        self.initial.setdefault("template", template)


WEEKDAY_CHOICES = [
    (0, _("lundi")), (1, _("mardi")), (2, _("mercredi")), (3, _("jeudi")), (4, _("vendredi")),
    (5, _("samedi")), (6, _("dimanche")),
]


class ShiftSeriesForm(_ShiftFieldsForm):
    first_day = forms.DateField(
        label=_("À partir du"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=lambda: timezone.localdate(), validators=[posting_day_check],
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours de la semaine"), choices=WEEKDAY_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    weeks = forms.IntegerField(label=_("Pendant (semaines)"), initial=8, min_value=1, max_value=26)
    field_order = ["unit", "profession", "required_skills", "first_day", "weekdays", "weeks", "template", "start", "end"]


class ShiftImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV ou Excel (.xlsx)"),
        help_text=_("CSV : UTF-8 ou Windows-1252, séparateur « ; » ou « , » ; Excel : la première feuille du classeur"),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail"))
    role = forms.ChoiceField(label=_("Rôle"), choices=MemberRole.choices, initial=MemberRole.HR)


class SwitchForm(forms.Form):
    establishment = forms.IntegerField(
        label=_("Établissement"), min_value=1, max_value=LARGEST_INT, widget=forms.HiddenInput,
        error_messages={"required": _("choisissez un établissement dans la liste."),
                        "invalid": _("choisissez un établissement dans la liste.")},
    )


class ShiftShareForm(forms.Form):
    shared = forms.TypedChoiceField(
        label=_("Partage avec l'entité juridique"), choices=[("1", "1"), ("0", "0")],
        coerce=lambda value: value == "1", widget=forms.HiddenInput,
        error_messages={"required": _("indiquez 1 (partager) ou 0 (réserver au site)."),
                        "invalid_choice": _("indiquez 1 (partager) ou 0 (réserver au site).")},
    )


class IntegrationTokenForm(forms.Form):
    """An integration token's name, scope and last day. The service checks the rules (a name not
    taken, a date within a year): the form only reads the fields."""

    name = forms.CharField(
        label=_("Nom du jeton"), max_length=100,
        help_text=_("ce qui l'utilisera, par exemple « Logiciel de planning des urgences »"),
    )
    scope = forms.ChoiceField(
        label=_("Portée"), widget=forms.RadioSelect, initial=IntegrationTokenScope.READ,
        choices=[
            (IntegrationTokenScope.READ, _("Lecture : consulter, comme un membre lecteur")),
            (IntegrationTokenScope.WRITE, _("Écriture : publier et gérer les vacations, comme un membre RH")),
        ],
    )
    expires_on = forms.DateField(
        label=_("Expire le"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("au plus un an ; le jeton ne sert plus à partir de ce jour, 0 h"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["expires_on"].initial = today + TOKEN_DEFAULT_LIFETIME
        self.fields["expires_on"].widget.attrs.update(
            min=(today + timedelta(days=1)).isoformat(), max=(today + TOKEN_MAX_LIFETIME).isoformat(),
        )

    def token_fields(self) -> dict:
        """The service's keywords: the token expires at the start of the chosen day, local time."""
        data = self.cleaned_data
        expires_at = timezone.make_aware(datetime.combine(data["expires_on"], time.min))
        return {"name": data["name"], "scope": data["scope"], "expires_at": expires_at}
