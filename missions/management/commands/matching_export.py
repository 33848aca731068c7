"""Write a region's matching instance (FORMAT.md folder) from the database: ``matching_export``."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from missions.platform.eligible import excluded_pairs
from missions.platform.files import partition_export
from missions.platform.loading import partition_load
from territories.models import Region


class Command(BaseCommand):
    help = "Export the open positions and professionals of a region as a FORMAT.md instance folder."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--region", required=True, help="INSEE region code, e.g. 76")
        parser.add_argument("--start", required=True, type=date.fromisoformat, help="day 1 (YYYY-MM-DD)")
        parser.add_argument("--horizon", type=int, default=None, help="days (default MATCHING_HORIZON_DAYS)")
        parser.add_argument("--out", required=True, help="folder to write")

    def handle(self, *args, **options) -> None:
        if not Region.objects.filter(code=options["region"]).exists():
            raise CommandError(f"unknown region {options['region']!r}")
        part = partition_load(region_code=options["region"], start=options["start"], horizon_days=options["horizon"])
        folder = partition_export(part, options["out"], excluded=excluded_pairs(part))
        inst = part.instance
        self.stdout.write(
            f"{folder}: {len(inst.pros)} professionals, {len(inst.availability)} available slots, "
            f"{len(inst.shifts)} shifts, {part.n_positions} open positions, {len(inst.booked)} booked slots"
        )
