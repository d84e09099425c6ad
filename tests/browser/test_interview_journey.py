"""An interviewer in a real browser: key answers, refresh, find every answer where it was."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Council, Interview
from tests.browser.conftest import add_account, question, shoot, sign_in, wait_for_saved

pytestmark = pytest.mark.browser
FIFE = "S12000047"


def fife_id(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(Interview.id).join(Council).where(Council.code == FIFE))


def test_interviewer_keys_answers_and_a_refresh_loses_nothing(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    fife = fife_id(app_engine)
    add_account(app_engine, "ilona", "interviewer")
    sign_in(page, app_url, "ilona")
    page.goto(f"{app_url}/interview")
    page.get_by_test_id("stSelectbox").filter(has_text="Council").locator("input").click()
    page.keyboard.type("Fife")
    page.keyboard.press("Enter")
    q1 = question(page, fife, "q1_most_involved")
    q1.get_by_text("Older people").click()
    wait_for_saved(app_engine, fife, "q1_most_involved", {"value": "older_people"})

    q2 = question(page, fife, "q2_strategy_involvement")
    q2.get_by_text("Yes", exact=True).click()
    wait_for_saved(app_engine, fife, "q2_strategy_involvement", {"value": "yes"})

    explain = question(page, fife, "q2_explain").locator("textarea")
    explain.click()
    page.keyboard.type("Older people's forum sat on the strategy group, 2010-11", delay=5)
    # No Tab, no click elsewhere: a pause in typing is enough for the autosave.
    wait_for_saved(
        app_engine,
        fife,
        "q2_explain",
        {"value": "Older people's forum sat on the strategy group, 2010-11"},
    )

    q3 = question(page, fife, "q3_monitoring_involvement")
    q3.get_by_role("radio", name="Don't know").click()
    wait_for_saved(app_engine, fife, "q3_monitoring_involvement", {"value": "dont_know"})
    note = q3.get_by_placeholder("Interviewer's note (optional)")
    note.click()
    page.keyboard.type("Respondent to check with the contracts team", delay=5)
    wait_for_saved(
        app_engine,
        fife,
        "q3_monitoring_involvement",
        {"note": "Respondent to check with the contracts team"},
    )
    shoot(page, "01-interview-part-a-keyed")

    # Typed and immediately refreshed: what was typed before the pause is there afterwards.
    unsaved = question(page, fife, "q4_influence_example").locator("textarea")
    unsaved.click()
    page.keyboard.type("Day centre kept open after carers' consultation", delay=5)
    wait_for_saved(
        app_engine,
        fife,
        "q4_influence_example",
        {"value": "Day centre kept open after carers' consultation"},
    )
    # Everything is in the database right before the refresh ...
    wait_for_saved(
        app_engine,
        fife,
        "q3_monitoring_involvement",
        {"value": "dont_know", "note": "Respondent to check with the contracts team"},
    )
    page.reload()
    # ... and on screen after it (expect() waits while the page draws itself again).
    q1 = question(page, fife, "q1_most_involved")
    expect(q1.get_by_role("radio", name="Older people")).to_be_checked()
    expect(question(page, fife, "q2_explain").locator("textarea")).to_have_value(
        "Older people's forum sat on the strategy group, 2010-11"
    )
    q3 = question(page, fife, "q3_monitoring_involvement")
    expect(q3.get_by_placeholder("Interviewer's note (optional)")).to_have_value(
        "Respondent to check with the contracts team"
    )
    expect(q3.get_by_role("radio", name="Don't know")).to_be_checked()
    expect(question(page, fife, "q4_influence_example").locator("textarea")).to_have_value(
        "Day centre kept open after carers' consultation"
    )
    assert "Fife" in page.url or "S12000047" in page.url
    shoot(page, "02-interview-after-refresh")


def test_percent_refusal_is_explained_in_the_browser(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    fife = fife_id(app_engine)
    add_account(app_engine, "ilona", "interviewer")
    sign_in(page, app_url, "ilona")
    page.goto(f"{app_url}/interview?council={FIFE}&part=G")
    box = question(page, fife, "q24_inhouse_pct").get_by_role("textbox", name="In-house share")
    box.fill("30:60")
    box.press("Enter")
    page.get_by_text("30:60 adds up to 90, not 100").wait_for()
    box.fill("30:70")
    box.press("Enter")
    wait_for_saved(app_engine, fife, "q24_inhouse_pct", {"value": "30"})
    page.get_by_text("Recorded: 30% in-house, 70% external").wait_for()
    shoot(page, "03-interview-percent")
