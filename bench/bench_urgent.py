"""Urgent reinforcement at the scale of a region: posting commit → first offer sent (target p95 < 5 s).

On the 50,000-professional Occitanie region of ``bench/bench_nightly.py`` (its generator, reused),
with a real Celery worker on Redis and PostgreSQL, HR's service ``shift_post`` posts urgent shifts
at 2 to 24 h notice, one transaction each. For every shift the bench records the commit and polls
the database for the moment the worker marked the first delivery of its first wave *sent*
(``Delivery.sent_at``: the notification of an offer, handed to the mail backend). Then it plays the
acceptance model over the real ranked lists and the real escalation table, and compares the fill
with a single wave of five. Results go to ``docs/bench/urgent.md`` (and ``urgent.svg``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vh_bench_urgent REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/bench_urgent.py [--pros 50000] [--shifts 1000] [--rate 0] [--regenerate]

The worker's Redis database is emptied before and after the run (the bench owns it).
"""

from __future__ import annotations

import argparse
import heapq
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vh_bench_urgent")
# As in production: no query log kept in memory, connections kept between tasks.
os.environ["DEBUG"] = "false"
os.environ.setdefault("CONN_MAX_AGE", "60")

from bench.bench_nightly import (  # noqa: E402
    REGION,
    SEED,
    TYPES,
    _setup,
    declare_availability,
    ensure_data,
    timezone_now,
)
from bench.svg_chart import write_bars  # noqa: E402

#: The unit the bench posts its urgent shifts in (one per establishment; removed at the next run).
URGENT_UNIT = "Renfort urgent (bench)"
#: Positions of an urgent shift (most ask for one person).
POSITIONS = ([1, 2, 3], [0.80, 0.15, 0.05])
#: Declared half-day slots of the days around now: the generator's monthly rate (4 slots in 60
#: half-days), so the short-notice pool is neither thinner nor richer than the rest of the month.
NEAR_DAYS = 3
WORKER_CONCURRENCY = 2  # docker-compose.yml's worker: prefork, two processes


# --------------------------------------------------------------------------------------------
# Data: the region, slots around now, the HR writer
# --------------------------------------------------------------------------------------------


def availability_around_now(today) -> int:
    """Declare again the bench's slots of yesterday, today and tomorrow (local), at the generator's
    rate, so that shifts at 2–24 h notice find the share of available people any other day has,
    whenever the bench runs (the region was generated from its build day)."""
    from professionals.models import Availability, Professional

    first = today - timedelta(days=1)
    pros = Professional.objects.filter(rpps__startswith="9")
    Availability.objects.filter(professional__in=pros, day__gte=first,
                                day__lt=first + timedelta(days=NEAR_DAYS)).delete()
    pro_ids = np.array(pros.order_by("pk").values_list("pk", flat=True))
    rng = np.random.default_rng(SEED + 1)
    return declare_availability(rng, pro_ids, first, days=NEAR_DAYS, mean_slots=4.0 * NEAR_DAYS / 30)


def clean_previous_run() -> None:
    """Remove what an earlier run posted and sent (its shifts, offers, runs, notifications)."""
    from django.db import connection

    from establishments.models import Shift
    from missions.core.models import MatchingRun, MatchingRunKind
    from notifications.models import Notification

    Notification.objects.all().delete()
    MatchingRun.objects.filter(kind=MatchingRunKind.URGENT).delete()
    Shift.objects.filter(unit__name=URGENT_UNIT).delete()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def hr_writer_and_units():
    """The bench's HR user, a writer of every establishment, and its urgent unit in each."""
    from accounts.models import User
    from establishments.models import Establishment, MemberRole, Membership, Unit

    hr = User.objects.get(email="bench-rh@example.org")
    ests = list(Establishment.objects.filter(finess_geo__startswith="B").select_related("type", "commune")
                .order_by("pk"))
    Membership.objects.bulk_create([Membership(user=hr, establishment=e, role=MemberRole.HR) for e in ests],
                                   ignore_conflicts=True)
    Unit.objects.bulk_create([Unit(establishment=e, name=URGENT_UNIT) for e in ests], ignore_conflicts=True)
    units = {u.establishment_id: u for u in Unit.objects.filter(name=URGENT_UNIT, establishment__in=ests)}
    return hr, ests, units


