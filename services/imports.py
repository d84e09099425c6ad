"""Import a wave from a flat file: check every cell, then write all of it or none of it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from db.councils import council_lookup, match_key
from db.models import Answer, Interview, utcnow
from flatfile.checks import (
    CheckedRow,
    CouncilRef,
    FindCouncil,
    ImportProblem,
    ImportRefused,
    check_file,
)
from instrument.errors import Where
from instrument.schedule import Instrument
from services.actor import Actor
from services.answers import record_change
from services.interviews import (
    get_wave,
    guard_validated,
    pinned,
    set_details,
    set_status,
)
from services.permissions import require_change


@dataclass(frozen=True)
class ImportReport:
    councils: int
    values_changed: int
    replaced: tuple[str, ...]


def import_wave(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    data: bytes,
    filename: str = "",
    replace: bool = False,
    reason: str | None = None,
) -> ImportReport:
    """Check the whole file against the instrument; write it in one transaction or raise.

    Changing a submission its council has validated needs a `reason`, and sends it back
    to the council for validation.
    """
    target = f"wave {wave_key} import"
    require_change(session, actor, "record answers", get_wave(session, wave_key), target=target)
    try:
        return _import(session, actor, wave_key, data, filename, replace, reason)
    except Exception as failed:
        session.rollback()  # nothing half-written, and SQLite's write lock released at once
        if isinstance(failed, ImportRefused) and filename:
            failed.where = Where(file=filename)  # the problems say where in it; this, which file
        raise


def _import(
    session: Session,
    actor: Actor,
    wave_key: str,
    data: bytes,
    filename: str,
    replace: bool,
    reason: str | None,
) -> ImportReport:
    wave = get_wave(session, wave_key)
    instrument = pinned(wave)
    councils = session.scalar(
        select(func.count()).select_from(Interview).where(Interview.wave_id == wave.id)
    )
    rows, problems = check_file(
        data,
        filename,
        instrument,
        _council_finder(session, wave.frame),
        wave_key=wave_key,
        councils=councils or 0,
    )
    seen = _read_answers(session, wave.id)
    problems += _check_existing(wave_key, rows, replace, seen)
    if problems:
        raise ImportRefused(problems)
    why = (reason or "").strip() or None
    report = _write(session, actor, wave.id, instrument, rows, why, filename or "a flat file", seen)
    session.commit()
    return report


def _council_finder(session: Session, frame: str) -> FindCouncil:
    """The wave frame's members by every way of naming them (code, name, alias), for the checks:
    a council's code in a wave of partnerships is not found."""
    councils = {
        key: CouncilRef(c.id, c.code, c.name) for key, c in council_lookup(session, frame).items()
    }
    return lambda text: councils.get(match_key(text))


# --- existing answers, and the write ----------------------------------------------------------


@dataclass(frozen=True)
class _Seen:
    """An answer as the import's checks read it, before any lock: the write compares."""

    version: int
    value: str | None


def _read_answers(session: Session, wave_id: int) -> dict[int, dict[str, _Seen]]:
    """Every stored answer of the wave, by council and variable, as the checks see them."""
    seen: dict[int, dict[str, _Seen]] = defaultdict(dict)
    for council_id, variable_id, version, value in session.execute(
        select(Interview.council_id, Answer.variable_id, Answer.version, Answer.value)
        .join(Answer, Answer.interview_id == Interview.id)
        .where(Interview.wave_id == wave_id)
    ):
        seen[council_id][variable_id] = _Seen(version, value)
    return seen


def _check_existing(
    wave_key: str, rows: list[CheckedRow], replace: bool, seen: Mapping[int, Mapping[str, _Seen]]
) -> list[ImportProblem]:
    if replace:
        return []
    return [
        ImportProblem(
            f"{row.council.name} already has answers in wave {wave_key}; import with --replace "
            "to overwrite them (every changed value is kept in the history)",
            row=row.number,
            council=row.council.name,
            column="council_code",
        )
        for row in rows
        if any(a.value is not None for a in seen.get(row.council.id, {}).values())
    ]


def _lock_interviews(
    session: Session, wave_id: int, rows: list[CheckedRow]
) -> dict[int, Interview]:
    """The file's interviews by council, each row locked (FOR UPDATE) as `save_answer` locks
    it, in interview id order so that two imports never wait for each other in a circle.
    Until the import commits, no one else can change these interviews or their answers."""
    query = (
        select(Interview)
        .where(Interview.wave_id == wave_id, Interview.council_id.in_([r.council.id for r in rows]))
        .order_by(Interview.id)
        .with_for_update(of=Interview)
        .execution_options(populate_existing=True)
        .options(selectinload(Interview.council))  # each audit row names it: one read, no lock
    )
    return {i.council_id: i for i in session.scalars(query)}


