"""The national directories as data: the RPPS (Annuaire Santé) and FINESS public extractions.

Rows come only from the files (``manage.py import_rpps``, ``import_finess``; docs/directories.md
names each file and the columns read). Nothing here is typed by users: it is what a profile's RPPS
and a registration's FINESS pair are checked against (``professionals.selectors``,
``establishments.selectors``), at read time.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DirectoryProfessional(models.Model):
    """One exercise of a professional in the RPPS, as the extraction lists it.

    Keyed by (RPPS, profession code): the extraction has one line per activity (collapsed here),
    and a person may exercise two professions (two rows)."""

    rpps = models.CharField(_("numéro RPPS"), max_length=11)
    profession_code = models.CharField(_("code profession"), max_length=4)
    profession_label = models.CharField(_("libellé profession"), max_length=100, blank=True)
    category_code = models.CharField(_("code catégorie professionnelle"), max_length=4, blank=True)
    civility_code = models.CharField(_("code civilité d'exercice"), max_length=8, blank=True)
    family_name = models.CharField(_("nom d'exercice"), max_length=200)
    first_name = models.CharField(_("prénom d'exercice"), max_length=200, blank=True)
    #: ``family_name`` without accents, case or punctuation: what a profile's family name is compared with.
    family_key = models.CharField(max_length=200)

    class Meta:
        ordering = ["rpps", "profession_code"]
        verbose_name = _("professionnel de l'annuaire RPPS")
        verbose_name_plural = _("professionnels de l'annuaire RPPS")
        constraints = [
            models.UniqueConstraint(fields=["rpps", "profession_code"], name="directory_one_row_per_exercise")
        ]

    def __str__(self) -> str:
        return f"{self.rpps} {self.family_name} {self.first_name} ({self.profession_code})"


class DirectoryEstablishment(models.Model):
    """A geographic site (FINESS ET) of the FINESS extraction, with its legal entity (FINESS EJ)."""

    finess_et = models.CharField(_("FINESS géographique (ET)"), max_length=9, unique=True)
    finess_ej = models.CharField(_("FINESS juridique (EJ)"), max_length=9, db_index=True)
    name = models.CharField(_("raison sociale"), max_length=200)
    long_name = models.CharField(_("raison sociale longue"), max_length=300, blank=True)
    category_code = models.CharField(_("code catégorie"), max_length=4, blank=True)
    category_label = models.CharField(_("libellé catégorie"), max_length=200, blank=True)
    departement_code = models.CharField(_("département"), max_length=3, blank=True)
    postal_line = models.CharField(_("ligne d'acheminement"), max_length=200, blank=True)

    class Meta:
        ordering = ["finess_et"]
        verbose_name = _("établissement du fichier FINESS")
        verbose_name_plural = _("établissements du fichier FINESS")

    def __str__(self) -> str:
        return f"{self.finess_et} {self.name}"
