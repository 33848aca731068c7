"""The RPPS extraction of the Annuaire Santé: « Extraction RPPS — personne activité », the flat file
``PS_LibreAcces_Personne_activite_<AAAAMMJJHHMM>.txt`` (docs/directories.md lists the columns).

Pipe-separated, UTF-8, one header line naming the columns, then one line per activity of a
person (a nurse working in two places has two lines). Columns are found by their name in the
header, not by position: the file has gained columns over the years (rôle, genre d'activité) and
the labels of the ones we do not read vary slightly; only those we read must be there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from directories.loading import (
    DirectoryFormat,
    FileScan,
    ImportCounts,
    LineInvalid,
    LineParser,
    check_field_count,
    check_length,
    directory_import,
)
from directories.models import DirectoryProfessional
from territories.search_keys import search_key
from ville_hopital.identifiers import InvalidIdentifier, clean_rpps

#: The columns read, by their header name (compared without case; ’ and ' are the same).
TYPE = "Type d'identifiant PP"
IDENTIFIER = "Identifiant PP"
NATIONAL_ID = "Identification nationale PP"
CIVILITY = "Code civilité d'exercice"
FAMILY_NAME = "Nom d'exercice"
FIRST_NAME = "Prénom d'exercice"
PROFESSION = "Code profession"
PROFESSION_LABEL = "Libellé profession"
CATEGORY = "Code catégorie professionnelle"
COLUMNS = (TYPE, IDENTIFIER, NATIONAL_ID, CIVILITY, FAMILY_NAME, FIRST_NAME, PROFESSION, PROFESSION_LABEL, CATEGORY)
#: "Type d'identifiant PP": 8 is an RPPS number; 0 an ADELI number (professions not yet moved to
#: the RPPS), which this directory does not keep (an ADELI number is not checked, docs/directories.md).
TYPE_RPPS, TYPE_ADELI = "8", "0"


def _column_key(name: str) -> str:
    return " ".join(name.replace("\u2019", "'").lower().split())


def _start(header: list[str]) -> LineParser:
    positions = {_column_key(name): index for index, name in enumerate(header)}
    missing = [name for name in COLUMNS if _column_key(name) not in positions]
    if missing:
        raise LineInvalid(
            "en-tête sans les colonnes " + ", ".join(f"« {name} »" for name in missing)
            + " : est-ce bien l'extraction RPPS « personne activité » (séparateur |) ?"
        )
    at = {name: positions[_column_key(name)] for name in COLUMNS}
    width = len(header)

    def parse(fields: list[str]) -> DirectoryProfessional | None:
        check_field_count(fields, width, "l'en-tête")
        kind = fields[at[TYPE]].strip()
        if kind == TYPE_ADELI:
            return None
        if kind != TYPE_RPPS:
            raise LineInvalid(f"« {TYPE} » vaut « {kind} » (8 pour un RPPS, 0 pour un ADELI)")
        raw = fields[at[IDENTIFIER]].strip()
        try:
            rpps = clean_rpps(raw)
        except InvalidIdentifier as error:
            raise LineInvalid(f"« {IDENTIFIER} » « {raw} » n'est pas un numéro RPPS valide ({error.code})") from None
        national = fields[at[NATIONAL_ID]].strip()
        if national and national != TYPE_RPPS + rpps:
            raise LineInvalid(f"« {NATIONAL_ID} » « {national} » ne correspond pas au RPPS {rpps}")
        profession = check_length(fields[at[PROFESSION]], DirectoryProfessional, "profession_code")
        family_name = check_length(fields[at[FAMILY_NAME]], DirectoryProfessional, "family_name")
        if not profession or not family_name:
            raise LineInvalid(f"« {PROFESSION} » et « {FAMILY_NAME} » sont obligatoires")
        return DirectoryProfessional(
            rpps=rpps,
            profession_code=profession,
            profession_label=check_length(fields[at[PROFESSION_LABEL]], DirectoryProfessional, "profession_label"),
            category_code=check_length(fields[at[CATEGORY]], DirectoryProfessional, "category_code"),
            civility_code=check_length(fields[at[CIVILITY]], DirectoryProfessional, "civility_code"),
            family_name=family_name,
            first_name=check_length(fields[at[FIRST_NAME]], DirectoryProfessional, "first_name"),
            family_key=search_key(family_name),
        )

    return parse


RPPS_FORMAT = DirectoryFormat(
    name="RPPS",
    model=DirectoryProfessional,
    key_fields=("rpps", "profession_code"),
    value_fields=("profession_label", "category_code", "civility_code", "family_name", "first_name", "family_key"),
    separator="|",
    encodings=("utf-8",),
    start=_start,
)


def rpps_import(
    *, path: Path, scan: FileScan | None = None, progress: Callable[[int], None] | None = None
) -> ImportCounts:
    """Import an RPPS « personne activité » extraction (all or nothing; see ``directories.loading``)."""
    return directory_import(path=path, fmt=RPPS_FORMAT, scan=scan, progress=progress)
