"""Waves created by people: a wave pins its schedule's text, keeps its fieldwork dates, and once
closed nothing in it changes, whoever asks and however (page service, import, CLI)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import survey_cli
from db.models import AuditEvent, Council, Interview, Wave
from instrument.loader import (
    InstrumentError,
    instrument_text,
    pinned_instrument,
    schedule_sha256,
)
from services.answers import save_answer
from services.fieldwork import record_contact
from services.imports import ImportRefused, import_wave
from services.interviews import wave_instrument, wave_interviews
from services.permissions import PermissionDenied, WaveClosed
from services.results import load_report
from services.waves import WaveProblem, close_wave, create_wave, set_fieldwork_dates
from tests.conftest import INTERVIEWER, interview_id_of, table_checksums
from tests.signing import account
from tests.wave_builder import build_wave, columns, csv_bytes

SCHEDULE = instrument_text("schedule_2011")
FIFE = "S12000047"


def new_wave(engine: Engine, key: str = "2026", text: str = SCHEDULE) -> None:
    admin = account(engine, "admin")
    with Session(engine) as s:
        create_wave(s, actor=admin, key=key, title=f"Commissioning social care {key}",
                    instrument_text=text, instrument_name="schedule_2026")  # fmt: skip


def contents(session: Session) -> dict[str, object]:
    """Every table but the audit log, which records each refusal."""
    return {k: v for k, v in table_checksums(session).items() if k != "audit_event"}


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_new_wave_pins_its_schedule_and_has_every_council(engine: Engine) -> None:
    old, new = "Have you used the Social", "Since 2021, have you used the Social"
    revised = SCHEDULE.replace(old, new)
    new_wave(engine, text=revised)

    with Session(engine) as s:
        wave = s.scalar(select(Wave).where(Wave.key == "2026"))
        assert wave is not None
        assert (wave.instrument_text, wave.instrument_sha256) == (revised, schedule_sha256(revised))
        interviews = wave_interviews(s, actor=INTERVIEWER, wave_key="2026")
        assert len(interviews) == 32 and {i.status for i in interviews} == {"not_contacted"}
        asked = wave_instrument(s, actor=INTERVIEWER, wave_key="2026").variable("q11_swia_used")
        assert asked.text.startswith("Since 2021, have you used")
        (created,) = events(s, "wave.create")
        assert created.target == "wave 2026"
        assert schedule_sha256(revised) in (created.new_value or "")


def test_a_wave_is_read_with_its_pinned_schedule_after_the_file_changes_or_goes(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = tmp_path / "schedule_2026.yaml"
    schedule.write_text(SCHEDULE, encoding="utf-8")
    assert survey_cli.main(["wave", "create", "--key", "2026", "--title", "Social care 2026",
                            "--instrument", str(schedule)]) == 0  # fmt: skip
    assert "32 councils" in capsys.readouterr().out
    schedule.write_text(SCHEDULE.replace("q11_swia_used", "q11_renamed"), encoding="utf-8")
    report = tmp_path / "report.json"
    assert survey_cli.main(["report", "--wave", "2026", "--out", str(report)]) == 0
    schedule.unlink()
    again = tmp_path / "again.json"
    assert survey_cli.main(["report", "--wave", "2026", "--out", str(again)]) == 0

    assert '"q11_swia_used"' in report.read_text() and "q11_renamed" not in report.read_text()
    assert again.read_bytes() == report.read_bytes()


def test_a_schedule_with_problems__every_one_listed__nothing_written(engine: Engine) -> None:
    broken = SCHEDULE.replace("type: yesno", "type: maybe", 2).replace(
        "condition: q11_swia_used = yes", "condition: q11_swia_used = perhaps"
    )
    account(engine, "admin")
    with Session(engine) as s:
        before = table_checksums(s)
    with pytest.raises(InstrumentError) as refused:
        new_wave(engine, text=broken)

    assert refused.value.code == "instrument.invalid"
    assert len(refused.value.problems) >= 3, refused.value.problems
    assert sum("maybe" in p for p in refused.value.problems) == 2
    with Session(engine) as s:
        assert table_checksums(s) == before


def test_a_bad_key_and_a_missing_title__both_said__nothing_written(engine: Engine) -> None:
    admin = account(engine, "admin")
    with Session(engine) as s:
        before = table_checksums(s)
        with pytest.raises(WaveProblem) as taken:
            create_wave(s, actor=admin, key="2011", title=" ", instrument_text=SCHEDULE,
                        instrument_name="schedule_2011")  # fmt: skip
        with pytest.raises(WaveProblem) as odd:
            create_wave(s, actor=admin, key="next wave!", title="x" * 201,
                        instrument_text=SCHEDULE, instrument_name="schedule_2011")  # fmt: skip
        s.rollback()
        assert table_checksums(s) == before
    assert str(taken.value) == (
        "there is already a wave '2011'; "
        "give the wave a title (e.g. 'Commissioning social care 2026')"
    )
    assert "'next wave!' must be 1 to 40 letters" in str(odd.value)
    assert "the title is 201 characters; at most 200" in str(odd.value)


def test_only_an_administrator_creates_a_wave__a_refusal_is_logged(engine: Engine) -> None:
    interviewer = account(engine, "interviewer")
    with Session(engine) as s, pytest.raises(PermissionDenied):
        create_wave(s, actor=interviewer, key="2026", title="x", instrument_text=SCHEDULE,
                    instrument_name="schedule_2026")  # fmt: skip
    with Session(engine) as s:
        assert s.scalar(select(Wave).where(Wave.key == "2026")) is None
        (refusal,) = events(s, "permission.denied")
        assert (refusal.target, refusal.new_value) == ("wave 2026", "manage waves")


def test_fieldwork_dates__set_and_logged__an_end_before_the_start_refused(engine: Engine) -> None:
    new_wave(engine)
    admin = account(engine, "admin")
    with Session(engine) as s:
        with pytest.raises(WaveProblem, match="cannot end"):
            set_fieldwork_dates(s, actor=admin, wave_key="2026",
                                start=dt.date(2026, 3, 1), end=dt.date(2026, 2, 1))  # fmt: skip
        wave = set_fieldwork_dates(s, actor=admin, wave_key="2026",
                                   start=dt.date(2026, 2, 1), end=None)  # fmt: skip
        assert (wave.fieldwork_start, wave.fieldwork_end) == (dt.date(2026, 2, 1), None)
        (logged,) = events(s, "wave.dates")
        assert (logged.old_value, logged.new_value) == ("open to open", "2026-02-01 to open")


def test_a_closed_wave__nothing_in_it_changes__and_each_refusal_is_logged(engine: Engine) -> None:
    new_wave(engine)
    admin = account(engine, "admin")
    interviewer = account(engine, "interviewer")
    with Session(engine) as s:
        fife = s.scalar(
            select(Interview.id)
            .join(Council)
            .join(Wave)
            .where(Wave.key == "2026", Council.code == FIFE)
        )
        assert fife is not None
        save_answer(s, actor=interviewer, interview_id=fife, variable_id="q11_swia_used",
                    value="yes")  # fmt: skip
        with pytest.raises(WaveProblem, match="say why"):
            close_wave(s, actor=admin, wave_key="2026", reason="  ")
        closed = close_wave(s, actor=admin, wave_key="2026", reason="fieldwork over")
        assert closed.closed and closed.closed_by == admin.username
        before = contents(s)

    with Session(engine) as s:
        with pytest.raises(WaveClosed, match="fieldwork over"):
            save_answer(s, actor=interviewer, interview_id=fife, variable_id="q11_swia_used",
                        value="no")  # fmt: skip
        with pytest.raises(WaveClosed):
            record_contact(s, actor=interviewer, interview_id=fife, outcome="no_reply",
                           attempted_at=dt.datetime(2026, 3, 2, 10, 0))  # fmt: skip
        schedule = wave_instrument(s, actor=interviewer, wave_key="2026")
        data = csv_bytes(build_wave(schedule), columns(schedule))
        with pytest.raises(WaveClosed):
            import_wave(s, actor=interviewer, wave_key="2026", data=data, filename="a.csv")
        with pytest.raises(WaveClosed):
            close_wave(s, actor=admin, wave_key="2026", reason="again")
        assert contents(s) == before
        assert len(events(s, "wave.close")) == 1
        assert len(events(s, "permission.denied")) == 3
        # Reading goes on: the wave's results are there to report.
        assert load_report(s, actor=interviewer, wave_key="2026").tallies
    # Wave 2011 is not touched by closing 2026.
    with Session(engine) as s:
        save_answer(s, actor=interviewer, interview_id=interview_id_of(s, FIFE),
                    variable_id="q11_swia_used", value="yes")  # fmt: skip


def test_cli_instrument_check__lists_every_problem__opens_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "never.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    good = tmp_path / "good.yaml"
    good.write_text(SCHEDULE, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCHEDULE.replace("type: yesno", "type: maybe", 3), encoding="utf-8")

    assert survey_cli.main(["instrument", "check", str(good)]) == 0
    assert "no problems. 8 parts, 69 questions (34 closed)" in capsys.readouterr().out
    assert survey_cli.main(["instrument", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error [instrument.invalid]:") and err.count("'maybe'") == 3
    assert not database.exists()


def test_cli_wave_list_and_close(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = tmp_path / "schedule_2026.yaml"
    schedule.write_text(SCHEDULE, encoding="utf-8")
    survey_cli.main(["wave", "create", "--key", "2026", "--title", "Social care 2026",
                     "--instrument", str(schedule)])  # fmt: skip
    assert survey_cli.main(["wave", "dates", "2026", "--start", "2026-02-01"]) == 0
    assert survey_cli.main(["wave", "close", "2026", "--reason", "fieldwork over"]) == 0
    capsys.readouterr()

    assert survey_cli.main(["wave", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split() == ["2011", "Commissioning", "social", "care", "2011"]
    assert listed[2].split()[:4] == ["2026", "Social", "care", "2026"]
    assert "fieldwork 01/02/2026 to open, closed" in listed[3]
    assert listed[3].endswith(": fieldwork over")
    assert survey_cli.main(["wave", "dates", "2026", "--end", "2026-03-01"]) == 2
    assert "error [wave.closed]" in capsys.readouterr().err


def test_a_stored_schedule_that_does_not_match_its_fingerprint_is_refused() -> None:
    edited = SCHEDULE.replace("Have you used", "Did you use")
    with pytest.raises(InstrumentError, match="does not match its SHA-256"):
        pinned_instrument(edited, schedule_sha256(SCHEDULE)[::-1], source="wave 2026")
    assert pinned_instrument(edited, schedule_sha256(edited)).variable(
        "q11_swia_used"
    ).text.startswith("Did you use")


def test_a_wave_of_partnerships__31_with_their_s37_codes__files_name_them_not_councils(
    engine: Engine, tmp_path: Path
) -> None:
    admin = account(engine, "admin")
    with Session(engine) as s:
        wave = create_wave(s, actor=admin, key="hscp", title="Partnerships 2026",
                           instrument_text=SCHEDULE, instrument_name="schedule_2011",
                           frame="partnerships")  # fmt: skip
        interviews = wave_interviews(s, actor=INTERVIEWER, wave_key="hscp")
        assert wave.frame == "partnerships"
        assert len(interviews) == 31 and {i.council_code[:3] for i in interviews} == {"S37"}
        names = {i.council_name for i in interviews}
        assert "Clackmannanshire and Stirling Health and Social Care Partnership" in names
        assert len(wave_interviews(s, actor=INTERVIEWER, wave_key="2011")) == 32

        schedule = wave_instrument(s, actor=INTERVIEWER, wave_key="hscp")
        rows = build_wave(schedule)[:2]
        rows[0].update(council_code="S37000032", council_name="Fife HSCP")  # by its alias
        rows[1].update(council_code="S12000047", council_name="Fife")  # a council, not here
        with pytest.raises(ImportRefused) as refused:
            import_wave(s, actor=INTERVIEWER, wave_key="hscp",
                        data=csv_bytes(rows, columns(schedule)), filename="hscp.csv")  # fmt: skip
    problems = [str(p) for p in refused.value.problems]
    assert len(problems) == 1 and "S12000047" in problems[0], problems


def test_an_unknown_frame_is_refused(engine: Engine) -> None:
    admin = account(engine, "admin")
    with Session(engine) as s, pytest.raises(WaveProblem, match="no sample frame 'boards'"):
        create_wave(s, actor=admin, key="x", title="x", instrument_text=SCHEDULE,
                    instrument_name="schedule_2011", frame="boards")  # fmt: skip
