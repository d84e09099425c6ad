"""The audit log refuses every rewrite (REPLACE, upsert, TRUNCATE as well as UPDATE and
DELETE), and a rewrite made behind the database's back shows as a broken hash chain."""

from __future__ import annotations

import threading
import time

import pytest
from alembic import command
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.audit_chain import CHANGED, GENESIS, UNLINKED
from db.engine import make_engine
from db.models import AuditEvent, Council, Interview
from db.schema import _config, is_current, upgrade
from instrument.loader import instrument_named
from services.actor import Actor
from services.audit import chain_state, record
from services.audit_log import verify_chain
from services.imports import import_wave
from services.interviews import get_interview
from tests.conftest import INTERVIEWER, table_checksums
from tests.wave_builder import build_wave, columns, csv_bytes

ADMIN = Actor("root", "admin")
COLUMNS = "id, at, username, role, action, target, prev_hash, row_hash"
ROW_ONE = f"({COLUMNS}) VALUES (1, '2011-01-01 00:00:00', 'mallory', 'admin', 'x', 'y', 'h', 'h')"
SQLITE_ATTACKS = {
    "insert or replace": f"INSERT OR REPLACE INTO audit_event {ROW_ONE}",
    "replace into": f"REPLACE INTO audit_event {ROW_ONE}",
    "upsert": f"INSERT INTO audit_event {ROW_ONE} ON CONFLICT(id) DO UPDATE SET reason = 'x'",
    "insert or ignore": f"INSERT OR IGNORE INTO audit_event {ROW_ONE}",
    "update": "UPDATE audit_event SET reason = 'rewritten'",
    "delete": "DELETE FROM audit_event",
}
POSTGRESQL_ATTACKS = {
    "truncate": "TRUNCATE audit_event",
    "truncate restart identity cascade": "TRUNCATE audit_event RESTART IDENTITY CASCADE",
    "upsert": f"INSERT INTO audit_event {ROW_ONE} ON CONFLICT (id) DO UPDATE SET reason = 'x'",
    "update": "UPDATE audit_event SET reason = 'rewritten'",
    "delete": "DELETE FROM audit_event",
}


def log_three(engine: Engine) -> None:
    with Session(engine) as session:
        for n in range(3):
            record(session, actor=ADMIN, action="account.add", target=f"account a{n}", reason="r")
        session.commit()


def attacks(engine: Engine) -> dict[str, str]:
    return POSTGRESQL_ATTACKS if engine.dialect.name == "postgresql" else SQLITE_ATTACKS


def assert_refused(engine: Engine, statement: str) -> None:
    with engine.connect() as connection:
        before = table_checksums(connection, {"audit_event": AuditEvent.id.isnot(None)})
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        assert table_checksums(connection, {"audit_event": AuditEvent.id.isnot(None)}) == before
        assert chain_state(connection).intact


@pytest.mark.parametrize("attack", sorted(set(SQLITE_ATTACKS) | set(POSTGRESQL_ATTACKS)))
def test_every_rewrite_in_raw_sql_is_refused(engine: Engine, attack: str) -> None:
    log_three(engine)
    statement = attacks(engine).get(attack)
    if statement is None:
        pytest.skip(f"{attack} is not {engine.dialect.name} SQL")
    assert_refused(engine, statement)


