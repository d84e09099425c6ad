"""The whole journey in a real browser, from an empty database to a validated council in the
national results: the first administrator, accounts, the auditor's empty dashboard, a whole
interview keyed by mouse and keyboard (with a refresh halfway), completion, the council's
validation, and the auditor's figures and summaries afterwards."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aggregation.wording import counted as with_noun
from db.models import Answer, Council, Interview
from instrument.loader import instrument_named
from instrument.model import DONT_KNOW, RESERVED_LABELS, Variable
from tests.browser.conftest import (
    add_in_form,
    create_administrator,
    idle,
    press_complete,
    question,
    shoot,
    sign_in,
    sign_out,
    wait_for_saved,
)

pytestmark = pytest.mark.browser
FIFE = "S12000047"
INSTRUMENT = instrument_named("schedule_2011")
# Everything else follows one rule per type (below); these take routing's other branches
# (Q5 "other" asks which group; Q12 "no" asks 12b instead of 12a) and key a reserved code.
CHOSEN = {"q5_least_involved": "other", "q12_sg_used": "no", "q15_external_training": DONT_KNOW}
NOTE = ("q1_most_involved", "Respondent read this from the 2010 strategy")
SUMMARY = "Fife involves older people most; tendering is recent and budgets are falling."
RESPONDENT = ("Morag Example", "head_of_service", "Head of Service")
INTERVIEWED_ON = dt.date(2011, 9, 14)


def planned(variable: Variable) -> str:
    """What the respondent says: yes (so routed follow-ups are asked), the first choice,
    the first two of a multiple choice, a 30:70 home care balance, a sentence of text."""
    if variable.id in CHOSEN:
        return CHOSEN[variable.id]
    codes = [c.code for c in INSTRUMENT.choices(variable)]
    if variable.type == "yesno":
        return "yes"
    if variable.type == "single":
        return codes[0]
    if variable.type == "multi":
        return ";".join(codes[:2])
    if variable.type == "percent":
        return "30"
    return f"Fife's answer to {variable.display_number or variable.id}, keyed in the browser"


def fife_interview(engine: Engine) -> Interview:
    with Session(engine) as s:
        return s.scalar(select(Interview).join(Council).where(Council.code == FIFE))  # type: ignore[return-value]


def stored_answers(engine: Engine, interview_id: int) -> dict[str, tuple[str | None, str | None]]:
    with Session(engine) as s:
        rows = s.scalars(select(Answer).where(Answer.interview_id == interview_id))
        return {a.variable_id: (a.value, a.note) for a in rows}


def wait_for_interview(engine: Engine, what: str, check: Callable[[Interview], bool]) -> None:
    """Poll the database until the interview row shows what was entered."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if check(fife_interview(engine)):
            return
        time.sleep(0.2)
    raise AssertionError(f"the interview's {what} never reached the database")


def label(variable: Variable, code: str) -> str:
    return INSTRUMENT.choice_label(variable, code)


def open_list(page, field) -> None:  # type: ignore[no-untyped-def]
    """Open a select box's list. Scrolled into view first: a list opened while the page
    scrolls (as Playwright scrolls to click) closes again at once."""
    field.scroll_into_view_if_needed()
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    field.click()


def key_answer(page, engine: Engine, interview_id: int, variable: Variable, value: str) -> None:  # type: ignore[no-untyped-def]
    """Enter one answer with the mouse (choices) or by typing (text); wait for its autosave."""
    box = question(page, variable.id)
    if value in RESERVED_LABELS:
        box.get_by_role("button", name=re.compile(f"^{RESERVED_LABELS[value]}: ")).click()
    elif variable.type in ("yesno", "single"):
        box.get_by_role("radio", name=label(variable, value), exact=True).click()
    elif variable.type == "multi":
        chosen: list[str] = []
        for code in value.split(";"):
            box.get_by_role("option", name=label(variable, code), exact=True).click()
            chosen.append(code)
            wait_for_saved(engine, interview_id, variable.id, {"value": ";".join(chosen)})
    elif variable.type == "percent":
        box.get_by_role("textbox").first.click()
        page.keyboard.type(f"{value}:{100 - int(value)}")
        page.keyboard.press("Enter")
    else:
        box.locator("textarea.verbatim").click()
        page.keyboard.type(value)  # no Tab, no Enter: the pause in typing saves it
    saved = wait_for_saved(engine, interview_id, variable.id, {"value": value})
    expect(box.get_by_role("button", name=f"History ({saved.version})")).to_be_visible()
    expect(box.get_by_role("status")).to_contain_text("Saved")


