"""Each household's room, area, housing status and owner become a flat of their own.

Until now a household was its flat (one per stairwell and room), so every
household gets one flat with its values. The households' history rows keep
pointing to the flat of the room they were in, and each row that changed the
flat's values is copied into the flat's history, so nothing recorded is lost.
Rooms only deleted households (or earlier addresses) were in get a flat too:
restoring such a household finds its flat, with the values it had.

Backwards, each flat's values go back to its household; a flat that holds
two households by then cannot be undone without losing one, so it refuses.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Count
from django.utils import timezone

FLAT_FIELDS = ("housing_status", "area", "owner")
ANCESTORS = ("street_id", "community_id", "grid_id", "micro_grid_id")
CHUNK = 2000


def _ancestors_of(Node: Any, stairwell_ids: set[int]) -> dict[int, dict[str, int]]:
    """Ancestor columns of stairwells that only history rows name (few: computed one by one)."""
    names = {0: "street_id", 1: "community_id", 2: "grid_id", 3: "micro_grid_id"}
    found: dict[int, dict[str, int]] = {}
    for stairwell in Node.objects.filter(pk__in=stairwell_ids):
        found[stairwell.pk] = {
            names[level]: pk
            for pk, level in Node.objects.filter(
                tree_id=stairwell.tree_id, lft__lt=stairwell.lft, rght__gt=stairwell.rght
            ).values_list("pk", "level")
        }
    return found


def forwards(apps: Any, schema_editor: Any) -> None:
    Node = apps.get_model("grids", "Node")
    Flat = apps.get_model("residents", "Flat")
    Household = apps.get_model("residents", "Household")
    HistoricalHousehold = apps.get_model("residents", "HistoricalHousehold")
    HistoricalFlat = apps.get_model("residents", "HistoricalFlat")

    flats: dict[tuple[int, str], Any] = {}
    live = list(
        Household.objects.values_list("pk", "stairwell_id", "room", *ANCESTORS, *FLAT_FIELDS)
    )
    for _pk, stairwell, room, *rest in live:
        ancestors, values = rest[: len(ANCESTORS)], rest[len(ANCESTORS) :]
        flats[(stairwell, room)] = Flat(
            stairwell_id=stairwell,
            room=room,
            **dict(zip(ANCESTORS, ancestors, strict=True)),
            **dict(zip(FLAT_FIELDS, values, strict=True)),
        )
    # Rooms that only history names, with the values of their latest row.
    history = HistoricalHousehold.objects.order_by("history_date", "history_id")
    stairwells = set(Node.objects.filter(level=4).values_list("pk", flat=True))
    earlier: dict[tuple[int, str], tuple[Any, ...]] = {}
    for stairwell, room, *values in history.values_list("stairwell_id", "room", *FLAT_FIELDS):
        if (stairwell, room) not in flats and stairwell in stairwells:
            earlier[(stairwell, room)] = tuple(values)
    ancestors_of = _ancestors_of(Node, {stairwell for stairwell, _room in earlier})
    for (stairwell, room), values in earlier.items():
        flats[(stairwell, room)] = Flat(
            stairwell_id=stairwell,
            room=room,
            **ancestors_of[stairwell],
            **dict(zip(FLAT_FIELDS, values, strict=True)),
        )
    Flat.objects.bulk_create(flats.values(), batch_size=CHUNK)
    flat_id = {
        (stairwell, room): pk for pk, stairwell, room in Flat.objects.values_list("pk", "stairwell_id", "room")
    }

    changed = []
    for pk, stairwell, room, *_rest in live:
        changed.append(Household(pk=pk, flat_id=flat_id[(stairwell, room)]))
    Household.objects.bulk_update(changed, ["flat"], batch_size=CHUNK)

    # The households' history: each row names its flat; the rows that set the
    # flat's values (the first, and each change) become the flat's history.
    rows = []
    flat_rows = []
    last: dict[int, tuple[Any, ...]] = {}
    for row in history.iterator(chunk_size=CHUNK):
        flat = flat_id.get((row.stairwell_id, row.room))
        if flat is None:
            continue  # its stairwell is gone: no flat to name
        row.flat_id = flat
        rows.append(row)
        values = tuple(getattr(row, name) for name in FLAT_FIELDS)
        if last.get(flat) != values:
            flat_rows.append(
                HistoricalFlat(
                    id=flat,
                    stairwell_id=row.stairwell_id,
                    room=row.room,
                    **{name: getattr(row, name) for name in ANCESTORS},
                    **dict(zip(FLAT_FIELDS, values, strict=True)),
                    history_date=row.history_date,
                    history_type="+" if flat not in last else "~",
                    history_change_reason=row.history_change_reason,
                    history_user_id=row.history_user_id,
                )
            )
            last[flat] = values
    HistoricalHousehold.objects.bulk_update(rows, ["flat"], batch_size=CHUNK)
    # Flats whose households had no history (written before history was kept),
    # and flats whose values were last changed without a history row: a row now,
    # so that each flat's history ends with the values it has. (Compared here,
    # not with pk__in: a street has more flats than SQLite takes parameters.)
    now = timezone.now()
    for flat in Flat.objects.order_by("pk").iterator(chunk_size=CHUNK):
        values = tuple(getattr(flat, name) for name in FLAT_FIELDS)
        if last.get(flat.pk) == values:
            continue
        flat_rows.append(
            HistoricalFlat(
                id=flat.pk,
                stairwell_id=flat.stairwell_id,
                room=flat.room,
                **{name: getattr(flat, name) for name in ANCESTORS},
                **dict(zip(FLAT_FIELDS, values, strict=True)),
                use=flat.use,
                history_date=now,
                history_type="+" if flat.pk not in last else "~",
            )
        )
    HistoricalFlat.objects.bulk_create(flat_rows, batch_size=CHUNK)


def backwards(apps: Any, schema_editor: Any) -> None:
    Flat = apps.get_model("residents", "Flat")
    Household = apps.get_model("residents", "Household")
    HistoricalHousehold = apps.get_model("residents", "HistoricalHousehold")
    HistoricalFlat = apps.get_model("residents", "HistoricalFlat")
    shared = Flat.objects.annotate(n=Count("households")).filter(n__gt=1).count()
    if shared:
        raise RuntimeError(
            f"{shared} flat(s) hold more than one household; before this migration a room "
            "held one household, so it cannot be undone without losing households."
        )
    values = {
        pk: dict(zip(FLAT_FIELDS, rest, strict=True))
        for pk, *rest in Flat.objects.values_list("pk", *FLAT_FIELDS)
    }
    changed = []
    for household in Household.objects.only("pk", "flat_id").iterator(chunk_size=CHUNK):
        for name, value in values[household.flat_id].items():
            setattr(household, name, value)
        changed.append(household)
    Household.objects.bulk_update(changed, list(FLAT_FIELDS), batch_size=CHUNK)
    # Each history row takes the flat's values as they stood at its date.
    flat_history: dict[int, list[tuple[Any, dict[str, Any]]]] = {}
    for flat, date, *rest in HistoricalFlat.objects.order_by("history_date", "history_id").values_list(
        "id", "history_date", *FLAT_FIELDS
    ):
        flat_history.setdefault(flat, []).append((date, dict(zip(FLAT_FIELDS, rest, strict=True))))
    rows = []
    for row in HistoricalHousehold.objects.exclude(flat_id=None).iterator(chunk_size=CHUNK):
        stood = [v for date, v in flat_history.get(row.flat_id, []) if date <= row.history_date]
        if stood:
            for name, value in stood[-1].items():
                setattr(row, name, value)
            rows.append(row)
    HistoricalHousehold.objects.bulk_update(rows, list(FLAT_FIELDS), batch_size=CHUNK)


class Migration(migrations.Migration):
    dependencies = [("residents", "0009_flats")]

    operations = [migrations.RunPython(forwards, backwards)]
