"""residents 0009–0011: each household's room, area, housing status and owner become a flat.

The rows are written in the schema before flats (residents 0008) with the
models of that state, then the migrations run forwards, and backwards again.
Transactional: the migrations' schema changes cannot run inside the test's
transaction (SQLite refuses them there), and on PostgreSQL they run as they
do in production. Whatever happens, the database is left fully migrated.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = ("residents", "0008_exportjob")
T0 = timezone.make_aware(datetime.datetime(2024, 1, 1, 9, 0))


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate to `targets`; the apps (historical models) of the state reached."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_flats() -> Iterator[Any]:
    """The database at residents 0008 (no flats yet); fully migrated again afterwards."""
    latest = _latest()
    apps = _migrate([BEFORE])
    try:
        yield apps
    finally:
        _migrate(latest)


def _tree(apps: Any) -> dict[str, Any]:
    """A street > community > grid > micro-grid > two stairwells, nested by hand (no mptt here)."""
    Node = apps.get_model("grids", "Node")

    def node(code: str, name: str, level: int, lft: int, rght: int, parent: Any, **extra: Any):
        return Node.objects.create(
            code=code,
            name=name,
            level=level,
            lft=lft,
            rght=rght,
            tree_id=90,
            parent=parent,
            **extra,
        )

    street = node("990", "迁移街道", 0, 1, 12, None)
    community = node("990001", "迁移社区", 1, 2, 11, street)
    grid = node("990001001", "迁移网格", 2, 3, 10, community, compound="和达城")
    micro = node("990001001001", "迁移微网格", 3, 4, 9, grid, compound="和达城")
    one = node(
        "990001001001001", "1幢1单元", 4, 5, 6, micro, compound="和达城", building="1", unit="1"
    )
    two = node(
        "990001001001002", "1幢2单元", 4, 7, 8, micro, compound="和达城", building="1", unit="2"
    )
    return {
        "street": street,
        "community": community,
        "grid": grid,
        "micro_grid": micro,
        "one": one,
        "two": two,
    }


def _ancestors(tree: dict[str, Any]) -> dict[str, Any]:
    return {name: tree[name] for name in ("street", "community", "grid", "micro_grid")}


def _snapshot(apps: Any, household: Any, *, when: datetime.datetime, kind: str, **changes: Any):
    """A history row of `household` as simple-history writes it (the household's values)."""
    HistoricalHousehold = apps.get_model("residents", "HistoricalHousehold")
    values = {
        name: getattr(household, name)
        for name in (
            "id",
            "room",
            "number",
            "housing_status",
            "area",
            "owner",
            "stairwell_id",
            "street_id",
            "community_id",
            "grid_id",
            "micro_grid_id",
        )
    }
    values.update(changes)
    return HistoricalHousehold.objects.create(
        **values, history_date=when, history_type=kind, history_change_reason=None
    )


def _seed(apps: Any) -> dict[str, Any]:
    """Three households (one had its status changed), a deleted one, their history and members."""
    Household = apps.get_model("residents", "Household")
    Person = apps.get_model("residents", "Person")
    tree = _tree(apps)
    where = _ancestors(tree)

    rented = Household.objects.create(
        stairwell=tree["one"],
        room="101",
        number="H1",
        housing_status="rented",
        area=Decimal("88.50"),
        owner="张伟",
        **where,
    )
    # Created owner-occupied, rented out a month later, its number changed after.
    _snapshot(apps, rented, when=T0, kind="+", housing_status="owner_occupied")
    _snapshot(apps, rented, when=T0 + datetime.timedelta(days=30), kind="~")
    _snapshot(apps, rented, when=T0 + datetime.timedelta(days=40), kind="~", number="H1")

    vacant = Household.objects.create(
        stairwell=tree["one"], room="102", housing_status="vacant", area=None, owner="", **where
    )
    # Recorded owner-occupied, then left vacant without a history row.
    _snapshot(apps, vacant, when=T0, kind="+", housing_status="owner_occupied")

    # Written before history was kept: no rows.
    quiet = Household.objects.create(
        stairwell=tree["two"],
        room="201",
        housing_status="commercial",
        area=Decimal("120.00"),
        owner="某某公司",
        **where,
    )

    # A household deleted from room 202: only its history remains.
    gone = Household.objects.create(
        stairwell=tree["two"],
        room="202",
        housing_status="rented",
        area=Decimal("60.25"),
        owner="李娜",
        **where,
    )
    _snapshot(apps, gone, when=T0, kind="+")
    _snapshot(apps, gone, when=T0 + datetime.timedelta(days=5), kind="-")
    gone_id = gone.pk
    gone.delete()

    Person.objects.create(household=rented, name="王芳", sex="F", relation="head")
    Person.objects.create(household=rented, name="王小明", sex="M", relation="child")
    Person.objects.create(household=vacant, name="赵强", sex="M", relation="head")
    return {
        "tree": {name: node.pk for name, node in tree.items()},
        "rented": rented.pk,
        "vacant": vacant.pk,
        "quiet": quiet.pk,
        "gone": gone_id,
    }


EXPECTED = {
    "rented": ("101", "rented", Decimal("88.50"), "张伟"),
    "vacant": ("102", "vacant", None, ""),
    "quiet": ("201", "commercial", Decimal("120.00"), "某某公司"),
}


def _values(row: Any) -> tuple[Any, ...]:
    return (row.room, row.housing_status, row.area, row.owner)


def test_each_household_gets_its_flat_and_gets_its_values_back(before_flats: Any) -> None:
    seeded = _seed(before_flats)
    tree = seeded["tree"]

    apps = _migrate(_latest())
    Flat = apps.get_model("residents", "Flat")
    Household = apps.get_model("residents", "Household")
    Person = apps.get_model("residents", "Person")
    HistoricalHousehold = apps.get_model("residents", "HistoricalHousehold")
    HistoricalFlat = apps.get_model("residents", "HistoricalFlat")

    # One flat per household, with its values, at its room; and one for the deleted one's room.
    assert Flat.objects.count() == 4
    for name, values in EXPECTED.items():
        household = Household.objects.get(pk=seeded[name])
        flat = household.flat
        assert _values(flat) == values
        assert (flat.stairwell_id, flat.room) == (household.stairwell_id, household.room)
        assert flat.use == "residential"
        assert (flat.street_id, flat.community_id, flat.grid_id, flat.micro_grid_id) == (
            tree["street"],
            tree["community"],
            tree["grid"],
            tree["micro_grid"],
        )
        assert Flat.objects.filter(households=household).count() == 1
    assert Person.objects.filter(household__flat__room="101").count() == 2

    # The deleted household's room has a flat with its last values, for a restore to find.
    emptied = Flat.objects.get(stairwell_id=tree["two"], room="202")
    assert _values(emptied) == ("202", "rented", Decimal("60.25"), "李娜")
    assert not emptied.households.exists()
    assert emptied.micro_grid_id == tree["micro_grid"]

    # Every history row names the flat its household was in.
    rented_flat = Household.objects.get(pk=seeded["rented"]).flat_id
    rows = HistoricalHousehold.objects.order_by("history_date", "history_id")
    assert [row.flat_id for row in rows.filter(id=seeded["rented"])] == [rented_flat] * 3
    assert {row.flat_id for row in rows.filter(id=seeded["gone"])} == {emptied.pk}
    assert not HistoricalHousehold.objects.filter(flat_id=None).exists()

    # The flat's history shows the status change (not the change of number alone).
    flat_rows = HistoricalFlat.objects.filter(id=rented_flat).order_by("history_date", "history_id")
    assert [(r.history_type, r.housing_status, r.history_date) for r in flat_rows] == [
        ("+", "owner_occupied", T0),
        ("~", "rented", T0 + datetime.timedelta(days=30)),
    ]
    assert [
        (r.history_type, r.housing_status) for r in HistoricalFlat.objects.filter(id=emptied.pk)
    ] == [("+", "rented")]
    # A flat's history ends with the values it has, though its household's did not.
    vacant_flat = Household.objects.get(pk=seeded["vacant"]).flat_id
    assert [
        (r.history_type, r.housing_status)
        for r in HistoricalFlat.objects.filter(id=vacant_flat).order_by("history_date")
    ] == [("+", "owner_occupied"), ("~", "vacant")]
    # A flat whose household had no history starts its own.
    quiet_flat = Household.objects.get(pk=seeded["quiet"]).flat_id
    assert [
        (r.history_type, r.housing_status, r.area, r.owner)
        for r in HistoricalFlat.objects.filter(id=quiet_flat)
    ] == [("+", "commercial", Decimal("120.00"), "某某公司")]

    # Backwards: the households have their values again, their history too.
    apps = _migrate([BEFORE])
    Household = apps.get_model("residents", "Household")
    HistoricalHousehold = apps.get_model("residents", "HistoricalHousehold")
    for name, values in EXPECTED.items():
        assert _values(Household.objects.get(pk=seeded[name])) == values
    assert [
        r.housing_status
        for r in HistoricalHousehold.objects.filter(id=seeded["rented"]).order_by("history_date")
    ] == ["owner_occupied", "rented", "rented"]
    assert HistoricalHousehold.objects.get(id=seeded["vacant"]).housing_status == "owner_occupied"
    assert [
        (r.housing_status, r.area, r.owner)
        for r in HistoricalHousehold.objects.filter(id=seeded["gone"])
    ] == [("rented", Decimal("60.25"), "李娜")] * 2


def test_backwards_refuses_while_a_flat_holds_two_households(before_flats: Any) -> None:
    seeded = _seed(before_flats)
    apps = _migrate(_latest())
    Household = apps.get_model("residents", "Household")
    rented = Household.objects.get(pk=seeded["rented"])
    Household.objects.create(
        flat=rented.flat,
        stairwell_id=rented.stairwell_id,
        room=rented.room,
        street_id=rented.street_id,
        community_id=rented.community_id,
        grid_id=rented.grid_id,
        micro_grid_id=rented.micro_grid_id,
    )

    with pytest.raises(RuntimeError, match=r"1 flat\(s\) hold more than one household"):
        _migrate([BEFORE])

    # Nothing was lost: migrated forwards again, both households are still in the flat.
    apps = _migrate(_latest())
    Flat = apps.get_model("residents", "Flat")
    flat = Flat.objects.get(pk=rented.flat_id)
    assert flat.households.count() == 2
    assert _values(flat) == EXPECTED["rented"]
