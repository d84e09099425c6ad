"""Charts of a wave's tallies: pure functions from tallies to Altair charts, and image export.

Every chart states its base in its subtitle and keeps non-response in view, in the same two
greys everywhere. Colours come from one colour-blind-safe palette (Okabe and Ito, "Color
Universal Design", 2008), and each colour keeps one meaning across the dashboard.

Charts are built from schema objects directly rather than by chained copies, and without
Altair's validate-on-construction debug mode: the dashboard draws some 36 of them whenever
the data change. `chart.to_dict()` still validates them, and the tests call it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import altair as alt
import pandas as pd
import vl_convert as vlc
from altair.utils.schemapi import debug_mode

from aggregation.disclosure import WITHHELD
from aggregation.response import ResponseFigures
from aggregation.tally import Answers, Tally
from aggregation.wording import agree, capitalise, noun_plural
from instrument.model import DONT_KNOW, NO_ANSWER, RESERVED_LABELS, Comparison
from instrument.schedule import Instrument

# Okabe–Ito, plus two greys for non-response (greys carry no hue, so never read as answers).
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "reddish_purple": "#CC79A7",
    "vermillion": "#D55E00",
    "yellow": "#F0E442",
    "black": "#000000",
    "light_grey": "#BBBBBB",
    "dark_grey": "#6E6E6E",
}
ANSWER_COLOUR = PALETTE["blue"]
NO_ANSWER_COLOUR = PALETTE["light_grey"]
DONT_KNOW_COLOUR = PALETTE["dark_grey"]
REFERENCE_COLOUR = PALETTE["black"]
# Segments of a stacked bar in the schedule's choice order: the first choice blue, the last
# orange; more than three choices take the palette in turn.
SEGMENT_COLOURS: dict[int, tuple[str, ...]] = {
    2: (PALETTE["blue"], PALETTE["orange"]),
    3: (PALETTE["blue"], PALETTE["sky_blue"], PALETTE["orange"]),
}
OTHER_SEGMENT_COLOURS = tuple(
    PALETTE[c]
    for c in ("blue", "sky_blue", "bluish_green", "reddish_purple", "orange", "vermillion")
)
# Label colour on each fill: white on the dark ones, black on the light ones.
DARK_FILLS = frozenset(PALETTE[c] for c in ("blue", "bluish_green", "vermillion", "dark_grey"))
STATUS_COLOURS: dict[str, str] = {
    "Completed": PALETTE["bluish_green"],
    "In progress": PALETTE["sky_blue"],
    "Scheduled": PALETTE["reddish_purple"],
    "Not contacted": PALETTE["light_grey"],
    "Declined": PALETTE["vermillion"],
}

NO_ANSWER_LABEL = RESERVED_LABELS[NO_ANSWER]
DONT_KNOW_LABEL = RESERVED_LABELS[DONT_KNOW]
KIND_COLOURS: dict[str, str] = {
    "answer": ANSWER_COLOUR,
    NO_ANSWER: NO_ANSWER_COLOUR,
    DONT_KNOW: DONT_KNOW_COLOUR,
}

# The dashboard's combined charts: the guidance documents side by side, budgets by year.

WIDTH = 460
ROW_HEIGHT = 24  # per bar; a step, so every label shows whatever the container's width
BAR_STEP = 44  # per stacked bar
DOT_STEP = 18  # per council in a dot plot
LABEL_LIMIT = 300
PERCENT_TICKS = list(range(0, 101, 10))

# No box around the plot; text dark and at least 12 px, so every label passes WCAG's 4.5:1
# contrast and reads at arm's length (Vega's defaults are 10-11 px in mid grey).
TEXT, TEXT_SIZE = "#1F1F1F", 12
NO_FRAME = alt.Config(
    view=alt.ViewConfig(stroke=None),
    axis=alt.AxisConfig(labelColor=TEXT, labelFontSize=TEXT_SIZE, titleColor=TEXT,
                        titleFontSize=TEXT_SIZE),
    legend=alt.LegendConfig(labelColor=TEXT, labelFontSize=TEXT_SIZE, titleColor=TEXT,
                            titleFontSize=TEXT_SIZE),
    title=alt.TitleConfig(color=TEXT, subtitleColor=TEXT, subtitleFontSize=TEXT_SIZE),
)  # fmt: skip
Columns = dict[str, list[Any]]  # a small table, column by column (cheaper than a DataFrame)

P = ParamSpec("P")
R = TypeVar("R")


def quick(build: Callable[P, R]) -> Callable[P, R]:
    """Build without validating every schema object as it is made (to_dict still validates).

    Altair's switch is process-wide; were two threads to interleave here it could stay off,
    which only skips that early validation elsewhere too.
    """

    @wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with debug_mode(False):
            return build(*args, **kwargs)

    return wrapper


def base_text(
    tally: Tally, instrument: Instrument | None = None, member: str = "council"
) -> str:
    """'Base: 31 councils interviewed', or '… asked this question' when routing narrows it
    (`member`: the frame's word, "partnership")."""
    routed = (
        instrument is not None
        and instrument.has_variable(tally.variable_id)
        and instrument.condition(tally.variable_id) is not None
    )
    if tally.withheld_below:
        return f"Base: {withheld_text(tally, member)}"
    members = agree(tally.base, member, noun_plural(member))
    return f"Base: {tally.base} {members} " + ("asked this question" if routed else "interviewed")


def withheld_text(tally: Tally, member: str = "council") -> str:
    """'fewer than 5 councils, so not published': what a withheld figure reads instead."""
    return f"fewer than {tally.withheld_below} {noun_plural(member)}, so not published"


def count_text(n: int, base: int) -> str:
    """'19 (61%)': a count with its share of the base, to the nearest whole per cent."""
    share = 100.0 * n / base if base else 0.0
    return f"{n} ({share:.0f}%)"


def tally_rows(tally: Tally) -> list[dict[str, Any]]:
    """One row per choice in schedule order, then Did not answer and Don't know, zeros kept
    (where a tally can have them); none for a withheld tally."""
    if tally.withheld_below:
        return []
    rows = [
        ("answer", code, tally.choice_labels.get(code, code), n) for code, n in tally.counts.items()
    ]
    if tally.non_response:
        rows += [
            (NO_ANSWER, NO_ANSWER, NO_ANSWER_LABEL, tally.no_answer),
            (DONT_KNOW, DONT_KNOW, DONT_KNOW_LABEL, tally.dont_know),
        ]
    return [
        {
            "kind": kind,
            "code": code,
            "label": label,
            "n": n,
            "pct": round(tally.percentage(n), 1),
            "text": count_text(n, tally.base),
            "base": tally.base,
            "said": f"{label}: {count_text(n, tally.base)}",  # what a screen reader hears
        }
        for kind, code, label, n in rows
    ]


def tally_table(tally: Tally) -> Columns:
    """The table beside a chart: answer, n, % of base, as people read them."""
    if tally.withheld_below:
        return {"Answer": [f"Withheld: {withheld_text(tally)}"], "n": [WITHHELD],
                "% of base": [WITHHELD]}  # fmt: skip
    rows = tally_rows(tally)
    return {
        "Answer": [r["label"] for r in rows],
        "n": [r["n"] for r in rows],
        "% of base": [round(r["pct"]) for r in rows],
    }


def _percent_rows(tally: Tally) -> list[dict[str, Any]]:
    counted = [
        ("n", "Gave a figure", tally.n or 0),
        (NO_ANSWER, NO_ANSWER_LABEL, tally.no_answer),
        (DONT_KNOW, DONT_KNOW_LABEL, tally.dont_know),
    ]
    summary = [("median", "Median", tally.median), ("min", "Lowest", tally.min),
               ("max", "Highest", tally.max)]  # fmt: skip
    rows = [
        {"code": c, "label": label, "n": n, "pct": round(tally.percentage(n), 1)}
        for c, label, n in counted
    ]
    rows[1:1] = [{"code": c, "label": label, "n": v, "pct": None} for c, label, v in summary]
    return rows


def percent_table(tally: Tally) -> Columns:
    """The summary beside a percent variable's chart: figures given, median, range, non-response."""
    if tally.withheld_below:
        return {"Figure": ["Withheld"], "Value": [withheld_text(tally)]}
    rows = _percent_rows(tally)
    values = ["" if r["n"] is None else f"{r['n']:g}" for r in rows]
    return {"Figure": [r["label"] for r in rows], "Value": values}


def tally_csv(tallies: Sequence[Tally]) -> str:
    """Tallies as one long CSV: variable_id, code, label, n, pct_of_base, base."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["variable_id", "code", "label", "n", "pct_of_base", "base"])
    for tally in tallies:
        if tally.withheld_below:
            writer.writerow([tally.variable_id, WITHHELD, withheld_text(tally), "", "", ""])
            continue
        rows = _percent_rows(tally) if tally.numeric else tally_rows(tally)
        for r in rows:
            n = "" if r["n"] is None else r["n"]
            pct = "" if r["pct"] is None else r["pct"]
            writer.writerow([tally.variable_id, r["code"], r["label"], n, pct, tally.base])
    return out.getvalue()


def columns_csv(columns: Columns) -> str:
    """A small table as CSV, header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*columns.values(), strict=True))
    return out.getvalue()


