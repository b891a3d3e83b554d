"""The shipped defaults: the national calendar with the State Council's 2026 holidays and
make-up working days, the task categories with their stage limits (fixtures/), and the
tasks permissions of the role groups. Next year's days are added in the admin."""

import json
from pathlib import Path

from django.db import migrations

from common.grants import grant_group_permissions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

GROUP_PERMISSIONS = {
    "街道干部": ["view_task", "add_task", "dispatch_task", "view_category", "change_category",
                "add_category", "view_calendar", "change_calendar", "add_calendar",
                "view_calendarday", "add_calendarday", "change_calendarday",
                "delete_calendarday"],
    "社区工作者": ["view_task", "add_task", "dispatch_task", "view_category", "view_calendar",
                "view_calendarday"],
    "网格员": ["view_task", "add_task"],
    "微网格员": ["view_task", "add_task"],
    "楼道一长二员": ["view_task", "add_task"],
}


def load(apps, schema_editor):
    Calendar = apps.get_model("tasks", "Calendar")
    CalendarDay = apps.get_model("tasks", "CalendarDay")
    Category = apps.get_model("tasks", "Category")
    StageLimit = apps.get_model("tasks", "StageLimit")
    national, _ = Calendar.objects.get_or_create(street=None, defaults={"name": "全国默认"})
    days = json.loads((FIXTURES / "calendar_2026.json").read_text(encoding="utf-8"))["days"]
    for day in days:
        CalendarDay.objects.get_or_create(
            calendar=national, date=day["date"], defaults={"kind": day["kind"], "name": day["name"]}
        )
    shipped = json.loads((FIXTURES / "task_categories.json").read_text(encoding="utf-8"))
    for row in shipped["categories"]:
        category, created = Category.objects.get_or_create(
            code=row["code"],
            defaults={"name": row["name"], "default_priority": row["default_priority"]},
        )
        if created:
            StageLimit.objects.bulk_create(
                StageLimit(category=category, **limit) for limit in row["limits"]
            )
    grant_group_permissions(apps, "tasks", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial"), ("grids", "0002_role_groups")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
