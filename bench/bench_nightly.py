"""The nightly matching of a 50,000-professional region, PostgreSQL → proposals written (target < 60 s).

Builds (once, deterministic for a seed) a bench database with the real communes of Occitanie
(region 76): professionals placed by population, about 4 declared slots a month each, insurance,
blocks, missions already booked, and about 20,000 open positions in ~600 establishments. Then runs
``missions.platform.services.matching.matching_run_region`` — the same code as the Celery task — and writes
the measured durations to ``docs/bench/nightly.md``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vh_bench_nightly \\
        .venv/bin/python bench/bench_nightly.py [--pros 50000] [--repeat 2] [--regenerate]

Between repeats the proposals of the previous run are deleted, so every repeat starts from the
same open positions.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vh_bench_nightly")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ville_hopital.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

REGION = "76"
SEED = 2026
BATCH = 10_000
# (profession code, share, {skill: probability})
PROFESSIONS = [
    ("60", 0.40, {"SI06": 0.05, "SI07": 0.04, "SI08": 0.05}),
    ("35", 0.20, {}),
    ("70", 0.14, {}),
    ("10", 0.13, {"SM54": 0.5, "SM59": 0.2, "SM02": 0.05, "SM18": 0.05, "SM40": 0.04}),
    ("50", 0.05, {}),
    ("98", 0.04, {}),
    ("69", 0.04, {}),
]
# (establishment type, count, {profession: weight of its shifts})
TYPES = [
    ("CHU", 3, {"60": 4, "35": 2, "10": 2, "98": 1, "50": 1}),
    ("CH", 80, {"60": 4, "35": 2, "10": 1, "98": 0.5, "50": 0.5, "69": 0.5}),
    ("ESPIC", 40, {"60": 3, "35": 2, "10": 0.5, "70": 0.5}),
    ("CLINIQUE", 90, {"60": 3, "35": 1, "10": 1, "70": 1, "98": 0.5}),
    ("EHPAD", 380, {"60": 2, "35": 3, "70": 1}),
    ("MOBILE", 7, {"10": 2, "60": 2}),
]
TARGET_POSITIONS_PER_PRO = 0.4  # ≈ 20,000 positions for 50,000 professionals (national ≈200,000 / 505,000)


def _ensure_database(url: str) -> None:
    import psycopg2

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def _setup() -> None:
    import django

    _ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from territories.models import Commune
    from territories.services import geography_load

    if not Commune.objects.exists():
        geography_load()


def declare_availability(rng: np.random.Generator, pro_ids: np.ndarray, first_day: date, *, days: int = 30,
                         mean_slots: float = 4.0) -> int:
    """Each professional declares about ``mean_slots`` half-day slots (Poisson) among the ``days`` days
    from ``first_day``; return how many were written (a slot declared already is kept)."""
    from professionals.models import Availability

    half_days = 2 * days
    avail = []
    n_slots = rng.poisson(mean_slots, size=len(pro_ids))
    for i in range(len(pro_ids)):
        picks = rng.choice(half_days, size=min(int(n_slots[i]), half_days), replace=False)
        for k in picks.tolist():
            avail.append(Availability(professional_id=int(pro_ids[i]), day=first_day + timedelta(days=k // 2),
                                      slot="N" if k % 2 else "D"))
    Availability.objects.bulk_create(avail, batch_size=BATCH, ignore_conflicts=True)
    return len(avail)


def generate(n_pros: int, start: date) -> dict:
    """Insert the bench data (bulk); return the counts."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from establishments.models import Establishment, EstablishmentStatus, Shift, Unit
    from missions.core.models import EstablishmentBlock, Mission
    from professionals.models import Credential, CredentialKind, Professional
    from reference.models import ContractRoute
    from territories.models import Commune

    rng = np.random.default_rng(SEED)
    communes = list(Commune.objects.filter(region_id=REGION).values_list("code_insee", "population"))
    codes = np.array([c for c, _ in communes])
    weight = np.array([max(p, 50) for _, p in communes], dtype=np.float64)
    weight /= weight.sum()
    routes = dict(
        ((p, t), k) for p, t, k in ContractRoute.objects.values_list("profession_id", "establishment_type_id", "kind")
    )
    with transaction.atomic():
        unusable = make_password(None)
        hr = User.objects.create(email="bench-rh@example.org", password=unusable)
        # --- professionals ---------------------------------------------------------------------
        users = [User(email=f"bench-pro-{i}@example.org", password=unusable) for i in range(n_pros)]
        User.objects.bulk_create(users, batch_size=BATCH)
        user_ids = list(User.objects.filter(email__startswith="bench-pro-").order_by("pk").values_list("pk", flat=True))
        prof_codes = [p for p, _, _ in PROFESSIONS]
        share = np.array([s for _, s, _ in PROFESSIONS])
        prof = rng.choice(len(PROFESSIONS), size=n_pros, p=share / share.sum())
        homes = rng.choice(codes, size=n_pros, p=weight)
        radius = rng.choice([10, 20, 30, 40, 50, 60, 80], size=n_pros, p=[0.1, 0.2, 0.25, 0.2, 0.12, 0.08, 0.05])
        max_missions = rng.integers(2, 9, size=n_pros)
        notice = rng.choice([0, 12, 24, 48], size=n_pros, p=[0.2, 0.2, 0.5, 0.1])
        pros = [
            Professional(user_id=user_ids[i], rpps=f"9{i:010d}", profession_id=prof_codes[prof[i]],
                         home_commune_id=str(homes[i]), radius_km=int(radius[i]),
                         max_missions_per_month=int(max_missions[i]), min_notice_hours=int(notice[i]))
            for i in range(n_pros)
        ]
        Professional.objects.bulk_create(pros, batch_size=BATCH)
        pro_ids = np.array(
            Professional.objects.filter(rpps__startswith="9").order_by("pk").values_list("pk", flat=True)
        )
        skill_rows = []
        through = Professional.skills.through
        for i in range(n_pros):
            for code, prob in PROFESSIONS[prof[i]][2].items():
                if rng.random() < prob:
                    skill_rows.append(through(professional_id=int(pro_ids[i]), skill_id=code))
        through.objects.bulk_create(skill_rows, batch_size=BATCH)
        insured = rng.random(n_pros) < 0.97
        Credential.objects.bulk_create(
            [Credential(professional_id=int(pro_ids[i]), kind=CredentialKind.INSURANCE, file="bench.pdf",
                        original_name="rcp.pdf", content_type="application/pdf", size=1,
                        expires_on=start + timedelta(days=365))
             for i in range(n_pros) if insured[i]],
            batch_size=BATCH,
        )
        n_avail = declare_availability(rng, pro_ids, start)
        # --- establishments and shifts ---------------------------------------------------------
        ests, est_kind = [], []
        n = 0
        for code, count, _mix in TYPES:
            for _ in range(count):
                n += 1
                ests.append(Establishment(
                    finess_geo=f"B{n:08d}", finess_legal=f"B{n:08d}", name=f"Bench {code} {n}", type_id=code,
                    commune_id=str(rng.choice(codes, p=weight)), address="bench",
                    status=EstablishmentStatus.VERIFIED,
                ))
                est_kind.append(code)
        Establishment.objects.bulk_create(ests, batch_size=BATCH)
        ests = list(Establishment.objects.filter(finess_geo__startswith="B").order_by("pk"))
        Unit.objects.bulk_create([Unit(establishment=e, name="Service") for e in ests], batch_size=BATCH)
        unit_of = dict(Unit.objects.filter(establishment__in=ests).values_list("establishment_id", "pk"))
        size = np.array([{"CHU": 40, "CH": 8, "ESPIC": 4, "CLINIQUE": 3, "EHPAD": 1, "MOBILE": 2}[k]
                         for k in est_kind], dtype=np.float64)
        size /= size.sum()
        target = int(n_pros * TARGET_POSITIONS_PER_PRO)
        shifts, positions = [], 0
        mix = {code: m for code, _c, m in TYPES}
        while positions < target:
            e = int(rng.choice(len(ests), p=size))
            est = ests[e]
            m = mix[est_kind[e]]
            p_codes, p_w = list(m), np.array(list(m.values()))
            profession = p_codes[int(rng.choice(len(p_codes), p=p_w / p_w.sum()))]
            day = int(rng.integers(0, 30))
            night = rng.random() < 0.3
            starts = timezone.make_aware(datetime.combine(start + timedelta(days=day), datetime.min.time())) + timedelta(
                hours=20 if night else 8)
            k = int(rng.choice([1, 2, 3], p=[0.65, 0.25, 0.10]))
            location = est.commune_id if est_kind[e] != "MOBILE" else str(rng.choice(codes, p=weight))
            shifts.append(Shift(
                establishment=est, unit_id=unit_of[est.pk], profession_id=profession, starts_at=starts,
                ends_at=starts + timedelta(hours=12), positions=k, urgency=int(rng.integers(1, 6)),
                urgent=day < 2, pay=Decimal("400.00"), contract_route=routes[(profession, est_kind[e])],
                location_id=location, created_by=hr,
            ))
            positions += k
        Shift.objects.bulk_create(shifts, batch_size=BATCH)
        shift_rows = list(Shift.objects.filter(establishment__in=ests).values_list(
            "pk", "profession_id", "starts_at", "ends_at", "establishment_id"))
        # --- missions already booked (5 %) and blocks ------------------------------------------
        by_prof: dict[str, np.ndarray] = {c: pro_ids[prof == j] for j, c in enumerate(prof_codes)}
        missions = []
        for pk, profession, s_at, e_at, _est in [shift_rows[i] for i in rng.choice(len(shift_rows),
                                                                                   size=len(shift_rows) // 20,
                                                                                   replace=False)]:
            who = int(rng.choice(by_prof[profession]))
            missions.append(Mission(shift_id=pk, position=1, professional_id=who, pay=Decimal("400.00"),
                                    starts_at=s_at, ends_at=e_at, distance_km=Decimal("10.0")))
        Mission.objects.bulk_create(missions, batch_size=BATCH, ignore_conflicts=True)
        EstablishmentBlock.objects.bulk_create(
            [EstablishmentBlock(establishment=ests[int(rng.integers(len(ests)))],
                                professional_id=int(rng.choice(pro_ids)), created_by=hr) for _ in range(300)],
            ignore_conflicts=True,
        )
    return {"pros": n_pros, "availability": n_avail, "establishments": len(ests), "shifts": len(shifts),
            "positions": positions, "missions": len(missions)}


