"""Reference data: professions (TRE_G15), skills (TRE_R38 and nurse specialties), establishment
types, and the dated legal tables (pay caps, contract routes). Loaded by migration, editable in admin.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class LabelledReference(models.Model):
    """A reference row whose label is shown in the interface's language.

    Why a column and not gettext: these labels are rows (loaded from reference/data.py, then
    edited by staff in the admin), so a msgid would go stale as soon as a label is edited and a
    new row added in the admin would have no translation at all. ``label_en`` sits next to
    ``label``, is loaded from the same data file and edited on the same admin page. ``label``
    stays the French reference value (ordering, exports' codes, contracts, which are French legal
    documents); ``display_label`` and ``str()`` follow the active language, falling back to
    French when no English name is known.
    """

    label_en = models.CharField(_("libellé en anglais"), max_length=80, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_label

    @property
    def shows_english(self) -> bool:
        """Whether the English name is the one to show (English interface, an English name known)."""
        return bool(self.label_en) and (get_language() or "").startswith("en")

    @property
    def display_label(self) -> str:
        return self.label_en if self.shows_english else self.label


class Profession(LabelledReference):
    code = models.CharField(_("code TRE_G15"), max_length=4, primary_key=True)
    short = models.CharField(_("sigle"), max_length=8, unique=True, help_text=_("e.g. IDE, MED, KINE"))
    label = models.CharField(_("libellé"), max_length=80)
    label_feminine = models.CharField(
        _("libellé au féminin"), max_length=80, blank=True,
        help_text=_("pour une professionnelle (civilité « Madame »), ex. « Infirmière » ; vide : le libellé"),
    )
    uses_adeli = models.BooleanField(
        _("encore enregistré au répertoire ADELI"), default=False, help_text=_("accepte un numéro ADELI sans RPPS")
    )

    class Meta:
        ordering = ["label"]
        verbose_name = _("profession")


class Skill(LabelledReference):
    """A specialty (TRE_R38, e.g. SM59 Médecine d'urgence) or a nurse specialty (SI06 IBODE)."""

    code = models.CharField(_("code"), max_length=8, primary_key=True)
    label = models.CharField(_("libellé"), max_length=80)
    profession = models.ForeignKey(Profession, on_delete=models.PROTECT, related_name="skills")

    class Meta:
        ordering = ["label"]
        verbose_name = _("spécialité ou compétence")


class Sector(models.TextChoices):
    PUBLIC = "public", _("public")
    PRIVATE_NONPROFIT = "private_nonprofit", _("privé non lucratif")
    PRIVATE = "private", _("privé lucratif")
    MEDICO_SOCIAL = "medico_social", _("social et médico-social")
    MOBILE = "mobile", _("unité mobile de santé")


class EstablishmentType(LabelledReference):
    code = models.CharField(_("code"), max_length=12, primary_key=True)
    label = models.CharField(_("libellé"), max_length=80)
    sector = models.CharField(_("secteur"), max_length=20, choices=Sector.choices)
    is_mobile = models.BooleanField(
        _("unité mobile"), default=False, help_text=_("each shift names the commune where the unit parks")
    )

    class Meta:
        ordering = ["label"]
        verbose_name = _("type d'établissement")

    @property
    def pay_cap_applies(self) -> bool:
        # CSP L6146-3 caps temporary work in *public* health establishments only.
        return self.sector == Sector.PUBLIC


class CapBasis(models.TextChoices):
    PER_24H = "per_24h", _("par 24 h")
    PER_HOUR = "per_hour", _("par heure")


class PayCap(models.Model):
    """A dated ceiling on the total cost (excl. VAT) of temporary work in public establishments."""

    profession = models.ForeignKey(Profession, on_delete=models.PROTECT, related_name="pay_caps")
    skill = models.ForeignKey(
        Skill, on_delete=models.PROTECT, null=True, blank=True, help_text=_("a higher cap for this specialty")
    )
    basis = models.CharField(_("base"), max_length=10, choices=CapBasis.choices)
    amount = models.DecimalField(_("plafond (€)"), max_digits=9, decimal_places=2)
    overseas_amount = models.DecimalField(_("plafond outre-mer (€)"), max_digits=9, decimal_places=2, null=True, blank=True)
    valid_from = models.DateField(_("en vigueur depuis"))
    valid_until = models.DateField(_("en vigueur jusqu'au"), null=True, blank=True)
    legal_reference = models.CharField(_("texte"), max_length=200)

    class Meta:
        ordering = ["profession", "skill", "-valid_from"]
        verbose_name = _("plafond de rémunération")

    def __str__(self) -> str:
        who = self.skill or self.profession
        return f"{who}: {self.amount} € {self.get_basis_display()} ({self.valid_from})"


class RouteKind(models.TextChoices):
    CONVENTION_L6146_2 = "convention_l6146_2", _("Convention d'exercice libéral approuvée par l'ARS (CSP L6146-2)")
    FIXED_TERM = "fixed_term", _("Contrat à durée déterminée (vacation)")
    LIBERAL_SERVICE = "liberal_service", _("Contrat d'exercice libéral")
    FORBIDDEN = "forbidden", _("Interdit")


class ContractRoute(models.Model):
    """Which contract a profession may work under in a type of establishment (or why it may not)."""

    profession = models.ForeignKey(Profession, on_delete=models.PROTECT, related_name="contract_routes")
    establishment_type = models.ForeignKey(EstablishmentType, on_delete=models.PROTECT, related_name="contract_routes")
    kind = models.CharField(_("voie"), max_length=24, choices=RouteKind.choices)
    legal_basis = models.CharField(_("fondement"), max_length=300)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profession", "establishment_type"], name="one_route_per_pair"),
        ]
        verbose_name = _("voie contractuelle")

    def __str__(self) -> str:
        return f"{self.profession} × {self.establishment_type}: {self.get_kind_display()}"

    @property
    def is_allowed(self) -> bool:
        return self.kind != RouteKind.FORBIDDEN
