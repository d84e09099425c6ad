"""Every service function the pages and the CLI call, as every role: what a role may not do is
refused below the UI, logged, and changes nothing; a council reaches only its own council."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from aggregation import charts
from db.engine import make_engine
from db.models import AuditEvent
from db.setup import initialise
from flatfile.columns import export_columns
from instrument.loader import instrument_named
from ops import demo
from services import (
    accounts,
    answers,
    audit_log,
    codings,
    fieldwork,
    interviews,
    review,
    summaries,
    themes,
    waves,
)
from services import export as flatfile_export
from services import imports as flatfile_import
from services import results as results_service
from services.actor import Actor
from services.permissions import PermissionDenied
from tests.answering import complete_whole_interview
from tests.conftest import (
    DATABASES,
    INTERVIEWER,
    PostgresTestDatabase,
    interview_id_of,
    table_checksums,
)
from tests.signing import account

FIFE = "S12000047"
ANGUS = "S12000041"
ROLES = ("admin", "interviewer", "analyst", "auditor", "council")


@dataclass(frozen=True)
class World:
    fife: int  # completed interview
    angus: int  # not started


Call = Callable[[Session, Actor, World], object]


@pytest.fixture(scope="module", params=DATABASES)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, World]]:
    """One database per module with a completed interview (Fife) and one not started (Angus)
    and an account per role: building it per test would cost minutes."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('permissions') / 'survey.sqlite3'}"
    else:
        postgres: PostgresTestDatabase = request.getfixturevalue("postgres_database")
        postgres.empty()
        url = postgres.url
    engine = make_engine(url)
    initialise(engine)
    fife, angus = interview_id_of(engine, FIFE), interview_id_of(engine, ANGUS)
    complete_whole_interview(engine, INTERVIEWER, fife)
    for role in ("admin", "analyst", "auditor"):
        account(engine, role)
    with Session(engine) as s:
        themes.create_theme(s, actor=INTERVIEWER, wave_key="2011", name="Training",
                            variables=[SKILLS])  # fmt: skip
    account(engine, "council", council=FIFE)
    account(engine, "council", council=ANGUS)
    yield engine, World(fife, angus)
    engine.dispose()


@pytest.fixture
def connection(built: tuple[Engine, World]) -> Iterator[Connection]:
    """Each test inside one transaction that is rolled back: services' commits are savepoints."""
    with built[0].connect() as c:
        outer = c.begin()
        yield c
        outer.rollback()


@pytest.fixture
def world(built: tuple[Engine, World]) -> World:
    return built[1]


def session_on(connection: Connection) -> Session:
    return Session(bind=connection, join_transaction_mode="create_savepoint")


STAFF = {"admin", "interviewer", "analyst", "auditor"}
CODERS = {"interviewer", "analyst"}
SKILLS = "q15_skills_capacity"
COLUMNS = export_columns(instrument_named("schedule_2011"))
ANGUS_ROW = (
    ",".join(COLUMNS)
    + "\r\n"
    + ",".join(
        {"council_code": ANGUS, "status": "declined", "nonresponse_reason": "No capacity"}.get(
            c, ""
        )
        for c in COLUMNS
    )
    + "\r\n"
).encode()
EVERYONE = set(ROLES)