def key_note(page, engine: Engine, interview_id: int, variable_id: str, note: str) -> None:  # type: ignore[no-untyped-def]
    """Open the note with its button, type it; it saves as it is typed."""
    box = question(page, variable_id)
    box.get_by_role("button", name=re.compile("^Note on ")).click()
    page.keyboard.type(note)
    saved = wait_for_saved(engine, interview_id, variable_id, {"note": note})
    expect(box.get_by_role("button", name=f"History ({saved.version})")).to_be_visible()


def expect_on_screen(page, variable: Variable, value: str) -> None:  # type: ignore[no-untyped-def]
    """The answer as the Interview page shows it."""
    box = question(page, variable.id)
    if value in RESERVED_LABELS:
        chosen = box.get_by_role("button", name=re.compile(f"^{RESERVED_LABELS[value]}: "))
        expect(chosen).to_have_attribute("aria-pressed", "true")
    elif variable.type in ("yesno", "single"):
        expect(box.get_by_role("radio", name=label(variable, value), exact=True)).to_be_checked()
    elif variable.type == "multi":
        for code in value.split(";"):
            option = box.get_by_role("option", name=label(variable, code), exact=True)
            expect(option).to_have_attribute("aria-selected", "true")
    elif variable.type == "percent":
        expect(box.get_by_text(f"Recorded: {value}% in-house")).to_be_visible()
    else:
        expect(box.locator("textarea.verbatim")).to_have_value(value)


def open_part(page, part_id: str, *, by: str) -> None:  # type: ignore[no-untyped-def]
    """Go to a part with the "Next" button or the Part control, and wait for its heading."""
    if by == "next":
        page.get_by_role("button", name=re.compile(rf"^Next: Part {part_id}, ")).click()
    else:
        control = page.get_by_role("radiogroup", name="Part", exact=True)
        control.get_by_role("radio", name=re.compile(rf"^{part_id} · ")).click()
    page.get_by_role("heading", name=re.compile(rf"^Part {part_id}: ")).wait_for()
    idle(page)


