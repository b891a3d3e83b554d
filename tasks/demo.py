"""Demo tasks for `seed_demo`, made through the services as the demo logins would make
them, so every timeline is real: reported, dispatched to the demo stairwell leader's
stairwell (work waiting on the phone pages), acknowledged, handled and waiting for
verification, closed first time and after rework, returned, on hold, and emergencies
whose one-minute clocks run out after seeding, for the running worker and beat to
escalate up the tree."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from grids.models import Level, Node
from tasks import services
from tasks.models import Category, Source, Task

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
    return made


def _take(task: Task, step: str, *, worker: object, leader: object, stairwell: Node) -> Task:
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
