"""The survey database: waves, sample frames and their councils, interviews, contact attempts,
answers and their history, the accounts that sign in, and the append-only audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from instrument.model import CODED_VALUE_LIMIT
from instrument.vocabulary import Coded, InterviewStatus, ReviewItemState, Role

CODED = f"length(value) <= {CODED_VALUE_LIMIT}"  # an answer short enough to be a code


def one_of(column: str, vocabulary: type[Coded]) -> str:
    """The CHECK text that keeps a column to the vocabulary's codes, in the order it lists them
    (the text migrations 0002 and 0003 wrote, so the models and the schema still agree)."""
    codes = ", ".join(f"'{code}'" for code in vocabulary.codes())
    return f"{column} IN ({codes})"


def utcnow() -> dt.datetime:
    """Naive UTC, the same on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Wave(Base):
    """One round of fieldwork, such as `2011`, with the instrument it uses."""

    __tablename__ = "wave"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    instrument: Mapped[str] = mapped_column(String(80))  # the schedule's name, as created
    # The schedule's full text as the wave was created, and its SHA-256: the wave is read,
    # routed, tallied and exported with this, whatever later happens to the YAML file.
    instrument_text: Mapped[str] = mapped_column(Text)
    instrument_sha256: Mapped[str] = mapped_column(String(64))
    # Who the wave surveys: the sample frame its interviews were made for (db/councils.py).
    frame: Mapped[str] = mapped_column(String(40), default="councils", server_default="councils")
    fieldwork_start: Mapped[dt.date | None] = mapped_column(Date)
    fieldwork_end: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # A closed wave is read-only for everyone; who closed it, when and why stay with it.
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(80))
    closed_reason: Mapped[str | None] = mapped_column(Text)
    # Published figures about fewer councils than this are withheld (aggregation.disclosure).
    disclosure_threshold: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # After this date the wave's respondents' names, contact notes, interviewers' notes and
    # verbatim answers are erased (`services.retention`); None: no date set (migration 0018).
    retain_until: Mapped[dt.date | None] = mapped_column(Date)


class SampleFrame(Base):
    """Who a wave can survey: the two frames shipped in db/ (`councils`, `partnerships`) or one
    an administrator loaded from a file. `member` is the word for one of them on screen
    ("council", "partnership", "organisation"); `created_by` is empty for a shipped frame."""

    __tablename__ = "sample_frame"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    member: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))


class Council(Base):
    """A respondent organisation under its code and official name, in its sample frame: one
    of Scotland's 32 councils (frame `councils`, GSS S12…), of the 31 health and social care
    partnerships (frame `partnerships`, GSS S37…) or of a frame loaded from a file. The table
    keeps its first name."""

    __tablename__ = "council"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    frame: Mapped[str] = mapped_column(String(40), default="councils", server_default="councils")
    aliases: Mapped[list[CouncilAlias]] = relationship(
        back_populates="council", cascade="all, delete-orphan"
    )


class CouncilAlias(Base):
    """Another way a file may name a council: an older GSS code or a familiar name."""

    __tablename__ = "council_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(100))
    match_key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # "code" or "name"
    council: Mapped[Council] = relationship(back_populates="aliases")


class Interview(Base):
    """One council in one wave: fieldwork status, who answered, and when."""

    __tablename__ = "interview"
    __table_args__ = (UniqueConstraint("wave_id", "council_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"))
    status: Mapped[str] = mapped_column(String(20), default=InterviewStatus.NOT_CONTACTED.value)
    appointment_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    respondent_name: Mapped[str | None] = mapped_column(String(200))
    respondent_role: Mapped[str | None] = mapped_column(String(60))
    interviewer: Mapped[str | None] = mapped_column(String(200))
    interview_date: Mapped[dt.date | None] = mapped_column(Date)
    nonresponse_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(Text)
    validated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    validated_by: Mapped[str | None] = mapped_column(String(100))

    council: Mapped[Council] = relationship()
    wave: Mapped[Wave] = relationship()


