"""The administrator's Waves page through AppTest: the waves listed with their pinned schedule,
a wave created from a shipped schedule, refusals in words, fieldwork dates, and closing (only
once confirmed), each change in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import AuditEvent, Wave
from instrument.loader import instrument_text, schedule_sha256
from services.frames import load_frame
from services.waves import set_fieldwork_dates
from tests.signing import account, app_as, read
from tests.test_frames import BOARDS, frame_file

pytestmark = pytest.mark.sqlite_only

SHA = schedule_sha256(instrument_text("schedule_2011"))


def open_waves() -> AppTest:
    at = app_as("admin")
    at.run()
    at.switch_page("app_pages/waves.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Waves"]
    return at


def form(at: AppTest, form_id: str):  # type: ignore[no-untyped-def]
    (found,) = [f for f in at.get("form") if f.proto.form.form_id == form_id]
    return found


def listed(at: AppTest) -> list[dict[str, object]]:
    return at.dataframe[0].value.to_dict("records")  # type: ignore[no-any-return]


def test_the_waves_are_listed_with_their_pinned_schedule(app_db: Engine) -> None:
    at = open_waves()

    assert listed(at) == [
        {"Key": "2011", "Title": "Commissioning social care 2011", "Surveys": "councils",
         "Schedule": "schedule_2011",
         "SHA-256": SHA[:12], "Fieldwork": "open to open", "Withheld below": 5,
         "Personal data kept until": "No date set", "State": "Open"},
    ]  # fmt: skip


def test_the_publication_threshold_is_set_per_wave_and_logged(app_db: Engine) -> None:
    at = open_waves()
    threshold = form(at, "wave_threshold")
    threshold.number_input[0].set_value(3)
    threshold.button[0].click()
    at.run()

    assert not at.exception, at.exception
    assert [read(s) for s in at.success] == [
        "Wave 2011: a published figure about fewer than 3 councils is withheld."
    ]
    assert listed(at)[0]["Withheld below"] == 3
    with Session(app_db) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "wave.threshold")).one()
        assert (event.old_value, event.new_value, event.target) == ("5", "3", "wave 2011")


def test_the_retention_date_is_set_shown_and_logged(
    app_db: Engine,
) -> None:
    at = open_waves()
    retention = form(at, "wave_retention")
    retention.date_input[0].set_value(dt.date(2031, 3, 31))
    retention.button[0].click()
    at.run()

    assert not at.exception, at.exception
    assert [read(s) for s in at.success] == ["Wave 2011: personal data kept until 31 March 2031."]
    assert listed(at)[0]["Personal data kept until"] == "31 Mar 2031"
    with Session(app_db) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "wave.retention")).one()
        assert (event.old_value, event.new_value) == ("no date", "2031-03-31")

    retention = form(at, "wave_retention")
    retention.checkbox[0].check()
    retention.button[0].click()
    at.run()
    assert listed(at)[0]["Personal data kept until"] == "No date set"


def test_create_a_wave_from_the_shipped_schedule(app_db: Engine) -> None:
    at = open_waves()
    create = form(at, "create_wave")
    fields = {t.label: t for t in create.text_input}
    fields["Key"].input("2026")
    fields["Title"].input("Commissioning social care 2026")
    create.selectbox[0].select("partnerships")
    create.selectbox[1].select("schedule_2011")
    create.button[0].click()
    at.run()

    assert not at.exception, at.exception
    assert [read(s) for s in at.success] == ["Wave 2026 created with schedule schedule_2011."]
    assert [(w["Key"], w["Surveys"]) for w in listed(at)] == [
        ("2011", "councils"), ("2026", "partnerships"),
    ]  # fmt: skip
    with Session(app_db) as s:
        wave = s.scalar(select(Wave).where(Wave.key == "2026"))
        assert wave is not None and wave.instrument_sha256 == SHA
        assert wave.frame == "partnerships"
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "wave.create"))


def test_a_taken_key_and_no_title__said_in_words__nothing_created(app_db: Engine) -> None:
    at = open_waves()
    create = form(at, "create_wave")
    {t.label: t for t in create.text_input}["Key"].input("2011")
    create.button[0].click()
    at.run()

    assert not at.exception, at.exception
    assert "there is already a wave" in at.error[0].value
    assert "give the wave a title" in at.error[0].value
    assert [c.value for c in at.caption if "Error code" in c.value] == [
        "Error code: `wave.refused`"
    ]
    assert [w["Key"] for w in listed(at)] == ["2011"]


def test_fieldwork_dates_then_closing__only_once_confirmed(app_db: Engine) -> None:
    # Dates already set, changed on the form (AppTest cannot type into a date box left empty).
    with Session(app_db) as s:
        set_fieldwork_dates(s, actor=account(app_db, "admin"), wave_key="2011",
                            start=dt.date(2011, 8, 1), end=dt.date(2011, 8, 2))  # fmt: skip
    at = open_waves()
    dates = form(at, "wave_dates")
    dates.date_input[0].set_value(dt.date(2011, 9, 1))
    dates.date_input[1].set_value(dt.date(2011, 11, 30))
    dates.button[0].click()
    at.run()
    assert [read(s) for s in at.success] == ["Fieldwork dates saved for wave 2011."]
    assert listed(at)[0]["Fieldwork"] == "01/09/2011 to 30/11/2011"

    close = form(at, "close_wave_form")
    close.text_input[0].input("Fieldwork over, report published")
    close.button[0].click()
    at.run()
    assert [e.value for e in at.error] == [
        "Tick the box to confirm: a closed wave cannot be reopened here."
    ]
    close = form(at, "close_wave_form")
    close.checkbox[0].check()
    close.button[0].click()
    at.run()

    assert not at.exception, at.exception
    assert [read(s) for s in at.success] == ["Wave 2011 is closed."]
    assert str(listed(at)[0]["State"]).startswith("Closed ")
    assert str(listed(at)[0]["State"]).endswith(": Fieldwork over, report published")
    assert [i.value for i in at.info] == ["Every wave is closed.", "Every wave is closed."]
    with Session(app_db) as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("wave.%")))
        assert list(actions) == ["wave.dates", "wave.dates", "wave.close"]


def test_load_a_frame__every_frame_listed__a_loaded_one_offered_for_a_new_wave(
    app_db: Engine,
) -> None:
    """The upload itself cannot be driven here (AppTest has no file uploader): the frame is
    loaded by the service the tab calls, and the page shows what a person would then see."""
    with Session(app_db) as s:
        load_frame(s, actor=account(app_db, "admin"), key="boards", member="health board",
                   title="The 14 NHS health boards", data=frame_file(BOARDS))  # fmt: skip
    at = open_waves()

    assert [t.label for t in at.tabs][-1] == "Load a frame"
    frames = at.dataframe[1].value.to_dict("records")
    assert [(f["Key"], f["Members"], f["Origin"]) for f in frames] == [
        ("councils", "32 councils", "shipped with the survey"),
        ("partnerships", "31 partnerships", "shipped with the survey"),
        ("boards", "3 health boards", frames[2]["Origin"]),
    ]
    assert str(frames[2]["Origin"]).startswith("loaded by admin on ")
    load = form(at, "load_frame")
    assert {t.label: t.value for t in load.text_input} == {
        "Key": "", "Title": "", "The word for one member": "organisation",
    }  # fmt: skip
    create = form(at, "create_wave")
    assert create.selectbox[0].options[-1] == "The 14 NHS health boards (3 health boards)"
    fields = {t.label: t for t in create.text_input}
    fields["Key"].input("boards-2027")
    fields["Title"].input("Health boards 2027")
    create.selectbox[0].select("boards")
    create.selectbox[1].select("schedule_2011")
    create.button[0].click()
    at.run()

    assert not at.exception, at.exception
    assert [read(s) for s in at.success] == [
        "Wave boards-2027 created with schedule schedule_2011."
    ]
    assert listed(at)[-1]["Surveys"] == "health boards"


def test_load_a_frame_without_its_file__asked_for__nothing_loaded(app_db: Engine) -> None:
    at = open_waves()
    load = form(at, "load_frame")
    fields = {t.label: t for t in load.text_input}
    fields["Key"].input("boards")
    fields["Title"].input("The 14 NHS health boards")
    load.button[0].click()
    at.run()

    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Choose the frame's file to upload."]
    assert [f["Key"] for f in at.dataframe[1].value.to_dict("records")] == [
        "councils", "partnerships",
    ]  # fmt: skip
