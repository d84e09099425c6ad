"""The audit log: one append-only row per change, written in the caller's transaction."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.actor import Actor
from db.models import AuditEvent, utcnow

CSV_COLUMNS = (
    "id",
    "at_utc",
    "username",
    "role",
    "action",
    "target",
    "old_value",
    "new_value",
    "reason",
)


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
    event = AuditEvent(
        at=utcnow(),
        username=actor.username,
        role=actor.role,
        action=action,
        target=target,
        old_value=old,
        new_value=new,
        reason=reason,
    )
    session.add(event)
    return event


def recent_events(
    session: Session, *, actor: Actor, limit: int = 1000, action: str | None = None
) -> list[AuditEvent]:
    """The newest rows first, optionally one kind of action (e.g. "answer" or "review")."""
    from db.permissions import require

    require(session, actor, "read the audit log", target="audit log")
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    return list(session.scalars(query))


def export_csv(session: Session, *, actor: Actor) -> str:
    """The whole log, oldest first, as CSV; cells that look like formulas are kept as text."""
    from db.flatfile.cells import protect  # the flat-file package imports services using this
    from db.permissions import require

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
