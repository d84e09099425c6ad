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

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

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
CSV_FIELD_LIMIT = 2**31 - 1  # no limit here: the importer refuses a long cell by row and column
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
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if not data.strip(b"\x00"):
        raise UnreadableFile(
            "the file holds nothing but zero bytes, as a copy that failed leaves; "
            "copy or save it again"
        )
    if data.startswith(_OLD_EXCEL):
        raise UnreadableFile(
            "the file is an Excel 97-2003 workbook (.xls), which is not read here; "
            "in Excel choose Save As › 'Excel Workbook (*.xlsx)'"
        )
    if data.startswith(_ZIP):
        from flatfile.xlsx import read_xlsx

        table = read_xlsx(data, max_rows, max_columns)
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile(_not_a_workbook(data, filename))
    else:
        table = _read_csv(data, max_rows, max_columns)
    if not any(cell.strip() for cell in table.header):
        raise UnreadableFile("the first row is empty: it must hold the column names")
    _refuse_odd_names(table.header)
    return table


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


def _read_csv(data: bytes, max_rows: int, max_columns: int) -> Table:
    _refuse_utf16(data)
    _refuse_other_separator(data)
    _refuse_not_utf8(data)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    records, more_rows = _csv_records(data, max_rows, max_columns)
    while records and not any(c.strip() for c in records[-1]):
        records.pop()
    if not records:
        raise UnreadableFile("the file is empty")
    header = [c.strip() for c in records[0]]
    return Table(
        header, [[unprotect(c) for c in r] if r else r for r in records[1:]], more_rows=more_rows
    )


def _refuse_other_separator(data: bytes) -> None:
    """Excel's regional CSV (semicolons) or a tab-separated file: say so before anything else."""
    start = data[:1_048_576]  # a header longer than this is refused for its columns anyway
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


def _refuse_not_utf8(data: bytes) -> None:
    """Checked a megabyte at a time, so the text is never held whole just to be checked."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunk = 1_048_576
    for start in range(0, len(data), chunk):
        try:
            decoder.decode(data[start : start + chunk], final=start + chunk >= len(data))
        except UnicodeDecodeError:
            # the decoder kept at most 3 bytes of the previous chunk; find the byte exactly
            begin = max(0, start - 4)
            try:
                data[begin : start + chunk].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _not_utf8(data, begin + exc.start) from None
            raise _not_utf8(data, start) from None


def _not_utf8(data: bytes, start: int) -> UnreadableFile:
    """Name the row and column of the first byte that is not UTF-8, and what it would be in
    Windows-1252 (Excel's older 'CSV (Comma delimited)')."""
    byte = data[start]
    try:
        meaning = f", '{bytes([byte]).decode('cp1252')}' in Windows-1252"
    except UnicodeDecodeError:
        meaning = ""
    # A marker where the byte is: the record it ends up in is the byte's row and column.
    before = data[:start].decode("utf-8", errors="replace").lstrip("\ufeff") + "\x00"
    records = list(csv.reader(io.StringIO(before, newline="")))
    row, position = len(records), len(records[-1]) - 1
    header = [c.strip() for c in records[0]] if row > 1 else []
    return UnreadableFile(
        f"the file is not UTF-8 text (byte 0x{byte:02X} here{meaning}); {SAVE_AS_CSV}",
        row=row,
        column=header[position] if position < len(header) else None,
    )


def _csv_records(data: bytes, max_rows: int, max_columns: int) -> tuple[list[list[str]], bool]:
    """Strict reading finds a quote that is never closed; any other slip of quoting is read
    as spreadsheets read it."""
    try:
        return _take_rows(_csv_reader(data, strict=True), max_rows, max_columns)
    except csv.Error as exc:
        records, more_rows = _take_rows(_csv_reader(data, strict=False), max_rows, max_columns)
        if "unexpected end of data" in str(exc):
            raise _unclosed_quote(records) from None
        return records, more_rows


def _csv_reader(data: bytes, *, strict: bool) -> Iterator[list[str]]:
    """Line by line from the bytes: the decoded text exists one line at a time."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    return csv.reader(text, strict=strict)


def _unclosed_quote(records: list[list[str]]) -> UnreadableFile:
    row, cells = len(records), records[-1]
    header = [c.strip() for c in records[0]] if row > 1 else []
    position = len(cells) - 1
    return UnreadableFile(
        'a quote (") opens this cell and is never closed, so the rest of the file was read '
        "as one cell; close the quote or remove it",
        row=row,
        column=header[position] if position < len(header) else None,
    )


def _take_rows(
    records: Iterable[list[str]], max_rows: int, max_columns: int
) -> tuple[list[list[str]], bool]:
    """The header and up to `max_rows` rows with data (blank rows don't count, and all share
    one empty list); True if more. A header wider than `max_columns` is refused before any
    row is read, and so is the first row with a value beyond it."""
    taken: list[list[str]] = []
    blank: list[str] = []
    with_data = 0
    for record in records:
        if len(record) > max_columns:
            if not taken:
                raise _too_many_names(record, max_columns)
            beyond = next((c for c in record[max_columns:] if c.strip()), None)
            if beyond is not None:
                column = max_columns + 1 + record[max_columns:].index(beyond)
                raise refuse_wide(len(taken) + 1, column, max_columns, beyond)
            record = record[:max_columns]
        if not any(c.strip() for c in record):
            taken.append(blank if taken else record)
            if len(taken) > max_rows * BLANK_ROWS_PER_ROW:
                raise mostly_blank(len(taken), with_data)
            continue
        if taken:
            with_data += 1
            if with_data > max_rows:
                return taken, True
        taken.append(record)
    return taken, False


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
