"""Themes counted like closed answers: per coded open question, how many respondents' answers
carry each theme, over a base of those who gave an answer at all.

An answer carries a theme where the consensus pass agreed it does; where nothing was agreed,
where any coder applied it (to the whole answer or a passage). Pure: the service reads the
codings and decisions, this counts them, and the reports print what it returns."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from aggregation.counts import Tally
from aggregation.disclosure import View
from aggregation.text import render
from aggregation.wording import in_sentence, number_words

Key = tuple[int, str, int]  # (interview, variable, theme)


@dataclass(frozen=True)
class ThemeCount:
    theme_id: int
    label: str
    parent: str | None
    respondents: int
    report: str = ""  # its own report sentence, or "" for the generic one


@dataclass(frozen=True)
class ThemeTally:
    """One coded open question: its base (respondents who answered it), how many of those
    answers carry at least one theme, and each theme's count."""

    variable_id: str
    base: int
    coded: int
    themes: tuple[ThemeCount, ...]
    withheld_below: int | None = None  # published view: too few answered to show (zeros)


@dataclass(frozen=True)
class CodedTheme:
    """A theme as counting needs it: which open questions it codes."""

    theme_id: int
    label: str
    parent: str | None
    variables: tuple[str, ...]
    report: str = ""


@dataclass(frozen=True)
class PublishedQuote:
    """An approved quote as the report prints it: attributed by role, never by council."""

    variable_id: str
    theme: str
    passage: str
    said_by: str  # "a Head of Service"


def count_themes(
    codebook: Sequence[CodedTheme],
    answered: Mapping[str, Collection[int]],
    applied: Collection[Key],
    agreed: Mapping[Key, bool],
) -> list[ThemeTally]:
    """Per open question the codebook codes (in `answered`'s order), each theme's respondents.
    `answered` gives the interviews counted with an answer to each question; codings of any
    other interview are not counted."""
    tallies = []
    for variable_id, interviews in answered.items():
        themes = [t for t in codebook if variable_id in t.variables]
        if not themes:
            continue
        counted = set(interviews)
        carried = {
            (interview, theme)
            for interview, variable, theme in {*applied, *agreed}
            if variable == variable_id and interview in counted
            and agreed.get((interview, variable, theme), True)
        }  # fmt: skip
        counts = tuple(
            ThemeCount(t.theme_id, t.label, t.parent,
                       sum(1 for _, theme in carried if theme == t.theme_id), t.report)
            for t in themes
        )  # fmt: skip
        coded = len({interview for interview, _ in carried})
        tallies.append(ThemeTally(variable_id, len(counted), coded, counts))
    return tallies


def withhold_themes(tallies: Sequence[ThemeTally], view: View) -> list[ThemeTally]:
    """Each question answered by too few councils to publish, withheld: zeros, not counts."""
    return [
        replace(t, base=0, coded=0, withheld_below=view.threshold,
                themes=tuple(replace(c, respondents=0) for c in t.themes))
        if view.withholds(t.base) else t
        for t in tallies
    ]  # fmt: skip


GENERIC_SENTENCE = "{n respondent} mentioned {label}."


def theme_sentences(tally: ThemeTally) -> list[str]:
    """The report's sentences for one question's themes, the most mentioned first, each from
    its own template or the generic one ("Six respondents mentioned external training.");
    themes nobody mentioned are left to the table."""
    if tally.withheld_below:
        return [f"Fewer than {number_words(tally.withheld_below)} respondents answered, so "
                "their themes are not published."]  # fmt: skip
    ranked = sorted((c for c in tally.themes if c.respondents), key=lambda c: -c.respondents)
    return [
        render(c.report or GENERIC_SENTENCE, {"n": c.respondents, "base": tally.base},
               {"label": in_sentence(c.label)})
        for c in ranked
    ]  # fmt: skip


def as_tally(tally: ThemeTally, label: str) -> Tally:
    """The counted themes in the shape every chart and table reads: a multiple choice whose
    codes are the themes (an answer may carry several), over the respondents who answered."""
    names = {str(c.theme_id): c.label if c.parent is None else f"{c.parent} › {c.label}"
             for c in tally.themes}  # fmt: skip
    return Tally(
        variable_id=tally.variable_id,
        type="multi",
        label=label,
        base=tally.base,
        counts={str(c.theme_id): c.respondents for c in tally.themes},
        no_answer=0,
        dont_know=0,
        not_applicable=0,
        answered=tally.base,
        choice_labels=names,
        non_response=False,
        withheld_below=tally.withheld_below,
    )


def themes_dict(tallies: Sequence[ThemeTally]) -> dict[str, object]:
    """The JSON report's "themes": per question its base, how many answers are coded, and per
    theme (by id) its label and respondents; a withheld question is marked, with no figure."""
    return {t.variable_id: _theme_entry(t) for t in tallies}


def _theme_entry(t: ThemeTally) -> dict[str, object]:
    hidden = t.withheld_below is not None
    entry: dict[str, object] = {"withheld": True, "fewer_than": t.withheld_below} if hidden else {}
    entry.update(
        base=None if hidden else t.base,
        coded=None if hidden else t.coded,
        themes={
            str(c.theme_id): {
                "label": c.label,
                "parent": c.parent,
                "respondents": None if hidden else c.respondents,
            }
            for c in t.themes
        },
    )
    return entry


def theme_lines(tallies: Sequence[ThemeTally], labels: Mapping[str, str]) -> list[str]:
    """The Markdown report's closing section: a table per coded question."""
    if not tallies:
        return []
    lines = ["", "## Themes of the open answers"]
    for t in tallies:
        heading = f"### {labels.get(t.variable_id, t.variable_id)} (`{t.variable_id}`)"
        if t.withheld_below:
            lines += ["", heading, "", *theme_sentences(t)]
            continue
        lines += [
            "",
            heading,
            "",
            f"Base: {t.base} respondents who answered; {t.coded} of their answers carry a theme.",
            *(f"\n{sentence}" for sentence in theme_sentences(t)),
            "",
            "| theme | respondents | % of base |",
            "| --- | ---: | ---: |",
        ]
        for c in t.themes:
            label = c.label if c.parent is None else f"{c.parent} › {c.label}"
            share = 100 * c.respondents / t.base if t.base else 0
            lines.append(f"| {label} | {c.respondents} | {share:.0f}% |")
    return lines
