"""Saving answers the moment they are entered: validated, versioned, and written to history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Answer, AnswerHistory, Interview, utcnow
from instrument import Instrument
from instrument.errors import SurveyError
from instrument.model import NOT_APPLICABLE
from instrument.values import ValueProblem, normalise
from instrument.vocabulary import InterviewStatus
from services import audit
from services.actor import Actor
from services.interviews import (
    get_interview,
    guard_validated,
    instrument_for,
    interview_target,
    set_status,
)
from services.permissions import (
    may_read_notes,
    may_read_verbatim,
    reads_interviewers_text,
    require_change,
    require_interview,
)


class Unchanged(Enum):
    """The default of `save_answer`'s value and note: leave it as it is (None clears it)."""

    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED


@dataclass(frozen=True)
class RecordedAnswer:
    variable_id: str
    value: str | None
    note: str | None
    version: int
    updated_by: str | None = None
    updated_at: dt.datetime | None = None
    withheld: bool = False  # verbatim text the reader is not entitled to see


@dataclass(frozen=True)
class HistoryEntry:
    """One saved change of an answer, as the reader may see it."""

    variable_id: str
    version: int
    old_value: str | None
    new_value: str | None
    old_note: str | None
    new_note: str | None
    changed_by: str
    changed_at: dt.datetime
    source: str
    withheld: bool = False


@dataclass(frozen=True)
class SaveResult:
    answer: RecordedAnswer
    changed: bool
    status: str
    notice: str | None = None


class AnswerConflict(SurveyError):
    """Someone else saved this answer since it was loaded; both values are kept for the user."""

    code = "answer.conflict"

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
    """Every stored answer of one interview, by variable id; verbatim text and interviewers'
    notes only for those entitled (a council reads its own verbatim answers, never notes)."""
    interview = get_interview(session, interview_id)
    require_interview(session, actor, "read an interview", interview)
    rows = session.scalars(select(Answer).where(Answer.interview_id == interview_id))
    answers = {a.variable_id: _recorded(a) for a in rows}
    verbatim_read = may_read_verbatim(session, actor, interview)
    notes_read = may_read_notes(session, actor, interview)
    if verbatim_read and notes_read:
        return answers
    verbatim = frozenset() if verbatim_read else instrument_for(session, interview).verbatim_ids
    told = reads_interviewers_text(actor)  # a council is not even told that a note exists
    return {
        k: RecordedAnswer(
            a.variable_id,
            None if k in verbatim else a.value,
            None,
            a.version,
            a.updated_by,
            a.updated_at,
            withheld=k in verbatim or (told and a.note is not None),
        )
        for k, a in answers.items()
    }


def save_answer(
    session: Session,
    *,
    actor: Actor,
    interview_id: int,
    variable_id: str,
    value: str | Unchanged | None = UNCHANGED,
    note: str | Unchanged | None = UNCHANGED,
    based_on_version: int | None = None,
    reason: str | None = None,
) -> SaveResult:
    """Validate and store one answer (and/or its note) in its own transaction.

    `based_on_version` is the version the user saw (0 for none); a save based on a stale
    version raises AnswerConflict instead of overwriting. Starting to answer moves the
    interview to in progress; a completed interview that is no longer complete goes back
    to in progress, and the notice says why. A changed answer in a validated submission needs
    a `reason`, and reopens the council's validation; a changed note alone does neither.
    """
    interview = get_interview(session, interview_id, for_update=True)
    require_change(
        session,
        actor,
        "record answers",
        interview.wave,
        target=interview_target(interview, variable_id),
    )
    instrument = instrument_for(session, interview)
    variable = instrument.variable(variable_id)
    status = interview.status
    if status == InterviewStatus.DECLINED:
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
    new_value = old_value if value is UNCHANGED else normalise(instrument, variable, value)
    if new_value == NOT_APPLICABLE and new_value != old_value:
        session.rollback()
        raise ValueProblem("not_applicable is decided by routing, not entered as an answer")
    new_note = old_note if note is UNCHANGED else (note or None)
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
    condition = instrument.condition(variable_id)  # None: always asked
    if (
        new_value is not None
        and new_value != old_value
        and condition is not None
        and not instrument.applies(variable_id, answers)
    ):
        session.rollback()
        raise ValueProblem(
            f"{variable.display_number or variable_id} is not asked here: "
            f"it is asked only if {condition.text}"
        )

    if new_value != old_value:  # a council validates answers; notes are not theirs to see
        guard_validated(
            session, interview, actor, reason, f"{variable.display_number or variable_id}"
        )
    existing = record_change(
        session,
        interview,
        existing,
        variable_id,
        value=new_value,
        note=new_note,
        actor=actor,
        source="interview",
        reason=reason,
    )
    notice = _follow_status(session, interview, instrument, answers, actor)
    saved = _recorded(existing)
    status = interview.status
    session.commit()
    return SaveResult(saved, changed=True, status=status, notice=notice)


