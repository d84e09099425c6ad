"""What an import writes: nothing at all when the file changes nothing; each changed value in
its answer's history, and in the audit log one row per interview for its closed answers and
one for its free text."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Answer, AnswerHistory, AuditEvent, Council, Interview
from instrument.loader import instrument_named
from services.actor import Actor
from services.audit_log import verify_chain
from services.imports import import_wave
from tests.conftest import table_checksums
from tests.test_concurrency import IMPORTER
from tests.wave_builder import build_wave, changed, columns, csv_bytes

WAVE = "2011"
ADMIN = Actor("ada", "admin")


def _import(session: Session, data: bytes, *, replace: bool = True) -> int:
    report = import_wave(session, actor=IMPORTER, wave_key=WAVE, data=data, replace=replace)
    return report.values_changed


@pytest.fixture
def rows() -> list[dict[str, str]]:
    return build_wave(instrument_named("schedule_2011"))


def _file(rows: list[dict[str, str]]) -> bytes:
    return csv_bytes(rows, columns(instrument_named("schedule_2011")))


def _completed_council(rows: list[dict[str, str]]) -> str:
    return next(r["council_name"] for r in rows if r["status"] == "completed")


def test_import_replace__file_changes_nothing__every_table_byte_for_byte_unchanged(
    session: Session, rows: list[dict[str, str]]
) -> None:
    _import(session, _file(rows), replace=False)
    before = table_checksums(session)

    assert _import(session, _file(rows)) == 0

    assert table_checksums(session) == before  # no interview version bumped, no audit row


def test_import_replace__one_answer_changed__one_audit_row_and_nothing_else(
    session: Session, rows: list[dict[str, str]]
) -> None:
    _import(session, _file(rows), replace=False)
    council = _completed_council(rows)
    audit_rows = session.scalar(select(func.count()).select_from(AuditEvent))
    versions = dict(session.execute(select(Interview.id, Interview.version)).all())

    assert _import(session, _file(changed(rows, {council: {"q2_explain": "Changed."}}))) == 1

    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_rows + 1
    assert dict(session.execute(select(Interview.id, Interview.version)).all()) == versions


def test_import__log_has_a_row_per_interview_for_closed_answers_and_one_for_free_text(
    session: Session, rows: list[dict[str, str]]
) -> None:
    _import(session, _file(rows), replace=False)
    council = _completed_council(rows)
    interview_id = session.scalar(select(Interview.id).join(Council).where(Council.name == council))
    answers = {
        a.variable_id: a.value
        for a in session.scalars(select(Answer).where(Answer.interview_id == interview_id))
    }
    verbatim = instrument_named("schedule_2011").verbatim_ids

    logged = _imported(session, council)

    assert [action for action, _, _ in logged] == ["answer.imported", "answer.imported_text"]
    closed, text = (json.loads(new) for _, _, new in logged)
    assert closed | text == answers  # every value the interview was given, in the log
    assert set(text) == set(answers) & verbatim and not set(closed) & verbatim
    history = session.execute(
        select(AnswerHistory.variable_id, AnswerHistory.version, AnswerHistory.source)
        .where(AnswerHistory.interview_id == interview_id)
    ).all()
    assert sorted(history) == sorted((k, 1, "import") for k in answers)
    assert verify_chain(session, actor=ADMIN).intact

    was = closed["q10_fundamental_shift"]  # no question is routed by it
    now = "no" if was == "yes" else "yes"
    _import(session, _file(changed(rows, {council: {"q10_fundamental_shift": now}})))

    assert _imported(session, council)[-1] == (
        "answer.imported",
        json.dumps({"q10_fundamental_shift": was}),
        json.dumps({"q10_fundamental_shift": now}),
    )
    assert verify_chain(session, actor=ADMIN).intact


def _imported(session: Session, council: str) -> list[tuple[str, str | None, str]]:
    return [
        tuple(row)  # type: ignore[misc]
        for row in session.execute(
            select(AuditEvent.action, AuditEvent.old_value, AuditEvent.new_value)
            .where(AuditEvent.target.like(f"{WAVE} % {council}"),
                   AuditEvent.action.like("answer.imported%"))
            .order_by(AuditEvent.id)
        )
    ]  # fmt: skip
