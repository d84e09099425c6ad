"""Coding the open answers in a real browser (issue 14, item 7): an analyst adds two themes
on the Coding page and codes three councils' answers to Q15 by keyboard, marking a passage as
a quote candidate; a second analyst codes the same answers blind; the agreement between them
shows, with where they differ, and is settled; the second analyst approves the quote; and the
auditor's Dashboard counts the themes and prints the quote, attributed by role only, never
the verbatim answers.

The three interviews are completed and validated by their councils through the services
beforehand (a quote is published only from a validated submission)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Council
from services.actor import Actor
from services.answers import save_answer
from services.interviews import complete_interview
from services.review import validate_submission
from services.waves import set_disclosure_threshold
from tests.answering import all_but_completion
from tests.browser.conftest import add_account, click_until_shown, idle, shoot, sign_in, sign_out
from tests.conftest import INTERVIEWER, interview_id_of
from tests.signing import account

pytestmark = pytest.mark.browser

SKILLS = "q15_skills_capacity"
SAID = {  # each council's answer to Q15, in the order the Coding page shows them (by name)
    "Angus": "We buy in external training from the local college when the budget allows.",
    "Fife": "Last year we sent two commissioners on an external CIPFA course in Edinburgh.",
    "Highland": "There is no budget for training at all; staff learn on the job.",
}
QUOTED = "two commissioners on an external CIPFA course"  # in Fife's answer
TRAINING, NONE = "External training", "No training"
FIRST = {"Angus": TRAINING, "Fife": TRAINING, "Highland": NONE}  # the first analyst's themes
SECOND = {"Angus": NONE, "Fife": TRAINING, "Highland": NONE}  # the second's: Angus differs
PROGRESS = "Q15 coded for {n} of 3 councils (your codings; another coder's are not shown)."


def validated_answers(engine: Engine) -> None:
    """Each council's interview, Q15 answered in its own words, completed and validated by
    the council; the administrator lets figures about three councils be published (the
    threshold is 5 unless set)."""
    with Session(engine) as s:
        set_disclosure_threshold(s, actor=Actor("ada", "admin"), wave_key="2011", threshold=3)
    for council, text in SAID.items():
        interview = interview_id_of(engine, council)
        all_but_completion(engine, INTERVIEWER, interview, leaving={SKILLS})
        with Session(engine) as s:
            code = s.scalar(select(Council.code).where(Council.name == council))
        assert code is not None
        reviewer = account(engine, "council", council=code)
        with Session(engine) as s:
            save_answer(s, actor=INTERVIEWER, interview_id=interview, variable_id=SKILLS,
                        value=text)  # fmt: skip
            complete_interview(s, actor=INTERVIEWER, interview_id=interview)
            validate_submission(s, actor=reviewer, interview_id=interview)


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMain")


def theme_toggle(page: Page, theme: str) -> Locator:
    """The toggle that applies a theme to the whole answer shown."""
    return main(page).get_by_role("switch", name=theme, exact=True)


def press_toggle(page: Page, theme: str) -> None:
    """Apply a theme to the whole answer from the keyboard: focus its toggle, press Space."""
    idle(page)
    toggle = theme_toggle(page, theme)
    expect(toggle).not_to_be_checked()
    toggle.focus()
    page.keyboard.press("Space")
    expect(main(page).get_by_text(f"Coded the whole answer as {theme}.")).to_be_visible()
    expect(theme_toggle(page, theme)).to_be_checked()


def showing(page: Page, council: str, at: int) -> None:
    """Wait for the page to show this council's answer, and its words."""
    expect(main(page).get_by_text(f"{council} · answer {at} of 3", exact=True)).to_be_visible()
    expect(main(page).get_by_text(SAID[council], exact=True)).to_be_visible()
    idle(page)


def move(page: Page, shortcut: str, council: str, at: int) -> None:
    """Alt+N or Alt+P, the Next and Previous buttons' shortcuts: on to that council's answer."""
    idle(page)
    page.keyboard.press(shortcut)
    showing(page, council, at)


def highlighted(page: Page, council: str) -> Locator:
    """The passages highlighted in the council's answer as shown (the coder's own codings)."""
    answer = main(page).get_by_test_id("stMarkdownContainer").filter(has_text=SAID[council])
    return answer.locator("strong")


