"""Coding the open answers: a coder applies a theme of the wave's codebook to a whole answer or
to a passage of it (by character offsets), marks passages as quote candidates, and removes
codings. Each coder sees and changes only their own codings, so a second coder works blind.
Every change is kept in the coding history and the audit log, in one transaction, and refused in
a closed wave."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from aggregation.themes import CodedTheme, ThemeTally, count_themes, withhold_themes
from db.models import (
    Answer,
    Coding,
    CodingDecision,
    CodingHistory,
    Council,
    Interview,
    Theme,
    ThemeVariable,
    utcnow,
)
from instrument.model import RESERVED_CODES
from instrument.values import ValueProblem, match_key
from instrument.vocabulary import InterviewStatus
from services import audit
from services.actor import Actor
from services.interviews import NotFound, get_interview, get_wave, interview_target, pinned
from services.permissions import require, require_interview
from services.results import publication_view

CODE = "code open answers"
AGREED = "(agreed)"  # the coding history's coder for the consensus pass: never a username


@dataclass(frozen=True)
class CodingSummary:
    """One coding as the coding screen shows it: the whole answer when `whole`."""

    id: int
    theme: str
    start: int
    end: int
    passage: str
    quote: bool

    @property
    def whole(self) -> bool:
        return self.start == self.end == 0


@dataclass(frozen=True)
class Progress:
    """How far a coder has got with one question: answers coded of those there are to code."""

    coded: int
    answered: int


def code_answer(
    session: Session,
    *,
    actor: Actor,
    interview_id: int,
    variable_id: str,
    theme: str,
    start: int | None = None,
    end: int | None = None,
    quote: bool = False,
) -> CodingSummary:
    """Apply a theme to the whole answer (no offsets) or to its characters start..end; the
    same theme on the same passage by the same coder is kept once."""
    interview = get_interview(session, interview_id, for_update=True)
    require_interview(session, actor, CODE, interview)
    text = codable_text(session, interview, variable_id)
    found = coding_theme(session, interview, variable_id, theme)
    first, last = _passage(text, start, end)
    coding = session.scalar(
        select(Coding).where(
            Coding.interview_id == interview.id,
            Coding.variable_id == variable_id,
            Coding.theme_id == found.id,
            Coding.coder == actor.username,
            Coding.start_offset == first,
            Coding.end_offset == last,
        )
    )
    if coding is None:
        coding = Coding(interview_id=interview.id, variable_id=variable_id, theme_id=found.id,
                        coder=actor.username, start_offset=first, end_offset=last,
                        passage=text[first:last], quote=quote)  # fmt: skip
        session.add(coding)
        log_change(session, actor, interview, coding, found.name, "applied")
    elif coding.quote != quote:
        _set_quote(coding, quote)
        log_change(session, actor, interview, coding, found.name, "quote" if quote else "unquote")
    session.commit()
    return _summary(coding, found.name)


def mark_quote(
    session: Session, *, actor: Actor, coding_id: int, quote: bool = True
) -> CodingSummary:
    """Mark one's own coded passage as a quote candidate for the report (or unmark it)."""
    coding, interview, theme = _own(session, actor, coding_id)
    if coding.start_offset == coding.end_offset == 0:
        raise ValueProblem("select a passage to quote: a whole answer is coded, not quoted")
    if coding.quote != quote:
        _set_quote(coding, quote)
        log_change(session, actor, interview, coding, theme.name, "quote" if quote else "unquote")
    session.commit()
    return _summary(coding, theme.name)


def remove_coding(session: Session, *, actor: Actor, coding_id: int) -> None:
    """Take one of one's own codings off the answer; the history keeps that it was there."""
    coding, interview, theme = _own(session, actor, coding_id)
    log_change(session, actor, interview, coding, theme.name, "removed")
    session.delete(coding)
    session.commit()


def my_codings(
    session: Session, *, actor: Actor, interview_id: int, variable_id: str
) -> list[CodingSummary]:
    """The actor's own codings of one answer, in the order they fall in it (whole first)."""
    interview = get_interview(session, interview_id)
    require(session, actor, CODE, target=interview_target(interview, variable_id))  # verbatim
    rows = session.execute(
        select(Coding, Theme.name)
        .join(Theme, Theme.id == Coding.theme_id)
        .where(
            Coding.interview_id == interview_id,
            Coding.variable_id == variable_id,
            Coding.coder == actor.username,
        )
        .order_by(Coding.start_offset, Coding.end_offset, Theme.name_key)
    ).all()
    return [_summary(coding, name) for coding, name in rows]


