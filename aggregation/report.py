"""The machine-readable report: response figures and every closed variable's tally.

`report_json` is byte-identical for identical data: keys follow the instrument's order and
nothing depends on time or dictionary accidents.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aggregation.disclosure import View, view_sentence
from aggregation.response import ResponseFigures
from aggregation.results import WaveReport, WaveResults
from aggregation.tally import Tally
from aggregation.wording import mean_text, scale_text

RATE_DIGITS = 4
MEAN_DIGITS = 2


def response_dict(figures: ResponseFigures) -> dict[str, Any]:
    return {
        "eligible": figures.eligible,
        "completed": figures.completed,
        "declined": figures.declined,
        "in_progress": figures.in_progress,
        "scheduled": figures.scheduled,
        "not_contacted": figures.not_contacted,
        "response_rate": round(figures.response_rate, RATE_DIGITS),
    }


def view_dict(view: View, counted: int) -> dict[str, Any]:
    """Which interviews the figures count, and the rule that withheld any."""
    return {
        "name": "draft" if view.draft else "published",
        "counts": "every completed interview" if view.draft
        else "completed interviews whose council has validated its submission",
        "counted": counted,
        "threshold": None if view.draft else view.threshold,
    }  # fmt: skip


def tally_dict(tally: Tally) -> dict[str, Any]:
    """One variable's figures; a withheld one is marked and carries none ("fewer than" the
    threshold instead of a base), so no count can be read from it."""
    if tally.withheld_below:
        return {"type": tally.type, "label": tally.label, "withheld": True,
                "fewer_than": tally.withheld_below, "base": None}  # fmt: skip
    entry: dict[str, Any] = {"type": tally.type, "label": tally.label, "base": tally.base}
    if tally.numeric:
        entry.update(n=tally.n, median=tally.median, min=tally.min, max=tally.max)
    else:
        entry["counts"] = dict(tally.counts)
    if tally.mean_score is not None:
        entry["mean_score"] = round(tally.mean_score, MEAN_DIGITS)
    entry.update(
        no_answer=tally.no_answer, dont_know=tally.dont_know, not_applicable=tally.not_applicable
    )
    return entry


def report_dict(report: WaveReport | WaveResults) -> dict[str, object]:
    return {
        "wave": report.wave_key,
        "view": view_dict(report.view, report.counted),
        "response": response_dict(report.figures),
        "variables": {vid: tally_dict(t) for vid, t in report.tallies.items()},
    }


def report_json(
    report: WaveReport | WaveResults,
    *,
    compare: dict[str, Any] | None = None,
    themes: dict[str, Any] | None = None,
) -> str:
    """The report as JSON; `themes` (the open answers' counted themes) follows the variables,
    and `compare` (another wave's figures against these) goes last."""
    data = report_dict(report)
    if themes:
        data["themes"] = themes
    if compare is not None:
        data["compare"] = compare
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def report_markdown(
    report: WaveReport | WaveResults,
    title: str,
    changes: Mapping[str, list[str]] | None = None,
    closing: Sequence[str] = (),
) -> str:
    """The same figures as readable tables, one per variable, non-response always stated;
    `changes` adds, under a variable, what is said of it against another wave; `closing`
    lines end the report."""
    figures, tallies = report.figures, report.tallies
    view = view_sentence(report.view, report.counted, report.waiting, figures.member)
    lines = [
        f"# {title}: results (wave {report.wave_key})",
        "",
        f"{figures.headline}. Response rate (AAPOR RR1): {figures.response_rate:.1%}.",
        "",
        f"**{view}**" if report.view.draft else view,
        "",
        f"| status | {figures.members} |",
        "| --- | ---: |",
    ]
    for name, value in response_dict(figures).items():
        if name not in ("eligible", "response_rate"):
            lines.append(f"| {name.replace('_', ' ')} | {value} |")
    lines.append(f"| **eligible** | **{figures.eligible}** |")
    for vid, tally in tallies.items():
        lines += ["", f"## {tally.label} (`{vid}`)", ""]
        if tally.withheld_below:
            lines.append(f"Base: fewer than {tally.withheld_below} interviews: withheld.")
            continue
        lines += [f"Base: {tally.base} interviews.", ""]
        if tally.numeric:
            lines += [
                "| n | median | min | max |",
                "| ---: | ---: | ---: | ---: |",
                "| "
                + " | ".join(_blank(x) for x in (tally.n, tally.median, tally.min, tally.max))
                + " |",
            ]
        else:
            lines += ["| answer | n | % of base |", "| --- | ---: | ---: |"]
            for code, n in tally.counts.items():
                label = tally.choice_labels.get(code, code)
                lines.append(f"| {label} | {n} | {tally.percentage(n):.0f}% |")
            if tally.mean_score is not None:
                mean = mean_text(tally.mean_score, tally.scores)
                lines += ["", f"Mean score: {mean} (scale {scale_text(tally.scores)})."]
        lines += [
            "",
            f"Did not answer: {tally.no_answer}. Don't know: {tally.dont_know}. "
            f"Not applicable: {tally.not_applicable}.",
        ]
        if changes and changes.get(vid):
            lines += ["", *changes[vid]]
    return "\n".join([*lines, *closing]) + "\n"


def _blank(value: object) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
