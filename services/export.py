"""Export a wave: one row per council, record columns, then every variable in schedule order."""

from __future__ import annotations

from sqlalchemy.orm import Session

from flatfile.columns import export_columns
from flatfile.table import FlatFileFormat, write_table
from instrument.model import NOT_APPLICABLE
from instrument.schedule import Instrument
from instrument.vocabulary import ANSWERABLE_STATUSES, InterviewStatus
from services.actor import Actor
from services.interviews import (
    InterviewSummary,
    get_wave,
    pinned,
    wave_answer_values,
    wave_interviews,
)
from services.permissions import may_read_verbatim


def export_wave(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    fmt: FlatFileFormat = "csv",
    include_unvalidated: bool = False,
) -> bytes:
    """The wave as a flat file that `import_wave` reads back to the same cells."""
    header, rows = export_rows(
        session, actor=actor, wave_key=wave_key, include_unvalidated=include_unvalidated
    )
    return write_table(header, rows, fmt)


def export_rows(
    session: Session, *, actor: Actor, wave_key: str, include_unvalidated: bool = False
) -> tuple[list[str], list[list[str]]]:
    """One row per council: only councils that validated their submission, unless the
    caller explicitly asks for the draft; verbatim text only for those entitled to it."""
    interviews = wave_interviews(session, actor=actor, wave_key=wave_key)
    wave = get_wave(session, wave_key)
    instrument = pinned(wave)
    answers = wave_answer_values(session, wave.id)
    if not may_read_verbatim(session, actor):
        for values in answers.values():
            for variable_id in instrument.verbatim_ids & values.keys():
                values[variable_id] = None
    rows = [
        _row(instrument, i, answers[i.id])
        for i in interviews
        if include_unvalidated or i.validated_at is not None
    ]
    return export_columns(instrument), rows


def _row(instrument: Instrument, i: InterviewSummary, answers: dict[str, str | None]) -> list[str]:
    record = [
        i.council_code,
        i.council_name,
        i.status,
        (i.nonresponse_reason or "") if i.status == InterviewStatus.DECLINED else "",
        i.respondent_role or "",
        i.interview_date.isoformat() if i.interview_date else "",
        i.interviewer or "",
    ]
    return record + [_cell(instrument, i.status, v.id, answers) for v in instrument.questions]


def _cell(
    instrument: Instrument, status: str, variable_id: str, answers: dict[str, str | None]
) -> str:
    """A kept answer on a question routing now skips is not exported: it is not an answer."""
    if status not in ANSWERABLE_STATUSES:
        return ""
    if not instrument.applies(variable_id, answers):
        return NOT_APPLICABLE if status == InterviewStatus.COMPLETED else ""
    return answers.get(variable_id) or ""
