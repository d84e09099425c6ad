"""WCAG 2.2 AA in a real browser: axe-core finds no serious or critical violation on the
sign-in forms and every page (minor ones are listed, not failed); no accessible name says an
icon's name; headings never skip a level."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Council, Interview
from services.review import request_correction, validate_submission
from services.themes import create_theme
from tests.answering import complete_whole_interview
from tests.browser.conftest import (
    Violation,
    add_account,
    assert_accessible,
    heading_jumps,
    icon_names_in_labels,
    sign_in,
)
from tests.conftest import INTERVIEWER
from tests.signing import account

pytestmark = pytest.mark.browser
FIFE = "S12000047"


def report(name: str, found: list[Violation]) -> None:
    """Say what axe still finds below serious, so a run's log shows it."""
    print(f"\n{name}: {len(found)} violation(s) below serious")
    for v in found:
        print(v.described())


def completed_fife(engine: Engine) -> int:
    with Session(engine) as s:
        found = s.scalar(select(Interview.id).join(Council).where(Council.code == FIFE))
    assert found is not None
    complete_whole_interview(engine, INTERVIEWER, found)
    return found


def test_the_checks_find_icon_names_and_skipped_headings(page) -> None:  # type: ignore[no-untyped-def]
    """The two checks of our own fire on what they look for: an icon drawn as its ligature in
    the icon font and not hidden reads into its button's and expander's names; a heading that
    jumps from h1 to h3. Hidden icons and headings that step down one level pass."""
    icon = "font-family: 'Material Symbols Rounded'"
    page.set_content(
        f"""<div data-testid="stMain">
        <h1>Page</h1><h2>Part</h2><h3>Question</h3><h2>Next part</h2>
        <button><span style="{icon}" aria-hidden="true">download</span>Download</button>
        <details><summary>Notes (2)<span style="{icon}" aria-hidden="true">expand_more</span>
        </summary></details></div>"""
    )
    assert icon_names_in_labels(page) == [] and heading_jumps(page) == []
    page.set_content(
        f"""<div data-testid="stMain"><h1>Page</h1><h3>Question</h3>
        <button><span style="{icon}">download</span>Download</button>
        <details><summary>History (1) <span style="{icon}">expand_more</span></summary>
        </details></div>"""
    )
    leaked = icon_names_in_labels(page)
    assert "button 'downloadDownload'" in leaked, leaked
    assert any("History (1) expand_more" in n for n in leaked), leaked
    assert heading_jumps(page) == ["h3 'Question' (after h1)"]


