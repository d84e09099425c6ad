"""Charts of scored questions (a self-assessment's 2/1/0, a spectrum's −2 … +2), and the one
place that draws any comparison a schedule declares, whichever way it says to show it.

A diverging bar puts each question's answers either side of the scale's middle (the middle
point split across it), so "more traditional" and "more collaborative" read left and right;
a means chart gives each question's mean score on the scale's own axis. Both state their base
and their non-response, like every other chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

from aggregation.charts import (
    BAR_STEP,
    DARK_FILLS,
    DONT_KNOW_LABEL,
    LABEL_LIMIT,
    NO_ANSWER_LABEL,
    PALETTE,
    REFERENCE_COLOUR,
    WIDTH,
    Columns,
    bar_name,
    chart_title,
    comparison_names,
    count_text,
    declared_comparison_chart,
    layered,
    quick,
)
from aggregation.disclosure import WITHHELD
from aggregation.tally import Tally
from aggregation.wording import mean_text, scale_text
from instrument.model import Comparison

# From the low end of a scale to the high: warm for one end, cool for the other, yellow between.
SCALE_COLOURS: dict[int, tuple[str, ...]] = {
    3: (PALETTE["vermillion"], PALETTE["yellow"], PALETTE["blue"]),
    5: (PALETTE["vermillion"], PALETTE["orange"], PALETTE["yellow"], PALETTE["sky_blue"],
        PALETTE["blue"]),
}  # fmt: skip


def declared_chart(
    comparison: Comparison, tallies: Mapping[str, Tally], member: str = "council"
) -> alt.LayerChart:
    """A comparison the schedule declares, drawn as it says: stacked bars, diverging, means."""
    chosen = [tallies[v] for v in comparison.variables]
    names = comparison_names(comparison, tallies)
    if comparison.show == "diverging":
        return diverging_chart(chosen, names, comparison.title)
    if comparison.show == "means":
        return means_chart(chosen, names, comparison.title)
    return declared_comparison_chart(comparison, tallies, member)


def declared_table(comparison: Comparison, tallies: Mapping[str, Tally]) -> Columns | None:
    """The means table beside a means chart; None where the stacked bars' table serves."""
    if comparison.show != "means":
        return None
    return means_table([tallies[v] for v in comparison.variables],
                       comparison_names(comparison, tallies))  # fmt: skip


def _points(tally: Tally) -> list[str]:
    """The scale's codes from its low end to its high."""
    return sorted(tally.scores, key=lambda code: tally.scores[code])


def _colours(count: int) -> list[str]:
    known = SCALE_COLOURS.get(count)
    if known:
        return list(known)
    return [PALETTE[c] for c in ("vermillion", "orange", "yellow", "sky_blue", "blue",
                                 "bluish_green", "reddish_purple")][:count]  # fmt: skip


