"""A demonstration wave of synthetic answers, so a newcomer sees a full dashboard at once.

`fill_demo_wave` fills a shipped schedule's demo wave (`demo` for 2011's, of the 32 councils;
`demo-ccps` for the CCPS self-assessment, of the 31 partnerships; never any other wave) with
completed interviews and one declined member. Answers are drawn, with a fixed seed, from the
instrument itself: routing decides what is asked, the weights in `demo_answers*.yaml` (for
2011, loosely those of the 2012 report) pick the codes, and any variable without weights gets
a generic draw of its type, so a new question in the YAML gets answers too. Running it again
replaces the previous demo data in place.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from db import counters
from db.models import Answer, AnswerHistory, ContactAttempt, Council, Interview, utcnow
from db.setup import ensure_wave
from instrument import DEFAULT_INSTRUMENT
from instrument.loader import instrument_text, schedule_sha256
from instrument.model import Variable
from instrument.schedule import Instrument
from instrument.types import Sample, question_type
from instrument.types.date import weekday_in
from instrument.values import normalise
from instrument.vocabulary import InterviewStatus
from services import audit
from services.actor import Actor
from services.answers import record_change
from services.interviews import interview_target, pinned, set_details, set_status, touch
from services.permissions import require, require_change

DEMO_WAVE = "demo"
DEMO_TITLE = "Synthetic demonstration data (not real councils' answers)"
DEMO_SOURCE = "demo"
DEMO_SEED = 2011
DECLINED_REASON = "Changes in personnel"
DEMO_REASON = "demo data"
DEMO_UNVALIDATED = 4  # completed councils left awaiting validation
DEMO_VALIDATOR = "demo (simulated council)"
# What the demo decides afresh on every interview record (None unless drawn).
DEMO_DETAILS = (
    "appointment_at",
    "respondent_name",
    "respondent_role",
    "interviewer",
    "interview_date",
    "nonresponse_reason",
)
FIELDWORK = (dt.date(2011, 9, 5), dt.date(2011, 11, 25))
INTERVIEWERS = ("Morag Campbell", "Iain Fraser", "Priya Shah")


@dataclass(frozen=True)
class DemoAnswers:
    """What a demo draws from, kept as data (a YAML file beside this module), not as Python:
    per variable, codes and weights (`plausible`), and short texts for text variables."""

    plausible: dict[str, dict[str, float]]
    texts: dict[str, tuple[str, ...]]
    generic_texts: tuple[str, ...]


@cache
def demo_answers(file_name: str) -> DemoAnswers:
    """Read when a demo is filled, not when the module is imported (every CLI start is)."""
    data = yaml.safe_load(Path(__file__).with_name(file_name).read_text(encoding="utf-8"))
    texts = {variable_id: tuple(texts) for variable_id, texts in data["texts"].items()}
    return DemoAnswers(data["plausible"], texts, tuple(data["generic_texts"]))


@dataclass(frozen=True)
class Demo:
    """A demonstration wave of one shipped schedule: its key, title, frame and fieldwork."""

    wave: str
    title: str
    instrument: str
    frame: str
    fieldwork: tuple[dt.date, dt.date]
    answers_file: str  # beside this module

    @property
    def answers(self) -> DemoAnswers:
        return demo_answers(self.answers_file)


DEMOS: dict[str, Demo] = {
    DEFAULT_INSTRUMENT: Demo(DEMO_WAVE, DEMO_TITLE, DEFAULT_INSTRUMENT, "councils", FIELDWORK,
                             "demo_answers.yaml"),
    "ccps_self_assessment": Demo(
        "demo-ccps",
        "Synthetic demonstration self-assessments (not real partnerships' answers)",
        "ccps_self_assessment",
        "partnerships",
        (dt.date(2026, 10, 5), dt.date(2026, 11, 27)),
        "demo_answers_ccps.yaml",
    ),
}  # fmt: skip
DEMO_2011 = DEMOS[DEFAULT_INSTRUMENT]


@dataclass(frozen=True)
class DemoReport:
    """What a run did: the wave filled, and what a previous run had left there."""

    wave_key: str
    title: str
    completed: int
    declined: tuple[str, ...]
    answers_written: int
    answers_replaced: int
    history_replaced: int


DEMO_LOCK = 0x64656D6F  # "demo": one refill of the demo wave at a time, on PostgreSQL


def _serialise(session: Session) -> None:
    """Two `demo` commands at once would both create the wave or both delete and rewrite its
    answers; on PostgreSQL the second waits for the first (SQLite's BEGIN IMMEDIATE already
    does this)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEMO_LOCK})


