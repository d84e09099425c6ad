"""quotes for the report: `coding.approved_by` and `approved_at`, a quote candidate approved by
someone other than its coder

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:40:00

Columns added (and, going down, dropped) in place: a batch copy of `coding` is never needed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("coding", sa.Column("approved_by", sa.String(100), nullable=True))
    op.add_column("coding", sa.Column("approved_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE coding DROP COLUMN approved_at")
    op.execute("ALTER TABLE coding DROP COLUMN approved_by")
