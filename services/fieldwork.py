"""Fieldwork: where every council stands, contact attempts, appointments and declines."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ContactAttempt, Interview
from instrument.progress import PartProgress, part_progress
from instrument.values import ValueProblem, check_text
from instrument.vocabulary import (
    ANSWERABLE_STATUSES,
    ATTEMPTED,
    ContactOutcome,
    InterviewStatus,
    ReviewState,
)
from services import audit
from services.actor import Actor
from services.interviews import (
    get_interview,
    get_wave,
    interview_target,
    pinned,
    set_status,
    summarise,
    touch,
    wave_answer_values,
    wave_interviews,
)
from services.permissions import require, require_change
from services.review import wave_review_states

FIELDWORK_ZONE = ZoneInfo("Europe/London")
# The order Fieldwork counts councils in, attempted apart from not contacted.
STATE_ORDER = (
    InterviewStatus.COMPLETED,
    InterviewStatus.IN_PROGRESS,
    InterviewStatus.SCHEDULED,
    ATTEMPTED,
    InterviewStatus.NOT_CONTACTED,
    InterviewStatus.DECLINED,
)
STATE_HEADINGS = {state: state.label for state in STATE_ORDER}


def uk_now() -> dt.datetime:
    """The UK wall-clock time now, naive: contact and appointment times are kept as interviewers
    key them, in UK local time (Europe/London), while the stamps the system writes itself
    (recorded_at, the audit log) are UTC."""
    return dt.datetime.now(FIELDWORK_ZONE).replace(tzinfo=None)


@dataclass(frozen=True)
class FieldworkRow:
    interview_id: int
    council_code: str
    council_name: str
    status: str
    appointment_at: dt.datetime | None
    respondent_role: str | None
    last_contact_at: dt.datetime | None
    last_contact_outcome: str | None
    nonresponse_reason: str | None
    progress: tuple[PartProgress, ...]
    review: ReviewState  # where the council's validation stands
    attempts: int  # contacts in the council's log, whatever their outcome

    @property
    def state(self) -> str:
        """The stored status, except that a council not contacted with calls logged is ATTEMPTED:
        three unanswered calls are work done, which "Not contacted" hid."""
        attempted = self.status == InterviewStatus.NOT_CONTACTED and self.attempts
        return ATTEMPTED if attempted else self.status

    @property
    def state_label(self) -> str:
        """E.g. "Attempted (3)" or "Scheduled": what the table and the council picker say."""
        return status_label(self.status, self.attempts)

    @property
    def questions_recorded(self) -> int:
        return sum(p.recorded for p in self.progress)

    @property
    def questions_applicable(self) -> int:
        return sum(p.applicable for p in self.progress)


@dataclass(frozen=True)
class ContactRecord:
    attempted_at: dt.datetime
    outcome: str
    note: str | None
    recorded_by: str


def status_label(status: str, attempts: int) -> str:
    """A council's status in words, with calls that reached nobody yet as "Attempted (3)"."""
    if status == InterviewStatus.NOT_CONTACTED and attempts:
        return f"Attempted ({attempts})"
    return InterviewStatus(status).label


