"""Deterministic demo registers: households and persons with realistic mixes.

About 30% floating population, 8% party members, 20% rented flats. The rows
are register rows (Chinese headers and values), so the demo data and the
benchmark go through the real import.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from collections.abc import Iterable, Iterator

from django.db.models import Count

from grids.demo import GIVEN, SURNAMES
from grids.models import Level, Node
from residents.idnumbers import check_character
from residents.models import Household, LifeEvent, LifeEventKind, Person, Tag

HEADER = [
    "户号",
    "姓名",
    "性别",
    "民族",
    "公民身份号码",
    "出生日期",
    "与户主关系",
    "现居住地址",
    "联系电话",
    "政治面貌",
    "人口类型",
    "房屋性质",
    "建筑面积(㎡)",
]
REGIONS = ["330106", "330114", "330104", "330102", "410103", "340102", "360102", "512501"]
ETHNICITIES = ["汉族"] * 47 + ["回族", "满族", "壮族"]


def _id_number(rng: random.Random, region: str, birth: datetime.date, male: bool) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def _birth(rng: random.Random, low: int, high: int) -> datetime.date:
    return datetime.date(rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))


def register_rows(
    stairwells: list[tuple[str, str, str]],
    *,
    persons: int,
    seed: int = 2026,
) -> Iterator[list[str]]:
    """Rows for about `persons` people spread over the given (compound, building, unit) stairwells.

    Households average 2.5 persons; ID numbers are unique within one call.
    """
    rng = random.Random(seed)
    used: set[str] = set()
    households = max(1, round(persons / 2.5))
    per_stairwell, extra = divmod(households, len(stairwells))
    number = 0

    def household_rows(
        members: list[tuple[str, bool, datetime.date]], *, floating: bool, flat: list[str]
    ) -> Iterator[list[str]]:
        nonlocal number
        number += 1
        surname = rng.choice(SURNAMES)
        region = rng.choice(REGIONS[3:]) if floating else rng.choice(REGIONS[:3])
        for relation, male, birth in members:
            id_number = _id_number(rng, region, birth, male)
            while id_number in used:
                id_number = _id_number(rng, region, birth, male)
            used.add(id_number)
            name = (
                (surname if relation != "配偶" else rng.choice(SURNAMES))
                + rng.choice(GIVEN)
                + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            )
            adult = birth.year <= 2004
            party = (
                "中共党员"
                if adult and rng.random() < 0.09
                else ("共青团员" if rng.random() < 0.05 else "群众")
            )
            yield [
                f"H{number:07d}",
                name,
                "男" if male else "女",
                rng.choice(ETHNICITIES),
                id_number,
                birth.isoformat(),
                relation,
                flat[0],
                f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" if adult else "",
                party,
                "流动人口" if floating else "户籍人口",
                *flat[1:],
            ]

    for index, (compound, building, unit) in enumerate(stairwells):
        for flat in range(per_stairwell + (1 if index < extra else 0)):
            floor, door = divmod(flat, 2)
            room = f"{floor + 1}{door + 1:02d}"
            address = f"{compound}{building}幢{unit}单元{room}室"
            rented = rng.random() < 0.2
            floating = (rented and rng.random() < 0.9) or rng.random() < 0.1
            housing = "出租" if rented else rng.choice(["自住"] * 30 + ["空置", "商用"])
            area = f"{rng.uniform(45, 160):.2f}"
            size = rng.choice([1, 2, 2, 2, 3, 3, 3, 4])
            head_male = rng.random() < 0.6
            head_birth = _birth(rng, 1945, 1995)
            members = [("户主", head_male, head_birth)]
            if size >= 2:
                members.append(
                    (
                        "配偶",
                        not head_male,
                        _birth(rng, head_birth.year - 3, min(head_birth.year + 3, 2000)),
                    )
                )
            for _child in range(size - 2):
                birth = _birth(
                    rng, min(head_birth.year + 22, 2020), min(head_birth.year + 38, 2022)
                )
                male = rng.random() < 0.5
                members.append(("子" if male else "女", male, birth))
            yield from household_rows(members, floating=floating, flat=[address, housing, area])
            if rented and rng.random() < 0.3:
                # 一房多户: a second tenant household registered in the same flat.
                tenant = [("户主", rng.random() < 0.5, _birth(rng, 1975, 2002))]
                yield from household_rows(tenant, floating=True, flat=[address, housing, area])


# Persons per demo scale: the street has the register of a real street.
PERSONS = {"tiny": 120, "street": 150_000}


def street_stairwells(street: Node) -> list[tuple[str, str, str]]:
    """(compound, building, unit) of `street`'s stairwells, in tree order."""
    return list(
        Node.objects.filter(tree_id=street.tree_id, level=Level.STAIRWELL)
        .order_by("lft")
        .values_list("compound", "building", "unit")
    )


def csv_file(
    header: list[str], rows: Iterable[list[str]], *, title: str = "", encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if title:
        writer.writerow([title])
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def seed_roster(*, street: Node, scale: str) -> None:
    """Import a generated register for every stairwell of `street`, then its owners' roll
    (residents/demo_owners.py), both through the real imports; then tag and log a few."""
    from residents import services
    from residents.demo_owners import OWNER_HEADER, owner_rows
    from residents.models import ImportBatch

    stairwells = street_stairwells(street)
    rows = list(register_rows(stairwells, persons=PERSONS[scale]))
    services.import_now(data=csv_file(HEADER, rows), filename="演示登记表.csv")
    services.import_now(
        data=csv_file(OWNER_HEADER, owner_rows(rows, stairwells)),
        filename="演示业主名册.csv",
        kind=ImportBatch.Kind.OWNERS,
    )
    _tag_and_log(street)


def _tag_and_log(street: Node) -> None:
    rng = random.Random(7)
    households = Household.objects.filter(street=street).annotate(size=Count("members"))
    alone = Person.objects.filter(
        household__in=households.filter(size=1), birth_date__lte=datetime.date(1956, 1, 1)
    )
    tags = {t.name: t for t in Tag.objects.all()}
    through = Person.tags.through
    links = [
        through(person_id=pk, tag_id=tags["独居老人"].pk)
        for pk in alone.values_list("pk", flat=True)
    ]
    people = list(Person.objects.filter(household__street=street).values_list("pk", flat=True))
    for name, share in (("低保", 0.015), ("退役军人", 0.01), ("残疾人", 0.012)):
        links += [
            through(person_id=pk, tag_id=tags[name].pk) for pk in people if rng.random() < share
        ]
    through.objects.bulk_create(links, batch_size=5000, ignore_conflicts=True)
    today = datetime.date(2026, 11, 1)
    events = []
    for pk in rng.sample(
        list(households.values_list("pk", flat=True)), k=min(300, households.count())
    ):
        kind = rng.choice(
            [
                LifeEventKind.BIRTH,
                LifeEventKind.MARRIAGE,
                LifeEventKind.DEATH,
                LifeEventKind.MOVE_IN,
            ]
        )
        events.append(
            LifeEvent(
                household_id=pk,
                kind=kind,
                occurred_on=today - datetime.timedelta(days=rng.randrange(200)),
            )
        )
    LifeEvent.objects.bulk_create(events)
