"""Tallies from a small hand-made wave whose counts are written out in full."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from aggregation.disclosure import DRAFT
from aggregation.report import report_json
from aggregation.results import wave_results
from aggregation.tally import crosstab, crosstab_view
from instrument import load_instrument

SCHEDULE = load_instrument()

# Five councils: four completed, one declined. Only the answers a test reads are given.
INTERVIEWS = pd.DataFrame.from_records(
    [
        (1, "S12000033", "Aberdeen City", "completed", "director_of_social_work"),
        (2, "S12000034", "Aberdeenshire", "completed", "head_of_service"),
        (3, "S12000041", "Angus", "completed", "head_of_service"),
        (4, "S12000035", "Argyll and Bute", "completed", "other"),
        (5, "S12000036", "City of Edinburgh", "declined", None),
        (6, "S12000005", "Clackmannanshire", "in_progress", None),
    ],
    columns=["interview_id", "council_code", "council_name", "status", "respondent_role"],
)
ANSWERS = pd.DataFrame.from_records(
    [
        (1, "q11_swia_used", "yes"),
        (1, "q11a_swia_usefulness", "very_useful"),
        (2, "q11_swia_used", "yes"),
        (2, "q11a_swia_usefulness", "no_answer"),
        (3, "q11_swia_used", "no"),
        (3, "q11a_swia_usefulness", "quite_useful"),  # kept from before routing changed: skipped
        (4, "q11_swia_used", "dont_know"),
        (1, "q22_viability_measures", "pqq;site_visits"),
        (1, "q20_tendered_recently", "yes"),
        (2, "q20_tendered_recently", "yes"),
        (2, "q22_viability_measures", "pqq;credit_checks;other"),
        (3, "q20_tendered_recently", "no"),
        (4, "q20_tendered_recently", "yes"),
        (4, "q22_viability_measures", "dont_know"),
        (1, "q24_inhouse_pct", "30"),
        (2, "q24_inhouse_pct", "50"),
        (3, "q24_inhouse_pct", "75"),
        (4, "q24_inhouse_pct", "no_answer"),
        (6, "q11_swia_used", "yes"),  # in progress: never counted
    ],
    columns=["interview_id", "variable_id", "value"],
)


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    return wave_results("2011", SCHEDULE, INTERVIEWS, ANSWERS, view=DRAFT)


def test_response_figures_count_every_council(results) -> None:  # type: ignore[no-untyped-def]
    f = results.figures
    assert (f.eligible, f.completed, f.declined, f.in_progress) == (6, 4, 1, 1)
    assert f.response_rate == pytest.approx(4 / 6)
    assert f.headline == "4 of 6 councils interviewed (66.7%)"


def test_single__base_is_where_routing_applies_and_skipped_answers_are_not_counted(results) -> None:  # type: ignore[no-untyped-def]
    t = results.tallies["q11a_swia_usefulness"]
    assert (t.base, t.not_applicable) == (2, 2)
    assert t.counts == {"very_useful": 1, "quite_useful": 0, "not_useful": 0}
    assert (t.no_answer, t.dont_know, t.unrecorded) == (1, 0, 0)
    assert t.percentage(1) == 50.0


def test_yesno__reserved_codes_kept_apart(results) -> None:  # type: ignore[no-untyped-def]
    t = results.tallies["q11_swia_used"]
    assert t.counts == {"yes": 2, "no": 1}
    assert (t.base, t.dont_know, t.no_answer, t.not_applicable) == (4, 1, 0, 0)


def test_multi__counts_interviews_choosing_each_code_in_schedule_order(results) -> None:  # type: ignore[no-untyped-def]
    t = results.tallies["q22_viability_measures"]
    assert list(t.counts) == [
        "pqq", "references", "site_visits", "market_reports", "credit_checks",
        "care_inspectorate", "other",
    ]  # fmt: skip
    assert t.counts["pqq"] == 2 and t.counts["site_visits"] == 1 and t.counts["references"] == 0
    assert (t.base, t.dont_know, t.not_applicable, t.answered) == (3, 1, 1, 2)


def test_percent__median_min_max_and_derived_bands(results) -> None:  # type: ignore[no-untyped-def]
    t = results.tallies["q24_inhouse_pct"]
    assert (t.base, t.n, t.median, t.min, t.max, t.no_answer) == (4, 3, 50.0, 30, 75, 1)
    band = results.tallies["q24_balance"]
    assert band.type == "band"
    assert band.counts == {"more_in_house": 1, "equal": 1, "more_external": 1}
    assert band.no_answer == 1
    keys = list(results.tallies)
    assert keys.index("q24_balance") == keys.index("q24_inhouse_pct") + 1


def test_respondent_role_is_tallied_first(results) -> None:  # type: ignore[no-untyped-def]
    t = results.tallies["respondent_role"]
    assert next(iter(results.tallies)) == "respondent_role"
    assert t.counts["head_of_service"] == 2 and t.base == 4


def test_role_filter_narrows_tallies_but_not_response(results) -> None:  # type: ignore[no-untyped-def]
    heads = wave_results(
        "2011", SCHEDULE, INTERVIEWS, ANSWERS, view=DRAFT, respondent_roles=["head_of_service"]
    )
    assert heads.figures.completed == 4
    assert heads.tallies["q11_swia_used"].counts == {"yes": 1, "no": 1}


def test_crosstab_by_respondent_role(results) -> None:  # type: ignore[no-untyped-def]
    table = crosstab(SCHEDULE, results.answers, "q11_swia_used", "respondent_role")
    assert table.loc["yes", "director_of_social_work"] == 1
    assert table.loc["yes", "head_of_service"] == 1
    assert table.loc["dont_know", "other"] == 1
    assert list(table.index)[:2] == ["yes", "no"]


def test_crosstab_views__totals__row_and_column_percentages() -> None:
    table = pd.DataFrame({"a": [1, 3], "b": [1, 0]}, index=["yes", "no"])
    counts = crosstab_view(table)
    assert counts.loc["Total"].tolist() == [4, 1, 5]
    assert counts["Total"].tolist() == [2, 3, 5]
    rows = crosstab_view(table, "Row %")
    assert rows.loc["yes"].tolist() == [50.0, 50.0, 100.0]
    assert rows.loc["no"].tolist() == [100.0, 0.0, 100.0]
    columns = crosstab_view(table, "Column %")
    assert columns["a"].tolist() == [25.0, 75.0, 100.0]
    assert columns.loc["Total"].tolist() == [100.0, 100.0, 100.0]
    empty = crosstab_view(pd.DataFrame({"a": [0]}, index=["yes"]), "Row %")
    assert empty.loc["yes"].tolist() == [0.0, 0.0]  # nothing to share out: no division by zero
    with pytest.raises(ValueError, match="one of Counts, Row %, Column %"):
        crosstab_view(table, "Percent")


def test_json_report__every_closed_variable_in_order_and_byte_identical(results) -> None:  # type: ignore[no-untyped-def]
    text = report_json(results)
    again = wave_results(
        "2011", SCHEDULE, INTERVIEWS.sample(frac=1, random_state=1), ANSWERS[::-1], view=DRAFT
    )
    assert report_json(again) == text
    report = json.loads(text)
    assert report["response"] == {
        "eligible": 6, "completed": 4, "declined": 1, "in_progress": 1, "scheduled": 0,
        "not_contacted": 0, "response_rate": 0.6667,
    }  # fmt: skip
    closed = ["respondent_role"] + [v.id for v in SCHEDULE.closed_questions]
    closed.insert(closed.index("q24_inhouse_pct") + 1, "q24_balance")
    assert list(report["variables"]) == closed
    assert report["variables"]["q11a_swia_usefulness"] == {
        "type": "single", "label": "SWIA guidance", "base": 2,
        "counts": {"very_useful": 1, "quite_useful": 0, "not_useful": 0},
        "no_answer": 1, "dont_know": 0, "not_applicable": 2,
    }  # fmt: skip
    assert report["variables"]["q24_inhouse_pct"] == {
        "type": "percent", "label": "In-house share of home care", "base": 4, "n": 3,
        "median": 50.0, "min": 30, "max": 75, "no_answer": 1, "dont_know": 0,
        "not_applicable": 0,
    }  # fmt: skip
