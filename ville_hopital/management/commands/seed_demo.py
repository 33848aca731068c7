"""Seed a believable demo territory (Occitanie), deterministic and idempotent.

Each capability adds a step (a module with ``seed(ctx)``) to DEMO_STEPS, in dependency order.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core import mail
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from tqdm import tqdm

from ville_hopital.demo import DemoContext, demo_api_text, demo_logins_text, demo_seed_record

DEMO_STEPS = [
    "ville_hopital.demo",
    "directories.demo",  # the sample RPPS and FINESS extractions the demo's people and sites are checked against
    "establishments.demo",
    "professionals.demo",  # after establishments.demo: the demo proposals need its shifts
    "missions.demo",  # the known login's offers, insurance certificates, then one nightly matching
    "missions.demo_contracts",  # some proposals accepted: missions booked, contracts drafted, some signed
    "dashboards.demo",  # demo history and the aggregates of everything seeded before
    "ville_hopital.demo_second_factor",  # staff, ARS, admins and HR get the printed TOTP key
    "establishments.demo_integration",  # CH de Mende's planning software's API token, printed below
]
CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"


@contextmanager
def console_emails_held() -> Iterator[list]:
    """With the console backend (the embedded set-up), the seed's emails (offers, bookings, contracts
    to sign…) would fill the terminal above the logins: keep them in memory and yield that list, to
    be counted. Any other backend sends them as configured (the list stays empty)."""
    if settings.EMAIL_BACKEND != CONSOLE_EMAIL:
        yield []
        return
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        try:
            yield mail.outbox
        finally:
            del mail.outbox


class Command(BaseCommand):
    help = "Create the demo territory: accounts for each role, establishments, professionals, shifts, missions."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="RNG seed (same seed, same data)")
        parser.add_argument("--size", type=int, default=1, help="scale factor (1 = a few hundred professionals)")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the platform will answer "
                            "(printed in the API's curl example)")

    def handle(self, *args, **options) -> None:
        if options["size"] < 1:
            self.stderr.write("--size must be at least 1")
            raise SystemExit(2)
        ctx = DemoContext(rng=random.Random(options["seed"]), size=options["size"])
        with console_emails_held() as held:
            for step in tqdm(DEMO_STEPS, desc="Démo", unit="étape", disable=options["verbosity"] == 0):
                importlib.import_module(step).seed(ctx)
        demo_seed_record(ctx)
        if held:
            self.stdout.write(f"{len(held)} courriels envoyés pendant la démo (backend console : non affichés).")
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(demo_logins_text(ctx.logins))
        self.stdout.write(demo_api_text(options["base_url"], ctx.api_token))
