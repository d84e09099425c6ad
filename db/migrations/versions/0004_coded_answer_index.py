"""an index of coded answers, so the national counts read closed answers without the table

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:30:00

`services.results.wave_counts` counts each routed question over the interviews its rule holds in.
With (variable_id, interview_id, value) in one index, each of those counts reads only its own
variables' entries, in interview order, and never the table (index-only on PostgreSQL once
vacuumed, covering on SQLite). Only values up to 500 characters are held: every closed answer
fits (the instrument loader refuses a choice list that could exceed `CODED_VALUE_LIMIT`), long
verbatim text stays out, and no entry can pass PostgreSQL's btree limit of 2,704 bytes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODED = sa.text("length(value) <= 500")  # frozen here: instrument.model.CODED_VALUE_LIMIT


def upgrade() -> None:
    op.create_index(
        "ix_answer_coded",
        "answer",
        ["variable_id", "interview_id", "value"],
        postgresql_where=CODED,
        sqlite_where=CODED,
    )
    # (interview_id, variable_id) is unique, and that index serves every lookup by interview
    op.drop_index("ix_answer_interview_id", table_name="answer")


def downgrade() -> None:
    op.create_index("ix_answer_interview_id", "answer", ["interview_id"])
    op.drop_index("ix_answer_coded", table_name="answer")
