"""open answers' codebooks: a `theme` table (per wave: name, description, optional parent) and
`theme_variable` (the open questions each theme applies to)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 05:00:00

New tables only; nothing existing is touched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "wave_id", sa.Integer(), sa.ForeignKey("wave.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "parent_id", sa.Integer(), sa.ForeignKey("theme.id", ondelete="RESTRICT"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("wave_id", "name_key"),
    )
    op.create_index("ix_theme_wave_id", "theme", ["wave_id"])
    op.create_table(
        "theme_variable",
        sa.Column(
            "theme_id",
            sa.Integer(),
            sa.ForeignKey("theme.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("variable_id", sa.String(80), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("theme_variable")
    op.drop_index("ix_theme_wave_id", table_name="theme")
    op.drop_table("theme")
