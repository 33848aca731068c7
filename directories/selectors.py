"""Is a declared number in the national directory? Computed at read time, never stored.

A stored "verified" flag would drift: a profile's family name or profession can change after the
check, a new import can strike a number off or fix a name. Reading the directory each time costs
one indexed query per page (every number of the page at once), and the answer is always the
current one. The states say *why* a number is not verified, for the badge's text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from directories.models import DirectoryEstablishment, DirectoryProfessional
from territories.search_keys import search_key


class RppsState(models.TextChoices):
    VERIFIED = "verified", _("RPPS vérifié dans l'annuaire santé")
    UNKNOWN = "unknown", _("RPPS absent de l'annuaire santé")
    OTHER_PROFESSION = "other_profession", _("l'annuaire santé donne une autre profession pour ce RPPS")
    OTHER_NAME = "other_name", _("l'annuaire santé donne un autre nom de famille pour ce RPPS")
    NO_RPPS = "no_rpps", _("pas de numéro RPPS (ADELI seul) : non vérifiable dans l'annuaire santé")


class FinessState(models.TextChoices):
    VERIFIED = "verified", _("FINESS vérifié dans le fichier national")
    UNKNOWN = "unknown", _("FINESS géographique absent du fichier national")
    OTHER_LEGAL = "other_legal", _("le fichier national rattache ce site à un autre FINESS juridique")


@dataclass(frozen=True)
class RppsDeclaration:
    """What a profile declares: its RPPS (``None`` for ADELI only), profession (TRE_G15) and family name."""

    rpps: str | None
    profession_code: str
    family_name: str


@dataclass(frozen=True)
class DirectoryCheck:
    state: RppsState | FinessState

    @property
    def verified(self) -> bool:
        return self.state == "verified"

    @property
    def label(self) -> str:
        return str(self.state.label)


def directory_profession_code(profession_code: str) -> str:
    """The directory's « Code profession » for one of our professions. Both sides use the TRE_G15
    nomenclature (10 médecin, 60 infirmier, 70 masseur-kinésithérapeute…): the code is the same."""
    return profession_code


def rpps_checks(declarations: Iterable[RppsDeclaration]) -> dict[RppsDeclaration, DirectoryCheck]:
    """Each declaration's check: its RPPS in the directory with the same profession and the same
    family name (accents, case, hyphens and apostrophes aside). One query for them all."""
    declarations = list(declarations)
    rows: dict[str, list[tuple[str, str]]] = defaultdict(list)
    numbers = {d.rpps for d in declarations if d.rpps}
    for rpps, code, key in DirectoryProfessional.objects.filter(rpps__in=numbers).values_list(
        "rpps", "profession_code", "family_key"
    ):
        rows[rpps].append((code, key))
    return {d: DirectoryCheck(_rpps_state(d, rows.get(d.rpps or "", []))) for d in declarations}


def _rpps_state(declaration: RppsDeclaration, rows: list[tuple[str, str]]) -> RppsState:
    if not declaration.rpps:
        return RppsState.NO_RPPS
    if not rows:
        return RppsState.UNKNOWN
    code = directory_profession_code(declaration.profession_code)
    keys = {key for row_code, key in rows if row_code == code}
    if not keys:
        return RppsState.OTHER_PROFESSION
    return RppsState.VERIFIED if search_key(declaration.family_name) in keys else RppsState.OTHER_NAME


def finess_check(*, finess_et: str, finess_ej: str) -> DirectoryCheck:
    """The site (FINESS ET) in the national file, attached to the declared legal entity (FINESS EJ)."""
    legal = DirectoryEstablishment.objects.filter(finess_et=finess_et).values_list("finess_ej", flat=True).first()
    if legal is None:
        return DirectoryCheck(FinessState.UNKNOWN)
    return DirectoryCheck(FinessState.VERIFIED if legal == finess_ej else FinessState.OTHER_LEGAL)