# --------------------------------------------------------------------------------------------
# The worker
# --------------------------------------------------------------------------------------------


def worker_start(log: Path) -> subprocess.Popen:
    """A real ``celery worker`` (prefork, ``WORKER_CONCURRENCY`` processes) on this database and Redis."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ville_hopital", "worker", f"--concurrency={WORKER_CONCURRENCY}",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"bench-urgent-{os.getpid()}@%h"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ville_hopital.settings"},
        stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=str(ROOT),
    )


def worker_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def redis_flush() -> None:
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def round_trip_seconds(repeat: int = 20) -> list[float]:
    """The same-run baseline: a near no-op task through the broker and back (``deliver`` of a
    delivery that does not exist: one query, "skipped")."""
    from notifications.tasks import deliver

    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        deliver.apply_async((0,), ignore_result=False).get(timeout=120)  # results are off by default
        out.append(time.perf_counter() - t0)
    return out


# --------------------------------------------------------------------------------------------
# Posting and measuring
# --------------------------------------------------------------------------------------------


@dataclass
class Posted:
    shift_id: int
    positions: int
    notice_h: float
    committed_at: datetime
    post_s: float
    wave_started_at: datetime | None = None  # the wave's proposals' created_at: the task began
    wave_done_at: datetime | None = None
    first_wave: list[int] = field(default_factory=list)  # professionals asked, in rank order
    first_sent_at: datetime | None = None
    last_sent_at: datetime | None = None
    deliveries: int = 0
    unsent: int = 0


def post_shifts(*, count: int, rate: float, hr, ests, units, rng: np.random.Generator) -> list[Posted]:
    """Post ``count`` urgent shifts through ``shift_post`` (one transaction each, as HR's form),
    back to back (``rate`` 0) or ``rate`` a second; record each commit."""
    from django.db import transaction
    from django.utils import timezone

    from establishments.services import ShiftSpec, shift_post
    from missions.core.partition import FORBIDDEN_ROUTE
    from reference.models import ContractRoute, Profession

    size = np.array([{"CHU": 40, "CH": 8, "ESPIC": 4, "CLINIQUE": 3, "EHPAD": 1, "MOBILE": 2}[e.type_id]
                     for e in ests], dtype=np.float64)
    size /= size.sum()
    # The generator's mix, without the pairs the law forbids (HR's form refuses them).
    forbidden = set(ContractRoute.objects.filter(kind=FORBIDDEN_ROUTE).values_list("profession_id",
                                                                                  "establishment_type_id"))
    mix = {kind: {code: w for code, w in m.items() if (code, kind) not in forbidden} for kind, _c, m in TYPES}
    professions = {p.pk: p for p in Profession.objects.all()}
    posted: list[Posted] = []
    begin = time.perf_counter()
    for i in range(count):
        if rate > 0:
            time.sleep(max(0.0, begin + i / rate - time.perf_counter()))
        est = ests[int(rng.choice(len(ests), p=size))]
        m = mix[est.type_id]
        codes, weights = list(m), np.array(list(m.values()), dtype=np.float64)
        profession = professions[codes[int(rng.choice(len(codes), p=weights / weights.sum()))]]
        notice = float(rng.uniform(2.0, 24.0))
        now = timezone.now()
        starts = now + timedelta(hours=notice)
        starts = starts.replace(second=0, microsecond=0) + timedelta(minutes=15 - starts.minute % 15)
        committed: list[datetime] = []
        t0 = time.perf_counter()
        with transaction.atomic():
            # Registered first: runs at the commit, before the broker publish queued by the service.
            transaction.on_commit(lambda c=committed: c.append(timezone.now()))
            spec = ShiftSpec(
                unit=units[est.pk], profession=profession, positions=int(rng.choice(POSITIONS[0], p=POSITIONS[1])),
                urgency=5, urgent=True, pay=Decimal("400.00"), location=est.commune if est.type.is_mobile else None,
            )
            shift = shift_post(actor=hr, spec=spec, starts_at=starts, ends_at=starts + timedelta(hours=12))
        posted.append(Posted(shift_id=shift.pk, positions=shift.positions, notice_h=(starts - now).total_seconds() / 3600,
                             committed_at=committed[0], post_s=time.perf_counter() - t0))
    return posted


#: Per shift: its first wave's offers, their deliveries, how many are sent, the first and last sent.
_SENT_SQL = """
SELECT p.shift_id, count(DISTINCT p.id), count(d.id), count(d.sent_at), min(d.sent_at), max(d.sent_at)
  FROM {proposal} p
  LEFT JOIN {notification} n ON n.dedupe_key = 'proposal:' || p.id || ':new'
  LEFT JOIN {delivery} d ON d.notification_id = n.id
 WHERE p.wave = 1 AND p.shift_id = ANY(%s)
 GROUP BY p.shift_id
"""


def poll_until_sent(posted: list[Posted], *, timeout: float) -> None:
    """Poll the database until every shift's first wave is written and all its deliveries are
    sent (or ``timeout``); fill in the times."""
    from django.db import connection

    from missions.core.models import MatchingRun, MatchingRunKind, Proposal
    from notifications.models import Delivery, Notification

    by_id = {p.shift_id: p for p in posted}
    ids = list(by_id)
    sql = _SENT_SQL.format(proposal=Proposal._meta.db_table, notification=Notification._meta.db_table,
                           delivery=Delivery._meta.db_table)
    t0 = time.perf_counter()
    while True:
        done_runs = dict(
            MatchingRun.objects.filter(kind=MatchingRunKind.URGENT, shift_id__in=ids)
            .order_by("shift_id", "started_at").values_list("shift_id", "finished_at")
        )
        with connection.cursor() as cur:
            cur.execute(sql, [ids])
            sent = {row[0]: row[1:] for row in cur.fetchall()}
        # Done: the wave ran, and each of its offers has a delivery sent (one email each here).
        waiting = [pk for pk in ids if pk not in done_runs or (pk in sent and sent[pk][2] < sent[pk][0])]
        if not waiting or time.perf_counter() - t0 > timeout:
            break
        time.sleep(0.5)
    first_runs: dict[int, datetime] = {}
    for shift_id, finished in MatchingRun.objects.filter(kind=MatchingRunKind.URGENT, shift_id__in=ids).order_by(
            "-started_at").values_list("shift_id", "finished_at"):
        first_runs[shift_id] = finished  # ascending by overwrite: the earliest run wins
    for row in Proposal.objects.filter(shift_id__in=ids, wave=1).order_by("shift_id", "pk").values(
            "shift_id", "professional_id", "created_at"):
        item = by_id[row["shift_id"]]
        item.first_wave.append(row["professional_id"])
        item.wave_started_at = row["created_at"]
    for pk, item in by_id.items():
        item.wave_done_at = first_runs.get(pk)
        if pk in sent:
            _offers, total, n_sent, first, last = sent[pk]
            item.deliveries, item.unsent = total, total - n_sent
            item.first_sent_at, item.last_sent_at = first, last


# --------------------------------------------------------------------------------------------
# Acceptance model: the waves against a single wave of five
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """Each offer is accepted with probability ``p``, after an exponential delay of mean
    ``mean_delay``; an offer not accepted is never answered. An acceptance counts if it comes
    before the offer expires (``PROPOSAL_TTL_HOURS``, never after the start) and the shift still
    has a position open; a professional books at most one of the bench's shifts."""

    p: float
    mean_delay: timedelta


class Draws:
    """One (uniform, delay) draw per (shift, professional), shared by every scenario and every p:
    the scenarios differ only by whom they ask."""

    def __init__(self, seed: int, mean_delay: timedelta):
        self.rng = np.random.default_rng(seed)
        self.mean = mean_delay.total_seconds()
        self.values: dict[tuple[int, int], tuple[float, float]] = {}

    def get(self, shift_id: int, pro_id: int) -> tuple[float, float]:
        key = (shift_id, pro_id)
        if key not in self.values:
            self.values[key] = (float(self.rng.random()), float(self.rng.exponential(self.mean)))
        return self.values[key]


class RankedLists:
    """The real eligible list of a shift (``eligible_professionals``) as it stands at a moment.

    The only input of the vectorised rules that moves with the clock is the notice (a shift gets
    closer than a professional's minimum notice): the list is asked again, with ``now`` moved, at
    each moment the shift's lead time crosses a notice value present in the data, and kept between."""

    def __init__(self, shifts: dict, notices: list[int]):
        self.shifts, self.notices = shifts, notices
        self.memo: dict[tuple[int, datetime], list[int]] = {}
        self.calls = 0
        self.seconds = 0.0

    def at(self, shift_id: int, moment: datetime, committed: datetime) -> list[int]:
        from missions.platform.eligible import eligible_professionals

        shift = self.shifts[shift_id]
        points = [committed] + [shift.starts_at - timedelta(hours=h) for h in self.notices
                                if committed < shift.starts_at - timedelta(hours=h) <= moment]
        point = max(points)
        key = (shift_id, point)
        if key not in self.memo:
            t0 = time.perf_counter()
            self.memo[key] = [pro.pk for pro, _km in eligible_professionals(shift=shift, now=point)]
            self.calls += 1
            self.seconds += time.perf_counter() - t0
        return self.memo[key]


@dataclass
class Outcome:
    """What one scenario of the acceptance model gave: positions and shifts filled, offers sent, and
    the minutes from the commit to each position filled."""

    positions: int
    filled: int = 0
    shifts_full: int = 0
    offers: int = 0
    fill_minutes: list[float] = field(default_factory=list)


def simulate(posted: list[Posted], *, model: Model, waves: bool, lists: RankedLists, draws: Draws) -> Outcome:
    """Play the acceptance model. ``waves``: the escalation of ``missions.core.escalation`` (sizes and
    spacing of its table, re-read at each wave as the start gets closer) until the shift is full,
    has started, or everyone eligible was asked; otherwise only the first wave (today's five)."""
    from django.conf import settings

    from missions.core.escalation import wave_plan

    ttl = timedelta(hours=settings.PROPOSAL_TTL_HOURS)
    info = {p.shift_id: p for p in posted}
    filled = dict.fromkeys(info, 0)
    asked: dict[int, set[int]] = {pk: set() for pk in info}
    booked: set[int] = set()
    out = Outcome(positions=sum(p.positions for p in posted))
    events: list[tuple[datetime, int, int, int, int]] = []  # (time, order, kind 0 wave / 1 accept, shift, arg)
    order = 0
    for p in posted:
        if p.wave_started_at is not None:
            heapq.heappush(events, (p.wave_started_at, order, 0, p.shift_id, 1))
            order += 1
    while events:
        moment, _o, kind, shift_id, arg = heapq.heappop(events)
        item, shift = info[shift_id], lists.shifts[shift_id]
        if moment >= shift.starts_at or filled[shift_id] >= item.positions:
            continue
        if kind == 1:
            if arg not in booked:
                booked.add(arg)
                filled[shift_id] += 1
                out.fill_minutes.append((moment - item.committed_at).total_seconds() / 60)
            continue
        wave = arg
        left = [pk for pk in lists.at(shift_id, moment, item.committed_at) if pk not in asked[shift_id]]
        if wave == 1:
            chosen = item.first_wave  # what the worker actually sent
            left = [pk for pk in left if pk not in set(chosen)]
        else:
            plan = wave_plan(shift, moment)
            chosen = left[: max(plan.size(wave), item.positions - filled[shift_id])]
            left = left[len(chosen):]
        if not chosen:
            continue
        out.offers += len(chosen)
        expiry = min(moment + ttl, shift.starts_at)
        for pro in chosen:
            asked[shift_id].add(pro)
            u, delay = draws.get(shift_id, pro)
            answer = moment + timedelta(seconds=delay)
            if u < model.p and answer < expiry:
                heapq.heappush(events, (answer, order, 1, shift_id, pro))
                order += 1
        if waves and left:
            heapq.heappush(events, (moment + wave_plan(shift, moment).every, order, 0, shift_id, wave + 1))
            order += 1
    out.filled = sum(filled.values())
    out.shifts_full = sum(1 for pk, p in info.items() if filled[pk] >= p.positions)
    return out


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def pct(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else math.nan


def machine() -> dict[str, str]:
    from django.db import connection

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or platform.machine())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    import redis
    from django.conf import settings

    info = redis.Redis.from_url(settings.REDIS_URL).info("server")
    return {"cpu": cpu, "cores": str(os.cpu_count()), "ram": f"{mem_kb / 1024 / 1024:.0f} GiB",
            "postgres": pg.split()[0], "redis": info["redis_version"], "python": platform.python_version()}


def _speed_rows(phase: Phase) -> list[str]:
    lat = phase.latency
    return [
        "| measure | p50 | p95 | max |",
        "|---|---|---|---|",
        f"| commit → first offer sent (s) | {lat['first_p50']:.2f} | **{lat['first_p95']:.2f}** | {lat['first_max']:.2f} |",
        f"| commit → wave task starts (queue wait, s) | {lat['queue_p50']:.2f} | {lat['queue_p95']:.2f} | {lat['queue_max']:.2f} |",
        f"| commit → whole first wave sent (s) | {lat['all_p50']:.2f} | {lat['all_p95']:.2f} | {lat['all_max']:.2f} |",
        f"| baseline: posting (`shift_post`, one transaction, s) | {lat['post_p50']:.3f} | {lat['post_p95']:.3f} | {lat['post_max']:.3f} |",
        f"| baseline: no-op task round trip (s) | {lat['rt_p50']:.3f} | {lat['rt_p95']:.3f} | {lat['rt_max']:.3f} |",
        "",
        f"p95 commit → first offer sent: **{lat['first_p95']:.2f} s** "
        f"({'meets' if lat['first_p95'] < 5 else 'misses'} the 5 s target): {lat['first_p95'] / lat['rt_p50']:.0f}× a no-op",
        f"task's round trip ({lat['rt_p50'] * 1000:.0f} ms), {lat['first_p95'] / lat['post_p50']:.0f}× the posting itself "
        f"({lat['post_p50'] * 1000:.0f} ms). {len(phase.posted):,} shifts posted in {phase.post_seconds:.1f} s "
        f"({len(phase.posted) / phase.post_seconds:.1f} a second); "
        + (f"the last offer of a first wave was sent {phase.drain_seconds:.1f} s after the last commit; "
           if phase.rate <= 0 else "")
        + f"{phase.throughput:.1f} shifts a second from the first",
        f"commit to the last offer sent ({sum(p.deliveries for p in phase.posted):,} deliveries, "
        f"{sum(p.unsent for p in phase.posted)} not sent). Machine load average {phase.load[0]:.1f} at the start, "
        f"{phase.load[1]:.1f} at the end.",
    ]


def write_report(path: Path, *, args, data: dict) -> None:
    m = data["machine"]
    paced, burst = data["paced"], data["burst"]
    rows = data["fill"]
    lines = [
        "# Urgent reinforcement: posting commit → first offer sent",
        "",
        f"Measured by `bench/bench_urgent.py` on {data['date']}: {m['cores']} cores ({m['cpu']}), {m['ram']} RAM,",
        f"PostgreSQL {m['postgres']} and Redis {m['redis']} on the same host, Python {m['python']}; the",
        "machine is shared with other jobs (the heavy ones wait on a lock while this runs).",
        "",
        "    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vh_bench_urgent REDIS_URL=redis://127.0.0.1:6379/7 \\",
        f"        .venv/bin/python bench/bench_urgent.py --pros {args.pros} --shifts {args.shifts} --rate {args.rate:g} --burst {args.burst}",
        "",
        "## Set-up",
        "",
        f"- Region Occitanie ({REGION}) built by `bench/bench_nightly.py`'s generator: {args.pros:,} professionals,",
        "  real communes, about 4 declared half-day slots a month each, ~600 establishments, ~20,000 open",
        "  positions, 5 % booked, 300 blocks. The slots of yesterday, today and tomorrow are declared again at",
        f"  run time at the same rate ({data['near_slots']:,} slots), so the short-notice pool is that of any day.",
        f"- A real worker: `celery -A ville_hopital worker --concurrency={WORKER_CONCURRENCY}` (prefork, two processes, as",
        "  `docker-compose.yml`), Redis broker and result backend, the same PostgreSQL database, `DEBUG` off,",
        "  `CONN_MAX_AGE=60`; mail through Django's console backend (no SMTP round trip in the figures).",
        f"- {args.shifts:,} urgent shifts posted by HR's service `establishments.services.shift_post`, one",
        f"  transaction each, {args.rate:g} a second; start 2 to 24 h ahead (uniform, on the quarter hour), 12 h",
        "  long, 1 / 2 / 3 positions (80 / 15 / 5 %), establishments drawn by size and professions by",
        "  establishment type as the generator does (pairs the law forbids left out: HR's form refuses them).",
        "- **Offer sent**: the moment the worker marks *sent* the first `Delivery` of a notification",
        "  `proposal.new` of the shift's first wave (`Delivery.sent_at`, once the mail backend took it).",
        "  The path: commit → `match_urgent_shift` (queued on commit) → `urgent_shift_match` writes the",
        "  wave → `notify_proposals` (queued on that commit) → `notify` writes notification and delivery →",
        "  `deliver` (queued on that commit) → `delivery_attempt` sends and stamps `sent_at`.",
        "- Baselines of the same run: the posting itself, and a no-op task's round trip through the broker",
        "  (`deliver` of a delivery that does not exist: one query, result read back from Redis).",
        "",
        f"## Speed at {args.rate:g} posts a second",
        "",
        *_speed_rows(paced),
        "",
    ]
    if burst is not None:
        lines += [
            f"## Speed of a burst: {len(burst.posted):,} shifts back to back",
            "",
            "The same, the shifts posted one after another as fast as the service goes (a capacity test: far",
            "more than HR could type), after the measured run's shifts were removed.",
            "",
            *_speed_rows(burst),
            "",
        ]
    reach = data["reach"]
    within = reach["rules"].get("within_reach", 0)
    lines += [
        "## Reach of the first wave",
        "",
        f"Of the {args.rate:g}/s run: shifts whose first wave reached at least one eligible professional:",
        f"**{data['reach_shifts']:.1%}** ({data['reached_shifts']:,} of {args.shifts:,}); positions: "
        f"**{data['reach_positions']:.1%}** ({data['reached_positions']:,} of {data['positions']:,}).",
        f"A first wave sent {data['wave_mean']:.2f} offers on average (five, or as many as open positions; fewer",
        f"when fewer are eligible); after it, {data['eligible_p50']:.0f} eligible professionals were left to ask",
        f"(median; 90th percentile {data['eligible_p90']:.0f}).",
        "",
        "| profession | shifts | reached ≥ 1 |",
        "|---|---|---|",
        *[f"| {name} | {n} | {k / n:.0%} |" for name, (n, k) in sorted(reach["by_profession"].items(),
                                                                       key=lambda kv: -kv[1][0])],
        "",
        "Why the others found nobody: over the shifts whose first wave was empty, each professional of the",
        "profession within reach counted once under the first rule that excludes them (`exclusion_counts`,",
        "HR's explanation of an unfilled shift, at the commit time):",
        "",
        f"| rule | professionals (sum over those shifts) | share of the {within:,} within reach |",
        "|---|---|---|",
        *[f"| {code} | {n:,} | {n / max(within, 1):.1%} |" for code, n in reach["rules"].items()
          if code not in ("within_reach", "eligible")],
        "",
        "## Fill after the waves, against today's single wave of five",
        "",
        "Acceptance model: each offer is accepted with probability *p*, after an exponential delay of",
        f"mean {args.mean_delay:g} min; an offer not accepted is never answered. An acceptance counts if it",
        "comes before the offer expires (`PROPOSAL_TTL_HOURS`, never after the start) and a position is",
        "still open; a professional books at most one of these shifts. Waves follow `missions.core.escalation`",
        "(under 6 h: 5, 10, 15… every 5 min; under 24 h: 5 every 15 min; the row re-read at each wave)",
        "until the shift is full, starts, or everyone eligible was asked. The first wave is the one the",
        "worker really sent; the next ones take the real ranked list (`eligible_professionals`, asked again",
        "when the lead time crosses a notice threshold) minus those asked, as seen after the posting",
        "(other shifts' pending offers count as booked, as they do for a real wave). Both scenarios share",
        f"one random draw per (shift, professional), seed {args.seed}.",
        "",
        "| p | positions filled, waves | positions filled, single wave of 5 | shifts full, waves | shifts full, single wave | offers sent, waves | offers, single wave | median minutes to fill, waves | median, single wave |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['p']:g} | **{r['waves_filled']:.1%}** | {r['single_filled']:.1%} | {r['waves_full']:.1%} | "
            f"{r['single_full']:.1%} | {r['waves_offers']:,} | {r['single_offers']:,} | {r['waves_median']:.0f} | "
            f"{r['single_median']:.0f} |")
    lines += [
        "",
        f"![Positions filled by p](urgent.svg) — {data['lists_calls']:,} ranked lists computed by the real rule",
        f"set for the simulation ({data['lists_seconds']:.0f} s).",
        "",
    ]
    notes = ""
    if path.is_file() and "\n## Notes\n" in path.read_text(encoding="utf-8"):
        notes = "\n## Notes\n" + path.read_text(encoding="utf-8").split("\n## Notes\n", 1)[1]  # kept by hand
    path.write_text("\n".join(lines) + notes, encoding="utf-8")
    write_bars(
        [{"group": f"p = {r['p']:g}", "series": s, "value": 100 * r[f"{s}_filled"]} for r in rows
         for s in ("waves", "single")],
        path.with_suffix(".svg"),
        title="Urgent positions filled (%), escalating waves vs a single wave of five",
        series={"waves": ("#1f6f8b", "escalating waves (missions.core.escalation)"),
                "single": ("#e07a3f", "single wave of five (today)")},
        fmt=lambda v: f"{v:.0f}", top=100.0,
    )
    print(f"wrote {path} and {path.with_suffix('.svg')}")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def latency_table(posted: list[Posted], round_trips: list[float]) -> dict[str, float]:
    def secs(f: Callable[[Posted], float | None]) -> list[float]:
        return [v for v in (f(p) for p in posted) if v is not None]

    table = {}
    series = {
        "first": secs(lambda p: (p.first_sent_at - p.committed_at).total_seconds() if p.first_sent_at else None),
        "queue": secs(lambda p: (p.wave_started_at - p.committed_at).total_seconds() if p.wave_started_at else None),
        "wave": secs(lambda p: (p.wave_done_at - p.wave_started_at).total_seconds()
                     if p.wave_started_at and p.wave_done_at else None),
        "all": secs(lambda p: (p.last_sent_at - p.committed_at).total_seconds()
                    if p.last_sent_at and not p.unsent else None),
        "post": [p.post_s for p in posted],
        "rt": round_trips,
    }
    for name, values in series.items():
        table[f"{name}_p50"], table[f"{name}_p95"] = pct(values, 50), pct(values, 95)
        table[f"{name}_max"] = max(values) if values else math.nan
    return table


@dataclass
class Phase:
    """One posting of ``count`` shifts at ``rate`` with its own worker, measured."""

    rate: float
    posted: list[Posted]
    round_trips: list[float]
    post_seconds: float
    load: tuple[float, float]

    @property
    def latency(self) -> dict[str, float]:
        return latency_table(self.posted, self.round_trips)

    @property
    def drain_seconds(self) -> float:
        """From the last commit to the last offer of a first wave sent."""
        last = max((p.last_sent_at for p in self.posted if p.last_sent_at), default=None)
        return (last - max(p.committed_at for p in self.posted)).total_seconds() if last else math.nan

    @property
    def throughput(self) -> float:
        """Shifts whose first wave was sent, a second, from the first commit to the last offer sent."""
        last = max((p.last_sent_at for p in self.posted if p.last_sent_at), default=None)
        first = min(p.committed_at for p in self.posted)
        return len(self.posted) / max((last - first).total_seconds(), 1e-9) if last else 0.0


def run_phase(*, count: int, rate: float, seed: int, timeout: float, hr, ests, units) -> Phase:
    clean_previous_run()
    load_start = os.getloadavg()[0]
    redis_flush()
    log = Path("/tmp") / f"bench-urgent-worker-{os.getpid()}.log"
    worker = worker_start(log)
    try:
        round_trip_seconds(1)  # the worker is up
        round_trips = round_trip_seconds()
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        posted = post_shifts(count=count, rate=rate, hr=hr, ests=ests, units=units, rng=rng)
        post_seconds = time.perf_counter() - t0
        print(f"posted {len(posted)} shifts in {post_seconds:.1f} s", flush=True)
        poll_until_sent(posted, timeout=timeout)
    finally:
        worker_stop(worker)
        redis_flush()
    phase = Phase(rate=rate, posted=posted, round_trips=round_trips, post_seconds=post_seconds,
                  load=(load_start, os.getloadavg()[0]))
    print({k: round(v, 3) for k, v in phase.latency.items()}, flush=True)
    return phase


def reach_analysis(posted: list[Posted], shifts: dict) -> dict:
    """Shifts reached by profession, and, summed over the shifts whose first wave found nobody, the
    first rule that kept each professional within reach away (``exclusion_counts``, HR's own
    explanation, at the commit time)."""
    from missions.platform.eligible import exclusion_counts

    by_profession: dict[str, list[int]] = {}
    for p in posted:
        row = by_profession.setdefault(str(shifts[p.shift_id].profession), [0, 0])
        row[0] += 1
        row[1] += bool(p.first_wave)
    rules: dict[str, int] = {}
    for p in posted:
        if not p.first_wave:
            for code, n, _sentence in exclusion_counts(shift=shifts[p.shift_id], now=p.committed_at):
                rules[code] = rules.get(code, 0) + n
    return {"by_profession": by_profession, "rules": rules}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pros", type=int, default=50_000)
    parser.add_argument("--shifts", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2.0, help="posts a second of the measured run")
    parser.add_argument("--burst", type=int, default=1000,
                        help="then this many shifts back to back, speed only (0: none)")
    parser.add_argument("--p", default="0.05,0.15,0.3", help="acceptance probabilities to simulate")
    parser.add_argument("--mean-delay", type=float, default=20.0, help="mean minutes before an acceptance")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the first waves")
    parser.add_argument("--regenerate", action="store_true", help="drop the bench data and generate it again")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench" / "urgent.md")
    args = parser.parse_args(argv)
    if not os.environ.get("REDIS_URL"):
        parser.error("REDIS_URL must name the Redis database the bench's worker uses (it is emptied)")
    _setup()
    from django.utils import timezone

    from establishments.models import Shift
    from professionals.models import Professional
    from ville_hopital.celery import app as celery_app

    celery_app.conf.task_always_eager = False
    ensure_data(args.pros, timezone.localdate() + timedelta(days=1), regenerate=args.regenerate)
    near = availability_around_now(timezone.localdate())
    hr, ests, units = hr_writer_and_units()
    paced = run_phase(count=args.shifts, rate=args.rate, seed=args.seed, timeout=args.timeout,
                      hr=hr, ests=ests, units=units)
    posted = paced.posted
    reached = [p for p in posted if p.first_wave]
    print(f"reached: {len(reached)} of {len(posted)} shifts", flush=True)

    shifts = Shift.objects.select_related("location", "profession").in_bulk([p.shift_id for p in posted])
    notices = sorted(set(Professional.objects.filter(min_notice_hours__gt=0).values_list("min_notice_hours", flat=True)))
    lists = RankedLists(shifts, notices)
    rows = []
    for p_value in [float(v) for v in args.p.split(",")]:
        model = Model(p=p_value, mean_delay=timedelta(minutes=args.mean_delay))
        draws = Draws(args.seed, model.mean_delay)
        results = {name: simulate(posted, model=model, waves=name == "waves", lists=lists, draws=draws)
                   for name in ("waves", "single")}
        row = {"p": p_value}
        for name, o in results.items():
            row[f"{name}_filled"] = o.filled / max(o.positions, 1)
            row[f"{name}_full"] = o.shifts_full / max(len(posted), 1)
            row[f"{name}_offers"] = o.offers
            row[f"{name}_median"] = pct(o.fill_minutes, 50)
        rows.append(row)
        print(row, f"(lists: {lists.calls} calls, {lists.seconds:.0f} s)", flush=True)
    # Eligible and not asked by the first wave, at the commit: what the next waves could still reach.
    at_commit = [len(set(lists.at(p.shift_id, p.committed_at, p.committed_at)) - set(p.first_wave)) for p in reached]
    reach = reach_analysis(posted, shifts)
    print(reach, flush=True)
    burst = None
    if args.burst:
        burst = run_phase(count=args.burst, rate=0.0, seed=args.seed + 1, timeout=args.timeout,
                          hr=hr, ests=ests, units=units)
    data = {
        "machine": machine(), "date": timezone_now(), "near_slots": near, "paced": paced, "burst": burst,
        "reach_shifts": len(reached) / len(posted), "reached_shifts": len(reached),
        "positions": sum(p.positions for p in posted), "reached_positions": sum(p.positions for p in reached),
        "reach_positions": sum(p.positions for p in reached) / max(sum(p.positions for p in posted), 1),
        "wave_mean": float(np.mean([len(p.first_wave) for p in reached])) if reached else 0.0,
        "eligible_p50": pct(at_commit, 50), "eligible_p90": pct(at_commit, 90), "reach": reach,
        "fill": rows, "lists_calls": lists.calls, "lists_seconds": lists.seconds,
    }
    write_report(args.out, args=args, data=data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
