"""counters kept at save time: `answer_count` and `interview_count`, filled from the answers

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 13:20:00

The report reads these instead of counting the answers (`db.counters`). Each wave's counters
are filled here from the reference count, as `survey_cli.py recount` would fill them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_count",
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("wave.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("respondent_role", sa.String(60), primary_key=True),
        sa.Column("validated", sa.Boolean(), primary_key=True),
        sa.Column("variable_id", sa.String(80), primary_key=True),
        sa.Column("value", sa.Text(), primary_key=True),
        sa.Column("applies", sa.Boolean(), primary_key=True),
        sa.Column("interviews", sa.Integer(), nullable=False),
    )  # fmt: skip
    op.create_table(
        "interview_count",
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("wave.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("status", sa.String(20), primary_key=True),
        sa.Column("respondent_role", sa.String(60), primary_key=True),
        sa.Column("validated", sa.Boolean(), primary_key=True),
        sa.Column("interviews", sa.Integer(), nullable=False),
    )  # fmt: skip
    from db.counters import rebuild  # the project's own counting, as `recount` runs it

    connection = op.get_bind()
    for (wave_id,) in connection.execute(sa.text("SELECT id FROM wave ORDER BY id")):
        rebuild(connection, wave_id)


def downgrade() -> None:
    op.drop_table("interview_count")
    op.drop_table("answer_count")
