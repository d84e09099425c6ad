"""The Coding page through AppTest: an interviewer reads one answer at a time, codes the whole
answer with a theme's toggle and a passage by pasting its words, marks a quote, moves on with
Next, and adds a theme; typed words stay text; the page is not an auditor's."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from app_pages.navigation import ROLE_PAGES
from instrument.vocabulary import Role
from services.actor import Actor
from services.codings import code_answer, my_codings
from services.quotes import quotes_to_approve
from services.themes import list_themes
from tests.answering import open_answers_to_code
from tests.signing import app_as

pytestmark = pytest.mark.sqlite_only  # the page's services run on both databases elsewhere

SKILLS = "q15_skills_capacity"
ANGUS_SAYS = "No external training this year. **Budgets** are <b>frozen</b>."
FIFE_SAYS = "We sent two commissioners on the CIPFA course."
CODER = Actor("interviewer", "interviewer")  # the account app_as signs in


@pytest.fixture
def to_code(app_db: Engine) -> dict[str, int]:
    return open_answers_to_code(app_db, SKILLS, {"Angus": ANGUS_SAYS, "Fife": FIFE_SAYS},
                                ["External training", "Budgets"])  # fmt: skip


def open_coding() -> AppTest:
    at = app_as(timeout=60)
    at.run()
    at.switch_page("app_pages/coding.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Coding"]
    return at


def read(markdown: str) -> str:
    """What a person reads: escapes undone, highlights unwrapped."""
    text = re.sub(r":orange-background\[\*\*(.*?)\*\*\]", r"\1", markdown, flags=re.S)
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def submit(at: AppTest, label: str) -> None:
    next(b for b in at.get("form_submit_button") if b.label == label).click().run()


def mine(engine: Engine, interview: int) -> list[tuple[str, bool, str, bool]]:
    with Session(engine) as s:
        found = my_codings(s, actor=CODER, interview_id=interview, variable_id=SKILLS)
    return [(c.theme, c.whole, c.passage, c.quote) for c in found]


def test_an_answer_coded_whole_and_by_passage__then_the_next(
    app_db: Engine, to_code: dict[str, int]
) -> None:
    at = open_coding()
    assert at.selectbox(key="coding_question").value == SKILLS
    assert any("coded for 0 of 2 councils" in c.value for c in at.caption)
    shown = [m.value for m in at.markdown]
    assert "**Angus** · answer 1 of 2" in shown
    assert read(next(m for m in shown if "Budgets" in m and "frozen" in m)) == ANGUS_SAYS
    assert "<b>" not in next(m for m in shown if "frozen" in m)  # typed HTML stays text

    with Session(app_db) as s:
        training = next(t.id for t in list_themes(s, actor=CODER, wave_key="2011")
                        if t.name == "External training")  # fmt: skip
    at.toggle(key=f"whole:{to_code['Angus']}:{SKILLS}:{training}").set_value(True).run()
    assert not at.exception, at.exception
    assert mine(app_db, to_code["Angus"]) == [("External training", True, "", False)]

    at.text_area[0].input("**Budgets** are")
    at.selectbox[1].set_value("Budgets")
    at.checkbox[0].check()
    submit(at, "Code the passage")
    assert not at.exception, at.exception
    passage = ("Budgets", False, "**Budgets** are", True)
    assert passage in mine(app_db, to_code["Angus"])
    highlighted = next(m.value for m in at.markdown if "frozen" in m.value)
    assert highlighted.count(":orange-background[") == 1
    assert any("coded for 1 of 2 councils" in c.value for c in at.caption)

    at.button(key="coding_next").click().run()
    assert "**Fife** · answer 2 of 2" in [m.value for m in at.markdown]
    assert at.button(key="coding_next").disabled


def test_words_not_in_the_answer_are_refused_in_words(
    app_db: Engine, to_code: dict[str, int]
) -> None:
    at = open_coding()
    at.text_area[0].input("words nobody wrote")
    submit(at, "Code the passage")
    assert [e.value for e in at.error] == [
        "Those words are not in the answer: copy them from the text above."
    ]
    assert mine(app_db, to_code["Angus"]) == []


def test_a_theme_added_on_the_page__and_none_before_it(app_db: Engine) -> None:
    at = open_coding()
    assert [i.value for i in at.info] == ["No open question has a theme yet: add the first below."]
    at.text_input[0].input("Fair work")
    at.multiselect[0].set_value(["q17c_problems"])
    submit(at, "Add the theme")
    assert not at.exception, at.exception
    with Session(app_db) as s:
        themes = list_themes(s, actor=CODER, wave_key="2011")
    assert [(t.name, t.variables) for t in themes] == [("Fair work", ("q17c_problems",))]
    assert at.selectbox(key="coding_question").value == "q17c_problems"


def test_an_analyst_signs_in_to_the_coding_page_and_codes__auditors_never_see_it(
    app_db: Engine, to_code: dict[str, int]
) -> None:
    at = app_as("analyst", timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Coding"]  # the analyst's home page
    with Session(app_db) as s:
        budgets = next(t.id for t in list_themes(s, actor=CODER, wave_key="2011")
                       if t.name == "Budgets")  # fmt: skip
    at.toggle(key=f"whole:{to_code['Angus']}:{SKILLS}:{budgets}").set_value(True).run()
    assert not at.exception, at.exception
    with Session(app_db) as s:
        coded = my_codings(s, actor=Actor("analyst", "analyst"), interview_id=to_code["Angus"],
                           variable_id=SKILLS)  # fmt: skip
    assert [(c.theme, c.whole) for c in coded] == [("Budgets", True)]
    assert mine(app_db, to_code["Angus"]) == []  # the interviewer's codings are their own
    assert "coding" in ROLE_PAGES[Role.INTERVIEWER]
    assert "coding" not in ROLE_PAGES[Role.AUDITOR]


def test_the_agreement_between_two_coders_is_shown_with_where_they_differ(
    app_db: Engine, to_code: dict[str, int]
) -> None:
    second = Actor("isla", "interviewer")
    with Session(app_db) as s:
        for coder, council, theme in [(CODER, "Angus", "Budgets"), (CODER, "Fife", "Budgets"),
                                      (second, "Angus", "Budgets"),
                                      (second, "Fife", "External training")]:  # fmt: skip
            code_answer(s, actor=coder, interview_id=to_code[council], variable_id=SKILLS,
                        theme=theme)  # fmt: skip
    at = open_coding()
    (figures,) = [d.value for d in at.dataframe]
    # Budgets: both on Angus, one on Fife. Kappa: observed 1/2, chance 1 * 1/2 = 1/2, so 0.
    # Alpha: coincidences yes-yes 2, yes-no 1, no-yes 1 (n = 4): 1 - 2 / ((3 + 3) / 3) = 0.
    assert figures.to_dict("list") == {
        "Theme": ["Budgets", "External training"],
        "Answers compared": [2, 2],
        "Cohen's kappa": ["0.00", "0.00"],  # External training: the same, the other way round
        "Krippendorff's alpha": ["0.00", "0.00"],
    }
    differ = [t.value for t in at.text if " · " in t.value]
    assert differ == [
        "Fife · Budgets: applied by interviewer, not by isla; not yet agreed.",
        "Fife · External training: applied by isla, not by interviewer; not yet agreed.",
    ]
    at.button(key=f"agree:{to_code['Fife']}:Budgets:True").click().run()
    assert not at.exception, at.exception
    assert "Fife · Budgets: applied by interviewer, not by isla; agreed: it applies." in [
        t.value for t in at.text
    ]
    assert at.button(key=f"agree:{to_code['Fife']}:Budgets:True").disabled


def test_another_coders_quote_is_approved_on_the_page(
    app_db: Engine, to_code: dict[str, int]
) -> None:
    second = Actor("isla", "interviewer")
    with Session(app_db) as s:
        marked = code_answer(s, actor=second, interview_id=to_code["Fife"], variable_id=SKILLS,
                             theme="External training", start=16, end=28, quote=True)  # fmt: skip
    at = open_coding()
    assert "Fife · External training · marked by isla; not approved" in [t.value for t in at.text]
    at.button(key=f"approve:{marked.id}").click().run()
    assert not at.exception, at.exception
    with Session(app_db) as s:
        (seen,) = quotes_to_approve(s, actor=CODER, wave_key="2011", variable_id=SKILLS)
    assert seen.approved_by == "interviewer"
    assert at.button(key=f"approve:{marked.id}").label == "Withdraw the approval"


def test_the_exchange_with_nvivo_offers_the_project_the_codebook_and_the_codings(
    app_db: Engine, to_code: dict[str, int]
) -> None:
    at = open_coding()
    [exchange] = [e for e in at.expander if e.label == "Exchange with NVivo, ATLAS.ti or MAXQDA"]
    buttons = exchange.get("download_button")
    assert [b.proto.label for b in buttons] == ["Project (.qdpx)", "Codebook (.qdc)",
                                                "Codings (CSV)"]  # fmt: skip
    [uploader] = exchange.get("file_uploader")
    assert uploader.proto.type == [".qdpx", ".qdc", ".csv", ".xlsx"]