def _locked_answers(session: Session, interview_ids: list[int]) -> dict[int, dict[str, Answer]]:
    """The answers of locked interviews, read after the lock: what the write builds on."""
    stored: dict[int, dict[str, Answer]] = defaultdict(dict)
    query = (
        select(Answer)
        .where(Answer.interview_id.in_(interview_ids))
        .execution_options(populate_existing=True)
    )
    for answer in session.scalars(query):
        stored[answer.interview_id][answer.variable_id] = answer
    return stored


def _changed_since(
    row: CheckedRow,
    instrument: Instrument,
    existing: Mapping[str, Answer],
    seen: Mapping[str, _Seen],
) -> list[ImportProblem]:
    """Answers this row would change that someone saved after the import read them: the
    import refuses rather than overwrite a change its checks never saw."""
    problems = []
    for v in instrument.questions:
        answer = existing.get(v.id)
        if answer is None or answer.value == row.values.get(v.id):
            continue  # nothing to overwrite, or the file already agrees with it
        before = seen.get(v.id)
        if before is not None and before.version == answer.version:
            continue
        when = f" at {answer.updated_at:%H:%M:%S}" if answer.updated_at else ""
        problems.append(
            ImportProblem(
                f"changed since the import read it: {answer.updated_by or 'someone'} saved "
                f"version {answer.version}{when} "
                f"(the import read version {before.version if before else 0}); "
                "import again to check the file against it",
                row=row.number,
                council=row.council.name,
                column=v.id,
                value=answer.value,
            )
        )
    return problems


def _changes(interview: Interview, row: CheckedRow, existing: Mapping[str, Answer]) -> bool:
    """Whether writing this row would change the interview at all."""
    if interview.status != row.status:
        return True
    if any(getattr(interview, n) != v for n, v in row.details.items()):
        return True
    stored = {k: a.value for k, a in existing.items() if a.value is not None}
    return stored != {k: v for k, v in row.values.items() if v is not None}


def _write(
    session: Session,
    actor: Actor,
    wave_id: int,
    instrument: Instrument,
    rows: list[CheckedRow],
    reason: str | None,
    source: str,
    seen: Mapping[int, Mapping[str, _Seen]],
) -> ImportReport:
    """Write every row, with history and audit rows, on interviews locked first; a validated
    council's submission changes only with a reason, and an answer saved since the checks
    read it is never overwritten (else every such council is listed and nothing is written)."""
    # Every interview row is locked before the first audit row takes the audit log's chain
    # lock (`services.audit.record`): locked one by one afterwards, a save holding one of them and
    # waiting for the chain would deadlock with this import on PostgreSQL.
    interviews = _lock_interviews(session, wave_id, rows)
    stored = _locked_answers(session, [i.id for i in interviews.values()])
    stale = [
        p
        for row in rows
        for p in _changed_since(
            row, instrument, stored[interviews[row.council.id].id], seen.get(row.council.id, {})
        )
    ]
    if stale:
        raise ImportRefused(stale)
    now, changed, replaced = utcnow(), 0, []
    validated: list[ImportProblem] = []
    why = f"imported from {source}" + (f": {reason}" if reason else "")
    for row in rows:
        interview = interviews[row.council.id]
        if interview.validated_at is not None and _changes(interview, row, stored[interview.id]):
            if reason is None:
                validated.append(
                    ImportProblem(
                        f"{row.council.name} validated its submission on "
                        f"{interview.validated_at:%d %B %Y}; give a reason (--reason) to change "
                        "it, and the council will be asked to validate again",
                        row=row.number,
                        council=row.council.name,
                    )
                )
                continue
            guard_validated(session, interview, actor, reason, "the submission by import")
        set_status(session, interview, row.status, actor, why)
        set_details(session, interview, row.details, actor, why)
        existing = stored[interview.id]
        had_answers = any(a.value is not None for a in existing.values())
        changed_before = changed
        for v in instrument.questions:
            value = row.values.get(v.id)
            answer = existing.get(v.id)
            if (answer.value if answer else None) == value:
                continue
            note = answer.note if answer else None
            record_change(
                session,
                interview,
                answer,
                v.id,
                value=value,
                note=note,
                actor=actor,
                source="import",
                reason=why,
                at=now,
            )
            changed += 1
        if had_answers and changed > changed_before:
            replaced.append(row.council.name)
    if validated:
        raise ImportRefused(validated)
    session.flush()
    return ImportReport(councils=len(rows), values_changed=changed, replaced=tuple(replaced))
