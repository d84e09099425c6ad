"""Coding the open answers: a coder applies a theme of the wave's codebook to a whole answer or
to a passage of it (by character offsets), marks passages as quote candidates, and removes
codings. Each coder sees and changes only their own codings, so a second coder works blind.
Every change is kept in the coding history and the audit log, in one transaction, and refused in
a closed wave."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from aggregation.agreement import cohens_kappa, krippendorff_alpha
from aggregation.themes import CodedTheme, ThemeTally, count_themes
from db.councils import council_lookup, match_key
from db.models import (
    Answer,
    Coding,
    CodingDecision,
    CodingHistory,
    Council,
    Interview,
    Theme,
    ThemeVariable,
    Wave,
    utcnow,
)
from flatfile.checks import ImportRefused
from flatfile.codings import CODING_COLUMNS, Resolve, Resolved, check_codings_file
from flatfile.table import FlatFileFormat, write_table
from instrument.model import RESERVED_CODES
from instrument.schedule import Instrument
from instrument.values import ValueProblem
from instrument.vocabulary import InterviewStatus
from services import audit
from services.actor import Actor
from services.interviews import NotFound, get_interview, get_wave, interview_target, pinned
from services.permissions import require, require_change, require_interview

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
    text = _answer_text(session, interview, variable_id)
    found = _theme(session, interview, variable_id, theme)
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
        _changed(session, actor, interview, coding, found.name, "applied")
    elif coding.quote != quote:
        _set_quote(coding, quote)
        _changed(session, actor, interview, coding, found.name, "quote" if quote else "unquote")
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
        _changed(session, actor, interview, coding, theme.name, "quote" if quote else "unquote")
    session.commit()
    return _summary(coding, theme.name)


@dataclass(frozen=True)
class QuoteCandidate:
    """Another coder's passage marked as a quote, for a second person to approve."""

    coding_id: int
    council_name: str
    theme: str
    passage: str
    coder: str
    approved_by: str | None


def quotes_to_approve(
    session: Session, *, actor: Actor, wave_key: str, variable_id: str
) -> list[QuoteCandidate]:
    """The question's quote candidates marked by other coders: a quote is approved by a
    second person, never by whoever marked it."""
    require(session, actor, CODE, target=f"wave {wave_key} {variable_id}")
    wave = get_wave(session, wave_key)
    rows = session.execute(
        select(Coding, Council.name, Theme.name)
        .join(Interview, Interview.id == Coding.interview_id)
        .join(Council, Council.id == Interview.council_id)
        .join(Theme, Theme.id == Coding.theme_id)
        .where(Interview.wave_id == wave.id, Coding.variable_id == variable_id)
        .where(Coding.quote.is_(True), Coding.coder != actor.username)
        .order_by(Council.name, Coding.start_offset)
    ).all()
    return [QuoteCandidate(c.id, council, theme, c.passage, c.coder, c.approved_by)
            for c, council, theme in rows]  # fmt: skip


def approve_quote(
    session: Session, *, actor: Actor, coding_id: int, approved: bool = True
) -> None:
    """Approve another coder's quote candidate for the report (or withdraw the approval)."""
    coding = session.get(Coding, coding_id)
    if coding is None or not coding.quote:
        raise NotFound(f"there is no quote candidate {coding_id}", code="coding.not_found")
    interview = get_interview(session, coding.interview_id, for_update=True)
    require_interview(session, actor, CODE, interview)
    if coding.coder == actor.username:
        raise ValueProblem("a quote is approved by a second person, not by whoever marked it")
    theme = session.get(Theme, coding.theme_id)
    assert theme is not None
    coding.approved_by = actor.username if approved else None
    coding.approved_at = utcnow() if approved else None
    _changed(session, actor, interview, coding, theme.name,
             "approved" if approved else "unapproved")  # fmt: skip
    session.commit()


@dataclass(frozen=True)
class PublishedQuote:
    """An approved quote as the report prints it: attributed by role, never by council."""

    variable_id: str
    theme: str
    passage: str
    said_by: str  # "a Head of Service"