def _follow_status(
    session: Session,
    interview: Interview,
    instrument: Instrument,
    answers: dict[str, str | None],
    actor: Actor,
) -> str | None:
    """Answering starts an interview; a completed one that lost a closed answer reopens."""
    if interview.status in (InterviewStatus.NOT_CONTACTED, InterviewStatus.SCHEDULED):
        set_status(session, interview, InterviewStatus.IN_PROGRESS, actor, "first answer recorded")
        return None
    if interview.status == InterviewStatus.COMPLETED:
        missing = instrument.unrecorded(answers)
        if missing:
            set_status(
                session,
                interview,
                InterviewStatus.IN_PROGRESS,
                actor,
                "a needed answer was removed",
            )
            names = ", ".join(v.display_number or v.id for v in missing)
            return f"Interview moved back to in progress: {names} now needs an answer."
    return None


def record_change(
    session: Session,
    interview: Interview,
    answer: Answer | None,
    variable_id: str,
    *,
    value: str | None,
    note: str | None,
    actor: Actor,
    source: str,
    reason: str | None = None,
    at: dt.datetime | None = None,
) -> Answer:
    """The one way an answer changes, whoever changes it (keying, an import, the demo): a new
    version, its history row and its audit rows, in the caller's transaction (no commit).
    `answer` is the stored row, locked by the caller, or None for a first answer."""
    old_value = answer.value if answer else None
    old_note = answer.note if answer else None
    if answer is None:
        answer = Answer(interview_id=interview.id, variable_id=variable_id, version=0)
        session.add(answer)
    answer.value, answer.note = value, note
    answer.version += 1
    answer.updated_at, answer.updated_by = at or utcnow(), actor.username
    session.add(_history_row(answer, old_value, old_note, actor=actor, source=source))
    _audit_answer(session, interview, answer, old_value, old_note, actor=actor, reason=reason)
    return answer


def _history_row(
    answer: Answer, old_value: str | None, old_note: str | None, *, actor: Actor, source: str
) -> AnswerHistory:
    """The append-only record of one saved change; `answer` already holds the new state."""
    return AnswerHistory(
        answer=answer,  # its id once flushed: many answers go in one flush
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


def _audit_answer(
    session: Session,
    interview: Interview,
    answer: Answer,
    old_value: str | None,
    old_note: str | None,
    *,
    actor: Actor,
    reason: str | None = None,
) -> None:
    """The audit rows of one saved change: one for the value, one for the note."""
    target = interview_target(interview, answer.variable_id)
    for what, old, new in (
        ("answer.value", old_value, answer.value),
        ("answer.note", old_note, answer.note),
    ):
        if old != new:
            audit.record(
                session, actor=actor, action=what, target=target, old=old, new=new, reason=reason
            )


def answer_history(
    session: Session, *, actor: Actor, interview_id: int, variable_id: str | None = None
) -> list[HistoryEntry]:
    """Every saved change of one answer (or of every answer), newest first; a council gets
    no notes and no note-only changes."""
    interview = get_interview(session, interview_id)
    require_interview(session, actor, "read an interview", interview)
    query = select(AnswerHistory).where(AnswerHistory.interview_id == interview_id)
    if variable_id is not None:
        query = query.where(AnswerHistory.variable_id == variable_id)
    rows = session.scalars(query.order_by(AnswerHistory.id.desc()))
    entitled = may_read_verbatim(session, actor, interview)
    notes_read = may_read_notes(session, actor, interview)
    told = reads_interviewers_text(actor)
    verbatim = frozenset() if entitled else instrument_for(session, interview).verbatim_ids
    entries = []
    for h in rows:
        if not told and h.old_value == h.new_value:
            continue  # only the note changed: a council is not told notes exist
        hide_value = h.variable_id in verbatim
        hide_note = not notes_read and (h.old_note is not None or h.new_note is not None)
        entries.append(
            HistoryEntry(
                variable_id=h.variable_id,
                version=h.version,
                old_value=None if hide_value else h.old_value,
                new_value=None if hide_value else h.new_value,
                old_note=None if hide_note else h.old_note,
                new_note=None if hide_note else h.new_note,
                changed_by=h.changed_by,
                changed_at=h.changed_at,
                source=h.source,
                withheld=hide_value or (told and hide_note),
            )
        )
    return entries
