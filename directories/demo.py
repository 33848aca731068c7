"""Demo step: the sample RPPS and FINESS extractions (``directories/data``), in their official formats.

They list the demo's establishments and most demo professionals, so the HR pages show verified
people; a few demo professionals are left out or listed with another profession or family name,
so that the pages also show what an unverified one looks like. Idempotent: a second import of the
same files changes nothing."""

from __future__ import annotations

from pathlib import Path

from directories.finess import finess_import
from directories.rpps import rpps_import
from ville_hopital.demo import DemoContext

DATA_DIR = Path(__file__).resolve().parent / "data"
RPPS_SAMPLE = DATA_DIR / "PS_LibreAcces_Personne_activite_echantillon.txt"
FINESS_SAMPLE = DATA_DIR / "etalab-cs1100507-stock-echantillon.csv"


def seed(ctx: DemoContext) -> None:
    rpps_import(path=RPPS_SAMPLE)
    finess_import(path=FINESS_SAMPLE)