@dataclass(frozen=True)
class AnswerToCode:
    """One respondent's answer to an open question, as the coding screen shows it."""

    interview_id: int
    council_name: str
    text: str


def answers_to_code(
    session: Session, *, actor: Actor, wave_key: str, variable_id: str
) -> list[AnswerToCode]:
    """Every answer given to the question in the wave, by respondent name: verbatim, so for
    coders only."""
    require(session, actor, CODE, target=f"wave {wave_key} {variable_id}")
    wave = get_wave(session, wave_key)
    rows = session.execute(
        given_answers(wave.id, variable_id)
        .add_columns(Council.name, Answer.value)
        .join(Council, Council.id == Interview.council_id)
        .order_by(Council.name)
    ).all()
    return [AnswerToCode(interview_id, name, value) for interview_id, name, value in rows]


def given_answers(wave_id: int, variable_id: str | None) -> Select[int]:
    """The interviews of the wave with an answer to the question to code (not a reserved
    code, not blank); to any question, with `variable_id` None."""
    query = (
        select(Answer.interview_id)
        .join(Interview, Interview.id == Answer.interview_id)
        .where(Interview.wave_id == wave_id)
        .where(Answer.value.is_not(None), Answer.value != "", Answer.value.not_in(RESERVED_CODES))
    )
    return query if variable_id is None else query.where(Answer.variable_id == variable_id)


