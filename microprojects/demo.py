"""Demo micro-projects for `seed_demo`, through the services, in the demo community worker's
community: 晾衣架 finished, published and rated; 充电桩 underway with residents signed
up; 共享书架 gathering hands; and one idea declined with its answer."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model

from grids.models import Node
from microprojects import services
from microprojects.models import Project


def _phone(n: int) -> str:
    return f"1390571{n:04d}"


def seed_projects(*, street: Node) -> int:
    worker = get_user_model().objects.filter(username="worker").first()
    community = street.get_children().order_by("lft").first()
    if worker is None or community is None:
        return 0
    ideas = {
        title: services.submit_idea(
            community=community, title=title, text=text, name=name, phone=_phone(i)
        )
        for i, (title, text, name) in enumerate(
            [
                ("楼道口加装晾衣架", "1幢、2幢老人多，希望在楼前空地装晾衣架。", "陈阿姨"),
                ("增设电动自行车充电桩", "楼道充电有安全隐患，建议在车棚装充电桩。", "李先生"),
                ("共享书架", "在架空层放一个共享书架，大家换书看。", "王同学"),
                ("小区门口增设红绿灯", "上下班高峰过马路不安全。", "赵先生"),
            ]
        )
    }
    for n, idea in enumerate(ideas.values()):
        for k in range(3 + 4 * (3 - n)):
            services.raise_hand(idea=idea, phone=_phone(100 + 20 * n + k))
    services.raise_hand(
        idea=ideas["增设电动自行车充电桩"], phone=_phone(900), branch="和达城党支部"
    )
    racks = services.adopt(user=worker, idea=ideas["楼道口加装晾衣架"], budget=Decimal("6000"))
    chargers = services.adopt(
        user=worker, idea=ideas["增设电动自行车充电桩"], budget=Decimal("38000")
    )
    for project in (racks, chargers):
        for k in range(3):
            services.sign_up(
                project=project, name=f"志愿者{k + 1}", phone=_phone(300 + 10 * project.pk + k)
            )
    services.post_update(
        user=worker, project=racks, text="选定位置，居民议事会通过方案。", progress=40
    )
    services.post_update(user=worker, project=racks, text="8 组晾衣架安装完毕。", progress=90)
    services.publish(user=worker, project=racks, summary="楼前空地安装晾衣架 8 组，花费 5,600 元。")
    for k, value in enumerate(["satisfied"] * 9 + ["fairly"] * 3 + ["unsatisfied"]):
        services.rate(project=racks, phone=_phone(500 + k), value=value)
    services.post_update(
        user=worker, project=chargers, text="完成车棚电路改造，安装一半。", progress=50
    )
    services.decline(
        user=worker,
        idea=ideas["小区门口增设红绿灯"],
        answer="属交警部门职责，社区已转交区交警大队并跟踪答复。",
    )
    return Project.objects.count()
