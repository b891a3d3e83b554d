from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """Pages anyone may read, without a login; nothing else imports them."""

    name = "public"
    verbose_name = _("Public pages")
