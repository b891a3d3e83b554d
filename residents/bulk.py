"""Bulk writes at COPY speed on PostgreSQL, with plain bulk_create/bulk_update elsewhere.

Row-by-row ORM saving runs at a few hundred rows a second; a street's register
has 150,000 rows. On PostgreSQL ids are drawn from the table's sequence up
front, new rows go in by COPY, and changed rows by COPY into a temporary table
and one UPDATE … FROM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from django.apps import apps
from django.db import connection
from django.db.models import Field, Model


def allocate_ids(model: type[Model], count: int) -> list[int]:
    """Primary keys for `count` new rows, reserved from the table's sequence."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk_column = model._meta.pk.column
    if connection.vendor != "postgresql":
        # SQLite writers are serialised by IMMEDIATE transactions: max + 1 is ours.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX({pk_column}), 0) FROM {table}")
            start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))
    with connection.cursor() as cursor:
        # The sequence is looked up once: as an argument of nextval() the lookup
        # would run for every row, which costs more than the ids themselves.
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk_column])
        sequence = cursor.fetchone()[0]
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
        )
        return [row[0] for row in cursor.fetchall()]


# How binary COPY sends each kind of column.
_BINARY_TYPES = {
    "BigAutoField": "int8",
    "BigIntegerField": "int8",
    "AutoField": "int4",
    "IntegerField": "int4",
    "PositiveIntegerField": "int4",
    "CharField": "text",
    "TextField": "text",
    "DateField": "date",
    "DecimalField": "numeric",
    "BooleanField": "bool",
}


def _binary_types(model: type[Model], columns: Sequence[str]) -> list[str]:
    fields = {f.column: f for f in model._meta.concrete_fields}
    types = []
    for column in columns:
        field = fields[column]
        target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
        types.append(_BINARY_TYPES[target.get_internal_type()])
    return types


