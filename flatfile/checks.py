"""Checking a flat file against the instrument, before anything is written: its header, and
every row's council, status, interview record and answers (by type, routing, completeness).

Pure: the table comes from `flatfile.table`, the councils from a lookup the caller passes, so
every refusal a file can earn is found (and tested) without a database. The service
(`services.imports`) adds what only the database knows: answers already held, and locks."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from flatfile.columns import OPTIONAL_COLUMNS, export_columns
from flatfile.table import Record, Table, TableStream, UnreadableFile, open_table, shown
from instrument.errors import SurveyError, Where
from instrument.model import NOT_APPLICABLE, Variable
from instrument.schedule import Instrument
from instrument.values import MAX_TEXT_LENGTH, ValueProblem, check_text, normalise, parse_date
from instrument.vocabulary import ANSWERABLE_STATUSES, InterviewStatus

# Columns a file may have beyond the survey's own: a few of an auditor's notes are listed by
# name as unknown; a sheet reaching far past them is the wrong file, refused while it is read.
EXTRA_COLUMNS = 20
MAX_PROBLEMS_SHOWN = 100  # the rest are counted, not listed: fix these and import again
NAMES_SHOWN = 10  # column names listed in one problem
VALUE_SHOWN = 60
MAX_COUNCIL_TEXT = 200  # no council's code, name or alias is longer
CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # in a council's code or name: not typed, pasted
NO_DATA_ROWS = "the file has column names but no data rows"


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file: where (row, or line of an XML file; council, column),
    the value, and why."""

    reason: str
    row: int | None = None
    council: str | None = None
    column: str | None = None
    value: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
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

    @property
    def where(self) -> Where:
        return Where(row=self.row, column=self.column, council=self.council)

    @classmethod
    def unreadable(cls, exc: UnreadableFile) -> ImportProblem:
        """A file that cannot be read as a table, as one problem of the refusal."""
        return cls(exc.message, row=exc.where.row, column=exc.where.column)


class ImportRefused(SurveyError):
    """Nothing was written. `problems` lists the problems found, in file order: the first
    `MAX_PROBLEMS_SHOWN` of them, then one line saying how many more there are; `total`
    counts them all. A subclass refusing another kind of file names it in `refused`."""

    code = "import.refused"
    refused = "import refused"

    def __init__(self, problems: list[ImportProblem], *, file: str | None = None) -> None:
        self.total = problems.total if isinstance(problems, Problems) else len(problems)
        self.problems = problems[:MAX_PROBLEMS_SHOWN]
        if self.total > MAX_PROBLEMS_SHOWN:
            self.problems.append(
                ImportProblem(
                    f"… and {self.total - MAX_PROBLEMS_SHOWN:,} more problems not shown "
                    f"({self.total:,} in all); fix these and import again to see the rest"
                )
            )
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{self.refused}, nothing was written ({self.total} "
            f"problem{'' if self.total == 1 else 's'}):\n{lines}",
            file=file,
        )


class Problems(list[ImportProblem]):
    """Every problem counted, the first `MAX_PROBLEMS_SHOWN` kept: a file of a million bad
    rows costs no more memory than a file of a hundred."""

    total = 0

    def append(self, problem: ImportProblem) -> None:
        self.total += 1
        if len(self) < MAX_PROBLEMS_SHOWN:
            super().append(problem)

    def extend(self, problems: Iterable[ImportProblem]) -> None:
        for problem in problems:
            self.append(problem)

    def __iadd__(self, problems: Iterable[ImportProblem]) -> Problems:  # type: ignore[override,misc]
        self.extend(problems)
        return self

    def told(self, problems: Iterable[ImportProblem], total: int) -> Problems:
        """Add the problems another list kept, and take its count of all it found (the
        checking process's, sent a chunk at a time)."""
        self.extend(problems)
        self.total = total
        return self

    @classmethod
    def merged(cls, *kept: Problems) -> Problems:
        """Several lists' problems as one, in row order, every one counted: the file's and
        the wave's (answers already there), found a chunk apart, told in the file's order.
        Each list is in row order, so the first shown of all are among the first each kept."""
        merged = cls()
        merged.extend(sorted((p for problems in kept for p in problems), key=lambda p: p.row or 0))
        merged.total = sum(problems.total for problems in kept)
        return merged


