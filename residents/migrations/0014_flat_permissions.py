"""Give the role groups the flat and owner permissions, as they have the household ones (0002).

A flat holds what was the household's housing status and area: whoever views
households views flats and their owners (the owners' roll), and whoever
changes households changes them. No group adds or deletes flats or owners by
hand: a flat is made with its first household, an owner by the owners' roll.
"""

from django.db import migrations

from common.grants import grant_group_permissions

GROUP_PERMISSIONS = {
    "街道干部": ["view"],
    "社区工作者": ["view", "change"],
    "网格员": ["view", "change"],
    "微网格员": ["view"],
    "楼道一长二员": ["view"],
}


def _permissions(apps, actions):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label="residents",
        codename__in=[f"{a}_{model}" for a in actions for model in ("flat", "owner")],
    )


def grant(apps, schema_editor):
    grant_group_permissions(
        apps,
        "residents",
        {
            group: [f"{a}_{model}" for a in actions for model in ("flat", "owner")]
            for group, actions in GROUP_PERMISSIONS.items()
        },
    )


def revoke(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS):
        group.permissions.remove(*_permissions(apps, ["view", "change"]))


class Migration(migrations.Migration):
    dependencies = [("residents", "0013_transfer_requests"), ("grids", "0002_role_groups")]

    operations = [migrations.RunPython(grant, revoke)]
