"""Run the matching of one region now and print the run's summary: ``matching_run``."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from missions.core.models import MatchingRunKind
from missions.platform.services.matching import matching_run_region
from territories.models import Region

STEPS = ("load", "solve", "write")


class Command(BaseCommand):
    help = "Match the open positions of a region now (a manual run) and write the proposals."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--region", required=True, help="INSEE region code, e.g. 76")
        parser.add_argument("--start", type=date.fromisoformat, default=None, help="day 1 (default: today)")
        parser.add_argument("--horizon", type=int, default=None, help="days (default MATCHING_HORIZON_DAYS)")

    def handle(self, *args, **options) -> None:
        if not Region.objects.filter(code=options["region"]).exists():
            raise CommandError(f"unknown region {options['region']!r}")
        start = options["start"] or timezone.localdate()
        with tqdm(total=len(STEPS), desc="Appariement", unit="étape", disable=options["verbosity"] == 0) as bar:
            def progress(step: str) -> None:
                bar.set_postfix_str(step)
                bar.n = STEPS.index(step)
                bar.refresh()

            run = matching_run_region(region_code=options["region"], start=start, kind=MatchingRunKind.MANUAL,
                                      horizon_days=options["horizon"], progress=progress)
            bar.n = len(STEPS)
            bar.refresh()
        gap = "n/a" if run.gap is None else f"{100 * run.gap:.3f} %"
        self.stdout.write(
            f"run {run.pk} ({run.get_state_display()}), region {run.region_id} from {run.start}\n"
            f"  inputs: {run.n_pros} professionals, {run.n_slots} slots, {run.n_shifts} shifts, "
            f"{run.n_positions} open positions, {run.n_arcs} candidate pairs ({run.n_excluded} excluded)\n"
            f"  filled {run.filled}, proposals written {run.proposals_written}, method {run.method}, gap {gap}\n"
            f"  load {run.load_seconds or 0:.2f} s, solve {run.solve_seconds or 0:.2f} s, "
            f"write {run.write_seconds or 0:.2f} s"
        )
