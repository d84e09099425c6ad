"""The dashboard's exhibits: for a wave's results, every chart with its table and CSV, by part.

Pure and picklable (so a page can cache them): charts are kept as Vega-Lite JSON. Every
closed variable appears in exactly one exhibit, in schedule order; a combined chart (the two
guidance documents, budget reductions by year) stands where its first variable would.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace

import altair as alt
import pyarrow as pa

from aggregation import charts, scale_charts
from aggregation.results import WaveResults
from aggregation.text import methodology_paragraph, report_sentences, view_text
from instrument.model import Comparison, Variable
from instrument.progress import routing_text
from instrument.schedule import Instrument
from instrument.types import Counting, question_type

SPECS_KEPT = 2048


@dataclass(frozen=True)
class Exhibit:
    """One chart with the table shown beside it and the figures behind its CSV download."""

    key: str  # unique on the page: the variable ids it shows, joined by "+"
    heading: str  # "Q11a SWIA guidance"
    caption: str  # what was asked (instrument text, not escaped)
    spec: str  # the chart as Vega-Lite JSON
    table: pa.Table  # Arrow: what Streamlit sends, and quick to make for a few rows
    csv: str
    variable_ids: tuple[str, ...]
    sentences: tuple[str, ...] = ()  # the draft report text for the variables shown
    withheld: str = ""  # published view: why nothing is shown ("fewer than 5 councils, …")


@dataclass(frozen=True)
class Section:
    title: str  # "Part A: Involving users and carers …"
    exhibits: tuple[Exhibit, ...]


class _SpecMemo:
    """Chart specs by what they show. One saved answer changes a tally or two, so the rest of
    the dashboard's charts (some 10 ms of Altair each) are reused rather than rebuilt."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._specs: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, key: Hashable, build: Callable[[], alt.TopLevelMixin]) -> str:
        with self._lock:
            spec = self._specs.get(key)
            if spec is not None:
                self._specs.move_to_end(key)
                return spec
        # Unvalidated for speed: the chart functions' tests validate what they produce.
        spec = json.dumps(build().to_dict(validate=False))
        with self._lock:
            self._specs[key] = spec
            while len(self._specs) > self._size:
                self._specs.popitem(last=False)
        return spec


_spec = _SpecMemo(SPECS_KEPT)


def response_exhibit(results: WaveResults) -> Exhibit:
    figures = results.figures
    table = charts.response_table(figures)
    return Exhibit(
        "response",
        "Response",
        "",
        _spec(("response", repr(figures)), lambda: charts.response_chart(figures)),
        pa.table(table),
        charts.columns_csv(table),
        (),
        (
            methodology_paragraph(results.instrument, results.interviews, figures, results.view),
            view_text(results),
        ),
    )


def dashboard_sections(results: WaveResults) -> tuple[Section, ...]:
    """Everything the dashboard shows, in order: the response, who answered, then each part."""
    sentences = report_sentences(results)  # once for the wave, not once per section
    return (
        Section("Response", (response_exhibit(results),)),
        Section("Who answered", _record_exhibits(results, sentences)),
        *_part_sections(results, sentences),
    )


def _record_exhibits(results: WaveResults, sentences: dict[str, list[str]]) -> tuple[Exhibit, ...]:
    """Who answered: the interview record's closed variables (the respondent's role)."""
    return _with_text(
        results,
        sentences,
        tuple(
            _tally_exhibit(results, v) for v in results.instrument.record_variables if v.is_closed
        ),
    )


def _part_sections(results: WaveResults, sentences: dict[str, list[str]]) -> tuple[Section, ...]:
    return tuple(
        Section(
            f"Part {p.id}: {p.title}",
            _with_text(results, sentences, _part_exhibits(results, p.variables)),
        )
        for p in results.instrument.parts
    )


def _withheld(results: WaveResults, variable_ids: tuple[str, ...]) -> str:
    """What an exhibit reads instead of figures when every tally it shows is withheld."""
    tallies = [results.tallies[v] for v in variable_ids if v in results.tallies]
    if tallies and all(t.withheld_below for t in tallies):
        return f"Withheld: {charts.withheld_text(tallies[0], results.figures.member)}."
    return ""


def _with_text(
    results: WaveResults, sentences: dict[str, list[str]], exhibits: tuple[Exhibit, ...]
) -> tuple[Exhibit, ...]:
    """Each exhibit with the report sentences of the variables it shows, in the same order,
    and whether its figures are withheld."""
    said: set[str] = set()  # a question drawn twice (bars, then means) is written up once
    with_text = []
    for exhibit in exhibits:
        new = [v for v in exhibit.variable_ids if v not in said]
        said.update(new)
        text = tuple(s for v in new for s in sentences.get(v, []))
        with_text.append(
            replace(exhibit, sentences=text, withheld=_withheld(results, exhibit.variable_ids))
        )
    return tuple(with_text)


