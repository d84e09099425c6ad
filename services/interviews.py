"""One council's interview in a wave: finding it, its details, completing and reopening it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, object_session

from aggregation.wording import noun_plural
from db.models import Answer, Council, Interview, SampleFrame, Wave, utcnow
from instrument import Instrument
from instrument.errors import SurveyError
from instrument.loader import pinned_instrument
from instrument.progress import missing_for_completion
from instrument.values import ValueProblem, check_text, parse_uk_date
from instrument.vocabulary import InterviewStatus
from services import audit
from services.actor import Actor
from services.permissions import reads_interviewers_text, require, require_change, require_interview

DETAIL_FIELDS = ("respondent_name", "respondent_role", "interviewer", "interview_date")


class NotFound(SurveyError, LookupError):
    """A wave, council, interview, account, theme or coding that does not exist, named in
    words; `code` says which (wave.not_found, council.not_found, interview.not_found,
    account.not_found, theme.not_found, coding.not_found)."""

    code = "record.not_found"


class ReasonRequired(ValueProblem):
    """A change to a submission its council has validated, refused until a reason is given."""

    code = "answer.reason_required"


class IncompleteInterview(SurveyError):
    """Completion refused: `missing` lists what is still unrecorded, in schedule order."""

    code = "interview.incomplete"

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
    summary: str | None = None
    validated_at: dt.datetime | None = None
    validated_by: str | None = None


def pinned(wave: Wave) -> Instrument:
    """The schedule the wave pinned when it was created: what it is read, routed, tallied and
    exported with, even if the YAML file of that name has changed or gone since."""
    return pinned_instrument(
        wave.instrument_text, wave.instrument_sha256, source=f"wave {wave.key}"
    )


def instrument_for(session: Session, interview: Interview) -> Instrument:
    return pinned(interview.wave)


def get_wave(session: Session, wave_key: str) -> Wave:
    wave = session.scalar(select(Wave).where(Wave.key == wave_key))
    if wave is None:
        raise NotFound(f"there is no wave {wave_key!r}", code="wave.not_found")
    return wave


@dataclass(frozen=True)
class WaveSummary:
    """A wave as pages and the CLI see it: plain data, never the database row."""

    key: str
    title: str
    instrument: str
    fieldwork_start: dt.date | None
    fieldwork_end: dt.date | None
    instrument_sha256: str = ""
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    closed_reason: str | None = None
    frame: str = "councils"
    member: str = "council"  # the frame's word for one respondent organisation
    disclosure_threshold: int = 5  # published figures about fewer councils are withheld
    retain_until: dt.date | None = None  # personal data erased after this date

    @property
    def members(self) -> str:
        return noun_plural(self.member)

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def fieldwork_text(self) -> str:
        """'01/02/2026 to open': when fieldwork runs, as pages and the CLI show it."""
        ends = (self.fieldwork_start, self.fieldwork_end)
        return " to ".join(f"{d:%d/%m/%Y}" if d else "open" for d in ends)


def wave_summary_of(wave: Wave) -> WaveSummary:
    """The plain summary of a wave row (for services; pages get it from a service)."""
    return WaveSummary(
        wave.key,
        wave.title,
        wave.instrument,
        wave.fieldwork_start,
        wave.fieldwork_end,
        wave.instrument_sha256,
        wave.closed_at,
        wave.closed_by,
        wave.closed_reason,
        wave.frame,
        member_word(object_session(wave), wave.frame),
        wave.disclosure_threshold,
        wave.retain_until,
    )


def member_word(session: Session | None, frame: str) -> str:
    """What one member of the frame is called on screen and in reports ("council")."""
    found = session.get(SampleFrame, frame) if session is not None else None
    return found.member if found is not None else "organisation"


def list_waves(session: Session, *, actor: Actor) -> list[WaveSummary]:
    require(session, actor, "list waves")
    return [wave_summary_of(w) for w in session.scalars(select(Wave).order_by(Wave.key))]


def wave_summary(session: Session, *, actor: Actor, wave_key: str) -> WaveSummary:
    require(session, actor, "list waves", target=f"wave {wave_key}")
    return wave_summary_of(get_wave(session, wave_key))


def wave_instrument(session: Session, *, actor: Actor, wave_key: str) -> Instrument:
    """The instrument a wave is asked, routed, tallied and exported with."""
    require(session, actor, "list waves", target=f"wave {wave_key}")
    return pinned(get_wave(session, wave_key))


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
        raise NotFound(f"there is no interview {interview_id}", code="interview.not_found")
    return interview


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


class _Member(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


class InterviewRecord(Protocol):
    """What changing an interview's record reads and writes: the ORM row, or an import's
    plain copy of it (`services.imports`), written back in bulk."""

    status: str
    version: int
    updated_at: dt.datetime
    updated_by: str | None
    validated_at: dt.datetime | None
    validated_by: str | None

    @property
    def wave(self) -> _Keyed: ...

    @property
    def council(self) -> _Member: ...


def interview_target(interview: InterviewRecord, variable_id: str | None = None) -> str:
    """How the audit log names an interview (and one of its answers)."""
    council = f"{interview.wave.key} {interview.council.code} {interview.council.name}"
    return f"{council} {variable_id}" if variable_id else council


def set_status(
    session: Session,
    interview: InterviewRecord,
    status: str,
    actor: Actor,
    reason: str | None = None,
    log: list[audit.Entry] | None = None,
) -> None:
    """Change an interview's status, with its audit row (added to `log`, an import's rows
    written together, when given)."""
    if interview.status == status:
        return
    entry = audit.Entry("interview.status", interview_target(interview), interview.status,
                        status, reason)  # fmt: skip
    _logged(session, actor, entry, log)
    interview.status = status
    touch(interview, actor)


def _logged(
    session: Session, actor: Actor, entry: audit.Entry, log: list[audit.Entry] | None
) -> None:
    """Record the audit row now, or add it to `log` to be written with others."""
    if log is not None:
        log.append(entry)
    else:
        audit.record_entry(session, actor, entry)


def guard_validated(
    session: Session,
    interview: InterviewRecord,
    actor: Actor,
    reason: str | None,
    what: str,
    log: list[audit.Entry] | None = None,
) -> None:
    """A change to a validated submission needs a reason, and sends it back to the council
    (its audit row added to `log`, an import's rows written together, when given).

    Call only once the change is certain to be made (after every other check).
    """
    if interview.validated_at is None:
        return
    given = (reason or "").strip()
    if not given:
        session.rollback()
        raise ReasonRequired(
            f"{interview.council.name} validated this submission on "
            f"{interview.validated_at:%d %B %Y}; give a reason to change {what} "
            "(the council will be asked to validate again)"
        )
    entry = audit.Entry("review.validation_reopened", interview_target(interview),
                        f"validated by {interview.validated_by}", "not validated",
                        f"{what}: {given}")  # fmt: skip
    _logged(session, actor, entry, log)
    interview.validated_at = interview.validated_by = None


def touch(interview: InterviewRecord, actor: Actor) -> None:
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
        summary=interview.summary,
        validated_at=interview.validated_at,
        validated_by=interview.validated_by,
    )


def _as_read_by(actor: Actor, summary: InterviewSummary) -> InterviewSummary:
    """The interviewer's summary is written for the auditors: a council gets none back."""
    return summary if reads_interviewers_text(actor) else replace(summary, summary=None)


def wave_interviews(session: Session, *, actor: Actor, wave_key: str) -> list[InterviewSummary]:
    """All councils' interviews in a wave, in council name order."""
    require(session, actor, "read the wave", target=f"wave {wave_key}")
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
    interview = get_interview(session, interview_id)
    require_interview(session, actor, "read an interview", interview)
    return _as_read_by(actor, summarise(interview))


def council_interview(
    session: Session, *, actor: Actor, wave_key: str, council_code: str
) -> InterviewSummary:
    """One council's interview in a wave by its code: how a council account finds its own."""
    wave = get_wave(session, wave_key)
    interview = session.scalar(
        select(Interview)
        .join(Interview.council)
        .options(joinedload(Interview.council), joinedload(Interview.wave))
        .where(Interview.wave_id == wave.id, Council.code == council_code)
    )
    if interview is None:
        raise NotFound(
            f"there is no council {council_code!r} in wave {wave_key}", code="council.not_found"
        )
    require_interview(session, actor, "read an interview", interview)
    return _as_read_by(actor, summarise(interview))


def update_details(
    session: Session,
    *,
    actor: Actor,
    interview_id: int,
    reason: str | None = None,
    **fields: str | dt.date | None,
) -> InterviewSummary:
    """Set who answered, who interviewed and when; codes and text are checked like answers."""
    unknown = set(fields) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"not interview details: {', '.join(sorted(unknown))}")
    interview = get_interview(session, interview_id, for_update=True)
    require_change(
        session, actor, "record answers", interview.wave, target=interview_target(interview)
    )
    instrument = instrument_for(session, interview)
    checked = {name: _checked_detail(instrument, name, value) for name, value in fields.items()}
    changed = {n: v for n, v in checked.items() if getattr(interview, n) != v}
    if not changed:
        summary = summarise(interview)
        session.rollback()
        return summary
    guard_validated(session, interview, actor, reason, "the interview details")
    set_details(session, interview, changed, actor, reason)
    summary = summarise(interview)
    session.commit()
    return summary


