"""Fieldwork in a real browser: what AppTest cannot see, because the browser keeps a widget's
last value (and a picker's last label) until the app sends a new one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import ContactAttempt, Council, Interview
from services.actor import Actor
from services.fieldwork import record_contact, uk_now
from tests.browser.conftest import add_account, settle, shoot, sign_in

pytestmark = pytest.mark.browser

FIFE = "S12000047"


def book_fife_for_today(engine: Engine) -> None:
    with Session(engine) as s:
        fife = s.scalar(select(Interview.id).join(Council).where(Council.code == FIFE))
        record_contact(
            s,
            actor=Actor("ilona", "interviewer"),
            interview_id=fife,  # type: ignore[arg-type]
            attempted_at=uk_now(),
            outcome="appointment_made",
            appointment_at=uk_now().replace(hour=14, minute=30, second=0, microsecond=0),
        )


def contact_log(engine: Engine, council: str) -> list[tuple[str, str | None]]:
    """What was saved, oldest first: the second call must not carry the first call's note."""
    with Session(engine) as s:
        rows = s.execute(
            select(ContactAttempt.outcome, ContactAttempt.note)
            .join(Interview, Interview.id == ContactAttempt.interview_id)
            .join(Council)
            .where(Council.name == council)
            .order_by(ContactAttempt.id)
        )
        return [(outcome, note) for outcome, note in rows]


def council_picker(page):  # type: ignore[no-untyped-def]
    return page.get_by_role("combobox", name="Council", exact=True)


def record(page, expected_picker: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Record contact").click()
    page.get_by_text("Contact recorded.").wait_for()
    settle(page)
    expect(council_picker(page)).to_have_value(expected_picker)


def test_fieldwork__form_clears__picker_follows__today_opens_the_interview(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    add_account(app_engine, "ilona", "interviewer")
    book_fife_for_today(app_engine)
    sign_in(page, app_url, "ilona")
    page.get_by_role("heading", name="Fieldwork").wait_for()
    settle(page)

    council_picker(page).click()
    page.keyboard.type("Angus")
    page.keyboard.press("Enter")
    page.get_by_text("Record a contact with Angus").wait_for()
    settle(page)
    # Chosen by typing: a list opened while the page still scrolls closes again at once.
    page.get_by_role("combobox", name="Outcome").focus()
    page.keyboard.type("Left a message")
    page.keyboard.press("Enter")
    expect(page.get_by_role("combobox", name="Outcome")).to_have_value("Left a message")
    settle(page)
    page.get_by_label("Note").fill("Left a message with the Director's PA")
    record(page, "Angus · Attempted (1)")
    expect(page.get_by_label("Note")).to_have_value("")
    expect(page.get_by_role("combobox", name="Outcome")).to_have_value("No reply")
    record(page, "Angus · Attempted (2)")
    assert contact_log(app_engine, "Angus") == [
        ("left_message", "Left a message with the Director's PA"),
        ("no_reply", None),
    ]
    shoot(page, "fieldwork-01-after-two-calls")

    page.get_by_role(
        "link", name=re.compile(r"14:30 · Fife \(Scheduled\): open the interview")
    ).click()
    page.get_by_role("heading", name="Interview", exact=True).wait_for()
    settle(page)
    expect(council_picker(page)).to_have_value(re.compile(r"^Fife · "))
    assert f"council={FIFE}" in page.url
    shoot(page, "fieldwork-02-today-link-opens-interview")
