"""Import a wave from a flat file: check every cell, then write all of it or none of it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.actor import Actor
from db.answers import history_row
from db.councils import council_lookup, match_key
from db.flatfile.export import export_columns
from db.flatfile.table import Table, UnreadableFile, guess_format, read_table
from db.interviews import get_wave, instrument_named, touch
from db.models import Answer, Council, Interview, utcnow
from db.vocabulary import ANSWERABLE_STATUSES, COMPLETED, DECLINED, STATUSES
from instrument.model import NOT_APPLICABLE, Variable
from instrument.schedule import Instrument
from instrument.values import ValueProblem, check_text, normalise, parse_date

OPTIONAL_COLUMNS = frozenset({"council_name"})
MAX_DATA_ROWS = 1_000
VALUE_SHOWN = 60


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file: where (row, council, column), the value, and why."""

    reason: str
    row: int | None = None
    council: str | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.council:
            where.append(self.council)
        if self.column:
            where.append(f"column {self.column}")
        if self.value is not None:
            shown = self.value if len(self.value) <= VALUE_SHOWN else self.value[:VALUE_SHOWN] + "…"
            where.append(f"value {shown!r}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class ImportRefused(Exception):
    """Nothing was written; `problems` lists every problem found, in file order."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"import refused, nothing was written ({len(problems)} problems):\n{lines}"
        )


@dataclass(frozen=True)
class ImportReport:
    councils: int
    values_changed: int
    replaced: tuple[str, ...]


@dataclass
class _Row:
    number: int
    council: Council
    status: str
    details: dict[str, object]
    values: dict[str, str | None] = field(default_factory=dict)


def import_wave(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    data: bytes,
    filename: str = "",
    replace: bool = False,
) -> ImportReport:
    """Check the whole file against the instrument; write it in one transaction or raise."""
    try:
        return _import(session, actor, wave_key, data, filename, replace)
    except Exception:
        session.rollback()  # nothing half-written, and SQLite's write lock released at once
        raise


def _import(
    session: Session, actor: Actor, wave_key: str, data: bytes, filename: str, replace: bool
) -> ImportReport:
    wave = get_wave(session, wave_key)
    instrument = instrument_named(wave.instrument)
    try:
        table = read_table(data, guess_format(filename, data))
    except UnreadableFile as exc:
        raise ImportRefused([ImportProblem(str(exc))]) from None
    problems = _check_header(table, instrument)
    if problems:
        raise ImportRefused(problems)
    if len(table.rows) > MAX_DATA_ROWS:
        raise ImportRefused(
            [
                ImportProblem(
                    f"the file has {len(table.rows):,} data rows; a wave has one row per council "
                    f"(at most {MAX_DATA_ROWS:,} rows are read)"
                )
            ]
        )
    if not table.rows:
        raise ImportRefused([ImportProblem("the file has column names but no data rows")])
    rows, problems = _check_rows(session, table, instrument)
    problems += _check_existing(session, wave.id, wave_key, rows, replace)
    if problems:
        raise ImportRefused(problems)
    report = _write(session, actor, wave.id, instrument, rows)
    session.commit()
    return report


def _check_header(table: Table, instrument: Instrument) -> list[ImportProblem]:
    expected = export_columns(instrument)
    problems = []
    for name, n in Counter(table.header).items():
        if name and n > 1:
            problems.append(ImportProblem(f"column {name!r} appears {n} times", row=1))
    for position, name in enumerate(table.header, start=1):
        if not name and any(position - 1 < len(r) and r[position - 1].strip() for r in table.rows):
            problems.append(ImportProblem(f"column {position} has data but no name", row=1))
    unknown = [n for n in table.header if n and n not in expected]
    if unknown:
        problems.append(ImportProblem(f"unknown column(s): {', '.join(unknown)}", row=1))
    missing = [n for n in expected if n not in table.header and n not in OPTIONAL_COLUMNS]
    if missing:
        problems.append(ImportProblem(f"missing column(s): {', '.join(missing)}", row=1))
    return problems


def _check_rows(
    session: Session, table: Table, instrument: Instrument
) -> tuple[list[_Row], list[ImportProblem]]:
    lookup = council_lookup(session)
    position = {name: i for i, name in enumerate(table.header) if name}
    problems: list[ImportProblem] = []
    rows: list[_Row] = []
    seen: dict[int, int] = {}
    for index, cells in enumerate(table.rows):
        number = index + 2
        if not any(c.strip() for c in cells):
            continue  # a blank row between councils carries nothing
        if len(cells) > len(table.header) and any(c.strip() for c in cells[len(table.header) :]):
            problems.append(
                ImportProblem(
                    f"the row has {len(cells)} cells but there are {len(table.header)} columns",
                    row=number,
                )
            )
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            i = position.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        row_problems: list[ImportProblem] = []
        for r, c in table.formulas:
            if r == index and c < len(table.header):
                row_problems.append(
                    ImportProblem(
                        "the cell holds a spreadsheet formula; paste values only",
                        row=number,
                        column=table.header[c],
                        value=cells[c],
                    )
                )
        code = cell("council_code").strip()
        council = lookup.get(match_key(code)) if code else None
        if council is None:
            reason = (
                "the council code is blank"
                if not code
                else "unknown council (not a GSS code or known name)"
            )
            problems.append(ImportProblem(reason, row=number, column="council_code", value=code))
            problems.extend(row_problems)
            continue
        if council.id in seen:
            problems.append(
                ImportProblem(
                    f"{council.name} also appears on row {seen[council.id]}",
                    row=number,
                    council=council.name,
                    column="council_code",
                    value=code,
                )
            )
            continue
        seen[council.id] = number
        row, found = _check_row(instrument, number, council, cell)
        problems.extend(
            [dataclasses.replace(p, council=council.name) for p in row_problems] + found
        )
        rows.append(row)
    return rows, problems


def _check_row(
    instrument: Instrument, number: int, council: Council, cell
) -> tuple[_Row, list[ImportProblem]]:  # type: ignore[no-untyped-def]
    problems: list[ImportProblem] = []

    def problem(reason: str, column: str, value: str | None = None) -> None:
        problems.append(ImportProblem(reason, number, council.name, column, value))

    status = cell("status").strip()
    if status not in STATUSES:
        problem(f"unknown status; use one of {', '.join(STATUSES)}", "status", status)
    details = _check_details(instrument, status, cell, problem)
    row = _Row(number, council, status, details)
    values, invalid = _read_values(instrument, cell, problem)
    row.values = values
    answered = [v.id for v in instrument.questions if cell(v.id).strip()]
    if status in STATUSES and status not in ANSWERABLE_STATUSES:
        if answered:
            problem(
                f"a council whose status is {status} cannot have answers; "
                f"found answers in {', '.join(answered[:5])}{' …' if len(answered) > 5 else ''}",
                answered[0],
                cell(answered[0]),
            )
        return row, problems
    for v in instrument.questions:
        _check_routing(instrument, v, status, values, invalid, cell, problem)
    row.values = {k: (None if val == NOT_APPLICABLE else val) for k, val in values.items()}
    return row, problems


def _check_details(instrument: Instrument, status: str, cell, problem) -> dict[str, object]:  # type: ignore[no-untyped-def]
    details: dict[str, object] = {}
    reason = cell("nonresponse_reason")
    if status == DECLINED and not reason.strip():
        problem("a declined council needs the reason it gave", "nonresponse_reason", reason)
    elif status != DECLINED and reason.strip():
        problem(
            "a reason for non-response is only for declined councils", "nonresponse_reason", reason
        )
    role = cell("respondent_role").strip()
    roles = [c.code for c in instrument.choices("respondent_role")]
    if role and role not in roles:
        problem(f"unknown respondent role; use one of {', '.join(roles)}", "respondent_role", role)
    elif not role and status == COMPLETED:
        problem("a completed interview needs the respondent's role", "respondent_role", role)
    date_text = cell("interview_date").strip()
    interview_date = None
    if date_text:
        try:
            interview_date = parse_date(date_text)
            if interview_date > dt.date.today():
                problem("the interview date is in the future", "interview_date", date_text)
        except ValueProblem as exc:
            problem(str(exc), "interview_date", date_text)
    elif status == COMPLETED:
        problem("a completed interview needs its interview date", "interview_date", date_text)
    interviewer = cell("interviewer")
    try:
        interviewer = check_text(interviewer).strip()
    except ValueProblem as exc:
        problem(f"the interviewer's name {exc}", "interviewer", interviewer)
    details.update(
        nonresponse_reason=reason.strip() or None if status == DECLINED else None,
        respondent_role=role if role in roles else None,
        interview_date=interview_date,
        interviewer=interviewer or None,
    )
    return details


def _read_values(instrument: Instrument, cell, problem) -> tuple[dict[str, str | None], set[str]]:  # type: ignore[no-untyped-def]
    values: dict[str, str | None] = {}
    invalid: set[str] = set()
    for v in instrument.questions:
        raw = cell(v.id)
        try:
            values[v.id] = normalise(instrument, v, raw)
        except ValueProblem as exc:
            problem(str(exc), v.id, raw)
            invalid.add(v.id)
    return values, invalid


def _check_routing(
    instrument: Instrument, v: Variable, status: str, values, invalid, cell, problem
) -> None:  # type: ignore[no-untyped-def]
    if v.id in invalid:
        return
    condition = instrument.condition(v.id)
    if condition and any(c.variable in invalid for c in condition.clauses):
        return
    value = values.get(v.id)
    if not instrument.applies(v.id, values):
        if value not in (None, NOT_APPLICABLE):
            problem(
                f"routing skips this question (asked only if {condition.text}); "  # type: ignore[union-attr]
                "leave it blank or write not_applicable",
                v.id,
                cell(v.id),
            )
        return
    if value == NOT_APPLICABLE:
        reason = f" (asked if {condition.text})" if condition else ""
        problem(f"not_applicable, but the question applies{reason}", v.id, value)
    elif value is None and v.is_closed and status == COMPLETED:
        problem(
            "blank, but a completed interview records every question that applies "
            "(no_answer or dont_know where the respondent gave none)",
            v.id,
            "",
        )


def _check_existing(
    session: Session, wave_id: int, wave_key: str, rows: list[_Row], replace: bool
) -> list[ImportProblem]:
    if replace:
        return []
    answered = set(
        session.scalars(
            select(Interview.council_id)
            .join(Answer, Answer.interview_id == Interview.id)
            .where(Interview.wave_id == wave_id, Answer.value.is_not(None))
        )
    )
    return [
        ImportProblem(
            f"{row.council.name} already has answers in wave {wave_key}; import with --replace "
            "to overwrite them (every changed value is kept in the history)",
            row=row.number,
            council=row.council.name,
            column="council_code",
        )
        for row in rows
        if row.council.id in answered
    ]


def _write(
    session: Session, actor: Actor, wave_id: int, instrument: Instrument, rows: list[_Row]
) -> ImportReport:
    interviews = {
        i.council_id: i
        for i in session.scalars(select(Interview).where(Interview.wave_id == wave_id))
    }
    stored: dict[int, dict[str, Answer]] = defaultdict(dict)
    for answer in session.scalars(
        select(Answer).join(Interview).where(Interview.wave_id == wave_id)
    ):
        stored[answer.interview_id][answer.variable_id] = answer
    now, changes, replaced = utcnow(), [], []
    for row in rows:
        interview = interviews[row.council.id]
        interview.status = row.status
        for name, value in row.details.items():
            setattr(interview, name, value)
        touch(interview, actor)
        existing = stored[interview.id]
        had_answers = any(a.value is not None for a in existing.values())
        changes_before = len(changes)
        for v in instrument.questions:
            value = row.values.get(v.id)
            answer = existing.get(v.id)
            old = answer.value if answer else None
            if old == value:
                continue
            if answer is None:
                answer = Answer(interview_id=interview.id, variable_id=v.id, version=0)
                session.add(answer)
            answer.value, answer.version = value, answer.version + 1
            answer.updated_at, answer.updated_by = now, actor.username
            changes.append((answer, old))
        if had_answers and len(changes) > changes_before:
            replaced.append(row.council.name)
    session.flush()
    session.add_all(
        history_row(answer, old, answer.note, actor=actor, source="import")
        for answer, old in changes
    )
    session.flush()
    return ImportReport(councils=len(rows), values_changed=len(changes), replaced=tuple(replaced))
