"""The fieldwork services: calls that reach nobody show as "Attempted (n)", derived from the
contact log and never stored, and appointments are found by UK date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Council, Interview
from services.export import export_rows
from services.fieldwork import (
    FieldworkRow,
    appointments_between,
    fieldwork_overview,
    record_contact,
    state_counts,
)
from services.interviews import reopen_interview
from services.results import load_report
from tests.conftest import INTERVIEWER, interview_id_of

FIFE = "S12000047"
ANGUS = "S12000041"
MORNING = dt.datetime(2011, 9, 5, 9, 0)


def call(session: Session, code: str, outcome: str, **details: object) -> None:
    record_contact(
        session,
        actor=INTERVIEWER,
        interview_id=interview_id_of(session, code),
        attempted_at=MORNING,
        outcome=outcome,
        **details,  # type: ignore[arg-type]
    )


def overview(session: Session) -> dict[str, FieldworkRow]:
    rows = fieldwork_overview(session, actor=INTERVIEWER, wave_key="2011")
    return {r.council_code: r for r in rows}


def test_three_calls_unanswered__attempted_3__status_stored_unchanged(session: Session) -> None:
    for _ in range(3):
        call(session, FIFE, "no_reply")
    fife = overview(session)[FIFE]
    assert (fife.state, fife.state_label) == ("attempted", "Attempted (3)")
    assert overview(session)[ANGUS].state_label == "Not contacted"
    stored = session.scalar(select(Interview.status).join(Council).where(Council.code == FIFE))
    assert stored == "not_contacted"


def test_attempted_is_counted_apart_on_fieldwork_only(session: Session) -> None:
    call(session, FIFE, "no_reply")
    call(session, FIFE, "left_message")
    assert state_counts(overview(session).values()) == [
        ("Completed", 0),
        ("In progress", 0),
        ("Scheduled", 0),
        ("Attempted", 1),
        ("Not contacted", 31),
        ("Declined", 0),
    ]
    report = load_report(session, actor=INTERVIEWER, wave_key="2011")
    assert report.figures.not_contacted == 32
    header, rows = export_rows(
        session, actor=INTERVIEWER, wave_key="2011", include_unvalidated=True
    )
    status = header.index("status")
    assert {row[status] for row in rows} == {"not_contacted"}


def test_an_appointment_after_attempts_shows_scheduled(session: Session) -> None:
    call(session, FIFE, "no_reply")
    call(session, FIFE, "appointment_made", appointment_at=dt.datetime(2011, 9, 8, 10, 30))
    assert overview(session)[FIFE].state_label == "Scheduled"


def test_a_reopened_council_shows_the_calls_already_made(session: Session) -> None:
    call(session, FIFE, "no_reply")
    call(session, FIFE, "declined", nonresponse_reason="No capacity this month")
    assert overview(session)[FIFE].state_label == "Declined"
    reopen_interview(session, actor=INTERVIEWER, interview_id=interview_id_of(session, FIFE))
    assert overview(session)[FIFE].state_label == "Attempted (2)"


def test_appointments_between__by_day_soonest_first__declined_left_out(session: Session) -> None:
    day = dt.date(2011, 9, 8)
    booked = {
        FIFE: dt.datetime(2011, 9, 8, 14, 0),
        ANGUS: dt.datetime(2011, 9, 8, 9, 30),
        "S12000033": dt.datetime(2011, 9, 9, 0, 0),  # Aberdeen City, the next day
        "S12000034": dt.datetime(2011, 9, 7, 23, 55),  # Aberdeenshire, the day before
    }
    for code, moment in booked.items():
        call(session, code, "appointment_made", appointment_at=moment)
    call(session, "S12000005", "appointment_made", appointment_at=dt.datetime(2011, 9, 8, 11))
    call(session, "S12000005", "declined", nonresponse_reason="Changes in personnel")
    rows = overview(session).values()
    assert [r.council_name for r in appointments_between(rows, day, day)] == ["Angus", "Fife"]
    week = appointments_between(rows, day, day + dt.timedelta(days=7))
    assert [r.council_name for r in week] == ["Angus", "Fife", "Aberdeen City"]