# name: (call, roles allowed, council-scoped to Fife's interview)
CALLS: dict[str, tuple[Call, set[str], bool]] = {
    "list_waves": (lambda s, a, w: interviews.list_waves(s, actor=a), EVERYONE, False),
    "wave_interviews": (
        lambda s, a, w: interviews.wave_interviews(s, actor=a, wave_key="2011"),
        STAFF,
        False,
    ),
    "interview_summary": (
        lambda s, a, w: interviews.interview_summary(s, actor=a, interview_id=w.fife),
        EVERYONE,
        True,
    ),
    "council_interview": (
        lambda s, a, w: interviews.council_interview(
            s, actor=a, wave_key="2011", council_code=FIFE
        ),
        EVERYONE,
        True,
    ),
    "update_details": (
        lambda s, a, w: interviews.update_details(
            s, actor=a, interview_id=w.angus, respondent_name="A. Person"
        ),
        {"interviewer"},
        False,
    ),
    "update_summary": (
        lambda s, a, w: interviews.update_summary(
            s, actor=a, interview_id=w.fife, summary="Keen on self-directed support."
        ),
        {"interviewer"},
        False,
    ),
    "complete_interview": (
        lambda s, a, w: interviews.complete_interview(s, actor=a, interview_id=w.fife),
        {"interviewer"},
        False,
    ),
    "reopen_interview": (
        lambda s, a, w: interviews.reopen_interview(s, actor=a, interview_id=w.fife),
        {"interviewer"},
        False,
    ),
    "interview_answers": (
        lambda s, a, w: answers.interview_answers(s, actor=a, interview_id=w.fife),
        EVERYONE,
        True,
    ),
    "answer_history": (
        lambda s, a, w: answers.answer_history(s, actor=a, interview_id=w.fife),
        EVERYONE,
        True,
    ),
    "save_answer": (
        lambda s, a, w: answers.save_answer(
            s, actor=a, interview_id=w.angus, variable_id="q2_strategy_involvement", value="yes"
        ),
        {"interviewer"},
        False,
    ),
    "fieldwork_overview": (
        lambda s, a, w: fieldwork.fieldwork_overview(s, actor=a, wave_key="2011"),
        STAFF,
        False,
    ),
    "contact_attempts": (
        lambda s, a, w: fieldwork.contact_attempts(s, actor=a, interview_id=w.angus),
        STAFF,
        False,
    ),
    "record_contact": (
        lambda s, a, w: fieldwork.record_contact(
            s,
            actor=a,
            interview_id=w.angus,
            attempted_at=dt.datetime(2011, 8, 1, 10),
            outcome="no_reply",
        ),
        {"interviewer"},
        False,
    ),
    "schedule_appointment": (
        lambda s, a, w: fieldwork.schedule_appointment(
            s, actor=a, interview_id=w.angus, appointment_at=dt.datetime(2011, 8, 2, 10)
        ),
        {"interviewer"},
        False,
    ),
    "mark_declined": (
        lambda s, a, w: fieldwork.mark_declined(
            s, actor=a, interview_id=w.angus, reason="No capacity this autumn"
        ),
        {"interviewer"},
        False,
    ),
    "wave_review_states": (
        lambda s, a, w: review.wave_review_states(s, actor=a, wave_key="2011"),
        STAFF,
        False,
    ),
    "interview_review": (
        lambda s, a, w: review.interview_review(s, actor=a, interview_id=w.fife),
        EVERYONE,
        True,
    ),
    "confirm_answers": (
        lambda s, a, w: review.confirm_answers(
            s, actor=a, interview_id=w.fife, variable_ids=["q1_most_involved"]
        ),
        {"council"},
        True,
    ),
    "request_correction": (
        lambda s, a, w: review.request_correction(
            s, actor=a, interview_id=w.fife, variable_id="q1_most_involved", comment="Wrong"
        ),
        {"council"},
        True,
    ),
    "validate_submission": (
        lambda s, a, w: review.validate_submission(s, actor=a, interview_id=w.fife),
        {"council"},
        True,
    ),
    "correction_requests": (
        lambda s, a, w: review.correction_requests(s, actor=a, wave_key="2011"),
        STAFF,
        False,
    ),
    "council_summaries": (
        lambda s, a, w: summaries.council_summaries(s, actor=a, wave_key="2011"),
        STAFF,
        False,
    ),
    "validated_elsewhere": (
        lambda s, a, w: review.validated_elsewhere(
            s, actor=a, wave_key="2011", evidence="published in the 2012 report"
        ),
        {"admin"},
        False,
    ),
    "set_disclosure_threshold": (
        lambda s, a, w: waves.set_disclosure_threshold(s, actor=a, wave_key="2011", threshold=3),
        {"admin"},
        False,
    ),
    "export_wave": (
        lambda s, a, w: flatfile_export.export_wave(s, actor=a, wave_key="2011"),
        STAFF,
        False,
    ),
    "import_wave": (
        lambda s, a, w: flatfile_import.import_wave(
            s, actor=a, wave_key="2011", data=ANGUS_ROW, filename="angus.csv"
        ),
        {"interviewer"},
        False,
    ),
    "load_results": (
        lambda s, a, w: results_service.load_results(s, actor=a, wave_key="2011"),
        STAFF,
        False,
    ),
    "load_report": (
        lambda s, a, w: results_service.load_report(s, actor=a, wave_key="2011"),
        STAFF,
        False,
    ),
    "wave_data_version": (
        lambda s, a, w: results_service.wave_data_version(s, actor=a, wave_key="2011"),
        STAFF,
        False,
    ),
    "list_accounts": (lambda s, a, w: accounts.list_accounts(s, actor=a), {"admin"}, False),
    "add_account": (
        lambda s, a, w: accounts.add_account(
            s, actor=a, username="newcomer", role="auditor", password="long enough pass"
        ),
        {"admin"},
        False,
    ),
    "reset_password": (
        lambda s, a, w: accounts.reset_password(
            s, actor=a, username="auditor", password="another long one"
        ),
        {"admin"},
        False,
    ),
    "disable_account": (
        lambda s, a, w: accounts.disable_account(s, actor=a, username="auditor"),
        {"admin"},
        False,
    ),
    "set_verbatim_access": (
        lambda s, a, w: accounts.set_verbatim_access(s, actor=a, username="auditor", granted=True),
        {"admin"},
        False,
    ),
    "audit_export_csv": (lambda s, a, w: audit_log.export_csv(s, actor=a), {"admin"}, False),
    "audit_recent_events": (lambda s, a, w: audit_log.recent_events(s, actor=a), {"admin"}, False),
    "audit_find_events": (
        lambda s, a, w: audit_log.find_events(s, actor=a, where=audit_log.AuditFilter(text="x")),
        {"admin"},
        False,
    ),
    "audit_log_choices": (lambda s, a, w: audit_log.log_choices(s, actor=a), {"admin"}, False),
    "fill_demo_wave": (lambda s, a, w: demo.fill_demo_wave(s, actor=a), {"admin"}, False),
    "create_theme": (
        lambda s, a, w: themes.create_theme(
            s, actor=a, wave_key="2011", name="Peer review", variables=[SKILLS]
        ),
        CODERS,
        False,
    ),
    "code_answer": (
        lambda s, a, w: codings.code_answer(
            s, actor=a, interview_id=w.fife, variable_id=SKILLS, theme="Training"
        ),
        CODERS,
        False,
    ),
    "answers_to_code": (
        lambda s, a, w: codings.answers_to_code(
            s, actor=a, wave_key="2011", variable_id=SKILLS
        ),
        CODERS,
        False,
    ),
}