def expect_row(grid: Locator, cells: list[str]) -> None:
    """A table (`st.dataframe`) shows a row of these cells. The grid is drawn on a canvas, with
    a table of its cells behind it for screen readers, made a moment after it is drawn."""
    grid.scroll_into_view_if_needed()
    row = grid.locator("tbody tr[role=row]").filter(has_text=cells[0])
    expect(row.locator("td[role=gridcell]")).to_have_text(cells, timeout=30_000)


def open_q15(page: Page) -> None:
    """The Coding page with Q15 chosen: the only open question with themes so far."""
    expect(page.get_by_role("combobox", name="Open question", exact=True)).to_have_value(
        re.compile(r"^Q15 · ")
    )
    showing(page, "Angus", 1)


# The position of an element and of the page's scroll, unchanged for a quarter of a second.
STILL = """(el) => {
  const main = document.querySelector('[data-testid="stMain"]');
  const at = `${el.getBoundingClientRect().top}:${main ? main.scrollTop : 0}`;
  const now = performance.now();
  if (el.__at !== at) { el.__at = at; el.__since = now; return false; }
  return now - el.__since > 250;
}"""


def still(page: Page, locator: Locator) -> None:
    """Wait until the element has stopped moving (an expander opening, the page re-laid)."""
    page.wait_for_function(STILL, arg=locator.element_handle(), polling=50)


def pick_question(page: Page, form: Locator) -> None:
    """Choose Q15 in the form's "Open questions it codes" by typing, as a person would.

    The list opens below the box; where it would run off the bottom of the window, opening it
    scrolls the page, and a scroll closes the list at once. So the box is brought to the middle
    of the window, and left to stop moving, before it is clicked."""
    box = form.get_by_role("combobox", name="Open questions it codes")
    still(page, box)
    box.evaluate("el => el.scrollIntoView({block: 'center'})")
    still(page, box)
    box.click()
    expect(page.get_by_role("option").first).to_be_visible()
    page.keyboard.type("Q15 ·", delay=30)
    expect(page.get_by_role("option")).to_have_count(1)
    expect(page.get_by_role("option")).to_have_text(re.compile(r"^Q15 · "))
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(form.get_by_test_id("stMultiSelect")).to_contain_text("Q15 · How does your council")


def add_theme(page: Page, name: str, meaning: str) -> None:
    """Add a theme for Q15 through the page's form (opening its expander if it is shut)."""
    idle(page)
    submit = page.get_by_test_id("stFormSubmitButton").filter(has_text="Add the theme")
    form = page.get_by_test_id("stForm").filter(has=submit)  # not by role: an open list
    # of options hides the rest of the page from the accessibility tree
    if not form.is_visible():
        expander = page.get_by_test_id("stExpander").filter(has_text="Add a theme to the codebook")
        expander.locator("summary").click()
    form.get_by_role("textbox", name="Theme", exact=True).fill(name)
    form.get_by_role("textbox", name="What it means, for coders").fill(meaning)
    pick_question(page, form)
    form.get_by_role("button", name="Add the theme").click()
    expect(main(page).get_by_text(f"Theme {name} added.")).to_be_visible()


