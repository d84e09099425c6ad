"""publication safety: `wave.disclosure_threshold`, the fewest councils a published figure may
describe (5 unless an administrator sets otherwise)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:40:00

A column added (and, going down, dropped) in place; existing waves take the default of 5.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "wave",
        sa.Column("disclosure_threshold", sa.Integer(), nullable=False, server_default="5"),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE wave DROP COLUMN disclosure_threshold")
