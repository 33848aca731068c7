"""Load benchmark of the pages people wait on, behind a real web server, with ``/health/`` as the
baseline measured in the same run.

    apt-get install wrk                                   # the load generator (C, public)
    .venv/bin/python bench/bench_load.py                  # seeds ``vh_bench_load`` (demo × 10), measures
    .venv/bin/python bench/bench_load.py --skip-seed      # measure again on the existing database
    .venv/bin/python bench/bench_load.py --duration 5     # a quicker run

1. (Re)creates a PostgreSQL database, migrates it, loads the geography and seeds the demo at
   ``--size`` (10 by default: ten times the default demo).
2. Picks one signed-in person per role, the one with the most to show: the HR member of the
   establishment with the most shifts, the professional with the most offers, an ARS agent of the
   region with the most shifts. Their sessions are created in the database, as a sign-in would
   (the demo's staff have their second factor enrolled, so no page sends them to enrol).
3. Starts gunicorn (``--workers`` sync workers, 3 by default) with the production settings
   (``DEBUG`` off, Redis cache, static files collected) on a free loopback port.
   The database is analysed first (planner statistics, as autovacuum keeps them in production).
4. Per page, then ``/health/`` again, interleaved: ``wrk`` at 10 connections for requests/s and at
   50 connections for p50 / p95 (a Lua ``done`` hook prints wrk's own percentiles as JSON). A page
   answering anything but 200 (a redirect to the sign-in page, say) fails the run: it would be
   measuring the wrong thing.
5. Writes ``docs/bench/load.json``, the table and the machine into ``docs/bench/load.md`` and a
   chart into ``docs/bench/load.svg``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.svg_chart import write_bars  # noqa: E402

OUT = ROOT / "docs" / "bench"
# wrk's ``done`` hook: its own latency percentiles and error counts, one JSON line.
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="vh_bench_load", help="PostgreSQL database to (re)create")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="Redis database for the cache")
    parser.add_argument("--size", type=int, default=10, help="seed_demo --size (10: ten times the demo)")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the database as it is")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per measurement")
    parser.add_argument("--label", default="", help="a name for this run in the JSON (e.g. a commit)")
    parser.add_argument("--baseline-tree", type=Path, default=None,
                        help="a checkout of an earlier commit (git worktree add): served by a second gunicorn on "
                             "the same database and measured page by page, interleaved with this tree")
    return parser.parse_args()


def manage(env: dict[str, str], *args: str, tree: Path = ROOT) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=tree, env=env, check=True)


def seed(args: argparse.Namespace, env: dict[str, str]) -> None:
    admin = f"{args.pg}/postgres"
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{args.database}"'], check=True)
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{args.database}"'], check=True)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "load_geography")
    manage(env, "seed_demo", "--size", str(args.size))


def pages_and_sessions(env: dict[str, str]) -> list[dict[str, str]]:
    """The pages measured, each with the session cookie of the person who reads it (a child process
    with Django set up on the bench database: this one never imports Django)."""
    out = subprocess.run([sys.executable, "-m", "bench.load_sessions"], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], workers: int, tree: Path = ROOT) -> Iterator[str]:
    """gunicorn serving ``tree``'s code (``python -m`` puts the working directory first on the path)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "ville_hopital.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--timeout", "60", "--access-logfile", "/dev/null"],
        cwd=tree, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health/", timeout=30):  # noqa: S310  (our loopback server)
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start:\n{log.read_text()}") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(url: str, cookie: str, connections: int, duration: int, script: Path) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "-s", str(script), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: sessionid={cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    report["rps"] = round(report["requests"] / (report["duration_us"] / 1e6), 1)
    return report


def measure(url: str, page: dict[str, str], duration: int, script: Path) -> dict:
    """Requests/s at 10 connections, p50/p95 at 50; a page answering anything but 200 stops the run."""
    at_10 = wrk(url + page["path"], page["session"], 10, duration, script)
    at_50 = wrk(url + page["path"], page["session"], 50, duration, script)
    for run in (at_10, at_50):
        if run["non_2xx"] or run["socket_errors"]:
            raise SystemExit(f"{page['name']} ({page['path']}): {run['non_2xx']} answers other than 2xx, "
                             f"{run['socket_errors']} socket errors — not measuring the page")
    return {"name": page["name"], "path": page["path"], "role": page["role"], "rps_10": at_10["rps"],
            "p50_50_ms": at_50["p50_ms"], "p95_50_ms": at_50["p95_ms"], "p99_50_ms": at_50["p99_ms"]}


