"""The role groups' permissions on outside channels: street officials and community
workers set their units' robots; both see what went out."""

from django.db import migrations

GROUP_PERMISSIONS = {
    "街道干部": ["view_channel", "add_channel", "change_channel", "delete_channel", "view_delivery"],
    "社区工作者": ["view_channel", "add_channel", "change_channel", "view_delivery"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # The permissions of models new in this run are otherwise made after the last migration.
    app_config = apps.get_app_config("outbox")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="outbox", codename__in=GROUP_PERMISSIONS[group.name]
            )
        )


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial"), ("grids", "0002_role_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