def set_details(
    session: Session,
    interview: InterviewRecord,
    details: dict[str, object],
    actor: Actor,
    reason: str | None,
    log: list[audit.Entry] | None = None,
) -> None:
    """Write the details that differ, one audit row each (no commit: the caller's change);
    when none differs, nothing is written and the version stays (an unchanged import)."""
    changed = False
    for name, value in details.items():
        if getattr(interview, name) == value:
            continue
        changed = True
        entry = audit.Entry("interview.details", interview_target(interview, name),
                            _shown(getattr(interview, name)), _shown(value), reason)  # fmt: skip
        _logged(session, actor, entry, log)
        setattr(interview, name, value)
    if changed:
        touch(interview, actor)


def update_summary(
    session: Session, *, actor: Actor, interview_id: int, summary: str | None
) -> InterviewSummary:
    """The interviewer's short summary of the interview, which auditors read per council."""
    interview = get_interview(session, interview_id, for_update=True)
    require_change(
        session, actor, "record answers", interview.wave, target=interview_target(interview)
    )
    text = check_text(summary).strip() or None if summary else None
    if text != interview.summary:
        audit.record(
            session,
            actor=actor,
            action="interview.summary",
            target=interview_target(interview),
            old=interview.summary,
            new=text,
        )
        interview.summary = text
        touch(interview, actor)
    result = summarise(interview)
    session.commit()
    return result


