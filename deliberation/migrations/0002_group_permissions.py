"""The role groups' permissions on matters: street officials and community workers run
the deliberations, record the votes and publish; grid and micro-grid leaders see them."""

from django.db import migrations

from common.grants import grant_group_permissions

MANAGE = ["view_matter", "add_matter", "change_matter", "publish_matter"]
GROUP_PERMISSIONS = {
    "街道干部": MANAGE,
    "社区工作者": MANAGE,
    "网格员": ["view_matter"],
    "微网格员": ["view_matter"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "deliberation", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("deliberation", "0001_initial"), ("grids", "0002_role_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
