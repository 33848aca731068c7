"""France's administrative geography: 18 regions, 101 départements, ~35,000 communes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    code = models.CharField(_("code INSEE"), max_length=2, primary_key=True)
    name = models.CharField(_("nom"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("région")

    def __str__(self) -> str:
        return self.name

    @property
    def is_overseas(self) -> bool:
        return self.code in OVERSEAS_REGION_CODES


# Guadeloupe, Martinique, Guyane, La Réunion, Mayotte: the overseas pay caps apply there.
OVERSEAS_REGION_CODES = frozenset({"01", "02", "03", "04", "06"})


class Departement(models.Model):
    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=80)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departements")

    class Meta:
        ordering = ["code"]
        verbose_name = _("département")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CommuneQuerySet(models.QuerySet):
    def search(self, text: str) -> CommuneQuerySet:
        """By postal code (digits) or by the start of the name, biggest communes first."""
        text = text.strip()
        if not text:
            return self.none()
        if text[:2].isdigit():
            return self.filter(Q(postal_codes__contains=text) | Q(code_insee=text)).order_by("-population")
        return self.filter(name__istartswith=text).order_by("-population")


class Commune(models.Model):
    code_insee = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=100, db_index=True)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="communes")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="communes")
    population = models.PositiveIntegerField(_("population"), default=0)
    postal_codes = models.CharField(_("codes postaux"), max_length=200, help_text=_("séparés par des espaces"))
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    coord_source = models.CharField(_("origine des coordonnées"), max_length=20)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")

    def __str__(self) -> str:
        first_postal_code = self.postal_codes.split(" ")[0] if self.postal_codes else self.departement_id
        return f"{self.name} ({first_postal_code})"
