"""Charts and the dashboard's exhibits from a small hand-made wave, read through their specs."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from aggregation import charts
from aggregation.disclosure import DRAFT
from aggregation.exhibits import dashboard_sections
from aggregation.results import WaveResults, wave_results
from instrument import load_instrument

SCHEDULE = load_instrument()

# Five councils: four completed, one in progress. Only the answers a test reads are given.
INTERVIEWS = pd.DataFrame.from_records(
    [
        (1, "S12000033", "Aberdeen City", "completed", "director_of_social_work"),
        (2, "S12000034", "Aberdeenshire", "completed", "head_of_service"),
        (3, "S12000041", "Angus", "completed", "head_of_service"),
        (4, "S12000035", "Argyll and Bute", "completed", "other"),
        (5, "S12000005", "Clackmannanshire", "in_progress", None),
    ],
    columns=["interview_id", "council_code", "council_name", "status", "respondent_role"],
)
ANSWERS = pd.DataFrame.from_records(
    [
        (1, "q2_strategy_involvement", "yes"),
        (2, "q2_strategy_involvement", "yes"),
        (3, "q2_strategy_involvement", "no"),
        (4, "q2_strategy_involvement", "no_answer"),
        (1, "q11_swia_used", "yes"),
        (1, "q11a_swia_usefulness", "very_useful"),
        (2, "q11_swia_used", "yes"),
        (2, "q11a_swia_usefulness", "dont_know"),
        (3, "q11_swia_used", "no"),
        (4, "q11_swia_used", "no"),
        (1, "q12_sg_used", "yes"),
        (1, "q12a_sg_usefulness", "quite_useful"),
        (2, "q12_sg_used", "yes"),
        (2, "q12a_sg_usefulness", "quite_useful"),
        (3, "q12_sg_used", "yes"),
        (3, "q12a_sg_usefulness", "not_useful"),
        (4, "q12_sg_used", "no"),
        (1, "q14_needs", "market_development;planning_tools"),
        (2, "q14_needs", "planning_tools"),
        (3, "q14_needs", "dont_know"),
        (1, "q24_inhouse_pct", "30"),
        (2, "q24_inhouse_pct", "50"),
        (3, "q24_inhouse_pct", "75"),
        (4, "q24_inhouse_pct", "dont_know"),
        (1, "q25_reduction_2011_12", "yes"),
        (2, "q25_reduction_2011_12", "yes"),
        (3, "q25_reduction_2011_12", "no"),
        (4, "q25_reduction_2011_12", "dont_know"),
        (1, "q25_reduction_2012_13", "yes"),
        (2, "q25_reduction_2012_13", "yes"),
        (3, "q25_reduction_2012_13", "yes"),
        (4, "q25_reduction_2012_13", "no"),
        (5, "q2_strategy_involvement", "no"),  # in progress: never counted
    ],
    columns=["interview_id", "variable_id", "value"],
)


@pytest.fixture(scope="module")
def results() -> WaveResults:
    return wave_results("2011", SCHEDULE, INTERVIEWS, ANSWERS, view=DRAFT)


def spec_of(chart: Any) -> dict[str, Any]:
    """The chart's Vega-Lite spec, validated against the schema."""
    return chart.to_dict()


def data_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the chart's own (top-level) dataset."""
    return spec["datasets"][spec["data"]["name"]]


def colour_scale(spec: dict[str, Any]) -> dict[str, str]:
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    return dict(zip(scale["domain"], scale["range"], strict=True))


def closed_tallies(results: WaveResults) -> list[str]:
    return [vid for vid, t in results.tallies.items() if t.type != "percent"]


def test_tally_chart__base_in_title_counts_labelled_with_percentages(results) -> None:  # type: ignore[no-untyped-def]
    spec = spec_of(charts.tally_chart(results.tallies["q2_strategy_involvement"], SCHEDULE))
    assert spec["title"]["text"] == "Users involved in strategy"
    assert spec["title"]["subtitle"] == "Base: 4 councils interviewed"
    rows = data_of(spec)
    assert [(r["label"], r["text"]) for r in rows] == [
        ("Yes", "2 (50%)"),
        ("No", "1 (25%)"),
        ("Did not answer", "1 (25%)"),
        ("Don't know", "0 (0%)"),
    ]
    assert spec["layer"][1]["mark"]["type"] == "text"
    assert spec["layer"][1]["encoding"]["text"]["field"] == "text"
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 4]  # bars run to the base
    # a screen reader hears each bar as its answer and count, not "kind: no_answer"
    assert spec["layer"][0]["encoding"]["description"]["field"] == "said"
    assert [r["said"] for r in rows][2] == "Did not answer: 1 (25%)"