@dataclass(frozen=True, slots=True)
class CouncilRef:
    """A council as the checks need it: the database's id, its code and name (slots: a frame
    of 100,000 organisations holds 100,000 of them)."""

    id: int
    code: str
    name: str


FindCouncil = Callable[[str], CouncilRef | None]  # a code, name or alias as typed -> council


@dataclass
class CheckedRow:
    """One council's row once checked: what the import will write for it."""

    number: int
    council: CouncilRef
    status: str
    details: dict[str, object]
    values: dict[str, str | None] = field(default_factory=dict)


def open_wave_file(
    source: BinaryIO, filename: str, instrument: Instrument, *, councils: int
) -> TableStream:
    """Start reading a wave's file: refused at once if it is not a wave file at all
    (unreadable, or the wrong columns); its rows come as they are read."""
    try:
        stream = open_table(
            source,
            filename,
            max_rows=max(councils, 1),
            max_columns=len(export_columns(instrument)) + EXTRA_COLUMNS,
        )
    except UnreadableFile as exc:
        raise ImportRefused([ImportProblem.unreadable(exc)]) from None
    problems = check_columns(
        stream.header,
        export_columns(instrument),
        OPTIONAL_COLUMNS,
        hint="export a wave to see the columns it needs",
    )
    if problems:
        raise ImportRefused(problems)
    return stream


def check_file(
    data: bytes,
    filename: str,
    instrument: Instrument,
    find_council: FindCouncil,
    *,
    wave_key: str,
    councils: int,
) -> tuple[list[CheckedRow], list[ImportProblem]]:
    """Read and check a whole file held in memory: the rows to write and every problem."""
    stream = open_wave_file(io.BytesIO(data), filename, instrument, councils=councils)
    problems: list[ImportProblem] = []
    chunks = checked_chunks(stream, instrument, find_council, problems, wave_key=wave_key,
                            councils=councils, chunk=max(councils, 1))  # fmt: skip
    return [row for chunk in chunks for row in chunk], problems


def checked_chunks(
    stream: TableStream,
    instrument: Instrument,
    find_council: FindCouncil,
    problems: list[ImportProblem],
    *,
    wave_key: str,
    councils: int,
    chunk: int,
) -> Iterator[list[CheckedRow]]:
    """The file's rows checked as they are read, `chunk` rows at a time, every problem added
    to `problems`. A file with more rows of data than the wave has councils (it takes one
    row for each), or none, or one found unreadable part way, is refused at once."""
    reading = _Reading(stream.header, problems, most=councils)
    rows: list[CheckedRow] = []
    try:
        for row in checked_rows(reading, stream.rows, instrument, find_council):
            rows.append(row)
            if len(rows) == chunk:
                yield rows
                rows = []
    except UnreadableFile as exc:
        raise ImportRefused([ImportProblem.unreadable(exc)]) from None
    except _TooManyRows:
        raise ImportRefused(
            [
                ImportProblem(
                    f"the file has more than {councils:,} rows of data, but wave {wave_key} has "
                    f"{councils:,} councils and takes one row for each; check that this is the "
                    "right file (nothing else in it was checked)"
                )
            ]
        ) from None
    if not reading.with_data:
        raise ImportRefused([ImportProblem(NO_DATA_ROWS)])
    if rows:
        yield rows


class _TooManyRows(Exception):
    """More rows of data than the wave has councils: the wrong file, read no further."""


# --- the header -------------------------------------------------------------------------------


