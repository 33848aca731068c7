"""The FINESS extraction published by the Ministry of Health on data.gouv.fr: « Extraction du
Fichier National des Établissements Sanitaires et Sociaux (FINESS) par établissements », the file
``etalab-cs1100507-stock-<AAAAMMJJ>-<HHMM>.csv`` (docs/directories.md lists the columns).

Semicolon-separated, Latin-1 (ISO-8859-1) as published for years, UTF-8 accepted; a first line
``finess;etalab;<version>;<date>``, then two kinds of lines told by their first field:
``structureet`` (one per geographic site, 32 fields) and ``geolocalisation`` (its Lambert 93
coordinates, 6 fields, not read). The fields have no header: they are found by position.
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
from directories.models import DirectoryEstablishment
from ville_hopital.identifiers import InvalidIdentifier, clean_finess

STRUCTURE, GEOLOCATION = "structureet", "geolocalisation"
STRUCTURE_FIELDS, GEOLOCATION_FIELDS = 32, 6
# Positions (0-based) in a "structureet" line of the fields read.
NOFINESSET, NOFINESSEJ, RS, RSLONGUE = 1, 2, 3, 4
DEPARTEMENT, LIGNEACHEMINEMENT, CATEGETAB, LIBCATEGETAB = 13, 15, 18, 19


def _fields(fields: list[str], expected: int, what: str) -> list[str]:
    # A trailing ";" (some exports end each line with one) adds an empty last field.
    if len(fields) == expected + 1 and fields[-1] == "":
        fields = fields[:-1]
    check_field_count(fields, expected, what)
    return fields


def _finess(fields: list[str], index: int, name: str) -> str:
    raw = fields[index].strip()
    try:
        return clean_finess(raw)
    except InvalidIdentifier as error:
        raise LineInvalid(f"« {name} » « {raw} » n'est pas un numéro FINESS valide ({error.code})") from None


def _structure(fields: list[str]) -> DirectoryEstablishment:
    fields = _fields(fields, STRUCTURE_FIELDS, f"une ligne « {STRUCTURE} »")
    name = check_length(fields[RS], DirectoryEstablishment, "name")
    if not name:
        raise LineInvalid("« rs » (raison sociale) est vide")
    return DirectoryEstablishment(
        finess_et=_finess(fields, NOFINESSET, "nofinesset"),
        finess_ej=_finess(fields, NOFINESSEJ, "nofinessej"),
        name=name,
        long_name=check_length(fields[RSLONGUE], DirectoryEstablishment, "long_name"),
        category_code=check_length(fields[CATEGETAB], DirectoryEstablishment, "category_code"),
        category_label=check_length(fields[LIBCATEGETAB], DirectoryEstablishment, "category_label"),
        departement_code=check_length(fields[DEPARTEMENT], DirectoryEstablishment, "departement_code"),
        postal_line=check_length(fields[LIGNEACHEMINEMENT], DirectoryEstablishment, "postal_line"),
    )


def _parse(fields: list[str]) -> DirectoryEstablishment | None:
    section = fields[0].strip().lower()
    if section == STRUCTURE:
        return _structure(fields)
    if section == GEOLOCATION:
        _fields(fields, GEOLOCATION_FIELDS, f"une ligne « {GEOLOCATION} »")
        return None
    raise LineInvalid(f"ligne de type « {fields[0][:30]} » : « {STRUCTURE} » ou « {GEOLOCATION} » attendu")


def _start(header: list[str]) -> LineParser:
    if [field.strip().lower() for field in header[:2]] != ["finess", "etalab"]:
        raise LineInvalid(
            "en-tête « finess;etalab;… » attendu : est-ce bien l'extraction FINESS etalab-cs1100507-stock "
            "(séparateur ;) ?"
        )
    return _parse


FINESS_FORMAT = DirectoryFormat(
    name="FINESS",
    model=DirectoryEstablishment,
    key_fields=("finess_et",),
    value_fields=("finess_ej", "name", "long_name", "category_code", "category_label", "departement_code", "postal_line"),
    separator=";",
    encodings=("utf-8", "latin-1"),
    start=_start,
)


def finess_import(
    *, path: Path, scan: FileScan | None = None, progress: Callable[[int], None] | None = None
) -> ImportCounts:
    """Import a FINESS etalab-cs1100507 extraction (all or nothing; see ``directories.loading``)."""
    return directory_import(path=path, fmt=FINESS_FORMAT, scan=scan, progress=progress)
