from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MicroprojectsConfig(AppConfig):
    name = "microprojects"
    verbose_name = _("Micro-projects (举手制)")

    def ready(self) -> None:
        from microprojects import receivers  # noqa: F401 - connects the signal receivers
