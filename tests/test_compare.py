"""Comparing waves: a 2026 wave asked with a revised schedule (one question renamed with
`same_as`, one added, one dropped, one choice list with a new code) against 2011, through the CLI's
`report --compare`, every figure checked against the two waves' own reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document

import survey_cli
from aggregation.charts import wave_pair_chart
from aggregation.compare import VariableChange, change_sentence
from aggregation.tally import Tally
from instrument.loader import instrument_text, parse_instrument
from tests.conftest import built_once
from tests.signing import app_as, read
from tests.wave_builder import build_wave, changed, columns, csv_bytes

pytestmark = pytest.mark.sqlite_only  # CLI over the same services tested on both databases

SCHEDULE = instrument_text("schedule_2011")
REVISED = (
    SCHEDULE.replace(
        '      - id: q2_strategy_involvement\n        number: "2"',
        '      - id: q2_strategy_2026\n'
        '        same_as: q2_strategy_involvement\n        number: "2"',
    )
    .replace(
        "      - id: q3_monitoring_involvement\n",
        "      - id: q2b_since_2021\n        type: yesno\n        label: Changed since 2021\n"
        "        text: Has this changed since the Independent Review of Adult Social Care?\n"
        "      - id: q3_monitoring_involvement\n",
    )
    .replace(  # Q19's coded judgement is dropped
        SCHEDULE[SCHEDULE.index("      - id: q19_room_for_improvement\n") :].split("\n\n")[0]
        + "\n",
        "",
    )
    .replace(
        "    - {code: other, label: Others – please specify}\n",
        "    - {code: mental_health, label: Adults with mental health problems}\n"
        "    - {code: other, label: Others – please specify}\n",
    )
)


def report(wave: str, tmp_path: Path, *extra: str, fmt: str = "json") -> str:
    out = tmp_path / f"{wave}-{len(extra)}.{fmt}"
    assert (
        survey_cli.main(["report", "--wave", wave, "--format", fmt, "--out", str(out), *extra]) == 0
    )
    return out.read_text(encoding="utf-8")


# Both waves' councils validated their submissions: the reports' published view counts them.
VALIDATED = ("--evidence", "each council checked its answers in this test")


def fill_two_waves(tmp_path: Path) -> None:
    """Wave 2011 and wave 2026 (the revised schedule), each filled from a whole flat file; in
    2026 more councils say they involved users in strategy."""
    assert survey_cli.main(["init"]) == 0
    old, new = parse_instrument(SCHEDULE), parse_instrument(REVISED)
    first = tmp_path / "2011.csv"
    first.write_bytes(csv_bytes(build_wave(old), columns(old)))
    assert survey_cli.main(["import", str(first), "--wave", "2011"]) == 0
    assert survey_cli.main(["wave", "validated-elsewhere", "2011", *VALIDATED]) == 0
    schedule = tmp_path / "schedule_2026.yaml"
    schedule.write_text(REVISED, encoding="utf-8")
    assert (
        survey_cli.main(
            [
                "wave",
                "create",
                "--key",
                "2026",
                "--title",
                "Follow-up 2026",
                "--instrument",
                str(schedule),
            ]
        )
        == 0
    )
    rows = build_wave(new)
    more_yes = {
        r["council_name"]: {"q2_strategy_2026": "yes"}
        for r in rows
        if r["status"] == "completed" and r["q2_strategy_2026"] == "no"
    }
    second = tmp_path / "2026.csv"
    second.write_bytes(csv_bytes(changed(rows, more_yes), columns(new)))
    assert survey_cli.main(["import", str(second), "--wave", "2026"]) == 0
    assert survey_cli.main(["wave", "validated-elsewhere", "2026", *VALIDATED]) == 0


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return built_once(tmp_path_factory, fill_two_waves)


@pytest.fixture
def two_waves(built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """The two waves, in a database of this test's own."""
    with built(tmp_path, monkeypatch) as workdir:
        yield workdir


