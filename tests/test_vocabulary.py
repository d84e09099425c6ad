"""The vocabulary: every code has words people see, and the database accepts exactly its codes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import CheckConstraint, Table

from db.models import Account, ReviewItem
from instrument.vocabulary import (
    Coded,
    ContactOutcome,
    DisplayState,
    InterviewStatus,
    ReviewItemState,
    ReviewState,
    Role,
)

VOCABULARIES = (Role, InterviewStatus, DisplayState, ContactOutcome, ReviewState, ReviewItemState)


@pytest.mark.parametrize("vocabulary", VOCABULARIES)
def test_every_code_has_its_own_words(vocabulary: type[Coded]) -> None:
    labels = [member.label for member in vocabulary]
    assert all(label.strip() for label in labels)
    assert len(set(labels)) == len(labels) == len(vocabulary.codes())


def test_a_code_reads_and_writes_as_the_stored_text() -> None:
    done = InterviewStatus("completed")
    assert done is InterviewStatus.COMPLETED and done.label == "Completed"
    assert f"{done}" == str(done) == "completed"
    assert json.dumps({"status": done}) == '{"status": "completed"}'


def _allowed(table: Table, name: str) -> list[str]:
    check = next(c for c in table.constraints if isinstance(c, CheckConstraint) and c.name == name)
    listed = str(check.sqltext).split(" IN (", 1)[1].rstrip(")")
    return [code.strip().strip("'") for code in listed.split(",")]


@pytest.mark.parametrize(
    ("table", "constraint", "vocabulary"),
    [
        (Account.__table__, "ck_account_role", Role),
        (ReviewItem.__table__, "ck_review_item_state", ReviewItemState),
    ],
)
def test_the_database_accepts_exactly_the_vocabulary(
    table: Table, constraint: str, vocabulary: type[Coded]
) -> None:
    assert _allowed(table, constraint) == list(vocabulary.codes())
