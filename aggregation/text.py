"""Report text in the style of the 2012 Audit Scotland supplement, generated from the tallies.

The wording is data: each closed variable's `report` template (or the generic one for its
type) lives in the instrument YAML; this module only fills the templates in. Pure: no
database, no Streamlit, no files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from functools import lru_cache

import pandas as pd

from aggregation.disclosure import View, view_sentence, withheld_sentence
from aggregation.response import ResponseFigures
from aggregation.results import WaveResults, counted_interviews
from aggregation.tally import COMPLETED, Tally
from aggregation.wording import (
    agree,
    capitalise,
    count_text,
    date_range_text,
    in_sentence,
    join_list,
    mean_text,
    percent_text,
)
from instrument.model import (
    Agreement,
    Placeholder,
    ReportTemplate,
    TemplatePiece,
    TypeTemplate,
    Variable,
    parse_template,
)
from instrument.schedule import Instrument
from instrument.vocabulary import InterviewStatus

Words = Mapping[str, str | Callable[[bool], str]]  # a callable gets "at sentence start?"
ROLE_VARIABLE = "respondent_role"
NOT_YET_INTERVIEWED = (
    InterviewStatus.NOT_CONTACTED,
    InterviewStatus.SCHEDULED,
    InterviewStatus.IN_PROGRESS,
)


@lru_cache(maxsize=512)
def _pieces(template: str) -> tuple[TemplatePiece, ...]:
    return parse_template(template)


def render(
    template: str, counts: Mapping[str, int], words: Words, *, sentence_start: bool = True
) -> str:
    """Fill a template: counts as the house style writes them, `[a|b]` agreeing with the last.

    `sentence_start` says whether the template opens a sentence (list items inside a
    sentence do not); a count or words opening a sentence are capitalised.
    """
    out = ""
    last_count: int | None = None
    for piece in _pieces(template):
        if isinstance(piece, str):
            out += piece
        elif isinstance(piece, Agreement):
            out += (
                piece.plural
                if last_count is None
                else agree(last_count, piece.singular, piece.plural)
            )
        else:
            at_start = _at_sentence_start(out, sentence_start)
            if piece.name in counts:
                last_count = counts[piece.name]
                out += count_text(last_count, piece.singular, piece.plural, sentence_start=at_start)
            else:
                out += _words(piece, words, at_start)
    return capitalise(out) if sentence_start else out


def _words(piece: Placeholder, words: Words, at_start: bool) -> str:
    if piece.name not in words:
        raise KeyError(f"report template names {piece.name!r}, which has no value here")
    value = words[piece.name]
    text = value(at_start) if callable(value) else value
    return capitalise(text) if at_start else text


def _at_sentence_start(so_far: str, template_starts_sentence: bool) -> bool:
    stripped = so_far.rstrip()
    if not stripped:
        return template_starts_sentence
    return stripped[-1] in ".!?"


# --- one variable -----------------------------------------------------------------------------


def variable_sentences(instrument: Instrument, tally: Tally, member: str = "council") -> list[str]:
    """The finding for one closed variable, then a sentence each for non-response, don't know;
    one sentence saying so for a withheld tally (`member`: the frame's word)."""
    if tally.withheld_below:
        return [withheld_sentence(tally, member)]
    templates = instrument.spec.report_templates
    source, own = _report_of(instrument, tally.variable_id)
    generic = templates.for_type(tally.type)
    counts = {
        **tally.counts,
        "base": tally.base,
        "answered": tally.answered,
        "no_answer": tally.no_answer,
        "dont_know": tally.dont_know,
    }
    words = _variable_words(tally, own, generic)
    if tally.base == 0:
        findings = [templates.nobody_asked]
    elif tally.answered == 0:
        findings = [templates.nobody_answered]
    elif own is not None and own.text:
        findings = list(own.text)
    elif source is not None and source.asked_if and generic.routed:
        findings = [generic.routed]
    else:
        findings = [generic.text]
    if tally.no_answer:
        findings.append(templates.no_answer)
    if tally.dont_know:
        findings.append(templates.dont_know)
    return [render(t, counts, words) for t in findings]


def report_sentences(results: WaveResults) -> dict[str, list[str]]:
    """Every tallied variable's sentences, keyed by variable id in tally order."""
    return {
        vid: variable_sentences(results.instrument, tally, results.figures.member)
        for vid, tally in results.tallies.items()
    }


def _report_of(
    instrument: Instrument, variable_id: str
) -> tuple[Variable | None, ReportTemplate | None]:
    """The variable the tally came from (a band's percent source) and its own template."""
    if instrument.has_variable(variable_id):
        variable = instrument.variable(variable_id)
        return variable, variable.report
    for variable in (*instrument.record_variables, *instrument.questions):
        if variable.bands and variable.bands.id == variable_id:
            return variable, variable.bands.report
    return None, None


def _variable_words(
    tally: Tally, own: ReportTemplate | None, generic: TypeTemplate
) -> dict[str, str | Callable[[bool], str]]:
    """The words a template may name: the label, a percent's figures, or the list of codes."""
    words: dict[str, str | Callable[[bool], str]] = {"label": in_sentence(tally.label)}
    if tally.numeric:
        for name in ("min", "max", "median"):
            value = getattr(tally, name)
            words[name] = "" if value is None else percent_text(value)
        return words

    def list_text(at_start: bool) -> str:
        return choice_list(
            tally.counts,
            tally.choice_labels,
            _item_template(own, generic),
            figures={"base": tally.base, "answered": tally.answered},
            label=tally.label,
            sentence_start=at_start,
        )

    words["list"] = list_text
    if tally.mean_score is not None:
        words["mean"] = mean_text(tally.mean_score, tally.scores)
    return words


def _item_template(own: ReportTemplate | None, generic: TypeTemplate) -> Callable[[str], str]:
    """A code's list phrase: the variable's own for that code, its own for all, or the type's."""

    def item_for(code: str) -> str:
        return (own.item_of(code) if own is not None else None) or generic.item

    return item_for


def choice_list(
    counts: Mapping[str, int],
    labels: Mapping[str, str],
    item_for: Callable[[str], str],
    *,
    figures: Mapping[str, int] | None = None,
    label: str = "",
    sentence_start: bool = False,
) -> str:
    """Codes chosen at least once, most often first (ties in schedule order), 'a, b and c'.

    Each code reads as its item template, with `{n}` its count and `{choice}` its label.
    """
    ranked = sorted(
        ((n, i, code) for i, (code, n) in enumerate(counts.items()) if n > 0),
        key=lambda entry: (-entry[0], entry[1]),
    )
    items = [
        render(
            item_for(code),
            {**(figures or {}), "n": n},
            {"choice": in_sentence(labels.get(code, code)), "label": in_sentence(label)},
            sentence_start=sentence_start and position == 0,
        )
        for position, (n, _, code) in enumerate(ranked)
    ]
    return join_list(items)


# --- methodology ------------------------------------------------------------------------------


def methodology_paragraph(
    instrument: Instrument, interviews: pd.DataFrame, figures: ResponseFigures, view: View
) -> str:
    """Who was eligible and interviewed, when, in what role, and who did not take part and
    why. The roles are those of the interviews the view counts, withheld with the figures if
    they are too few (`view_text` says what the view counts).

    `interviews` is the wave's interview table (`services.results.wave_tables`): council_name,
    status, respondent_role, interview_date, nonresponse_reason, validated; missing columns
    are skipped.
    """
    counted = counted_interviews(interviews, view)
    sentences = [
        _fieldwork_sentence(figures, fieldwork_dates(interviews)),
        "" if view.withholds(len(counted)) else _roles_sentence(instrument, counted),
        _declined_sentence(
            interviews[interviews["status"] == InterviewStatus.DECLINED], figures.member
        ),
        _not_yet_sentence(
            interviews[interviews["status"].isin(NOT_YET_INTERVIEWED)], figures.member
        ),
    ]
    return " ".join(s for s in sentences if s)


def view_text(results: WaveResults) -> str:
    """What the wave's figures count, in the view they were counted in."""
    return view_sentence(results.view, results.counted, results.waiting,
                         results.figures.member)  # fmt: skip


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series([None] * len(frame), dtype=object)


def _fieldwork_sentence(figures: ResponseFigures, dates: tuple[dt.date, dt.date] | None) -> str:
    when = f" {date_range_text(*dates)}" if dates else ""
    counts = {"eligible": figures.eligible, "completed": figures.completed}
    if figures.completed == figures.eligible and figures.eligible > 1:
        template = f"All {{eligible}} {figures.members} were interviewed by telephone{when}."
    elif figures.completed == 0:
        template = (
            f"{{eligible {figures.member}}} [was|were] eligible; none had yet been interviewed."
        )
    else:
        template = (
            f"{{eligible {figures.member}}} [was|were] eligible for the survey and {{completed}} "
            f"[was|were] interviewed by telephone{when}."
        )
    return render(template, counts, {})


def _roles_sentence(instrument: Instrument, completed: pd.DataFrame) -> str:
    """'Twenty-one were Directors of Social Work, six were Heads of Service and ...'."""
    if not instrument.has_variable(ROLE_VARIABLE) or not len(completed):
        return ""
    variable = instrument.variable(ROLE_VARIABLE)
    roles = _column(completed, ROLE_VARIABLE)
    found = roles.value_counts()
    choices = instrument.choices(variable)
    counts = {c.code: int(found.get(c.code, 0)) for c in choices}
    generic = instrument.spec.report_templates.for_type(variable.type)
    listed = choice_list(
        counts,
        {c.code: c.label for c in choices},
        _item_template(variable.report, generic),
        figures={"base": len(completed), "answered": sum(counts.values())},
        label=variable.label or variable.id,
        sentence_start=True,
    )
    sentences = [f"{listed}." if listed else ""]
    unrecorded = len(completed) - sum(counts.values())
    if unrecorded:
        sentences.append(
            render("{unrecorded respondent} had no role recorded.", {"unrecorded": unrecorded}, {})
        )
    return " ".join(s for s in sentences if s)


def _declined_sentence(declined: pd.DataFrame, member: str) -> str:
    """'One council, Orkney Islands, did not take part because of changes in personnel.'"""
    if not len(declined):
        return ""
    reasons = _column(declined, "nonresponse_reason")
    named = [
        (str(name), _because(reason))
        for name, reason in zip(declined["council_name"], reasons, strict=True)
    ]
    if len(named) == 1:
        name, because = named[0]
        return f"One {member}, {name}, did not take part{because}."
    each = _join_councils([f"{name}{because}" if not because or because.startswith(" (") else
                           f"{name},{because}" for name, because in named])  # fmt: skip
    return f"{count_text(len(named), member, sentence_start=True)} did not take part: {each}."


# What an interviewer may type before the reason itself: "Declined:", "Did not take part due
# to ...", "The council was unable to take part as ..." say again what the sentence says.
_RESTATED = re.compile(
    r"^(?:(?:the council|council|they|it)\s+)?(?:has\s+|have\s+|was\s+|were\s+)?"
    r"(?:declined|refused|did not take part|didn't take part|could not take part|"
    r"couldn't take part|was unable to take part|were unable to take part|"
    r"unable to take part|not able to take part|no participation)"
    r"(?:\s+(?:to take part|to participate|in the survey|the interview))*\s*[:;,.-]?\s*",
    re.IGNORECASE,
)
_CAUSE = ("because", "due to", "owing to", "as a result of", "following")
_CLAUSE = ("they ", "we ", "it ", "he ", "she ", "there ", "the council ", "staff were ",
           "the director ", "no one ", "nobody ")  # fmt: skip
_LONGEST_REASON = 14  # words said in the sentence; a longer reason is quoted as recorded


def _because(reason: object) -> str:
    """The reason a council did not take part, as the rest of the sentence: "because of
    changes in personnel", "because they were restructuring", or, where what was typed would
    not read as part of a sentence, the reason as recorded, quoted."""
    if reason is None or (isinstance(reason, float) and pd.isna(reason)):
        return ""
    typed = " ".join(str(reason).split())
    text = _RESTATED.sub("", typed).strip().rstrip(".").strip()
    if not text:
        return ""
    if len(text.split()) > _LONGEST_REASON or re.search(r"[.!?;]\s", text):
        return f" (the reason recorded: “{typed.rstrip('.')}”)"
    text = in_sentence(text)
    lowered = text.lower()
    if lowered.startswith(_CAUSE):
        return f" {text}"
    if lowered.startswith(("as ", "since ")):
        return f" because {text.split(' ', 1)[1]}"
    if lowered.startswith(_CLAUSE):
        return f" because {text}"
    if lowered.startswith("not enough "):
        return f" because it did not have {text.split(' ', 1)[1]}"
    if lowered.startswith(("no ", "too few ", "insufficient ")):
        return f" because it had {text}"
    return f" because of {text}"


def _not_yet_sentence(pending: pd.DataFrame, member: str) -> str:
    """'Two councils, Angus and Fife, had not yet been interviewed.'"""
    if not len(pending):
        return ""
    names = [str(n) for n in pending["council_name"]]
    if len(names) == 1:
        return f"One {member}, {names[0]}, had not yet been interviewed."
    opening = count_text(len(names), member, sentence_start=True)
    return f"{opening} had not yet been interviewed: {_join_councils(names)}."


def _join_councils(items: list[str]) -> str:
    """Council names can hold 'and' (Perth and Kinross): then the list takes semicolons."""
    return join_list(items, semicolons=any("," in i or " and " in i for i in items))


def fieldwork_dates(interviews: pd.DataFrame) -> tuple[dt.date, dt.date] | None:
    """First and last interview dates of the completed interviews, if any were recorded."""
    completed = interviews[interviews["status"] == COMPLETED]
    days = pd.to_datetime(_column(completed, "interview_date"), errors="coerce").dropna()
    if not len(days):
        return None
    return days.min().date(), days.max().date()