def published_quotes(
    session: Session, *, actor: Actor, wave_key: str, interview_id: int | None = None
) -> list[PublishedQuote]:
    """Approved quotes from the wave's validated submissions, for the report and the
    dashboard (`interview_id`: one submission's, for its council to see which were chosen)."""
    if interview_id is None:
        require(session, actor, "read results", target=f"wave {wave_key}")
    else:
        require_interview(session, actor, "read an interview", get_interview(session, interview_id))
    wave = get_wave(session, wave_key)
    instrument = pinned(wave)
    query = (
        select(Coding, Theme.name, Interview.respondent_role)
        .join(Interview, Interview.id == Coding.interview_id)
        .join(Theme, Theme.id == Coding.theme_id)
        .where(Interview.wave_id == wave.id, Interview.validated_at.is_not(None))
        .where(Coding.quote.is_(True), Coding.approved_by.is_not(None))
        .order_by(Coding.variable_id, Theme.name_key, Coding.interview_id, Coding.start_offset)
    )
    if interview_id is not None:
        query = query.where(Interview.id == interview_id)
    return [
        PublishedQuote(c.variable_id, theme, c.passage, _said_by(instrument, role))
        for c, theme, role in session.execute(query)
    ]


def _said_by(instrument: Instrument, role: str | None) -> str:
    """'a Head of Service': the respondent's role, the only attribution a quote gets."""
    if not role or not instrument.has_variable("respondent_role"):
        return "a respondent"
    label = instrument.choice_label("respondent_role", role)
    return f"{'an' if label[:1].lower() in 'aeiou' else 'a'} {label}"


def remove_coding(session: Session, *, actor: Actor, coding_id: int) -> None:
    """Take one of one's own codings off the answer; the history keeps that it was there."""
    coding, interview, theme = _own(session, actor, coding_id)
    _changed(session, actor, interview, coding, theme.name, "removed")
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
        _given(wave.id, variable_id)
        .add_columns(Council.name, Answer.value)
        .join(Council, Council.id == Interview.council_id)
        .order_by(Council.name)
    ).all()
    return [AnswerToCode(interview_id, name, value) for interview_id, name, value in rows]


def _given(wave_id: int, variable_id: str | None) -> Select[int]:
    """The interviews of the wave with an answer to the question to code (not a reserved
    code, not blank); to any question, with `variable_id` None."""
    query = (
        select(Answer.interview_id)
        .join(Interview, Interview.id == Answer.interview_id)
        .where(Interview.wave_id == wave_id)
        .where(Answer.value.is_not(None), Answer.value != "", Answer.value.not_in(RESERVED_CODES))
    )
    return query if variable_id is None else query.where(Answer.variable_id == variable_id)


@dataclass(frozen=True)
class Disagreement:
    """A respondent's answer on which the coders differ about one theme, and what was agreed
    in the consensus pass (None until then)."""

    interview_id: int
    council_name: str
    theme: str
    applied_by: tuple[str, ...]
    not_by: tuple[str, ...]
    agreed: bool | None = None


@dataclass(frozen=True)
class ThemeAgreement:
    """How far the coders agree on one theme: over the answers at least two of them coded;
    kappa only where exactly two coders coded, alpha for any number (None: no variation)."""

    theme: str
    compared: int
    kappa: float | None
    alpha: float | None


@dataclass(frozen=True)
class Agreement:
    coders: tuple[str, ...]
    themes: tuple[ThemeAgreement, ...]
    disagreements: tuple[Disagreement, ...]


def coder_agreement(
    session: Session, *, actor: Actor, wave_key: str, variable_id: str
) -> Agreement:
    """Every coder's codings of the question set side by side: per theme, whether each coder
    applied it anywhere in each answer they coded. This shows one coder what another did, so
    a second coder looks once their own pass is done."""
    require(session, actor, CODE, target=f"wave {wave_key} {variable_id}")
    wave = get_wave(session, wave_key)
    rows = session.execute(
        select(Interview.id, Council.name, Coding.coder, Theme.name)
        .join(Interview, Interview.id == Coding.interview_id)
        .join(Council, Council.id == Interview.council_id)
        .join(Theme, Theme.id == Coding.theme_id)
        .where(Interview.wave_id == wave.id, Coding.variable_id == variable_id)
    ).all()
    applied: dict[str, dict[str, set[str]]] = {}  # council -> coder -> themes
    interview_of: dict[str, int] = {}
    for interview_id, council, coder, theme in rows:
        applied.setdefault(council, {}).setdefault(coder, set()).add(theme)
        interview_of[council] = interview_id
    coders = tuple(sorted({coder for _, _, coder, _ in rows}))
    agreed = _decisions(session, wave.id, variable_id)
    names = session.scalars(
        select(Theme.name)
        .join(ThemeVariable, ThemeVariable.theme_id == Theme.id)
        .where(Theme.wave_id == wave.id, ThemeVariable.variable_id == variable_id)
        .order_by(Theme.name_key)
    ).all()
    shared = {c: by for c, by in sorted(applied.items()) if len(by) > 1}
    themes, disagreements = [], []
    for theme in names:
        units = [{coder: theme in found for coder, found in by.items()} for by in shared.values()]
        pairs = [[u[c] for c in coders] for u in units if len(u) == 2 == len(coders)]
        kappa = cohens_kappa(*zip(*pairs, strict=True)) if pairs else None
        themes.append(ThemeAgreement(theme, len(units), kappa, krippendorff_alpha(units)))
        for council, unit in zip(shared, units, strict=True):
            if len(set(unit.values())) > 1:
                said = tuple(c for c in coders if unit.get(c))
                others = tuple(c for c in coders if c in unit and not unit[c])
                interview_id = interview_of[council]
                decided = agreed.get((interview_id, theme))
                disagreements.append(
                    Disagreement(interview_id, council, theme, said, others, decided)
                )
    return Agreement(coders, tuple(themes), tuple(disagreements))


