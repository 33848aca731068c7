"""Seed a believable demo territory (Occitanie), deterministic and idempotent.

Each capability adds a step (a module with ``seed(ctx)``) to DEMO_STEPS, in dependency order.
"""

from __future__ import annotations

import importlib
import random

from django.core.management.base import BaseCommand
from tqdm import tqdm

from ville_hopital.demo import DEMO_PASSWORD, DemoContext

DEMO_STEPS = [
    "ville_hopital.demo",
    "establishments.demo",
    "professionals.demo",  # after establishments.demo: the demo proposals need its shifts
    "missions.demo",  # insurance certificates, then one nightly matching of the demo region
    "missions.contracts.demo",  # some proposals accepted: missions booked, contracts drafted, some signed
    "dashboards.demo",  # last: demo history and the aggregates of everything seeded before
]


class Command(BaseCommand):
    help = "Create the demo territory: accounts for each role, establishments, professionals, shifts, missions."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="RNG seed (same seed, same data)")
        parser.add_argument("--size", type=int, default=1, help="scale factor (1 = a few hundred professionals)")

    def handle(self, *args, **options) -> None:
        if options["size"] < 1:
            self.stderr.write("--size must be at least 1")
            raise SystemExit(2)
        ctx = DemoContext(rng=random.Random(options["seed"]), size=options["size"])
        for step in tqdm(DEMO_STEPS, desc="Démo", unit="étape", disable=options["verbosity"] == 0):
            importlib.import_module(step).seed(ctx)
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes. Comptes (mot de passe commun) :"))
        for role, email in ctx.logins:
            self.stdout.write(f"  {role:<45} {email}")
        self.stdout.write(f"  mot de passe : {DEMO_PASSWORD}")
