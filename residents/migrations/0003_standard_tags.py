"""The special-group tags every community keeps; more can be added in the admin."""

from django.db import migrations

STANDARD_TAGS = ["独居老人", "空巢老人", "留守儿童", "残疾人", "低保", "退役军人", "重点人员"]


def add_tags(apps, schema_editor):
    Tag = apps.get_model("residents", "Tag")
    for name in STANDARD_TAGS:
        Tag.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("residents", "0002_role_permissions")]

    operations = [migrations.RunPython(add_tags, migrations.RunPython.noop)]
