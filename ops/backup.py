"""Backup and restore: a consistent snapshot of every table, in a file either database can load.

`write_backup` reads every table in one read-only snapshot transaction (SQLite: a deferred
transaction, which sees one WAL snapshot and never takes the write lock; PostgreSQL:
REPEATABLE READ), so a backup taken while interviewers save is the database as it was at one
instant, and nobody waits for it. The file is JSON Lines: a header (format, schema revision,
tables and their columns), one line per row, and a closing line with the row counts and the
SHA-256 of everything before it, so a cut or altered file is refused before anything is
written. It is the same on SQLite and PostgreSQL, so a backup of one restores into the other.

`restore_backup` loads a backup into an empty database in one transaction, keeping every id
(the append-only audit log included: its rows are inserted, never updated), and refuses, with
the database unchanged, a backup whose audit log's hash chain does not verify: a file edited
and given a new checksum still shows the edit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, Connection, Engine, Table, func, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from db.counters import rebuild
from db.engine import READ_SNAPSHOT
from db.models import Base, Interview, SampleFrame, Wave
from db.schema import upgrade
from db.setup import DEFAULT_WAVE
from instrument.errors import SurveyError
from instrument.vocabulary import InterviewStatus
from services import audit
from services.actor import Actor
from services.audit import chain_state
from services.permissions import allowed, require

FORMAT = "commissioning-survey backup"
BACKUP_KEY = "SURVEY_BACKUP_KEY"  # optional: backups are signed and checked with it
FORMAT_VERSION = 1
BATCH_ROWS = 1_000
# What every new database starts with (`db.setup.initialise`): a restore may replace these.
# The counters follow the interviews (`db.counters`).
SEEDED_TABLES = frozenset(
    {"sample_frame", "council", "council_alias", "wave", "interview", "interview_count"}
)
# The first line of a backup, as JSON reads it back (checked by `_checked_header`).
Header = dict[str, Any]
Row = dict[str, object]  # one table row: column name -> value


class BackupRefused(SurveyError):
    """Nothing was written (to the file, or to the database); the message says why."""

    code = "backup.refused"


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds: where it came from, its schema revision, when, and its rows."""

    database: str
    schema_revision: str
    taken_at: str
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def write_backup(engine: Engine, *, actor: Actor, out: Path) -> BackupSummary:
    """Snapshot every table into `out` (written whole, then moved into place; mode 0600)."""
    _require_admin(engine, actor, "take a backup")
    out = Path(out)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, removed on failure)
        "wb", dir=out.parent, prefix=f".{out.name}.", suffix=".partial", delete=False
    )
    try:
        with handle, _snapshot(engine) as connection:
            summary = _write(connection, engine.dialect.name, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, out)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    _fsync_folder(out.parent)
    with Session(engine) as session:  # after the snapshot: the log says when one was taken
        audit.record(
            session,
            actor=actor,
            action="backup.take",
            target=out.name,
            new=_described(summary),
        )
        session.commit()
    return summary


def restore_backup(engine: Engine, *, actor: Actor, source: Path) -> BackupSummary:
    """Load a backup into this database, which must be empty; all of it or (refused) none."""
    _require_admin(engine, actor, "restore a backup")
    header, counts = _checked(Path(source))
    if not inspect(engine).has_table("alembic_version"):
        upgrade(engine)  # a database nobody has initialised yet: create the schema
    tables = _tables()
    with engine.begin() as connection:
        revision = _schema_revision(connection)
        if revision != header["schema_revision"]:
            raise BackupRefused(
                f"the backup is of schema revision {header['schema_revision']} and this "
                f"database is at revision {revision}; restore it with the program version "
                "that took it"
            )
        _check_columns(header["tables"], tables)
        _lock(connection, tables)
        held = _data_held(connection, tables)
        if held:
            raise BackupRefused(
                "the database is not empty (" + "; ".join(held) + "); restore only into a new "
                "database"
            )
        for table in reversed(tables):
            if table.name in SEEDED_TABLES:
                connection.execute(table.delete())
        _insert(connection, _batches(Path(source), header, tables))
        _restart_id_sequences(connection, tables)
        chain = chain_state(connection)
        if not chain.intact:
            raise BackupRefused(f"the backup's audit log does not verify: {chain.sentence()}")
        restored = {t.name: connection.scalar(select(func.count()).select_from(t)) for t in tables}
        if restored != counts:
            raise BackupRefused(f"restored row counts {restored} differ from the backup's {counts}")
        for wave_id in connection.scalars(select(Wave.id).order_by(Wave.id)):
            rebuild(connection, wave_id)  # counters are derived: the answers restored decide
        summary = BackupSummary(
            header["database"], header["schema_revision"], header["taken_at"], counts
        )
        with Session(bind=connection) as session:  # the restore's own event ends the chain
            audit.record(
                session,
                actor=actor,
                action="backup.restore",
                target=Path(source).name,
                new=_described(summary),
            )
            session.flush()  # into the connection's transaction, which commits the restore
    return summary


