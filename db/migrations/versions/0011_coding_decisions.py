"""the consensus pass: `coding_decision` keeps, per answer and theme the coders differed on,
whether the theme applies as agreed, and who settled it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:20:00

A new table only; nothing existing is touched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coding_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "interview_id",
            sa.Integer(),
            sa.ForeignKey("interview.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("variable_id", sa.String(80), nullable=False),
        sa.Column(
            "theme_id", sa.Integer(), sa.ForeignKey("theme.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("applies", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("interview_id", "variable_id", "theme_id"),
    )
    op.create_index("ix_coding_decision_theme_id", "coding_decision", ["theme_id"])


def downgrade() -> None:
    op.drop_index("ix_coding_decision_theme_id", table_name="coding_decision")
    op.drop_table("coding_decision")