class ContactAttempt(Base):
    """A call or message to a council while arranging the interview."""

    __tablename__ = "contact_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interview.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Answer(Base):
    """The current value of one variable in one interview; `version` counts its saves."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("interview_id", "variable_id"),
        # Closed answers in variable, then interview order: the national counts read them from
        # here alone (migration 0004). Long verbatim text is left out.
        Index(
            "ix_answer_coded",
            "variable_id",
            "interview_id",
            "value",
            postgresql_where=text(CODED),
            sqlite_where=text(CODED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id", ondelete="CASCADE"))
    variable_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))


class AnswerCount(Base):
    """How many completed interviews gave each value of a closed variable, kept at save time
    (`db.counters`), per role and whether the council has validated: what the report reads
    instead of counting the answers. `''` stands for no role, and for a blank or skipped value
    (`applies` false: routing skipped it)."""

    __tablename__ = "answer_count"

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True
    )
    respondent_role: Mapped[str] = mapped_column(String(60), primary_key=True)
    validated: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    variable_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    applies: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    interviews: Mapped[int] = mapped_column(Integer)


class InterviewCount(Base):
    """How many of a wave's interviews are in each status, per role and validation: the
    response figures, kept at save time beside `AnswerCount`."""

    __tablename__ = "interview_count"

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    respondent_role: Mapped[str] = mapped_column(String(60), primary_key=True)
    validated: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    interviews: Mapped[int] = mapped_column(Integer)


class AnswerHistory(Base):
    """Append-only: one row per saved change of an answer's value or note. Read by interview,
    so indexed by it; `answer_id` records which answer, with no key to it (migration 0019):
    nothing deletes an answer alone, and the key cost each row written a lock on its answer."""

    __tablename__ = "answer_history"
    __table_args__ = (
        Index("ix_answer_history_interview", "interview_id", "variable_id", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(Integer)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id", ondelete="CASCADE"))
    variable_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    old_note: Mapped[str | None] = mapped_column(Text)
    new_note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(20))  # "interview" or "import"

    # Set with the answer itself, so a batch of new answers and their history rows is written
    # in one flush (the answer's id is filled in then) rather than one flush per answer.
    answer: Mapped[Answer] = relationship(
        primaryjoin="foreign(AnswerHistory.answer_id) == Answer.id"
    )


class Theme(Base):
    """A theme of an open question's codebook: per wave, a name, what it means, and at most one
    parent (a two-level tree). `variables` are the open questions it may be applied to."""

    __tablename__ = "theme"
    __table_args__ = (UniqueConstraint("wave_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))  # the name as compared: no two alike
    description: Mapped[str] = mapped_column(Text, default="")
    # How the report says it: "{n council} said they had sought training …" (None: generic).
    report: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))

    variables: Mapped[list[ThemeVariable]] = relationship(
        cascade="all, delete-orphan", order_by="ThemeVariable.position"
    )


class ThemeVariable(Base):
    """An open question a theme applies to (a theme such as "external training" may apply to
    Q14 and Q15), in the order the schedule asks them."""

    __tablename__ = "theme_variable"

    theme_id: Mapped[int] = mapped_column(
        ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True
    )
    variable_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Coding(Base):
    """A theme one coder applied to one open answer: to the whole answer (start and end 0) or
    to a passage, the characters start..end of the answer as it was coded (`passage` keeps
    them, so a later change of the answer is seen). `quote` marks a passage a quote candidate.
    Each coder's codings are their own: a second coder codes the same answers blind."""

    __tablename__ = "coding"
    __table_args__ = (
        UniqueConstraint(
            "interview_id", "variable_id", "theme_id", "coder", "start_offset", "end_offset"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interview.id", ondelete="CASCADE"), index=True
    )
    variable_id: Mapped[str] = mapped_column(String(80))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"), index=True)
    coder: Mapped[str] = mapped_column(String(100))
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    passage: Mapped[str] = mapped_column(Text, default="")
    quote: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # A quote candidate approved for the report, by someone other than its coder.
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class CodingDecision(Base):
    """The consensus pass: where coders differ on whether a theme applies to an answer, the
    agreed answer, recorded by whoever settled it (it overrides the coders' own codings in the
    counts)."""

    __tablename__ = "coding_decision"
    __table_args__ = (UniqueConstraint("interview_id", "variable_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id", ondelete="CASCADE"))
    variable_id: Mapped[str] = mapped_column(String(80))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"), index=True)
    applies: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CodingHistory(Base):
    """Append-only: one row per change to a coding (applied, removed, marked or unmarked as a
    quote, moved by a merge), naming the theme as it was then."""

    __tablename__ = "coding_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interview.id", ondelete="CASCADE"), index=True
    )
    variable_id: Mapped[str] = mapped_column(String(80))
    theme: Mapped[str] = mapped_column(String(200))
    coder: Mapped[str] = mapped_column(String(100))
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(20))
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Account(Base):
    """A person who signs in: role, council (council accounts only), argon2id hash, lockout."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(one_of("role", Role), name="ck_account_role"),
        CheckConstraint(
            f"(role = '{Role.COUNCIL}' AND council_id IS NOT NULL)"
            f" OR (role <> '{Role.COUNCIL}' AND council_id IS NULL)",
            name="ck_account_council_iff_council_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    council_id: Mapped[int | None] = mapped_column(ForeignKey("council.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_sign_in: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    can_read_verbatim: Mapped[bool] = mapped_column(Boolean, default=False)

    council: Mapped[Council | None] = relationship()


class AuditEvent(Base):
    """Append-only (the database refuses UPDATE, DELETE, REPLACE and TRUNCATE): who did what,
    when, old and new; `row_hash` chains each row to the one before (`db.audit_chain`)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(Text)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class ReviewItem(Base):
    """A council's word on one recorded answer: confirmed, or a correction and its outcome.

    `answer_version` is the version the council looked at, so a later change shows as such.
    """

    __tablename__ = "review_item"
    __table_args__ = (
        UniqueConstraint("interview_id", "variable_id"),
        CheckConstraint(one_of("state", ReviewItemState), name="ck_review_item_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interview.id", ondelete="CASCADE"), index=True
    )
    variable_id: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(30))
    answer_version: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str] = mapped_column(String(100))
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reply: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class BrowserSession(Base):
    """A signed-in browser, so a refresh keeps the sign-in; only the token's hash is kept."""

    __tablename__ = "browser_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