def check_columns(
    header: list[str], expected: Sequence[str], optional: Collection[str], *, hint: str
) -> list[ImportProblem]:
    """The first row against the columns a kind of file has: every column named twice,
    unknown or missing, all on row 1 (a column with data but no name is found with the rows,
    `data_rows`). `hint` says where to see the right columns, for a file none of whose
    columns is one of them."""
    named = [n for n in header if n]
    if named and not set(named) & set(expected):
        return [
            ImportProblem(
                "none of the column names is one the survey uses (the first row holds "
                f"{_names(named, quoted=True)}); {hint}",
                row=1,
            )
        ]
    problems = []
    for name, n in Counter(header).items():
        if name and n > 1:
            places = [str(i) for i, h in enumerate(header, start=1) if h == name]
            where = f"{', '.join(places[:-1])} and {places[-1]}"
            problems.append(
                ImportProblem(f"column {name!r} appears {n} times (columns {where})", row=1)
            )
    unknown = [n for n in named if n not in expected]
    if unknown:
        problems.append(ImportProblem(f"unknown column(s): {_names(unknown)}", row=1))
    missing = [n for n in expected if n not in header and n not in optional]
    if missing:
        problems.append(ImportProblem(f"missing column(s): {_names(missing)}", row=1))
    return problems


def _names(names: list[str], *, quoted: bool = False) -> str:
    """Column names as written, the unprintable in quotes with escapes, a long list cut short."""
    listed = [shown(n) if quoted or not n.isprintable() else n for n in names[:NAMES_SHOWN]]
    more = len(names) - NAMES_SHOWN
    return ", ".join(listed) + (f" and {more} more" if more > 0 else "")


# --- the rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cells:
    """One data row's cells by column name; a column the row does not reach is blank."""

    cells: list[str]
    position: Mapping[str, int]
    named: dict[str, str] = field(init=False, repr=False)  # a row's every cell is read

    def __post_init__(self) -> None:
        n = len(self.cells)
        named = {name: self.cells[i] for name, i in self.position.items() if i < n}
        object.__setattr__(self, "named", named)

    def __getitem__(self, column: str) -> str:
        return self.named.get(column, "")


class _Reading:
    """Rows as they are read: how many had data, and which unnamed columns had some."""

    def __init__(
        self, header: list[str], problems: list[ImportProblem], *, most: int | None = None
    ) -> None:
        self.header, self.problems, self.most = header, problems, most
        self.position = {name: i for i, name in enumerate(header) if name}
        self.unnamed = [i for i, name in enumerate(header) if not name]
        self.with_data = 0

    def rows(self, records: Iterable[Record]) -> Iterator[tuple[int, Cells, dict[str, str]]]:
        """Each data row with something in it: its row number in the spreadsheet, its cells
        by column name, and why a cell's text is not what was typed, by column name. A row
        with values beyond the last column is not given: its problem is added instead, as
        its cells cannot be told apart."""
        width = len(self.header)
        for number, (raw, why) in enumerate(records, start=2):
            if not any(c.strip() for c in raw):
                continue  # a blank row between rows of data carries nothing
            self.with_data += 1
            if self.most is not None and self.with_data > self.most:
                raise _TooManyRows
            for i in [i for i in self.unnamed if i < len(raw) and raw[i].strip()]:
                self.unnamed.remove(i)
                self.problems.append(ImportProblem(f"column {i + 1} has data but no name", row=1))
            if len(raw) > width and any(c.strip() for c in raw[width:]):
                said = f"the row has {len(raw)} cells but there are {width} columns"
                self.problems.append(ImportProblem(said, row=number))
                continue
            named = {self.header[c]: r for c, r in why.items() if c < width and self.header[c]}
            yield number, Cells(raw, self.position), named


def data_rows(table: Table, problems: list[ImportProblem]) -> Iterator[tuple[int, int, Cells]]:
    """A table's data rows with something in it: index, row number and cells (`_Reading`)."""
    for number, cells, _ in _Reading(table.header, problems).rows((r, {}) for r in table.rows):
        yield number - 2, number, cells


def cell_problems(table: Table) -> defaultdict[int, dict[str, str]]:
    """Why a cell's text is not what was typed (a formula, an error), by data row index and
    column name."""
    in_cells: defaultdict[int, dict[str, str]] = defaultdict(dict)
    for (r, c), reason in table.cell_problems.items():
        if c < len(table.header) and table.header[c]:
            in_cells[r][table.header[c]] = reason
    return in_cells


