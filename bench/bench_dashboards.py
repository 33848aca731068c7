"""Benchmark of the ARS dashboards at national scale.

    .venv/bin/python bench/bench_dashboards.py                 # full: ≥ 2 M booked missions, 500 k professionals
    .venv/bin/python bench/bench_dashboards.py --scale 0.02    # a quick dry run
    .venv/bin/python bench/bench_dashboards.py --skip-generate  # measure again on the existing database

1. (Re)creates a dedicated PostgreSQL database (``vh_bench_dash`` by default), migrates it and loads
   the geography (35,000 communes).
2. Generates one year of national activity with NumPy and ``COPY`` (psycopg2 ``copy_expert``):
   establishments (CHU/CH/ESPIC/clinics/EHPAD/mobile units, placed on communes weighted by
   population), professionals and their users, availability slots for the coming 60 days, shifts
   from 335 days ago to 30 days ahead and their missions (done in the past, booked in the
   future, some cancelled by either side). Rows of every model are written through the model's own
   field list, so a field added by another app later gets its default.
3. Builds the aggregates (``aggregates_rebuild`` + ``availability_refresh``) and times it, and
   times one incremental refresh (the on-commit hook's work).
4. Measures every dashboard page and one export per page with Django's test ``Client`` (in
   process: the figure is the application + database time, without a web server in front), as an
   ARS agent of the largest region and as platform staff on the national view: p50/p95 over
   ``--requests`` requests after warm-up, and the page's query count.
5. Writes the numbers to ``docs/bench/dashboards.md``.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROFESSION_WEIGHTS = {"60": 0.45, "10": 0.2, "70": 0.12, "35": 0.1, "50": 0.04, "69": 0.03, "98": 0.03, "21": 0.02, "40": 0.01}
TYPE_WEIGHTS = {"CHU": 0.02, "CH": 0.12, "ESPIC": 0.06, "CLINIQUE": 0.10, "EHPAD": 0.68, "MOBILE": 0.02}
TYPE_SIZE = {"CHU": 40.0, "CH": 10.0, "ESPIC": 5.0, "CLINIQUE": 5.0, "EHPAD": 1.0, "MOBILE": 2.0}
CHUNK = 250_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="vh_bench_dash")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 2.2 M missions, 500 k professionals")
    parser.add_argument("--requests", type=int, default=30, help="measured requests per page")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="with --skip-generate: rebuild the aggregates")
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench" / "dashboards.md"))
    return parser.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@{ARGS.host}:5432/{ARGS.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ville_hopital.settings")
    os.environ["DEBUG"] = "false"
    os.environ.pop("REDIS_URL", None)  # Celery eager, local-memory cache: nothing else on the path


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", flush=True)


# --- database -------------------------------------------------------------------------------
def recreate_database(name: str, host: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host=host, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def _text(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def copy_model(cursor, model, n: int, columns: dict) -> None:
    """COPY ``n`` rows into ``model``'s table. ``columns`` maps attnames to a list/array of n
    values (already text, or numbers) or to one constant; other fields take their default."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        names.append(field.column)
        if field.attname in columns:
            value = columns[field.attname]
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        elif field.empty_strings_allowed and field.blank:
            value = ""
        else:
            raise ValueError(f"{model.__name__}.{field.attname} needs a value")
        if isinstance(value, np.ndarray):
            value = value.astype(str).tolist()
        if isinstance(value, list):
            if len(value) != n:
                raise ValueError(f"{model.__name__}.{field.attname}: {len(value)} values for {n} rows")
            values.append(value)
        else:
            values.append(itertools.repeat(_text(value), n))
    table = model._meta.db_table
    quoted = ", ".join(f'"{c}"' for c in names)
    sql = f'COPY "{table}" ({quoted}) FROM STDIN'
    rows = zip(*values, strict=False)
    for start in range(0, n, CHUNK):
        chunk = itertools.islice(rows, min(CHUNK, n - start))
        buffer = io.StringIO("\n".join(map("\t".join, chunk)) + "\n")
        cursor.copy_expert(sql, buffer)
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")