def insert_rows(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows whose values follow `columns` (database column names, pk included)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        table = connection.ops.quote_name(model._meta.db_table)
        # Django's cursor hands copy() straight to psycopg: its errors need
        # wrapping to arrive as django.db's (IntegrityError and the rest).
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({quoted}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(_binary_types(model, columns))
            for row in rows:
                copy.write_row(row)
        return
    by_column = {f.column: f.attname for f in model._meta.concrete_fields}
    attnames = [by_column[c] for c in columns]
    model._default_manager.bulk_create(
        [model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=999
    )


def update_rows(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Update rows by primary key; columns[0] is the pk column."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        staging = connection.ops.quote_name(f"staging_{model._meta.db_table}")
        quoted = [connection.ops.quote_name(c) for c in columns]
        with connection.wrap_database_errors, connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} AS "
                f"SELECT {', '.join(quoted)} FROM {table} WITH NO DATA"
            )
            with cursor.copy(
                f"COPY {staging} ({', '.join(quoted)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(_binary_types(model, columns))
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{c} = s.{c}" for c in quoted[1:])
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s "
                f"WHERE t.{quoted[0]} = s.{quoted[0]}"
            )
            cursor.execute(f"DROP TABLE {staging}")
        return
    by_column = {f.column: f.attname for f in model._meta.concrete_fields}
    attnames = [by_column[c] for c in columns]
    objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
    model._default_manager.bulk_update(objects, attnames[1:], batch_size=500)


def in_chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def select_in(
    model: type[Model],
    columns: Sequence[str],
    key: str,
    values: Sequence[Any],
    *,
    where: dict[str, Any] | None = None,
) -> Iterable[tuple[Any, ...]]:
    """Rows (as tuples of `columns`) whose `key` column is in `values` (and `where` columns equal).

    On PostgreSQL one `= ANY(array)` query; Django's `__in` builds a
    placeholder per value, which costs more than the query for 150,000 values.
    Values come back as a queryset would give them (see `_as_django_reads`).
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    selected = ", ".join(quote(c) for c in columns)
    also = "".join(f" AND {quote(column)} = %s" for column in where or {})
    also_values = list((where or {}).values())
    as_django_reads = _as_django_reads(model, columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT {selected} FROM {table} WHERE {quote(key)} = ANY(%s){also}",
                [list(values), *also_values],
            )
            yield from as_django_reads(cursor.fetchall())
            return
        for chunk in in_chunks(values, 900):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {selected} FROM {table} WHERE {quote(key)} IN ({marks}){also}",
                [*chunk, *also_values],
            )
            yield from as_django_reads(cursor.fetchall())


def _as_django_reads(
    model: type[Model], columns: Sequence[str]
) -> Callable[[list[tuple[Any, ...]]], Iterable[tuple[Any, ...]]]:
    """Rows with Django's database converters applied, as its SQL compiler does.

    A raw cursor skips them: SQLite hands a decimal back as a float, so 103.86
    on record would never equal the file's Decimal("103.86") and every
    re-import would rewrite the household. PostgreSQL needs none here.
    """
    converting = []
    for index, column in enumerate(columns):
        col = cast(Field, model._meta.get_field(column)).get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            converting.append((index, col, converters))

    def convert(rows: list[tuple[Any, ...]]) -> Iterable[tuple[Any, ...]]:
        for row in rows:
            values = list(row)
            for index, col, converters in converting:
                for converter in converters:
                    values[index] = converter(values[index], col, connection)
            yield tuple(values)

    return convert if converting else iter


def _for_ids(sql: str, params: list[Any], ids: Sequence[int]) -> None:
    """Run `sql`, which ends in "WHERE id", for the rows of `ids`."""
    with connection.cursor() as cursor:
        if max(ids) - min(ids) == len(ids) - 1 == len(set(ids)) - 1:
            # New rows' ids come from the sequence in one run: a range scan
            # costs a twentieth of probing 150,000 ids one by one.
            cursor.execute(sql + " BETWEEN %s AND %s", [*params, min(ids), max(ids)])
        elif connection.vendor == "postgresql":
            cursor.execute(sql + " = ANY(%s)", [*params, list(ids)])
        else:
            for chunk in in_chunks(ids, 900):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(sql + f" IN ({marks})", [*params, *chunk])


def delete_rows(model: type[Model], ids: Sequence[int]) -> None:
    """Delete rows by primary key, without Django's per-object collection and signals.

    The caller answers for what refers to them.
    """
    if ids:
        _for_ids(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id", [], ids)


def snapshot_history(
    model: type[Model],
    ids: Sequence[int],
    *,
    history_type: str,
    history_date: Any,
    reason: str,
    user_id: int | None,
) -> None:
    """Write django-simple-history rows for `ids` by INSERT … SELECT from the live rows.

    Tracked many-to-many fields get their rows too, as simple-history's own
    records do: the history row's tags are the person's tags at that moment.
    """
    if not ids:
        return
    history = model.history.model  # type: ignore[attr-defined]
    stamps = ("history_date", "history_change_reason", "history_type", "history_user_id")
    copied = [
        f.column
        for f in history._meta.concrete_fields
        if f.column not in stamps and f.column != "history_id"
    ]
    quote = connection.ops.quote_name
    target = ", ".join(quote(c) for c in (*copied, *stamps))
    source = ", ".join(quote(c) for c in copied)
    stamp_values = [history_date, reason, history_type, user_id]
    _for_ids(
        f"INSERT INTO {quote(history._meta.db_table)} ({target}) "
        f"SELECT {source}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} WHERE id",
        stamp_values,
        ids,
    )
    for field in history._history_m2m_fields:
        through = getattr(model, field.name).through
        m2m_history = apps.get_model(history._meta.app_label, f"{history.__name__}_{field.name}")
        owner = field.m2m_field_name()
        columns = [quote(f.column) for f in through._meta.concrete_fields]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(m2m_history._meta.db_table)} "
                f"({', '.join(columns)}, history_id) "
                f"SELECT {', '.join('t.' + c for c in columns)}, h.history_id "
                f"FROM {quote(through._meta.db_table)} t "
                f"JOIN {quote(history._meta.db_table)} h ON h.id = t.{quote(owner + '_id')} "
                "WHERE h.history_date = %s AND h.history_change_reason = %s "
                "AND h.history_type = %s",
                stamp_values[:3],
            )
