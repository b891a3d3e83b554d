from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids and staff")

    def ready(self) -> None:
        # After the admin's autodiscover (django.contrib.admin comes first in
        # INSTALLED_APPS): every registered admin accepts only its filters' lookups.
        from django.contrib import admin

        from grids.admin.mixins import offer_only_filter_lookups

        offer_only_filter_lookups(admin.site)