def record_agreement(
    session: Session,
    *,
    actor: Actor,
    interview_id: int,
    variable_id: str,
    theme: str,
    applies: bool,
) -> None:
    """The consensus pass: whether the theme applies to this answer, as the coders agreed; it
    stands in the counts over what each coder applied."""
    interview = get_interview(session, interview_id, for_update=True)
    require_interview(session, actor, CODE, interview)
    _answer_text(session, interview, variable_id)
    found = _theme(session, interview, variable_id, theme)
    decision = session.scalar(
        select(CodingDecision).where(
            CodingDecision.interview_id == interview_id,
            CodingDecision.variable_id == variable_id,
            CodingDecision.theme_id == found.id,
        )
    )
    if decision is None:
        decision = CodingDecision(interview_id=interview_id, variable_id=variable_id,
                                  theme_id=found.id, applies=applies)  # fmt: skip
        session.add(decision)
    decision.applies, decision.decided_by, decision.decided_at = applies, actor.username, utcnow()
    said = "applies" if applies else "does not apply"
    session.add(CodingHistory(interview_id=interview_id, variable_id=variable_id,
                              theme=found.name, coder=AGREED, start_offset=0, end_offset=0,
                              change="agreed" if applies else "agreed not",
                              changed_by=actor.username))  # fmt: skip
    audit.record(session, actor=actor, action="coding.agree",
                 target=interview_target(interview, variable_id),
                 new=f"{found.name!r} {said} (agreed)")  # fmt: skip
    session.commit()


def _decisions(session: Session, wave_id: int, variable_id: str) -> dict[tuple[int, str], bool]:
    """What the consensus pass agreed, by (interview, theme name)."""
    rows = session.execute(
        select(CodingDecision.interview_id, Theme.name, CodingDecision.applies)
        .join(Theme, Theme.id == CodingDecision.theme_id)
        .where(Theme.wave_id == wave_id, CodingDecision.variable_id == variable_id)
    ).all()
    return {(interview_id, theme): applies for interview_id, theme, applies in rows}


