"""sample frames are rows: a `sample_frame` table holds each frame's key, title and the word for
one member, with the two shipped frames in it, so an administrator can load another from a file

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 10:00:00

A new table only: `council.frame` and `wave.frame` keep their keys as they are (no foreign key,
which SQLite could add only by batch mode's copy of the table: see 0006), and every key they
hold today is one of the two inserted here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHIPPED = [
    {"key": "councils", "title": "Scotland's 32 councils", "member": "council"},
    {
        "key": "partnerships",
        "title": "Scotland's 31 health and social care partnerships (integration authorities)",
        "member": "partnership",
    },
]


def upgrade() -> None:
    table = op.create_table(
        "sample_frame",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("member", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=True),
    )
    op.bulk_insert(table, SHIPPED)


def downgrade() -> None:
    op.drop_table("sample_frame")
