"""Sign-in, roles and council review in a real browser: the administrator starts an empty
database, a council asks for a correction, the interviewer resolves it, the council validates,
and the auditor reads the council's summary; nobody reaches what their role may not."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import AuditEvent, Council, Interview
from tests.answering import complete_whole_interview
from tests.browser.conftest import (
    add_in_form,
    create_administrator,
    question,
    settle,
    shoot,
    sign_in,
    sign_out,
)
from tests.conftest import INTERVIEWER

pytestmark = pytest.mark.browser
FIFE = "S12000047"
PAYLOAD = "<img src=x onerror=alert(1)> [click](javascript:alert(1))"


def interview(engine: Engine, code: str) -> Interview:
    with Session(engine) as s:
        return s.scalar(select(Interview).join(Council).where(Council.code == code))  # type: ignore[return-value]


def test_council_review_from_request_to_validation(page, app_url: str, app_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # An empty database offers the one-time administrator form.
    create_administrator(page, app_url, "ada", shot="review-01-first-administrator")
    for username, role, council in [
        ("ilona", "Interviewer", None),
        ("audrey", "Auditor", None),
        ("fife", "Council", "Fife"),
    ]:
        add_in_form(page, username, role, council)
    shoot(page, "review-02-accounts")
    sign_out(page)

    # The interviewer's completed interview (keyed by hand in test_interview_journey).
    fife = interview(app_engine, FIFE)
    complete_whole_interview(app_engine, INTERVIEWER, fife.id)

    # The council sees only its own submission, and asks for a correction.
    sign_in(page, app_url, "fife")
    page.get_by_role("heading", name="Our submission: Fife").wait_for()
    for other in ("Fieldwork", "Interview", "Dashboard", "Council summaries", "Audit log"):
        expect(page.get_by_role("link", name=other)).to_have_count(0)
    q1 = page.locator(".st-key-review_q1_most_involved")
    q1.get_by_role("button", name="Request a correction").click()
    page.get_by_label("What should change, and why?").fill(f"Should be children. {PAYLOAD}")
    page.get_by_role("button", name="Send to the interviewer").click()
    page.get_by_text("Your correction request has gone to the interviewer.").wait_for()
    settle(page)
    expect(q1.get_by_text(PAYLOAD, exact=False)).to_be_visible()
    expect(page.get_by_role("button", name="Validate our submission")).to_be_disabled()
    shoot(page, "review-03-council-requests-a-correction")

    # A council cannot reach the interview page by URL.
    page.goto(f"{app_url}/interview?council=S12000041")
    page.get_by_text("The page that you have requested does not seem to exist").wait_for()
    page.keyboard.press("Escape")
    page.get_by_role("heading", name="Our submission: Fife").wait_for()
    sign_out(page)

    # The interviewer changes the answer and marks the request resolved.
    sign_in(page, app_url, "ilona")
    page.goto(f"{app_url}/corrections")
    page.get_by_text("1 request(s) waiting for you.").wait_for()
    expect(page.get_by_text(PAYLOAD, exact=False)).to_be_visible()
    shoot(page, "review-04-interviewer-sees-the-request")
    page.get_by_role("link", name="Change it on the Interview page (Part A)").click()
    q1 = question(page, "q1_most_involved")
    expect(q1.get_by_text("Correction requested", exact=False)).to_be_visible()
    q1.get_by_role("radio", name="Children and families").click()
    expect(q1.get_by_role("status")).to_contain_text("Saved")
    page.goto(f"{app_url}/corrections")
    page.get_by_role("button", name="The answer is corrected").click()
    page.get_by_text("No council is waiting for a correction.").wait_for()
    sign_out(page)

    # The council sees the outcome and validates.
    sign_in(page, app_url, "fife")
    expect(page.get_by_text("Corrected by the interviewer", exact=False)).to_be_visible()
    page.get_by_role("button", name="Validate our submission").click()
    page.get_by_text("Thank you: your submission is validated.").wait_for()
    shoot(page, "review-05-council-validated")
    sign_out(page)

    # The auditor reads the validated council's summary; no verbatim.
    sign_in(page, app_url, "audrey")
    page.goto(f"{app_url}/summaries")
    page.get_by_text("1 council that has validated its submission.").wait_for()
    expect(
        page.get_by_text("Verbatim answers and interviewers' notes are not shown")
    ).to_be_visible()
    shoot(page, "review-06-auditor-summaries")
    sign_out(page)

    # The administrator reads every step in the audit log.
    sign_in(page, app_url, "ada")
    page.goto(f"{app_url}/audit_log")
    page.get_by_role("heading", name="Audit log").wait_for()
    shoot(page, "review-07-audit-log")
    assert not dialogs, f"typed text ran as script: {dialogs}"
    with Session(app_engine) as s:
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    for step in ("review.request", "answer.value", "review.resolve", "review.validate"):
        assert step in actions, f"{step} missing from the audit log"
    assert actions.index("review.request") < actions.index("review.resolve")
    assert actions.index("review.resolve") < actions.index("review.validate")