def _described(summary: BackupSummary) -> str:
    """A backup in the audit log's words: what it holds and when it was taken."""
    return (
        f"{summary.total_rows} rows of {summary.database}, schema revision "
        f"{summary.schema_revision}, taken {summary.taken_at}"
    )


# --- taking it --------------------------------------------------------------------------------


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction: every read in it sees the database at the same instant."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.execution_options(**{READ_SNAPSHOT: True})
        else:
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with connection.begin():
            yield connection


def _write(connection: Connection, database: str, handle: IO[bytes]) -> BackupSummary:
    tables = _tables()
    unknown = sorted(
        set(inspect(connection).get_table_names()) - {t.name for t in tables} - {"alembic_version"}
    )
    if unknown:
        raise BackupRefused(f"the database has tables this program does not know: {unknown}")
    revision = _schema_revision(connection)
    taken_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": revision,
        "database": database,
        "taken_at": taken_at,
        "tables": {t.name: [c.name for c in t.columns] for t in tables},
    }
    digest, rows, mac = hashlib.sha256(), Counter[str](), _mac()

    def line(item: object) -> None:
        data = (json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        digest.update(data)
        if mac:
            mac.update(data)
        handle.write(data)

    line(header)
    for table in tables:
        rows[table.name] = 0
        query = select(table).order_by(*table.primary_key.columns)
        for row in connection.execution_options(yield_per=BATCH_ROWS).execute(query):
            line([table.name, [_encoded(v) for v in row]])
            rows[table.name] += 1
    end: dict[str, object] = {"rows": rows, "sha256": digest.hexdigest()}
    if mac:
        end["hmac_sha256"] = mac.hexdigest()
    handle.write((json.dumps({"end": end}) + "\n").encode())
    return BackupSummary(database, revision, taken_at, dict(rows))


def _encoded(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- loading it -------------------------------------------------------------------------------


def _checked(source: Path) -> tuple[Header, dict[str, int]]:
    """Read the whole file once: a backup of ours, complete and unaltered. Header and counts."""
    digest, header, counts, end = hashlib.sha256(), None, Counter[str](), None
    mac = _mac()
    try:
        with source.open("rb") as handle:
            for number, data in enumerate(handle, start=1):
                item = _parsed(source, number, data)
                if end is not None:
                    raise BackupRefused(f"{source}: there is more after the closing line")
                if header is None:
                    header = _checked_header(source, item)
                    counts.update(dict.fromkeys(header["tables"], 0))
                elif isinstance(item, dict) and "end" in item:
                    end = item["end"]
                    continue
                elif isinstance(item, list) and len(item) == 2 and item[0] in counts:
                    counts[item[0]] += 1
                else:
                    raise BackupRefused(f"{source}, line {number}: not a row of a known table")
                digest.update(data)
                if mac:
                    mac.update(data)
    except OSError as exc:
        raise BackupRefused(f"cannot read {source}: {exc.strerror}") from None
    if header is None or end is None:
        raise BackupRefused(f"{source}: the backup is incomplete (it has no closing line)")
    if end.get("sha256") != digest.hexdigest() or end.get("rows") != dict(counts):
        raise BackupRefused(f"{source}: the backup was altered or damaged (checksum differs)")
    _check_signature(source, end, mac)
    return header, dict(counts)


def _mac() -> hmac.HMAC | None:
    """An HMAC over the backup's lines when SURVEY_BACKUP_KEY is set: unlike the checksum,
    nobody without the key can seal an edited backup again."""
    key = os.environ.get(BACKUP_KEY)
    return hmac.new(key.encode(), digestmod=hashlib.sha256) if key else None


def _check_signature(source: Path, end: dict[str, object], mac: hmac.HMAC | None) -> None:
    """With a key, only a backup signed with that key restores; a signed backup needs it."""
    signature = end.get("hmac_sha256")
    if mac is None:
        if signature:
            raise BackupRefused(
                f"{source}: the backup is signed; set {BACKUP_KEY} to the key it was signed "
                "with to restore it"
            )
        return
    if not signature:
        raise BackupRefused(
            f"{source}: the backup is not signed, and {BACKUP_KEY} is set: a deployment that "
            "signs its backups restores only signed ones"
        )
    if not hmac.compare_digest(str(signature), mac.hexdigest()):
        raise BackupRefused(
            f"{source}: the signature does not match: the backup was altered, or signed with "
            "another key"
        )


def _parsed(source: Path, number: int, data: bytes) -> object:
    try:
        return json.loads(data)
    except ValueError:
        raise BackupRefused(f"{source}, line {number}: not a line of a backup") from None


def _checked_header(source: Path, item: object) -> Header:
    if not (isinstance(item, dict) and item.get("format") == FORMAT):
        raise BackupRefused(f"{source} is not a backup made by `survey_cli.py backup`")
    if item.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(
            f"{source}: backup format {item.get('format_version')} is not known to this "
            f"program (it reads format {FORMAT_VERSION})"
        )
    return item


def _check_columns(backed_up: dict[str, list[str]], tables: list[Table]) -> None:
    ours = {t.name: [c.name for c in t.columns] for t in tables}
    if backed_up != ours:
        differ = sorted(set(backed_up) ^ set(ours)) or [
            name for name in ours if backed_up[name] != ours[name]
        ]
        raise BackupRefused(f"the backup's tables do not match this database's: {differ}")


def _insert(connection: Connection, batches: Iterator[tuple[Table, list[Row]]]) -> None:
    """Write the rows; one the database will not take (a file edited and its checksum made
    again) is refused in words, and the transaction around it is rolled back. A table whose
    rows refer to each other (a theme under its parent) is written whole, parents first: a
    merge can put a theme under one made after it."""
    held: tuple[Table, list[Row]] | None = None
    for table, rows in batches:
        if held is not None and held[0] is not table:
            _write_rows(connection, held[0], _parents_first(*held))
            held = None
        if _self_reference(table) is None:
            _write_rows(connection, table, rows)
        elif held is None:
            held = (table, list(rows))
        else:
            held[1].extend(rows)
    if held is not None:
        _write_rows(connection, held[0], _parents_first(*held))


def _write_rows(connection: Connection, table: Table, rows: list[Row]) -> None:
    try:
        connection.execute(table.insert(), rows)
    except StatementError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise BackupRefused(
            f"a row of {table.name} in the backup could not be written ({reason})"
        ) from None


def _self_reference(table: Table) -> tuple[str, str] | None:
    """(the column, the key it names) of a table's rows that name another of its rows."""
    for key in table.foreign_keys:
        if key.column.table is table:
            return key.parent.name, key.column.name
    return None


def _parents_first(table: Table, rows: list[Row]) -> list[Row]:
    """The rows ordered so that each comes after the row it names (a cycle, which the
    database would refuse anyway, is left in file order)."""
    found = _self_reference(table)
    assert found is not None
    column, key = found
    written: set[object] = set()
    ordered: list[Row] = []
    waiting = list(rows)
    while waiting:
        ready: list[Row] = []
        later: list[Row] = []
        for row in waiting:
            (ready if row[column] is None or row[column] in written else later).append(row)
        if not ready:
            return ordered + later
        ordered += ready
        written.update(row[key] for row in ready)
        waiting = later
    return ordered


def _batches(
    source: Path, header: Header, tables: list[Table]
) -> Iterator[tuple[Table, list[Row]]]:
    """Rows as column dicts, decoded to each column's type, in batches of one table."""
    by_name = {t.name: t for t in tables}
    columns = {name: list(by_name[name].columns) for name in header["tables"]}
    batch: list[Row] = []
    current: Table | None = None
    with source.open("rb") as handle:
        next(handle)
        for number, data in enumerate(handle, start=2):
            item = json.loads(data)
            if not isinstance(item, list):
                break
            name, values = item
            table = by_name[name]
            if table is not current or len(batch) >= BATCH_ROWS:
                if current is not None and batch:
                    yield current, batch
                current, batch = table, []
            batch.append(_row(source, number, columns[name], values))
    if current is not None and batch:
        yield current, batch


def _row(source: Path, number: int, columns: list[Column[Any]], values: object) -> Row:
    """One line's values as a column dict; a line that does not fit its table is refused."""
    try:
        if not isinstance(values, list):
            raise TypeError("a row's values are a list")
        return {c.name: _decoded(c, v) for c, v in zip(columns, values, strict=True)}
    except (TypeError, ValueError):
        raise BackupRefused(
            f"{source}, line {number}: a row of {columns[0].table.name} whose values do not "
            "fit its columns"
        ) from None


def _decoded(column: Column[Any], value: object) -> object:
    if value is None:
        return None
    python_type = column.type.python_type
    if python_type in (dt.datetime, dt.date) and not isinstance(value, str):
        raise TypeError(f"{column.name} is written as text")
    if python_type is dt.datetime:
        return dt.datetime.fromisoformat(str(value))
    if python_type is dt.date:
        return dt.date.fromisoformat(str(value))
    return value


def _lock(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL: nobody writes between the emptiness check and the restore (SQLite's
    BEGIN IMMEDIATE already holds the write lock)."""
    if connection.dialect.name == "postgresql":
        quote = connection.dialect.identifier_preparer.quote
        names = ", ".join(quote(t.name) for t in tables)
        connection.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))


def _data_held(connection: Connection, tables: list[Table]) -> list[str]:
    """What makes the database not empty: rows beyond what every new database starts with."""
    held = []
    for table in tables:
        count = connection.scalar(select(func.count()).select_from(table))
        if count and table.name not in SEEDED_TABLES:
            held.append(f"{table.name} has {count:,} row{'s' if count != 1 else ''}")
    beyond_the_seed = {  # what people added to the seeded tables
        "wave(s)": select(Wave.key).where(Wave.key != DEFAULT_WAVE),
        "loaded sample frame(s)": select(SampleFrame.key).where(SampleFrame.created_by.isnot(None)),
    }
    for what, keys in beyond_the_seed.items():
        found = sorted(connection.scalars(keys))
        if found:
            held.append(f"it has {what} {', '.join(found)}")
    changed = connection.scalar(
        select(func.count())
        .select_from(Interview)
        .where((Interview.version != 1) | (Interview.status != InterviewStatus.NOT_CONTACTED))
    )
    if changed:
        held.append(f"{changed} interview record(s) have been changed")
    return held


def _restart_id_sequences(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL: new rows get ids after the restored ones (SQLite takes max(id) + 1 itself)."""
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        column = table.autoincrement_column  # none for a table keyed by text (sample_frame)
        if column is not None:
            name, key = quote(table.name), quote(column.name)
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:table, :column), "
                    f"COALESCE(MAX({key}), 1), MAX({key}) IS NOT NULL) FROM {name}"
                ),
                {"table": name, "column": column.name},
            )


# --- shared -----------------------------------------------------------------------------------


def _tables() -> list[Table]:
    """Every table of the current schema, parents before children."""
    return list(Base.metadata.sorted_tables)


def _schema_revision(connection: Connection) -> str:
    return connection.scalar(text("SELECT version_num FROM alembic_version")) or ""


def _require_admin(engine: Engine, actor: Actor, what: str) -> None:
    """A backup holds every answer and every account's password hash: administrators only.
    The rule is `services.permissions`'s, so a refusal is logged like any other."""
    if not allowed(actor, "back up and restore"):
        with Session(engine) as session:
            require(session, actor, "back up and restore", target=what)
