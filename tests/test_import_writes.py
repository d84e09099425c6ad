"""What an import writes: nothing at all when the file changes nothing, an audit row for each
change it makes, and never an answer someone saved after the import's checks read it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEvent, Council, Interview
from instrument.loader import instrument_named
from services import imports as importer_module
from services.answers import save_answer
from services.imports import ImportRefused, import_wave
from tests.conftest import INTERVIEWER, table_checksums
from tests.test_concurrency import IMPORTER
from tests.wave_builder import build_wave, changed, columns, csv_bytes

WAVE = "2011"


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


def test_import__answer_saved_after_the_checks_read_it__refused_naming_row_council_column(
    session: Session, rows: list[dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(session, _file(rows), replace=False)
    council = _completed_council(rows)
    interview_id = session.scalar(select(Interview.id).join(Council).where(Council.name == council))
    assert interview_id is not None
    session.commit()
    save_answer(
        session,
        actor=INTERVIEWER,
        interview_id=interview_id,
        variable_id="q2_explain",
        value="Typed during the import.",
    )
    read_answers = importer_module._read_answers

    def read_before_the_save(session_: Session, wave_id: int):  # type: ignore[no-untyped-def]
        """The checks' read, as it was just before the interviewer's save."""
        seen = read_answers(session_, wave_id)
        council_id = session_.scalar(select(Council.id).where(Council.name == council))
        answer = seen[council_id]["q2_explain"]  # type: ignore[index]
        seen[council_id]["q2_explain"] = importer_module._Seen(answer.version - 1, "older")  # type: ignore[index]
        return seen

    monkeypatch.setattr(importer_module, "_read_answers", read_before_the_save)
    before = table_checksums(session)
    data = _file(changed(rows, {council: {"q2_explain": "From the file."}}))
    number = 2 + [r["council_name"] for r in rows].index(council)

    with pytest.raises(ImportRefused) as refused:
        _import(session, data)

    [problem] = [str(p) for p in refused.value.problems]
    assert problem.startswith(
        f"row {number}, {council}, column q2_explain, value 'Typed during the import.': "
        "changed since the import read it: ilona saved version 2 at "
    )
    assert problem.endswith(
        "(the import read version 1); import again to check the file against it"
    )
    session.rollback()
    assert table_checksums(session) == before
