"""Eight interviewer processes autosaving into one database at once: every save is either
persisted (with its own history row, never lost or overwritten silently) or reported as a
conflict, and nothing fails with "database is locked". The full 8 × 500 load is
`benchmarks/concurrency.py`; this runs the same writers with fewer saves each."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from benchmarks.concurrency import OWN_QUESTIONS, SHARED_QUESTIONS, run_writers, verify
from db.interviews import instrument_named
from db.models import Answer, AnswerHistory

WRITERS = 8
SAVES_EACH = 100

pytestmark = pytest.mark.slow


def test_the_writers_questions_are_always_asked() -> None:
    instrument = instrument_named("schedule_2011")
    for variable_id in SHARED_QUESTIONS + OWN_QUESTIONS:
        assert instrument.variable(variable_id).type == "text"
        assert instrument.condition(variable_id) is None, variable_id


def test_concurrent_autosaves__every_save_persisted_or_reported_as_a_conflict(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    outcome = run_writers(database_url, WRITERS, SAVES_EACH, tmp_path)

    assert outcome.errors == []  # no "database is locked", no other failure
    assert len(outcome.acks) + len(outcome.conflicts) == WRITERS * SAVES_EACH
    assert outcome.conflicts, "the writers overlapped on shared answers but never conflicted"
    assert all(c["theirs"] > c["based_on"] for c in outcome.conflicts)
    shared_keys = {(c["interview"], c["variable"]) for c in outcome.conflicts}
    assert {v for _, v in shared_keys} <= set(SHARED_QUESTIONS)

    checked = verify(database_url, outcome)
    assert checked.history_rows == len(outcome.acks)
    assert checked.lost == []
    assert checked.phantom == []
    assert checked.duplicate_versions == []
    assert checked.conflicts_persisted == []
    assert checked.final_mismatches == []

    with Session(engine) as session:
        rows = session.execute(select(AnswerHistory.interview_id, AnswerHistory.variable_id))
        history = Counter((interview_id, variable) for interview_id, variable in rows)
        for answer in session.scalars(select(Answer)):
            # versions run 1..n with no gap: one history row per persisted save
            assert history[(answer.interview_id, answer.variable_id)] == answer.version
        assert session.scalar(select(func.count()).select_from(Answer)) == len(history)
