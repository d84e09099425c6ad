"""The audit log's writer: one append-only row per change, written in the caller's transaction, each
chained to the one before by its hash (`db.audit_chain`) so an edit made behind the app shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import cast

from sqlalchemy import Connection, Table, select, text
from sqlalchemy.orm import Session

from db.audit_chain import ERASE_ACTION, GENESIS, ChainState, erasures_in, row_hash, walk
from db.bulk import stored_time, write_rows
from db.models import AuditEvent, utcnow
from services.actor import Actor


@dataclass(frozen=True)
class Entry:
    """One audit row to add: what was done, to what, from and to, why."""

    action: str
    target: str
    old: str | None = None
    new: str | None = None
    reason: str | None = None


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target: str,
    old: str | None = None,
    new: str | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add one audit row (no commit: it belongs to the change the caller is making)."""
    return record_entry(session, actor, Entry(action, target, old, new, reason))


def record_entry(session: Session, actor: Actor, entry: Entry) -> AuditEvent:
    """`record`, given the row as an `Entry`: one ORM object, flushed with the change it
    belongs to (many rows in one statement)."""
    last_id, previous = _chain_end(session)
    [row] = _chained(session, actor, [entry], last_id, previous, utcnow())
    event = AuditEvent(**row)
    session.add(event)
    return event


def record_many(session: Session, *, actor: Actor, entries: Sequence[Entry]) -> None:
    """Add many audit rows at once, chained as `record` chains them, written in bulk with no
    ORM object per row (an import's). Rows the session holds are flushed first, so the rows
    reach the table in chain order."""
    if not entries:
        return
    session.flush()
    last_id, previous = _chain_end(session)
    at = utcnow()
    rows = _chained(session, actor, entries, last_id, previous, at)
    connection = session.connection()
    stored = stored_time(connection, at)  # hashed as a time, written as the column holds it
    write_rows(connection, _TABLE, _HASHED, [_columns(r | {"at": stored}) for r in rows])


def _chained(
    session: Session,
    actor: Actor,
    entries: Sequence[Entry],
    last_id: int,
    previous: str,
    at: dt.datetime,
) -> list[dict[str, object]]:
    """The entries as rows after the chain's end, each with its id and hash; the new end is
    remembered for the transaction."""
    ids, rows = _reserve_ids(session, last_id, len(entries)), []
    for event_id, entry in zip(ids, entries, strict=True):
        row: dict[str, object] = {
            "id": event_id, "at": at, "username": actor.username, "role": actor.role,
            "action": entry.action, "target": entry.target, "old_value": entry.old,
            "new_value": entry.new, "reason": entry.reason, "prev_hash": previous,
        }  # fmt: skip
        row["row_hash"] = previous = row_hash(row, previous)
        rows.append(row)
    session.info[_LAST_LINK] = (_transaction(session), ids[-1], previous)
    return rows


_TABLE = cast(Table, AuditEvent.__table__)


def _reserve_ids(session: Session, last_id: int, n: int) -> list[int]:
    """`n` ids for new rows, in chain order. Every writer of the log takes the chain's lock
    (`_chain_end`) before it takes an id, so while it is held a block may be reserved at
    once: on PostgreSQL the sequence is moved on by `n` in one statement, not asked `n`
    times; on SQLite the ids after the last row are this transaction's. Not
    `db.bulk.reserve_ids`: the last row may be one `record_entry` added but has not flushed,
    which only the remembered chain end knows."""
    if session.get_bind().dialect.name != "postgresql":
        return list(range(last_id + 1, last_id + 1 + n))
    sequence = "pg_get_serial_sequence('audit_event', 'id')"
    first = int(session.scalar(text(f"SELECT nextval({sequence})")) or 0)
    if n > 1:
        session.execute(text(f"SELECT setval({sequence}, :last)"), {"last": first + n - 1})
    return list(range(first, first + n))


_HASHED = tuple(c.name for c in AuditEvent.__table__.columns)
_columns = itemgetter(*_HASHED)  # a row's values in the table's column order
# pg_advisory_xact_lock key ("audi"): one chain append at a time, until that transaction ends
CHAIN_LOCK = 0x61756469
_LAST_LINK = "audit_chain_end"  # session.info: (transaction, id, row hash) of the last row added


def _chain_end(session: Session) -> tuple[int, str]:
    """The last row's id and hash, read where no other writer can append in between: on
    PostgreSQL under an advisory lock held until commit or rollback (whoever waits then reads
    the row the other committed); on SQLite every write transaction already holds the
    database's write lock from BEGIN IMMEDIATE (`db.engine`). Within one transaction the end
    is remembered, so an import's many rows read it once."""
    remembered = session.info.get(_LAST_LINK)
    if remembered is not None and remembered[0] is _transaction(session):
        return remembered[1], remembered[2]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = session.execute(
        select(AuditEvent.id, AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return (last.id, last.row_hash) if last else (0, GENESIS)


def _transaction(session: Session) -> object:
    """The transaction a remembered chain end belongs to: a savepoint's own, so rows a
    rolled-back savepoint took with it are never chained to."""
    return session.get_nested_transaction() or session.get_transaction()


def chain_state(db: Session | Connection) -> ChainState:
    """The walk itself, unchecked, for `verify_chain` and for a restore before it commits: the
    erasure rows' records first (an erased value is hashed by the digest they keep), then
    every row in order."""
    erased = db.scalars(select(AuditEvent.new_value).where(AuditEvent.action == ERASE_ACTION))
    erasures = erasures_in(erased)
    query = select(AuditEvent.__table__).order_by(AuditEvent.id)
    rows = db.execute(query, execution_options={"yield_per": 1000}).mappings()
    return walk(rows, erasures)
