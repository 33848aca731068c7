from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VilleHopitalConfig(AppConfig):
    name = "ville_hopital"
    verbose_name = "Ville-Hôpital"

    def ready(self) -> None:
        from ville_hopital import second_factor  # noqa: F401  (connects the MFA audit receivers)
        from ville_hopital.sites import site_sync_from_settings  # models are ready only now

        # After django.contrib.sites created its row (it comes first in INSTALLED_APPS).
        post_migrate.connect(site_sync_from_settings, sender=self, dispatch_uid="ville_hopital.site_sync")
