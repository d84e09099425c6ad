"""Saving answers through the service every page and the CLI use: versions, history, status."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.models import AnswerHistory, Interview
from instrument.values import MAX_TEXT_LENGTH, ValueProblem
from services.actor import Actor
from services.answers import AnswerConflict, answer_history, interview_answers, save_answer
from services.fieldwork import mark_declined, record_contact
from services.interviews import IncompleteInterview, complete_interview, reopen_interview
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER, interview_id_of

OTHER = Actor("olu", "interviewer")
ANGUS = "S12000041"


def save(engine: Engine, iid: int, variable: str, actor: Actor = INTERVIEWER, **fields):  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return save_answer(s, actor=actor, interview_id=iid, variable_id=variable, **fields)


def status_of(engine: Engine, iid: int) -> str:
    with Session(engine) as s:
        return s.get(Interview, iid).status


def test_each_change_is_a_new_version_with_a_history_row(engine: Engine) -> None:
    iid = interview_id_of(engine, ANGUS)
    save(engine, iid, "q11_swia_used", value="yes")
    save(engine, iid, "q11_swia_used", value="no")
    save(engine, iid, "q11_swia_used", note="Checked with deputy")
    unchanged = save(engine, iid, "q11_swia_used", value="no")
    assert not unchanged.changed
    with Session(engine) as s:
        rows = answer_history(s, actor=INTERVIEWER, interview_id=iid, variable_id="q11_swia_used")
    assert [(r.version, r.old_value, r.new_value, r.new_note) for r in rows] == [
        (3, "no", "no", "Checked with deputy"),
        (2, "yes", "no", None),
        (1, None, "yes", None),
    ]
    assert all(r.changed_by == INTERVIEWER.username and r.source == "interview" for r in rows)


@pytest.mark.parametrize("length", [500, 501, MAX_TEXT_LENGTH])
def test_a_verbatim_answer_up_to_the_limit__saved_whole_in_any_script(
    engine: Engine, length: int
) -> None:
    """Short answers are also held in the coded answer index, long ones not; at 500 characters
    of 4-byte ones an index entry is still inside PostgreSQL's 2,704-byte limit."""
    rng = random.Random(length)
    typed = "".join(rng.choice("🦉😀𝔄𝕭àéŵŷ ") for _ in range(length))
    iid = interview_id_of(engine, ANGUS)
    save(engine, iid, "q1_most_involved", value="other")
    save(engine, iid, "q1_other_specify", value=typed)
    with Session(engine) as s:
        stored = interview_answers(s, actor=INTERVIEWER, interview_id=iid)
    assert stored["q1_other_specify"].value == typed


def test_a_save_based_on_a_stale_version_is_a_conflict_naming_the_other_person(
    engine: Engine,
) -> None:
    iid = interview_id_of(engine, ANGUS)
    save(engine, iid, "q12_sg_used", value="yes", based_on_version=0)
    save(engine, iid, "q12_sg_used", actor=OTHER, value="no", based_on_version=1)
    with pytest.raises(AnswerConflict) as conflict:
        save(engine, iid, "q12_sg_used", value="dont_know", based_on_version=1)
    assert conflict.value.theirs.value == "no"
    assert conflict.value.theirs.updated_by == "olu"
    assert conflict.value.mine == "dont_know"
    with Session(engine) as s:
        assert (
            interview_answers(s, actor=INTERVIEWER, interview_id=iid)["q12_sg_used"].value == "no"
        )


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("q11_swia_used", "maybe", "'maybe' is not one of the codes: yes, no"),
        ("q24_inhouse_pct", "30:60", "30:60 adds up to 90, not 100"),
        ("q22_viability_measures", "pqq;audits", "'audits' is not a code"),
        ("q11a_swia_usefulness", "very_useful", "it is asked only if q11_swia_used = yes"),
        ("q2_explain", "bell\x07", "control character"),
        ("q2_strategy_involvement", "not_applicable", "decided by routing, not entered"),
    ],
)
def test_a_refused_value_says_why_and_writes_nothing(
    engine: Engine, variable: str, value: str, reason: str
) -> None:
    iid = interview_id_of(engine, ANGUS)
    with pytest.raises(ValueProblem, match=reason):
        save(engine, iid, variable, value=value)
    with Session(engine) as s:
        assert s.scalar(select(func.count(AnswerHistory.id))) == 0
    assert status_of(engine, iid) == "not_contacted"


def test_a_declined_council_takes_no_answers_until_reopened(engine: Engine) -> None:
    iid = interview_id_of(engine, ANGUS)
    with Session(engine) as s:
        mark_declined(s, actor=INTERVIEWER, interview_id=iid, reason="Changes in personnel")
    with pytest.raises(ValueProblem, match="declined to take part"):
        save(engine, iid, "q1_most_involved", value="older_people")
    with Session(engine) as s:
        reopen_interview(s, actor=INTERVIEWER, interview_id=iid)
    assert status_of(engine, iid) == "not_contacted"
    save(engine, iid, "q1_most_involved", value="older_people")
    assert status_of(engine, iid) == "in_progress"


def test_completion_lists_everything_missing_then_completes(engine: Engine) -> None:
    iid = interview_id_of(engine, ANGUS)
    save(engine, iid, "q1_most_involved", value="other")
    with Session(engine) as s, pytest.raises(IncompleteInterview) as refused:
        complete_interview(s, actor=INTERVIEWER, interview_id=iid)
    missing = refused.value.missing
    assert missing[:2] == ["respondent's role", "interview date"]
    assert "Q2 Users involved in strategy" in missing
    assert not any(m.startswith("Q1 ") for m in missing)
    complete_whole_interview(engine, INTERVIEWER, iid)
    assert status_of(engine, iid) == "completed"


def test_a_change_that_makes_a_completed_interview_incomplete_reopens_it(engine: Engine) -> None:
    iid = interview_id_of(engine, ANGUS)
    complete_whole_interview(engine, INTERVIEWER, iid, role="other")
    kept = save(engine, iid, "q11_swia_used", value="no")
    assert kept.status == "completed", "a route change with nothing closed missing stays complete"
    result = save(engine, iid, "q2_strategy_involvement", value=None)
    assert result.status == "in_progress"
    assert result.notice == "Interview moved back to in progress: Q2 now needs an answer."


def test_appointment_and_decline_through_the_contact_log(engine: Engine) -> None:
    iid = interview_id_of(engine, ANGUS)
    with Session(engine) as s:
        record_contact(
            s,
            actor=INTERVIEWER,
            interview_id=iid,
            attempted_at=dt.datetime(2011, 9, 1, 9, 0),
            outcome="appointment_made",
            appointment_at=dt.datetime(2011, 9, 8, 14, 0),
        )
    assert status_of(engine, iid) == "scheduled"
    with Session(engine) as s, pytest.raises(ValueProblem) as refused:
        record_contact(
            s,
            actor=INTERVIEWER,
            interview_id=iid,
            attempted_at=dt.datetime(2011, 9, 2, 9, 0),
            outcome="appointment_made",
            note="\x1b[31m",
        )
    assert "an appointment needs its date and time" in str(refused.value)
    assert "control character" in str(refused.value)
