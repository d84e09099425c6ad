"""The Fieldwork page through AppTest: the headline, the 32 councils, contacts and declines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.answers import save_answer
from db.models import Council, Interview
from db.review import validate_submission
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER
from tests.keying import question
from tests.signing import account, app_as

ANGUS = "S12000041"


def open_fieldwork() -> AppTest:
    at = app_as()
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Fieldwork"
    return at


def interview_of(engine: Engine, code: str) -> Interview:
    with Session(engine) as s:
        return s.scalar(select(Interview).join(Council).where(Council.code == code))


def test_headline_and_table_show_all_32_councils(app_db: Engine) -> None:
    at = open_fieldwork()
    assert at.subheader[0].value == "0 of 32 councils interviewed (0.0%)"
    table = at.dataframe[0].value
    assert len(table) == 32
    assert list(table["Council"])[:3] == ["Aberdeen City", "Aberdeenshire", "Angus"]
    assert set(table["Status"]) == {"Not contacted"}
    assert {"Part A", "Part H", "Appointment", "Respondent role", "Last contact"} <= set(
        table.columns
    )


def test_headline_counts_completed_interviews_from_the_data(app_db: Engine) -> None:
    interview = interview_of(app_db, ANGUS)
    complete_whole_interview(app_db, INTERVIEWER, interview.id, on=dt.date(2011, 9, 14))
    at = open_fieldwork()
    assert at.subheader[0].value == "1 of 32 councils interviewed (3.1%)"
    angus = at.dataframe[0].value.set_index("Council").loc["Angus"]
    assert angus["Status"] == "Completed"
    assert angus["Respondent role"] == "Head of Service"
    assert angus["Part A"].split("/")[0] == angus["Part A"].split("/")[1]


def test_each_councils_review_status_shows_and_follows_validation(app_db: Engine) -> None:
    interview = interview_of(app_db, ANGUS)
    complete_whole_interview(app_db, INTERVIEWER, interview.id)
    at = open_fieldwork()
    table = at.dataframe[0].value.set_index("Council")
    assert table.loc["Angus", "Council review"] == "Awaiting council review"
    assert table.loc["Fife", "Council review"] == ""
    assert "0 validated by their council" in at.caption[0].value
    angus = account(app_db, "council", council=ANGUS)
    with Session(app_db) as s:
        validate_submission(s, actor=angus, interview_id=interview.id)
    at = open_fieldwork()
    assert at.dataframe[0].value.set_index("Council").loc["Angus", "Council review"] == (
        "Validated by council"
    )
    assert "1 validated by their council" in at.caption[0].value


def test_recording_an_appointment_schedules_the_council(app_db: Engine) -> None:
    at = open_fieldwork()
    at.selectbox(key="fieldwork_council").select(ANGUS).run()
    interview = interview_of(app_db, ANGUS)
    k = f"contact:{interview.id}"
    at.selectbox(key=f"{k}:outcome").select("appointment_made").run()
    at.date_input(key=f"{k}:appointment_date").set_value(dt.date(2011, 10, 3)).run()
    at.time_input(key=f"{k}:appointment_time").set_value(dt.time(10, 30)).run()
    at.text_input(key=f"{k}:note").input("Director's PA booked it").run()
    next(b for b in at.button if b.label == "Record contact").click().run()
    assert any("Contact recorded" in s.value for s in at.success), [e.value for e in at.error] + [
        str(at.exception)
    ]
    after = interview_of(app_db, ANGUS)
    assert after.status == "scheduled"
    assert after.appointment_at == dt.datetime(2011, 10, 3, 10, 30)
    angus = at.dataframe[0].value.set_index("Council").loc["Angus"]
    assert angus["Status"] == "Scheduled"
    log = at.dataframe[1].value
    assert list(log["Outcome"]) == ["Appointment made"]
    assert list(log["Note"]) == ["Director's PA booked it"]


def test_declining_needs_a_reason_and_then_shows_it(app_db: Engine) -> None:
    at = open_fieldwork()
    at.selectbox(key="fieldwork_council").select(ANGUS).run()
    k = f"contact:{interview_of(app_db, ANGUS).id}"
    at.selectbox(key=f"{k}:outcome").select("declined").run()
    next(b for b in at.button if b.label == "Record contact").click().run()
    assert any("a decline needs the reason" in e.value for e in at.error)
    assert interview_of(app_db, ANGUS).status == "not_contacted"
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