def test_tally_chart__routed_question_states_who_was_asked(results) -> None:  # type: ignore[no-untyped-def]
    spec = spec_of(charts.tally_chart(results.tallies["q11a_swia_usefulness"], SCHEDULE))
    assert spec["title"]["subtitle"] == "Base: 2 councils asked this question"
    assert [r["text"] for r in data_of(spec)] == [
        "1 (50%)",
        "0 (0%)",
        "0 (0%)",
        "0 (0%)",
        "1 (50%)",
    ]


def test_tally_chart__multiple_choice_has_one_bar_per_code_in_schedule_order(results) -> None:  # type: ignore[no-untyped-def]
    spec = spec_of(charts.tally_chart(results.tallies["q14_needs"], SCHEDULE))
    assert spec["title"]["subtitle"] == (
        "Base: 4 councils interviewed · more than one answer possible"
    )
    rows = data_of(spec)
    assert [r["label"] for r in rows] == [
        "Market development", "Examples of outcomes-based commissioning", "Planning tools",
        "Examples of best practice", "Alternatives to tendering", "Other",
        "Did not answer", "Don't know",
    ]  # fmt: skip
    assert rows[2]["text"] == "2 (50%)" and rows[0]["text"] == "1 (25%)"
    assert rows[-1]["text"] == "1 (25%)"
    assert spec["layer"][0]["encoding"]["y"]["sort"] == [r["label"] for r in rows]


def test_every_tally_chart__shows_non_response_in_the_same_greys(results) -> None:  # type: ignore[no-untyped-def]
    expected = {"answer": "#0072B2", "no_answer": "#BBBBBB", "dont_know": "#6E6E6E"}
    for vid in closed_tallies(results):
        spec = spec_of(charts.tally_chart(results.tallies[vid], SCHEDULE))
        rows = data_of(spec)
        assert [r["kind"] for r in rows[-2:]] == ["no_answer", "dont_know"], vid
        assert [r["label"] for r in rows[-2:]] == ["Did not answer", "Don't know"], vid
        assert {r["kind"] for r in rows[:-2]} == {"answer"}, vid
        assert colour_scale(spec) == expected, vid
        assert spec["title"]["subtitle"].startswith("Base: "), vid


def test_palette__every_colour_comes_from_the_one_palette() -> None:
    used = {
        charts.ANSWER_COLOUR,
        charts.NO_ANSWER_COLOUR,
        charts.DONT_KNOW_COLOUR,
        charts.REFERENCE_COLOUR,
        *charts.STATUS_COLOURS.values(),
        *charts.OTHER_SEGMENT_COLOURS,
        *(c for colours in charts.SEGMENT_COLOURS.values() for c in colours),
    }
    assert used <= set(charts.PALETTE.values())
    assert len({charts.ANSWER_COLOUR, charts.NO_ANSWER_COLOUR, charts.DONT_KNOW_COLOUR}) == 3


def test_guidance_chart__one_stacked_bar_per_document_with_non_response(results) -> None:  # type: ignore[no-untyped-def]
    guidance, _ = SCHEDULE.comparisons
    spec = spec_of(charts.declared_comparison_chart(guidance, results.tallies))
    assert spec["title"]["subtitle"] == (
        "Base: councils that used each guide (SWIA guidance 2; SG/COSLA guidance 3)"
    )
    assert spec["title"]["text"] == "Usefulness of the guidance"
    assert "SWIA guidance 2; SG/COSLA guidance 3" in spec["title"]["subtitle"]
    rows = data_of(spec)
    assert list(dict.fromkeys(r["bar"] for r in rows)) == [
        "SWIA guidance (base 2)",
        "SG/COSLA guidance (base 3)",
    ]
    sg = {r["label"]: r["n"] for r in rows if r["bar"].startswith("SG")}
    assert sg == {
        "Very useful": 0, "Quite useful": 2, "Not at all useful": 1,
        "Did not answer": 0, "Don't know": 0,
    }  # fmt: skip
    bars = spec["layer"][0]
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["x"]["stack"] == "zero"
    assert bars["encoding"]["x"]["field"] == "pct"
    assert colour_scale(spec) == {
        "Very useful": "#0072B2", "Quite useful": "#56B4E9", "Not at all useful": "#E69F00",
        "Did not answer": "#BBBBBB", "Don't know": "#6E6E6E",
    }  # fmt: skip