def key_part(
    page, engine: Engine, interview_id: int, part_id: str, answers: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    """Answer every question of the part that routing asks, in schedule order."""
    part = next(p for p in INSTRUMENT.parts if p.id == part_id)
    for variable in part.variables:
        if not INSTRUMENT.applies(variable.id, answers):
            continue
        value = planned(variable)
        key_answer(page, engine, interview_id, variable, value)
        answers[variable.id] = value
        if variable.id == NOTE[0]:
            key_note(page, engine, interview_id, *NOTE)
    for variable in part.variables:  # what routing skips is not on the page
        if variable.id not in answers:
            expect(question(page, variable.id)).to_be_hidden()


WITHHELD = "Withheld: fewer than 5 councils, so not published."


def main_area(page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stMain")


def download_report(page) -> dict:  # type: ignore[type-arg, no-untyped-def]
    """The Dashboard's "National results (JSON)", downloaded and parsed."""
    idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="National results (JSON)").click()
    assert download.value.suggested_filename == "report_2011.json"
    return json.loads(Path(download.value.path()).read_text(encoding="utf-8"))


def key_details(page, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """Respondent and interview details: name, role, interviewer and date, each saved."""
    name, role, role_label = RESPONDENT
    details = page.get_by_role("region", name="Respondent and interview details")
    details.get_by_role("textbox", name="Respondent's name").click()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    wait_for_interview(engine, "respondent's name", lambda i: i.respondent_name == name)
    details.get_by_role("radio", name=role_label, exact=True).click()
    wait_for_interview(engine, "respondent's role", lambda i: i.respondent_role == role)
    interviewer = details.get_by_role("textbox", name="Interviewer")
    expect(interviewer).to_have_value("Ilona")  # the signed-in interviewer, filled in
    wait_for_interview(engine, "interviewer", lambda i: i.interviewer == "Ilona")
    date = details.get_by_role("textbox", name="Interview date (dd/mm/yyyy)")
    date.click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(INTERVIEWED_ON.strftime("%d/%m/%Y"))
    page.keyboard.press("Tab")
    wait_for_interview(engine, "date", lambda i: i.interview_date == INTERVIEWED_ON)


def test_whole_journey_from_empty_database_to_national_results(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    try:
        journey(page, app_url, app_engine)
    except Exception:
        with suppress(Exception):
            shoot(page, "journey-failed-here")
        raise


def journey(page, app_url: str, app_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    fife = fife_interview(app_engine).id

    # 1. The first administrator, then the accounts everyone else signs in with.
    create_administrator(page, app_url, "ada", shot="journey-01-first-administrator")
    for username, role, council in [
        ("ilona", "Interviewer", None),
        ("audrey", "Auditor", None),
        ("fife", "Council", "Fife"),
    ]:
        add_in_form(page, username, role, council)
    shoot(page, "journey-02-accounts")
    sign_out(page)

    # 2. The auditor's dashboard before fieldwork: nothing completed yet.
    sign_in(page, app_url, "audrey")
    page.get_by_role("heading", name="0 of 32 councils interviewed (0.0%)").wait_for()
    before = download_report(page)
    assert before["wave"] == "2011"
    assert before["response"]["completed"] == 0
    assert before["variables"]["q1_most_involved"]["counts"]["older_people"] == 0
    shoot(page, "journey-03-auditor-dashboard-empty")
    sign_out(page)

    # 3. The interviewer keys the whole interview for Fife.
    sign_in(page, app_url, "ilona")
    page.get_by_role("link", name="Interview").click()
    page.get_by_role("heading", name="Interview", exact=True).wait_for()
    idle(page)
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Council")
    picker.locator("input").click()
    page.keyboard.type("Fife")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=re.compile(r"^Part A: ")).wait_for()
    idle(page)
    key_details(page, app_engine)
    answers: dict[str, str] = {}
    for part_id, by in [("A", None), ("B", "next"), ("C", "control"), ("D", "next")]:
        if by:
            open_part(page, part_id, by=by)
        key_part(page, app_engine, fife, part_id, answers)
        shoot(page, f"journey-04-interview-part-{part_id.lower()}")

    # 4. A refresh halfway: still signed in, still on Part D, and nothing keyed is lost.
    assert stored_answers(app_engine, fife) == {
        v: (value, NOTE[1] if v == NOTE[0] else None) for v, value in answers.items()
    }
    page.reload()
    page.get_by_role("heading", name=re.compile(r"^Part D: ")).wait_for()
    idle(page)
    expect(page.get_by_text("Signed in as")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    assert FIFE in page.url and "part=D" in page.url
    details = page.get_by_role("region", name="Respondent and interview details")
    expect(details.get_by_role("textbox", name="Respondent's name")).to_have_value(RESPONDENT[0])
    expect(details.get_by_role("radio", name=RESPONDENT[2], exact=True)).to_be_checked()
    expect(details.get_by_role("textbox", name="Interviewer")).to_have_value("Ilona")
    date = details.get_by_role("textbox", name="Interview date (dd/mm/yyyy)")
    expect(date).to_have_value(INTERVIEWED_ON.strftime("%d/%m/%Y"))
    for part_id, by in [("D", None), ("A", "control"), ("B", "control"), ("C", "control")]:
        if by:
            open_part(page, part_id, by=by)
        for variable in next(p for p in INSTRUMENT.parts if p.id == part_id).variables:
            if variable.id in answers:
                expect_on_screen(page, variable, answers[variable.id])
        if part_id == "A":
            expect(question(page, NOTE[0]).get_by_text(f"Note: {NOTE[1]}")).to_be_visible()
    shoot(page, "journey-05-after-refresh")

    # The rest of the schedule, then the summary for auditors.
    for part_id, by in [("E", "control"), ("F", "next"), ("G", "next"), ("H", "next")]:
        open_part(page, part_id, by=by)
        key_part(page, app_engine, fife, part_id, answers)
        shoot(page, f"journey-06-interview-part-{part_id.lower()}")
    expect(page.get_by_role("button", name=re.compile(r"^Next: Part"))).to_have_count(0)
    page.get_by_label("Summary of the interview for auditors").click()
    page.keyboard.type(SUMMARY)
    wait_for_interview(app_engine, "summary", lambda i: i.summary == SUMMARY)
    idle(page)
    assert {v.id for v in INSTRUMENT.applicable(answers)} == set(answers)

    # 5. Complete: nothing is missing.
    expect(page.get_by_text("Everything that applies is recorded.")).to_be_visible()
    press_complete(page)
    wait_for_interview(app_engine, "status", lambda i: i.status == "completed")
    shoot(page, "journey-07-interview-complete")
    sign_out(page)

    # 6. The council reads its submission, confirms Part A and validates.
    sign_in(page, app_url, "fife")
    page.get_by_role("heading", name="Our submission: Fife").wait_for()
    part_a = next(p for p in INSTRUMENT.parts if p.id == "A")
    shown_in_a = [v for v in part_a.variables if v.id in answers]
    for variable in shown_in_a:
        value = answers[variable.id]
        words = label(variable, value) if variable.type in ("yesno", "single") else value
        expect(page.locator(f".st-key-review_{variable.id}")).to_contain_text(words)
    expect(page.locator(f".st-key-review_{NOTE[0]}")).not_to_contain_text(NOTE[1])  # not theirs
    shoot(page, "journey-08-council-reads")
    confirmed = with_noun(len(shown_in_a), "answer")
    page.get_by_role("button", name=f"Confirm the {confirmed} in Part A not yet reviewed").click()
    page.get_by_text(f"Confirmed {confirmed}.").wait_for()
    page.get_by_role("button", name="Validate our submission").click()
    page.get_by_text("Thank you: your submission is validated.").wait_for()
    wait_for_interview(app_engine, "validation", lambda i: i.validated_at is not None)
    shoot(page, "journey-09-council-validated")
    sign_out(page)

    # 7. The auditor: one interview in the headline. One council is too few to publish: the
    #    published view withholds its figures, and the draft view shows them.
    sign_in(page, app_url, "audrey")
    page.get_by_role("heading", name="1 of 32 councils interviewed (3.1%)").wait_for()
    expect(main_area(page).get_by_text(WITHHELD).first).to_be_visible()
    published = download_report(page)
    assert published["view"] == {"name": "published", "counted": 1, "threshold": 5,
                                 "counts": "completed interviews whose council has validated "
                                 "its submission"}  # fmt: skip
    assert published["variables"]["q1_most_involved"] == {
        "type": "single", "label": INSTRUMENT.variable("q1_most_involved").label,
        "withheld": True, "fewer_than": 5, "base": None,
    }  # fmt: skip
    page.get_by_text("Draft view (unvalidated councils too)").click()
    page.get_by_text("Not for publication.").first.wait_for()
    after = download_report(page)
    assert after["view"]["name"] == "draft"
    assert after["wave"] == "2011"
    assert after["response"]["completed"] == 1
    assert after["variables"]["q1_most_involved"]["counts"]["older_people"] == 1
    assert after["variables"]["respondent_role"]["counts"][RESPONDENT[1]] == 1
    assert after["variables"]["q24_inhouse_pct"]["median"] == 30
    for variable in INSTRUMENT.closed_questions:
        tally = after["variables"][variable.id]
        value = answers.get(variable.id)
        if value is None:
            assert tally["not_applicable"] == 1, (variable.id, tally)
        elif value == DONT_KNOW:
            assert tally["dont_know"] == 1, (variable.id, tally)
        elif variable.type != "percent":
            counted = {code for code, n in tally["counts"].items() if n}
            assert counted == set(value.split(";")), (variable.id, tally)
    shoot(page, "journey-10-auditor-dashboard")
    page.get_by_text("Draft view (unvalidated councils too)").click()  # back to the published
    expect(page.get_by_text("Not for publication.").first).to_be_hidden()
    page.get_by_role("link", name="Council summaries").click()
    page.get_by_text("1 council that has validated its submission.").wait_for()
    # The table above repeats these words, so each is looked for in the council's own section.
    expect(page.get_by_role("heading", name="Fife", exact=True)).to_be_visible()
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="Validated by council")
    expect(caption).to_be_visible()
    expect(page.get_by_test_id("stText").filter(has_text=SUMMARY)).to_be_visible()
    shoot(page, "journey-11-auditor-summaries")
    sign_out(page)
    assert not dialogs, f"typed text ran as script: {dialogs}"
