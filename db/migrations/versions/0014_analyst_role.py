"""the analyst role: an account that codes the open answers and reads them verbatim

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 07:20:00

Only `ck_account_role` changes. On SQLite the check is rebuilt by a batch copy of `account`,
which nothing references, so no row elsewhere can cascade; the council check is copied with it.
Going down is refused while an analyst account exists: which role it should fall back to is a
person's decision, not a migration's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "role IN ('admin', 'interviewer', 'auditor', 'council')"
AFTER = "role IN ('admin', 'interviewer', 'analyst', 'auditor', 'council')"


def upgrade() -> None:
    _check_roles(AFTER)


def downgrade() -> None:
    analysts = op.get_bind().scalar(sa.text("SELECT count(*) FROM account WHERE role = 'analyst'"))
    if analysts:
        raise RuntimeError(
            f"{analysts} analyst account(s) exist; change their role before going below 0014"
        )
    _check_roles(BEFORE)


def _check_roles(condition: str) -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_constraint("ck_account_role", type_="check")
        batch.create_check_constraint("ck_account_role", condition)
