"""Rows written in bulk below the ORM, for writes of thousands of rows at once (an import, the
audit rows it chains): COPY on PostgreSQL, the driver's executemany on SQLite, ids taken
beforehand so that rows can name each other without reading anything back.

Values go to the driver as they are: no type processing per value, which at a million rows
costs more than the writing. So a caller passes what the column holds: text, numbers, None,
and datetimes (written in SQLAlchemy's own SQLite format, so they read back the same).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlalchemy import Connection, DateTime, Table, func, select, text


def next_ids(connection: Connection, table: Table, n: int) -> list[int]:
    """`n` new ids for `table`, in order: from its sequence on PostgreSQL, in one statement;
    on SQLite the ids after the largest, which are this transaction's alone (it holds the
    database's write lock from BEGIN IMMEDIATE, `db.engine`)."""
    if n <= 0:
        return []
    if connection.dialect.name == "postgresql":
        sequence = "nextval(pg_get_serial_sequence(:table, 'id'))"
        taken = connection.scalars(
            text(f"SELECT {sequence} FROM generate_series(1, :n)"), {"table": table.name, "n": n}
        )
        return sorted(int(i) for i in taken)
    last = connection.scalar(select(func.max(table.c.id))) or 0
    return list(range(last + 1, last + 1 + n))


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
    """The row with its datetimes as SQLAlchemy's SQLite dialect stores them."""
    row = list(row)
    for i in times:
        row[i] = _stored_time(row[i])
    return row


@lru_cache(maxsize=64)  # a bulk write's rows mostly share one time
def _stored_time(value: object) -> object:
    return f"{value:%Y-%m-%d %H:%M:%S.%f}" if isinstance(value, dt.datetime) else value
