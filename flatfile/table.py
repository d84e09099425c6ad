"""Reading and writing a grid of text cells as CSV (UTF-8, BOM optional) or XLSX.

No database here: bytes in, rows of strings out, with file-level problems in words. Files come
from anywhere, so nothing in them is trusted: the format is taken from the bytes before the
name, at most `max_rows` rows with data are read, and whatever a damaged file does to the
parsers comes back as an `UnreadableFile` that says what the auditor can do about it.

What a file may cost is bounded by what a valid file can need, and checked while reading,
before the memory is spent: its size (`MAX_FILE_BYTES`), the unpacked size of each part of a
workbook (`MAX_PART_BYTES`), its shared strings, its columns (`max_columns`) and its rows. A
CSV is read line by line and a sheet row by row, so neither is ever held whole as text.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Literal

from flatfile.cells import protect, unprotect
from instrument.errors import SurveyError

if TYPE_CHECKING:
    pass

FlatFileFormat = Literal["csv", "xlsx"]
# A whole wave of 32 councils with every one of its 35 free-text answers at the 20,000-character
# limit is 22 MB of text; real exports are under 1 MB. 32 MiB holds the first with room to
# spare and keeps the worst a hostile file can cost (a row of 32 million empty cells) under
# 500 MB.
MAX_FILE_BYTES = 32 * 1024 * 1024
# Blank rows don't count as rows, but reading millions of them still costs time (a workbook's
# row takes openpyxl about 20 µs): a file may run to 20 rows for each row with data it is
# allowed (20,000 for a wave's 1,000), blank or not.
BLANK_ROWS_PER_ROW = 20
MAX_COLUMN_NAME = 100  # no column the survey uses has a longer name
SHOWN = 30  # characters of the file's own text repeated in a message
# A cell no valid file holds (a wave's longest answer is 20,000 characters; the importer
# refuses a long cell by row and column): what a quote never closed runs into first.
CSV_FIELD_LIMIT = MAX_FILE_BYTES
MAX_LINE_BYTES = 2 * MAX_FILE_BYTES  # a line of the file: a whole row at its longest is 8 MB
SAVE_AS_CSV = "in Excel choose Save As › 'CSV UTF-8 (Comma delimited)'"
SEPARATORS = {
    ";": "semicolons (Excel's regional CSV)",
    "\t": "tabs (a tab-separated text file)",
    "|": "vertical bars",
}
_ZIP = b"PK\x03\x04"
_OLD_EXCEL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]  # data rows only; row i is spreadsheet row i + 2
    # (data row, column) -> why that cell's text is not what was typed (a formula, an error)
    cell_problems: Mapping[tuple[int, int], str] = field(default_factory=dict)
    more_rows: bool = False  # the file has more than `max_rows` rows with data; not all read


class UnreadableFile(SurveyError, ValueError):
    """The file as a whole cannot be read as a table; the message says why and what to do.

    `where.row` and `where.column` say where, when the trouble is in one place (an odd
    byte, a quote).
    """

    code = "file.unreadable"

    def __init__(self, reason: str, *, row: int | None = None, column: str | None = None):
        super().__init__(reason, row=row, column=column)


def write_table(header: list[str], rows: list[list[str]], fmt: FlatFileFormat) -> bytes:
    if fmt == "xlsx":
        from flatfile.xlsx import write_xlsx  # openpyxl: loaded only for a workbook

        return write_xlsx(header, rows)
    return _write_csv(header, rows)


def read_table(data: bytes, filename: str = "", *, max_rows: int, max_columns: int) -> Table:
    """The file's cells, CSV or XLSX by its first bytes; at most `max_rows` rows with data,
    and no cell beyond column `max_columns` (the file is refused as soon as one appears)."""
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(
            f"the file is larger than {MAX_FILE_BYTES // 2**20} MB, more than a whole wave with "
            "every answer at its longest needs; check that this is the right file"
        )
    stream = open_table(io.BytesIO(data), filename, max_rows=max_rows, max_columns=max_columns)
    rows: list[list[str]] = []
    problems: dict[tuple[int, int], str] = {}
    with_data, blank = 0, list[str]()  # blank rows share one empty list
    for cells, why in stream.rows:
        if any(c.strip() for c in cells):
            with_data += 1
            if with_data > max_rows:
                return Table(stream.header, rows, problems, more_rows=True)
        else:
            cells = blank
        problems |= {(len(rows), c): reason for c, reason in why.items()}
        rows.append(cells)
    while rows and rows[-1] is blank:
        rows.pop()
    return Table(stream.header, rows, problems)


# One row of a file as read: its cells as text, and why a cell's text is not what was typed
# (a formula, a spreadsheet error), by column index.
Record = tuple[list[str], dict[int, str]]
_HEAD = 1_048_576  # what is read first, to tell the format and refuse the wrong kind of text
_NO_PROBLEMS: dict[int, str] = {}


@dataclass
class TableStream:
    """A file's first row, and its rows after it, read as they are asked for: the import's
    way, so that no file is held whole however many rows it has. Rows are checked as they
    are read (`UnreadableFile` may come from the iterator); blank rows come too, and a file
    running on with no more than `BLANK_ROWS_PER_ROW` blank rows per row allowed is refused."""

    header: list[str]
    rows: Iterator[Record]
    size: int | None = None  # the file's bytes, when known: for a progress bar
    read: Callable[[], int] = lambda: 0  # the bytes read so far


def open_table(
    source: BinaryIO, filename: str = "", *, max_rows: int, max_columns: int
) -> TableStream:
    """Start reading a CSV or XLSX file (by its first bytes) from a binary file: the first
    row now, the rest as asked for. A workbook is read whole (at most `MAX_FILE_BYTES`; a
    wave too big for that goes as CSV, which has no limit but the disk)."""
    head = source.read(_HEAD)
    if not head.strip():
        raise UnreadableFile("the file is empty")
    if not head.strip(b"\x00"):
        raise UnreadableFile(
            "the file holds nothing but zero bytes, as a copy that failed leaves; "
            "copy or save it again"
        )
    if head.startswith(_OLD_EXCEL):
        raise UnreadableFile(
            "the file is an Excel 97-2003 workbook (.xls), which is not read here; "
            "in Excel choose Save As › 'Excel Workbook (*.xlsx)'"
        )
    if head.startswith(_ZIP):
        data = head + source.read(MAX_FILE_BYTES + 1 - len(head))
        if len(data) > MAX_FILE_BYTES:
            raise UnreadableFile(
                f"the workbook is larger than {MAX_FILE_BYTES // 2**20} MB; a wave this large "
                f"is imported as CSV, which has no size limit: {SAVE_AS_CSV}"
            )
        from flatfile.xlsx import xlsx_records  # openpyxl: loaded only for a workbook

        records: Iterator[Record] = xlsx_records(data, max_rows, max_columns)
        empty = "the first sheet is empty"
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile(_not_a_workbook(head, filename))
    else:
        _refuse_utf16(head)
        _refuse_other_separator(head)
        _refuse_not_utf8(head, max_columns)
        reading = _CsvReading(source, head, max_columns)
        records, empty = iter(reading), "the file is empty"
    header_cells, _ = next(records, ([], _NO_PROBLEMS))
    header = [c.strip() for c in header_cells]
    if not any(header):
        ahead = _blank_rows(records, max_rows)
        if not any(any(c.strip() for c in cells) for cells, _ in ahead):
            raise UnreadableFile(empty)
        raise UnreadableFile("the first row is empty: it must hold the column names")
    _refuse_odd_names(header)
    stream = TableStream(header, _blank_rows(records, max_rows))
    if not head.startswith(_ZIP):
        stream.size, stream.read = _size(source), reading.tell
    return stream


def _blank_rows(records: Iterator[Record], max_rows: int) -> Iterator[Record]:
    """The rows, refusing a file that runs on blank: more than `BLANK_ROWS_PER_ROW` rows for
    each row with data allowed (the file is then far longer than any wave it could be)."""
    with_data = blank = 0
    for cells, why in records:
        if any(c.strip() for c in cells):
            with_data += 1
        else:
            blank += 1
            if 1 + with_data + blank > max_rows * BLANK_ROWS_PER_ROW:  # the first row too
                raise mostly_blank(1 + with_data + blank, with_data)
        yield cells, why


def _size(source: BinaryIO) -> int | None:
    try:
        return os.fstat(source.fileno()).st_size
    except (OSError, AttributeError, io.UnsupportedOperation):
        return len(source.getbuffer()) if isinstance(source, io.BytesIO) else None


def shown(text: str) -> str:
    """A short excerpt of the file's own text, quoted: a message never repeats megabytes."""
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "…")