def test_report_compare__shared_renamed_new_and_recoded_variables(two_waves: Path) -> None:
    then = json.loads(report("2011", two_waves))["variables"]
    now = json.loads(report("2026", two_waves))["variables"]
    compare = json.loads(report("2026", two_waves, "--compare", "2011"))["compare"]

    assert compare["wave"] == "2011"
    renamed = compare["variables"]["q2_strategy_2026"]
    assert renamed["other_variable"] == "q2_strategy_involvement"
    assert renamed["other"] == then["q2_strategy_involvement"]
    yes_now = now["q2_strategy_2026"]["counts"]["yes"] / now["q2_strategy_2026"]["base"]
    yes_then = (
        then["q2_strategy_involvement"]["counts"]["yes"] / then["q2_strategy_involvement"]["base"]
    )
    assert renamed["change_pp"]["yes"] == round(100 * (yes_now - yes_then), 1) > 0
    assert (
        compare["variables"]["q3_monitoring_involvement"]["other"]
        == then["q3_monitoring_involvement"]
    )
    assert compare["not_compared"]["q2b_since_2021"] == "not asked in wave 2011"
    assert compare["not_compared"]["q1_most_involved"].startswith("its codes differ (wave 2026: ")
    assert "mental_health" in compare["not_compared"]["q1_most_involved"]
    assert compare["not_compared"]["q24_inhouse_pct"].startswith("a figure, not codes")
    assert set(compare["variables"]) | set(compare["not_compared"]) == set(now)
    # asked in 2011 only: said, and nothing else of 2011's goes unmentioned
    assert compare["not_asked_now"] == {
        "q19_room_for_improvement": "Significant room for improvement"
    }
    renamed_from = {c["other_variable"] for c in compare["variables"].values()}
    not_compared_then = set(compare["not_compared"]) & set(then)  # same id, other codes
    assert renamed_from | not_compared_then | set(compare["not_asked_now"]) == set(then)


def test_report_compare__markdown_says_it_in_the_reports_words(two_waves: Path) -> None:
    now = json.loads(report("2026", two_waves))["variables"]["q2_strategy_2026"]["counts"]
    then = json.loads(report("2011", two_waves))["variables"]["q2_strategy_involvement"]["counts"]
    text = report("2026", two_waves, "--compare", "2011", fmt="markdown")

    top = max(now, key=now.__getitem__)
    assert top == "yes" and now["yes"] > then["yes"]
    assert (
        f"now answered 'Yes' on users involved in strategy, up from {then['yes']} in 2011" in text
    )
    assert "Not compared with wave 2011: not asked in wave 2011." in text
    assert text.endswith(
        "## Asked in wave 2011, not in wave 2026\n\n"
        "- Significant room for improvement (`q19_room_for_improvement`)\n"
    )


def test_report_compare__the_word_supplement_ends_with_the_comparison(two_waves: Path) -> None:
    now = json.loads(report("2026", two_waves))["variables"]["q2_strategy_2026"]
    then = json.loads(report("2011", two_waves))["variables"]["q2_strategy_involvement"]
    out = two_waves / "supplement.docx"
    assert survey_cli.main(["report", "--wave", "2026", "--format", "docx", "--out", str(out),
                            "--compare", "2011"]) == 0  # fmt: skip

    document = Document(str(out))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    at = headings.index("Compared with wave 2011")
    assert "Users involved in strategy" in headings[at:]
    assert headings[-2:] == ["Not compared with wave 2011", "Asked in wave 2011, not in wave 2026"]
    rows = {
        tuple(c.text for c in row.cells)
        for table in document.tables
        for row in table.rows
    }
    yes = (now["counts"]["yes"], then["counts"]["yes"])
    points = 100 * yes[0] / now["base"] - 100 * yes[1] / then["base"]
    assert (
        "Yes",
        f"{yes[0]} ({round(100 * yes[0] / now['base'])}%)",
        f"{yes[1]} ({round(100 * yes[1] / then['base'])}%)",
        f"{points:+.1f}",
    ) in rows
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert "Changed since 2021: not asked in wave 2011." in bullets
    assert bullets[-1] == "Significant room for improvement"


