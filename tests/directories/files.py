"""Extraction files written for a test, in the official formats of the sample files (directories/data)."""

from __future__ import annotations

from pathlib import Path

from directories.demo import FINESS_SAMPLE, RPPS_SAMPLE

RPPS_HEADER = RPPS_SAMPLE.read_text(encoding="utf-8").splitlines()[0].split("|")


def rpps_line(rpps: str, family_name: str, profession: str = "60", first_name: str = "JULIE", kind: str = "8") -> str:
    """One « personne activité » line: every column of the header, those read filled in."""
    values = dict.fromkeys(RPPS_HEADER, "")
    values.update({
        "Type d'identifiant PP": kind, "Identifiant PP": rpps, "Identification nationale PP": kind + rpps,
        "Nom d'exercice": family_name, "Prénom d'exercice": first_name, "Code profession": profession,
        "Libellé profession": "Infirmier" if profession == "60" else "Autre", "Code catégorie professionnelle": "C",
    })
    return "|".join(values[name] for name in RPPS_HEADER)


def rpps_file(directory: Path, lines: list[str], *, name: str = "PS_LibreAcces_Personne_activite_test.txt",
              encoding: str = "utf-8") -> Path:
    path = directory / name
    path.write_bytes(("\n".join(["|".join(RPPS_HEADER), *lines]) + "\n").encode(encoding))
    return path


def finess_line(et: str, ej: str, name: str = "CH DE TEST") -> str:
    fields = ["structureet", et, ej, name, name] + [""] * 27
    fields[13], fields[15], fields[18], fields[19] = et[:2], "48000 MENDE", "355", "Centre Hospitalier (C.H.)"
    return ";".join(fields)


def finess_file(directory: Path, lines: list[str], *, encoding: str = "latin-1") -> Path:
    path = directory / "etalab-cs1100507-stock-test.csv"
    path.write_bytes(("\n".join(["finess;etalab;97;2026-11-02", *lines]) + "\n").encode(encoding))
    return path


def sample_lines(path: Path, encoding: str) -> list[str]:
    return path.read_bytes().decode(encoding).splitlines()


RPPS_SAMPLE_LINES = sample_lines(RPPS_SAMPLE, "utf-8")
FINESS_SAMPLE_LINES = sample_lines(FINESS_SAMPLE, "latin-1")
