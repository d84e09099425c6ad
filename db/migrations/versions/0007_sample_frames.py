"""sample frames: each respondent organisation and each wave name their frame (councils or
health and social care partnerships), and an organisation's code may be up to 40 characters

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:35:00

Columns are added in place (never by batch mode's copy: see 0006), with `councils` as the
server default, so every existing council and wave is in the councils frame. PostgreSQL widens
`council.code` to 40 characters; SQLite does not enforce a VARCHAR length.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("council", "wave"):
        op.add_column(
            table, sa.Column("frame", sa.String(40), nullable=False, server_default="councils")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("council", "code", type_=sa.String(40), existing_type=sa.String(9))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("council", "code", type_=sa.String(9), existing_type=sa.String(40))
    for table in ("wave", "council"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN frame")
