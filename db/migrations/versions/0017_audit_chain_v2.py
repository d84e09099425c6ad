"""the audit chain hashes written texts as digests (version 2), so a value may be erased

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 13:40:00

UK GDPR lets a person have their data erased, and the log holds names and answers. Version 2 of
`db.audit_chain` hashes the SHA-256 of each written text instead of the text, so a value can
become "[erased]" while the chain still verifies from the digest its erasure row records.

Here: the log's version-1 chain is checked first (a broken chain is not hashed again, which
would hide the break: the migration stops and says where); every row is hashed again as
version 2; a row `audit.rehash` is appended saying the old newest hash (so a hash noted
elsewhere still means something); and the database's refusal of UPDATE is narrowed to allow
one thing only, replacing a written text by "[erased]" (DELETE, TRUNCATE and every other
UPDATE are refused as before).
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.audit_chain import ERASABLE, ERASED, GENESIS, row_hash, row_hash_v1

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit_event is append-only: a written value may only be erased"
FIXED = ("id", "at", "role", "action", "prev_hash", "row_hash")
TABLE = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime()),
    *(sa.column(n, sa.Text()) for n in ("username", "role", "action", *ERASABLE[1:])),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
    _hash_again(row_hash_v1, row_hash, note=True)
    if postgresql:
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE DELETE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    _refuse_updates(postgresql)


def _refuse_updates(postgresql: bool) -> None:
    """The trigger refusing any UPDATE but one replacing written texts by the erasure marker."""
    same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in FIXED)
    erased = " AND ".join(
        f"(NEW.{c} IS NOT DISTINCT FROM OLD.{c} OR NEW.{c} = '{ERASED}')" for c in ERASABLE
    )
    if postgresql:
        op.execute(
            "CREATE FUNCTION audit_event_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF NOT ({same} AND {erased}) THEN RAISE EXCEPTION '{REFUSAL}'; END IF; "
            "RETURN NEW; END; $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_erase_only BEFORE UPDATE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_erase_only()"
        )
    else:
        same = same.replace("IS NOT DISTINCT FROM", "IS")
        erased = erased.replace("IS NOT DISTINCT FROM", "IS")
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            f"WHEN NOT ({same} AND {erased}) BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )


def _hash_again(old, new, *, note: bool) -> None:  # type: ignore[no-untyped-def]
    """Check every row under the old version, then hash it under the new one; with `note`,
    append the row saying so."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(TABLE).order_by(TABLE.c.id)).mappings().all()
    previous = GENESIS
    for row in rows:
        if row["prev_hash"] != previous or row["row_hash"] != old(row, previous):
            raise RuntimeError(
                f"the audit log's chain is broken at row {row['id']} ({row['action']}): it is "
                "not hashed again, which would hide that; restore a backup taken before the "
                "break, or ask for help, before upgrading"
            )
        previous = row["row_hash"]
    old_head, previous = previous, GENESIS
    for row in rows:
        digest = new(row, previous)
        bind.execute(TABLE.update().where(TABLE.c.id == row["id"])
                     .values(prev_hash=previous, row_hash=digest))  # fmt: skip
        previous = digest
    if note and rows:
        said = {"id": rows[-1]["id"] + 1, "at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "username": "migration 0017", "role": "admin", "action": "audit.rehash",
                "target": "audit log", "old_value": old_head,
                "new_value": f"{len(rows)} rows hashed again as version 2 (digests of texts)",
                "reason": "so that a value can be erased under UK GDPR and the chain still "
                "verifies", "prev_hash": previous}  # fmt: skip
        said["row_hash"] = new(said, previous)
        bind.execute(TABLE.insert().values(**said))
        if bind.dialect.name == "postgresql":
            bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('audit_event', 'id'), "
                                 "(SELECT max(id) FROM audit_event))"))  # fmt: skip


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    bind = op.get_bind()
    erased = bind.execute(sa.text("SELECT count(*) FROM audit_event WHERE action = "
                                  "'privacy.erase'")).scalar()  # fmt: skip
    if erased:
        raise RuntimeError("values have been erased: version 1 cannot hash the log without them")
    if postgresql:
        op.execute("DROP TRIGGER audit_event_erase_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_erase_only()")
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
    _hash_again(row_hash, row_hash_v1, note=False)
    if postgresql:
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
        )