def test_themes_coded_by_two_analysts__agreed__and_counted_for_the_auditor(
    page: Page, chromium: Browser, app_url: str, app_engine: Engine
) -> None:
    for username, role in [("anna", "analyst"), ("bruno", "analyst"), ("audrey", "auditor")]:
        add_account(app_engine, username, role)
    validated_answers(app_engine)

    # 1. The first analyst lands on Coding, adds two themes for Q15 and codes the three
    #    answers by keyboard, a passage of Fife's marked as a quote candidate.
    sign_in(page, app_url, "anna")
    page.get_by_role("heading", name="Coding", level=1).wait_for()
    expect(main(page).get_by_text("No open question has a theme yet")).to_be_visible()
    add_theme(page, TRAINING, "Training bought in or sought from outside the council")
    add_theme(page, NONE, "No training for commissioning staff")
    open_q15(page)
    expect(main(page).get_by_text(PROGRESS.format(n=0))).to_be_visible()
    shoot(page, "coding-01-themes-added")

    press_toggle(page, FIRST["Angus"])
    expect(main(page).get_by_text(PROGRESS.format(n=1))).to_be_visible()
    move(page, "Alt+KeyN", "Fife", 2)
    press_toggle(page, FIRST["Fife"])
    form = page.get_by_test_id("stForm").filter(
        has=page.get_by_test_id("stFormSubmitButton").filter(has_text="Code the passage")
    )
    form.get_by_role("textbox", name=re.compile("^Words to code")).fill(QUOTED)
    expect(form.get_by_role("combobox", name="Theme")).to_have_value(TRAINING)
    quote = form.get_by_role("checkbox", name="A quote candidate for the report")
    quote.focus()
    page.keyboard.press("Space")
    expect(quote).to_be_checked()
    form.get_by_role("button", name="Code the passage").click()
    expect(main(page).get_by_text(f"Coded the passage as {TRAINING}.")).to_be_visible()
    passage = main(page).locator("[class*='st-key-passage_']")
    expect(passage).to_have_count(1)
    expect(passage).to_contain_text(f"{TRAINING} · characters")
    expect(passage).to_contain_text(QUOTED)
    expect(passage.get_by_role("switch", name="Quote candidate")).to_be_checked()
    expect(highlighted(page, "Fife")).to_have_text([QUOTED])
    idle(page)
    shoot(page, "coding-02-first-analyst-codes-a-quote")
    move(page, "Alt+KeyN", "Highland", 3)
    press_toggle(page, FIRST["Highland"])
    expect(main(page).get_by_text(PROGRESS.format(n=3))).to_be_visible()
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    move(page, "Alt+KeyP", "Fife", 2)  # back: the theme and the passage are kept
    expect(theme_toggle(page, TRAINING)).to_be_checked()
    expect(highlighted(page, "Fife")).to_have_text([QUOTED])
    # Nobody approves their own quote: the first analyst has no candidates to approve.
    expect(main(page).get_by_text("Quote candidates from other coders")).to_have_count(0)
    shoot(page, "coding-03-first-analyst-done")
    sign_out(page)

    # 2. The second analyst, in a browser of their own, codes the same answers blind; the
    #    agreement shows, the difference is settled, and the first analyst's quote approved.
    second = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = second.new_page()
        other.set_default_timeout(20_000)
        second_analyst(other, app_url)
        sign_out(other)
    finally:
        second.close()

    # 3. The auditor's Dashboard: Q15's themes counted (the consensus standing over the first
    #    analyst's coding of Angus) and the approved quote, by the respondent's role only.
    sign_in(page, app_url, "audrey")
    page.get_by_role("heading", name="Dashboard", level=1).wait_for()
    section = main(page)
    themes = section.get_by_role("heading", name="Themes of the open answers")
    expect(themes).to_be_visible(timeout=60_000)  # the wave is tallied first: seconds, loaded
    after = "xpath=//h2[normalize-space()='Themes of the open answers']/following::*"
    chart = page.locator(f"{after}[@data-testid='stVegaLiteChart'][1]")
    table = page.locator(f"{after}[@data-testid='stDataFrame'][1]")
    base = "Base: 3 councils that answered; 3 of their answers carry a theme."
    expect(section.get_by_text(base, exact=False)).to_be_visible()
    for sentence in (
        "Two respondents mentioned no training.",
        "One respondent mentioned external training.",
    ):
        expect(section.get_by_text(sentence, exact=True)).to_be_visible()
    expect_row(table, [TRAINING, "1", "33"])
    expect_row(table, [NONE, "2", "67"])
    published = section.get_by_text(f"{TRAINING}: “{QUOTED}” — a Head of Service", exact=True)
    expect(published).to_be_visible()
    expect(chart.locator(".marks")).to_be_attached(timeout=30_000)  # drawn, for the picture
    idle(page)
    themes.evaluate("el => el.scrollIntoView({block: 'start'})")
    shoot(page, "coding-07-auditor-dashboard-themes")

    # Counts and the quote only: no answer's other words, and no council beside the quote
    # (the councils are named elsewhere on the Dashboard, in per-council figures).
    shown = section.inner_text()
    assert "Verbatim answer to" not in shown  # nor any other open answer
    for council, said in SAID.items():
        assert said not in shown, f"{council}'s answer is on the auditor's Dashboard"
        for words in said.replace(QUOTED, "|").split("|"):
            assert words.strip(" .") not in shown, f"{council}'s unquoted words: {words!r}"
    themes_section = shown.split("Themes of the open answers", 1)[1]
    themes_section = themes_section.split("Compared with another wave", 1)[0]
    for council in SAID:
        assert council not in themes_section, f"{council} named among the themes and quotes"


