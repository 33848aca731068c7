"""Benchmark the matching engine against the first-come baseline at each scale.

Each (instance, method) runs in its own child process so that its peak memory (ru_maxrss of
that child, from os.wait4) is its own. Results go to docs/bench/matching.json, a chart to
docs/bench/matching.svg and a table into docs/matching.md (between the bench markers).

    python bench/bench_matching.py                 # all configurations (national takes a while)
    python bench/bench_matching.py --only region,region-scarce   # just these configurations
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.generate_instance import generate, load_communes  # noqa: E402
from bench.svg_chart import write_chart  # noqa: E402
from missions.matching.instance import write_instance  # noqa: E402

URGENT = 4  # urgency >= 4 counts as an urgent position
CONFIGS = [
    # name, scale, scarce, all_rules
    ("departement", "departement", False, False),
    ("region", "region", False, False),
    ("region-all-rules", "region", False, True),
    ("region-scarce", "region", True, False),
    ("national", "national", False, False),
    ("national-all-rules", "national", False, True),
    ("national-scarce", "national", True, False),
]
METHODS = ("engine", "first_come")
DOC = ROOT / "docs" / "matching.md"
OUT = ROOT / "docs" / "bench"


def run_child(folder: Path, method: str) -> dict:
    """Solve in a child process; return its metrics plus wall time and peak RSS."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(folder), "--method", method]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=ROOT)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{method} on {folder} failed with exit code {proc.returncode}")
    metrics = json.loads(out)
    metrics["process_wall_s"] = round(time.perf_counter() - t0, 2)
    metrics["process_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    metrics["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux reports kB
    return metrics


def child(folder: Path, method: str) -> int:
    """Read, solve, check; print metrics as JSON (runs inside the measured child process)."""
    import numpy as np

    from missions.matching import check_assignment, first_come, read_instance, solve

    t0 = time.perf_counter()
    inst = read_instance(folder)
    read_s = time.perf_counter() - t0
    t1, c1 = time.perf_counter(), time.process_time()
    result = solve(inst, progress=True) if method == "engine" else first_come(inst)
    solve_s, solve_cpu = time.perf_counter() - t1, time.process_time() - c1
    problems = check_assignment(inst, result.assignment)
    s = inst.shifts
    urgent_positions = int(s.positions[s.urgency >= URGENT].sum())
    urgent_filled = int((s.urgency[result.assignment.shift] >= URGENT).sum())
    summary = result.summary()
    summary.update({
        "read_s": round(read_s, 2), "solve_s": round(solve_s, 2), "solve_cpu_s": round(solve_cpu, 2),
        "urgent_positions": urgent_positions, "urgent_filled": urgent_filled, "violations": len(problems),
        "pros": len(inst.pros), "available_slots": len(inst.availability), "shifts": len(s),
        "rules": inst.rules.__dict__,
    })
    if np.isnan(result.upper_bound):
        summary["gap"] = None
    print(json.dumps(summary))
    return 0


def bench(only: str | None, seed: int) -> list[dict]:
    communes = load_communes()
    rows = []
    for name, scale, scarce, all_rules in CONFIGS:
        if only and name not in only.split(","):
            continue
        with tempfile.TemporaryDirectory(prefix=f"vh-{name}-") as tmp:
            t0 = time.perf_counter()
            inst = generate(scale, seed, None, scarce, all_rules, communes)
            gen_s = time.perf_counter() - t0
            write_instance(inst, tmp)
            del inst
            for method in METHODS:
                print(f"[bench] {name} / {method} …", file=sys.stderr, flush=True)
                m = run_child(Path(tmp), method)
                m.update({"config": name, "scale": scale, "scarce": scarce, "all_rules": all_rules,
                          "method_name": method, "generate_s": round(gen_s, 2)})
                rows.append(m)
                print(f"[bench]   filled {m['filled']}/{m['positions_total']} urgent {m['urgent_filled']}/"
                      f"{m['urgent_positions']} gap {m['gap']} wall {m['process_wall_s']} s "
                      f"cpu {m['process_cpu_s']} s rss {m['peak_rss_mb']} MB", file=sys.stderr, flush=True)
    return rows


def merge(rows: list[dict], path: Path) -> list[dict]:
    """Keep earlier results of configurations not re-run this time."""
    if path.exists():
        old = [r for r in json.loads(path.read_text())["runs"] if r["config"] not in {x["config"] for x in rows}]
        rows = old + rows
    order = {c[0]: i for i, c in enumerate(CONFIGS)}
    return sorted(rows, key=lambda r: (order.get(r["config"], 99), r["method_name"]))


def table(rows: list[dict]) -> str:
    head = ("| instance | method | pros | positions | filled | urgent filled | objective | bound | gap | "
            "solve wall s | solve cpu s | total wall s | peak RSS MB |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in rows:
        gap = "–" if r["gap"] is None else f"{100 * r['gap']:.2e} %"
        bound = "–" if r["upper_bound"] is None else f"{r['upper_bound']:,.0f}"
        lines.append(
            f"| {r['config']} | {r['method_name']} | {r['pros']:,} | {r['positions_total']:,} | {r['filled']:,} | "
            f"{r['urgent_filled']:,} / {r['urgent_positions']:,} | {r['objective']:,.0f} | {bound} | {gap} | "
            f"{r['solve_s']} | {r['solve_cpu_s']} | {r['process_wall_s']} | {r['peak_rss_mb']:,.0f} |")
    return "\n".join(lines)


def update_doc(rows: list[dict]) -> None:
    replace_marked(DOC, "bench", table(rows))


def replace_marked(doc: Path, marker: str, body: str) -> None:
    """Put ``body`` between ``<!-- marker:start -->`` and ``<!-- marker:end -->`` of ``doc``."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    text = doc.read_text(encoding="utf-8")
    if start not in text:
        return
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    doc.write_text(f"{before}{start}\n{body}\n{end}{after}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated configuration names to run (others keep their results)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report-only", action="store_true",
                        help="rebuild the chart and the docs table from docs/bench/matching.json")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--method", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.method)
    path = OUT / "matching.json"
    if args.report_only:
        rows = json.loads(path.read_text())["runs"]
        write_chart(rows, OUT / "matching.svg")
        update_doc(rows)
        print(table(rows))
        return 0
    rows = bench(args.only, args.seed)
    OUT.mkdir(parents=True, exist_ok=True)
    rows = merge(rows, path)
    meta = {"machine": f"{os.cpu_count()} cores", "load_average_at_end": os.getloadavg(), "seed": args.seed,
            "command": "python bench/bench_matching.py"}
    path.write_text(json.dumps({"meta": meta, "runs": rows}, indent=1) + "\n", encoding="utf-8")
    write_chart(rows, OUT / "matching.svg")
    update_doc(rows)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
