"""Erasing values from the audit log, which refuses every other change: the one way a value a
person wrote leaves it (UK GDPR), used by retention and by a person's request.

Each value becomes "[erased]" (the database allows nothing else), and one audit row records
the erasure with the digest each value had (`db.audit_chain.Erasure`), so the hash chain
verifies without the values. A row whose hash no longer matches its contents is not erased:
that would hide a rewrite.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import RowMapping, select, update
from sqlalchemy.orm import Session

from db.audit_chain import ERASE_ACTION, ERASED, Erasure, digest, erasures_in, row_hash
from db.models import AuditEvent
from instrument.errors import SurveyError
from services import audit
from services.actor import Actor

BATCH = 1000  # rows per UPDATE


class ErasureRefused(SurveyError, ValueError):
    """Nothing was erased; the message says why."""

    code = "erasure.refused"


def erase_audit_values(
    session: Session,
    *,
    actor: Actor,
    values: tuple[tuple[int, str], ...],
    target: str,
    summary: str,
    why: str,
) -> None:
    """Erase these (audit row id, field) values in the caller's transaction and log it; the
    erasure rows themselves are never erased (their digests keep the chain whole)."""
    values = tuple(v for v in values if v[0] not in _erasure_rows(session, values))
    if not values:
        return
    digests = _checked_digests(session, values)
    by_field: dict[str, list[int]] = defaultdict(list)
    for event_id, field in values:
        by_field[field].append(event_id)
    for field, event_ids in by_field.items():
        for start in range(0, len(event_ids), BATCH):
            session.execute(
                update(AuditEvent).where(AuditEvent.id.in_(event_ids[start : start + BATCH]))
                .values({field: ERASED}),
                execution_options={"synchronize_session": False},
            )  # fmt: skip
    audit.record(session, actor=actor, action=ERASE_ACTION, target=target, old=summary,
                 new=Erasure(tuple(digests)).text(), reason=why)  # fmt: skip


def _erasure_rows(session: Session, values: tuple[tuple[int, str], ...]) -> set[int]:
    ids = sorted({event_id for event_id, _ in values})
    return set(session.scalars(
        select(AuditEvent.id).where(AuditEvent.id.in_(ids), AuditEvent.action == ERASE_ACTION)
    ))  # fmt: skip


def _checked_digests(
    session: Session, values: tuple[tuple[int, str], ...]
) -> list[tuple[int, str, str]]:
    """Each value's digest, from the value as the chain holds it."""
    wanted = sorted({event_id for event_id, _ in values})
    erased = erasures_in(session.scalars(
        select(AuditEvent.new_value).where(AuditEvent.action == ERASE_ACTION)))  # fmt: skip
    rows: dict[int, RowMapping] = {}
    for start in range(0, len(wanted), BATCH):
        query = select(AuditEvent.__table__).where(AuditEvent.id.in_(wanted[start : start + BATCH]))
        rows |= {row["id"]: row for row in session.execute(query).mappings()}
    broken = [i for i, row in rows.items()
              if row["row_hash"] != row_hash(row, row["prev_hash"], erased)]  # fmt: skip
    if broken:
        raise ErasureRefused(
            f"audit rows {', '.join(map(str, sorted(broken)[:10]))} do not match their hashes; "
            "nothing is erased (`survey_cli.py audit verify` says where the chain breaks)"
        )
    return [(i, f, str(digest(rows[i][f]))) for i, f in values]
