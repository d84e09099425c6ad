"""The demo wave: 31 plausible completed interviews and one decline, the same on every run and
every database, importable as a flat file, and never a change to any other wave."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import db
import survey_cli
from aggregation.report import report_json
from db.models import Answer, AnswerHistory, AuditEvent, ContactAttempt, Council, Interview, Wave
from db.setup import DEFAULT_WAVE, ensure_wave
from instrument.loader import instrument_named
from instrument.progress import missing_for_completion
from instrument.values import normalise
from instrument.vocabulary import InterviewStatus
from ops.demo import DECLINED_REASON, DEMO_SOURCE, DEMO_TITLE, DEMO_WAVE, fill_demo_wave
from services.actor import Actor
from services.answers import interview_answers, save_answer
from services.audit_log import verify_chain
from services.export import export_wave
from services.fieldwork import record_contact
from services.imports import import_wave
from services.interviews import get_wave, wave_interviews
from services.results import load_results
from tests.conftest import INTERVIEWER, TableChecksum, table_checksums
from tests.wave_builder import build_wave, columns, csv_bytes

ADMIN = Actor("ada", "admin")  # filling the demo wave creates a wave: an administrator's act
INSTRUMENT = instrument_named("schedule_2011")


def demo_export(session: Session, fmt: str = "csv") -> bytes:
    return export_wave(
        session, actor=INTERVIEWER, include_unvalidated=True, wave_key=DEMO_WAVE, fmt=fmt
    )  # type: ignore[arg-type]


def fill_wave_2011(engine: Engine) -> None:
    """Wave 2011 as fieldwork leaves it: every status, imported answers, a later edit, a call."""
    wave = build_wave(INSTRUMENT)
    with Session(engine) as session:
        import_wave(
            session,
            actor=INTERVIEWER,
            wave_key=DEFAULT_WAVE,
            data=csv_bytes(wave, columns(INSTRUMENT)),
            filename="wave.csv",
        )
    with Session(engine) as session:
        fife = session.scalar(
            select(Interview.id)
            .join(Council)
            .join(Wave)
            .where(Council.code == "S12000047", Wave.key == DEFAULT_WAVE)
        )
        save_answer(
            session, actor=INTERVIEWER, interview_id=fife, variable_id="q24_note", value="Edited"
        )
        record_contact(
            session,
            actor=INTERVIEWER,
            interview_id=fife,
            attempted_at=dt.datetime(2011, 9, 1, 10, 0),
            outcome="spoke_to_council",
        )


def wave_checksum(engine: Engine, wave_key: str) -> dict[str, TableChecksum]:
    """Every column of every row that belongs to the wave: its record, interviews, answers,
    history and contact attempts."""
    with Session(engine) as session:
        wave = get_wave(session, wave_key)
        ids = select(Interview.id).where(Interview.wave_id == wave.id)
        checksums = table_checksums(
            session,
            only={
                Wave.__tablename__: Wave.id == wave.id,
                Interview.__tablename__: Interview.wave_id == wave.id,
                Answer.__tablename__: Answer.interview_id.in_(ids),
                AnswerHistory.__tablename__: AnswerHistory.interview_id.in_(ids),
                ContactAttempt.__tablename__: ContactAttempt.interview_id.in_(ids),
            },
        )
    empty = [name for name, checksum in checksums.items() if not checksum.rows]
    assert not empty, f"nothing in {', '.join(empty)} to compare"
    return checksums


@pytest.mark.sqlite_only
def test_demo__31_completed_1_declined__titled_as_synthetic(session: Session) -> None:
    report = fill_demo_wave(session, actor=ADMIN)

    interviews = wave_interviews(session, actor=INTERVIEWER, wave_key=DEMO_WAVE)
    assert Counter(i.status for i in interviews) == {
        InterviewStatus.COMPLETED: 31,
        InterviewStatus.DECLINED: 1,
    }
    declined = next(i for i in interviews if i.status == InterviewStatus.DECLINED)
    assert declined.nonresponse_reason == DECLINED_REASON == "Changes in personnel"
    assert report.declined == (declined.council_name,)
    assert (report.completed, report.answers_replaced) == (31, 0)
    assert get_wave(session, DEMO_WAVE).title == DEMO_TITLE
    assert "Synthetic" in DEMO_TITLE and "not real" in DEMO_TITLE


@pytest.mark.sqlite_only
def test_demo__every_completed_interview_records_every_applicable_closed_variable(
    session: Session,
) -> None:
    fill_demo_wave(session, actor=ADMIN)

    for interview in wave_interviews(session, actor=INTERVIEWER, wave_key=DEMO_WAVE):
        values = {
            k: a.value
            for k, a in interview_answers(
                session, actor=INTERVIEWER, interview_id=interview.id
            ).items()
        }
        if interview.status == InterviewStatus.DECLINED:
            assert values == {}
            continue
        assert INSTRUMENT.unrecorded(values) == [], interview.council_name
        assert (
            missing_for_completion(
                INSTRUMENT,
                values,
                respondent_role=interview.respondent_role,
                interview_date=interview.interview_date,
            )
            == []
        )
        assert interview.interviewer
        assert dt.date(2011, 9, 1) <= interview.interview_date <= dt.date(2011, 11, 30)  # type: ignore[operator]
        assert interview.interview_date.weekday() < 5  # type: ignore[union-attr]
        for variable_id, value in values.items():
            assert INSTRUMENT.applies(variable_id, values), (interview.council_name, variable_id)
            assert normalise(INSTRUMENT, INSTRUMENT.variable(variable_id), value) == value


@pytest.mark.sqlite_only
def test_demo__every_answer_has_one_history_row_from_the_demo(session: Session) -> None:
    report = fill_demo_wave(session, actor=ADMIN)

    answers = session.scalars(select(Answer).join(Interview).join(Wave).where(Wave.key == "demo"))
    history = session.scalars(
        select(AnswerHistory).join(Interview).join(Wave).where(Wave.key == "demo")
    ).all()
    expected = {(a.id, a.value, a.version) for a in answers}
    assert {(h.answer_id, h.new_value, h.version) for h in history} == expected
    assert len(history) == report.answers_written
    assert {(h.source, h.changed_by, h.old_value) for h in history} == {
        (DEMO_SOURCE, ADMIN.username, None)
    }


def test_demo__every_change_is_in_the_audit_log__a_refill_says_what_it_replaced(
    session: Session,
) -> None:
    first = fill_demo_wave(session, actor=ADMIN)
    again = fill_demo_wave(session, actor=ADMIN)

    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert {e.username for e in events} == {ADMIN.username}
    answers = [e for e in events if e.action == "answer.value"]
    assert len(answers) == first.answers_written + again.answers_written
    statuses = [e for e in events if e.action == "interview.status"]
    assert {e.new_value for e in statuses} == {"completed", "declined"}
    assert len(statuses) == 32  # the first fill; the refill sets each status as it already was
    replaced = [e for e in events if e.action == "demo.replace"]
    assert [e.old_value for e in replaced] == [
        "0 answers, 0 history rows, 0 contact attempts",
        f"{first.answers_written} answers, {first.answers_written} history rows, "
        "0 contact attempts",
    ]
    assert verify_chain(session, actor=ADMIN).intact


@pytest.mark.sqlite_only
def test_demo__answers_look_like_a_survey__spread_with_some_non_response(
    session: Session,
) -> None:
    fill_demo_wave(session, actor=ADMIN)
    tallies = load_results(session, actor=INTERVIEWER, wave_key=DEMO_WAVE).tallies

    swia = tallies["q11a_swia_usefulness"]
    assert tallies["q11_swia_used"].counts["yes"] > 31 / 2
    assert swia.counts["very_useful"] + swia.counts["quite_useful"] > swia.base / 2
    assert tallies["q25_reduction_2011_12"].counts["yes"] > 31 / 2
    assert max(tallies["respondent_role"].counts, key=tallies["respondent_role"].counts.get) == (  # type: ignore[arg-type]
        "director_of_social_work"
    )
    share = tallies["q24_inhouse_pct"]
    assert share.min is not None and share.max is not None
    assert share.max - share.min >= 50
    assert tallies["q24_balance"].counts["equal"] >= 1
    assert sum(t.no_answer + t.dont_know for t in tallies.values()) >= 5
    routed = [t for t in tallies.values() if 0 < t.not_applicable < 31]
    assert len(routed) >= 5  # routing sends some councils past follow-ups, not all of them


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.sqlite_only
def test_demo__export_imports_cleanly_into_a_fresh_database(
    session: Session, fresh_database: Callable[[str], Engine], fmt: str
) -> None:
    fill_demo_wave(session, actor=ADMIN)
    exported = demo_export(session, fmt)

    with Session(fresh_database("fresh")) as fresh:
        ensure_wave(fresh, DEMO_WAVE, title=DEMO_TITLE, instrument="schedule_2011")
        fresh.commit()
        report = import_wave(
            fresh, actor=INTERVIEWER, wave_key=DEMO_WAVE, data=exported, filename=f"demo.{fmt}"
        )
        assert (report.councils, report.replaced) == (32, ())
        assert demo_export(fresh) == demo_export(session)


@pytest.mark.sqlite_only
def test_demo__two_fresh_databases__identical_export_and_report(
    session: Session, fresh_database: Callable[[str], Engine]
) -> None:
    fill_demo_wave(session, actor=ADMIN)
    with Session(fresh_database("other")) as other:
        fill_demo_wave(other, actor=ADMIN)
        assert demo_export(other) == demo_export(session)
        reports = [
            report_json(r)
            for r in (
                load_results(s, actor=INTERVIEWER, wave_key=DEMO_WAVE) for s in (session, other)
            )
        ]
    assert reports[0] == reports[1]


def test_demo__run_again__replaces_the_demo_with_the_same_data(session: Session) -> None:
    first = fill_demo_wave(session, actor=ADMIN)
    exported = demo_export(session)
    ids = set(session.scalars(select(Interview.id).join(Wave).where(Wave.key == DEMO_WAVE)))

    again = fill_demo_wave(session, actor=ADMIN)

    assert (again.answers_replaced, again.history_replaced) == (first.answers_written,) * 2
    assert again.answers_written == first.answers_written
    assert demo_export(session) == exported
    assert set(session.scalars(select(Interview.id).join(Wave).where(Wave.key == "demo"))) == ids
    history = session.scalars(
        select(AnswerHistory).join(Interview).join(Wave).where(Wave.key == DEMO_WAVE)
    ).all()
    assert len(history) == first.answers_written


def test_demo_command__fills_the_demo__and_leaves_wave_2011_as_it_was(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    fill_wave_2011(engine)
    before = wave_checksum(engine, DEFAULT_WAVE)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(db, "_engines", {})

    assert survey_cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert f"Wave demo: {DEMO_TITLE}." in out
    assert "31 completed interviews, 1 declined" in out
    assert "Replaced" not in out
    assert wave_checksum(engine, DEFAULT_WAVE) == before

    assert survey_cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Replaced the previous demo data:" in out
    assert "31 completed interviews, 1 declined" in out
    assert wave_checksum(engine, DEFAULT_WAVE) == before


def test_demo__two_at_once_on_a_new_database__one_after_the_other_and_one_demo(
    engine: Engine, session: Session
) -> None:
    """Two `demo` commands started together: the second waits for the first, and the wave
    holds one demo, not two writers' answers interleaved."""
    from concurrent.futures import ThreadPoolExecutor

    def fill() -> int:
        with Session(engine) as own:
            return fill_demo_wave(own, actor=ADMIN).answers_written

    with ThreadPoolExecutor(2) as pool:
        written = list(pool.map(lambda _: fill(), range(2)))
    assert written[0] == written[1] > 0
    history = session.scalars(
        select(AnswerHistory).join(Interview).join(Wave).where(Wave.key == DEMO_WAVE)
    ).all()
    assert len(history) == written[0], "history of both fills left behind"
    assert len(session.scalars(select(Wave).where(Wave.key == DEMO_WAVE)).all()) == 1
