from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # Register the tasks in every process, not only in workers: the services queue ``deliver`` by
        # name (ville_hopital.task_queue), and the web process must find it to run it eagerly. Inside
        # ready(), not at the top: the tasks import services and models, which need the app registry.
        import webhooks.tasks  # noqa: F401
