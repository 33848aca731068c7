from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MissionsConfig(AppConfig):
    name = "missions"
    verbose_name = _("Missions")

    def ready(self) -> None:
        # Register the tasks in every process, not only in workers: other apps queue them by name
        # (ville_hopital.task_queue), and the web process must find them to run them eagerly. Inside
        # ready(), not at the top: the tasks import services and models, which need the app registry.
        import missions.contracts.tasks
        import missions.tasks  # noqa: F401