def test_report_compare__an_unknown_wave__refused(
    two_waves: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert survey_cli.main(["report", "--wave", "2026", "--compare", "1999"]) == 2
    assert "error [wave.not_found]" in capsys.readouterr().err


def tally(yes: int, no: int) -> Tally:
    return Tally(variable_id="q2", type="yesno", label="Users involved in strategy",
                 base=yes + no, counts={"yes": yes, "no": no}, no_answer=0, dont_know=0,
                 not_applicable=0, answered=yes + no, choice_labels={"yes": "Yes", "no": "No"},
                 n=None, median=None, min=None, max=None)  # fmt: skip


@pytest.mark.parametrize(
    ("now", "then", "said"),
    [
        (tally(20, 11), tally(14, 17),
         "Twenty councils now answered 'Yes' on users involved in strategy, up from 14 in 2011."),
        (tally(3, 28), tally(5, 26),
         "Twenty-eight councils now answered 'No' on users involved in strategy, up from 26 in "
         "2011."),
        (tally(1, 0), tally(2, 0),
         "One council now answered 'Yes' on users involved in strategy, down from 2 in 2011 "
         "(bases 1 and 2)."),
        (tally(9, 9), tally(9, 9),
         "Nine councils now answered 'Yes' on users involved in strategy, as in 2011."),
    ],
)
def test_change_sentence__the_answer_most_gave__up_down_or_as_before(
    now: Tally, then: Tally, said: str
) -> None:
    assert change_sentence(VariableChange("q2", "q2", now, then), "2011") == said


def test_the_dashboard_compares_with_the_wave_chosen(two_waves: Path) -> None:
    at = app_as("auditor")
    at.query_params["wave"] = "2026"
    at.run()
    at.switch_page("app_pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="compare_with_wave").value is None

    at.selectbox(key="compare_with_wave").select("2011").run()

    assert not at.exception, at.exception
    headers = [h.value for h in at.header]
    assert headers[-1] == "Compared with another wave"
    said = [read(m) for m in at.markdown if "now answered" in m.value]
    assert any("on users involved in strategy, up from" in s for s in said), said
    (listed,) = [e for e in at.expander if e.label.startswith("Not compared with wave 2011")]
    lines = [t.value for t in listed.text]
    assert "Changed since 2021: not asked in wave 2011" in lines
    assert any(line.startswith("Client group most involved: its codes differ") for line in lines)
    (dropped,) = [e for e in at.expander if e.label.startswith("Asked in wave 2011, not in")]
    assert [t.value for t in dropped.text] == ["Significant room for improvement"]


def test_report_compare__partnerships_against_councils__said_not_mixed_silently(
    two_waves: Path,
) -> None:
    schedule = two_waves / "schedule_2026.yaml"
    create = ["wave", "create", "--key", "hscp", "--title", "Partnerships"]
    assert survey_cli.main([*create, "--instrument", str(schedule), "--frame", "partnerships"]) == 0
    said = ("Wave hscp surveyed partnerships and wave 2011 surveyed councils: the figures "
            "compare different organisations.")  # fmt: skip

    assert json.loads(report("hscp", two_waves, "--compare", "2011"))["compare"][
        "frames_differ"
    ] == said
    assert report("hscp", two_waves, "--compare", "2011", fmt="markdown").count(said) == 1
    assert json.loads(report("2026", two_waves, "--compare", "2011"))["compare"][
        "frames_differ"
    ] is None


def test_a_multiple_choice_in_two_waves__a_bar_per_answer_and_wave__never_stacked() -> None:
    labels = {"charges": "New or increased charges", "shared": "Shared services"}
    now = Tally("q25", "multi", "Impacts", 2, {"charges": 2, "shared": 1}, 0, 0, 0, 2, labels)
    then = Tally("q25", "multi", "Impacts", 24, {"charges": 6, "shared": 7}, 1, 0, 0, 23, labels)
    spec = wave_pair_chart(now, then, "2026", "2011").to_dict()

    bars = spec["layer"][0]["encoding"]
    assert "stack" not in bars["x"] and bars["yOffset"]["field"] == "wave"
    shares = {(r["wave"], r["label"]): r["pct"] for r in spec["datasets"][spec["data"]["name"]]}
    assert shares[("Wave 2026 (base 2)", "New or increased charges")] == 100
    assert shares[("Wave 2011 (base 24)", "Shared services")] == round(100 * 7 / 24, 1)
    single = Tally("q2", "yesno", "Users involved", 2, {"yes": 2, "no": 0}, 0, 0, 0, 2)
    stacked = wave_pair_chart(single, single, "2026", "2011").to_dict()["layer"][0]["encoding"]
    assert stacked["x"]["stack"] == "zero"  # one code each: shares of a base add to 100%
