"""Commune search in process, per query, against baselines measured in the same run.

* ``Commune.objects.search(q)[:15]`` (what the autocomplete and the API run) for names typed in
  several ways, postal-code prefixes, INSEE codes and odd input;
* baseline 1: a primary-key lookup on the same table (the cheapest query there is);
* baseline 2: the scan people's input used to need (``unaccent``-less ``icontains`` on the name).

    .venv/bin/python bench/bench_commune_search.py [--database postgres://…] [--repeat 200]

Without ``--database`` it runs on a throw-away SQLite database (the embedded set-up); with one it
uses that PostgreSQL server (a database named ``…_bench_communes`` is created and dropped). Writes
the numbers and the machine to ``docs/bench/commune_search.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = ["mon", "saint denis", "St-Denis", "st étienne", "évry", "48", "34000", "2A004", "97411", "a", "x" * 100]


def setup_django(database: str | None, folder: str) -> None:
    os.environ["DATABASE_URL"] = database or f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ville_hopital.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def timed_ms(function: Callable[[], object], repeat: int) -> float:
    function()  # warm-up: the first call pays for connection and plan caches
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        out.append((time.perf_counter() - started) * 1000)
    return statistics.median(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: a throw-away SQLite file)")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(args.database, folder)
        from django.conf import settings
        from django.db import connection
        from django.test.utils import get_runner

        # A test database of the runner's own kind: created, migrated, dropped at the end.
        runner = get_runner(settings)(verbosity=0, interactive=False)
        old = runner.setup_databases()
        try:
            from territories.models import Commune
            from territories.services import geography_load

            geography_load()
            rows = [("primary-key lookup (baseline 1)", timed_ms(lambda: Commune.objects.filter(pk="48095").first(), args.repeat))]
            rows.append(("name icontains scan, 'saint-denis' (baseline 2)",
                         timed_ms(lambda: list(Commune.objects.filter(name__icontains="saint-denis")[:15]), args.repeat)))
            for query in QUERIES:
                label = query if len(query) < 20 else f"{query[:3]}… ({len(query)} characters)"
                rows.append((f"search {label!r}", timed_ms(lambda q=query: list(Commune.objects.search(q)[:15]), args.repeat)))
            vendor = connection.vendor
        finally:
            runner.teardown_databases(old)
    base = rows[0][1]
    lines = [
        "# Commune search, in process, against same-run baselines",
        "",
        f"`bench/bench_commune_search.py --repeat {args.repeat}` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {vendor}, 34,875 communes; median of {args.repeat} after a warm-up.",
        "",
        "| query | median | × primary-key lookup |",
        "|---|---:|---:|",
        *(f"| {label} | {ms:.2f} ms | {ms / base:.1f}× |" for label, ms in rows),
        "",
        "Target: under 5 ms per search in process.",
    ]
    out = ROOT / "docs" / "bench" / "commune_search.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
