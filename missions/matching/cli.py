"""Command line: solve an instance folder, print a summary, write the assignment.

Exit codes: 0 solved, 2 malformed instance (the error names file, line and column; nothing is
written), 1 the assignment failed its own feasibility check (a bug: nothing is written either).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from .baseline import first_come
from .checker import check_assignment
from .instance import Instance, InstanceError, Rules, read_instance, write_assignment
from .solver import Result, solve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m missions.matching",
                                     description="Match professionals to shift positions.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("solve", help="solve an instance folder (FORMAT.md layout)")
    p.add_argument("folder", type=Path)
    p.add_argument("--out", type=Path, help="assignment CSV to write (shift_id,position,pro_id,km)")
    p.add_argument("--baseline", action="store_true", help="first-come baseline instead of the optimiser")
    p.add_argument("--no-fairness", action="store_true", help="drop the fairness tie-break")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        instance = read_instance(args.folder)
    except InstanceError as exc:
        print(f"error: {exc}", file=err)
        return 2
    result = first_come(instance) if args.baseline else solve(instance, fairness=not args.no_fairness)
    problems = check_assignment(instance, result.assignment)
    if problems:
        print(f"error: the assignment breaks {len(problems)} constraints, first: {problems[0]}", file=err)
        return 1
    if args.out is not None:
        write_assignment(instance, result.assignment, args.out)
    _print_summary(instance, result, args.json, out)
    return 0


def _print_summary(instance: Instance, result: Result, as_json: bool, out: TextIO) -> None:
    # The rules applied are printed with the result: a run read with a rule off must say so.
    summary = {**result.summary(), "rules": asdict(instance.rules)}
    if as_json:
        print(json.dumps(summary, indent=1), file=out)
        return
    bound = "n/a" if summary["upper_bound"] is None else f"{summary['upper_bound']:.3f}"
    gap = "n/a" if summary["gap"] is None else f"{100 * summary['gap']:.4f} %"
    print(f"method       {summary['method']}", file=out)
    print(f"rules        {rules_line(instance.rules)}", file=out)
    print(f"filled       {summary['filled']} / {summary['positions_total']} positions", file=out)
    print(f"urgency      {summary['urgency_filled']} / {summary['urgency_total']}", file=out)
    print(f"km           {summary['km']:.3f}", file=out)
    print(f"objective    {summary['objective']:.3f}", file=out)
    print(f"bound        {bound}", file=out)
    print(f"gap          {gap}", file=out)
    print(f"time         {summary['timings'].get('total', 0.0):.3f} s", file=out)


def rules_line(rules: Rules) -> str:
    hours = "no limit" if rules.max_hours_per_7_days is None else f"{rules.max_hours_per_7_days:g} h"
    return (f"rest_night_then_day {'on' if rules.rest_night_then_day else 'off'}, "
            f"rest_after_24h {'on' if rules.rest_after_24h else 'off'}, max_hours_per_7_days {hours}")