def check_first_answer(url: str, page: dict[str, str]) -> None:
    request = urllib.request.Request(url + page["path"], headers={"Cookie": f"sessionid={page['session']}"})  # noqa: S310
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(request, timeout=60) as answer:
        if answer.status != 200:
            raise SystemExit(f"{page['name']}: {answer.status} at {page['path']}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise SystemExit(f"{req.full_url} redirects to {newurl}: the session is not what the page needs")


def commit_of(tree: Path | None) -> str:
    if tree is None:
        return ""
    return subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


def machine() -> dict[str, str | int]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal"))
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return {"cpu": cpu, "cores": os.cpu_count() or 0, "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "wrk": wrk_version.strip(), "load_average": os.getloadavg()[0]}


def history_with(result: dict) -> list[dict]:
    """The runs kept in ``load.json`` (one per label, the newest last), this one included: a change
    is judged against the run before it on the same data."""
    path = OUT / "load.json"
    runs = json.loads(path.read_text()) if path.exists() else []
    runs = [run for run in runs if not result["label"] or run["label"] != result["label"]]
    return [*runs, result]


def baseline_lines(result: dict) -> list[str]:
    """Each page against the earlier code served beside it, measured right after it (interleaved)."""
    baseline = result.get("baseline")
    if not baseline:
        return []
    lines = [f"Against `{baseline['commit']}`, served by a second gunicorn on the same database, each page "
             "measured on it right after this tree (interleaved):", "",
             "| page | requests/s at 10: baseline → now | ratio | p95 at 50: baseline → now |", "|---|---:|---:|---:|"]
    for row, earlier in zip(result["pages"], baseline["pages"], strict=True):
        lines.append(f"| {row['name']} | {earlier['rps_10']:.0f} → {row['rps_10']:.0f} | "
                     f"{row['rps_10'] / earlier['rps_10']:.2f}× | {earlier['p95_50_ms']:.0f} → {row['p95_50_ms']:.0f} ms |")
    lines += ["", "A page whose code did not change between the two gives the noise of the run (large on a shared machine)."]
    return [*lines, ""]


def write_docs(result: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    runs = history_with(result)
    (OUT / "load.json").write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n")
    health = result["health"]
    lines = [
        "# Load benchmark: the pages people wait on", "",
        f"`bench/bench_load.py`, {result['when']}{' — ' + result['label'] if result['label'] else ''}: gunicorn "
        f"({result['workers']} sync workers, production settings), PostgreSQL, Redis cache, demo seeded at "
        f"size {result['size']} ({result['rows']}), {result['duration']} s of `wrk` per figure, loopback, "
        "the load generator on the same machine.", "",
        f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, "
        f"{result['machine']['memory_gb']} GB, Python {result['machine']['python']}, {result['machine']['wrk']}; "
        f"load average {result['machine']['load_average']:.2f} at the start.", "",
        "| page | role | requests/s at 10 | p50 at 50 | p95 at 50 | p95 ÷ `/health/` p95 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in result["pages"]:
        lines.append(f"| {row['name']} `{row['path']}` | {row['role']} | {row['rps_10']:.0f} | {row['p50_50_ms']:.0f} ms "
                     f"| {row['p95_50_ms']:.0f} ms | {row['p95_50_ms'] / health['p95_50_ms']:.1f}× |")
    lines += [
        f"| `/health/` (mean of its {len(result['health_runs'])} runs between the pages) | anonymous "
        f"| {health['rps_10']:.0f} | {health['p50_50_ms']:.0f} ms | {health['p95_50_ms']:.0f} ms | 1.0× |", "",
        *baseline_lines(result),
        "![Requests per second at 10 connections](load.svg)", "",
        "A load average above the number of cores means other work shared the machine during the run: "
        "read each page against `/health/` of the same run, not the absolute figures.", "",
        "## Runs kept in `load.json` (requests/s at 10; p95 at 50 ÷ `/health/` p95)", "",
        "| run | " + " | ".join(row["name"] for row in result["pages"]) + " | `/health/` |",
        "|---|" + "---:|" * (len(result["pages"]) + 1),
    ]
    for run in runs:
        by_name = {row["name"]: row for row in run["pages"]}
        cells = [f"{by_name[row['name']]['rps_10']:.0f}; {by_name[row['name']]['p95_50_ms'] / run['health']['p95_50_ms']:.1f}×"
                 if row["name"] in by_name else "—" for row in result["pages"]]
        lines.append(f"| {run['when']} {run['label']} | " + " | ".join(cells) + f" | {run['health']['rps_10']:.0f} |")
    lines.append("")
    (OUT / "load.md").write_text("\n".join(lines) + "\n")
    bars = [{"group": row["name"], "series": "rps", "value": row["rps_10"]} for row in result["pages"]]
    bars.append({"group": "/health/", "series": "rps", "value": health["rps_10"]})
    write_bars(bars, OUT / "load.svg", title="Requests/s at 10 concurrent connections (gunicorn, PostgreSQL)",
               series={"rps": ("#1f5fa8", "requests/s")}, fmt=lambda v: f"{v:.0f}")


def main() -> None:
    args = parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    database_url = f"{args.pg}/{args.database}"
    env = {
        **os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis, "DJANGO_SETTINGS_MODULE": "ville_hopital.settings",
        "VH_ENVIRONMENT": "production", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false", "CONN_MAX_AGE": "60",
        # Nothing is sent while pages are read; production settings refuse to start without a mail server.
        "EMAIL_URL": "smtp://127.0.0.1:25", "SITE_URL": "http://127.0.0.1",
    }
    if not args.skip_seed:
        seed(args, {**env, "VH_ENVIRONMENT": "development"})
    # Fresh rows have no planner statistics until autovacuum comes by (a production database has
    # them): without ANALYZE, the offers inbox was planned as if each table held one row (43 ms
    # instead of 7 ms of SQL), so the figures would measure the seeding, not the pages.
    subprocess.run(["psql", database_url, "-qc", "VACUUM ANALYZE"], check=True)
    manage(env, "collectstatic", "--no-input", "-v0")
    if args.baseline_tree:
        manage(env, "collectstatic", "--no-input", "-v0", tree=args.baseline_tree)
    pages = pages_and_sessions(env)
    health_page = {"name": "/health/", "path": "/health/", "role": "anonymous", "session": ""}
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_REPORT)
    results, health_runs, baseline = [], [], []
    with gunicorn(env, args.workers) as url, (
        gunicorn(env, args.workers, args.baseline_tree) if args.baseline_tree else nullcontext()
    ) as baseline_url:
        for server in filter(None, (url, baseline_url)):
            for page in pages:
                check_first_answer(server, page)
                wrk(server + page["path"], page["session"], 10, 2, script)  # warm every worker
        health_runs.append(measure(url, health_page, args.duration, script))
        for number, page in enumerate(pages, 1):
            print(f"[{number}/{len(pages)}] {page['name']} {page['path']}", flush=True)
            results.append(measure(url, page, args.duration, script))
            if baseline_url:  # the same page on the earlier code, right after: the same load on both
                baseline.append(measure(baseline_url, page, args.duration, script))
            health_runs.append(measure(url, health_page, args.duration, script))
    health = {key: round(sum(run[key] for run in health_runs) / len(health_runs), 1)
              for key in ("rps_10", "p50_50_ms", "p95_50_ms", "p99_50_ms")}
    result = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "label": args.label, "size": args.size,
        "rows": pages[0]["rows"], "workers": args.workers, "duration": args.duration, "machine": machine(),
        "pages": results, "health": health, "health_runs": health_runs,
        "baseline": {"tree": str(args.baseline_tree), "commit": commit_of(args.baseline_tree), "pages": baseline}
        if baseline else None,
    }
    write_docs(result)
    for row, earlier in zip(results, baseline or [None] * len(results), strict=True):
        versus = f"; {row['rps_10'] / earlier['rps_10']:.2f}× the baseline's requests/s" if earlier else ""
        print(f"{row['name']:<28} {row['rps_10']:>7.1f} req/s  p95@50 {row['p95_50_ms']:>7.0f} ms "
              f"({row['p95_50_ms'] / health['p95_50_ms']:.1f}× /health/{versus})")
    print(f"{'/health/':<28} {health['rps_10']:>7.1f} req/s  p95@50 {health['p95_50_ms']:>7.0f} ms")


if __name__ == "__main__":
    main()