def _part_exhibits(results: WaveResults, variables: tuple[Variable, ...]) -> tuple[Exhibit, ...]:
    exhibits: list[Exhibit] = []
    ids = {v.id for v in variables}
    for variable in variables:
        if not variable.is_closed:
            continue
        groups = [c for c in results.instrument.comparisons
                  if variable.id in c.variables and set(c.variables) <= ids]  # fmt: skip
        if groups:
            exhibits += [_combined_exhibit(results, g) for g in groups
                         if variable.id == g.variables[0]]  # fmt: skip
        elif question_type(variable).counting == Counting.NUMERIC:
            exhibits.append(_percent_exhibit(results, variable))
            if variable.bands:
                exhibits.append(_band_exhibit(results, variable))
        else:
            exhibits.append(_tally_exhibit(results, variable))
    return tuple(exhibits)


def _heading(variable: Variable, label: str | None = None) -> str:
    return f"{variable.display_number} {label or variable.label}".strip()


def _caption(variable: Variable, instrument: Instrument) -> str:
    asked = "Coded by the interviewer: " if variable.coded else "Asked: "
    routing = routing_text(instrument, variable.id)
    routed = f" Asked only of those who {routing}." if routing else ""
    return asked + variable.text + routed


def _tally_spec(results: WaveResults, variable_id: str) -> str:
    tally, instrument = results.tallies[variable_id], results.instrument
    member = results.figures.member
    key = ("tally", repr(tally), charts.base_text(tally, instrument, member))
    return _spec(key, lambda: charts.tally_chart(tally, instrument, member))


def _tally_exhibit(results: WaveResults, variable: Variable) -> Exhibit:
    tally = results.tallies[variable.id]
    return Exhibit(
        variable.id,
        _heading(variable),
        _caption(variable, results.instrument),
        _tally_spec(results, variable.id),
        pa.table(charts.tally_table(tally)),
        charts.tally_csv([tally]),
        (variable.id,),
    )


def _band_exhibit(results: WaveResults, variable: Variable) -> Exhibit:
    assert variable.bands is not None
    tally = results.tallies[variable.bands.id]
    return Exhibit(
        tally.variable_id,
        _heading(variable, tally.label),
        f"Derived from {variable.display_number or variable.id}: {variable.label}.",
        _tally_spec(results, tally.variable_id),
        pa.table(charts.tally_table(tally)),
        charts.tally_csv([tally]),
        (tally.variable_id,),
    )


def _percent_exhibit(results: WaveResults, variable: Variable) -> Exhibit:
    tally = results.tallies[variable.id]
    points = charts.percent_by_council(results.answers, variable.id)
    if tally.withheld_below:
        points = points.iloc[0:0]  # each council's figure is as withheld as the summary
    key = ("dots", repr(tally), tuple(points["council"]), tuple(points["value"]))
    return Exhibit(
        variable.id,
        _heading(variable),
        _caption(variable, results.instrument),
        _spec(key, lambda: charts.inhouse_dot_chart(points, tally, results.figures.member)),
        pa.table(charts.percent_table(tally)),
        charts.tally_csv([tally]),
        (variable.id,),
    )


def _group_heading(group: Comparison, variables: list[Variable]) -> str:
    """A few questions by number and label; a run of them (a checklist) by range and title."""
    if len(variables) <= 3 and group.show == "bars":
        return " · ".join(_heading(v) for v in variables)
    numbers = [v.display_number for v in variables if v.display_number]
    span = f"{numbers[0]}–{numbers[-1]} " if len(numbers) == len(variables) else ""
    return f"{span}{group.title}"


def _combined_exhibit(results: WaveResults, group: Comparison) -> Exhibit:
    variables = [results.instrument.variable(v) for v in group.variables]
    tallies = [results.tallies[v] for v in group.variables]
    names = charts.comparison_names(group, results.tallies)
    member = results.figures.member
    key = ("combined", repr(group), member, *map(repr, tallies))
    caption = " · ".join(
        f"{v.display_number or v.label}: {_caption(v, results.instrument).removeprefix('Asked: ')}"
        for v in variables
    )
    table = scale_charts.declared_table(group, results.tallies)
    return Exhibit(
        "+".join(group.variables) + ("" if group.show == "bars" else f":{group.show}"),
        _group_heading(group, variables),
        caption,
        _spec(key, lambda: scale_charts.declared_chart(group, results.tallies, member)),
        pa.table(table or charts.comparison_table(tallies, names)),
        charts.columns_csv(table) if table else charts.tally_csv(tallies),
        group.variables,
    )
