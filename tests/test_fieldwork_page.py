"""The Fieldwork page through AppTest: the headline, the 32 councils, today's appointments,
contacts and declines."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import Council, Interview
from services.answers import save_answer
from services.fieldwork import record_contact, uk_now
from services.review import validate_submission
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER
from tests.keying import question
from tests.signing import account, app_as

pytestmark = pytest.mark.sqlite_only

ANGUS = "S12000041"


COLUMNS = [
    "Council",
    "Status",
    "Appointment",
    "Last contact",
    "Questions recorded",
    "Council review",
]


def open_fieldwork() -> AppTest:
    at = app_as()
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Fieldwork"
    return at


def book(engine: Engine, code: str, moment: dt.datetime) -> None:
    """An appointment made by phone just now, through the service."""
    with Session(engine) as s:
        record_contact(
            s,
            actor=INTERVIEWER,
            interview_id=interview_of(engine, code).id,
            attempted_at=uk_now(),
            outcome="appointment_made",
            appointment_at=moment,
        )


def record(at: AppTest) -> None:
    """Press Record contact and check the run did not fail."""
    next(b for b in at.button if b.label == "Record contact").click().run()
    assert not at.exception, at.exception


def picker_label(at: AppTest) -> str:
    """What the browser shows in the council picker after this run: the label it was last sent
    with `set_value` (it keeps that one until told otherwise)."""
    picker = at.selectbox(key="fieldwork_council")
    assert picker.proto.set_value, "the picker's label was not sent again"
    return picker.proto.raw_value


def written(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def interview_of(engine: Engine, code: str) -> Interview:
    with Session(engine) as s:
        return s.scalar(select(Interview).join(Council).where(Council.code == code))


def test_headline_and_table_show_all_32_councils(app_db: Engine) -> None:
    at = open_fieldwork()
    assert at.header[0].value == "0 of 32 councils interviewed (0.0%)"
    table = at.dataframe[0].value
    assert len(table) == 32
    assert list(table["Council"])[:3] == ["Aberdeen City", "Aberdeenshire", "Angus"]
    assert set(table["Status"]) == {"Not contacted"}
    assert list(table.columns) == COLUMNS
    assert set(table["Questions recorded"]) == {0.0}


def test_headline_counts_completed_interviews_from_the_data(app_db: Engine) -> None:
    interview = interview_of(app_db, ANGUS)
    complete_whole_interview(app_db, INTERVIEWER, interview.id, on=dt.date(2011, 9, 14))
    at = open_fieldwork()
    assert at.header[0].value == "1 of 32 councils interviewed (3.1%)"
    angus = at.dataframe[0].value.set_index("Council").loc["Angus"]
    assert angus["Status"] == "Completed"
    assert angus["Questions recorded"] == 1.0
    at.selectbox(key="fieldwork_council").select(ANGUS).run()
    summary = next(m for m in written(at) if "questions recorded" in m)
    recorded, applicable = summary.split(" questions recorded")[0].split(" of ")
    assert recorded == applicable
    assert summary.endswith("Respondent's role: Head of Service.")


def test_each_councils_review_status_shows_and_follows_validation(app_db: Engine) -> None:
    interview = interview_of(app_db, ANGUS)
    complete_whole_interview(app_db, INTERVIEWER, interview.id)
    at = open_fieldwork()
    table = at.dataframe[0].value.set_index("Council")
    assert table.loc["Angus", "Council review"] == "Awaiting council review"
    assert table.loc["Fife", "Council review"] == ""
    assert any("0 validated by their council" in m for m in written(at))
    angus = account(app_db, "council", council=ANGUS)
    with Session(app_db) as s:
        validate_submission(s, actor=angus, interview_id=interview.id)
    at = open_fieldwork()
    assert at.dataframe[0].value.set_index("Council").loc["Angus", "Council review"] == (
        "Validated by council"
    )
    assert any("1 validated by their council" in m for m in written(at))


def test_recording_an_appointment_schedules_the_council(app_db: Engine) -> None:
    at = open_fieldwork()
    at.selectbox(key="fieldwork_council").select(ANGUS).run()
    interview = interview_of(app_db, ANGUS)
    k = f"contact:{interview.id}"
    at.selectbox(key=f"{k}:outcome").select("appointment_made").run()
    at.date_input(key=f"{k}:appointment_date").set_value(dt.date(2011, 10, 3)).run()
    at.time_input(key=f"{k}:appointment_time").set_value(dt.time(10, 30)).run()
    at.text_input(key=f"{k}:note").input("Director's PA booked it").run()
    record(at)
    assert any("Contact recorded" in s.value for s in at.success), [e.value for e in at.error]
    after = interview_of(app_db, ANGUS)
    assert after.status == "scheduled"
    assert after.appointment_at == dt.datetime(2011, 10, 3, 10, 30)
    angus = at.dataframe[0].value.set_index("Council").loc["Angus"]
    assert angus["Status"] == "Scheduled"
    assert angus["Appointment"] == "3 Oct 2011 10:30"
    log = at.dataframe[1].value
    assert list(log["Outcome"]) == ["Appointment made"]
    assert list(log["Note"]) == ["Director's PA booked it"]


def test_after_recording__picker_says_the_new_status_in_the_same_run(app_db: Engine) -> None:
    at = open_fieldwork()
    at.selectbox(key="fieldwork_council").select(ANGUS).run()
    assert picker_label(at) == "Angus · Not contacted"
    k = f"contact:{interview_of(app_db, ANGUS).id}"
    at.selectbox(key=f"{k}:outcome").select("appointment_made").run()
    at.date_input(key=f"{k}:appointment_date").set_value(dt.date(2011, 10, 3)).run()
    at.time_input(key=f"{k}:appointment_time").set_value(dt.time(10, 30)).run()
    record(at)
    assert picker_label(at) == "Angus · Scheduled"
    assert "Angus · Scheduled" in at.selectbox(key="fieldwork_council").options


def test_after_recording__the_form_is_blank_for_the_next_contact(app_db: Engine) -> None:
    at = open_fieldwork()
    at.selectbox(key="fieldwork_council").select(ANGUS).run()
    k = f"contact:{interview_of(app_db, ANGUS).id}"
    at.date_input(key=f"{k}:when_date").set_value(dt.date(2011, 9, 5)).run()
    at.time_input(key=f"{k}:when_time").set_value(dt.time(9, 0)).run()
    at.selectbox(key=f"{k}:outcome").select("left_message").run()
    at.text_input(key=f"{k}:note").input("Left a message with the PA").run()
    record(at)
    now = uk_now()
    assert at.text_input(key=f"{k}:note").value == ""
    assert at.selectbox(key=f"{k}:outcome").value == "no_reply"
    assert at.date_input(key=f"{k}:when_date").value == now.date()
    when = at.time_input(key=f"{k}:when_time").value
    assert abs(dt.datetime.combine(now.date(), when) - now) < dt.timedelta(minutes=6)
    record(at)
    log = at.dataframe[1].value
    assert list(log["Outcome"]) == ["No reply", "Left a message"]
    assert list(log["Note"]) == ["", "Left a message with the PA"]


def test_three_calls_unanswered_show_attempted_3(app_db: Engine) -> None:
    at = open_fieldwork()
    at.selectbox(key="fieldwork_council").select(ANGUS).run()
    for _ in range(3):
        record(at)  # the blank form's outcome is "No reply"
    assert at.dataframe[0].value.set_index("Council").loc["Angus", "Status"] == "Attempted (3)"
    assert picker_label(at) == "Angus · Attempted (3)"
    counts = {m.label: m.value for m in at.metric}
    assert (counts["Attempted"], counts["Not contacted"]) == ("1", "31")
    assert interview_of(app_db, ANGUS).status == "not_contacted"


def test_today__lists_todays_appointment_with_a_link_to_its_interview(app_db: Engine) -> None:
    at = open_fieldwork()
    assert "No appointments today." in written(at)
    assert not at.get("page_link")
    book(app_db, ANGUS, uk_now().replace(hour=14, minute=30, second=0, microsecond=0))
    at = open_fieldwork()
    assert "No appointments today." not in written(at)
    [link] = at.get("page_link")
    assert link.proto.label == "14:30 · Angus (Scheduled): open the interview"
    assert link.proto.page == "interview"
    assert link.proto.query_string == f"council={ANGUS}&wave=2011"
    at.query_params["council"] = ANGUS  # what the link puts in the address bar
    at.switch_page("app_pages/interview.py").run()
    assert at.selectbox(key="council").value == ANGUS


def test_next_7_days__lists_upcoming_appointments_after_today(app_db: Engine) -> None:
    soon = (uk_now() + dt.timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    later = soon + dt.timedelta(days=7)
    book(app_db, ANGUS, soon)
    book(app_db, "S12000047", later)
    at = open_fieldwork()
    assert "No appointments today." in written(at)
    [link] = at.get("page_link")
    assert link.proto.label == (
        f"{soon:%a} {soon.day} {soon:%b %Y} 10:00 · Angus (Scheduled): open the interview"
    )


def test_declining_needs_a_reason_and_then_shows_it(app_db: Engine) -> None:
    at = open_fieldwork()
    at.selectbox(key="fieldwork_council").select(ANGUS).run()
    k = f"contact:{interview_of(app_db, ANGUS).id}"
    at.selectbox(key=f"{k}:outcome").select("declined").run()
    at.text_input(key=f"{k}:note").input("Spoke to the Director").run()
    record(at)
    assert any("a decline needs the reason" in e.value for e in at.error)
    assert interview_of(app_db, ANGUS).status == "not_contacted"
    assert at.text_input(key=f"{k}:note").value == "Spoke to the Director"  # kept to put right
    assert at.selectbox(key=f"{k}:outcome").value == "declined"
    at.text_area(key=f"{k}:reason").input("Changes in personnel").run()
    next(b for b in at.button if b.label == "Record contact").click().run()
    declined = interview_of(app_db, ANGUS)
    assert declined.status == "declined"
    assert declined.nonresponse_reason == "Changes in personnel"
    assert any(t.value == "Changes in personnel" for t in at.text)


def test_a_note_with_markup_is_shown_as_text(app_db: Engine) -> None:
    interview = interview_of(app_db, ANGUS)
    with Session(app_db) as s:
        save_answer(
            s,
            actor=INTERVIEWER,
            interview_id=interview.id,
            variable_id="q2_explain",
            value="<img src=x onerror=alert(1)> [click](javascript:alert(1))",
        )
    at = open_fieldwork()
    at.switch_page("app_pages/interview.py").run()
    at.selectbox(key="council").select(ANGUS).run()
    # The keying panel puts it in the text box as its value (keying.js never writes HTML).
    box = question(at, "q2_explain")
    assert box["value"] == "<img src=x onerror=alert(1)> [click](javascript:alert(1))"
    assert not any("<img" in m.value for m in at.markdown)
