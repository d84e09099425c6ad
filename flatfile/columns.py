"""The flat file's columns: the interview record, then one per question in schedule order."""

from __future__ import annotations

from instrument.schedule import Instrument

RECORD_COLUMNS = (
    "council_code",
    "council_name",
    "status",
    "nonresponse_reason",
    "respondent_role",
    "interview_date",
    "interviewer",
)
OPTIONAL_COLUMNS = frozenset({"council_name"})  # an import may leave it out


def export_columns(instrument: Instrument) -> list[str]:
    return [*RECORD_COLUMNS, *(v.id for v in instrument.questions)]
