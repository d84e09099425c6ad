"""Themes counted like closed answers (issue 14, item 4): per coded open question, the
respondents whose answers carry each theme, over those who answered; what the consensus pass
agreed stands over each coder's own coding; only completed interviews count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import survey_cli
from aggregation.report import report_json
from aggregation.themes import CodedTheme, count_themes, theme_lines, theme_sentences, themes_dict
from app_pages.common import DRAFTS_KEY
from services.actor import Actor
from services.agreement import record_agreement
from services.codings import code_answer, theme_tallies
from services.results import load_report
from services.review import validated_elsewhere
from services.themes import change_theme
from tests.answering import complete_whole_interview, open_answers_to_code
from tests.conftest import INTERVIEWER
from tests.signing import app_as

SECOND = Actor("isla", "interviewer")
AUDITOR = Actor("aud", "auditor")
SKILLS = "q15_skills_capacity"


def test_counted_by_hand__agreement_stands__coders_agreeing_count_once() -> None:
    codebook = [CodedTheme(1, "Training", None, (SKILLS,)),
                CodedTheme(2, "CIPFA", "Training", (SKILLS,)),
                CodedTheme(3, "Elsewhere", None, ("q14_further_guidance",))]  # fmt: skip
    answered = {SKILLS: {10, 11, 12, 13}}
    applied = {(10, SKILLS, 1), (11, SKILLS, 1), (11, SKILLS, 2), (12, SKILLS, 2),
               (99, SKILLS, 1)}  # 99 did not complete: not counted  # fmt: skip
    agreed = {(12, SKILLS, 2): False, (13, SKILLS, 1): True}  # 12 overruled, 13 added
    (tally,) = count_themes(codebook, answered, applied, agreed)
    assert (tally.variable_id, tally.base, tally.coded) == (SKILLS, 4, 3)
    assert [(c.label, c.parent, c.respondents) for c in tally.themes] == [
        ("Training", None, 3),
        ("CIPFA", "Training", 1),
    ]


ADMIN = Actor("ada", "admin")


@pytest.mark.sqlite_only
def test_the_reports_count_themes_over_completed_interviews(
    engine: Engine, cli_db: str, tmp_path: Path
) -> None:
    said = {c: f"{c}: training for commissioners." for c in ("Angus", "Fife", "Highland")}
    ids = open_answers_to_code(engine, SKILLS, said, ["Training", "Budgets"])
    for council in ("Angus", "Fife"):  # Highland's interview is still in progress
        complete_whole_interview(engine, INTERVIEWER, ids[council])
    with Session(engine) as s:
        for council in said:
            code_answer(s, actor=INTERVIEWER, interview_id=ids[council], variable_id=SKILLS,
                        theme="Training")  # fmt: skip
        code_answer(s, actor=SECOND, interview_id=ids["Fife"], variable_id=SKILLS,
                    theme="Budgets")  # fmt: skip
        record_agreement(s, actor=SECOND, interview_id=ids["Fife"], variable_id=SKILLS,
                         theme="Budgets", applies=False)  # fmt: skip
        (tally,) = theme_tallies(s, actor=AUDITOR, wave_key="2011",
                                 include_unvalidated=True)  # counts: auditors too  # fmt: skip
        (published,) = theme_tallies(s, actor=AUDITOR, wave_key="2011")
    # answers re-saved by complete_whole_interview keep Q15's text; Highland is not completed
    assert (tally.base, tally.coded) == (2, 2)
    assert {c.label: c.respondents for c in tally.themes} == {"Budgets": 0, "Training": 2}
    # neither council has validated: the published view counts nobody, so withholds nothing
    assert (published.base, published.withheld_below) == (0, None)

    out = tmp_path / "report.json"
    assert survey_cli.main(["report", "--wave", "2011", "--out", str(out), "--draft"]) == 0
    themes = json.loads(out.read_text(encoding="utf-8"))["themes"]
    assert themes[SKILLS]["base"] == 2
    assert {t["label"]: t["respondents"] for t in themes[SKILLS]["themes"].values()} == {
        "Budgets": 0, "Training": 2,
    }  # fmt: skip
    assert survey_cli.main(["report", "--wave", "2011", "--format", "markdown",
                            "--out", str(out), "--draft"]) == 0  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert "## Themes of the open answers" in text
    assert "| Training | 2 | 100% |" in text and "| Budgets | 0 | 0% |" in text
    assert "**Draft view, not for publication: figures count every completed interview (2)" in text

    with Session(engine) as s:  # both validate: counted, but two are too few to publish
        validated_elsewhere(s, actor=ADMIN, wave_key="2011", evidence="by telephone")
    assert survey_cli.main(["report", "--wave", "2011", "--out", str(out)]) == 0
    themes = json.loads(out.read_text(encoding="utf-8"))["themes"]
    assert themes[SKILLS]["withheld"] is True and themes[SKILLS]["fewer_than"] == 5
    assert themes[SKILLS]["base"] is None
    assert {t["respondents"] for t in themes[SKILLS]["themes"].values()} == {None}


def test_without_themes_the_report_is_as_before(engine: Engine) -> None:
    with Session(engine) as s:
        tallies = theme_tallies(s, actor=AUDITOR, wave_key="2011")
        report = load_report(s, actor=AUDITOR, wave_key="2011")
    assert tallies == []
    plain = report_json(report)
    assert report_json(report, themes=themes_dict(tallies)) == plain


@pytest.mark.sqlite_only
def test_the_dashboard_counts_themes_and_shows_no_verbatim(app_db: Engine) -> None:
    said = {"Angus": "Angus: <b>training</b> secret words.", "Fife": "Fife: training."}
    ids = open_answers_to_code(app_db, SKILLS, said, ["Training"])
    for council in said:
        complete_whole_interview(app_db, INTERVIEWER, ids[council])
    with Session(app_db) as s:
        code_answer(s, actor=INTERVIEWER, interview_id=ids["Fife"], variable_id=SKILLS,
                    theme="Training")  # fmt: skip
    at = app_as("auditor", timeout=60)
    at.session_state[DRAFTS_KEY] = True  # two councils, not validated: the draft view
    at.run()
    at.switch_page("app_pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert "Themes of the open answers" in [h.value for h in at.header]
    assert any(h.value.startswith("Q15 · ") for h in at.subheader)
    assert any(c.value.startswith("Base: 2 councils that answered; 1 of their answers carry")
               for c in at.caption)  # fmt: skip
    table = next(d.value for d in at.dataframe if "Training" in list(d.value.iloc[:, 0]))
    assert dict(zip(table["Answer"], table["n"], strict=True))["Training"] == 1
    assert "Did not answer" not in list(table["Answer"])  # the base is those who answered
    shown = " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.text))
    assert "secret words" not in shown
    with Session(app_db) as s:  # validated: counted, yet two are too few to publish
        validated_elsewhere(s, actor=ADMIN, wave_key="2011", evidence="by telephone")
    at.session_state[DRAFTS_KEY] = False
    at.run()
    assert [i.value for i in at.info if "answered" in i.value] == [
        "Withheld: fewer than 5 councils answered, so not published."
    ]


def test_each_theme_is_said_in_the_reports_words__its_own_or_the_generic_sentence() -> None:
    own = "Representatives from {n council} said they had sought training [externally|externally]."
    tally = count_themes(
        [CodedTheme(1, "External training", None, (SKILLS,), own),
         CodedTheme(2, "Capacity gaps", None, (SKILLS,)),
         CodedTheme(3, "Pay", None, (SKILLS,))],
        {SKILLS: {1, 2, 3, 4, 5, 6, 7}},
        {(i, SKILLS, 1) for i in range(1, 7)} | {(7, SKILLS, 2)},
        {},
    )[0]  # fmt: skip
    assert theme_sentences(tally) == [
        "Representatives from six councils said they had sought training externally.",
        "One respondent mentioned capacity gaps.",
    ]  # Pay, mentioned by none, is left to the table
    lines = "\n".join(theme_lines([tally], {SKILLS: "Q15 · Skills"}))
    assert "One respondent mentioned capacity gaps." in lines
    assert "| Pay | 0 | 0% |" in lines


@pytest.mark.sqlite_only
def test_the_word_supplement_has_the_themes(
    engine: Engine, cli_db: str, tmp_path: Path
) -> None:
    ids = open_answers_to_code(engine, SKILLS, {"Fife": "Fife: training."}, ["Training"])
    complete_whole_interview(engine, INTERVIEWER, ids["Fife"])
    with Session(engine) as s:
        code_answer(s, actor=INTERVIEWER, interview_id=ids["Fife"], variable_id=SKILLS,
                    theme="Training")  # fmt: skip
        change_theme(s, actor=INTERVIEWER, wave_key="2011", theme="Training",
                     report="{n council} said they had sought training.")  # fmt: skip
    out = tmp_path / "supplement.docx"
    assert survey_cli.main(["report", "--wave", "2011", "--format", "docx",
                            "--out", str(out), "--draft"]) == 0  # fmt: skip
    paragraphs = [p.text for p in Document(str(out)).paragraphs]
    at = paragraphs.index("Themes of the open answers")
    assert "One council said they had sought training." in paragraphs[at:]
