"""answer history: kept by interview, with no key to the answer row

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 19:30:00

Every read of the history is by interview (the Interview page, a council's review, retention,
the demo), and none by answer, yet the one index was on `answer_id`: an interview's history
was read by scanning the whole table. The index is now (interview, variable, version), what
those reads ask for.

The foreign key from `answer_history.answer_id` to `answer.id` goes. Nothing deletes an
answer on its own (an interview deleted takes its history by the key to the interview, which
stays), and it cost every history row written a lock on its answer row: on PostgreSQL a
tenth of an import's time. `answer_id` is kept as a record of which answer it was.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps a foreign key without a name: batch mode names it by this convention to drop it.
NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
ANSWER_KEY = "fk_answer_history_answer_id_answer"
BY_INTERVIEW = ["interview_id", "variable_id", "version"]


def upgrade() -> None:
    with op.batch_alter_table("answer_history", naming_convention=NAMES) as batch:
        batch.drop_index("ix_answer_history_answer_id")
        batch.drop_constraint(_answer_key(), type_="foreignkey")
        batch.create_index("ix_answer_history_interview", BY_INTERVIEW)


def downgrade() -> None:
    with op.batch_alter_table("answer_history", naming_convention=NAMES) as batch:
        batch.drop_index("ix_answer_history_interview")
        batch.create_foreign_key(
            _answer_key(), "answer", ["answer_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_answer_history_answer_id", ["answer_id"])


def _answer_key() -> str:
    """The key's name: PostgreSQL's own (made by 0001), or the convention's on SQLite."""
    if op.get_bind().dialect.name == "postgresql":
        return "answer_history_answer_id_fkey"
    return ANSWER_KEY
