from django.core.management.base import BaseCommand
from tqdm import tqdm

from territories.services import commune_count_in_file, geography_load


class Command(BaseCommand):
    help = "Load (or refresh) regions, départements and communes from the vendored open data. Idempotent."

    def handle(self, *args, **options) -> None:
        with tqdm(total=commune_count_in_file(), unit="commune", desc="Communes", disable=options["verbosity"] == 0) as bar:
            counts = geography_load(progress=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts.regions} régions, {counts.departements} départements, {counts.communes} communes."
            )
        )