def attempt_counts(session: Session, *, actor: Actor, wave_key: str) -> dict[int, int]:
    """How many contacts each interview of the wave has logged, by interview id (one query,
    for pages that name councils by status without the whole fieldwork overview)."""
    require(session, actor, "read the wave", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    counted = session.execute(
        select(ContactAttempt.interview_id, func.count())
        .join(Interview, Interview.id == ContactAttempt.interview_id)
        .where(Interview.wave_id == wave.id)
        .group_by(ContactAttempt.interview_id)
    )
    return {interview_id: n for interview_id, n in counted}


def fieldwork_overview(session: Session, *, actor: Actor, wave_key: str) -> list[FieldworkRow]:
    """Every council in the wave, in name order, with its status, contacts and progress by part."""
    wave = get_wave(session, wave_key)
    instrument = pinned(wave)
    interviews = wave_interviews(session, actor=actor, wave_key=wave_key)
    answers = wave_answer_values(session, wave.id)
    reviews = wave_review_states(session, actor=actor, wave_key=wave_key)
    last_contact: dict[int, tuple[dt.datetime, str]] = {}
    attempts: Counter[int] = Counter()
    for interview_id, attempted_at, outcome in session.execute(
        select(ContactAttempt.interview_id, ContactAttempt.attempted_at, ContactAttempt.outcome)
        .join(Interview, Interview.id == ContactAttempt.interview_id)
        .where(Interview.wave_id == wave.id)
        .order_by(ContactAttempt.attempted_at, ContactAttempt.id)
    ):
        last_contact[interview_id] = (attempted_at, outcome)
        attempts[interview_id] += 1
    rows = []
    for i in interviews:
        contact = last_contact.get(i.id)
        rows.append(
            FieldworkRow(
                interview_id=i.id,
                council_code=i.council_code,
                council_name=i.council_name,
                status=i.status,
                appointment_at=i.appointment_at,
                respondent_role=i.respondent_role,
                last_contact_at=contact[0] if contact else None,
                last_contact_outcome=contact[1] if contact else None,
                nonresponse_reason=i.nonresponse_reason,
                progress=part_progress(instrument, answers[i.id]),
                review=reviews[i.id],
                attempts=attempts[i.id],
            )
        )
    return rows


def state_counts(rows: Iterable[FieldworkRow]) -> list[tuple[str, int]]:
    """How many councils stand where, attempted counted apart from not contacted (Fieldwork's
    headline; reports and exports keep the stored statuses)."""
    counts = Counter(r.state for r in rows)
    return [(STATE_HEADINGS[state], counts[state]) for state in STATE_ORDER]


def appointments_between(
    rows: Iterable[FieldworkRow], first: dt.date, last: dt.date
) -> list[FieldworkRow]:
    """Councils with an appointment from `first` to `last` (UK dates, both included), soonest
    first. A declined council's old appointment is not one to keep."""
    return sorted(
        (
            r
            for r in rows
            if r.appointment_at
            and r.status != InterviewStatus.DECLINED
            and first <= r.appointment_at.date() <= last
        ),
        key=lambda r: (r.appointment_at, r.council_name),
    )


def contact_attempts(session: Session, *, actor: Actor, interview_id: int) -> list[ContactRecord]:
    """The contact log of one council, newest first."""
    require(session, actor, "read the wave", target=f"interview {interview_id}")
    rows = session.scalars(
        select(ContactAttempt)
        .where(ContactAttempt.interview_id == interview_id)
        .order_by(ContactAttempt.attempted_at.desc(), ContactAttempt.id.desc())
    )
    return [ContactRecord(r.attempted_at, r.outcome, r.note, r.recorded_by) for r in rows]


def record_contact(
    session: Session,
    *,
    actor: Actor,
    interview_id: int,
    attempted_at: dt.datetime,
    outcome: str,
    note: str | None = None,
    appointment_at: dt.datetime | None = None,
    nonresponse_reason: str | None = None,
) -> None:
    """Log a contact attempt; an appointment schedules the interview, a decline records why.

    Every problem with the entry is reported together, and nothing is written unless all is well.
    """
    problems = []
    if outcome not in ContactOutcome.codes():
        problems.append(f"unknown outcome {outcome!r}")
    if outcome == ContactOutcome.APPOINTMENT_MADE and appointment_at is None:
        problems.append("an appointment needs its date and time")
    if outcome == ContactOutcome.DECLINED and not (nonresponse_reason or "").strip():
        problems.append("a decline needs the reason the council gave")
    try:
        note = check_text(note).strip() or None if note else None
    except ValueProblem as exc:
        problems.append(f"note {exc}")
    if problems:
        raise ValueProblem("; ".join(problems))
    interview = get_interview(session, interview_id, for_update=True)
    require_change(
        session, actor, "record fieldwork", interview.wave, target=interview_target(interview)
    )
    audit.record(
        session,
        actor=actor,
        action="fieldwork.contact",
        target=interview_target(interview),
        new=ContactOutcome(outcome).label,
        reason=note,
    )
    session.add(
        ContactAttempt(
            interview_id=interview_id,
            attempted_at=attempted_at,
            outcome=outcome,
            note=note,
            recorded_by=actor.username,
        )
    )
    if outcome == ContactOutcome.APPOINTMENT_MADE and appointment_at is not None:  # checked
        _schedule(session, interview, appointment_at, actor)
    elif outcome == ContactOutcome.DECLINED:
        _decline(session, interview, nonresponse_reason or "", actor)
    session.commit()


def schedule_appointment(
    session: Session, *, actor: Actor, interview_id: int, appointment_at: dt.datetime
) -> None:
    interview = get_interview(session, interview_id, for_update=True)
    require_change(
        session, actor, "record fieldwork", interview.wave, target=interview_target(interview)
    )
    _schedule(session, interview, appointment_at, actor)
    session.commit()


def mark_declined(session: Session, *, actor: Actor, interview_id: int, reason: str) -> None:
    """The council will not take part; the reason is required because the report states it."""
    if not reason.strip():
        raise ValueProblem("a decline needs the reason the council gave")
    interview = get_interview(session, interview_id, for_update=True)
    require_change(
        session, actor, "record fieldwork", interview.wave, target=interview_target(interview)
    )
    _decline(session, interview, reason, actor)
    session.commit()


def _schedule(
    session: Session, interview: Interview, appointment_at: dt.datetime, actor: Actor
) -> None:
    audit.record(
        session,
        actor=actor,
        action="fieldwork.appointment",
        target=interview_target(interview),
        old=_when(interview.appointment_at),
        new=_when(appointment_at),
    )
    interview.appointment_at = appointment_at
    touch(interview, actor)
    if interview.status == InterviewStatus.NOT_CONTACTED:
        set_status(session, interview, InterviewStatus.SCHEDULED, actor, "appointment made")


def _when(moment: dt.datetime | None) -> str | None:
    return None if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _decline(session: Session, interview: Interview, reason: str, actor: Actor) -> None:
    if interview.status in ANSWERABLE_STATUSES:
        raise ValueProblem(
            f"{interview.council.name} already has an interview "
            f"{interview.status.replace('_', ' ')}; "
            "a council that has started cannot be marked declined"
        )
    interview.nonresponse_reason = check_text(reason).strip()
    set_status(session, interview, InterviewStatus.DECLINED, actor, interview.nonresponse_reason)


__all__ = [
    "FIELDWORK_ZONE",
    "FieldworkRow",
    "appointments_between",
    "contact_attempts",
    "fieldwork_overview",
    "mark_declined",
    "record_contact",
    "schedule_appointment",
    "state_counts",
    "summarise",
    "uk_now",
]
