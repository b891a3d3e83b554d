"""Give the role groups (grids/0002) the roster permissions their work needs."""

from django.db import migrations

ROSTER = ["household", "person", "lifeevent", "visit"]
GROUP_PERMISSIONS = {
    "街道干部": {**{m: ["view"] for m in ROSTER}, "importbatch": ["view", "add"], "tag": ["view"]},
    "社区工作者": {
        **{m: ["view", "add", "change"] for m in ROSTER},
        "importbatch": ["view", "add"],
        "tag": ["view", "add"],
    },
    "网格员": {
        **{m: ["view", "add", "change"] for m in ROSTER},
        "importbatch": ["view", "add"],
        "tag": ["view"],
    },
    "微网格员": {"household": ["view"], "person": ["view"], "visit": ["view", "add"], "lifeevent": ["view", "add"]},
    "楼道一长二员": {"household": ["view"], "person": ["view"]},
}

def codenames(models):
    return [f"{action}_{model}" for model, actions in models.items() for action in actions]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, models in GROUP_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="residents", codename__in=codenames(models))
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GROUP_PERMISSIONS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="residents"))


class Migration(migrations.Migration):
    dependencies = [("residents", "0001_initial"), ("grids", "0002_role_groups")]

    operations = [migrations.RunPython(grant, revoke)]
