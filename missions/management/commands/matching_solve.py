"""Solve an instance folder without the database: ``matching_solve DIR --out assignment.csv``.

A thin wrapper of the engine's command line (``python -m missions.matching solve``). When the
folder holds the platform's ``excluded.csv`` (pairs forbidden by blocks or notice periods,
written by ``matching_export``), those pairs are removed from the candidates first.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from missions.matching import check_assignment, read_instance, solve, write_assignment
from missions.matching.cli import main as engine_main
from missions.matching.cli import rules_line
from missions.matching.instance import InstanceError
from missions.platform.files import EXCLUDED_FILE, candidates_without, read_excluded


class Command(BaseCommand):
    help = "Solve a FORMAT.md instance folder and write the assignment CSV (no database needed)."
    # The system checks import every URL configuration, hence every view of the project (about
    # 2 s, a fifth of a region's solve); a command that touches neither URLs nor models skips them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--out", type=Path, required=True, help="assignment CSV to write")
        parser.add_argument("--baseline", action="store_true", help="first-come baseline instead of the optimiser")

    def handle(self, *args, **options) -> None:
        folder, out = options["folder"], options["out"]
        if not (folder / EXCLUDED_FILE).is_file() or options["baseline"]:
            argv = ["solve", str(folder), "--out", str(out)] + (["--baseline"] if options["baseline"] else [])
            code = engine_main(argv, stdout=self.stdout, stderr=self.stderr)
            if code:
                raise CommandError(f"matching failed (exit {code})", returncode=code)
            return
        try:
            instance = read_instance(folder)
            pro, shift = read_excluded(folder, instance)
        except InstanceError as exc:
            raise CommandError(f"error: {exc}", returncode=2) from exc
        result = solve(instance, candidates=candidates_without(instance, pro, shift))
        problems = check_assignment(instance, result.assignment)
        if problems:
            raise CommandError(f"the assignment breaks {len(problems)} constraints, first: {problems[0]}", returncode=1)
        write_assignment(instance, result.assignment, out)
        s = result.summary()
        self.stdout.write(f"rules        {rules_line(instance.rules)}")
        self.stdout.write(f"filled {s['filled']} / {s['positions_total']} positions ({len(pro)} pairs excluded), "
                          f"objective {s['objective']}, gap {s['gap']}")