def actor_for(role: str, council: str = FIFE) -> Actor:
    if role == "council":
        return Actor(f"council-{council.lower()}", "council", council)
    return Actor(role, role)  # type: ignore[arg-type]


def denials(connection: Connection) -> list[AuditEvent]:
    with session_on(connection) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == "permission.denied")))


def unchanged_but_audit(connection: Connection) -> dict[str, object]:
    checksums = table_checksums(connection)
    checksums.pop("audit_event")
    return checksums  # type: ignore[return-value]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(CALLS))
def test_every_service_as_every_role(
    connection: Connection, world: World, name: str, role: str
) -> None:
    call, allowed, _scoped = CALLS[name]
    who = actor_for(role)
    if role in allowed:
        with session_on(connection) as s:
            call(s, who, world)
        assert not denials(connection)
        return
    before = unchanged_but_audit(connection)
    with session_on(connection) as s, pytest.raises(PermissionDenied) as denied:
        call(s, who, world)
    assert denied.value.code == "permission.denied"
    assert unchanged_but_audit(connection) == before
    [logged] = denials(connection)
    assert (logged.username, logged.role) == (who.username, role)
    assert logged.reason and role in logged.reason


@pytest.mark.parametrize("name", [n for n, (_c, _a, scoped) in CALLS.items() if scoped])
def test_a_council_never_reaches_another_council(
    connection: Connection, world: World, name: str
) -> None:
    call = CALLS[name][0]
    angus = actor_for("council", ANGUS)
    before = unchanged_but_audit(connection)
    with session_on(connection) as s, pytest.raises(PermissionDenied, match="only its own council"):
        call(s, angus, world)
    assert unchanged_but_audit(connection) == before
    [logged] = denials(connection)
    assert logged.username == angus.username and FIFE in logged.target