def iso(seconds: np.ndarray) -> list[str]:
    return [s + "+00" for s in np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").tolist()]


# --- generation -----------------------------------------------------------------------------
def generate(scale: float, seed: int) -> dict:
    from django.db import connection, transaction

    from accounts.models import ArsStaff, User
    from establishments.models import Establishment, Shift, Unit
    from missions.core.models import Mission
    from professionals.models import Availability, Professional
    from reference.models import ContractRoute, RouteKind
    from territories.models import Commune, Region

    rng = np.random.default_rng(seed)
    n_pros = int(500_000 * scale)
    n_estabs = max(int(10_000 * scale), 60)
    target_missions = int(2_200_000 * scale)
    today = date.today()
    first_day = today - timedelta(days=335)
    n_days = 366

    communes = list(Commune.objects.values_list("code_insee", "departement_id", "population"))
    codes = np.array([c[0] for c in communes])
    deps = np.array([c[1] for c in communes])
    weights = np.array([max(c[2], 50) for c in communes], dtype=float)
    weights /= weights.sum()
    by_dep = {d: codes[deps == d] for d in np.unique(deps)}
    code_dep = dict(zip(codes.tolist(), deps.tolist(), strict=True))
    dep_fill = {d: rng.uniform(0.55, 0.95) for d in by_dep}
    stats = {}
    password = "!unusable"  # noqa: S105 - Django's marker of an unusable password
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # bulk load: no FK triggers
        t0 = time.perf_counter()
        # Users: one per professional, plus staff, HR author and one ARS agent per region.
        regions = list(Region.objects.values_list("code", flat=True))
        n_users = n_pros + 2 + len(regions)
        emails = [f"pro{i}@bench.invalid" for i in range(n_pros)] + ["staff@bench.invalid", "hr@bench.invalid"] + [
            f"ars{r}@bench.invalid" for r in regions
        ]
        copy_model(cursor, User, n_users, {
            "id": np.arange(1, n_users + 1), "email": emails, "password": password,
            "is_staff": [("t" if e == "staff@bench.invalid" else "f") for e in emails],
            "is_superuser": False, "date_joined": datetime(2025, 1, 1).isoformat() + "+00",
        })
        hr_id = n_pros + 2
        ArsStaff.objects.bulk_create(
            [ArsStaff(user_id=n_pros + 3 + i, region_id=r) for i, r in enumerate(regions)]
        )
        # Establishments and one unit each.
        types = np.array(list(TYPE_WEIGHTS))
        e_type = rng.choice(types, size=n_estabs, p=np.array(list(TYPE_WEIGHTS.values())))
        e_commune = rng.choice(codes, size=n_estabs, p=weights)
        finess = [f"{i:09d}" for i in range(1, n_estabs + 1)]
        copy_model(cursor, Establishment, n_estabs, {
            "id": np.arange(1, n_estabs + 1), "finess_geo": finess, "finess_legal": finess,
            "name": [f"{t} {i}" for i, t in enumerate(e_type.tolist(), start=1)], "type_id": e_type,
            "commune_id": e_commune, "address": "1 rue de l'Hôpital", "status": "verified",
            "created_at": "2025-01-01T00:00:00+00",
        })
        copy_model(cursor, Unit, n_estabs, {
            "id": np.arange(1, n_estabs + 1), "establishment_id": np.arange(1, n_estabs + 1), "name": "Renfort",
        })
        # Professionals.
        professions = np.array(list(PROFESSION_WEIGHTS))
        p_prof = rng.choice(professions, size=n_pros, p=np.array(list(PROFESSION_WEIGHTS.values())))
        p_commune = rng.choice(codes, size=n_pros, p=weights)
        copy_model(cursor, Professional, n_pros, {
            "id": np.arange(1, n_pros + 1), "user_id": np.arange(1, n_pros + 1),
            "rpps": [f"1{i:010d}" for i in range(n_pros)], "profession_id": p_prof, "home_commune_id": p_commune,
            "calendar_token": [f"bench{i}" for i in range(n_pros)], "created_at": "2025-01-01T00:00:00+00",
        })
        stats["professionals"] = n_pros
        # Availability: 8 slots over the next 60 days, a week apart (distinct by construction).
        offsets = rng.integers(0, 60, size=n_pros)
        avail_pro = np.repeat(np.arange(1, n_pros + 1), 8)
        avail_day = (np.repeat(offsets, 8) + np.tile(np.arange(8) * 7, n_pros)) % 60
        day_strings = np.array([(today + timedelta(days=int(d))).isoformat() for d in range(60)])
        n_avail = len(avail_pro)
        copy_model(cursor, Availability, n_avail, {
            "id": np.arange(1, n_avail + 1), "professional_id": avail_pro, "day": day_strings[avail_day],
            "slot": rng.choice(np.array(["D", "N"]), size=n_avail),
        })
        stats["availability"] = n_avail
        # Shifts.
        allowed = {}
        for r in ContractRoute.objects.exclude(kind=RouteKind.FORBIDDEN).values_list("establishment_type_id", "profession_id", "kind"):
            allowed.setdefault(r[0], []).append((r[1], r[2]))
        size = np.array([TYPE_SIZE[t] for t in e_type.tolist()])
        mean_positions, mean_fill = 1.35, 0.78
        n_shifts = int(target_missions / (mean_positions * mean_fill))
        s_estab = rng.choice(np.arange(n_estabs), size=n_shifts, p=size / size.sum())
        s_type = e_type[s_estab]
        s_prof = np.empty(n_shifts, dtype=object)
        s_route = np.empty(n_shifts, dtype=object)
        for t in TYPE_WEIGHTS:
            mask = s_type == t
            options = [p for p in allowed.get(t, []) if p[0] in PROFESSION_WEIGHTS]
            w = np.array([PROFESSION_WEIGHTS[p[0]] for p in options])
            pick = rng.choice(len(options), size=int(mask.sum()), p=w / w.sum())
            s_prof[mask] = np.array([o[0] for o in options])[pick]
            s_route[mask] = np.array([o[1] for o in options])[pick]
        s_day = rng.integers(0, n_days, size=n_shifts)
        night = rng.random(n_shifts) < 0.3
        epoch0 = int(datetime(first_day.year, first_day.month, first_day.day).timestamp()) - 3600
        s_start = epoch0 + s_day * 86400 + np.where(night, 20, 8) * 3600
        s_hours = rng.choice(np.array([8, 10, 12, 12, 12, 24]), size=n_shifts)
        s_end = s_start + s_hours * 3600
        s_created = s_start - rng.integers(2 * 3600, 30 * 86400, size=n_shifts)
        s_positions = np.minimum(rng.geometric(0.75, size=n_shifts), 5)
        s_location = e_commune[s_estab].copy()
        mobile = np.where(s_type == "MOBILE")[0]
        for i in mobile:  # a mobile unit parks somewhere in its département
            pool = by_dep[code_dep[s_location[i]]]
            s_location[i] = pool[rng.integers(0, len(pool))]
        s_state = np.where(rng.random(n_shifts) < 0.02, "cancelled", "published")
        copy_model(cursor, Shift, n_shifts, {
            "id": np.arange(1, n_shifts + 1), "establishment_id": s_estab + 1, "unit_id": s_estab + 1,
            "profession_id": s_prof.astype(str), "starts_at": iso(s_start), "ends_at": iso(s_end),
            "positions": s_positions, "urgent": np.where(rng.random(n_shifts) < 0.12, "t", "f"),
            "pay": (s_hours * 50).astype(str), "contract_route": s_route.astype(str), "location_id": s_location,
            "state": s_state, "created_by_id": hr_id, "created_at": iso(s_created),
        })
        stats["shifts"] = n_shifts
        # Missions: each position filled with the département's probability (less for the future).
        s_dep = np.array([code_dep[c] for c in s_location.tolist()])
        p_fill = np.array([dep_fill[d] for d in s_dep.tolist()])
        future = s_start > time.time()
        p_fill = np.where(future, p_fill * 0.7, p_fill)
        pools = {p: np.where(p_prof == p)[0] + 1 for p in PROFESSION_WEIGHTS}
        m_shift, m_position = [], []
        for k in range(1, 6):
            has = (s_positions >= k) & (rng.random(n_shifts) < p_fill)
            idx = np.where(has)[0]
            m_shift.append(idx)
            m_position.append(np.full(len(idx), k))
        m_shift = np.concatenate(m_shift)
        m_position = np.concatenate(m_position)
        # A professional per mission: consecutive members of the profession's pool from a random
        # base per shift, so the positions of one shift never share a professional.
        base = rng.integers(0, 1 << 30, size=n_shifts)
        m_pro = np.empty(len(m_shift), dtype=np.int64)
        m_prof = s_prof[m_shift]
        for p, pool in pools.items():
            mask = m_prof == p
            m_pro[mask] = pool[(base[m_shift[mask]] + m_position[mask]) % len(pool)]
        n_active = len(m_shift)
        # Cancelled bookings on top (5 % of shifts, position 1, another professional).
        c_shift = np.where(rng.random(n_shifts) < 0.05)[0]
        c_pro = np.empty(len(c_shift), dtype=np.int64)
        for p, pool in pools.items():
            mask = s_prof[c_shift] == p
            c_pro[mask] = pool[(base[c_shift[mask]] + 7) % len(pool)]
        all_shift = np.concatenate([m_shift, c_shift])
        n_missions = len(all_shift)
        past = s_end[all_shift] < time.time()
        state = np.where(past, np.where(rng.random(n_missions) < 0.98, "done", "no_show"), "booked").astype(object)
        state[n_active:] = "cancelled"
        cancelled_by = np.full(n_missions, "", dtype=object)
        cancelled_by[n_active:] = rng.choice(np.array(["professional", "establishment", "platform"]), size=n_missions - n_active, p=[0.5, 0.4, 0.1])
        lead = s_start[all_shift] - s_created[all_shift]
        booked = s_created[all_shift] + (rng.random(n_missions) * rng.random(n_missions) * lead).astype(np.int64)
        closed = np.where(state == "booked", None, iso(np.maximum(s_end[all_shift], booked)))
        copy_model(cursor, Mission, n_missions, {
            "id": np.arange(1, n_missions + 1), "shift_id": all_shift + 1,
            "position": np.concatenate([m_position, np.ones(len(c_shift), dtype=np.int64)]),
            "professional_id": np.concatenate([m_pro, c_pro]), "state": state,
            "pay": (s_hours[all_shift] * 50).astype(str), "starts_at": iso(s_start[all_shift]),
            "ends_at": iso(s_end[all_shift]), "distance_km": np.round(rng.lognormal(2.6, 0.7, n_missions).clip(0.5, 400), 1),
            "booked_at": iso(booked), "closed_at": [r"\N" if c is None else c for c in closed.tolist()],
            "cancelled_by": cancelled_by.astype(str),
        })
        stats["missions_active"] = n_active
        stats["missions_cancelled"] = n_missions - n_active
        stats["establishments"] = n_estabs
        stats["generate_s"] = time.perf_counter() - t0
        cursor.execute("SET session_replication_role = DEFAULT")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return stats


# --- measurement ----------------------------------------------------------------------------
def timed(client, url: str, n: int) -> tuple[float, float, int]:
    from django.db import connection

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p95 = samples[max(0, round(0.95 * len(samples)) - 1)]
    return statistics.median(samples), p95, len(executed)


def measure(n: int) -> list[tuple]:
    from django.conf import settings
    from django.core import signals
    from django.db import close_old_connections
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from accounts.models import ArsStaff, User
    from establishments.models import Shift

    biggest = (
        Shift.objects.values("location__region_id").annotate(n=Count("id")).order_by("-n").first()["location__region_id"]
    )
    dep = Shift.objects.filter(location__region_id=biggest).values_list("location__departement_id", flat=True).first()
    ars = ArsStaff.objects.select_related("user").get(region_id=biggest).user
    staff = User.objects.get(email="staff@bench.invalid")
    # A served site keeps its connections (CONN_MAX_AGE in production): no reconnection per request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    results = []
    for who, user, scope in (("ARS " + biggest, ars, biggest), ("staff", staff, "fr")):
        client = Client()
        client.force_login(user)
        year = f"?start={(date.today() - timedelta(days=335)).isoformat()}&end={(date.today() + timedelta(days=30)).isoformat()}"
        pages = [
            ("overview", reverse("dashboards:overview", args=[scope]), n),
            ("overview, département filter", reverse("dashboards:overview", args=[scope]) + f"?departement={dep}", n),
            ("overview, 1 year", reverse("dashboards:overview", args=[scope]) + year, max(3, n // 4)),
            ("establishments", reverse("dashboards:establishments", args=[scope]), n),
            ("shortages", reverse("dashboards:shortages", args=[scope]), n),
            ("export departements.csv", reverse("dashboards:export", args=[scope, "departements", "csv"]), n),
            ("export etablissements.xlsx", reverse("dashboards:export", args=[scope, "etablissements", "xlsx"]), max(3, n // 4)),
        ]
        for name, url, count in pages:
            settings.DASHBOARDS_CACHE_SECONDS = 0  # cold: every request computes from the aggregates
            p50, p95, queries = timed(client, url, count)
            settings.DASHBOARDS_CACHE_SECONDS = 300  # warm: the page cache (Redis in production)
            w50, w95, _q = timed(client, url, count)
            results.append((who, name, p50, p95, w50, w95, queries, count))
            log(f"{who:10} {name:30} cold p50 {p50:7.1f} p95 {p95:7.1f} ms ({queries} queries)  warm p95 {w95:6.1f} ms")
    return results


def main() -> None:
    args = ARGS
    started = time.perf_counter()
    if not args.skip_generate:
        log(f"recreating database {args.db}")
        recreate_database(args.db, args.host)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from dashboards.services import aggregates_rebuild, aggregates_refresh, availability_refresh
    from missions.core.models import Mission
    from territories.services import geography_load

    stats: dict = {}
    log("migrating")
    call_command("migrate", verbosity=0)
    if not args.skip_generate:
        geography_load()
        log("generating with COPY")
        stats = generate(args.scale, args.seed)
        log(f"generated {stats}")
    if not args.skip_generate or args.rebuild:
        t = time.perf_counter()
        aggregates_rebuild()
        stats["rebuild_s"] = time.perf_counter() - t
        t = time.perf_counter()
        availability_refresh(days=60)
        stats["availability_s"] = time.perf_counter() - t
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does on a live database: index-only scans
        log(f"aggregates built in {stats['rebuild_s']:.1f} s (+ availability {stats['availability_s']:.1f} s)")
    mission = Mission.objects.select_related("shift").order_by("-id").first()
    t = time.perf_counter()
    aggregates_refresh(days=[mission.shift.starts_at.date()], establishments=[mission.shift.establishment_id])
    stats["hook_refresh_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    aggregates_refresh(days=[mission.shift.starts_at.date()])
    stats["day_refresh_ms"] = (time.perf_counter() - t) * 1000
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM missions_mission WHERE state <> 'cancelled'),"
            " (SELECT count(*) FROM missions_mission), (SELECT count(*) FROM professionals_professional),"
            " (SELECT count(*) FROM dashboards_dailyfill), (SELECT count(*) FROM dashboards_dailyfillarea),"
            " (SELECT count(*) FROM dashboards_professionalday), (SELECT count(*) FROM establishments_shift)"
        )
        counts = dict(zip(["booked", "missions", "professionals", "dailyfill", "dailyfillarea", "professionalday", "shifts"],
                          cursor.fetchone(), strict=True))
    log(f"counts {counts}")
    results = measure(args.requests)
    write_report(Path(args.out), args, stats, counts, results, time.perf_counter() - started)


def write_report(path: Path, args, stats: dict, counts: dict, results, total_s: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pg = subprocess.run(["psql", "-h", args.host, "-U", "postgres", "-Atc", "show server_version"],
                        capture_output=True, text=True, check=False).stdout.strip()
    worst = max(r[3] for r in results)
    worst_warm = max(r[5] for r in results)
    lines = [
        "# ARS dashboards — benchmark at national scale",
        "",
        f"Run on {date.today().isoformat()} by `bench/bench_dashboards.py --scale {args.scale} --requests {args.requests}`"
        f" ({os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, PostgreSQL {pg};"
        " the machine was shared with other work during the run).",
        "",
        "## Data",
        "",
        "| what | rows |",
        "|---|---:|",
        *(f"| {k} | {v:,} |" for k, v in counts.items()),
        "",
        "booked = missions booked, done or no-show (one year: 335 days back to 30 days ahead); missions include"
        " cancelled ones. `dailyfill`, `dailyfillarea` and `professionalday` are the aggregates.",
        "",
    ]
    if stats.get("generate_s"):
        lines.append(f"- generation with COPY: {stats['generate_s']:.0f} s")
    if stats.get("rebuild_s"):
        lines += [
            f"- full aggregate rebuild (`aggregates_rebuild`, nightly): {stats['rebuild_s']:.0f} s;"
            f" availability counts for 60 days: {stats['availability_s']:.1f} s",
        ]
    lines += [
        f"- refresh after one mission change (one day × one establishment, the on-commit hook): {stats['hook_refresh_ms']:.0f} ms",
        f"- refresh of one whole day (all establishments): {stats['day_refresh_ms']:.0f} ms",
        "",
        f"## Pages ({args.requests} requests each after 2 warm-up requests; Django test client, in process)",
        "",
        "*Cold*: the page cache off, every request computes its figures from the aggregate tables. *Warm*: the"
        " page cache on (keyed by the aggregates' version, so never stale). n requests of each (after 2 warm-up"
        " requests).",
        "",
        "| user | page | cold p50 (ms) | cold p95 (ms) | n | warm p50 (ms) | warm p95 (ms) | queries (cold) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {who} | {name} | {p50:.0f} | {p95:.0f} | {count} | {w50:.0f} | {w95:.0f} | {q} |"
            for who, name, p50, p95, w50, w95, q, count in results
        ),
        "",
        f"Worst cold p95: **{worst:.0f} ms**; worst warm p95: **{worst_warm:.0f} ms** (target < 300 ms)."
        " Default period: last 30 days + next 30 days.",
        f"Total run time: {total_s / 60:.1f} min.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
