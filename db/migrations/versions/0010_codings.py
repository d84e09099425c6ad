"""codings of the open answers: `coding` (a theme one coder applied to an answer, whole or a
passage by character offsets, perhaps a quote candidate) and its append-only `coding_history`

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:10:00

New tables only; nothing existing is touched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _interview() -> sa.Column[int]:
    return sa.Column(
        "interview_id",
        sa.Integer(),
        sa.ForeignKey("interview.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "coding",
        sa.Column("id", sa.Integer(), primary_key=True),
        _interview(),
        sa.Column("variable_id", sa.String(80), nullable=False),
        sa.Column(
            "theme_id", sa.Integer(), sa.ForeignKey("theme.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("coder", sa.String(100), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("passage", sa.Text(), nullable=False),
        sa.Column("quote", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint(
            "interview_id", "variable_id", "theme_id", "coder", "start_offset", "end_offset"
        ),
    )
    op.create_index("ix_coding_interview_id", "coding", ["interview_id"])
    op.create_index("ix_coding_theme_id", "coding", ["theme_id"])
    op.create_table(
        "coding_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        _interview(),
        sa.Column("variable_id", sa.String(80), nullable=False),
        sa.Column("theme", sa.String(200), nullable=False),
        sa.Column("coder", sa.String(100), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(20), nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_coding_history_interview_id", "coding_history", ["interview_id"])


def downgrade() -> None:
    op.drop_index("ix_coding_history_interview_id", table_name="coding_history")
    op.drop_table("coding_history")
    op.drop_index("ix_coding_theme_id", table_name="coding")
    op.drop_index("ix_coding_interview_id", table_name="coding")
    op.drop_table("coding")
