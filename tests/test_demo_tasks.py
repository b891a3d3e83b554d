"""seed_demo's tasks: made through the services by the demo logins, so each has its real
timeline; the demo stairwell leader finds work waiting on the phone pages, and the
demo's emergencies are due within a minute for the running beat to escalate."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tasks import escalation
from tasks.models import Escalation, Task

pytestmark = pytest.mark.django_db


def test_the_demo_street_has_tasks_at_every_step_and_work_on_the_phone(capsys):
    call_command("seed_demo", "--scale", "tiny")
    statuses = set(Task.objects.values_list("status", flat=True))
    assert {
        "reported",
        "accepted",
        "dispatched",
        "acknowledged",
        "arrived",
        "handled",
        "closed",
        "returned",
        "on_hold",
    } <= statuses
    assert Task.objects.filter(rework_count=1, status="closed").exists()
    # Every task's log starts with its report and has a row per step.
    for task in Task.objects.all():
        actions = list(task.events.values_list("action", flat=True))
        assert actions[0] == "report"
    # A month of history: a task closed each day, some late, some rated, a few overdue.
    month_ago = timezone.now() - datetime.timedelta(days=31)
    closed = Task.objects.filter(status="closed", closed_at__gte=month_ago)
    days = {timezone.localdate(t.closed_at) for t in closed}
    assert len(days) >= 30
    assert closed.filter(escalations__isnull=False).distinct().count() >= 7
    assert closed.exclude(rating="").count() >= 10
    assert Task.objects.filter(status="dispatched", due_at__lt=timezone.now()).count() >= 3
    for task in closed:
        times = list(task.events.values_list("at", flat=True))
        assert times == sorted(times) and times[0] >= task.created_at - datetime.timedelta(
            seconds=1
        )
    phone = Client()
    phone.force_login(get_user_model().objects.get(username="stairwell"))
    assert phone.get("/m/").content.decode().count('class="task') >= 8
    # The emergencies: nobody acknowledges, and a minute on they climb the tree.
    soon = timezone.now() + datetime.timedelta(minutes=1, seconds=5)
    assert escalation.sweep(soon)[0] >= 2
    assert Escalation.objects.filter(task__category__code="emergency").count() >= 2
