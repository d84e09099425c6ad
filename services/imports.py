"""Import a wave from a flat file: check every cell, then write all of it or none of it.

The file is read and written a chunk of rows at a time, in one transaction, so neither the
file nor the wave is ever held whole: memory is bounded by the chunk, whatever the size of
either. Rows are written only while no problem has been found; once one is, the rest of the
file is still checked, so the refusal lists every problem, and then nothing is kept.

Answers, their history and the audit log are written in bulk, not an ORM object per value.
The audit log has one row per interview for its closed answers and one for its free text
(what changed, from and to), as REDCap logs an import per record; each value's change is in
the answer's history, as keyed ones are. Counters (`db.counters`) are kept by the difference
each chunk makes, worked out from what it read and wrote.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from sqlalchemy import Table, bindparam, insert, literal, null, select, update
from sqlalchemy.orm import Session

from db import counters
from db.bulk import reserve_ids, stored_time, write_rows
from db.councils import member_keys
from db.models import Answer, AnswerHistory, Interview, Wave, utcnow
from flatfile.checker import WaveFile, checked_wave_file
from flatfile.checks import CheckedRow, CouncilRef, ImportProblem, ImportRefused, Problems
from instrument.errors import Where
from instrument.schedule import Instrument
from services import audit
from services.actor import Actor
from services.interviews import (
    get_wave,
    guard_validated,
    interview_target,
    pinned,
    set_details,
    set_status,
)
from services.permissions import require_change

CHUNK = 500  # rows checked and written at a time: what memory holds, whatever the file
CLOSED_ACTION = "answer.imported"  # an interview's closed answers, as one audit row
TEXT_ACTION = "answer.imported_text"  # its free-text answers, apart: erased by retention


@dataclass(frozen=True)
class ImportReport:
    councils: int
    values_changed: int
    replaced: tuple[str, ...]


@dataclass(frozen=True)
class Progress:
    """How far an import has gone, for a progress bar: rows read, and bytes of how many."""

    rows: int
    read: int
    size: int | None


def import_wave(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    data: bytes | BinaryIO,
    filename: str = "",
    replace: bool = False,
    reason: str | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> ImportReport:
    """Check the whole file against the instrument; write it in one transaction or raise.
    `data` is the file's bytes or a binary file to read it from (a file of any size).

    Changing a submission its council has validated needs a `reason`, and sends it back
    to the council for validation.
    """
    target = f"wave {wave_key} import"
    require_change(session, actor, "record answers", get_wave(session, wave_key), target=target)
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        return _import(session, actor, wave_key, source, filename, replace, reason, progress)
    except Exception as failed:
        session.rollback()  # nothing half-written, and SQLite's write lock released at once
        if isinstance(failed, ImportRefused) and filename:
            failed.where = Where(file=filename)  # the problems say where in it; this, which file
        raise


def _import(
    session: Session,
    actor: Actor,
    wave_key: str,
    source: BinaryIO,
    filename: str,
    replace: bool,
    reason: str | None,
    progress: Callable[[Progress], None] | None,
) -> ImportReport:
    wave = get_wave(session, wave_key)
    instrument = pinned(wave)
    interviews = _lock_wave(session, wave)
    why = (reason or "").strip() or None
    found = Problems()  # the file's own problems; the writer keeps the wave's apart
    writer = _Writer(session, actor, wave, instrument, why, filename or "a flat file", replace,
                     interviews, _answered(session, wave), found)  # fmt: skip
    described = WaveFile(wave.instrument_text, wave.instrument_sha256, wave_key,
                         _members(session, wave.frame), len(interviews))  # fmt: skip
    chunks = checked_wave_file(source, filename, described, found, chunk=CHUNK)
    del described  # held by the checks alone: in a child process, sent there and let go
    with writer:
        for checked in chunks:
            writer.write(checked.rows)
            if progress is not None:
                progress(Progress(writer.rows, checked.read, checked.size))
        if writer.problems or found:
            raise ImportRefused(Problems.merged(found, writer.problems))
        writer.finish()
    counters.add_counted(session, writer.counted)
    session.commit()
    return ImportReport(writer.rows, writer.changed, tuple(writer.replaced))


def _lock_wave(session: Session, wave: Wave) -> dict[int, int]:
    """Lock every interview of the wave before the file is read, in id order (FOR UPDATE on
    PostgreSQL; SQLite's write transaction already holds the database): no save can change
    what the checks read before the write, and every lock is taken before the first audit
    row takes the chain's, so a save waiting for the chain never holds one the import needs.
    Saves to the wave wait until the import ends. Returns each council's interview id, so
    a chunk's interviews are read by their keys (`_CHUNK_INTERVIEWS`)."""
    query = (
        select(Interview.council_id, Interview.id)
        .where(Interview.wave_id == wave.id)
        .order_by(Interview.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return {council: interview for council, interview in session.execute(query)}


def _answered(session: Session, wave: Wave) -> set[int]:
    """The wave's interviews that have any answer, read once: a chunk reads the stored answers
    of these alone. A first import reads none, so the growing answer table is never scanned
    for answers that cannot be there (the planner, its statistics taken before the import,
    would scan it whole for each chunk)."""
    query = (
        select(Answer.interview_id)
        .join(Interview, Interview.id == Answer.interview_id)
        .where(Interview.wave_id == wave.id)
        .distinct()
    )
    return set(session.scalars(query))


def _members(session: Session, frame: str) -> dict[str, CouncilRef]:
    """The wave frame's members by every way of naming them (code, name, alias), for the checks:
    a council's code in a wave of partnerships is not found."""
    refs: dict[tuple[int, str, str], CouncilRef] = {}
    return {
        key: refs.setdefault(member, CouncilRef(*member))
        for key, member in member_keys(session, frame).items()
    }


# --- the write --------------------------------------------------------------------------------


class _Interview:
    """An interview's record as the import reads and changes it, without an ORM object: its
    columns, and its wave and council for the audit log (`InterviewRecord`). What the
    services' own rules change in it (`set_status`, `set_details`, `guard_validated`) is
    written back in bulk, one statement per chunk."""

    id: int
    status: str
    version: int
    updated_at: dt.datetime
    updated_by: str | None
    validated_at: dt.datetime | None
    validated_by: str | None

    def __init__(self, row: Mapping[str, object], wave: Wave, council: CouncilRef) -> None:
        self.__dict__.update(row)
        self.read = dict(row)  # as the database holds it
        self.wave, self.council = wave, council

    def changed(self) -> bool:
        return any(getattr(self, name) != value for name, value in self.read.items())


_INTERVIEWS = cast(Table, Interview.__table__)
_KEPT = ("id", "wave_id", "council_id")  # never changed by an import
_REWRITE = (
    update(_INTERVIEWS)
    .where(_INTERVIEWS.c.id == bindparam("interview_id"))
    .values({c.name: bindparam(f"new_{c.name}") for c in _INTERVIEWS.c if c.name not in _KEPT})
)
# By primary key: a new wave's table has no statistics yet, and PostgreSQL then read
# (wave, council) through the index on the wave alone: every interview of the wave for each
# chunk, 50 s of an import of 100,000.
_CHUNK_INTERVIEWS = select(_INTERVIEWS).where(
    _INTERVIEWS.c.id.in_(bindparam("ids", expanding=True))
)


@dataclass(frozen=True)
class _Stored:
    """An answer as the database holds it, read a chunk of interviews at a time."""

    id: int
    value: str | None
    note: str | None
    version: int


_STORED = select(
    Answer.id, Answer.interview_id, Answer.variable_id, Answer.value, Answer.note, Answer.version
).where(Answer.interview_id.in_(bindparam("ids", expanding=True)))
_ANSWERS = cast(Table, Answer.__table__)
_CHANGE = (
    update(_ANSWERS)
    .where(_ANSWERS.c.id == bindparam("answer_id"))
    .values(
        value=bindparam("new_value"),
        version=bindparam("new_version"),
        updated_at=bindparam("at"),
        updated_by=bindparam("by"),
    )
)
_ANSWER_COLUMNS = ("id", "interview_id", "variable_id", "value", "version", "updated_at",
                   "updated_by")  # fmt: skip
_HISTORY = cast(Table, AnswerHistory.__table__)
_HISTORY_COLUMNS = ("answer_id", "interview_id", "variable_id", "version", "old_value",
                    "new_value", "old_note", "new_note", "changed_by", "changed_at",
                    "source")  # fmt: skip
# A first answer's history is the answer itself (version 1, from nothing), copied by the
# database from the rows just written: no row made in Python, none sent twice. The new rows
# are those with the ids taken for them, of the chunk's interviews (locked by the import).
_FIRST_HISTORY = insert(_HISTORY).from_select(
    _HISTORY_COLUMNS,
    select(
        _ANSWERS.c.id, _ANSWERS.c.interview_id, _ANSWERS.c.variable_id, _ANSWERS.c.version,
        null(), _ANSWERS.c.value, null(), null(), _ANSWERS.c.updated_by,
        _ANSWERS.c.updated_at, literal("import"),
    )
    .where(
        _ANSWERS.c.id.between(bindparam("first"), bindparam("last")),
        _ANSWERS.c.interview_id.in_(bindparam("interviews", expanding=True)),
    )
    .order_by(_ANSWERS.c.id),
)  # fmt: skip


@dataclass(frozen=True)
class _Stamp:
    """When and by whom a chunk's answers change: the time, as the database is given it (made
    once, not per row), and the username."""

    now: dt.datetime
    stored: object
    by: str


@dataclass
class _Writes:
    """What one chunk writes, made before it is written: the interviews' changed columns,
    new answers, changed answers, their history, and the audit rows."""

    interviews: list[dict[str, object]] = field(default_factory=list)
    fresh: list[tuple[object, ...]] = field(default_factory=list)
    changed: list[dict[str, object]] = field(default_factory=list)
    history: list[tuple[object, ...]] = field(default_factory=list)  # of changed answers
    firsts: dict[str, object] = field(default_factory=dict)  # which are new (`_FIRST_HISTORY`)
    log: list[audit.Entry] = field(default_factory=list)


@dataclass
class _Writer:
    """Writes checked rows a chunk at a time, while no problem has been found; the checks
    that need the database (answers already there, a validated submission) are made here.

    Each chunk is read (its interviews, answers, new ids), then made into rows in Python, then
    written. On PostgreSQL a chunk is written by a thread while the next is read and made:
    the server's work on one (keys, indexes, the log) overlaps Python's on the next, and the
    thread waits for the server without Python's lock. The next chunk's reads come after the
    last writes have finished, as one connection serves both. On SQLite, whose writes are
    Python's own work, each chunk is written before the next is read."""

    session: Session
    actor: Actor
    wave: Wave
    instrument: Instrument
    reason: str | None
    source: str
    replace: bool
    interviews: dict[int, int]  # each council's interview in the wave, by council id
    answered: set[int]  # interviews that had answers when the import began (`_answered`)
    found: Problems  # the file's problems so far: while there are none, rows are written
    problems: Problems = field(default_factory=Problems)  # the writer's own
    counted: counters.Counts = field(default_factory=counters.Counts)
    rows: int = 0
    changed: int = 0
    replaced: list[str] = field(default_factory=list)
    made: _Writes | None = None  # the last chunk's rows, made but not yet written
    writing: Future[None] | None = None
    thread: ThreadPoolExecutor | None = None

    def __post_init__(self) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            self.thread = ThreadPoolExecutor(1, thread_name_prefix="import-writes")

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *failed: object) -> None:
        """Whatever happened, nothing is still writing when the caller commits or rolls back."""
        if self.thread is not None:
            self.thread.shutdown(wait=True)

    @property
    def why(self) -> str:
        return f"imported from {self.source}" + (f": {self.reason}" if self.reason else "")

    def write(self, rows: list[CheckedRow]) -> None:
        self.rows += len(rows)
        if self.thread is None:
            self._start_writing()  # SQLite: the last chunk written before this one is read
        self._written()  # PostgreSQL: the one before it, in the thread, has ended
        interviews = self._interviews(rows)
        stored = self._stored([i.id for i in interviews.values()])
        for row in rows:
            interview = interviews[row.council.id]
            self._check(row, interview, stored[interview.id])
        if self.problems or self.found:
            return  # the rest of the file is still checked, for the refusal to list it all
        changes = []
        for row in rows:
            interview = interviews[row.council.id]
            changes.append((interview, row, self._changes(row, stored[interview.id])))
        connection, now = self.session.connection(), utcnow()
        fresh = {i.id: len(values.keys() - stored[i.id].keys()) for i, _, values in changes}
        taken = reserve_ids(connection, _ANSWERS, sum(fresh.values()))
        firsts = _firsts(taken, [i for i, n in fresh.items() if n])
        ids = iter(taken)
        stamp = _Stamp(now, stored_time(connection, now), self.actor.username)
        self._start_writing()  # PostgreSQL: the last chunk written while this one is made
        self.made = self._made(interviews, stored, changes, ids, firsts, stamp)

    def finish(self) -> None:
        """Write the last chunk made, and wait for every write to end."""
        self._start_writing()
        self._written()

    def _start_writing(self) -> None:
        self._written()  # one chunk's writes at a time, in order
        made, self.made = self.made, None
        if made is None:
            return
        if self.thread is None:
            self._write(made)
        else:
            self.writing = self.thread.submit(self._write, made)

    def _written(self) -> None:
        """Wait for the writes running in the thread; a failure there is raised here."""
        writing, self.writing = self.writing, None
        if writing is not None:
            writing.result()

    def _made(
        self,
        interviews: dict[int, _Interview],
        stored: dict[int, dict[str, _Stored]],
        changes: list[tuple[_Interview, CheckedRow, dict[str, str | None]]],
        ids: Iterator[int],
        firsts: dict[str, object],
        stamp: _Stamp,
    ) -> _Writes:
        """The chunk's rows, made in Python alone (no statement: the thread may be writing),
        and its difference to the counters."""
        before = [self._contribution(i, stored[i.id], {}) for i in interviews.values()]
        made = _Writes(firsts=firsts)
        for interview, row, changed in changes:
            if changed or _changes_interview(interview, row):
                guard_validated(self.session, interview, self.actor, self.reason,
                                "the submission by import", made.log)  # fmt: skip
            set_status(self.session, interview, row.status, self.actor, self.why, made.log)
            set_details(self.session, interview, row.details, self.actor, self.why, made.log)
        made.interviews = _rewritten(interviews.values())
        self._answers(changes, stored, ids, stamp, made)
        for one in before:
            self.counted.add(one, -1)
        for interview, _, changed in changes:
            self.counted.add(self._contribution(interview, stored[interview.id], changed))
        return made

    def _write(self, made: _Writes) -> None:
        """One chunk's rows written: in bulk, no ORM object per value."""
        connection = self.session.connection()
        if made.interviews:
            self.session.execute(_REWRITE, made.interviews)
        write_rows(connection, _ANSWERS, _ANSWER_COLUMNS, made.fresh)
        if made.firsts:
            self.session.execute(_FIRST_HISTORY, made.firsts)
        if made.changed:
            self.session.execute(_CHANGE, made.changed)
        write_rows(connection, _HISTORY, _HISTORY_COLUMNS, made.history)
        audit.record_many(self.session, actor=self.actor, entries=made.log)

    def _interviews(self, rows: list[CheckedRow]) -> dict[int, _Interview]:
        """The chunk's interviews (already locked), each with its council for the log."""
        councils = {r.council.id: r.council for r in rows}
        ids = [self.interviews[c] for c in councils if c in self.interviews]
        found = self.session.execute(_CHUNK_INTERVIEWS, {"ids": ids})
        return {
            row["council_id"]: _Interview(dict(row), self.wave, councils[row["council_id"]])
            for row in found.mappings()
        }

    def _stored(self, interview_ids: list[int]) -> dict[int, dict[str, _Stored]]:
        stored: dict[int, dict[str, _Stored]] = defaultdict(dict)
        answered = [i for i in interview_ids if i in self.answered]
        for a in self.session.execute(_STORED, {"ids": answered}) if answered else ():
            stored[a.interview_id][a.variable_id] = _Stored(a.id, a.value, a.note, a.version)
        return stored

    def _check(
        self, row: CheckedRow, interview: _Interview, stored: Mapping[str, _Stored]
    ) -> None:
        """A council that has answers needs --replace; a validated one that would change, a
        reason (it is then sent back to the council)."""
        if not self.replace and any(a.value is not None for a in stored.values()):
            self.problems.append(
                ImportProblem(
                    f"{row.council.name} already has answers in wave {self.wave.key}; import "
                    "with --replace to overwrite them (every changed value is kept in the "
                    "history)",
                    row=row.number,
                    council=row.council.name,
                    column="council_code",
                )
            )
        elif (
            interview.validated_at is not None
            and self.reason is None
            and (_changes_interview(interview, row) or self._changes(row, stored))
        ):
            self.problems.append(
                ImportProblem(
                    f"{row.council.name} validated its submission on "
                    f"{interview.validated_at:%d %B %Y}; give a reason (--reason) to "
                    "change it, and the council will be asked to validate again",
                    row=row.number,
                    council=row.council.name,
                )
            )

    def _changes(self, row: CheckedRow, stored: Mapping[str, _Stored]) -> dict[str, str | None]:
        """The questions whose value this row changes, and to what."""
        changed = {}
        for v in self.instrument.questions:
            value = row.values.get(v.id)
            answer = stored.get(v.id)
            if (answer.value if answer else None) != value:
                changed[v.id] = value
        return changed

    def _answers(
        self,
        changes: list[tuple[_Interview, CheckedRow, dict[str, str | None]]],
        stored: Mapping[int, Mapping[str, _Stored]],
        ids: Iterator[int],
        stamp: _Stamp,
        made: _Writes,
    ) -> None:
        """Every changed answer's row (new ones with the ids taken for them, changed ones,
        their history), and two audit rows per interview at most for its answers."""
        now, by, verbatim = stamp.now, stamp.by, self.instrument.verbatim_ids
        at = stamp.stored  # the time as the database is given it, made once per chunk
        for interview, row, values in changes:
            had = stored[interview.id]
            if not values:
                continue
            if any(a.value is not None for a in had.values()):
                self.replaced.append(row.council.name)
            self.changed += len(values)
            for variable_id, value in values.items():
                answer = had.get(variable_id)
                if answer is None:  # a first answer: version 1, from nothing
                    answer_id = next(ids)
                    made.fresh.append((answer_id, interview.id, variable_id, value, 1, at, by))
                    continue  # its history is copied from it (`_FIRST_HISTORY`)
                made.changed.append({"answer_id": answer.id, "new_value": value, "at": now,
                                     "new_version": answer.version + 1, "by": by})  # fmt: skip
                made.history.append((answer.id, interview.id, variable_id, answer.version + 1,
                                     answer.value, value, answer.note, answer.note, by, at,
                                     "import"))  # fmt: skip
            target = interview_target(interview)
            for action, keys in ((CLOSED_ACTION, [k for k in values if k not in verbatim]),
                                 (TEXT_ACTION, [k for k in values if k in verbatim])):  # fmt: skip
                if keys:
                    old = {k: had[k].value for k in keys if k in had and had[k].value is not None}
                    new = _listed({k: values[k] for k in keys})
                    made.log.append(audit.Entry(action, target, _listed(old), new, self.why))

    def _contribution(
        self,
        interview: _Interview,
        stored: Mapping[str, _Stored],
        changed: Mapping[str, str | None],
    ) -> counters.Counts:
        """What the interview adds to the counters, with these changes made to its answers."""
        answers = {k: a.value for k, a in stored.items()} | dict(changed)
        held = {k: v or counters.NONE for k, v in answers.items() if v is not None}
        row = {name: getattr(interview, name) for name in counters.READ}
        return counters.contribution(self.instrument, row, held)


def _firsts(taken: Sequence[int], interviews: list[int]) -> dict[str, object]:
    """Which rows of the answer table are a chunk's new answers, for `_FIRST_HISTORY`."""
    if not taken:
        return {}
    return {"first": min(taken), "last": max(taken), "interviews": interviews}


def _rewritten(interviews: Iterable[_Interview]) -> list[dict[str, object]]:
    """What the rules changed in the chunk's interviews, for one statement (`_REWRITE`)."""
    return [
        {"interview_id": i.id,
         **{f"new_{name}": getattr(i, name) for name in i.read if name not in _KEPT}}
        for i in interviews
        if i.changed()
    ]  # fmt: skip


def _changes_interview(interview: _Interview, row: CheckedRow) -> bool:
    return interview.status != row.status or any(
        getattr(interview, n) != v for n, v in row.details.items()
    )


def _listed(values: Mapping[str, str | None]) -> str | None:
    """Values as the audit log keeps them: one JSON object, by variable id, in schedule order."""
    return json.dumps(values, ensure_ascii=False) if values else None

