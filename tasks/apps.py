from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("Dispatch tasks")

    def ready(self) -> None:
        from tasks import receivers  # noqa: F401 - connects the signal receivers
