"""A wave asked with a made-up schedule whose question ids are not 2011's: created from its file,
filled from a flat file, exported, reported in JSON, Markdown and Word, and shown on every
staff page, with no line of Python naming one of its questions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import survey_cli
from instrument import load_instrument
from instrument.loader import InstrumentError, parse_instrument
from tests.conftest import built_once
from tests.signing import app_as
from tests.wave_builder import build_wave, columns, csv_bytes, read_csv_rows

pytestmark = pytest.mark.sqlite_only

SCHEDULE_FILE = Path(__file__).parent / "data" / "made_up_schedule.yaml"
MADE_UP = load_instrument(SCHEDULE_FILE)
WAVE = "madeup"


def fill_made_up_wave(workdir: Path) -> None:
    """Wave `madeup` created from the schedule file and filled from a whole flat file."""
    assert survey_cli.main(["init"]) == 0
    assert survey_cli.main(["wave", "create", "--key", WAVE, "--title", "Made-up survey",
                            "--instrument", str(SCHEDULE_FILE)]) == 0  # fmt: skip
    answers = workdir / "answers.csv"
    answers.write_bytes(csv_bytes(build_wave(MADE_UP), columns(MADE_UP)))
    assert survey_cli.main(["import", str(answers), "--wave", WAVE]) == 0


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return built_once(tmp_path_factory, fill_made_up_wave)


@pytest.fixture
def made_up_wave(built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """The made-up wave, in a database of this test's own."""
    with built(tmp_path, monkeypatch) as workdir:
        yield workdir


def test_flat_files_and_reports_follow_the_made_up_schedule(
    made_up_wave: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "export.csv"
    assert survey_cli.main(["export", "--wave", WAVE, "--out", str(exported),
                            "--include-unvalidated"]) == 0  # fmt: skip
    rows = read_csv_rows(exported.read_bytes())
    assert [c for c in rows[0] if c.startswith("p")] == [
        "p1_partnership_then", "p2_partnership_now", "p3_why", "p4_has_plan", "p4a_levers",
        "p5_share",
    ]  # fmt: skip
    for fmt in ("json", "markdown", "docx"):
        out = tmp_path / f"report.{fmt}"
        assert survey_cli.main(["report", "--wave", WAVE, "--format", fmt, "--out", str(out)]) == 0
        assert out.stat().st_size > 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    text = json.dumps(report)
    assert "p1_partnership_then" in text and "p5_share" in text
    assert "q11_swia_used" not in text and "q24_inhouse_pct" not in text


def page(role: str, script: str) -> AppTest:
    """The page on the made-up wave, chosen in the sidebar (AppTest's switch_page drops the
    URL's query parameters, so the wave is chosen after it)."""
    at = app_as(role)
    at.run()
    at.switch_page(script).run()
    at.selectbox(key="wave").set_value(WAVE).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="wave").value == WAVE
    return at


@pytest.mark.parametrize(
    ("role", "script"),
    [
        ("interviewer", "app_pages/fieldwork.py"),
        ("interviewer", "app_pages/interview.py"),
        ("interviewer", "app_pages/corrections.py"),
        ("auditor", "app_pages/summaries.py"),
    ],
)
def test_every_staff_page_opens_on_the_made_up_wave(
    made_up_wave: Path, role: str, script: str
) -> None:
    page(role, script)


def test_the_dashboard_draws_the_declared_comparison_and_cross_tabulates_its_first_two(
    made_up_wave: Path,
) -> None:
    at = page("auditor", "app_pages/dashboard.py")

    headings = [h.value for h in at.subheader] + [h.value for h in at.header]
    assert "Q1 Partnership before 2021 · Q2 Partnership now" in headings, headings
    assert at.selectbox(key="xtab_rows").value == "p1_partnership_then"
    assert at.selectbox(key="xtab_columns").value == "p2_partnership_now"


def test_a_comparison_the_schedule_cannot_draw__every_problem_named() -> None:
    text = SCHEDULE_FILE.read_text(encoding="utf-8").replace(
        "variables: [p1_partnership_then, p2_partnership_now]",
        "variables: [p1_partnership_then, p4_has_plan, p9_missing, p4a_levers, p4_has_plan]",
    )
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(text, source="made_up.yaml")

    here = "comparison 1 (Partnership, then and now)"
    assert refused.value.problems == [
        f"{here}: unknown variable 'p9_missing'",
        f"{here}: p4a_levers is not a single-choice closed question",
        f"{here}: the variables do not share one set of codes",
        f"{here}: p4_has_plan is named 2 times",
        f"{here}: a name is given for p2_partnership_now, which is not compared",
    ]
