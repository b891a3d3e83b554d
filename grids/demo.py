"""A deterministic demo street: the tree, staff for every role, a few gaps, demo logins.

`street` has the Baiyang street's size (25 communities, 237 grids, 1,166
micro-grids, 4,664 stairwells); `tiny` is small enough for tests.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from grids import services
from grids.models import Affiliation, Kind, Level, Node, PartyMembership, Role, Staff
from grids.signals import demo_street_seeded
from grids.tree_import import TreeRow, load_street

DEMO_STREET_CODE = "330106004"
DEMO_PASSWORD = "demo-2026"


@dataclass(frozen=True)
class Scale:
    communities: int
    grids: int
    micro_grids: int
    stairwells_per_micro_grid: int


SCALES = {
    "tiny": Scale(communities=2, grids=4, micro_grids=8, stairwells_per_micro_grid=3),
    "street": Scale(communities=25, grids=237, micro_grids=1166, stairwells_per_micro_grid=4),
}

COMMUNITY_NAMES = [
    "邻里",
    "伊萨卡",
    "金沙",
    "和达",
    "云帆",
    "文渊",
    "高沙",
    "东城",
    "景苑",
    "福雷德",
    "听涛",
    "月雅",
    "松合",
    "明月",
    "江湾",
    "学林",
    "天城",
    "新湾",
    "望江",
    "春华",
    "秋实",
    "银杏",
    "翠苑",
    "星辰",
    "溪岸",
    "青荷",
    "紫荆",
    "兰亭",
    "桂语",
    "湖畔",
]
COMPOUND_PREFIXES = [
    "和达",
    "金沙",
    "云帆",
    "文鼎",
    "高沙",
    "东方",
    "景和",
    "月雅",
    "明月",
    "江湾",
    "学源",
    "天阳",
    "新湾",
    "望湖",
    "春江",
    "秋水",
    "银杏",
    "翠湖",
    "星河",
    "溪岸",
]
COMPOUND_SUFFIXES = [
    "城",
    "苑",
    "花园",
    "公寓",
    "家园",
    "府",
    "里",
    "湾",
    "庭",
    "雅居",
    "名邸",
    "新村",
]
DEDICATED = [
    (Kind.CAMPUS, "浙江理工大学"),
    (Kind.ENTERPRISE, "娃哈哈下沙基地"),
    (Kind.PARK, "白杨科创园"),
    (Kind.COMMERCIAL, "金沙天街商务楼"),
    (Kind.MARKET, "高沙农贸市场"),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅玉兰志文斌海燕鹏辉晓东雪琳婷"
    "欣怡子轩浩宇梓涵雨萱佳一诺俊杰"
)


def _distribute(total: int, buckets: int) -> list[int]:
    """Split `total` into `buckets` counts differing by at most one, larger first."""
    base, extra = divmod(total, buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets)]


def tree_rows(
    scale: Scale, street_code: str = DEMO_STREET_CODE, street_name: str = "白杨街道"
) -> list[TreeRow]:
    rows: list[TreeRow] = []
    line = iter(range(2, 10**7))

    def add(code: str, name: str, level: int, parent: str, **extra: str) -> None:
        rows.append(
            TreeRow(
                line=next(line),
                code=code,
                name=name,
                level=level,
                parent_code=parent,
                kind=extra.get("kind", Kind.RESIDENTIAL),
                compound=extra.get("compound", ""),
                building=extra.get("building", ""),
                unit=extra.get("unit", ""),
            )
        )

    add(street_code, street_name, Level.STREET, "")
    grids_per_community = _distribute(scale.grids, scale.communities)
    micro_per_grid = _distribute(scale.micro_grids, scale.grids)
    grid_index = 0
    for c, grid_count in enumerate(grids_per_community):
        community_code = f"{street_code}{c + 1:03d}"
        add(
            community_code,
            f"{COMMUNITY_NAMES[c % len(COMMUNITY_NAMES)]}社区",
            Level.COMMUNITY,
            street_code,
        )
        for g in range(grid_count):
            grid_code = f"{community_code}{g + 1:03d}"
            kind, compound = Kind.RESIDENTIAL, ""
            if grid_index % 40 == 39:
                kind, base = DEDICATED[(grid_index // 40) % len(DEDICATED)]
                compound = f"{base}{grid_index // 200 or ''}"
            else:
                compound = (
                    COMPOUND_PREFIXES[grid_index % len(COMPOUND_PREFIXES)]
                    + COMPOUND_SUFFIXES[
                        (grid_index // len(COMPOUND_PREFIXES)) % len(COMPOUND_SUFFIXES)
                    ]
                )
            add(
                grid_code,
                f"第{g + 1}网格",
                Level.GRID,
                community_code,
                kind=kind,
                compound=compound,
            )
            for m in range(micro_per_grid[grid_index]):
                micro_code = f"{grid_code}{m + 1:02d}"
                add(
                    micro_code,
                    f"{compound}第{m + 1}微网格",
                    Level.MICRO_GRID,
                    grid_code,
                    compound=compound,
                )
                for s in range(scale.stairwells_per_micro_grid):
                    building = str(m * 2 + s // 2 + 1)
                    unit = str(s % 2 + 1)
                    add(
                        f"{micro_code}{s + 1:03d}",
                        f"{building}幢{unit}单元",
                        Level.STAIRWELL,
                        micro_code,
                        compound=compound,
                        building=building,
                        unit=unit,
                    )
            grid_index += 1
    return rows


class _People:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def name(self) -> str:
        r = self.random
        given = r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.7 else "")
        return r.choice(SURNAMES) + given

    def phone(self) -> str:
        return f"1{self.random.choice('3589')}{self.random.randrange(10**9):09d}"

    def party(self, share: float) -> str:
        if self.random.random() >= share:
            return PartyMembership.NONE
        return self.random.choice([PartyMembership.WORKPLACE, PartyMembership.REGISTERED])


# (role, how many, affiliation, party-member share) per level.
STAFFING: dict[int, list[tuple[str, int, str, float]]] = {
    Level.STREET: [(Role.STREET_OFFICIAL, 3, Affiliation.STREET_OFFICE, 0.9)],
    Level.COMMUNITY: [
        (Role.COMMUNITY_SECRETARY, 1, Affiliation.COMMUNITY, 1.0),
        (Role.COMMUNITY_WORKER, 3, Affiliation.COMMUNITY, 0.5),
    ],
    Level.GRID: [
        (Role.GRID_LEADER, 1, Affiliation.COMMUNITY, 0.8),
        (Role.FULL_TIME_GRID_WORKER, 1, Affiliation.COMMUNITY, 0.4),
        (Role.PART_TIME_GRID_WORKER, 1, Affiliation.POLICE, 0.5),
        (Role.PART_TIME_GRID_WORKER, 1, Affiliation.PROPERTY, 0.2),
    ],
    Level.MICRO_GRID: [
        (Role.MICRO_GRID_LEADER, 1, Affiliation.RESIDENT, 0.7),
        (Role.MICRO_GRID_MEMBER, 2, Affiliation.RESIDENT, 0.3),
    ],
    Level.STAIRWELL: [
        (Role.STAIRWELL_LEADER, 1, Affiliation.RESIDENT, 0.6),
        (Role.INFORMATION_OFFICER, 1, Affiliation.RESIDENT, 0.3),
        (Role.LOGISTICS_OFFICER, 1, Affiliation.RESIDENT, 0.2),
    ],
}
DEDICATED_AFFILIATION = {
    Kind.CAMPUS: Affiliation.CAMPUS_SECURITY,
    Kind.ENTERPRISE: Affiliation.ENTERPRISE,
    Kind.PARK: Affiliation.ENTERPRISE,
    Kind.COMMERCIAL: Affiliation.PROPERTY,
    Kind.MARKET: Affiliation.PROPERTY,
}


def _is_deliberate_gap(node: Node, role: str, ordinal: int) -> bool:
    """A few units are left short so the coverage report has something to show."""
    if node.level == Level.STAIRWELL and role == Role.LOGISTICS_OFFICER:
        return ordinal % 97 == 5
    if node.level == Level.MICRO_GRID and role == Role.MICRO_GRID_LEADER:
        return ordinal % 101 == 3
    if node.level == Level.GRID and role == Role.FULL_TIME_GRID_WORKER:
        return ordinal % 113 == 1
    return False


def _staff_entries(nodes: list[Node], people: _People) -> Iterator[services.StaffEntry]:
    ordinals = {level: 0 for level in Level.values}
    for node in nodes:
        ordinal = ordinals[node.level]
        ordinals[node.level] += 1
        for role, count, affiliation, party_share in STAFFING[node.level]:
            if _is_deliberate_gap(node, role, ordinal):
                continue
            for _i in range(count):
                if node.level == Level.GRID and role == Role.PART_TIME_GRID_WORKER:
                    affiliation = DEDICATED_AFFILIATION.get(Kind(node.kind), affiliation)
                yield services.StaffEntry(
                    home_node=node,
                    name=people.name(),
                    phone=people.phone(),
                    party_membership=people.party(party_share),
                    affiliation=affiliation,
                    assignments=((node, role),),
                )
        if node.level == Level.STAIRWELL and ordinal % 3 == 0:
            yield services.StaffEntry(
                home_node=node,
                name=people.name(),
                phone=people.phone(),
                party_membership=people.party(0.5),
                affiliation=Affiliation.RESIDENT,
                assignments=((node, Role.VOLUNTEER), (node, Role.SECOND_BUILDING_LEADER)),
            )


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    node_name: str


# username, role, which node (by level, first of its level in tree order, or second community)
DEMO_USERS = [
    ("street", Role.STREET_OFFICIAL, Level.STREET, 0),
    ("secretary", Role.COMMUNITY_SECRETARY, Level.COMMUNITY, 0),
    ("worker", Role.COMMUNITY_WORKER, Level.COMMUNITY, 0),
    ("worker2", Role.COMMUNITY_WORKER, Level.COMMUNITY, 1),
    ("gridleader", Role.GRID_LEADER, Level.GRID, 0),
    ("microleader", Role.MICRO_GRID_LEADER, Level.MICRO_GRID, 0),
    ("stairwell", Role.STAIRWELL_LEADER, Level.STAIRWELL, 0),
]


@transaction.atomic
def seed(scale_name: str, *, street_code: str = DEMO_STREET_CODE) -> list[DemoLogin]:
    scale = SCALES[scale_name]
    load_street(rows=tree_rows(scale, street_code))
    root = Node.objects.get(code=street_code)
    nodes = list(Node.objects.filter(tree_id=root.tree_id).order_by("lft"))
    started_on = datetime.date(2026, 1, 1)
    services.bulk_create_staff(
        entries=_staff_entries(nodes, _People(seed=2026)), started_on=started_on
    )
    # After the logins: the other apps' demo data is made by them (the tasks' by the
    # demo worker and stairwell leader).
    logins = _demo_logins(root)
    demo_street_seeded.send(sender=Node, street=root, scale=scale_name)
    return logins


def _demo_logins(root: Node) -> list[DemoLogin]:
    User = get_user_model()
    logins = []
    for username, role, level, index in DEMO_USERS:
        node = Node.objects.filter(tree_id=root.tree_id, level=level).order_by("lft")[index]
        staff = (
            Staff.objects.filter(assignments__node=node, assignments__role=role)
            .order_by("pk")
            .first()
        )
        if staff is None:
            continue
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD, is_staff=True)
        services.update_staff(staff=staff, user=user)
        logins.append(DemoLogin(username, str(Role(role).label), node.display_name))
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser(username="admin", password=DEMO_PASSWORD, email="")
    return logins


def existing_logins() -> list[DemoLogin]:
    User = get_user_model()
    found = []
    for username, role, _level, _index in DEMO_USERS:
        user = User.objects.filter(username=username).select_related("staff").first()
        if user is None or not hasattr(user, "staff"):
            continue
        assignment = user.staff.assignments.select_related("node").filter(role=role).first()
        if assignment is not None:
            found.append(DemoLogin(username, str(Role(role).label), assignment.node.display_name))
    return found
