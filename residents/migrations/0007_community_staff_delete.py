"""Community workers may delete households and persons in their jurisdiction.

Deleting a wrong or departed record is their everyday work; the history keeps
the record and 已删除记录 restores it, so the permission costs nothing lost.
"""

from django.db import migrations

GROUP = "社区工作者"
CODENAMES = ["delete_household", "delete_person"]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="residents", codename__in=CODENAMES)


def grant(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name=GROUP):
        group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name=GROUP):
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [("residents", "0006_import_problem_count_and_recorded_dates")]

    operations = [migrations.RunPython(grant, revoke)]
