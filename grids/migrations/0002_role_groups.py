"""Create one Django group per role family with the permissions its work needs."""

from django.db import migrations

GROUP_PERMISSIONS = {
    "街道干部": {
        "node": ["view", "add", "change", "delete"],
        "supplyitem": ["view", "add", "change", "delete"],
        "staff": ["view", "add", "change"],
        "assignment": ["view", "add", "change"],
    },
    "社区工作者": {
        "node": ["view", "add", "change", "delete"],
        "supplyitem": ["view", "add", "change", "delete"],
        "staff": ["view", "add", "change"],
        "assignment": ["view", "add", "change"],
    },
    "网格员": {
        "node": ["view", "change"],
        "supplyitem": ["view", "add", "change", "delete"],
        "staff": ["view"],
        "assignment": ["view"],
    },
    "微网格员": {"node": ["view"], "supplyitem": ["view"], "staff": ["view"], "assignment": ["view"]},
    "楼道一长二员": {"node": ["view"], "staff": ["view"]},
    "储备力量与志愿者": {"node": ["view"]},
}


# Unmasked ID numbers and phones (grids.view_personal_data): the workers who
# keep the roster, within their jurisdiction.
PERSONAL_DATA_GROUPS = ["社区工作者", "网格员"]


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; we need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, models in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [f"{action}_{model}" for model, actions in models.items() for action in actions]
        if name in PERSONAL_DATA_GROUPS:
            codenames.append("view_personal_data")
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="grids", codename__in=codenames)
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
