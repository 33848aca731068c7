from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Tableaux de bord ARS")

    def ready(self) -> None:
        # The periodic refreshes join the project's beat schedule (ville_hopital.celery sets the others).
        # Inside ready(), not at the top: dashboards.tasks imports services and models, which need
        # the app registry this method runs after (not a cycle).
        from dashboards.tasks import BEAT_SCHEDULE
        from ville_hopital.celery import app

        app.conf.beat_schedule = {**BEAT_SCHEDULE, **(app.conf.beat_schedule or {})}
