"""Role groups' permissions granted by a data migration, one helper for every app's."""

from __future__ import annotations

from typing import Any


def grant_group_permissions(apps: Any, app_label: str, codenames: dict[str, list[str]]) -> None:
    """Give each role group named in `codenames` those permissions of `app_label`."""
    from django.contrib.auth.management import create_permissions

    # The permissions of models new in this run are otherwise made after the last migration.
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=codenames):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label, codename__in=codenames[group.name]
            )
        )