def chart_title(label: str, subtitle: str) -> alt.Title:
    return alt.Title(label, subtitle=subtitle, anchor="start")


def layered(
    layers: list[alt.Chart], values: list[dict[str, Any]], **properties: Any
) -> alt.LayerChart:
    return alt.LayerChart(
        layer=layers, data=alt.InlineData(values=values), config=NO_FRAME, **properties
    )


@quick
def tally_chart(
    tally: Tally, instrument: Instrument | None = None, member: str = "council"
) -> alt.LayerChart:
    """Horizontal bars of counts labelled '19 (61%)', non-response in greys; x runs to the base.

    Multiple choice: one bar per code (councils choosing it), so shares may add to over 100%.
    """
    rows = tally_rows(tally)
    subtitle = base_text(tally, instrument, member)
    if tally.multiple:
        subtitle += " · more than one answer possible"
    y = alt.Y(
        "label:N",
        sort=[r["label"] for r in rows],
        title=None,
        axis=alt.Axis(labelLimit=LABEL_LIMIT),
    )
    x = alt.X("n:Q", title=None, axis=None, scale=alt.Scale(domain=[0, max(tally.base, 1)]))
    colour = alt.Color(
        "kind:N",
        legend=None,
        scale=alt.Scale(domain=list(KIND_COLOURS), range=list(KIND_COLOURS.values())),
    )
    bars = alt.Chart(
        mark=alt.MarkDef(type="bar"),
        encoding=alt.FacetedEncoding(
            y=y,
            x=x,
            color=colour,
            tooltip=[alt.Tooltip("label:N", title="Answer"), alt.Tooltip("text:N", title="n (%)")],
            # each bar's text alternative: its answer and count, not the fields behind them
            description=alt.Description("said:N"),
        ),
    )
    labels = alt.Chart(
        mark=alt.MarkDef(
            type="text", align="left", baseline="middle", dx=4, color=REFERENCE_COLOUR
        ),
        encoding=alt.FacetedEncoding(y=y, x=x, text=alt.Text("text:N")),
    )
    return layered([bars, labels], rows, title=chart_title(tally.label, subtitle), width=WIDTH,
                  height=alt.Step(ROW_HEIGHT))  # fmt: skip


