"""Personal data kept no longer than needed: each wave's retention date, and the erasure after it.

Past a wave's `retain_until`, its respondents' names, contact notes, interviewers' notes and
verbatim answers are replaced by the marker "[erased]", wherever they were written: the
interview, the calls, the answers and their history, the coded passages, and the audit log.
Closed answers, counts, summaries and the audit log's rows remain; an erased audit value keeps
its place in the hash chain through the digest the erasure's own audit row records
(`db.audit_chain.Erasure`), so `audit verify` still verifies. A dry run lists what would go.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.audit_chain import ERASED
from db.models import (
    Account,
    Answer,
    AnswerHistory,
    AuditEvent,
    Coding,
    ContactAttempt,
    Interview,
    Wave,
)
from instrument.errors import SurveyError
from instrument.model import RESERVED_CODES
from services.accounts import AccountProblem, disable_account
from services.actor import Actor
from services.erasure import erase_audit_values
from services.imports import TEXT_ACTION
from services.interviews import WaveSummary, get_wave, pinned
from services.permissions import require
from services.waves import change_setting


class RetentionProblem(SurveyError, ValueError):
    """A retention date or erasure refused; the message says why."""

    code = "retention.refused"


@dataclass(frozen=True)
class Erasable:
    """One kind of personal data held in one column, and the rows of it to erase."""

    what: str  # in words: "respondents' names"
    column: InstrumentedAttribute[str | None]
    ids: tuple[int, ...]


@dataclass(frozen=True)
class RetentionPlan:
    """What erasing a wave's personal data takes: data rows by kind, and audit values."""

    wave_key: str
    retain_until: dt.date | None
    data: tuple[Erasable, ...]
    audit_values: tuple[tuple[int, str], ...]  # (audit row id, field)

    @property
    def empty(self) -> bool:
        return not self.audit_values and not any(e.ids for e in self.data)

    def lines(self) -> list[str]:
        """One line per kind, in words, with how many values."""
        counts: dict[str, int] = defaultdict(int)
        for erasable in self.data:
            counts[erasable.what] += len(erasable.ids)
        said = [f"{n:,} {what}" for what, n in counts.items() if n]
        if self.audit_values:
            said.append(f"{len(self.audit_values):,} values in the audit log (its rows remain)")
        return said