def second_analyst(page: Page, app_url: str) -> None:
    """The second analyst's part: coding blind, the agreement, consensus, the approval."""
    sign_in(page, app_url, "bruno")
    page.get_by_role("heading", name="Coding", level=1).wait_for()
    open_q15(page)
    expect(main(page).get_by_text(PROGRESS.format(n=0))).to_be_visible()
    for council, at in (("Angus", 1), ("Fife", 2), ("Highland", 3)):
        if at > 1:
            move(page, "Alt+KeyN", council, at)
        for theme in (TRAINING, NONE):  # blind: nothing of the first analyst's shows
            expect(theme_toggle(page, theme)).not_to_be_checked()
        expect(highlighted(page, council)).to_have_count(0)
        expect(main(page).locator("[class*='st-key-passage_']")).to_have_count(0)
        if council == "Fife":
            shoot(page, "coding-04-second-analyst-blind")
        press_toggle(page, SECOND[council])
        expect(main(page).get_by_text(PROGRESS.format(n=at))).to_be_visible()

    # The agreement: both coders compared on the three answers; where they differ, listed.
    agreement = main(page).get_by_test_id("stExpander").filter(has_text="Agreement between coders")
    agreement.get_by_text("Agreement between coders").click()
    expect(agreement.get_by_text("Coders: anna, bruno.", exact=False)).to_be_visible()
    figures = agreement.get_by_test_id("stDataFrame")
    # External training: anna yes, yes, no; bruno no, yes, no. No training the other way
    # round. Agreement 2 of 3 where chance gives 4 of 9: kappa 0.40; alpha 1 - (1/3)/0.6.
    expect_row(figures, [TRAINING, "3", "0.40", "0.44"])
    expect_row(figures, [NONE, "3", "0.40", "0.44"])
    differ = agreement.locator("[class*='st-key-differ_']")
    expect(differ).to_have_count(2)
    angus_training = differ.filter(has_text=f"Angus · {TRAINING}")
    expect(angus_training).to_contain_text(
        f"Angus · {TRAINING}: applied by anna, not by bruno; not yet agreed."
    )
    expect(differ.filter(has_text=f"Angus · {NONE}")).to_contain_text(
        f"Angus · {NONE}: applied by bruno, not by anna; not yet agreed."
    )
    idle(page)
    shoot(page, "coding-05-agreement")

    # The consensus pass: external training does not apply to Angus's answer after all.
    angus_training.get_by_role("button", name="It does not apply").click()
    expect(main(page).get_by_text(f"Agreed: {TRAINING} does not apply.")).to_be_visible()
    expect(angus_training).to_contain_text("agreed: it does not apply.")
    expect(angus_training.get_by_role("button", name="It does not apply")).to_be_disabled()

    # The first analyst's quote candidate, approved by a second person.
    approvals = (
        main(page)
        .get_by_test_id("stExpander")
        .filter(has_text="Quote candidates from other coders")
    )
    idle(page)
    approvals.get_by_text("Quote candidates from other coders").click()
    expect(approvals).to_contain_text("1 of 1 waiting for approval.")
    candidate = approvals.locator("[class*='st-key-candidate_']")
    expect(
        candidate.get_by_text(f"Fife · {TRAINING} · marked by anna; not approved")
    ).to_be_visible()
    expect(candidate.get_by_text(f"“{QUOTED}”")).to_be_visible()
    click_until_shown(page, candidate.get_by_role("button", name="Approve for the report"),
                      main(page).get_by_text("Quote approved for the report."))  # fmt: skip
    expect(approvals).to_contain_text("0 of 1 waiting for approval.")  # still open
    expect(
        candidate.get_by_text(f"Fife · {TRAINING} · marked by anna; approved by bruno")
    ).to_be_visible()
    expect(candidate.get_by_role("button", name="Withdraw the approval")).to_be_visible()
    idle(page)
    shoot(page, "coding-06-quote-approved")
