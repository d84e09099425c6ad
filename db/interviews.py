"""One council's interview in a wave: finding it, its details, completing and reopening it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from db.actor import Actor
from db.models import Answer, Council, Interview, Wave, utcnow
from db.vocabulary import COMPLETED, DECLINED, IN_PROGRESS, NOT_CONTACTED
from instrument import Instrument, load_instrument
from instrument.model import Variable
from instrument.values import ValueProblem, check_text

DETAIL_FIELDS = ("respondent_name", "respondent_role", "interviewer", "interview_date")


class NotFound(LookupError):
    """A wave, council or interview that does not exist, named in words."""


class IncompleteInterview(Exception):
    """Completion refused: `missing` lists what is still unrecorded, in schedule order."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            f"{len(missing)} still unrecorded: {', '.join(missing)}"
            if missing
            else "nothing missing"
        )


@dataclass(frozen=True)
class InterviewSummary:
    id: int
    wave_key: str
    council_code: str
    council_name: str
    status: str
    respondent_name: str | None
    respondent_role: str | None
    interviewer: str | None
    interview_date: dt.date | None
    appointment_at: dt.datetime | None
    nonresponse_reason: str | None


@lru_cache(maxsize=8)
def instrument_named(name: str) -> Instrument:
    """Instruments are files in the repository: load each once per process."""
    return load_instrument(name)


def instrument_for(session: Session, interview: Interview) -> Instrument:
    return instrument_named(interview.wave.instrument)


def get_wave(session: Session, wave_key: str) -> Wave:
    wave = session.scalar(select(Wave).where(Wave.key == wave_key))
    if wave is None:
        raise NotFound(f"there is no wave {wave_key!r}")
    return wave


def list_waves(session: Session, *, actor: Actor) -> list[Wave]:
    return list(session.scalars(select(Wave).order_by(Wave.key)))


def get_interview(session: Session, interview_id: int, *, for_update: bool = False) -> Interview:
    query = (
        select(Interview)
        .options(joinedload(Interview.council), joinedload(Interview.wave))
        .where(Interview.id == interview_id)
    )
    if for_update:
        query = query.with_for_update(of=Interview)
    interview = session.scalar(query)
    if interview is None:
        raise NotFound(f"there is no interview {interview_id}")
    return interview


def touch(interview: Interview, actor: Actor) -> None:
    """Every change to an interview record bumps its version and says who made it."""
    interview.version += 1
    interview.updated_at, interview.updated_by = utcnow(), actor.username


def summarise(interview: Interview) -> InterviewSummary:
    return InterviewSummary(
        id=interview.id,
        wave_key=interview.wave.key,
        council_code=interview.council.code,
        council_name=interview.council.name,
        status=interview.status,
        respondent_name=interview.respondent_name,
        respondent_role=interview.respondent_role,
        interviewer=interview.interviewer,
        interview_date=interview.interview_date,
        appointment_at=interview.appointment_at,
        nonresponse_reason=interview.nonresponse_reason,
    )


def wave_interviews(session: Session, *, actor: Actor, wave_key: str) -> list[InterviewSummary]:
    """All councils' interviews in a wave, in council name order."""
    wave = get_wave(session, wave_key)
    rows = session.scalars(
        select(Interview)
        .join(Interview.council)
        .options(joinedload(Interview.council), joinedload(Interview.wave))
        .where(Interview.wave_id == wave.id)
        .order_by(Council.name)
    )
    return [summarise(i) for i in rows]


def wave_answer_values(session: Session, wave_id: int) -> dict[int, dict[str, str | None]]:
    """Every stored answer of a wave as {interview id: {variable id: value}}, in one query."""
    answers: dict[int, dict[str, str | None]] = defaultdict(dict)
    for interview_id, variable_id, value in session.execute(
        select(Answer.interview_id, Answer.variable_id, Answer.value)
        .join(Interview, Interview.id == Answer.interview_id)
        .where(Interview.wave_id == wave_id)
    ):
        answers[interview_id][variable_id] = value
    return answers


def interview_summary(session: Session, *, actor: Actor, interview_id: int) -> InterviewSummary:
    return summarise(get_interview(session, interview_id))


def update_details(
    session: Session, *, actor: Actor, interview_id: int, **fields: str | dt.date | None
) -> InterviewSummary:
    """Set who answered, who interviewed and when; codes and text are checked like answers."""
    unknown = set(fields) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"not interview details: {', '.join(sorted(unknown))}")
    interview = get_interview(session, interview_id, for_update=True)
    instrument = instrument_for(session, interview)
    for name, value in fields.items():
        setattr(interview, name, _checked_detail(instrument, name, value))
    touch(interview, actor)
    summary = summarise(interview)
    session.commit()
    return summary


def _checked_detail(instrument: Instrument, name: str, value: object) -> object:
    if value is None or value == "":
        return None
    if name == "interview_date":
        if not isinstance(value, dt.date):
            raise ValueProblem(f"interview date {value!r} is not a date")
        return value
    if name == "respondent_role":
        codes = [c.code for c in instrument.choices("respondent_role")]
        if value not in codes:
            raise ValueProblem(f"{value!r} is not a respondent role: {', '.join(codes)}")
        return value
    return check_text(str(value)).strip() or None


def missing_for_completion(
    instrument: Instrument, answers: dict[str, str | None], interview: InterviewSummary
) -> list[str]:
    """What stops completion, in words: interview details first, then questions in order."""
    missing = []
    if not interview.respondent_role:
        missing.append("respondent's role")
    if not interview.interview_date:
        missing.append("interview date")
    missing.extend(question_name(v) for v in instrument.unrecorded(answers))
    return missing


def question_name(variable: Variable) -> str:
    return (
        f"{variable.display_number} {variable.label}"
        if variable.number
        else variable.label or variable.id
    )


def complete_interview(session: Session, *, actor: Actor, interview_id: int) -> InterviewSummary:
    """Mark completed, or raise IncompleteInterview listing every unrecorded item."""
    interview = get_interview(session, interview_id, for_update=True)
    instrument = instrument_for(session, interview)
    answers = {
        a.variable_id: a.value
        for a in session.scalars(select(Answer).where(Answer.interview_id == interview_id))
    }
    missing = missing_for_completion(instrument, answers, summarise(interview))
    if missing:
        session.rollback()
        raise IncompleteInterview(missing)
    interview.status = COMPLETED
    touch(interview, actor)
    summary = summarise(interview)
    session.commit()
    return summary


def reopen_interview(session: Session, *, actor: Actor, interview_id: int) -> InterviewSummary:
    """A completed interview back to in progress; a declined council back to not contacted."""
    interview = get_interview(session, interview_id, for_update=True)
    if interview.status not in (COMPLETED, DECLINED):
        summary = summarise(interview)
        session.rollback()
        return summary
    interview.status = IN_PROGRESS if interview.status == COMPLETED else NOT_CONTACTED
    touch(interview, actor)
    summary = summarise(interview)
    session.commit()
    return summary