def _refuse_odd_names(header: list[str]) -> None:
    """A column name no spreadsheet person types (a control character, a paragraph) is
    refused here, so no later message has to repeat it."""
    odd = []
    for number, name in enumerate(header, start=1):
        if _CONTROL.search(name):
            odd.append(f"column {number}'s name {shown(name)} contains a control character")
        elif len(name) > MAX_COLUMN_NAME:
            odd.append(f"column {number}'s name {shown(name)} is {len(name):,} characters long")
    if odd:
        more = f" and {len(odd) - 3} more" if len(odd) > 3 else ""
        raise UnreadableFile(
            "; ".join(odd[:3]) + more + "; the first row must hold the survey's column names",
            row=1,
        )


def refuse_wide(row: int, column: int, max_columns: int, value: str) -> UnreadableFile:
    return UnreadableFile(
        f"there is a value ({shown(value)}) in column {column_letter(column)}, but the "
        f"survey's files have at most {max_columns} columns; delete the columns after "
        f"{column_letter(max_columns)}",
        row=row,
    )


def _not_a_workbook(data: bytes, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1]
    if _looks_like_text(data):
        return (
            f"the file is named .{suffix} but is not an Excel workbook: it is plain text, "
            "like a CSV file; give it a .csv name, or open it in Excel and save it as "
            "'Excel Workbook (*.xlsx)'"
        )
    return (
        f"the file is named .{suffix} but is not an Excel workbook; "
        "open it in Excel and save it as 'Excel Workbook (*.xlsx)'"
    )