def _shown(value: object) -> str | None:
    return None if value is None else str(value)


def _checked_detail(instrument: Instrument, name: str, value: object) -> object:
    if value is None or value == "":
        return None
    if name == "interview_date":
        date = value if isinstance(value, dt.date) else parse_uk_date(str(value))
        if date > dt.date.today() + dt.timedelta(days=1):
            raise ValueProblem(f"the interview date {date:%d/%m/%Y} is in the future")
        if date.year < 2000:
            raise ValueProblem(f"the interview date {date:%d/%m/%Y} is before 2000")
        return date
    if name == "respondent_role":
        codes = [c.code for c in instrument.choices("respondent_role")]
        if value not in codes:
            raise ValueProblem(f"{value!r} is not a respondent role: {', '.join(codes)}")
        return value
    return check_text(str(value)).strip() or None


def complete_interview(session: Session, *, actor: Actor, interview_id: int) -> InterviewSummary:
    """Mark completed, or raise IncompleteInterview listing every unrecorded item."""
    interview = get_interview(session, interview_id, for_update=True)
    require_change(
        session, actor, "record answers", interview.wave, target=interview_target(interview)
    )
    instrument = instrument_for(session, interview)
    answers = {
        a.variable_id: a.value
        for a in session.scalars(select(Answer).where(Answer.interview_id == interview_id))
    }
    missing = missing_for_completion(
        instrument,
        answers,
        respondent_role=interview.respondent_role,
        interview_date=interview.interview_date,
    )
    if missing:
        session.rollback()
        raise IncompleteInterview(missing)
    set_status(session, interview, InterviewStatus.COMPLETED, actor)
    summary = summarise(interview)
    session.commit()
    return summary


def reopen_interview(
    session: Session, *, actor: Actor, interview_id: int, reason: str | None = None
) -> InterviewSummary:
    """A completed interview back to in progress; a declined council back to not contacted."""
    interview = get_interview(session, interview_id, for_update=True)
    require_change(
        session, actor, "record fieldwork", interview.wave, target=interview_target(interview)
    )
    if interview.status not in (InterviewStatus.COMPLETED, InterviewStatus.DECLINED):
        summary = summarise(interview)
        session.rollback()
        return summary
    guard_validated(session, interview, actor, reason, "the interview's status")
    new = (
        InterviewStatus.IN_PROGRESS
        if interview.status == InterviewStatus.COMPLETED
        else InterviewStatus.NOT_CONTACTED
    )
    set_status(session, interview, new, actor, reason)
    summary = summarise(interview)
    session.commit()
    return summary
