"""1,000 shifts in one bulk request of the API (``POST /api/v1/shifts/bulk/``), on PostgreSQL, against
baselines measured in the same run: the same 1,000 shifts as ten bulk requests of 100, and one-off
posts (``POST /api/v1/shifts/``, ``shift_post``) of 100 shifts, per shift. Target: under 2 s for 1,000.

Each request goes through Django's test client (the whole stack but the socket: middleware, session
authentication, parsing, the serializers, ``shifts_post_bulk`` → ``shift_validate`` on every shift →
``bulk_create``, the response rendered), signed in as an HR member, with an ``Idempotency-Key``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vh_bench_bulk .venv/bin/python bench/bench_bulk_shifts.py [--repeat 3]

The database is created (and migrated) when missing; every run posts into establishments of its own.
Writes the figures and the machine to ``docs/bench/bulk_shifts.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vh_bench_bulk")
os.environ["DEBUG"] = "false"  # as in production: no query log kept in memory
os.environ["LOG_LEVEL"] = "WARNING"
os.environ.pop("REDIS_URL", None)  # Celery eager: nothing is queued for these non-urgent shifts anyway
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ville_hopital.settings")


def setup_django() -> None:
    import django
    import psycopg2
    from django.conf import settings

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    name = connection.settings_dict["NAME"]
    dsn = {k: v for k, v in {"host": connection.settings_dict["HOST"], "port": connection.settings_dict["PORT"],
                             "user": connection.settings_dict["USER"],
                             "password": connection.settings_dict["PASSWORD"]}.items() if v}
    admin = psycopg2.connect(dbname="postgres", **dsn)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    setup_test_environment()  # the test client's host is allowed
    call_command("migrate", verbosity=0)
    from territories.models import Commune

    if not Commune.objects.filter(code_insee="48095").exists():
        call_command("load_geography", verbosity=0)
    # The factories number e-mails and FINESS from 1 in each process: past the last run's, in a kept database.
    from django.db.models import Max

    from accounts.models import User
    from tests import factories

    factories._numbers = itertools.count((User.objects.aggregate(top=Max("pk"))["top"] or 0) * 100 + 1)


def shift_rows(unit_id: int, count: int, offset: int = 0) -> list[dict]:
    from tests.factories import in_days

    rows = []
    for i in range(offset, offset + count):
        starts_at = in_days(3 + i % 28) + timedelta(minutes=i // 28)
        rows.append({"unit": unit_id, "profession": "IDE", "starts_at": starts_at.isoformat(),
                     "ends_at": (starts_at + timedelta(hours=12)).isoformat(), "positions": 1, "pay": "300.00"})
    return rows


class Site:
    """An establishment of its own for one measure, its HR member signed in on a test client."""

    def __init__(self, n: int) -> None:
        from django.test import Client

        from establishments.models import MemberRole
        from tests.factories import default_unit, make_establishment, make_user

        self.hr = make_user()
        self.site = make_establishment(members={self.hr: MemberRole.HR}, name=f"Bench bulk {n}", type_code="CH")
        self.unit = default_unit(self.site)
        self.client = Client()
        self.client.force_login(self.hr)
        self.calls = 0

    def post(self, url: str, body) -> dict:
        self.calls += 1
        response = self.client.post(url, json.dumps(body), content_type="application/json",
                                    HTTP_IDEMPOTENCY_KEY=f"bench-{self.site.pk}-{self.calls}")
        assert response.status_code == 201, response.content[:500]
        return response.json()


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def run(repeat: int) -> dict[str, list[float]]:
    from establishments.models import Shift

    results: dict[str, list[float]] = {"bulk_1000": [], "bulk_100x10": [], "single_x100": []}
    for n in range(repeat + 1):  # the first round warms up (imports, caches): not kept
        one = Site(n * 10)
        rows = shift_rows(one.unit.pk, 1000)
        bulk = timed(lambda one=one, rows=rows: one.post("/api/v1/shifts/bulk/", rows))
        assert Shift.objects.filter(establishment=one.site).count() == 1000
        ten = Site(n * 10 + 1)
        rows = shift_rows(ten.unit.pk, 1000)
        tens = timed(lambda ten=ten, rows=rows: [ten.post("/api/v1/shifts/bulk/", rows[i:i + 100])
                                                 for i in range(0, 1000, 100)])
        single = Site(n * 10 + 2)
        rows = shift_rows(single.unit.pk, 100)
        singles = timed(lambda single=single, rows=rows: [single.post("/api/v1/shifts/", row) for row in rows])
        if n:
            results["bulk_1000"].append(bulk)
            results["bulk_100x10"].append(tens)
            results["single_x100"].append(singles)
        print(f"round {n}{' (warm-up)' if not n else ''}: bulk 1,000 {bulk:.2f} s; 10 × 100 {tens:.2f} s; "
              f"100 one-off posts {singles:.2f} s")
    return results


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown CPU"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")


def write_report(results: dict[str, list[float]], out: Path, repeat: int) -> None:
    from django.db import connection

    bulk = statistics.median(results["bulk_1000"])
    tens = statistics.median(results["bulk_100x10"])
    single = statistics.median(results["single_x100"]) / 100
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# 1,000 shifts in one bulk API request, against same-run baselines",
        "",
        f"`bench/bench_bulk_shifts.py --repeat {repeat}` on {platform.machine()} "
        f"({cpu_model()}), {os.cpu_count()} cores shared with other jobs (load {load:.1f} "
        f"at the end), Python {platform.python_version()}, PostgreSQL {version} on the same machine; "
        f"Django's test client (the whole stack but the socket), signed in as HR, with an `Idempotency-Key`; "
        f"median of {repeat} after one warm-up round. Target: under 2 s for 1,000 shifts.",
        "",
        "| measured | median | per shift |",
        "|---|---:|---:|",
        f"| `POST /api/v1/shifts/bulk/`, 1,000 shifts in one request | {bulk * 1000:.0f} ms | {bulk:.2f} ms |",
        f"| baseline: the same 1,000 as 10 bulk requests of 100 | {tens * 1000:.0f} ms | {tens:.2f} ms |",
        f"| baseline: one-off `POST /api/v1/shifts/` (`shift_post`), 100 requests | {single * 100 * 1000:.0f} ms "
        f"| {single * 1000:.1f} ms |",
        "",
        f"One bulk request of 1,000 posts {single * 1000 / bulk:.0f}× faster than 1,000 one-off posts would "
        f"(extrapolated from the 100 measured: {single * 1000:.1f} s), and "
        f"{'within' if bulk < 2 else 'OVER'} the 2 s target.",
        "",
        "Why it is fast: every shift goes through `shift_validate` (the posting form's rules, the legal cap) "
        "with one `ReferenceCache` per request (each cap and contract route read once per distinct question), "
        "the units, professions, skills and communes the rows name are loaded in four queries "
        "(`establishments.api.ShiftReferences`), the shifts are written by one `bulk_create` "
        "(`establishments.services.save_drafts`, as the CSV import), and the answer is their ids in the rows' "
        "order: rendering the 1,000 shifts in the answer (as first written) took longer than posting them, "
        "4.0 s in all on the same loaded machine.",
    ]
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench" / "bulk_shifts.md"))
    args = parser.parse_args()
    setup_django()
    write_report(run(args.repeat), Path(args.out), args.repeat)


if __name__ == "__main__":
    main()