def theme_tallies(session: Session, *, actor: Actor, wave_key: str) -> list[ThemeTally]:
    """Each coded open question's themes counted over the wave's completed interviews that
    answered it, as the closed answers are counted (`aggregation.themes`)."""
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
    completed = select(Interview.id).where(
        Interview.wave_id == wave.id, Interview.status == InterviewStatus.COMPLETED
    )
    answered: dict[str, set[int]] = {
        v.id: set() for v in pinned(wave).questions if v.id in coded
    }  # schedule order
    for interview_id, variable_id in session.execute(
        _given(wave.id, None).add_columns(Answer.variable_id).where(
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
    return count_themes(codebook, answered, applied, agreed)


class CodingsRefused(ImportRefused):
    """A codings file not read: every problem with its row and column; nothing was written."""

    code = "codings.refused"
    refused = "codings not imported"


def export_codings(
    session: Session, *, actor: Actor, wave_key: str, fmt: FlatFileFormat = "csv"
) -> bytes:
    """Every coder's codings of the wave as a flat file `import_codings` reads back."""
    require(session, actor, CODE, target=f"wave {wave_key} codings")
    wave = get_wave(session, wave_key)
    rows = session.execute(
        select(Council.code, Coding.variable_id, Theme.name, Coding.coder, Coding.start_offset,
               Coding.end_offset, Coding.quote)
        .join(Interview, Interview.id == Coding.interview_id)
        .join(Council, Council.id == Interview.council_id)
        .join(Theme, Theme.id == Coding.theme_id)
        .where(Interview.wave_id == wave.id)
        .order_by(Council.code, Coding.variable_id, Coding.coder, Coding.start_offset,
                  Coding.end_offset, Theme.name_key)
    ).all()  # fmt: skip
    cells = [[code, v, theme, coder, str(start), str(end), "yes" if quote else "no"]
             for code, v, theme, coder, start, end, quote in rows]  # fmt: skip
    return write_table(list(CODING_COLUMNS), cells, fmt)


def import_codings(
    session: Session, *, actor: Actor, wave_key: str, data: bytes, filename: str = "codings.csv"
) -> int:
    """Add a codings file's codings to the wave, all or none (a coding already there is kept
    as it is); return how many were added."""
    require(session, actor, CODE, target=f"wave {wave_key} codings")
    wave = get_wave(session, wave_key)
    require_change(session, actor, CODE, wave, target=f"wave {wave_key} codings {filename}")
    rows, problems = check_codings_file(data, filename, _resolver(session, wave))
    if problems:
        session.rollback()
        raise CodingsRefused(problems, file=filename)
    added = 0
    for row in rows:
        key = (Coding.interview_id == row.interview_id, Coding.variable_id == row.variable_id,
               Coding.theme_id == row.theme_id, Coding.coder == row.coder,
               Coding.start_offset == row.start, Coding.end_offset == row.end)  # fmt: skip
        if session.scalar(select(Coding.id).where(*key)) is not None:
            continue
        coding = Coding(interview_id=row.interview_id, variable_id=row.variable_id,
                        theme_id=row.theme_id, coder=row.coder, start_offset=row.start,
                        end_offset=row.end, passage=row.passage, quote=row.quote)  # fmt: skip
        session.add(coding)
        theme = session.get(Theme, row.theme_id)
        record_history(session, actor, coding, theme.name if theme else "", "imported")
        added += 1
    kept = len(rows) - added
    audit.record(session, actor=actor, action="coding.import", target=f"wave {wave_key}",
                 new=f"{added} codings from {filename} ({kept} already there)")  # fmt: skip
    session.commit()
    return added


def _resolver(session: Session, wave: Wave) -> Resolve:
    """Find a row's respondent (by code, name or alias in the wave's frame), the answer's text
    and the theme, or say what is wrong and in which column."""
    members = council_lookup(session, wave.frame)
    interviews = {
        council: interview
        for council, interview in session.execute(
            select(Interview.council_id, Interview.id).where(Interview.wave_id == wave.id)
        )
    }
    themes = {t.name_key: t for t in session.scalars(select(Theme).where(Theme.wave_id == wave.id))}

    def resolve(code: str, variable_id: str, theme_name: str) -> Resolved | tuple[str, str]:
        member = members.get(match_key(code))
        if member is None or member.id not in interviews:
            return "council_code", f"no respondent {code!r} in wave {wave.key}"
        theme = themes.get(match_key(theme_name))
        if theme is None:
            return "theme", f"there is no theme {theme_name!r} in this wave"
        if variable_id not in {v.variable_id for v in theme.variables}:
            return "variable", f"the theme {theme.name!r} does not code {variable_id!r}"
        text = session.scalar(
            select(Answer.value).where(
                Answer.interview_id == interviews[member.id], Answer.variable_id == variable_id
            )
        )
        if not text or text in RESERVED_CODES:
            return "variable", f"{member.name} gave no answer to {variable_id} to code"
        return Resolved(interviews[member.id], theme.id, text)

    return resolve


def coding_progress(session: Session, *, actor: Actor, wave_key: str, variable_id: str) -> Progress:
    """'Q15 coded for 24 of 31': the actor's coded answers of those given to the question."""
    require(session, actor, "read the wave", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    answered = _given(wave.id, variable_id)
    coded = select(func.count(func.distinct(Coding.interview_id))).where(
        Coding.interview_id.in_(answered),
        Coding.variable_id == variable_id,
        Coding.coder == actor.username,
    )
    total = select(func.count()).select_from(answered.subquery())
    return Progress(session.scalar(coded) or 0, session.scalar(total) or 0)


# --- checks and records --------------------------------------------------------------------------


def _answer_text(session: Session, interview: Interview, variable_id: str) -> str:
    """The answer's text, which must be there to be coded."""
    value = session.scalar(
        select(Answer.value).where(
            Answer.interview_id == interview.id, Answer.variable_id == variable_id
        )
    )
    if not value or value in RESERVED_CODES:
        raise ValueProblem(f"{interview.council.name} gave no answer to {variable_id} to code")
    return value


def _theme(session: Session, interview: Interview, variable_id: str, name: str) -> Theme:
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


def _changed(
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
