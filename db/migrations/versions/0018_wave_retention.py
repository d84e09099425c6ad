"""retention: `wave.retain_until`, the date after which the wave's personal data is erased

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 14:00:00

A nullable column added in place (and, going down, dropped): no date, nothing erased.
`survey_cli.py privacy apply-retention` erases respondents' names, contact notes, interviewers'
notes and verbatim answers of every wave past its date (services/retention.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("wave", sa.Column("retain_until", sa.Date(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE wave DROP COLUMN retain_until")
