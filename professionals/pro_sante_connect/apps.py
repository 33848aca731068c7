from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProSanteConnectConfig(AppConfig):
    name = "professionals.pro_sante_connect"
    label = "pro_sante_connect"
    verbose_name = _("Pro Santé Connect")

    def ready(self) -> None:
        from professionals.pro_sante_connect import signals  # noqa: F401  (connects the receivers)
