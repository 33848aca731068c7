"""The matching command's pace against a plain exact min-cost-flow script, whole processes.

Generates region instances (bench/generate_instance.py) at each demand (positions as a share of
the available slots), then runs ``manage.py matching_solve`` and ``bench/reference_flow.py``
on each, interleaved (command, reference, command, reference …) so that the load of a shared
machine falls on both alike. Each run is its own child process: wall time, CPU time and peak
RSS (ru_maxrss from os.wait4) are that process's. Both assignments are re-read and valued by
the same code, so the objectives compare exactly. Results go to docs/bench/matching_pace.json
and a table into docs/matching.md (between the pace markers).

    python bench/bench_matching_pace.py --runs 3                 # region, demand 0.12 and 0.30
    python bench/bench_matching_pace.py --runs 1 --scale national --demands 0.10
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_matching import replace_marked  # noqa: E402
from bench.generate_instance import generate, load_communes  # noqa: E402
from missions.matching.instance import read_assignment, read_instance, write_instance  # noqa: E402

DOC = ROOT / "docs" / "matching.md"
OUT = ROOT / "docs" / "bench" / "matching_pace.json"
PROGRAMS = ("command", "reference")


def program_argv(program: str, folder: Path, out: Path) -> list[str]:
    if program == "command":
        return [sys.executable, str(ROOT / "manage.py"), "matching_solve", str(folder), "--out", str(out)]
    return [sys.executable, str(ROOT / "bench" / "reference_flow.py"), str(folder), "--out", str(out)]


def run(argv: list[str]) -> dict:
    """One child process: its wall time, CPU time and peak RSS."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{argv[1:3]} failed with exit code {code}")
    return {"wall_s": round(wall, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}  # Linux reports kB


def stages(folder: Path, out: Path) -> int:
    """The command's work stage by stage, in this (child) process: what ``manage.py
    matching_solve`` does, with a clock between the stages. Prints JSON."""
    t0 = time.perf_counter()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ville_hopital.settings")
    import django

    django.setup()
    t1 = time.perf_counter()
    from missions.management.commands import matching_solve  # noqa: F401  (what the command imports)
    from missions.matching import check_assignment, solve, write_assignment
    from missions.matching.candidates import build_candidates

    t2 = time.perf_counter()
    inst = read_instance(folder)
    t3 = time.perf_counter()
    cand = build_candidates(inst)
    t4 = time.perf_counter()
    result = solve(inst, candidates=cand)
    t5 = time.perf_counter()
    assert check_assignment(inst, result.assignment) == []
    t6 = time.perf_counter()
    write_assignment(inst, result.assignment, out)
    t7 = time.perf_counter()
    print(json.dumps({"django_setup": t1 - t0, "imports": t2 - t1, "read": t3 - t2, "candidates": t4 - t3,
                      "flow": t5 - t4, "check": t6 - t5, "write": t7 - t6, "total": t7 - t0,
                      "flow_batches": result.counts["flow_batches"], "candidate_pairs": len(cand)}))
    return 0


def stage_profile(folder: Path) -> dict:
    """One stage-timed run of the command and of the reference (after the timed runs)."""
    out = folder.parent / f"{folder.name}-stages.csv"
    command = json.loads(subprocess.run([sys.executable, __file__, "--stages", str(folder), str(out)], cwd=ROOT,
                                        check=True, capture_output=True, text=True).stdout)
    reference = json.loads(subprocess.run(program_argv("reference", folder, out), cwd=ROOT, check=True,
                                          capture_output=True, text=True).stdout)["timings"]
    return {"command": {k: round(v, 3) if isinstance(v, float) else v for k, v in command.items()},
            "reference": reference}


def objective(folder: Path, assignment: Path) -> tuple[float, int]:
    """FORMAT's objective of an assignment file, distances recomputed by the engine's reader."""
    inst = read_instance(folder)
    a = read_assignment(inst, assignment)
    urgency = int(inst.shifts.urgency[a.shift].astype("int64").sum())
    return inst.meta.big * urgency - float(a.km.sum()), len(a)


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {"cpu": model, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024**2, 1),
            "python": platform.python_version(), "shared": "yes: other work ran on the same 2 cores"}


