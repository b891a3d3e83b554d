"""The role groups' permissions on micro-projects: street officials and community workers
enter ideas from the suggestion box, adopt them and keep the projects up; grid leaders
see them."""

from django.db import migrations

from common.grants import grant_group_permissions

MANAGE = ["view_idea", "add_idea", "change_idea", "adopt_idea", "view_project", "change_project"]
GROUP_PERMISSIONS = {
    "街道干部": MANAGE,
    "社区工作者": MANAGE,
    "网格员": ["view_idea", "view_project"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "microprojects", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("microprojects", "0001_initial"), ("grids", "0002_role_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
