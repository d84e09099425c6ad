"""a wave pins its schedule (the full YAML text and its SHA-256), and a wave can be closed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 02:20:00

Until now a wave named its instrument and every read loaded the file of that name, so editing
the YAML changed a wave already in the field. Waves already in the database are pinned to the
repository's file of their name as it is when this migration runs, which is the schedule they
have been read with. A closed wave keeps who closed it, when and why.
"""

import hashlib
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTRUMENT_DIR = Path(__file__).resolve().parents[3] / "instrument"


# New columns come with ALTER TABLE ADD/DROP COLUMN, never by batch mode's copy of the table: on
# SQLite that drops the old `wave` table, and with foreign keys on, its interviews (and their
# answers) go with it by ON DELETE CASCADE. So SQLite keeps the two columns nullable in the
# database (the model and every writer fill them); PostgreSQL also makes them NOT NULL.
COLUMNS = (
    sa.Column("instrument_text", sa.Text(), nullable=True),
    sa.Column("instrument_sha256", sa.String(64), nullable=True),
    sa.Column("closed_at", sa.DateTime(), nullable=True),
    sa.Column("closed_by", sa.String(80), nullable=True),
    sa.Column("closed_reason", sa.Text(), nullable=True),
)


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("wave", column)
    connection = op.get_bind()
    waves = connection.execute(sa.text("SELECT id, instrument FROM wave")).all()
    for wave_id, name in waves:
        text = (INSTRUMENT_DIR / f"{name}.yaml").read_text(encoding="utf-8")
        connection.execute(
            sa.text("UPDATE wave SET instrument_text = :text, instrument_sha256 = :sha WHERE id = :id"),
            {"text": text, "sha": hashlib.sha256(text.encode("utf-8")).hexdigest(), "id": wave_id},
        )
    if connection.dialect.name == "postgresql":
        op.alter_column("wave", "instrument_text", existing_type=sa.Text(), nullable=False)
        op.alter_column("wave", "instrument_sha256", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE wave DROP COLUMN {column.name}")