def test_auditors_read_coded_answers_but_not_verbatim_until_granted(
    connection: Connection, world: World
) -> None:
    auditor, admin = actor_for("auditor"), actor_for("admin")
    with session_on(connection) as s:
        seen = answers.interview_answers(s, actor=auditor, interview_id=world.fife)
        rows = summaries.council_summaries(
            s, actor=auditor, wave_key="2011", include_unvalidated=True
        )
    text_ids = [k for k, a in seen.items() if a.withheld and a.value is None]
    assert "q1_most_involved" in seen and seen["q1_most_involved"].value is not None
    assert text_ids, "some verbatim answers exist and are withheld"
    assert rows[0].verbatim_withheld and not set(text_ids) & set(rows[0].answers)
    with session_on(connection) as s:
        accounts.set_verbatim_access(s, actor=admin, username="auditor", granted=True)
    with session_on(connection) as s:
        seen = answers.interview_answers(s, actor=auditor, interview_id=world.fife)
    assert all(not a.withheld for a in seen.values())
    assert all(seen[k].value is not None for k in text_ids)


def test_analysts_read_every_councils_verbatim_answers_and_notes_but_change_no_answer(
    connection: Connection, world: World
) -> None:
    analyst = actor_for("analyst")
    with session_on(connection) as s:
        seen = answers.interview_answers(s, actor=analyst, interview_id=world.fife)
    assert seen[SKILLS].value and not any(a.withheld for a in seen.values())
    with session_on(connection) as s, pytest.raises(PermissionDenied, match="an analyst account"):
        answers.save_answer(s, actor=analyst, interview_id=world.fife, variable_id=SKILLS,
                            value="Rewritten by the analyst")  # fmt: skip


def test_per_council_outputs_hold_only_validated_councils_unless_drafts_are_asked_for(
    connection: Connection, world: World
) -> None:
    auditor, fife = actor_for("auditor"), actor_for("council")
    with session_on(connection) as s:
        assert summaries.council_summaries(s, actor=auditor, wave_key="2011") == []
        drafts = summaries.council_summaries(
            s, actor=auditor, wave_key="2011", include_unvalidated=True
        )
    assert [r.council_code for r in drafts] == [FIFE]
    with session_on(connection) as s:
        review.validate_submission(s, actor=fife, interview_id=world.fife)
    with session_on(connection) as s:
        shown = summaries.council_summaries(s, actor=auditor, wave_key="2011")
    assert [(r.council_code, r.review) for r in shown] == [(FIFE, "validated")]


def exported_councils(s: Session, who: Actor, **kwargs: bool) -> list[list[str]]:
    lines = flatfile_export.export_wave(s, actor=who, wave_key="2011", **kwargs).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(lines)))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]  # type: ignore[misc]


def test_exports_hold_validated_councils_and_no_verbatim_for_auditors(
    connection: Connection, world: World
) -> None:
    auditor, interviewer = actor_for("auditor"), actor_for("interviewer")
    with session_on(connection) as s:
        assert exported_councils(s, auditor) == []
        drafts = exported_councils(s, auditor, include_unvalidated=True)
        [full] = [
            r
            for r in exported_councils(s, interviewer, include_unvalidated=True)
            if r["council_code"] == FIFE
        ]
    assert len(drafts) == 32
    [draft] = [r for r in drafts if r["council_code"] == FIFE]
    assert draft["council_code"] == FIFE and draft["q1_most_involved"] == full["q1_most_involved"]
    verbatim = [k for k, v in full.items() if k.endswith("_explain") and v]
    assert verbatim and all(draft[k] == "" for k in verbatim)
    with session_on(connection) as s:
        review.validate_submission(s, actor=actor_for("council"), interview_id=world.fife)
    with session_on(connection) as s:
        assert [r["council_code"] for r in exported_councils(s, auditor)] == [FIFE]