def checked_rows(
    reading: _Reading, records: Iterable[Record], instrument: Instrument, find_council: FindCouncil
) -> Iterator[CheckedRow]:
    """Every data row against the instrument and the councils: each row to write, as read,
    and every problem found (with its row, council, column and value) added to the reading's."""
    problems = reading.problems
    seen: dict[int, int] = {}
    for number, cells, in_cells in reading.rows(records):
        code = cells["council_code"].strip()
        readable = 0 < len(code) <= MAX_COUNCIL_TEXT and not CONTROL.search(code)
        council = find_council(code) if readable else None
        if council is None:
            reason = (
                "the council code is blank"
                if not code
                else "unknown council (not a GSS code or known name)"
                if not CONTROL.search(code)
                else "the council code contains a control character (such as a NUL byte)"
            )
            problems.append(ImportProblem(reason, row=number, column="council_code", value=code))
            problems.extend(
                ImportProblem(why, number, None, c, cells[c]) for c, why in in_cells.items()
            )
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
        check = _RowCheck(instrument, number, council, cells)
        for column, why in in_cells.items():
            check.problem(why, column, cells[column])
        check.council_name(find_council, code)
        row = check.row()
        problems.extend(check.problems)
        yield row


class _RowCheck:
    """One council's row checked against the instrument: its status, interview record and
    answers, each value by its type, then routing and completeness. Every problem names the
    row, the council and the column; a column has at most one."""

    def __init__(
        self, instrument: Instrument, number: int, council: CouncilRef, cells: Cells
    ) -> None:
        self.instrument = instrument
        self.number = number
        self.council = council
        self.cells = cells
        self.problems: list[ImportProblem] = []
        self.refused: set[str] = set()  # columns with a problem already, or too long to read

    def cell(self, column: str) -> str:
        return "" if column in self.refused else self.cells[column]

    def problem(self, reason: str, column: str, value: str | None = None) -> None:
        if column not in self.refused:
            self.problems.append(
                ImportProblem(reason, self.number, self.council.name, column, value)
            )
            self.refused.add(column)

    def council_name(self, find_council: FindCouncil, code: str) -> None:
        """A name that is another council's means code and name were sorted apart; a name
        with a control character is refused, as the lookup would quietly drop it."""
        name = self.cells["council_name"].strip()
        if CONTROL.search(name):
            self.problem(
                "the council name contains a control character (such as a NUL byte)",
                "council_name",
                name,
            )
            return
        named = find_council(name) if 0 < len(name) <= MAX_COUNCIL_TEXT else None
        if named is not None and named.id != self.council.id:
            self.problem(
                f"the council code {code} is {self.council.name}'s, but the name is "
                f"{named.name}'s; has one column been sorted on its own?",
                "council_name",
                name,
            )

    def row(self) -> CheckedRow:
        self._refuse_runaway_cells()
        status = self.cell("status").strip()
        if status not in InterviewStatus.codes():
            self.problem(
                f"unknown status; use one of {', '.join(InterviewStatus.codes())}", "status", status
            )
        row = CheckedRow(self.number, self.council, status, self._details(status))
        values, invalid = self._values()
        row.values = values
        if status in InterviewStatus.codes() and status not in ANSWERABLE_STATUSES:
            answered = [v.id for v in self.instrument.questions if self.cells[v.id].strip()]
            if answered:
                first = answered[0]
                more = " …" if len(answered) > 5 else ""
                self.problem(
                    f"a council whose status is {status} cannot have answers; "
                    f"found answers in {', '.join(answered[:5])}{more}",
                    first,
                    self.cells[first],
                )
            return row
        for v in self.instrument.questions:
            self._routing(v, status, values, invalid)
        row.values = {k: (None if val == NOT_APPLICABLE else val) for k, val in values.items()}
        return row

    def _refuse_runaway_cells(self) -> None:
        """A cell longer than any answer is refused by its length alone, before it is read."""
        if max(map(len, self.cells.cells), default=0) <= MAX_TEXT_LENGTH:
            return  # as nearly every row: one look at them all
        for column in self.cells.position:
            text = self.cells[column]
            if len(text) > MAX_TEXT_LENGTH:
                self.problem(
                    f"is {len(text):,} characters long; the limit is {MAX_TEXT_LENGTH:,}",
                    column,
                    text,
                )

    def _details(self, status: str) -> dict[str, object]:
        reason = self.cell("nonresponse_reason")
        if status == InterviewStatus.DECLINED and not reason.strip():
            self.problem(
                "a declined council needs the reason it gave", "nonresponse_reason", reason
            )
        elif status != InterviewStatus.DECLINED and reason.strip():
            self.problem(
                "a reason for non-response is only for declined councils",
                "nonresponse_reason",
                reason,
            )
        else:
            reason = self._text("nonresponse_reason", "the reason ")
        role = self.cell("respondent_role").strip()
        roles = [c.code for c in self.instrument.choices("respondent_role")]
        if role and role not in roles:
            self.problem(
                f"unknown respondent role; use one of {', '.join(roles)}", "respondent_role", role
            )
        elif not role and status == InterviewStatus.COMPLETED:
            self.problem("a completed interview needs the respondent's role", "respondent_role", "")
        return {
            "nonresponse_reason": reason.strip() or None
            if status == InterviewStatus.DECLINED
            else None,
            "respondent_role": role if role in roles else None,
            "interview_date": self._interview_date(status),
            "interviewer": self._text("interviewer", "the interviewer's name ").strip() or None,
        }

    def _interview_date(self, status: str) -> dt.date | None:
        typed = self.cell("interview_date").strip()
        if not typed:
            if status == InterviewStatus.COMPLETED:
                self.problem("a completed interview needs its interview date", "interview_date", "")
            return None
        try:
            interview_date = parse_date(typed)
        except ValueProblem as exc:
            self.problem(str(exc), "interview_date", typed)
            return None
        if interview_date > dt.date.today():
            self.problem("the interview date is in the future", "interview_date", typed)
        return interview_date

    def _text(self, column: str, subject: str) -> str:
        """Free text of the interview record, checked as answers are; blank when refused."""
        text = self.cell(column)
        try:
            return check_text(text)
        except ValueProblem as exc:
            self.problem(f"{subject}{exc}", column, text)
            return ""

    def _values(self) -> tuple[dict[str, str | None], set[str]]:
        values: dict[str, str | None] = {}
        refused = self.refused  # a column refused already (too long): its value is not read
        invalid = {v.id for v in self.instrument.questions if v.id in refused} if refused else set()
        for v in self.instrument.questions:
            if v.id in invalid:
                continue
            raw = self.cells[v.id]
            try:
                values[v.id] = normalise(self.instrument, v, raw)
            except ValueProblem as exc:
                self.problem(str(exc), v.id, raw)
                invalid.add(v.id)
        return values, invalid

    def _routing(
        self, v: Variable, status: str, values: dict[str, str | None], invalid: set[str]
    ) -> None:
        if v.id in invalid:
            return
        condition = self.instrument.condition(v.id)
        if condition and invalid and any(c.variable in invalid for c in condition.clauses):
            return
        value = values.get(v.id)
        if condition is not None and not self.instrument.applies(v.id, values):
            if value not in (None, NOT_APPLICABLE):
                self.problem(
                    f"routing skips this question (asked only if {condition.text}); "
                    "leave it blank or write not_applicable",
                    v.id,
                    self.cells[v.id],
                )
            return
        if value == NOT_APPLICABLE:
            asked_if = f" (asked if {condition.text})" if condition else ""
            self.problem(f"not_applicable, but the question applies{asked_if}", v.id, value)
        elif value is None and v.is_closed and status == InterviewStatus.COMPLETED:
            self.problem(
                "blank, but a completed interview records every question that applies "
                "(no_answer or dont_know where the respondent gave none)",
                v.id,
                "",
            )