def ensure_data(n_pros: int, start: date, *, regenerate: bool = False) -> None:
    """Generate the bench data unless it is there already (``regenerate``: flush it and start again)."""
    from accounts.models import User

    if not regenerate and User.objects.filter(email="bench-rh@example.org").exists():
        return
    from django.apps import apps
    from django.core.management import call_command

    from reference.loading import load_reference_data
    from territories.services import geography_load

    call_command("flush", interactive=False, verbosity=0)
    load_reference_data(apps)
    geography_load()
    t0 = time.perf_counter()
    counts = generate(n_pros, start)
    print(f"generated in {time.perf_counter() - t0:.1f} s: {counts}", flush=True)


def run_once(start: date):
    from django.db import connection

    from missions.core.models import MatchingRun, MatchingRunKind, Proposal
    from missions.platform.services.matching import matching_run_region
    from notifications.models import Notification

    Proposal.objects.filter(matching_run_id__isnull=False).delete()
    # The audit rows of earlier rounds stay: the trail is append-only (a database trigger).
    Notification.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    t0, c0 = time.perf_counter(), time.process_time()
    run = matching_run_region(region_code=REGION, start=start, kind=MatchingRunKind.MANUAL)
    total = time.perf_counter() - t0
    run.cpu_seconds = time.process_time() - c0
    run.load_average = os.getloadavg()[0]
    assert MatchingRun.objects.get(pk=run.pk).proposals_written == Proposal.objects.filter(matching_run_id=run.pk).count()
    return run, total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pros", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--regenerate", action="store_true", help="drop the bench data and generate it again")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench" / "nightly.md")
    args = parser.parse_args(argv)
    _setup()
    from django.utils import timezone

    from ville_hopital.celery import app as celery_app

    # Production queues the follow-up tasks (notifications) on the broker after the commit; without a
    # broker here, keep them queued in memory instead of running them eagerly inside the measure.
    celery_app.conf.task_always_eager = False

    start = timezone.localdate() + timedelta(days=1)
    ensure_data(args.pros, start, regenerate=args.regenerate)
    results = []
    for i in range(args.repeat):
        run, total = run_once(start)
        results.append((run, total))
        print(f"repeat {i + 1}: total {total:.1f} s, cpu {run.cpu_seconds:.1f} s (load {run.load_seconds:.1f}, solve {run.solve_seconds:.1f}, "
              f"write {run.write_seconds:.1f}); {run.n_pros} pros, {run.n_slots} slots, {run.n_shifts} shifts, "
              f"{run.n_positions} positions, {run.n_arcs} arcs; filled {run.filled}, written "
              f"{run.proposals_written}, gap {run.gap}", flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    urgent = bench_urgent()
    _write_report(args.out, results, peak_mb, urgent)
    return 0


class _Rollback(Exception):
    pass


def bench_urgent(count: int = 5) -> list[tuple[int, int, float, float, int]]:
    """One urgent wave (and HR's explanation) for the first nurse shifts starting in 2–48 h, rolled back."""
    from django.db import transaction
    from django.utils import timezone

    from establishments.models import Shift
    from missions.core.models import Proposal
    from missions.platform.services.matching import explain_unfilled
    from missions.platform.services.urgent import urgent_shift_match

    now = timezone.now()
    shifts = Shift.objects.filter(starts_at__gt=now + timedelta(hours=2), starts_at__lt=now + timedelta(hours=48),
                                  profession_id="60").order_by("starts_at")[:count]
    out = []
    for shift in shifts:
        try:
            with transaction.atomic():
                Proposal.objects.filter(shift=shift).delete()
                t0 = time.perf_counter()
                sent = urgent_shift_match(shift=shift)
                t1 = time.perf_counter()
                info = explain_unfilled(shift=shift)
                t2 = time.perf_counter()
                out.append((shift.pk, sent, t1 - t0, t2 - t1, info["within_reach"]))
                raise _Rollback
        except _Rollback:
            pass
    for pk, sent, wave, explain, reach in out:
        print(f"urgent shift {pk}: wave of {sent} in {wave:.2f} s, explanation {explain:.2f} s, {reach} within reach",
              flush=True)
    return out


def _write_report(path: Path, results, peak_mb: float, urgent) -> None:
    best = min(results, key=lambda r: r[1])
    _run, total = best
    lines = [
        "# Nightly matching of one region: PostgreSQL → proposals written",
        "",
        "Measured by `bench/bench_nightly.py` (the code path of the Celery task `match_region`:",
        "`missions.platform.services.matching.matching_run_region`) on this machine: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores shared with other jobs, "
        f"PostgreSQL 15 on the same host. Date: {timezone_now()}.",
        "",
        "Data: region Occitanie (76), real communes, professionals placed by population, about 4 declared",
        "slots a month each, 97 % insured, 300 blocks, 5 % of positions already booked; all platform rules on",
        "(rest after a night, rest after 24 h, 48 h / 7 days, monthly caps, notice, blocks, contract routes).",
        "",
        "| repeat | total (s) | process CPU (s) | machine load avg | load (s) | solve (s) | write (s) | professionals | available slots | shifts | "
        "open positions | candidate pairs | excluded pairs | filled | proposals written | gap |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, (r, t) in enumerate(results, 1):
        gap = "n/a" if r.gap is None else f"{100 * r.gap:.3f} %"
        lines.append(f"| {i} | {t:.1f} | {r.cpu_seconds:.1f} | {r.load_average:.1f} | {r.load_seconds:.1f} | {r.solve_seconds:.1f} | {r.write_seconds:.1f} | "
                     f"{r.n_pros:,} | {r.n_slots:,} | {r.n_shifts:,} | {r.n_positions:,} | {r.n_arcs:,} | "
                     f"{r.n_excluded:,} | {r.filled:,} | {r.proposals_written:,} | {gap} |")
    verdict = "meets" if total < 60 else "misses"
    lines += [
        "",
        f"Best total: **{total:.1f} s** ({verdict} the 60 s target). Peak memory of the process: {peak_mb:.0f} MB.",
        "The machine has 2 cores shared with other jobs during the measure: the *machine load avg* column",
        "(1-minute load average at the end of the run) shows how many processes competed for them, and the",
        "*process CPU* column is the CPU time of the matching process itself (PostgreSQL's own time excluded).",
        "The total includes expiring stale proposals, the advisory locks, loading, the engine (candidates,",
        "min-cost flow, repair of the 24 h and 48 h rules, the feasibility check), the bulk insert of the",
        "proposals and one audit row per proposal.",
        "",
        "## Urgent shifts in the same region",
        "",
        "One wave (`urgent_shift_match`: load the shift's partition, rank, write 5 proposals) and HR's",
        "explanation (`explain_unfilled`) for nurse shifts starting within 48 h (rolled back after):",
        "",
        "| shift | proposals sent | wave (s) | explanation (s) | nurses within reach |",
        "|---|---|---|---|---|",
        *[f"| {pk} | {sent} | {wave:.2f} | {explain:.2f} | {reach:,} |" for pk, sent, wave, explain, reach in urgent],
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    notes = ""
    if path.is_file() and "\n## Notes\n" in path.read_text(encoding="utf-8"):
        notes = "\n## Notes\n" + path.read_text(encoding="utf-8").split("\n## Notes\n", 1)[1]  # kept by hand
    path.write_text("\n".join(lines) + notes, encoding="utf-8")
    print(f"wrote {path}")


def timezone_now() -> str:
    from django.utils import timezone

    return timezone.localtime().strftime("%Y-%m-%d %H:%M (Paris)")


if __name__ == "__main__":
    raise SystemExit(main())