def _looks_like_text(data: bytes) -> bool:
    start = data[:4096]
    return not any(b < 0x09 or 0x0D < b < 0x20 for b in start)


# --- CSV --------------------------------------------------------------------------------------


def _write_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([protect(c) for c in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def _refuse_other_separator(data: bytes) -> None:
    """Excel's regional CSV (semicolons) or a tab-separated file: say so before anything else."""
    start = data[:_HEAD]  # a header longer than this is refused for its columns anyway
    first_line = re.split(rb"\r|\n", start, maxsplit=1)[0].decode("utf-8", errors="replace")
    commas = first_line.count(",")
    for separator, described in SEPARATORS.items():
        n = first_line.count(separator)
        if n > 1 and n > commas:
            raise UnreadableFile(
                f"the columns are separated by {described}; "
                "save as 'CSV UTF-8 (Comma delimited)' so columns are separated by commas"
            )


def _refuse_utf16(data: bytes) -> None:
    """UTF-32 and UTF-16 text both have zero bytes between the letters; say which it is."""
    start = data[:400]
    if data.startswith(_UTF32_BOMS) or (len(start) >= 8 and start.count(0) * 4 >= len(start) * 3):
        raise UnreadableFile(
            "the file is UTF-32 text (four bytes for every letter), not UTF-8; open it in a "
            "text editor or Excel and save it as 'CSV UTF-8 (Comma delimited)'"
        )
    if data.startswith(_UTF16_BOMS) or start.count(0) > 40:
        raise UnreadableFile(
            "the file is UTF-16 text (what Excel saves as 'Unicode Text'), not UTF-8; "
            + SAVE_AS_CSV
        )


def _refuse_not_utf8(head: bytes, max_columns: int) -> None:
    """A byte that is not UTF-8 in the first megabyte is refused before the columns are
    checked (a file saved in the wrong encoding is the first thing to put right); one
    further on, when the reading reaches it. Either way the message names its cell."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.end < len(head) or len(head) < _HEAD:  # not a character cut by the megabyte
            for _ in _CsvReading(io.BytesIO(b""), head[: exc.end], max_columns):
                pass


class _CsvReading:
    """A CSV file's records, a line at a time from a binary file, so the decoded text exists
    one record at a time. Strict reading finds a quote that is never closed; any other slip
    of quoting is read as spreadsheets read it (the file is read again from its start, not
    strictly, passing over the records already given). A byte that is not UTF-8, a quote
    never closed and a runaway line are each refused naming their row and column."""

    def __init__(self, source: BinaryIO, head: bytes, max_columns: int) -> None:
        self.source, self.head, self.max_columns = source, head, max_columns
        self.given = 0  # records given so far
        self.names: list[str] = []  # the first record's, to name a column in a message
        self.pending: list[str] = []  # the text read since the last record ended
        self.offset = 0  # bytes read, for a progress bar

    def tell(self) -> int:
        return self.offset

    def __iter__(self) -> Iterator[Record]:
        csv.field_size_limit(CSV_FIELD_LIMIT)
        try:
            yield from self._records(strict=True, skip=0)
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise self._runaway(UNCLOSED_QUOTE) from None
            if "field limit" in str(exc):
                raise self._runaway(RUNAWAY_CELL) from None
            self.source.seek(0)
            self.head, self.offset = b"", 0
            yield from self._records(strict=False, skip=self.given)

    def _records(self, *, strict: bool, skip: int) -> Iterator[Record]:
        passed = 0
        for record in csv.reader(self._lines(), strict=strict):
            self.pending = []
            if passed < skip:
                passed += 1
                continue
            self.given += 1
            if self.given == 1:
                self.names = [c.strip() for c in record]
            yield self._within(record), _NO_PROBLEMS

    def _lines(self) -> Iterator[str]:
        for number, line in enumerate(self._raw_lines()):
            self.offset += len(line)
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise self._not_utf8(line, exc.start) from None
            if number == 0:
                text = text.removeprefix("\ufeff")
            self.pending.append(text)
            yield text

    def _raw_lines(self) -> Iterator[bytes]:
        """The file's lines as bytes, each ending at a line feed (a lone carriage return is
        left to the CSV reader); a line longer than any wave's row can be is refused."""
        parts: list[bytes] = []
        held = 0
        first = [self.head] if self.head else []
        for chunk in itertools.chain(first, iter(lambda: self.source.read(_HEAD), b"")):
            parts.append(chunk)
            held += len(chunk)
            if b"\n" not in chunk:
                if held > MAX_LINE_BYTES:
                    raise self._runaway(RUNAWAY_LINE)
                continue
            *lines, rest = b"".join(parts).split(b"\n")
            for line in lines:
                yield line + b"\n"
            parts, held = [rest], len(rest)
        if held:
            yield b"".join(parts)

    def _within(self, record: list[str]) -> list[str]:
        """A record no wider than the survey's files (a blank tail is cut off); a value
        beyond the last column, or a first row with too many names, is refused."""
        if len(record) <= self.max_columns:
            return [unprotect(c) for c in record] if self.given > 1 else record
        if self.given == 1:
            raise _too_many_names(record, self.max_columns)
        beyond = next((c for c in record[self.max_columns :] if c.strip()), None)
        if beyond is not None:
            column = self.max_columns + 1 + record[self.max_columns :].index(beyond)
            raise refuse_wide(self.given, column, self.max_columns, beyond)
        return [unprotect(c) for c in record[: self.max_columns]]

    def _where(self, before: str) -> tuple[int, str | None]:
        """The row and column a marker at the end of `before`, this record's text, is in."""
        records = list(csv.reader(io.StringIO(before + "\x00", newline="")))
        row = self.given + len(records)
        position = len(records[-1]) - 1 if records else 0
        names = self.names if row > 1 else []
        return row, names[position] if position < len(names) else None

    def _not_utf8(self, line: bytes, at: int) -> UnreadableFile:
        """Name the row and column of the first byte that is not UTF-8, and what it would be
        in Windows-1252 (Excel's older 'CSV (Comma delimited)')."""
        byte = line[at]
        try:
            meaning = f", '{bytes([byte]).decode('cp1252')}' in Windows-1252"
        except UnicodeDecodeError:
            meaning = ""
        before = "".join(self.pending) + line[:at].decode("utf-8", errors="replace")
        row, column = self._where(before.lstrip("\ufeff"))
        return UnreadableFile(
            f"the file is not UTF-8 text (byte 0x{byte:02X} here{meaning}); {SAVE_AS_CSV}",
            row=row,
            column=column,
        )

    def _runaway(self, why: str) -> UnreadableFile:
        """A cell that runs on (a quote opens it and never closes): the last cell of this
        record's text as spreadsheets read it, which is at most a line or a cell long."""
        records = list(csv.reader(io.StringIO("".join(self.pending), newline=""), strict=False))
        row = self.given + max(1, len(records))
        position = len(records[-1]) - 1 if records and records[-1] else 0
        names = self.names if row > 1 else []
        column = names[position] if position < len(names) else None
        return UnreadableFile(why, row=row, column=column)


UNCLOSED_QUOTE = (
    'a quote (") opens this cell and is never closed, so the rest of the file was read as one '
    "cell; close the quote or remove it"
)
RUNAWAY_CELL = (
    f'a cell runs on for more than {CSV_FIELD_LIMIT:,} characters, as when a quote (") opens '
    "it and is never closed; close the quote or remove it"
)
RUNAWAY_LINE = (
    f"a line runs on for more than {MAX_LINE_BYTES // 2**20} MB, more than any wave's row "
    "needs; check that this is the right file"
)


def mostly_blank(rows: int, with_data: int) -> UnreadableFile:
    return UnreadableFile(
        f"the file goes on for more than {rows - 1:,} rows, only {with_data:,} of them with "
        "data; delete the empty rows below the last council"
    )


def _too_many_names(header: list[str], max_columns: int) -> UnreadableFile:
    return UnreadableFile(
        f"the first row has {len(header):,} columns, but the survey's files have at most "
        f"{max_columns}; check that this is the right file",
        row=1,
    )


# --- XLSX -------------------------------------------------------------------------------------


def column_letter(number: int) -> str:
    """A spreadsheet's name for a column: 1 -> A, 27 -> AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
