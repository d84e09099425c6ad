"""Every coder's codings of a wave as a flat file: exported, and read back all or nothing with
every problem by row and column."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.councils import council_lookup
from db.models import Answer, Coding, Council, Interview, Theme, Wave
from flatfile.checks import ImportRefused
from flatfile.codings import CODING_COLUMNS, CodingRow, Resolve, Resolved, check_codings_file
from flatfile.table import FlatFileFormat, write_table
from instrument.model import RESERVED_CODES
from instrument.values import match_key
from services import audit
from services.actor import Actor
from services.codings import CODE, record_history
from services.interviews import get_wave
from services.permissions import require, require_change


class CodingsRefused(ImportRefused):
    """A codings file not read: every problem with its row and column; nothing was written."""

    code = "codings.refused"
    refused = "codings not imported"


def export_codings(
    session: Session, *, actor: Actor, wave_key: str, fmt: FlatFileFormat = "csv"
) -> bytes:
    """Every coder's codings of the wave as a flat file `import_codings` reads back."""
    require(session, actor, CODE, target=f"wave {wave_key} codings")
    wave = get_wave(session, wave_key)
    rows = session.execute(
        select(Council.code, Coding.variable_id, Theme.name, Coding.coder, Coding.start_offset,
               Coding.end_offset, Coding.quote)
        .join(Interview, Interview.id == Coding.interview_id)
        .join(Council, Council.id == Interview.council_id)
        .join(Theme, Theme.id == Coding.theme_id)
        .where(Interview.wave_id == wave.id)
        .order_by(Council.code, Coding.variable_id, Coding.coder, Coding.start_offset,
                  Coding.end_offset, Theme.name_key)
    ).all()  # fmt: skip
    cells = [[code, v, theme, coder, str(start), str(end), "yes" if quote else "no"]
             for code, v, theme, coder, start, end, quote in rows]  # fmt: skip
    return write_table(list(CODING_COLUMNS), cells, fmt)


def import_codings(
    session: Session, *, actor: Actor, wave_key: str, data: bytes, filename: str = "codings.csv"
) -> int:
    """Add a codings file's codings to the wave, all or none (a coding already there is kept
    as it is); return how many were added."""
    require(session, actor, CODE, target=f"wave {wave_key} codings")
    wave = get_wave(session, wave_key)
    require_change(session, actor, CODE, wave, target=f"wave {wave_key} codings {filename}")
    rows, problems = check_codings_file(data, filename, _resolver(session, wave))
    if problems:
        session.rollback()
        raise CodingsRefused(problems, file=filename)
    return add_codings(session, actor, wave_key, rows, filename)


def add_codings(
    session: Session, actor: Actor, wave_key: str, rows: Sequence[CodingRow], filename: str
) -> int:
    """Write checked codings (a coding already there is kept as it is), each with its history
    row, and one audit row for the file; return how many were added."""
    added = 0
    for row in rows:
        key = (Coding.interview_id == row.interview_id, Coding.variable_id == row.variable_id,
               Coding.theme_id == row.theme_id, Coding.coder == row.coder,
               Coding.start_offset == row.start, Coding.end_offset == row.end)  # fmt: skip
        if session.scalar(select(Coding.id).where(*key)) is not None:
            continue
        coding = Coding(interview_id=row.interview_id, variable_id=row.variable_id,
                        theme_id=row.theme_id, coder=row.coder, start_offset=row.start,
                        end_offset=row.end, passage=row.passage, quote=row.quote)  # fmt: skip
        session.add(coding)
        theme = session.get(Theme, row.theme_id)
        record_history(session, actor, coding, theme.name if theme else "", "imported")
        added += 1
    kept = len(rows) - added
    audit.record(session, actor=actor, action="coding.import", target=f"wave {wave_key}",
                 new=f"{added} codings from {filename} ({kept} already there)")  # fmt: skip
    session.commit()
    return added


def _resolver(session: Session, wave: Wave) -> Resolve:
    """Find a row's respondent (by code, name or alias in the wave's frame), the answer's text
    and the theme, or say what is wrong and in which column."""
    members = council_lookup(session, wave.frame)
    interviews = {
        council: interview
        for council, interview in session.execute(
            select(Interview.council_id, Interview.id).where(Interview.wave_id == wave.id)
        )
    }
    themes = {t.name_key: t for t in session.scalars(select(Theme).where(Theme.wave_id == wave.id))}

    def resolve(code: str, variable_id: str, theme_name: str) -> Resolved | tuple[str, str]:
        member = members.get(match_key(code))
        if member is None or member.id not in interviews:
            return "council_code", f"no respondent {code!r} in wave {wave.key}"
        theme = themes.get(match_key(theme_name))
        if theme is None:
            return "theme", f"there is no theme {theme_name!r} in this wave"
        if variable_id not in {v.variable_id for v in theme.variables}:
            return "variable", f"the theme {theme.name!r} does not code {variable_id!r}"
        text = session.scalar(
            select(Answer.value).where(
                Answer.interview_id == interviews[member.id], Answer.variable_id == variable_id
            )
        )
        if not text or text in RESERVED_CODES:
            return "variable", f"{member.name} gave no answer to {variable_id} to code"
        return Resolved(interviews[member.id], theme.id, text)

    return resolve
