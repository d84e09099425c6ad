"""The counters kept at save time (`db.counters`) equal the reference count after every kind of
change, made through the services in random order on both databases; `recount` finds and
mends a drift; a demo refill, a restore and the migration leave them right.

The report reads only the counters, so a counter that drifted would print a wrong figure:
each step below checks every counter line against counting the answers afresh.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.counters import Counts, reference_counts, stored_counts
from db.models import Answer, AnswerCount, AuditEvent, Council, Interview, Wave
from instrument.errors import SurveyError
from instrument.loader import instrument_named
from instrument.model import DONT_KNOW, NO_ANSWER
from services import answers, interviews, review
from services.accounts import add_account
from services.actor import Actor
from services.imports import import_wave
from services.interviews import pinned
from services.reports import json_report
from services.results import wave_counts
from tests.conftest import INTERVIEWER
from tests.wave_builder import build_wave, columns, councils, csv_bytes

ADMIN = Actor("ada", "admin")
AUDITOR = Actor("audrey", "auditor")
SCHEDULE = instrument_named("schedule_2011")
WAVE = "2011"
REASON = "checked with the council"
CODES = [code for code, _ in councils()]
ROLES = [c.code for c in SCHEDULE.choices("respondent_role")]
# The answers that move figures most: routing parents and their children, a multiple choice,
# the percent behind the Q24 bands, and a question asked of everyone.
MOVERS = (
    "q11_swia_used", "q11a_swia_usefulness", "q20_tendered_recently", "q21_change_of_provider",
    "q8d_individual_budgets", "q8d_groups", "q24_inhouse_pct", "q10_fundamental_shift",
)  # fmt: skip


def value_of(variable_id: str) -> st.SearchStrategy[str | None]:
    """Any value the interviewer might key, a clearing (None) or a reserved code."""
    variable = SCHEDULE.variable(variable_id)
    codes = [c.code for c in SCHEDULE.choices(variable)]
    if variable.type == "percent":
        own: st.SearchStrategy[str | None] = st.integers(0, 100).map(str)
    elif variable.type == "multi":
        own = st.sets(st.sampled_from(codes), min_size=1).map(
            lambda chosen: ";".join(c for c in codes if c in chosen)
        )
    else:
        own = st.sampled_from(codes)
    return st.one_of(own, own, st.sampled_from([None, NO_ANSWER, DONT_KNOW]))


council = st.sampled_from(CODES[:12])
saves = st.sampled_from(MOVERS).flatmap(
    lambda v: st.tuples(st.just("save"), council, st.just(v), value_of(v))
)
steps = st.one_of(
    saves,
    saves,
    st.tuples(st.just("complete"), council),
    st.tuples(st.just("reopen"), council),
    st.tuples(st.just("role"), council, st.sampled_from([*ROLES, None])),
    st.tuples(st.just("validate"), council),
    st.tuples(st.just("import"), st.lists(st.tuples(council, st.sampled_from(MOVERS)), max_size=3)),
)


def take(session: Session, step: tuple) -> None:  # type: ignore[type-arg]
    """One change through the service a person would use; a refusal changes nothing."""
    kind, code, *rest = step
    try:
        if kind == "import":
            import_wave(session, actor=INTERVIEWER, wave_key=WAVE, data=changed_file(code),
                        replace=True, reason=REASON)  # fmt: skip
            return
        interview_id = interview_of(session, code)
        if kind == "save":
            variable_id, value = rest
            answers.save_answer(session, actor=INTERVIEWER, interview_id=interview_id,
                                variable_id=variable_id, value=value, reason=REASON)  # fmt: skip
        elif kind == "complete":
            interviews.complete_interview(session, actor=INTERVIEWER, interview_id=interview_id)
        elif kind == "reopen":
            interviews.reopen_interview(session, actor=INTERVIEWER, interview_id=interview_id,
                                        reason=REASON)  # fmt: skip
        elif kind == "role":
            interviews.update_details(session, actor=INTERVIEWER, interview_id=interview_id,
                                      respondent_role=rest[0], reason=REASON)  # fmt: skip
        else:
            review.validate_submission(session, actor=Actor(f"council-{code}", "council", code),
                                       interview_id=interview_id)  # fmt: skip
    except SurveyError:
        session.rollback()


ROWS = build_wave(SCHEDULE)


def changed_file(cells: list[tuple[str, str]]) -> bytes:
    """The wave's file with some answers turned to "don't know" (a routing parent so turned
    skips its children, which the file then leaves blank as the exporter would)."""
    rows = [dict(r) for r in ROWS]
    for code, variable_id in cells:
        row = next(r for r in rows if r["council_code"] == code)
        if row["status"] == "completed" and SCHEDULE.applies(variable_id, row):
            row[variable_id] = DONT_KNOW
            for v in SCHEDULE.questions:
                if not SCHEDULE.applies(v.id, row):
                    row[v.id] = "not_applicable"
    return csv_bytes(rows, columns(SCHEDULE))


def interview_of(session: Session, code: str) -> int:
    return session.scalars(
        select(Interview.id).join(Council, Council.id == Interview.council_id)
        .join(Wave, Wave.id == Interview.wave_id).where(Wave.key == WAVE, Council.code == code)
    ).one()  # fmt: skip


def held_and_true(session: Session, wave_key: str = WAVE) -> tuple[Counts, Counts]:
    wave = session.scalars(select(Wave).where(Wave.key == wave_key)).one()
    connection = session.connection()
    held = stored_counts(connection, wave.id)
    true = reference_counts(connection, pinned(wave), wave.id)
    session.rollback()
    return held, true


def assert_counters_true(session: Session, wave_key: str = WAVE) -> None:
    held, true = held_and_true(session, wave_key)
    assert +held.statuses == +true.statuses
    assert +held.answers == +true.answers


@pytest.fixture
def filled(session: Session) -> Session:
    """Wave 2011 as the wave builder fills it: completed, in-progress, declined councils."""
    import_wave(session, actor=INTERVIEWER, wave_key=WAVE, data=changed_file([]))
    return session


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(steps, min_size=2, max_size=10))
def test_every_change_in_any_order_keeps_the_counters_equal_to_counting_afresh(
    filled: Session, changes: list[tuple]  # type: ignore[type-arg]
) -> None:
    assert_counters_true(filled)
    for step in changes:
        take(filled, step)
        assert_counters_true(filled)
    for draft in (False, True):  # the report's table, read from the counters, is the reference's
        kept = wave_counts(filled, actor=AUDITOR, wave_key=WAVE, include_unvalidated=draft)
        fresh = wave_counts(filled, actor=AUDITOR, wave_key=WAVE, include_unvalidated=draft,
                            reference=True)  # fmt: skip
        assert Counter(kept.itertuples(index=False)) == Counter(fresh.itertuples(index=False))


def test_a_completed_interview_moves_each_figure_by_one_and_reopening_moves_it_back(
    filled: Session,
) -> None:
    code = next(r["council_code"] for r in ROWS if r["status"] == "in_progress")
    before = json.loads(json_report(filled, actor=AUDITOR, wave_key=WAVE, include_unvalidated=True))
    interview_id = interview_of(filled, code)
    for variable in SCHEDULE.unrecorded(
        {v.id: None for v in SCHEDULE.questions}
    ):  # answer whatever completion asks for, simply
        take(filled, ("save", code, variable.id, DONT_KNOW))
    interviews.complete_interview(filled, actor=INTERVIEWER, interview_id=interview_id)
    after = json.loads(json_report(filled, actor=AUDITOR, wave_key=WAVE, include_unvalidated=True))
    assert after["response"]["completed"] == before["response"]["completed"] + 1
    assert after["view"]["counted"] == before["view"]["counted"] + 1
    interviews.reopen_interview(filled, actor=INTERVIEWER, interview_id=interview_id)
    again = json.loads(json_report(filled, actor=AUDITOR, wave_key=WAVE, include_unvalidated=True))
    assert again["variables"] == before["variables"]
    assert_counters_true(filled)


def test_recount_finds_a_drift_says_so_mends_it_and_logs_it(
    filled: Session, cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from survey_cli import main

    filled.execute(update(AnswerCount).where(AnswerCount.variable_id == "q11_swia_used")
                   .values(interviews=AnswerCount.interviews + 1))  # fmt: skip
    filled.commit()
    held, true = held_and_true(filled)
    assert held.answers != true.answers

    assert main(["recount", "--wave", WAVE]) == 0  # the operator, as an administrator
    said = capsys.readouterr().out
    assert_counters_true(filled)
    assert main(["recount", "--wave", WAVE]) == 0
    again = capsys.readouterr().out

    drifted = sum(1 for k in true.answers if k[3] == "q11_swia_used")
    assert drifted > 1 and f"{drifted} had drifted from the answers and were corrected" in said
    assert "none had drifted" in again
    logged = filled.scalars(select(AuditEvent).where(AuditEvent.action == "wave.recount")).all()
    assert [e.old_value for e in logged] == [
        f"{drifted} counter lines differed from the answers",
        "0 counter lines differed from the answers",
    ]


def test_recount_is_for_administrators(filled: Session, cli_db: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from survey_cli import main

    add_account(filled, actor=ADMIN, username="morag", role="auditor",
                password="a long test password")  # fmt: skip
    filled.commit()
    assert main(["--as", "morag", "recount"]) == 2
    assert "permission" in capsys.readouterr().err


def test_the_demo_refill_and_a_restore_leave_the_counters_true(
    engine: Engine, tmp_path: Path, fresh_database  # type: ignore[no-untyped-def]
) -> None:
    from ops.backup import restore_backup, write_backup
    from ops.demo import DEMO_WAVE, fill_demo_wave

    with Session(engine) as s:
        fill_demo_wave(s, actor=ADMIN, seed=7)
        fill_demo_wave(s, actor=ADMIN, seed=8)  # a refill replaces every answer
        assert_counters_true(s, DEMO_WAVE)
    write_backup(engine, actor=ADMIN, out=tmp_path / "b.jsonl")
    other = fresh_database("restored")
    restore_backup(other, actor=ADMIN, source=tmp_path / "b.jsonl")
    with Session(other) as s:
        assert_counters_true(s, DEMO_WAVE)
        assert_counters_true(s, WAVE)


def test_a_change_a_rolled_back_savepoint_took_with_it_is_not_counted(filled: Session) -> None:
    """The counters follow what commits: an answer written inside a savepoint that is rolled
    back (nothing in the services does it today; the session's events must not care)."""
    code = next(r["council_code"] for r in ROWS if r["status"] == "completed")
    interview = filled.get(Interview, interview_of(filled, code))
    assert interview is not None and interview.status == "completed"
    mine = (Answer.interview_id == interview.id, Answer.variable_id == "q11_swia_used")
    kept = filled.scalars(select(Answer).where(*mine)).one()
    kept.value = "no" if kept.value == "yes" else "yes"  # changes that commit
    gone = (Answer.interview_id == interview.id, Answer.variable_id == "q16_benchmarking")
    filled.delete(filled.scalars(select(Answer).where(*gone)).one())
    filled.flush()
    savepoint = filled.begin_nested()
    filled.add(Answer(interview_id=interview.id, variable_id="q16_benchmarking", value="yes",
                      version=1, updated_by="test"))  # fmt: skip
    parent = (Answer.interview_id == interview.id, Answer.variable_id == "q20_tendered_recently")
    routing = filled.scalars(select(Answer).where(*parent)).one()
    filled.delete(routing)  # a routing parent gone, and a value changed, then taken back
    kept.value = DONT_KNOW
    filled.flush()
    savepoint.rollback()
    filled.commit()
    assert_counters_true(filled)
