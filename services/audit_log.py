"""Reading the audit log: the newest events, the whole log as CSV, and the chain's check.
Administrators only, checked here; the writer (`services.audit`) sits below permissions."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.audit_chain import FIELDS, ChainState
from db.models import AuditEvent
from flatfile.cells import protect
from services.actor import Actor
from services.audit import chain_state
from services.permissions import require

CSV_COLUMNS = ("id", "at_utc", *FIELDS[2:])  # the hashed fields, the time marked as UTC


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log as the Audit log page shows it (its hashes left out)."""

    id: int
    at: dt.datetime
    username: str
    role: str
    action: str
    target: str
    old_value: str | None
    new_value: str | None
    reason: str | None

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEntry:
        return cls(
            event.id,
            event.at,
            event.username,
            event.role,
            event.action,
            event.target,
            event.old_value,
            event.new_value,
            event.reason,
        )


def verify_chain(session: Session, *, actor: Actor) -> ChainState:
    """Walk the whole log oldest first: every row's hash, and every link to the row before."""
    require(session, actor, "read the audit log", target="audit log")
    return chain_state(session)


def recent_events(
    session: Session, *, actor: Actor, limit: int = 1000, action: str | None = None
) -> list[AuditEntry]:
    """The newest rows first, optionally one kind of action (e.g. "answer" or "review")."""
    require(session, actor, "read the audit log", target="audit log")
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    return [AuditEntry.of(event) for event in session.scalars(query)]


def export_csv(session: Session, *, actor: Actor) -> str:
    """The whole log, oldest first, as CSV; cells that look like formulas are kept as text."""
    require(session, actor, "read the audit log", target="audit log")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        cells = (e.username, e.role, e.action, e.target, e.old_value, e.new_value, e.reason)
        writer.writerow(
            [e.id, e.at.isoformat(timespec="seconds") + "Z"]
            + [protect(c) if c is not None else "" for c in cells]
        )
    return out.getvalue()
