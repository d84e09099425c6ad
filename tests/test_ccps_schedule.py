"""The second instrument: the CCPS collaborative and ethical commissioning self-assessment, asked
of the 31 partnerships. Its eight checklist elements are scored 2/1/0 with the checklist's own
guide and its eleven spectrum dimensions placed from traditional (−2) to collaborative (+2); it
has its own exhibits (stacked bars, means, diverging bars) and report wording, and the demo
fills it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

import survey_cli
from aggregation.counts import Tally
from aggregation.disclosure import DRAFT
from aggregation.report import report_json, report_markdown, tally_dict
from aggregation.response import response_figures
from aggregation.results import WaveReport
from aggregation.scale_charts import declared_chart, diverging_rows, means_table
from aggregation.text import methodology_paragraph, report_sentences
from aggregation.wording import mean_text, scale_text
from instrument.loader import InstrumentError, instrument_named, parse_instrument
from instrument.model import scores_of
from ops.demo import DEMOS, fill_demo_wave
from services.actor import Actor
from services.interviews import wave_summary
from services.results import load_report, load_results
from tests.signing import app_as

CCPS = instrument_named("ccps_self_assessment")
SCHEDULE_FILE = Path(__file__).resolve().parent.parent / "instrument" / "ccps_self_assessment.yaml"
ADMIN = Actor("ada", "admin")
AUDITOR = Actor("aud", "auditor")
DEMO = DEMOS["ccps_self_assessment"]
ELEMENTS = [v.id for v in CCPS.questions if v.choices == "evidence"]
DIMENSIONS = [v.id for v in CCPS.questions if v.choices == "spectrum"]


def test_the_schedule_holds_the_checklist_and_the_spectrum() -> None:
    assert len(ELEMENTS) == 8 and len(DIMENSIONS) == 11
    assert scores_of(CCPS.choices(ELEMENTS[0])) == {
        "good_evidence": 2, "mixed_evidence": 1, "no_evidence": 0,
    }  # fmt: skip
    assert list(scores_of(CCPS.choices(DIMENSIONS[0])).values()) == [-2, -1, 0, 1, 2]
    # every element has a comment beside its score
    texts = [v.id for v in CCPS.questions if v.type == "text"]
    assert [f"e{n}_comment" for n in range(1, 9)] == [t for t in texts if t.endswith("_comment")]
    assert [(c.show, len(c.variables)) for c in CCPS.spec.comparisons] == [
        ("bars", 8), ("means", 8), ("diverging", 11),
    ]  # fmt: skip


def test_a_scale_half_scored_or_a_mean_of_unscored_codes_is_refused__every_problem_named() -> None:
    text = SCHEDULE_FILE.read_text(encoding="utf-8")
    text = text.replace('label: "0: We cannot evidence this", score: 0',
                        'label: "0: We cannot evidence this"')  # fmt: skip
    text = text.replace("show: diverging", "show: means").replace(
        "{code: traditional, label: Traditional, score: -2}", "{code: traditional, label: T}"
    )
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(text, source="ccps.yaml")
    problems = refused.value.problems
    assert "choice list evidence: give every choice a score or none (no score: no_evidence)" in (
        problems
    )
    assert "choice list spectrum: give every choice a score or none (no score: traditional)" in (
        problems
    )
    assert any(p.startswith("comparison 2 (Mean score") and "need a score each" in p
               for p in problems)  # fmt: skip
    assert any(p.startswith("comparison 3 (Where") and "need a score each" in p for p in problems)
    # {mean} is a word only a scored question's report may use
    assert (
        "variable e3_ethical: report text names unknown code 'mean' (known: good_evidence, "
        "mixed_evidence, no_evidence, base, answered, label, list)" in problems
    )


def tally(counts: dict[str, int], scores: dict[str, int], no_answer: int = 0) -> Tally:
    answered = sum(counts.values())
    return Tally("x", "single", "Person-centred commissioning", answered + no_answer, counts,
                 no_answer, 0, 0, answered, {c: c for c in counts}, scores)  # fmt: skip


EVIDENCE = {"good_evidence": 2, "mixed_evidence": 1, "no_evidence": 0}
SPECTRUM = {"traditional": -2, "mostly_traditional": -1, "in_between": 0,
            "mostly_collaborative": 1, "collaborative": 2}  # fmt: skip


def test_the_mean_score_leaves_out_those_who_did_not_answer() -> None:
    scored = tally({"good_evidence": 3, "mixed_evidence": 1, "no_evidence": 1}, EVIDENCE, 2)
    assert scored.mean_score == pytest.approx(7 / 5)
    assert tally_dict(scored)["mean_score"] == 1.4
    assert "mean_score" not in tally_dict(tally({"yes": 3}, {}))
    assert tally({"good_evidence": 0}, EVIDENCE, 2).mean_score is None
    figures = response_figures(["completed"] * 7, "partnership")
    report = WaveReport("w", CCPS, figures, {"x": scored}, DRAFT, 7)
    markdown = report_markdown(report, "CCPS")
    assert "Mean score: 1.4 (scale 0 to 2)." in markdown
    assert "| status | partnerships |" in markdown
    assert json.loads(report_json(report))["variables"]["x"]["mean_score"] == 1.4


def test_a_scale_with_a_negative_end_writes_its_mean_signed() -> None:
    assert (mean_text(0.3, SPECTRUM), mean_text(-0.94, SPECTRUM), mean_text(0.02, SPECTRUM)) == (
        "+0.3", "−0.9", "0.0",
    )  # fmt: skip
    assert mean_text(1.43, EVIDENCE) == "1.4"
    assert (scale_text(SPECTRUM), scale_text(EVIDENCE)) == ("−2 to +2", "0 to 2")


def test_a_diverging_bar_puts_the_middle_point_across_zero() -> None:
    counts = {"traditional": 1, "mostly_traditional": 1, "in_between": 2,
              "mostly_collaborative": 0, "collaborative": 1}  # fmt: skip
    rows = diverging_rows([tally(counts, SPECTRUM)], {})
    assert [(r["code"], r["start"], r["end"]) for r in rows] == [
        ("traditional", -60, -40), ("mostly_traditional", -40, -20), ("in_between", -20, 20),
        ("mostly_collaborative", 20, 20), ("collaborative", 20, 40),
    ]  # fmt: skip


@pytest.fixture
def demo_ccps(engine: Engine) -> Engine:
    with Session(engine) as session:
        report = fill_demo_wave(session, actor=ADMIN, schedule="ccps_self_assessment")
    assert (report.wave_key, report.completed, len(report.declined)) == ("demo-ccps", 30, 1)
    return engine


def test_the_demo_fills_the_self_assessment_for_the_partnerships(demo_ccps: Engine) -> None:
    with Session(demo_ccps) as session:
        wave = wave_summary(session, actor=ADMIN, wave_key=DEMO.wave)
        report = load_report(session, actor=AUDITOR, wave_key=DEMO.wave)
        results = load_results(session, actor=AUDITOR, wave_key=DEMO.wave)
    assert (wave.frame, wave.member, wave.instrument) == (
        "partnerships", "partnership", "ccps_self_assessment",
    )  # fmt: skip
    assert report.figures.headline == "30 of 31 partnerships interviewed (96.8%)"
    for element in ELEMENTS:
        counted = report.tallies[element]
        scored = {c: counted.counts[c] for c in EVIDENCE}
        by_hand = sum(EVIDENCE[c] * n for c, n in scored.items()) / sum(scored.values())
        assert counted.mean_score == pytest.approx(by_hand)
    # the dashboard's path counts the same as the report's
    assert {k: t.counts for k, t in results.tallies.items()} == {
        k: t.counts for k, t in report.tallies.items()
    }
    means = means_table([report.tallies[e] for e in ELEMENTS], {})
    assert means["Mean (0 to 2)"] == [
        mean_text(report.tallies[e].mean_score or 0, EVIDENCE) for e in ELEMENTS
    ]
    for comparison in CCPS.spec.comparisons:  # each declared exhibit draws, valid Vega-Lite
        declared_chart(comparison, report.tallies, "partnership").to_dict()


def test_the_report_speaks_of_partnerships_and_their_scores(
    demo_ccps: Engine, monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "report.md"
    assert survey_cli.main(["report", "--wave", DEMO.wave, "--format", "markdown",
                            "--out", str(out)]) == 0  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert "30 of 31 partnerships interviewed" in text and "councils" not in text
    assert text.count("Mean score: ") == 19
    with Session(demo_ccps) as session:
        results = load_results(session, actor=AUDITOR, wave_key=DEMO.wave,
                               include_unvalidated=True)  # fmt: skip
    sentences = report_sentences(results)
    person_centred = results.tallies["e1_person_centred"]
    assert sentences["e1_person_centred"][0].startswith("On person-centred commissioning, ")
    assert sentences["e1_person_centred"][0].endswith(
        f"(a mean score of {mean_text(person_centred.mean_score or 0, EVIDENCE)} out of 2)."
    )
    assert "partnerships placed their practice as" in sentences["d1_need"][0]
    method = methodology_paragraph(
        results.instrument, results.interviews, results.figures, results.view
    )
    assert method.startswith("Thirty-one partnerships were eligible")
    assert "One partnership, " in method and "council" not in method


@pytest.mark.sqlite_only
def test_the_dashboard_shows_the_declared_exhibits_with_every_role(
    demo_ccps: Engine, app_db: Engine
) -> None:
    at = app_as("auditor", timeout=60)
    at.run()
    at.switch_page("app_pages/dashboard.py").run()
    # a choice of roles on 2011 is not carried to a wave whose schedule has other roles
    at.pills(key="dashboard_roles:2011").set_value(["other"]).run()
    at.selectbox(key="wave").set_value(DEMO.wave).run()
    assert not at.exception, at.exception
    headings = [h.value for h in at.subheader]
    assert "30 of 31 partnerships interviewed (96.8%)" in headings
    assert {
        "Q1–Q8 Evidence for each element of the checklist",
        "Q1–Q8 Mean score for each element (0 to 2)",
        "Q9–Q19 Where commissioning sits, traditional to collaborative",
    } <= set(headings)
    assert at.pills(key=f"dashboard_roles:{DEMO.wave}").value == [
        c.code for c in CCPS.choices("respondent_role")
    ]
    # the demo leaves four partnerships still validating: the published view counts 26
    assert report_counted(at) == "Showing 26 of the 26 validated submissions (no filter).", [
        c.value for c in at.caption
    ]


def report_counted(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Showing "))


def staff_page(role: str, script: str) -> AppTest:
    """The page on the demo wave, chosen in the sidebar (AppTest's switch_page drops the URL's
    query parameters, so the wave is chosen after it)."""
    at = app_as(role, timeout=60)
    at.run()
    at.switch_page(script).run()
    at.selectbox(key="wave").set_value(DEMO.wave).run()
    assert not at.exception, at.exception
    return at


def test_the_pages_speak_of_partnerships_on_a_partnership_wave(
    demo_ccps: Engine, app_db: Engine
) -> None:
    fieldwork = staff_page("interviewer", "app_pages/fieldwork.py")
    assert [h.value for h in fieldwork.header][:1] == ["30 of 31 partnerships interviewed (96.8%)"]
    assert "All partnerships" in [h.value for h in fieldwork.header]
    assert fieldwork.selectbox(key="fieldwork_council").label == "Partnership"
    assert "Partnership" in fieldwork.dataframe[0].value.columns
    interview = staff_page("interviewer", "app_pages/interview.py")
    assert interview.selectbox(key="council").label == "Partnership"
    assert interview.info[0].value.startswith("Choose the partnership you are interviewing.")
    summaries = staff_page("auditor", "app_pages/summaries.py")
    assert summaries.title[0].value == "Partnership summaries"
    words = " ".join(
        [e.value for e in (*fieldwork.markdown, *fieldwork.header, *interview.markdown)]
    )
    assert "council" not in words.casefold(), words
