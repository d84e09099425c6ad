"""the audit log refuses every rewrite, and each row carries a hash chaining it to the last

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 01:20:00

0002's triggers refuse UPDATE and DELETE, but SQLite's REPLACE (`INSERT OR REPLACE`,
`REPLACE INTO`) deletes the old row without firing a DELETE trigger, and PostgreSQL's TRUNCATE
fires no row or UPDATE/DELETE trigger. So: on SQLite a BEFORE INSERT trigger refuses an id that
already exists (which also stops an upsert before it can update); on PostgreSQL a BEFORE
TRUNCATE trigger runs the same refusing function. Then `prev_hash` and `row_hash`
(`db.audit_chain`) are added and computed for the rows already there, with the UPDATE refusal
lifted for that one statement per row inside this migration's transaction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.audit_chain import GENESIS
from db.audit_chain import row_hash_v1 as row_hash  # the version this migration wrote

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit_event is append-only"  # as in 0002


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event "
            "WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
    for name in ("prev_hash", "row_hash"):
        op.add_column(
            "audit_event",
            sa.Column(name, sa.String(length=64), nullable=False, server_default=""),
        )
    _hash_existing_rows(postgresql)
    if postgresql:  # SQLite cannot drop a default without rebuilding the table (and its triggers)
        for name in ("prev_hash", "row_hash"):
            op.alter_column("audit_event", name, server_default=None)


def _hash_existing_rows(postgresql: bool) -> None:
    """Chain the rows already logged, oldest first, lifting the UPDATE refusal meanwhile."""
    bind = op.get_bind()
    if postgresql:
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
    texts = ("username", "role", "action", "target", "old_value", "new_value", "reason")
    table = sa.table(  # typed as 0002 made it: the hash reads `at` as a datetime, not text
        "audit_event",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime()),
        *(sa.column(name, sa.Text()) for name in texts),
        sa.column("prev_hash", sa.String()),
        sa.column("row_hash", sa.String()),
    )
    previous = GENESIS
    rows = bind.execute(sa.select(table).order_by(table.c.id)).mappings().all()
    for row in rows:
        digest = row_hash(row, previous)
        bind.execute(
            table.update()
            .where(table.c.id == row["id"])
            .values(prev_hash=previous, row_hash=digest)
        )
        previous = digest
    if postgresql:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    else:
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
    else:
        op.execute("DROP TRIGGER audit_event_no_replace")
    op.drop_column("audit_event", "row_hash")
    op.drop_column("audit_event", "prev_hash")