def set_retention(
    session: Session, *, actor: Actor, wave_key: str, retain_until: dt.date | None
) -> WaveSummary:
    """The date after which the wave's personal data is erased (None: no date); logged."""
    require(session, actor, "manage waves", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    if retain_until is not None and wave.fieldwork_end and retain_until < wave.fieldwork_end:
        raise RetentionProblem(
            f"keep the data at least until fieldwork ends ({wave.fieldwork_end:%d %B %Y}), "
            f"not only until {retain_until:%d %B %Y}"
        )
    return change_setting(session, actor=actor, wave=wave, action="wave.retention",
                          name="retain_until", value=retain_until, said=_day)  # fmt: skip


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else "no date"


def due_waves(session: Session, *, actor: Actor, today: dt.date) -> list[RetentionPlan]:
    """What retention would erase today: every wave whose date has passed, with what it holds
    that is not erased yet (nothing is changed)."""
    require(session, actor, "manage waves", target="retention")
    waves = session.scalars(
        select(Wave).where(Wave.retain_until.is_not(None), Wave.retain_until < today)
        .order_by(Wave.key)
    ).all()  # fmt: skip
    return [retention_plan(session, wave) for wave in waves]


def retention_plan(session: Session, wave: Wave) -> RetentionPlan:
    """Every value of the wave that retention erases and that is not erased yet."""
    in_wave = select(Interview.id).where(Interview.wave_id == wave.id)
    verbatim = sorted(pinned(wave).verbatim_ids)
    def ids(
        column: InstrumentedAttribute[str | None], *where: ColumnElement[bool]
    ) -> tuple[int, ...]:
        table = column.class_
        query = select(table.id).where(_not_erased_words(column), *where).order_by(table.id)
        return tuple(session.scalars(query))

    said = Answer.variable_id.in_(verbatim)
    changed = AnswerHistory.variable_id.in_(verbatim)
    data = (
        Erasable("respondents' names", Interview.respondent_name,
                 ids(Interview.respondent_name, Interview.wave_id == wave.id)),
        Erasable("contact notes", ContactAttempt.note,
                 ids(ContactAttempt.note, ContactAttempt.interview_id.in_(in_wave))),
        Erasable("interviewers' notes", Answer.note,
                 ids(Answer.note, Answer.interview_id.in_(in_wave))),
        Erasable("interviewers' notes", AnswerHistory.old_note,
                 ids(AnswerHistory.old_note, AnswerHistory.interview_id.in_(in_wave))),
        Erasable("interviewers' notes", AnswerHistory.new_note,
                 ids(AnswerHistory.new_note, AnswerHistory.interview_id.in_(in_wave))),
        Erasable("verbatim answers", Answer.value,
                 ids(Answer.value, Answer.interview_id.in_(in_wave), said)),
        Erasable("verbatim answers", AnswerHistory.old_value,
                 ids(AnswerHistory.old_value, AnswerHistory.interview_id.in_(in_wave), changed)),
        Erasable("verbatim answers", AnswerHistory.new_value,
                 ids(AnswerHistory.new_value, AnswerHistory.interview_id.in_(in_wave), changed)),
        Erasable("coded passages of verbatim answers", Coding.passage,
                 ids(Coding.passage, Coding.interview_id.in_(in_wave))),
    )  # fmt: skip
    return RetentionPlan(wave.key, wave.retain_until, data, _audit_values(session, wave, verbatim))


def _not_erased_words(column: InstrumentedAttribute[str | None]) -> ColumnElement[bool]:
    """Something a person wrote is there: not empty, not already erased, not a reserved code."""
    return (column.is_not(None) & (column != "") & (column != ERASED)
            & column.not_in(sorted(RESERVED_CODES)))  # fmt: skip


def _audit_values(session: Session, wave: Wave, verbatim: list[str]) -> tuple[tuple[int, str], ...]:
    """The audit log's copies of the same words: answers to free-text questions and notes on
    answers (old and new values), respondents' names, and contact notes (the reason typed)."""
    of_wave = AuditEvent.target.like(f"{wave.key} %")
    about = [
        (AuditEvent.action == "answer.value")
        & or_(*(AuditEvent.target.like(f"% {v}") for v in verbatim)),
        AuditEvent.action == "answer.note",
        AuditEvent.action == TEXT_ACTION,  # an interview's imported free text, whole
        (AuditEvent.action == "interview.details") & AuditEvent.target.like("% respondent_name"),
    ]
    found: list[tuple[int, str]] = []
    for (event_id, old, new) in session.execute(
        select(AuditEvent.id, AuditEvent.old_value, AuditEvent.new_value)
        .where(of_wave, or_(*about)).order_by(AuditEvent.id)
    ):  # fmt: skip
        found += [(event_id, f) for f, v in (("old_value", old), ("new_value", new)) if _words(v)]
    for event_id, reason in session.execute(
        select(AuditEvent.id, AuditEvent.reason)
        .where(of_wave, AuditEvent.action == "fieldwork.contact").order_by(AuditEvent.id)
    ):  # fmt: skip
        if _words(reason):
            found.append((event_id, "reason"))
    return tuple(found)


def _words(value: str | None) -> bool:
    return bool(value) and value != ERASED and value not in RESERVED_CODES


def apply_retention(
    session: Session, *, actor: Actor, today: dt.date, dry_run: bool = True
) -> list[RetentionPlan]:
    """Erase what every wave past its retention date still holds (a dry run, the default,
    only says what). Idempotent: what is erased is not found again. One transaction."""
    plans = due_waves(session, actor=actor, today=today)
    if dry_run:
        session.rollback()
        return plans
    for plan in plans:
        if not plan.empty:
            why = f"retention: wave {plan.wave_key} kept until {plan.retain_until}"
            erase(session, actor=actor, plan=plan, why=why)
    session.commit()
    return plans


def erase(session: Session, *, actor: Actor, plan: RetentionPlan, why: str) -> None:
    """Replace every value of the plan by the marker, in the caller's transaction, and log the
    erasure with the digests the audit values had (so the chain verifies without them)."""
    for erasable in plan.data:
        table = erasable.column.class_
        for start in range(0, len(erasable.ids), 1000):
            session.execute(
                update(table).where(table.id.in_(erasable.ids[start : start + 1000]))
                .values({erasable.column.key: ERASED}),
                execution_options={"synchronize_session": False},
            )  # fmt: skip
    erase_audit_values(session, actor=actor, values=plan.audit_values,
                       target=f"wave {plan.wave_key}", summary=", ".join(plan.lines()),
                       why=why)  # fmt: skip


UNUSED_DAYS = 365  # an account nobody has signed in with for a year is disabled


def unused_accounts(
    session: Session, *, actor: Actor, today: dt.date, days: int = UNUSED_DAYS
) -> list[str]:
    """Active accounts not signed in with for `days` (never: since they were made)."""
    require(session, actor, "manage accounts", target="retention")
    since = dt.datetime.combine(today - dt.timedelta(days=days), dt.time())
    last = func.coalesce(Account.last_sign_in, Account.created_at)
    return list(session.scalars(
        select(Account.username).where(Account.active, last < since).order_by(Account.username)
    ))  # fmt: skip


def disable_unused(
    session: Session, *, actor: Actor, today: dt.date, days: int = UNUSED_DAYS
) -> tuple[list[str], list[str]]:
    """Disable each unused account, logged as any disabling is; (disabled, kept and why): the
    last active administrator is kept."""
    disabled, kept = [], []
    for username in unused_accounts(session, actor=actor, today=today, days=days):
        try:
            disable_account(session, actor=actor, username=username,
                            reason=f"retention: not signed in with for {days} days")  # fmt: skip
            disabled.append(username)
        except AccountProblem as why:
            kept.append(f"{username} ({why})")
    return disabled, kept