def fill_demo_wave(
    session: Session, *, actor: Actor, seed: int = DEMO_SEED, schedule: str = DEFAULT_INSTRUMENT
) -> DemoReport:
    """Fill (or refill) the schedule's demo wave (`demo` for 2011's) in one transaction; other
    waves are never read or written."""
    demo = DEMOS[schedule]
    require(session, actor, "manage waves", target=f"wave {demo.wave}")
    try:
        report = _fill(session, actor, seed, demo)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def _fill(session: Session, actor: Actor, seed: int, demo: Demo) -> DemoReport:
    _serialise(session)
    wave = ensure_wave(
        session, demo.wave, title=demo.title, instrument=demo.instrument, frame=demo.frame
    )
    # Keying on the demo wave waits for the refill, as save_answer waits for any writer.
    session.scalars(
        select(Interview.id)
        .where(Interview.wave_id == wave.id)
        .order_by(Interview.id)
        .with_for_update()
    ).all()
    require_change(session, actor, "manage waves", wave, target=f"wave {demo.wave}")
    # A refill replaces everything, so it is asked with the schedule as it is today.
    wave.title, wave.instrument = demo.title, demo.instrument
    wave.instrument_text = instrument_text(demo.instrument)
    wave.instrument_sha256 = schedule_sha256(wave.instrument_text)
    wave.fieldwork_start, wave.fieldwork_end = demo.fieldwork
    instrument = pinned(wave)
    in_wave = select(Interview.id).where(Interview.wave_id == wave.id).scalar_subquery()
    replaced = session.scalar(
        select(func.count()).select_from(Answer).where(Answer.interview_id.in_(in_wave))
    )
    history = session.scalar(
        select(func.count())
        .select_from(AnswerHistory)
        .where(AnswerHistory.interview_id.in_(in_wave))
    )
    contacts = session.scalar(
        select(func.count())
        .select_from(ContactAttempt)
        .where(ContactAttempt.interview_id.in_(in_wave))
    )
    for table in (AnswerHistory, Answer, ContactAttempt):
        session.execute(
            delete(table).where(table.interview_id.in_(in_wave)),
            execution_options={"synchronize_session": False},
        )
    counters.rebuild_at_commit(session, wave.id)  # the deletes above bypass the ORM
    audit.record(
        session,
        actor=actor,
        action="demo.replace",
        target=f"wave {wave.key}",
        old=f"{replaced} answers, {history} history rows, {contacts} contact attempts",
        reason="the demo wave is refilled with synthetic answers",
    )
    interviews = sorted(
        session.execute(
            select(Interview, Council)
            .join(Council, Council.id == Interview.council_id)
            .where(Interview.wave_id == wave.id)
        ).all(),
        key=lambda row: row[1].code,  # sorted in Python: the same order on every database
    )
    chance = random.Random(seed)
    declined_code = chance.choice([council.code for _, council in interviews])
    # Most councils have validated, a few are still checking: both views show something.
    pending = set(chance.sample([c.code for _, c in interviews if c.code != declined_code],
                                min(DEMO_UNVALIDATED, len(interviews) - 1)))  # fmt: skip
    role = instrument.variable("respondent_role")
    now, written, declined = utcnow(), 0, []
    for interview, council in interviews:
        rng = random.Random(f"{seed}:{council.code}")
        details: dict[str, object] = dict.fromkeys(DEMO_DETAILS)
        if council.code == declined_code:
            status, details["nonresponse_reason"] = InterviewStatus.DECLINED, DECLINED_REASON
            declined.append(council.name)
            drawn: dict[str, str] = {}
        else:
            status = InterviewStatus.COMPLETED
            details["respondent_role"] = draw(instrument, role, rng, demo)
            details["interview_date"] = weekday_in(demo.fieldwork, rng)
            details["interviewer"] = rng.choice(INTERVIEWERS)
            drawn = plausible_interview(instrument, rng, demo)
        set_details(session, interview, details, actor, DEMO_REASON)
        set_status(session, interview, status, actor, DEMO_REASON)
        for variable_id, value in drawn.items():
            record_change(
                session,
                interview,
                None,  # the wave's answers were deleted above
                variable_id,
                value=value,
                note=None,
                actor=actor,
                source=DEMO_SOURCE,
                at=now,
            )
        written += len(drawn)
        _validation(session, interview, actor, status, council.code not in pending, now)
        touch(interview, actor)
    session.flush()
    return DemoReport(
        wave_key=wave.key,
        title=wave.title,
        completed=len(interviews) - len(declined),
        declined=tuple(declined),
        answers_written=written,
        answers_replaced=replaced or 0,
        history_replaced=history or 0,
    )


def _validation(
    session: Session,
    interview: Interview,
    actor: Actor,
    status: InterviewStatus,
    validated: bool,
    now: dt.datetime,
) -> None:
    """A completed demo council validated (as its council would, simulated and logged so), or
    left awaiting validation; a refill starts every council's validation afresh."""
    validated = validated and status == InterviewStatus.COMPLETED
    if (interview.validated_at is not None) == validated:
        return
    interview.validated_at, interview.validated_by = (now, DEMO_VALIDATOR) if validated else (
        None, None)  # fmt: skip
    audit.record(session, actor=actor, action="review.validate" if validated else
                 "review.validation_reopened", target=interview_target(interview),
                 old="validated" if not validated else "not validated",
                 new="validated" if validated else "not validated", reason=DEMO_REASON)  # fmt: skip


def plausible_interview(
    instrument: Instrument,
    rng: random.Random,
    demo: Demo = DEMO_2011,
) -> dict[str, str]:
    """One completed interview's answers: every question routing asks, and nothing else.

    Passes repeat until routing settles, so a rule that looks ahead in the schedule still
    holds. Texts drawn as "" (left empty) are not stored.
    """
    drawn: dict[str, str] = {}
    for _ in range(len(instrument.questions) + 1):
        changed = False
        for variable in instrument.questions:
            asked = instrument.applies(variable.id, drawn)
            if asked and variable.id not in drawn:
                drawn[variable.id] = draw(instrument, variable, rng, demo)
                changed = True
            elif not asked and variable.id in drawn:
                del drawn[variable.id]
                changed = True
        if not changed:
            break
    return {k: v for k, v in drawn.items() if v}


def draw(
    instrument: Instrument,
    variable: Variable,
    rng: random.Random,
    demo: Demo = DEMO_2011,
) -> str:
    """One plausible value of the variable, in the canonical form `normalise` stores."""
    kind = question_type(variable)
    codes = [c.code for c in instrument.choices(variable)]
    weights = demo.answers.plausible.get(variable.id) or kind.demo_weights(codes)
    texts = demo.answers.texts.get(variable.id, demo.answers.generic_texts)
    value = kind.draw(Sample(rng, weights, codes, texts, demo.fieldwork))
    return normalise(instrument, variable, value) or ""
