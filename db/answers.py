"""Saving answers the moment they are entered: validated, versioned, and written to history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.actor import Actor
from db.interviews import get_interview, instrument_for, touch
from db.models import Answer, AnswerHistory, Interview, utcnow
from db.vocabulary import COMPLETED, DECLINED, IN_PROGRESS, NOT_CONTACTED, SCHEDULED
from instrument.model import NOT_APPLICABLE
from instrument.values import ValueProblem, normalise

UNCHANGED = object()


@dataclass(frozen=True)
class RecordedAnswer:
    variable_id: str
    value: str | None
    note: str | None
    version: int
    updated_by: str | None = None
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class SaveResult:
    answer: RecordedAnswer
    changed: bool
    status: str
    notice: str | None = None


class AnswerConflict(Exception):
    """Someone else saved this answer since it was loaded; both values are kept for the user."""

    def __init__(self, mine: str | None, theirs: RecordedAnswer) -> None:
        self.mine = mine
        self.theirs = theirs
        super().__init__(
            f"{theirs.variable_id} was changed by {theirs.updated_by} to {theirs.value!r} "
            f"(version {theirs.version}) after you loaded it"
        )


def _recorded(answer: Answer) -> RecordedAnswer:
    return RecordedAnswer(
        answer.variable_id,
        answer.value,
        answer.note,
        answer.version,
        answer.updated_by,
        answer.updated_at,
    )


def interview_answers(
    session: Session, *, actor: Actor, interview_id: int
) -> dict[str, RecordedAnswer]:
    """Every stored answer of one interview, by variable id."""
    rows = session.scalars(select(Answer).where(Answer.interview_id == interview_id))
    return {a.variable_id: _recorded(a) for a in rows}


def answer_values(answers: dict[str, RecordedAnswer]) -> dict[str, str | None]:
    return {k: a.value for k, a in answers.items()}


def save_answer(
    session: Session,
    *,
    actor: Actor,
    interview_id: int,
    variable_id: str,
    value: str | object | None = UNCHANGED,
    note: str | object | None = UNCHANGED,
    based_on_version: int | None = None,
) -> SaveResult:
    """Validate and store one answer (and/or its note) in its own transaction.

    `based_on_version` is the version the user saw (0 for none); a save based on a stale
    version raises AnswerConflict instead of overwriting. Starting to answer moves the
    interview to in progress; a completed interview that is no longer complete goes back
    to in progress, and the notice says why.
    """
    interview = get_interview(session, interview_id, for_update=True)
    instrument = instrument_for(session, interview)
    variable = instrument.variable(variable_id)
    status = interview.status
    if status == DECLINED:
        raise ValueProblem(
            f"{interview.council.name} declined to take part; "
            "reopen it on Fieldwork to record answers"
        )
    existing = session.scalar(
        select(Answer)
        .where(Answer.interview_id == interview_id, Answer.variable_id == variable_id)
        .with_for_update()
    )
    old_value = existing.value if existing else None
    old_note = existing.note if existing else None
    new_value = old_value if value is UNCHANGED else normalise(instrument, variable, value)  # type: ignore[arg-type]
    if new_value == NOT_APPLICABLE and new_value != old_value:
        session.rollback()
        raise ValueProblem("not_applicable is decided by routing, not entered as an answer")
    new_note = old_note if note is UNCHANGED else (note or None)  # type: ignore[assignment]
    if new_value == old_value and new_note == old_note:
        current = _recorded(existing) if existing else RecordedAnswer(variable_id, None, None, 0)
        session.rollback()
        return SaveResult(current, changed=False, status=status)
    current_version = existing.version if existing else 0
    if based_on_version is not None and based_on_version != current_version:
        assert existing is not None
        theirs = _recorded(existing)
        session.rollback()
        raise AnswerConflict(None if value is UNCHANGED else new_value, theirs)

    answers = {
        a.variable_id: a.value
        for a in session.scalars(select(Answer).where(Answer.interview_id == interview_id))
    }
    answers[variable_id] = new_value
    if (
        new_value is not None
        and new_value != old_value
        and not instrument.applies(variable_id, answers)
    ):
        session.rollback()
        raise ValueProblem(
            f"{variable.display_number or variable_id} is not asked here: "
            f"it is asked only if {instrument.condition(variable_id).text}"  # type: ignore[union-attr]
        )

    now = utcnow()
    if existing is None:
        existing = Answer(interview_id=interview_id, variable_id=variable_id, version=0)
        session.add(existing)
    existing.value, existing.note = new_value, new_note
    existing.version = current_version + 1
    existing.updated_at, existing.updated_by = now, actor.username
    session.flush()
    session.add(history_row(existing, old_value, old_note, actor=actor, source="interview"))
    notice = _follow_status(interview, instrument, answers, actor)
    saved = _recorded(existing)
    status = interview.status
    session.commit()
    return SaveResult(saved, changed=True, status=status, notice=notice)


def _follow_status(interview: Interview, instrument, answers: dict, actor: Actor) -> str | None:  # type: ignore[no-untyped-def]
    """Answering starts an interview; a completed one that lost a closed answer reopens."""
    if interview.status in (NOT_CONTACTED, SCHEDULED):
        interview.status = IN_PROGRESS
        touch(interview, actor)
        return None
    if interview.status == COMPLETED:
        missing = instrument.unrecorded(answers)
        if missing:
            interview.status = IN_PROGRESS
            touch(interview, actor)
            names = ", ".join(v.display_number or v.id for v in missing)
            return f"Interview moved back to in progress: {names} now needs an answer."
    return None


def history_row(
    answer: Answer, old_value: str | None, old_note: str | None, *, actor: Actor, source: str
) -> AnswerHistory:
    """The append-only record of one saved change; `answer` already holds the new state."""
    return AnswerHistory(
        answer_id=answer.id,
        interview_id=answer.interview_id,
        variable_id=answer.variable_id,
        version=answer.version,
        old_value=old_value,
        new_value=answer.value,
        old_note=old_note,
        new_note=answer.note,
        changed_by=actor.username,
        changed_at=answer.updated_at,
        source=source,
    )


def answer_history(
    session: Session, *, actor: Actor, interview_id: int, variable_id: str
) -> list[AnswerHistory]:
    """Every saved change of one answer, newest first."""
    return list(
        session.scalars(
            select(AnswerHistory)
            .where(
                AnswerHistory.interview_id == interview_id,
                AnswerHistory.variable_id == variable_id,
            )
            .order_by(AnswerHistory.version.desc())
        )
    )
