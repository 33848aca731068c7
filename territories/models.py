"""France's administrative geography: 18 regions, 101 départements, ~35,000 communes."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from territories.search_keys import search_key


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


# A search shorter than this finds nothing (one letter would match thousands of communes).
MIN_SEARCH_LENGTH = 2
# Longer input is cut: no commune name or code is longer, and the prefix match stays an index seek.
MAX_SEARCH_LENGTH = 100
_DIGITS = re.compile(r"\d{2,5}")
# Corsica's INSEE codes (2A004 Ajaccio, 2B033 Bastia) are the only ones with letters.
_CORSICAN_CODE = re.compile(r"2[AB]\d{3}")


class CommuneQuerySet(models.QuerySet):
    def search(self, text: str) -> CommuneQuerySet:
        """Communes for what a person typed, most populous first.

        Digits are the start of a postal code or an INSEE code (``48`` finds the Lozère's postal
        codes, not every code containing 48); ``2A004`` is Corsica's INSEE code; anything else is
        the start of the name, compared through ``search_key`` (accents, case, hyphens, « St »).
        """
        text = text.strip()[:MAX_SEARCH_LENGTH]
        compact = text.replace(" ", "").upper()
        if _DIGITS.fullmatch(compact):
            # A union of ids rather than an OR: PostgreSQL then seeks both indexes instead of
            # scanning every commune (0.2 ms against 4.6 ms for « 48 »).
            by_postal_code = CommunePostalCode.objects.filter(code__startswith=compact).values("commune")
            by_insee_code = Commune.objects.filter(pk=compact).order_by().values("pk")
            found = self.filter(pk__in=by_postal_code.union(by_insee_code))
        elif _CORSICAN_CODE.fullmatch(compact):
            found = self.filter(code_insee=compact)
        else:
            key = search_key(text)
            if len(key) < MIN_SEARCH_LENGTH:
                return self.none()
            found = self.filter(search_name__startswith=key)
        return found.order_by("-population", "name")


class Commune(models.Model):
    code_insee = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=100, db_index=True)
    # ``search_key(name)``, written with the name by the geography load; indexed for prefix search.
    search_name = models.CharField(_("nom pour la recherche"), max_length=100, db_index=True, default="")
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


class CommunePostalCode(models.Model):
    """One postal code of a commune (a commune may have several, a code several communes), so a
    postal-code prefix is an index seek rather than a scan of a space-separated list."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="postal_code_rows")
    code = models.CharField(_("code postal"), max_length=5, db_index=True)

    class Meta:
        verbose_name = _("code postal")
        constraints = [models.UniqueConstraint(fields=["commune", "code"], name="commune_postal_code_unique")]

    def __str__(self) -> str:
        return self.code
