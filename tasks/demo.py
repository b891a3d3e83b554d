"""Demo tasks for `seed_demo`, made through the services as the demo logins would make
them, so every timeline is real: reported, dispatched to the demo stairwell leader's
stairwell (work waiting on the phone pages), acknowledged, handled and waiting for
verification, closed first time and after rework, returned, on hold, and emergencies
whose one-minute clocks run out after seeding, for the running worker and beat to
escalate up the tree. Behind them, a month of history: a task closed each day of the
last thirty, some late (escalated before anyone acknowledged), some after rework, some
rated, and a few still open and overdue. Those are made through the services now and
then moved back in time whole — every timestamp of the task, its log, escalations and
notifications by the same amount — so their timelines stay real."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F

from grids.models import Level, Node
from tasks import escalation, services
from tasks.models import Category, Escalation, Notification, Source, Task, TaskEvent

HISTORY_DAYS = 30
# Days ago of the tasks left open: their deadlines long past, the beat escalates them.
OVERDUE_DAYS = (2, 4, 6)

# (category code, title): what a community hears about.
TITLES = [
    ("exposed_garbage", "楼道口堆放生活垃圾"),
    ("illegal_building", "顶楼露台私搭彩钢棚"),
    ("resident_order", "独居老人申请代购药品"),
    ("safety_hazard", "电动车楼道内充电"),
    ("hotline_consult", "咨询居住证办理材料"),
    ("hotline_help", "楼道灯损坏请求维修"),
    ("hotline_complaint", "夜间装修噪音投诉"),
    ("exposed_garbage", "绿化带内建筑垃圾"),
]
# How far along each demo task goes, in the order of the pipeline.
PLANS = [
    [],
    ["accept"],
    ["accept", "dispatch"],
    ["accept", "dispatch"],
    ["accept", "dispatch", "acknowledge"],
    ["accept", "dispatch", "acknowledge", "arrive"],
    ["accept", "dispatch", "acknowledge", "arrive", "handle"],
    ["accept", "dispatch", "acknowledge", "arrive", "handle", "verify"],
    ["accept", "dispatch", "acknowledge", "arrive", "handle", "rework", "handle", "verify"],
    ["accept", "dispatch", "return"],
    ["accept", "hold"],
]
NOTES = {
    "handle": "已到现场处置完毕，拍照留存。",
    "return": "不属于本楼道，请改派物业。",
    "hold": "等待物业公司书面答复。",
}


def seed_tasks(*, street: Node) -> int:
    """The demo street's tasks; returns how many."""
    User = get_user_model()
    worker = User.objects.filter(username="worker").first()
    leader = User.objects.filter(username="stairwell").first()
    if worker is None or leader is None:
        return 0
    stairwell = Node.objects.filter(
        pk__in=leader.staff.assignments.values("node_id"), level=Level.STAIRWELL
    ).first()
    if stairwell is None:
        return 0
    categories = {c.code: c for c in Category.objects.all()}
    made = 0
    for index, plan in enumerate(PLANS * 2):
        code, title = TITLES[index % len(TITLES)]
        task = services.create_task(
            user=worker,
            title=title,
            category=categories[code],
            node=stairwell,
            source=Source.HOTLINE if code.startswith("hotline") else Source.PATROL,
            description="演示数据",
        )
        for step in plan:
            task = _take(task, step, worker=worker, leader=leader, stairwell=stairwell)
        made += 1
    # Emergencies nobody acknowledges: the beat escalates them a level a minute.
    for title in ("楼道内有燃气泄漏气味", "地下车库进水"):
        task = services.create_task(
            user=worker,
            title=title,
            category=categories["emergency"],
            node=stairwell,
            source=Source.PATROL,
        )
        task = services.act(user=worker, task=task, action="accept")
        services.act(user=worker, task=task, action="dispatch", node=stairwell)
        made += 1
    people = {"worker": worker, "leader": leader, "stairwell": stairwell}
    for day in range(1, HISTORY_DAYS + 1):
        _backdate(_closed(day, categories, **people), datetime.timedelta(days=day))
        made += 1
    for day in OVERDUE_DAYS:
        code, title = TITLES[day % len(TITLES)]
        task = _report(worker, categories[code], title, stairwell)
        for step in ("accept", "dispatch"):
            task = _take(task, step, **people)
        _backdate(task, datetime.timedelta(days=day))
        made += 1
    return made


def _report(worker: Any, category: Category, title: str, stairwell: Node) -> Task:
    return services.create_task(
        user=worker,
        title=title,
        category=category,
        node=stairwell,
        source=Source.HOTLINE if category.code.startswith("hotline") else Source.PATROL,
        description="演示数据",
    )


def _closed(day: int, categories: dict[str, Category], **people: Any) -> Task:
    """One closed task of the history: every fourth late, every fifth reworked, every
    third rated."""
    code, title = TITLES[day % len(TITLES)]
    task = _report(people["worker"], categories[code], title, people["stairwell"])
    for step in ("accept", "dispatch"):
        task = _take(task, step, **people)
    if day % 4 == 0 and task.next_escalation_at is not None:
        # Nobody acknowledged in time: the step the sweeper would have run.
        escalation.escalate(task.pk, task.next_escalation_at, task.next_escalation_at)
    plan = ["acknowledge", "arrive", "handle"]
    plan += ["rework", "handle", "verify"] if day % 5 == 0 else ["verify"]
    for step in plan:
        task = _take(task, step, **people)
    if day % 3 == 0:
        rating = ("satisfied", "fairly", "satisfied", "unsatisfied")[day % 4]
        task = services.act(user=people["worker"], task=task, action="rate", rating=rating)
    return task


def _backdate(task: Task, by: datetime.timedelta) -> None:
    """Move the task and everything it logged `by` into the past."""
    moved = {
        name: F(name) - by
        for name in (
            "created_at",
            "dispatched_at",
            "stage_started_at",
            "due_at",
            "next_escalation_at",
            "closed_at",
        )
    }
    Task.objects.filter(pk=task.pk).update(**moved)
    TaskEvent.objects.filter(task=task).update(at=F("at") - by)
    Escalation.objects.filter(task=task).update(
        escalated_at=F("escalated_at") - by, due_at=F("due_at") - by
    )
    Notification.objects.filter(task=task).update(
        created_at=F("created_at") - by, read_at=F("read_at") - by
    )


def _take(task: Task, step: str, *, worker: Any, leader: Any, stairwell: Node) -> Task:
    if step == "dispatch":
        return services.act(user=worker, task=task, action="dispatch", node=stairwell)
    if step in ("acknowledge", "arrive", "handle", "return"):
        return services.act(user=leader, task=task, action=step, note=NOTES.get(step, ""))
    if step == "rework":
        return services.act(
            user=worker, task=task, action="verify", passed=False, note="现场仍有残留"
        )
    if step == "verify":
        return services.act(user=worker, task=task, action="verify", passed=True)
    return services.act(user=worker, task=task, action=step, note=NOTES.get(step, ""))
