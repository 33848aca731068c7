from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Tableaux de bord ARS")

    def ready(self) -> None:
        # The periodic refreshes join the project's beat schedule (read by Celery when beat starts).
        from django.conf import settings

        from dashboards.tasks import BEAT_SCHEDULE

        for name, entry in BEAT_SCHEDULE.items():
            settings.CELERY_BEAT_SCHEDULE.setdefault(name, entry)
