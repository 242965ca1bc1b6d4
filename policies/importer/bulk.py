"""Bulk writing helpers. insert_rows: many plain rows fast, for the one table an import fills by the hundred
thousand (policies).

Django's bulk_create prepares every field of every object through the compiler (~0.2 ms a policy row), and on
SQLite sends at most 999 parameters a statement. The importer already holds values in database terms (dates,
Decimals, ids), so it hands them to the driver directly: COPY on PostgreSQL (TOOLCHAIN.md: 16× bulk_create),
executemany elsewhere. Only aware datetimes and JSON need the backend's own adaptation. No ids come back: use
bulk_create where they are needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection, models


def insert_rows(model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence]) -> None:
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    adapters = [_adapter(field) for field in fields]
    if any(adapters):
        rows = (
            [value if adapt is None else adapt(value) for value, adapt in zip(row, adapters, strict=True)]
            for row in rows
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            # Names come from the model's own metadata, quoted by the backend; every value is a parameter.
            statement = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
            cursor.executemany(statement, list(rows))


def _adapter(field: models.Field) -> Callable | None:
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


BATCH = 2000  # rows per statement batch, and per lookup of existing keys


def batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def assign_changed(instance, values: dict, fields: Iterable[str]) -> bool:
    """Set the fields whose value differs; True when anything changed."""
    changed = False
    for name in fields:
        if getattr(instance, name) != values[name]:
            setattr(instance, name, values[name])
            changed = True
    return changed