def segment_colours(codes: Sequence[str]) -> list[str]:
    """Colours for a stacked bar's answer segments: the same for the same number of choices."""
    return list(SEGMENT_COLOURS.get(len(codes), OTHER_SEGMENT_COLOURS[: len(codes)]))


def comparison_rows(tallies: Sequence[Tally], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Several tallies sharing one choice list: one row per (bar, segment), in segment order."""
    rows = []
    for tally in tallies:
        bar = bar_name(tally, names)
        for order, row in enumerate(tally_rows(tally)):
            rows.append({"bar": bar, "order": order, **row})
    return rows


@quick
def comparison_chart(
    tallies: Sequence[Tally], names: Mapping[str, str], title: str, subtitle: str
) -> alt.LayerChart:
    """One stacked horizontal bar per variable, segments as shares of each variable's base."""
    rows = comparison_rows(tallies, names)
    codes = list(tallies[0].counts)
    segments = [tallies[0].choice_labels.get(c, c) for c in codes]
    segments += [NO_ANSWER_LABEL, DONT_KNOW_LABEL]
    fills = [*segment_colours(codes), NO_ANSWER_COLOUR, DONT_KNOW_COLOUR]
    inks = ["white" if f in DARK_FILLS else REFERENCE_COLOUR for f in fills]
    y = alt.Y(
        "bar:N",
        sort=list(dict.fromkeys(r["bar"] for r in rows)),
        title=None,
        axis=alt.Axis(labelLimit=LABEL_LIMIT),
    )
    x = alt.X("pct:Q", title="% of base (labels: how many)", stack="zero",
              scale=alt.Scale(domain=[0, 100]))  # fmt: skip
    order = alt.Order("order:Q")
    bars = alt.Chart(
        mark=alt.MarkDef(type="bar"),
        encoding=alt.FacetedEncoding(
            y=y,
            x=x,
            order=order,
            color=alt.Color(
                "label:N",
                title=None,
                sort=segments,
                scale=alt.Scale(domain=segments, range=fills),
                legend=alt.Legend(
                    orient="bottom",
                    direction="horizontal",
                    columns=len(segments) if len(segments) <= 4 else 2,
                ),
            ),
            tooltip=[
                alt.Tooltip("bar:N", title="Of"),
                alt.Tooltip("label:N", title="Answer"),
                alt.Tooltip("text:N", title="n (%)"),
            ],
        ),
    )
    labels = alt.Chart(
        mark=alt.MarkDef(type="text", baseline="middle", fontWeight="bold"),
        transform=[alt.FilterTransform(filter="datum.n > 0")],
        encoding=alt.FacetedEncoding(
            y=y,
            x=alt.X("pct:Q", stack="zero", bandPosition=0.5),
            order=order,
            text=alt.Text("n:Q"),
            color=alt.Color("label:N", legend=None, scale=alt.Scale(domain=segments, range=inks)),
        ),
    )
    return layered([bars, labels], rows, title=chart_title(title, subtitle), width=WIDTH,
                  height=alt.Step(BAR_STEP),
                  resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")))  # fmt: skip


def comparison_table(tallies: Sequence[Tally], names: Mapping[str, str]) -> Columns:
    """The table beside a comparison chart: one row per answer, one '5 (45%)' column per bar
    (a withheld tally's column reads "withheld" throughout)."""
    shown = [t for t in tallies if not t.withheld_below]
    answers = [r["label"] for r in tally_rows(shown[0])] if shown else [WITHHELD]
    columns: Columns = {"Answer": answers}
    for tally in tallies:
        rows = tally_rows(tally)
        columns[bar_name(tally, names)] = (
            [r["text"] for r in rows] if rows else [WITHHELD] * len(answers)
        )
    return columns


def bar_name(tally: Tally, names: Mapping[str, str]) -> str:
    """'SWIA guidance (base 23)', or '… (fewer than 5)' for a withheld tally."""
    base = f"fewer than {tally.withheld_below}" if tally.withheld_below else f"base {tally.base}"
    return f"{names.get(tally.variable_id, tally.label)} ({base})"


def comparison_names(comparison: Comparison, tallies: Mapping[str, Tally]) -> dict[str, str]:
    """Each compared variable's bar name: the schedule's, else the variable's label."""
    return {v: comparison.names.get(v, tallies[v].label) for v in comparison.variables}


def declared_comparison_chart(
    comparison: Comparison, tallies: Mapping[str, Tally], member: str = "council"
) -> alt.LayerChart:
    """A comparison the schedule declares, its bases said: one base when they agree, else
    each bar's (after who they count, where the schedule says)."""
    chosen = [tallies[v] for v in comparison.variables]
    names = comparison_names(comparison, tallies)
    each = "; ".join(f"{names[t.variable_id]} {t.base}" for t in chosen)
    if comparison.base:
        base = f"Base: {comparison.base} ({each})"
    elif len({t.base for t in chosen}) == 1:
        counted = agree(chosen[0].base, member, noun_plural(member))
        base = f"Base: {chosen[0].base} {counted} interviewed"
    else:
        base = f"Base: {each}"
    return comparison_chart(chosen, names, comparison.title, base)


def wave_pair_chart(now: Tally, then: Tally, wave: str, other_wave: str) -> alt.LayerChart:
    """One question in two waves: a stacked bar per wave, each as shares of its own base (a
    multiple choice, whose shares add to more than 100%: a bar per answer and wave)."""
    if now.multiple:
        return mentions_pair_chart(now, then, wave, other_wave)
    pair = [replace(now, variable_id=f"{wave}:{now.variable_id}"),
            replace(then, variable_id=f"{other_wave}:{then.variable_id}")]  # fmt: skip
    names = {pair[0].variable_id: f"Wave {wave}", pair[1].variable_id: f"Wave {other_wave}"}
    return comparison_chart(pair, names, now.label, f"Wave {wave} against wave {other_wave}")


@quick
def mentions_pair_chart(now: Tally, then: Tally, wave: str, other_wave: str) -> alt.LayerChart:
    """A multiple choice in two waves: per answer, a bar for each wave, each the share of that
    wave's base mentioning it, labelled '12 (39%)'."""
    waves = [f"Wave {wave} (base {now.base})", f"Wave {other_wave} (base {then.base})"]
    rows = [
        {**row, "wave": name}
        for name, tally in zip(waves, (now, then), strict=True)
        for row in tally_rows(tally)
    ]
    answers = list(dict.fromkeys(r["label"] for r in rows))
    y = alt.Y("label:N", sort=answers, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    x = alt.X("pct:Q", title="% of each wave's base", scale=alt.Scale(domain=[0, 100]))
    offset = alt.YOffset("wave:N", sort=waves)
    bars = alt.Chart(
        mark=alt.MarkDef(type="bar"),
        encoding=alt.FacetedEncoding(
            y=y, x=x, yOffset=offset,
            color=alt.Color("wave:N", title=None, sort=waves,
                            scale=alt.Scale(domain=waves, range=[ANSWER_COLOUR, PALETTE["orange"]]),
                            legend=alt.Legend(orient="bottom", direction="horizontal")),
            tooltip=[alt.Tooltip("wave:N", title="Wave"), alt.Tooltip("label:N", title="Answer"),
                     alt.Tooltip("text:N", title="n (%)")],
        ),
    )  # fmt: skip
    labels = alt.Chart(
        mark=alt.MarkDef(type="text", align="left", baseline="middle", dx=4,
                         color=REFERENCE_COLOUR),
        encoding=alt.FacetedEncoding(y=y, x=x, yOffset=offset, text=alt.Text("text:N")),
    )  # fmt: skip
    subtitle = f"Wave {wave} against wave {other_wave} · more than one answer possible"
    return layered([bars, labels], rows, title=chart_title(now.label, subtitle), width=WIDTH,
                  height=alt.Step(ROW_HEIGHT / 2 + 2))  # fmt: skip


def percent_by_council(answers: Answers, variable_id: str) -> pd.DataFrame:
    """Councils that gave a figure for a percent variable: name and value, highest first."""
    values = pd.to_numeric(answers.wide[variable_id], errors="coerce")
    frame = pd.DataFrame(
        {"council": answers.interviews["council_name"], "value": values}, index=answers.wide.index
    ).dropna()
    frame["value"] = frame["value"].astype(int)
    return frame.sort_values(["value", "council"], ascending=[False, True]).reset_index(drop=True)


@quick
def inhouse_dot_chart(
    points: pd.DataFrame, tally: Tally, member: str = "council"
) -> alt.LayerChart:
    """One dot per council on a 0–100% in-house axis, with a rule at 50:50."""
    subtitle = f"{base_text(tally, member=member)} · {tally.n or 0} gave a figure"
    if tally.withheld_below:
        subtitle = base_text(tally, member=member)
        points = points.iloc[0:0]
    elif tally.no_answer or tally.dont_know:
        subtitle += (
            f" · {NO_ANSWER_LABEL}: {tally.no_answer} · {DONT_KNOW_LABEL}: {tally.dont_know}"
        )
    records = [
        {"council": c, "value": int(v)}
        for c, v in zip(points["council"], points["value"], strict=True)
    ]
    x = alt.X(
        "value:Q",
        title=f"{tally.label} (%)",
        scale=alt.Scale(domain=[0, 100]),
        axis=alt.Axis(values=PERCENT_TICKS),
    )
    dots = alt.Chart(
        mark=alt.MarkDef(type="circle", size=80, opacity=1, color=ANSWER_COLOUR),
        encoding=alt.FacetedEncoding(
            x=x,
            y=alt.Y(
                "council:N",
                sort=[r["council"] for r in records],
                title=None,
                axis=alt.Axis(labelLimit=LABEL_LIMIT),
            ),
            tooltip=[
                alt.Tooltip("council:N", title=capitalise(member)),
                alt.Tooltip("value:Q", title="In-house %"),
            ],
        ),
    )
    # The reference line reads the chart's own data, collapsed to one row, so the chart has a
    # single dataset (which Streamlit can be given as Arrow).
    one_row = [
        alt.AggregateTransform(aggregate=[alt.AggregatedFieldDef(op="count", **{"as": "n"})])
    ]
    half = alt.XDatum(datum=50)
    rule = alt.Chart(
        mark=alt.MarkDef(type="rule", color=REFERENCE_COLOUR, strokeDash=[4, 3],
                         description="Reference line at 50%: as much in-house as purchased"),
        transform=one_row,
        encoding=alt.FacetedEncoding(x=half),
    )
    rule_label = alt.Chart(
        mark=alt.MarkDef(type="text", align="left", baseline="bottom", dx=3, y=-2,
                         color=REFERENCE_COLOUR, text="50:50"),
        transform=one_row,
        encoding=alt.FacetedEncoding(x=half),
    )  # fmt: skip
    return layered([rule, rule_label, dots], records, title=chart_title(tally.label, subtitle),
                  width=WIDTH, height=alt.Step(DOT_STEP))  # fmt: skip


def response_rows(figures: ResponseFigures) -> list[dict[str, Any]]:
    """Councils by fieldwork status, in fieldwork order, zeros kept."""
    statuses = [
        ("Completed", figures.completed),
        ("In progress", figures.in_progress),
        ("Scheduled", figures.scheduled),
        ("Not contacted", figures.not_contacted),
        ("Declined", figures.declined),
    ]
    return [
        {
            "status": status,
            "n": n,
            "pct": round(100 * n / figures.eligible) if figures.eligible else 0,
            "text": count_text(n, figures.eligible),
        }
        for status, n in statuses
    ]


def response_table(figures: ResponseFigures) -> Columns:
    rows = response_rows(figures)
    return {
        "Status": [r["status"] for r in rows],
        capitalise(figures.members): [r["n"] for r in rows],
        f"% of {figures.members}": [r["pct"] for r in rows],
    }


@quick
def response_chart(figures: ResponseFigures) -> alt.LayerChart:
    """The councils of the wave by fieldwork status, labelled '27 (84%)'."""
    rows = response_rows(figures)
    statuses = [r["status"] for r in rows]
    y = alt.Y("status:N", sort=statuses, title=None)
    x = alt.X("n:Q", title=None, axis=None, scale=alt.Scale(domain=[0, max(figures.eligible, 1)]))
    bars = alt.Chart(
        mark=alt.MarkDef(type="bar"),
        encoding=alt.FacetedEncoding(
            y=y,
            x=x,
            color=alt.Color(
                "status:N",
                legend=None,
                scale=alt.Scale(domain=statuses, range=[STATUS_COLOURS[s] for s in statuses]),
            ),
            tooltip=[
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("text:N", title=f"{capitalise(figures.members)} (%)"),
            ],
        ),
    )
    labels = alt.Chart(
        mark=alt.MarkDef(
            type="text", align="left", baseline="middle", dx=4, color=REFERENCE_COLOUR
        ),
        encoding=alt.FacetedEncoding(y=y, x=x, text=alt.Text("text:N")),
    )
    base = f"Base: {figures.eligible} {figures.members} in the wave"
    return layered([bars, labels], rows, title=chart_title("Response", base),
                  width=WIDTH, height=alt.Step(ROW_HEIGHT))  # fmt: skip


def _spec(chart: alt.TopLevelMixin | str) -> str:
    return chart if isinstance(chart, str) else chart.to_json()


def chart_png(chart: alt.TopLevelMixin | str, *, scale: float = 2) -> bytes:
    """A chart (or its Vega-Lite JSON) as PNG at twice the size, rendered without a browser."""
    return vlc.vegalite_to_png(_spec(chart), scale=scale)


def chart_svg(chart: alt.TopLevelMixin | str) -> str:
    """A chart (or its Vega-Lite JSON) as SVG text, rendered without a browser."""
    return vlc.vegalite_to_svg(_spec(chart))