def test_accessible__first_administrator_form(page, app_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(app_url)
    page.get_by_role("heading", name="Create the administrator").wait_for()
    report("first administrator", assert_accessible(page, "first-administrator"))


def test_accessible__sign_in_form(page, app_url: str, app_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    add_account(app_engine, "ilona", "interviewer")
    page.goto(app_url)
    page.get_by_role("button", name="Sign in").wait_for()
    report("sign in", assert_accessible(page, "sign-in"))


def test_accessible__fieldwork(page, app_url: str, app_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    add_account(app_engine, "ilona", "interviewer")
    completed_fife(app_engine)
    sign_in(page, app_url, "ilona")
    page.get_by_role("heading", name="Fieldwork").first.wait_for()
    report("fieldwork", assert_accessible(page, "fieldwork"))


def test_accessible__our_submission(page, app_url: str, app_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    add_account(app_engine, "fife", "council", FIFE)
    completed_fife(app_engine)
    sign_in(page, app_url, "fife")
    page.get_by_role("heading", name="Our submission: Fife").wait_for()
    report("our submission", assert_accessible(page, "our-submission"))
    q1 = page.locator(".st-key-review_q1_most_involved")
    q1.get_by_role("button", name="Request a correction").click()
    page.get_by_label("What should change, and why?").wait_for()
    report("our submission, request open", assert_accessible(page, "our-submission-request"))


def test_accessible__corrections(page, app_url: str, app_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    add_account(app_engine, "ilona", "interviewer")
    interview_id = completed_fife(app_engine)
    council = account(app_engine, "council", council=FIFE)
    with Session(app_engine) as s:
        request_correction(
            s, actor=council, interview_id=interview_id, variable_id="q1_most_involved",
            comment="Should be children and families.",
        )  # fmt: skip
    sign_in(page, app_url, "ilona")
    page.get_by_role("link", name="Corrections").click()
    page.get_by_role("heading", name="Corrections").wait_for()
    report("corrections", assert_accessible(page, "corrections"))
    page.get_by_role("button", name="Keep the answer and reply").click()
    page.get_by_role("textbox").first.wait_for()
    report("corrections, reply open", assert_accessible(page, "corrections-reply"))


def test_accessible__interview_keying_panel(page, app_url: str, app_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """The Interview page as keyed: a Part with answers, a reserved code, a note and history
    open, a refused value with its message, a validated submission's reason box; each
    control named by its question."""
    add_account(app_engine, "ilona", "interviewer")
    sign_in(page, app_url, "ilona")
    page.goto(f"{app_url}/interview?council={FIFE}")
    panel = page.locator(".keying")
    panel.locator(".question").first.wait_for()
    report("interview, new", assert_accessible(page, "interview-new"))
    q1 = panel.locator('[data-variable="q1_most_involved"]')
    q1.get_by_role("radiogroup").focus()
    page.keyboard.press("5")  # Other: its follow-up opens
    page.keyboard.type("Carers' centre")
    page.keyboard.press("Tab")
    page.keyboard.press("n")
    q1.get_by_role("radiogroup").focus()
    page.keyboard.press("Alt+N")
    page.keyboard.type("R hesitant")
    page.keyboard.press("Enter")
    page.keyboard.press("Alt+H")
    q1.get_by_role("status").filter(has_text="Saved").wait_for()
    # Every "Did not answer" says which question it is for.
    names = panel.get_by_role("button", name="Did not answer: ", exact=False).all()
    assert len(names) > 5 and len({b.get_attribute("aria-label") for b in names}) == len(names)
    report("interview, keyed", assert_accessible(page, "interview-keyed"))
    page.goto(f"{app_url}/interview?council={FIFE}&part=G")
    q24 = panel.locator('[data-variable="q24_inhouse_pct"]')
    q24.get_by_role("textbox").first.focus()
    page.keyboard.type("30:60")
    page.keyboard.press("Enter")
    q24.get_by_text("Not saved:", exact=False).first.wait_for()
    report("interview, refused", assert_accessible(page, "interview-refused"))


@pytest.mark.parametrize(
    ("link", "heading"),
    [
        ("Dashboard", "1 of 32 councils interviewed (3.1%)"),
        ("Council summaries", "Fife"),
        ("Coding", "Themes of the whole answer"),
    ],
)
def test_accessible__the_interviewers_other_pages(
    page, app_url: str, app_engine: Engine, link: str, heading: str
) -> None:  # type: ignore[no-untyped-def]
    """Every page an interviewer sees, with one validated council so the figures are drawn."""
    add_account(app_engine, "ilona", "interviewer")
    interview_id = completed_fife(app_engine)
    council = account(app_engine, "council", council=FIFE)
    with Session(app_engine) as s:
        validate_submission(s, actor=council, interview_id=interview_id)
        create_theme(s, actor=INTERVIEWER, wave_key="2011", name="External training",
                     variables=["q15_skills_capacity"], description="Sought outside")  # fmt: skip
    sign_in(page, app_url, "ilona")
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading, exact=True).first.wait_for()
    report(link, assert_accessible(page, link.lower().replace(" ", "-")))


@pytest.mark.parametrize(
    ("link", "heading"),
    [("Dashboard", "1 of 32 councils interviewed (3.1%)"), ("Council summaries", "Fife")],
)
def test_accessible__the_auditors_pages(
    page, app_url: str, app_engine: Engine, link: str, heading: str
) -> None:  # type: ignore[no-untyped-def]
    """The pages as an auditor reads them: validated councils only, verbatim withheld."""
    add_account(app_engine, "audrey", "auditor")
    interview_id = completed_fife(app_engine)
    council = account(app_engine, "council", council=FIFE)
    with Session(app_engine) as s:
        validate_submission(s, actor=council, interview_id=interview_id)
    sign_in(page, app_url, "audrey")
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading, exact=True).first.wait_for()
    shot = f"auditor-{link.lower().replace(' ', '-')}"
    report(f"{link} (auditor)", assert_accessible(page, shot))


@pytest.mark.parametrize(
    ("link", "heading"),
    [("Waves", "Waves"), ("Accounts", "Accounts"), ("Audit log", "Audit log"),
     ("Personal data", "Personal data")],
)
def test_accessible__the_administrators_pages(
    page, app_url: str, app_engine: Engine, link: str, heading: str
) -> None:  # type: ignore[no-untyped-def]
    add_account(app_engine, "ada", "admin")
    sign_in(page, app_url, "ada")
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading, exact=True).first.wait_for()
    report(link, assert_accessible(page, link.lower()))