def test_budget_chart__the_two_years_side_by_side(results) -> None:  # type: ignore[no-untyped-def]
    _, budget = SCHEDULE.comparisons
    spec = spec_of(charts.declared_comparison_chart(budget, results.tallies))
    assert spec["title"]["subtitle"].startswith("Base: 4 councils interviewed")
    rows = data_of(spec)
    by_year = {
        (r["bar"], r["label"]): r["n"] for r in rows if r["label"] in ("Yes", "No", "Don't know")
    }
    assert by_year == {
        ("2011/12 (base 4)", "Yes"): 2, ("2011/12 (base 4)", "No"): 1,
        ("2011/12 (base 4)", "Don't know"): 1,
        ("2012/13 (base 4)", "Yes"): 3, ("2012/13 (base 4)", "No"): 1,
        ("2012/13 (base 4)", "Don't know"): 0,
    }  # fmt: skip
    assert colour_scale(spec)["Yes"] == "#0072B2" and colour_scale(spec)["No"] == "#E69F00"


def test_inhouse_dot_chart__one_dot_per_council_and_a_rule_at_50(results) -> None:  # type: ignore[no-untyped-def]
    points = charts.percent_by_council(results.answers, "q24_inhouse_pct")
    assert list(points.itertuples(index=False, name=None)) == [
        ("Angus", 75), ("Aberdeenshire", 50), ("Aberdeen City", 30),
    ]  # fmt: skip
    spec = spec_of(charts.inhouse_dot_chart(points, results.tallies["q24_inhouse_pct"]))
    assert spec["title"]["subtitle"] == (
        "Base: 4 councils interviewed · 3 gave a figure · Did not answer: 0 · Don't know: 1"
    )
    marks = {layer["mark"]["type"]: layer for layer in spec["layer"]}
    assert marks["rule"]["encoding"]["x"] == {"datum": 50}
    # A screen reader names the line (axe: svg-img-alt), as the dots are named by their encodings.
    assert marks["rule"]["mark"]["description"].startswith("Reference line at 50%")
    assert marks["text"]["mark"]["text"] == "50:50"
    dots = marks["circle"]["encoding"]
    assert dots["x"]["scale"]["domain"] == [0, 100]
    assert dots["y"]["sort"] == ["Angus", "Aberdeenshire", "Aberdeen City"]
    assert data_of(spec) == [
        {"council": "Angus", "value": 75},
        {"council": "Aberdeenshire", "value": 50},
        {"council": "Aberdeen City", "value": 30},
    ]


def test_response_chart__every_status_with_its_share_of_the_wave(results) -> None:  # type: ignore[no-untyped-def]
    spec = spec_of(charts.response_chart(results.figures))
    assert spec["title"]["subtitle"] == "Base: 5 councils in the wave"
    assert [(r["status"], r["text"]) for r in data_of(spec)] == [
        ("Completed", "4 (80%)"), ("In progress", "1 (20%)"), ("Scheduled", "0 (0%)"),
        ("Not contacted", "0 (0%)"), ("Declined", "0 (0%)"),
    ]  # fmt: skip
    assert colour_scale(spec)["Declined"] == "#D55E00"