def diverging_rows(tallies: Sequence[Tally], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per question and scale point, where its segment starts and ends in % of the base:
    below-middle points left of 0, above-middle right, the middle point across it."""
    rows = []
    for tally in tallies:
        points = _points(tally)
        middle = (min(tally.scores.values()) + max(tally.scores.values())) / 2
        share = {code: tally.percentage(tally.counts[code]) for code in points}
        start = -sum(s for code, s in share.items() if tally.scores[code] < middle)
        start -= sum(s for code, s in share.items() if tally.scores[code] == middle) / 2
        for order, code in enumerate(points):
            n = tally.counts[code]
            rows.append({
                "bar": bar_name(tally, names), "order": order, "code": code,
                "label": tally.choice_labels.get(code, code), "n": n,
                "start": round(start, 2), "end": round(start + share[code], 2),
                "text": count_text(n, tally.base),
            })  # fmt: skip
            start += share[code]
    return rows


def _non_response(tallies: Sequence[Tally]) -> str:
    missing = sum(t.no_answer for t in tallies), sum(t.dont_know for t in tallies)
    if not any(missing):
        return ""
    return f" · {NO_ANSWER_LABEL}: {missing[0]} · {DONT_KNOW_LABEL}: {missing[1]} (not drawn)"


def _base_subtitle(tallies: Sequence[Tally], names: Mapping[str, str]) -> str:
    bases = {t.base for t in tallies}
    if len(bases) == 1:
        return f"Base: {bases.pop()} interviewed"
    return "Base: " + "; ".join(f"{names.get(t.variable_id, t.label)} {t.base}" for t in tallies)


@quick
def diverging_chart(
    tallies: Sequence[Tally], names: Mapping[str, str], title: str
) -> alt.LayerChart:
    """A bar per question, its answers either side of the scale's middle, labelled with counts."""
    rows = diverging_rows(tallies, names)
    points = _points(tallies[0])
    segments = [tallies[0].choice_labels.get(c, c) for c in points]
    fills = _colours(len(points))
    inks = ["white" if f in DARK_FILLS else REFERENCE_COLOUR for f in fills]
    y = alt.Y("bar:N", sort=list(dict.fromkeys(r["bar"] for r in rows)), title=None,
              axis=alt.Axis(labelLimit=LABEL_LIMIT))  # fmt: skip
    x = alt.X("start:Q", title="% of base", scale=alt.Scale(domain=[-100, 100]))
    bars = alt.Chart(
        mark=alt.MarkDef(type="bar"),
        encoding=alt.FacetedEncoding(
            y=y, x=x, x2=alt.X2("end:Q"),
            color=alt.Color("label:N", title=None, sort=segments,
                            scale=alt.Scale(domain=segments, range=fills),
                            legend=alt.Legend(orient="bottom", direction="horizontal",
                                              columns=min(len(segments), 3))),
            tooltip=[alt.Tooltip("bar:N", title="Of"), alt.Tooltip("label:N", title="Answer"),
                     alt.Tooltip("text:N", title="n (%)")],
        ),
    )  # fmt: skip
    labels = alt.Chart(
        mark=alt.MarkDef(type="text", baseline="middle", fontWeight="bold"),
        transform=[alt.FilterTransform(filter="datum.n > 0"),
                   alt.CalculateTransform(calculate="(datum.start + datum.end) / 2",
                                          **{"as": "middle"})],
        encoding=alt.FacetedEncoding(
            y=y, x=alt.X("middle:Q"), text=alt.Text("n:Q"),
            color=alt.Color("label:N", legend=None, scale=alt.Scale(domain=segments, range=inks)),
        ),
    )  # fmt: skip
    centre = alt.Chart(
        mark=alt.MarkDef(type="rule", color=REFERENCE_COLOUR,
                         description="The scale's middle: as many answers either side"),
        transform=[alt.AggregateTransform(
            aggregate=[alt.AggregatedFieldDef(op="count", **{"as": "n"})])],
        encoding=alt.FacetedEncoding(x=alt.XDatum(datum=0)),
    )  # fmt: skip
    subtitle = _base_subtitle(tallies, names) + _non_response(tallies)
    return layered([bars, labels, centre], rows, title=chart_title(title, subtitle), width=WIDTH,
                  height=alt.Step(BAR_STEP),
                  resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")))  # fmt: skip


def means_rows(tallies: Sequence[Tally], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per question: its mean score (None where nobody gave a point) and how many gave one."""
    rows = []
    for tally in tallies:
        mean = tally.mean_score
        scored = sum(tally.counts[code] for code in tally.scores)
        shown = "no answers" if mean is None else mean_text(mean, tally.scores)
        rows.append({
            "bar": names.get(tally.variable_id, tally.label), "mean": mean,
            "scored": scored, "base": tally.base, "text": f"{shown} (n = {scored})",
        })  # fmt: skip
    return rows


def means_table(tallies: Sequence[Tally], names: Mapping[str, str]) -> Columns:
    """The table beside a means chart: question, mean, those scoring it, the base."""
    rows = means_rows(tallies, names)
    return {
        "Question": [r["bar"] for r in rows],
        f"Mean ({scale_text(tallies[0].scores)})": [
            "" if r["mean"] is None else mean_text(r["mean"], tallies[0].scores) for r in rows
        ],
        "Gave a score": [WITHHELD if t.withheld_below else str(r["scored"])
                         for t, r in zip(tallies, rows, strict=True)],
        "Base": [WITHHELD if t.withheld_below else str(r["base"])
                 for t, r in zip(tallies, rows, strict=True)],
    }  # fmt: skip


@quick
def means_chart(tallies: Sequence[Tally], names: Mapping[str, str], title: str) -> alt.LayerChart:
    """A bar per question to its mean score, on the scale's whole range, labelled '1.4 (n = 29)'."""
    rows = means_rows(tallies, names)
    scores = tallies[0].scores.values()
    low, high = min(scores), max(scores)
    y = alt.Y("bar:N", sort=[r["bar"] for r in rows], title=None,
              axis=alt.Axis(labelLimit=LABEL_LIMIT))  # fmt: skip
    x = alt.X("mean:Q", title=f"Mean score ({scale_text(tallies[0].scores)})",
              scale=alt.Scale(domain=[low, high]), axis=alt.Axis(tickMinStep=0.5))  # fmt: skip
    bars = alt.Chart(
        mark=alt.MarkDef(type="bar", color=PALETTE["blue"]),
        encoding=alt.FacetedEncoding(
            y=y, x=x,
            tooltip=[alt.Tooltip("bar:N", title="Question"), alt.Tooltip("text:N", title="Mean")],
        ),
    )  # fmt: skip
    labels = alt.Chart(
        mark=alt.MarkDef(type="text", align="left", baseline="middle", dx=4,
                         color=REFERENCE_COLOUR),
        encoding=alt.FacetedEncoding(y=y, x=alt.X("mean:Q"), text=alt.Text("text:N")),
    )  # fmt: skip
    subtitle = _base_subtitle(tallies, names) + " · the mean of those who gave a score"
    return layered([bars, labels], rows, title=chart_title(title, subtitle), width=WIDTH,
                  height=alt.Step(28))  # fmt: skip
