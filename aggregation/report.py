"""The machine-readable report: response figures and every closed variable's tally.

`report_json` is byte-identical for identical data: keys follow the instrument's order and
nothing depends on time or dictionary accidents.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aggregation.response import ResponseFigures
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


def tally_dict(tally: Tally) -> dict[str, Any]:
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


def report_dict(
    wave_key: str, figures: ResponseFigures, tallies: dict[str, Tally]
) -> dict[str, object]:
    return {
        "wave": wave_key,
        "response": response_dict(figures),
        "variables": {vid: tally_dict(t) for vid, t in tallies.items()},
    }


def report_json(
    wave_key: str,
    figures: ResponseFigures,
    tallies: dict[str, Tally],
    *,
    compare: dict[str, Any] | None = None,
    themes: dict[str, Any] | None = None,
) -> str:
    """The report as JSON; `themes` (the open answers' counted themes) follows the variables,
    and `compare` (another wave's figures against these) goes last."""
    data = report_dict(wave_key, figures, tallies)
    if themes:
        data["themes"] = themes
    if compare is not None:
        data["compare"] = compare
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def report_markdown(
    wave_key: str,
    title: str,
    figures: ResponseFigures,
    tallies: dict[str, Tally],
    changes: Mapping[str, list[str]] | None = None,
    closing: Sequence[str] = (),
) -> str:
    """The same figures as readable tables, one per variable, non-response always stated;
    `changes` adds, under a variable, what is said of it against another wave; `closing`
    lines end the report."""
    lines = [
        f"# {title}: results (wave {wave_key})",
        "",
        f"{figures.headline}. Response rate (AAPOR RR1): {figures.response_rate:.1%}.",
        "",
        f"| status | {figures.members} |",
        "| --- | ---: |",
    ]
    for name, value in response_dict(figures).items():
        if name not in ("eligible", "response_rate"):
            lines.append(f"| {name.replace('_', ' ')} | {value} |")
    lines.append(f"| **eligible** | **{figures.eligible}** |")
    for vid, tally in tallies.items():
        lines += ["", f"## {tally.label} (`{vid}`)", "", f"Base: {tally.base} interviews.", ""]
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
