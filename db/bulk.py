"""Rows written in bulk below the ORM, for writes of thousands of rows at once (an import, the
audit rows it chains): COPY on PostgreSQL, the driver's executemany on SQLite.

Values go to the driver as they are: no type processing per value, which at a million rows
costs more than the writing. So a caller passes what the column holds: text, numbers, None,
and datetimes (written in SQLAlchemy's own SQLite format, so they read back the same). A
caller writing many rows gives their times as `stored_time` makes them, once; the rows of
one call give theirs alike, so only the first row is looked at.

New rows' ids may be taken beforehand (`reserve_ids`), so that rows referring to them (an
answer's history) are made without reading the new rows back.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlalchemy import Connection, DateTime, Table, func, select, text


def stored_time(connection: Connection, value: dt.datetime) -> object:
    """A time as `write_rows` should be given it for the database: on SQLite already as text,
    so that a million rows sharing it are not each converted."""
    return _stored_time(value) if connection.dialect.name == "sqlite" else value


def reserve_ids(connection: Connection, table: Table, n: int) -> Sequence[int]:
    """`n` ids for rows about to be written to `table`, with its `id` column given. On
    PostgreSQL they come from the table's sequence, as a row's own default would take them
    (a save running meanwhile takes others). On SQLite the write transaction holds the
    database from BEGIN IMMEDIATE (`db.engine`), so the ids after the highest are this
    one's."""
    if n <= 0:
        return ()
    if connection.dialect.name == "postgresql":
        sequence = _sequence(connection, table.name)
        taken: list[int] = connection.exec_driver_sql(  # one array, not n rows: a third the time
            f"SELECT array_agg(nextval('{sequence}'::regclass)) FROM generate_series(1, {int(n)})"
        ).scalar_one()
        return taken
    highest = connection.scalar(select(func.max(table.c.id))) or 0
    return range(highest + 1, highest + 1 + n)


def _sequence(connection: Connection, table: str) -> str:
    """The table's id sequence, looked up once: asked inside the query it is looked up for
    every id, which costs ten times the ids themselves."""
    return str(connection.scalar(text(f"SELECT pg_get_serial_sequence('{table}', 'id')")))


def write_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """Insert the rows (values in `columns` order) in one COPY or one executemany."""
    names = ", ".join(columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            insert = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
            cursor.executemany(insert, _times_stored(table, columns, rows))
    finally:
        cursor.close()


def _times_stored(
    table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> Iterable[Sequence[object]]:
    """The rows with their datetimes as SQLAlchemy's SQLite dialect stores them; rows whose
    first gives its times as text already (`stored_time`) go as they are."""
    times = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, DateTime)]
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return ()
    rows = itertools.chain([first], rows)
    if not any(isinstance(first[i], dt.datetime) for i in times):
        return rows
    return ([_stored_time(v) if i in times else v for i, v in enumerate(row)] for row in rows)


@lru_cache(maxsize=64)  # a bulk write's rows mostly share one time
def _stored_time(value: object) -> object:
    return f"{value:%Y-%m-%d %H:%M:%S.%f}" if isinstance(value, dt.datetime) else value