def rewrite_behind_the_app(engine: Engine, statement: str) -> None:
    """What the database's owner can still do: lift the refusal, rewrite, put it back."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            connection.execute(text(statement))
            connection.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
            return
        triggers = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'audit_event' "
                 "AND type = 'trigger'")
        ).all()  # fmt: skip
        for name, _ in triggers:
            connection.execute(text(f"DROP TRIGGER {name}"))
        connection.execute(text(statement))
        for _, sql in triggers:
            connection.execute(text(sql))


@pytest.mark.parametrize(
    ("statement", "row", "why"),
    [
        ("UPDATE audit_event SET reason = 'softened' WHERE id = 2", 2, CHANGED),
        ("UPDATE audit_event SET at = at WHERE id = 3", None, None),
        ("DELETE FROM audit_event WHERE id = 2", 3, UNLINKED),
        ("UPDATE audit_event SET row_hash = prev_hash WHERE id = 1", 1, CHANGED),
    ],
)
def test_a_rewrite_behind_the_app_names_the_first_broken_row(
    engine: Engine, statement: str, row: int | None, why: str | None
) -> None:
    log_three(engine)
    with Session(engine) as session:
        assert verify_chain(session, actor=ADMIN).sentence() == (
            "Audit log verified: 3 rows, chain intact."
        )
    rewrite_behind_the_app(engine, statement)
    with Session(engine) as session:
        chain = verify_chain(session, actor=ADMIN)
    if row is None:
        assert chain.intact
        return
    assert not chain.intact and chain.broken is not None
    assert (chain.broken.id, chain.broken.action, chain.broken.why) == (row, "account.add", why)
    assert chain.sentence().startswith(f"Audit log chain broken at row {row} (20")
    assert chain.sentence().endswith(f", account.add): {why}.")


def test_concurrent_writers_build_one_unbroken_chain(engine: Engine) -> None:
    """Four threads appending at once: every row is chained to the one before it."""

    def append(n: int) -> None:
        for k in range(15):
            with Session(engine) as session:
                record(session, actor=ADMIN, action="note", target=f"writer {n} row {k}")
                record(session, actor=ADMIN, action="note", target=f"writer {n} row {k} again")
                session.commit()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(engine) as session:
        chain = verify_chain(session, actor=ADMIN)
        first = session.scalar(select(AuditEvent.prev_hash).order_by(AuditEvent.id).limit(1))
    assert (chain.intact, chain.rows, first) == (True, 4 * 15 * 2, GENESIS)


def test_migration_0005_down_and_up__existing_rows_hashed__rewrites_refused(
    engine: Engine,
) -> None:
    """Rows logged before 0005 are chained by it; down to 0004 the holes it closes are open
    (shown on SQLite with REPLACE), and up again they are closed."""
    log_three(engine)
    with engine.connect() as connection:
        before = connection.execute(select(AuditEvent.row_hash).order_by(AuditEvent.id)).all()
    config = _config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        assert not is_current(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("audit_event")}
        assert not {"prev_hash", "row_hash"} & columns
        if engine.dialect.name == "sqlite":  # the hole 0005 closes
            with engine.begin() as connection:
                connection.execute(
                    text("REPLACE INTO audit_event (id, at, username, role, action, target) "
                         "VALUES (2, '2011-01-01 00:00:00', 'mallory', 'admin', 'x', 'y')")
                )  # fmt: skip
    finally:
        upgrade(engine)
    assert is_current(engine)
    with Session(engine) as session:
        chain = verify_chain(session, actor=ADMIN)
        assert (chain.intact, chain.rows) == (True, 4)  # and 0017's note of hashing again
        after = session.execute(select(AuditEvent.row_hash).order_by(AuditEvent.id)).all()
        users = list(session.scalars(select(AuditEvent.username).order_by(AuditEvent.id)))
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 4
    assert actions[-1] == "audit.rehash" and users[-1] == "migration 0017"
    if engine.dialect.name == "sqlite":
        assert users[:3] == ["root", "mallory", "root"] and after[0] == before[0]
    else:
        assert after[:3] == before  # hashed again, the same
    for statement in attacks(engine).values():
        assert_refused(engine, statement)


def test_a_fresh_sqlite_file_gets_the_refusals(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    upgrade(engine)
    with engine.connect() as connection:
        names = set(
            connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        )
    assert {"audit_event_no_update", "audit_event_no_delete", "audit_event_no_replace"} <= names
    engine.dispose()


def test_an_import_and_a_save_at_once__both_land_in_one_chain(engine: Engine) -> None:
    """A save holds its interview, then waits for the chain; the import locks every interview
    of the wave before its first audit row, so it waits for that save instead of holding the
    chain while it waits (on PostgreSQL that was a deadlock, one of them failing)."""
    instrument = instrument_named("schedule_2011")
    rows = build_wave(instrument)
    with Session(engine) as session:  # the council the import reaches last
        last = session.scalar(
            select(Interview.id).join(Council).where(Council.code == rows[-1]["council_code"])
        )
    locked, failed = threading.Event(), []

    def save() -> None:
        try:
            with Session(engine) as session:
                get_interview(session, last, for_update=True)  # as save_answer does
                locked.set()
                time.sleep(1.5)  # the import starts meanwhile
                record(session, actor=INTERVIEWER, action="note", target="saved while importing")
                session.commit()
        except Exception as exc:  # reported below
            failed.append(exc)
            locked.set()

    thread = threading.Thread(target=save)
    thread.start()
    locked.wait()
    with Session(engine) as session:
        report = import_wave(
            session,
            actor=INTERVIEWER,
            wave_key="2011",
            data=csv_bytes(rows, columns(instrument)),
            filename="wave.csv",
        )
    thread.join()
    assert not failed and report.councils == 32
    with Session(engine) as session:
        chain = verify_chain(session, actor=ADMIN)
        targets = session.scalars(select(AuditEvent.target).order_by(AuditEvent.id)).all()
    assert chain.intact and chain.rows == len(targets) > 32
    assert targets[0] == "saved while importing"  # the import waited for it