def test_tables_and_csv__counts_and_percentages_written_out(results) -> None:  # type: ignore[no-untyped-def]
    q2 = results.tallies["q2_strategy_involvement"]
    assert charts.tally_table(q2) == {
        "Answer": ["Yes", "No", "Did not answer", "Don't know"],
        "n": [2, 1, 1, 0],
        "% of base": [50, 25, 25, 0],
    }
    assert charts.tally_csv([q2, results.tallies["q24_inhouse_pct"]]) == (
        "variable_id,code,label,n,pct_of_base,base\n"
        "q2_strategy_involvement,yes,Yes,2,50.0,4\n"
        "q2_strategy_involvement,no,No,1,25.0,4\n"
        "q2_strategy_involvement,no_answer,Did not answer,1,25.0,4\n"
        "q2_strategy_involvement,dont_know,Don't know,0,0.0,4\n"
        "q24_inhouse_pct,n,Gave a figure,3,75.0,4\n"
        "q24_inhouse_pct,median,Median,50.0,,4\n"
        "q24_inhouse_pct,min,Lowest,30,,4\n"
        "q24_inhouse_pct,max,Highest,75,,4\n"
        "q24_inhouse_pct,no_answer,Did not answer,0,0.0,4\n"
        "q24_inhouse_pct,dont_know,Don't know,1,25.0,4\n"
    )
    guidance = SCHEDULE.comparisons[0]
    names = charts.comparison_names(guidance, results.tallies)
    table = charts.comparison_table([results.tallies[v] for v in guidance.variables], names)
    assert table["SG/COSLA guidance (base 3)"] == [
        "0 (0%)",
        "2 (67%)",
        "1 (33%)",
        "0 (0%)",
        "0 (0%)",
    ]


def test_images__png_and_svg_rendered_without_a_browser(results) -> None:  # type: ignore[no-untyped-def]
    chart = charts.tally_chart(results.tallies["q2_strategy_involvement"], SCHEDULE)
    png = charts.chart_png(chart)
    assert png.startswith(b"\x89PNG")
    svg = charts.chart_svg(chart.to_json())
    assert svg.lstrip().startswith("<svg")
    assert "Base: 4 councils interviewed" in svg and "2 (50%)" in svg


def test_exhibits__every_closed_variable_once_by_part(results) -> None:  # type: ignore[no-untyped-def]
    _, record, *sections = dashboard_sections(results)
    assert [s.title for s in sections] == [f"Part {p.id}: {p.title}" for p in SCHEDULE.parts]
    shown = [vid for s in sections for e in s.exhibits for vid in e.variable_ids]
    shown = [vid for e in record.exhibits for vid in e.variable_ids] + shown
    # respondent's role, every closed question, q24_balance: each exactly once
    assert sorted(shown) == sorted(results.tallies)
    for section, part in zip(sections, SCHEDULE.parts, strict=True):
        in_part = {v.id for v in part.variables}
        assert {vid for e in section.exhibits for vid in e.variable_ids} - in_part <= {
            "q24_balance"
        }
    keys = [e.key for s in sections for e in s.exhibits]
    assert len(keys) == len(set(keys))
    part_c = {e.key: e for e in sections[2].exhibits}
    assert "q11a_swia_usefulness+q12a_sg_usefulness" in part_c
    h = sections[7].exhibits[0]
    assert h.variable_ids == ("q25_reduction_2011_12", "q25_reduction_2012_13")
    assert h.heading == "Q25 Budget reduction 2011/12 · Budget reduction 2012/13"
    g = {e.key: e for e in sections[6].exhibits}
    assert json.loads(g["q24_inhouse_pct"].spec)["layer"][0]["mark"]["type"] == "rule"


def test_exhibits__tables_match_the_charts(results) -> None:  # type: ignore[no-untyped-def]
    response, _, part_a, *_ = dashboard_sections(results)
    exhibit = next(e for e in part_a.exhibits if e.key == "q2_strategy_involvement")
    assert exhibit.heading == "Q2 Users involved in strategy"
    assert exhibit.caption.startswith("Asked: Has the council")
    assert exhibit.table.to_pydict()["n"] == [2, 1, 1, 0]
    assert exhibit.csv == charts.tally_csv([results.tallies["q2_strategy_involvement"]])
    assert response.exhibits[0].table.to_pydict()["Councils"] == [4, 1, 0, 0, 0]


@pytest.mark.parametrize("vid", [v.id for v in SCHEDULE.closed_questions])
def test_every_chart_of_a_full_wave_is_valid_vega_lite(results, vid: str) -> None:  # type: ignore[no-untyped-def]
    tally = results.tallies[vid]
    if tally.type == "percent":
        chart = charts.inhouse_dot_chart(charts.percent_by_council(results.answers, vid), tally)
    else:
        chart = charts.tally_chart(tally, SCHEDULE)
    spec_of(chart)  # raises if the spec does not validate
