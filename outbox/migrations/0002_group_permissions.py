"""The role groups' permissions on outside channels: street officials and community
workers set their units' robots; both see what went out."""

from django.db import migrations

from common.grants import grant_group_permissions

GROUP_PERMISSIONS = {
    "街道干部": ["view_channel", "add_channel", "change_channel", "delete_channel", "view_delivery"],
    "社区工作者": ["view_channel", "add_channel", "change_channel", "view_delivery"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "outbox", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial"), ("grids", "0002_role_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
