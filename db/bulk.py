"""Rows written in bulk below the ORM, for writes of thousands of rows at once (an import, the
audit rows it chains): COPY on PostgreSQL, the driver's executemany on SQLite.

Values go to the driver as they are: no type processing per value, which at a million rows
costs more than the writing. So a caller passes what the column holds: text, numbers, None,
and datetimes (written in SQLAlchemy's own SQLite format, so they read back the same).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlalchemy import Connection, DateTime, Table


def stored_time(connection: Connection, value: dt.datetime) -> object:
    """A time as `write_rows` should be given it for the database: on SQLite already as text,
    so that a million rows sharing it are not each converted."""
    return _stored_time(value) if connection.dialect.name == "sqlite" else value


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
            times = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, DateTime)]
            cursor.executemany(
                f"INSERT INTO {table.name} ({names}) VALUES ({marks})",
                (_sqlite(row, times) for row in rows) if times else rows,
            )
    finally:
        cursor.close()


def _sqlite(row: Sequence[object], times: list[int]) -> Sequence[object]:
    """The row with its datetimes as SQLAlchemy's SQLite dialect stores them (a row given
    its times as text, `stored_time`, goes as it is)."""
    if not any(isinstance(row[i], dt.datetime) for i in times):
        return row
    row = list(row)
    for i in times:
        row[i] = _stored_time(row[i])
    return row


@lru_cache(maxsize=64)  # a bulk write's rows mostly share one time
def _stored_time(value: object) -> object:
    return f"{value:%Y-%m-%d %H:%M:%S.%f}" if isinstance(value, dt.datetime) else value
