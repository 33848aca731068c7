"""Loading the vendored geography (Etalab découpage administratif + GeoNames coordinates)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from territories.models import Commune, CommunePostalCode, Departement, Region
from territories.search_keys import search_key

DATA_DIR = Path(__file__).resolve().parent / "data"
BATCH_SIZE = 2000
# What an upsert rewrites on a commune already loaded (everything but its INSEE code).
_FIELDS = ["name", "search_name", "departement", "region", "population", "postal_codes", "latitude", "longitude", "coord_source"]


@dataclass(frozen=True)
class GeographyCounts:
    regions: int
    departements: int
    communes: int


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _commune(row: dict[str, str]) -> Commune:
    return Commune(
        code_insee=row["code_insee"],
        name=row["nom"],
        search_name=search_key(row["nom"]),
        departement_id=row["departement"],
        region_id=row["region"],
        population=int(row["population"] or 0),
        postal_codes=row["codes_postaux"],
        latitude=float(row["latitude"]),
        longitude=float(row["longitude"]),
        coord_source=row["coord_source"],
    )


@transaction.atomic
def geography_load(
    *,
    data_dir: Path = DATA_DIR,
    progress: Callable[[int], None] | None = None,
    only_departements: frozenset[str] | None = None,
) -> GeographyCounts:
    """Insert or update every region, département and commune; safe to run again.

    Upserts (rather than delete + insert) keep the foreign keys of professionals and
    establishments pointing at the same rows. ``only_departements`` loads a subset of communes
    (browser tests reload geography after each flush and need only a few départements).
    """
    regions = [Region(code=r["code"], name=r["nom"]) for r in _rows(data_dir / "regions.csv")]
    Region.objects.bulk_create(regions, update_conflicts=True, unique_fields=["code"], update_fields=["name"])
    departements = [
        Departement(code=r["code"], name=r["nom"], region_id=r["region"]) for r in _rows(data_dir / "departements.csv")
    ]
    Departement.objects.bulk_create(
        departements, update_conflicts=True, unique_fields=["code"], update_fields=["name", "region"]
    )
    batch: list[Commune] = []
    for row in _rows(data_dir / "communes.csv"):
        if only_departements is not None and row["departement"] not in only_departements:
            continue
        batch.append(_commune(row))
        if len(batch) == BATCH_SIZE:
            _write_communes(batch, progress)
            batch = []
    if batch:
        _write_communes(batch, progress)
    if connection.vendor == "postgresql":
        # Fresh statistics after a bulk load, or the planner scans communes for a postal-code search.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Commune._meta.db_table}, {CommunePostalCode._meta.db_table}")
    return GeographyCounts(Region.objects.count(), Departement.objects.count(), Commune.objects.count())


def _write_communes(batch: list[Commune], progress: Callable[[int], None] | None) -> None:
    """Upsert a batch of communes and replace their postal-code rows (a code may have moved)."""
    Commune.objects.bulk_create(batch, update_conflicts=True, unique_fields=["code_insee"], update_fields=_FIELDS)
    CommunePostalCode.objects.filter(commune__in=batch).delete()
    CommunePostalCode.objects.bulk_create(
        CommunePostalCode(commune_id=commune.pk, code=code) for commune in batch for code in set(commune.postal_codes.split())
    )
    if progress:
        progress(len(batch))


def commune_count_in_file(data_dir: Path = DATA_DIR) -> int:
    with (data_dir / "communes.csv").open(encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1