def bench_instance(folder: Path, label: str, runs: int, bar: tqdm, with_stages: bool) -> dict:
    times: dict[str, list[dict]] = {p: [] for p in PROGRAMS}
    outs = {p: folder.parent / f"{folder.name}-{p}.csv" for p in PROGRAMS}
    for _ in range(runs):
        for program in PROGRAMS:  # interleaved: A, B, A, B …
            bar.set_postfix_str(f"{label} {program}")
            times[program].append(run(program_argv(program, folder, outs[program])))
            bar.update()
    values = {p: objective(folder, outs[p]) for p in PROGRAMS}
    row = {"instance": label, "runs": runs, "load_average": os.getloadavg(), "stages": stage_profile(folder) if with_stages else None}
    for p in PROGRAMS:
        walls = [t["wall_s"] for t in times[p]]
        row[p] = {"wall_s": walls, "median_wall_s": statistics.median(walls),
                  "cpu_s": [t["cpu_s"] for t in times[p]],
                  "peak_rss_mb": max(t["peak_rss_mb"] for t in times[p]),
                  "objective": round(values[p][0], 6), "filled": values[p][1]}
    ratios = [c["wall_s"] / r["wall_s"] for c, r in zip(times["command"], times["reference"], strict=True)]
    row["ratio_per_pair"] = [round(x, 3) for x in ratios]
    row["ratio_median"] = round(statistics.median(ratios), 3)
    ref = values["reference"][0]
    row["objective_gap"] = (ref - values["command"][0]) / ref if ref else 0.0
    return row


def table(rows: list[dict]) -> str:
    lines = ["| instance | command wall s (median) | reference wall s (median) | ratio command / reference "
             "(median of pairs) | CPU s command / reference (medians) | command peak RSS MB | "
             "reference peak RSS MB | objective (both) | gap |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c, f = r["command"], r["reference"]
        lines.append(f"| {r['instance']} | {c['median_wall_s']:.2f} | {f['median_wall_s']:.2f} | "
                     f"{r['ratio_median']:.2f} ({', '.join(f'{x:.2f}' for x in r['ratio_per_pair'])}) | "
                     f"{statistics.median(c['cpu_s']):.1f} / {statistics.median(f['cpu_s']):.1f} | "
                     f"{c['peak_rss_mb']:,.0f} | {f['peak_rss_mb']:,.0f} | {c['objective']:,.3f} | "
                     f"{r['objective_gap']:.1e} |")
    return "\n".join(lines)


def stage_table(rows: list[dict]) -> str:
    names = ("django_setup", "imports", "read", "candidates", "flow", "check", "write", "total")
    lines = ["| instance | program | " + " | ".join(names) + " |", "|---|---|" + "---:|" * len(names)]
    for r in (r for r in rows if r["stages"]):
        c, f = r["stages"]["command"], r["stages"]["reference"]
        lines.append(f"| {r['instance']} | command | " + " | ".join(f"{c[n]:.2f}" for n in names) + " |")
        lines.append(f"| {r['instance']} | reference | – | – | {f['read']:.2f} | {f['candidates']:.2f} | "
                     f"{f['flow']:.2f} | – | {f['write']:.2f} | – |")
    return "\n".join(lines)


def update_doc(rows: list[dict], meta: dict) -> None:
    m = meta["machine"]
    note = (f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB, shared with other work "
            f"(load average {meta['load_average_at_start'][0]:.1f} at the start).")
    replace_marked(DOC, "pace", f"{table(rows)}\n\nStages (seconds, one extra run each):\n\n{stage_table(rows)}"
                   f"\n\n{note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs of each program per instance")
    parser.add_argument("--scale", choices=["departement", "region", "national"], default="region")
    parser.add_argument("--demands", default="0.12,0.30", help="positions per available slot, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report-only", action="store_true", help="rewrite the docs table from the JSON")
    parser.add_argument("--no-stages", action="store_true", help="skip the extra stage-timed run (national)")
    parser.add_argument("--stages", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stages:
        return stages(*args.stages)
    if args.report_only:
        saved = json.loads(OUT.read_text())
        update_doc(saved["runs"], saved["meta"])
        print(table(saved["runs"]))
        return 0
    demands = [float(d) for d in args.demands.split(",")]
    meta = {"machine": machine(), "load_average_at_start": os.getloadavg(), "seed": args.seed,
            "command": "python bench/bench_matching_pace.py " + " ".join(argv or sys.argv[1:])}
    communes = load_communes()
    rows = []
    with tempfile.TemporaryDirectory(prefix="vh-pace-") as tmp, \
            tqdm(total=len(demands) * args.runs * len(PROGRAMS), desc="pace", unit="run") as bar:
        for demand in demands:
            label = f"{args.scale} demand {demand:g}"
            folder = Path(tmp) / f"{args.scale}-{demand:g}"
            write_instance(generate(args.scale, args.seed, None, communes=communes, demand=demand), folder)
            rows.append(bench_instance(folder, label, args.runs, bar, not args.no_stages))
            tqdm.write(json.dumps(rows[-1]))
    meta["load_average_at_end"] = os.getloadavg()
    old = json.loads(OUT.read_text())["runs"] if OUT.exists() else []
    rows = [r for r in old if r["instance"] not in {x["instance"] for x in rows}] + rows
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"meta": meta, "runs": rows}, indent=1) + "\n", encoding="utf-8")
    update_doc(rows, meta)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