def test_an_import_changes_a_validated_submission_only_with_a_reason(
    connection: Connection, world: World
) -> None:
    interviewer = actor_for("interviewer")
    with session_on(connection) as s:
        review.validate_submission(s, actor=actor_for("council"), interview_id=world.fife)
    with session_on(connection) as s:
        data = flatfile_export.export_wave(s, actor=interviewer, wave_key="2011")
    changed = data.replace(b"older_people", b"children_families", 1)
    assert changed != data
    before = unchanged_but_audit(connection)
    with session_on(connection) as s, pytest.raises(flatfile_import.ImportRefused) as refused:
        flatfile_import.import_wave(
            s, actor=interviewer, wave_key="2011", data=changed, filename="w.csv", replace=True
        )
    assert "Fife validated its submission on" in str(refused.value)
    assert "give a reason (--reason)" in str(refused.value)
    assert unchanged_but_audit(connection) == before
    with session_on(connection) as s:
        flatfile_import.import_wave(
            s,
            actor=interviewer,
            wave_key="2011",
            data=changed,
            filename="w.csv",
            replace=True,
            reason="the council emailed a correction",
        )
    with session_on(connection) as s:
        state, _ = review.interview_review(s, actor=interviewer, interview_id=world.fife)
        logged = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action.in_(["review.validation_reopened", "answer.imported"])
            )
        ).all()
    assert state == "awaiting_council"
    reopened = [e for e in logged if e.action == "review.validation_reopened"]
    assert len(reopened) == 1 and "the council emailed a correction" in (reopened[0].reason or "")
    assert any(
        e.action == "answer.imported"
        and "older_people" in (e.old_value or "")
        and "w.csv" in (e.reason or "")
        for e in logged
    )


def test_the_q24_dot_plot_shows_a_council_only_once_it_has_validated_and_enough_have(
    connection: Connection, world: World
) -> None:
    """Only Fife has completed: unvalidated, the published view leaves it out; validated, it
    is counted, but one council is below the threshold, so its figure is still withheld."""
    auditor = actor_for("auditor")

    def dots(**kwargs: bool) -> tuple[int, list[str]]:
        with session_on(connection) as s:
            results = results_service.load_results(s, actor=auditor, wave_key="2011", **kwargs)
        points = charts.percent_by_council(results.answers, "q24_inhouse_pct")["council"]
        shown = [] if results.tallies["q24_inhouse_pct"].withheld_below else list(points)
        return results.counted, shown

    assert dots() == (0, [])
    assert dots(include_unvalidated=True) == (1, ["Fife"])
    with session_on(connection) as s:
        review.validate_submission(s, actor=actor_for("council"), interview_id=world.fife)
    assert dots() == (1, [])


PRIVATE = "R hesitant"
COUNCIL_CALLS = [n for n, (_c, allowed, _s) in CALLS.items() if "council" in allowed]


@pytest.mark.parametrize("name", COUNCIL_CALLS)
def test_a_council_never_gets_interviewers_notes_back(
    connection: Connection, world: World, name: str
) -> None:
    """Notes and the summary for auditors are the interviewers': no service a council may call
    returns them, not even a hint that one exists (an interviewer reading the same gets them)."""
    with session_on(connection) as s:
        for variable_id in ("q1_most_involved", "q24_inhouse_pct"):
            answers.save_answer(
                s, actor=INTERVIEWER, interview_id=world.fife, variable_id=variable_id,
                note=f"{PRIVATE} on {variable_id}",
            )  # fmt: skip
        interviews.update_summary(
            s, actor=INTERVIEWER, interview_id=world.fife, summary=f"{PRIVATE} throughout"
        )
    with session_on(connection) as s:
        got = repr(CALLS[name][0](s, actor_for("council"), world))
    assert PRIVATE not in got
    assert "withheld=True" not in got
    if name in ("interview_answers", "answer_history", "interview_summary", "council_interview"):
        with session_on(connection) as s:
            assert PRIVATE in repr(CALLS[name][0](s, INTERVIEWER, world))


def test_a_council_is_not_told_of_note_only_changes(connection: Connection, world: World) -> None:
    with session_on(connection) as s:
        answers.save_answer(
            s, actor=INTERVIEWER, interview_id=world.fife, variable_id="q1_most_involved",
            note=PRIVATE,
        )  # fmt: skip
    with session_on(connection) as s:
        council = answers.answer_history(
            s, actor=actor_for("council"), interview_id=world.fife, variable_id="q1_most_involved"
        )
        staff = answers.answer_history(
            s, actor=INTERVIEWER, interview_id=world.fife, variable_id="q1_most_involved"
        )
    assert [e.version for e in staff] == [2, 1]
    assert [e.version for e in council] == [1]
    assert council[0].new_value == staff[1].new_value and council[0].new_note is None
