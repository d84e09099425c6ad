"""a theme's report wording: `theme.report`, the sentence the report writes for it ("{n council}
said they had sought training …"), empty for the generic one

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:30:00

A column added in place (never batch mode's copy of the table: see 0006).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("theme", sa.Column("report", sa.Text(), nullable=True))


def downgrade() -> None:
    # In place on both (SQLite has had DROP COLUMN since 3.35): a batch copy of `theme` would
    # cascade into its codings.
    op.execute("ALTER TABLE theme DROP COLUMN report")