def theme_tallies(
    session: Session, *, actor: Actor, wave_key: str, include_unvalidated: bool = False
) -> list[ThemeTally]:
    """Each coded open question's themes counted over the wave's completed interviews that
    answered it, as the closed answers are counted (`aggregation.themes`), in the published
    view (validated councils, small bases withheld) unless the draft is asked for."""
    require(session, actor, "read results", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    themes = session.scalars(
        select(Theme).where(Theme.wave_id == wave.id).order_by(Theme.name_key)
    ).all()
    names = {t.id: t.name for t in themes}
    codebook = [
        CodedTheme(t.id, t.name, names.get(t.parent_id) if t.parent_id else None,
                   tuple(v.variable_id for v in t.variables), t.report or "")
        for t in themes
    ]  # fmt: skip
    coded = {v for t in codebook for v in t.variables}
    view = publication_view(wave, include_unvalidated)
    completed = select(Interview.id).where(
        Interview.wave_id == wave.id, Interview.status == InterviewStatus.COMPLETED
    )
    if not view.draft:
        completed = completed.where(Interview.validated_at.is_not(None))
    answered: dict[str, set[int]] = {
        v.id: set() for v in pinned(wave).questions if v.id in coded
    }  # schedule order
    for interview_id, variable_id in session.execute(
        given_answers(wave.id, None).add_columns(Answer.variable_id).where(
            Answer.interview_id.in_(completed), Answer.variable_id.in_(coded)
        )
    ):
        answered[variable_id].add(interview_id)
    applied = {
        (i, v, t)
        for i, v, t in session.execute(
            select(Coding.interview_id, Coding.variable_id, Coding.theme_id)
            .distinct()
            .join(Theme, Theme.id == Coding.theme_id)
            .where(Theme.wave_id == wave.id)
        )
    }
    agreed = {
        (i, v, t): yes
        for i, v, t, yes in session.execute(
            select(CodingDecision.interview_id, CodingDecision.variable_id,
                   CodingDecision.theme_id, CodingDecision.applies)
            .join(Theme, Theme.id == CodingDecision.theme_id)
            .where(Theme.wave_id == wave.id)
        )
    }  # fmt: skip
    return withhold_themes(count_themes(codebook, answered, applied, agreed), view)


def coding_progress(session: Session, *, actor: Actor, wave_key: str, variable_id: str) -> Progress:
    """'Q15 coded for 24 of 31': the actor's coded answers of those given to the question."""
    require(session, actor, "read the wave", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    answered = given_answers(wave.id, variable_id)
    coded = select(func.count(func.distinct(Coding.interview_id))).where(
        Coding.interview_id.in_(answered),
        Coding.variable_id == variable_id,
        Coding.coder == actor.username,
    )
    total = select(func.count()).select_from(answered.subquery())
    return Progress(session.scalar(coded) or 0, session.scalar(total) or 0)


# --- checks and records --------------------------------------------------------------------------


def codable_text(session: Session, interview: Interview, variable_id: str) -> str:
    """The answer's text, which must be there to be coded."""
    value = session.scalar(
        select(Answer.value).where(
            Answer.interview_id == interview.id, Answer.variable_id == variable_id
        )
    )
    if not value or value in RESERVED_CODES:
        raise ValueProblem(f"{interview.council.name} gave no answer to {variable_id} to code")
    return value


def coding_theme(session: Session, interview: Interview, variable_id: str, name: str) -> Theme:
    """The wave's theme of that name, which must apply to the question."""
    theme = session.scalar(
        select(Theme).where(Theme.wave_id == interview.wave_id, Theme.name_key == match_key(name))
    )
    if theme is None:
        raise NotFound(f"there is no theme {name!r} in this wave", code="theme.not_found")
    applies = session.scalar(
        select(ThemeVariable).where(
            ThemeVariable.theme_id == theme.id, ThemeVariable.variable_id == variable_id
        )
    )
    if applies is None:
        raise ValueProblem(
            f"the theme {theme.name!r} does not apply to {variable_id}; add the question to "
            "the theme first"
        )
    return theme


def _passage(text: str, start: int | None, end: int | None) -> tuple[int, int]:
    """(0, 0) for the whole answer; else a passage that is in the text and not empty."""
    if start is None and end is None:
        return 0, 0
    if start is None or end is None or not 0 <= start < end <= len(text):
        raise ValueProblem(
            f"a passage runs from one character to a later one within the answer's "
            f"{len(text)} characters (given {start} to {end})"
        )
    if not text[start:end].strip():
        raise ValueProblem("the passage selected is only spaces")
    return start, end


def _set_quote(coding: Coding, quote: bool) -> None:
    """Mark or unmark a quote candidate; either way any approval goes (approved afresh)."""
    coding.quote = quote
    coding.approved_by = coding.approved_at = None


def _own(session: Session, actor: Actor, coding_id: int) -> tuple[Coding, Interview, Theme]:
    """One of the actor's own codings (another coder's is not theirs to change)."""
    coding = session.get(Coding, coding_id)
    if coding is None or coding.coder != actor.username:
        raise NotFound(f"there is no coding {coding_id} of yours", code="coding.not_found")
    interview = get_interview(session, coding.interview_id, for_update=True)
    require_interview(session, actor, CODE, interview)
    theme = session.get(Theme, coding.theme_id)
    assert theme is not None  # a coding goes with its theme
    return coding, interview, theme


def record_history(session: Session, actor: Actor, coding: Coding, theme: str, change: str) -> None:
    """The coding history's row for one change (a merge writes these too)."""
    session.add(
        CodingHistory(
            interview_id=coding.interview_id,
            variable_id=coding.variable_id,
            theme=theme,
            coder=coding.coder,
            start_offset=coding.start_offset,
            end_offset=coding.end_offset,
            change=change,
            changed_by=actor.username,
        )
    )


def log_change(
    session: Session, actor: Actor, interview: Interview, coding: Coding, theme: str, change: str
) -> None:
    coding.updated_at = utcnow()
    record_history(session, actor, coding, theme, change)
    where = "the whole answer" if coding.start_offset == coding.end_offset == 0 else (
        f"characters {coding.start_offset}–{coding.end_offset}"
    )  # fmt: skip
    audit.record(session, actor=actor, action=f"coding.{change}",
                 target=interview_target(interview, coding.variable_id),
                 new=f"{theme!r} on {where}" + (" (quote)" if coding.quote else ""))  # fmt: skip


def _summary(coding: Coding, theme: str) -> CodingSummary:
    return CodingSummary(coding.id, theme, coding.start_offset, coding.end_offset,
                         coding.passage, coding.quote)  # fmt: skip
