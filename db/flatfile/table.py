"""Reading and writing a grid of text cells as CSV (UTF-8, BOM optional) or XLSX.

No database here: bytes in, rows of strings out, with file-level problems in words. Files come
from anywhere, so nothing in them is trusted: the format is taken from the bytes before the
name, at most `max_rows` rows with data are read, and whatever a damaged file does to the
parsers comes back as an `UnreadableFile` that says what the auditor can do about it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.writer.excel import ExcelWriter

from db.flatfile.cells import protect, unprotect

FlatFileFormat = Literal["csv", "xlsx"]
CSV_FIELD_LIMIT = 2**31 - 1  # no limit here: the importer refuses a long cell by row and column
SHEET_TITLE = "interviews"
SAVE_AS_CSV = "in Excel choose Save As › 'CSV UTF-8 (Comma delimited)'"
DAMAGED_WORKBOOK = (
    "the workbook is damaged and cannot be read; open it in Excel, which may offer to repair "
    "it, and save it again"
)
SEPARATORS = {
    ";": "semicolons (Excel's regional CSV)",
    "\t": "tabs (a tab-separated text file)",
    "|": "vertical bars",
}
_ZIP = b"PK\x03\x04"
_ZIP_END = b"PK\x05\x06"  # the end of a zip's directory: missing when the file was cut short
_OLD_EXCEL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# XML turns a carriage return into a line feed, so OOXML writes it as _x000D_ (and a literal
# "_xHHHH_" with its underscore escaped as _x005F_); Excel reads and writes text the same way.
# U+FFFE and U+FFFF, which XML cannot hold at all, are written the same way.
_XLSX_ESCAPE = re.compile(r"[\r\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_XLSX_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_XLSX_FORMULA = "the cell holds a spreadsheet formula; paste values only"


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]  # data rows only; row i is spreadsheet row i + 2
    # (data row, column) -> why that cell's text is not what was typed (a formula, an error)
    cell_problems: Mapping[tuple[int, int], str] = field(default_factory=dict)
    more_rows: bool = False  # the file has more than `max_rows` rows with data; not all read


class UnreadableFile(ValueError):
    """The file as a whole cannot be read as a table; the message says why and what to do.

    `row` and `column` say where, when the trouble is in one place (an odd byte, a quote).
    """

    def __init__(self, reason: str, *, row: int | None = None, column: str | None = None):
        super().__init__(reason)
        self.row = row
        self.column = column


def write_table(header: list[str], rows: list[list[str]], fmt: FlatFileFormat) -> bytes:
    return _write_xlsx(header, rows) if fmt == "xlsx" else _write_csv(header, rows)


def read_table(data: bytes, filename: str = "", *, max_rows: int) -> Table:
    """The file's cells, CSV or XLSX by its first bytes; at most `max_rows` rows with data."""
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if data.startswith(_OLD_EXCEL):
        raise UnreadableFile(
            "the file is an Excel 97-2003 workbook (.xls), which is not read here; "
            "in Excel choose Save As › 'Excel Workbook (*.xlsx)'"
        )
    if data.startswith(_ZIP):
        table = _read_xlsx(data, max_rows)
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile(_not_a_workbook(data, filename))
    else:
        table = _read_csv(data, max_rows)
    if not any(cell.strip() for cell in table.header):
        raise UnreadableFile("the first row is empty: it must hold the column names")
    return table


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


def _read_csv(data: bytes, max_rows: int) -> Table:
    _refuse_utf16(data)
    _refuse_other_separator(data)
    text = _utf8_text(data).lstrip("\ufeff")
    csv.field_size_limit(CSV_FIELD_LIMIT)
    records, more_rows = _csv_records(text, max_rows)
    while records and not any(c.strip() for c in records[-1]):
        records.pop()
    if not records:
        raise UnreadableFile("the file is empty")
    header = [c.strip() for c in records[0]]
    return Table(header, [[unprotect(c) for c in r] for r in records[1:]], more_rows=more_rows)


def _refuse_other_separator(data: bytes) -> None:
    """Excel's regional CSV (semicolons) or a tab-separated file: say so before anything else."""
    first_line = re.split(rb"\r|\n", data, maxsplit=1)[0].decode("utf-8", errors="replace")
    commas = first_line.count(",")
    for separator, described in SEPARATORS.items():
        n = first_line.count(separator)
        if n > 1 and n > commas:
            raise UnreadableFile(
                f"the columns are separated by {described}; "
                "save as 'CSV UTF-8 (Comma delimited)' so columns are separated by commas"
            )


def _refuse_utf16(data: bytes) -> None:
    if data.startswith(_UTF16_BOMS) or data[:200].count(0) > 20:
        raise UnreadableFile(
            "the file is UTF-16 text (what Excel saves as 'Unicode Text'), not UTF-8; "
            + SAVE_AS_CSV
        )


def _utf8_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc.start) from None


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


def _csv_records(text: str, max_rows: int) -> tuple[list[list[str]], bool]:
    """Strict reading finds a quote that is never closed; any other slip of quoting is read
    as spreadsheets read it."""
    try:
        return _take_rows(_csv_reader(text, strict=True), max_rows)
    except csv.Error as exc:
        records, more_rows = _take_rows(_csv_reader(text, strict=False), max_rows)
        if "unexpected end of data" in str(exc):
            raise _unclosed_quote(records) from None
        return records, more_rows


def _csv_reader(text: str, *, strict: bool) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), strict=strict)


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


def _take_rows(records: Iterable[list[str]], max_rows: int) -> tuple[list[list[str]], bool]:
    """The header and up to `max_rows` rows with data (blank rows don't count); True if more."""
    taken: list[list[str]] = []
    with_data = 0
    for record in records:
        if taken and any(c.strip() for c in record):
            with_data += 1
            if with_data > max_rows:
                return taken, True
        taken.append(record)
    return taken, False


# --- XLSX -------------------------------------------------------------------------------------


def _write_xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    """Every cell is written as a text cell, so no value can ever be taken for a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    for r, values in enumerate([header, *rows], start=1):
        for c, value in enumerate(values, start=1):
            if value == "":
                continue
            cell = sheet.cell(row=r, column=c)
            cell.value = _XLSX_ESCAPE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
            cell.data_type = TYPE_STRING
    workbook.properties.created = workbook.properties.modified = _FIXED_TIME
    out = io.BytesIO()
    with _ReproducibleZip(out, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()  # as Workbook.save, less its clock
    return out.getvalue()


_FIXED_TIME = dt.datetime(2000, 1, 1)


class _ReproducibleZip(zipfile.ZipFile):
    """A zip whose entries all carry one fixed time, so the same rows give the same bytes
    (openpyxl's own save stamps the workbook and every entry with the time of saving)."""

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, _FIXED_TIME.timetuple()[:6])
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        with open(filename, "rb") as part:  # a sheet openpyxl wrote to a temporary file
            self.writestr(arcname or str(filename), part.read())


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise UnreadableFile(_damaged_zip(data)) from None
    if "[Content_Types].xml" not in names:
        raise UnreadableFile(
            "the file is a zip archive, not an Excel workbook; "
            "open the workbook in Excel and save it as 'Excel Workbook (*.xlsx)'"
        )
    grid: list[list[str]] = []
    cell_problems: dict[tuple[int, int], str] = {}
    with_data = 0
    for r, row in enumerate(_sheet_rows(data)):
        texts = [_xlsx_text(cell.value, getattr(cell, "number_format", "")) for cell in row]
        if grid and any(t.strip() for t in texts):
            with_data += 1
            if with_data > max_rows:
                return _xlsx_table(grid, cell_problems, more_rows=True)
        grid.append(texts)
        for c, cell in enumerate(row):
            if cell.data_type == "f":
                cell_problems[(r - 1, c)] = _XLSX_FORMULA
            elif cell.data_type == "e":
                cell_problems[(r - 1, c)] = (
                    f"the cell shows the spreadsheet error {cell.value}; type the value instead"
                )
    return _xlsx_table(grid, cell_problems, more_rows=False)


def _xlsx_table(
    grid: list[list[str]], cell_problems: dict[tuple[int, int], str], *, more_rows: bool
) -> Table:
    while grid and not any(c.strip() for c in grid[-1]):
        grid.pop()
    if not grid:
        raise UnreadableFile("the first sheet is empty")
    header = [c.strip() for c in grid[0]]
    while header and header[-1] == "":
        header.pop()
    return Table(header, grid[1:], cell_problems, more_rows)


def _sheet_rows(data: bytes) -> Iterator[tuple]:  # type: ignore[type-arg]
    """The first sheet's rows, as far as the file really goes: its stated size is ignored (a
    damaged or hostile one can claim a million rows, or only two). A damaged archive fails in
    openpyxl, zipfile, zlib or the XML parser, each in its own way; to the auditor they are
    one problem."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise UnreadableFile(DAMAGED_WORKBOOK) from None
    try:
        if not workbook.worksheets:
            raise UnreadableFile("the workbook has no sheet of cells")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # type: ignore[union-attr]
        rows = sheet.iter_rows()
        while True:
            try:
                row = next(rows, None)
            except Exception:
                raise UnreadableFile(DAMAGED_WORKBOOK) from None
            if row is None:
                return
            yield row
    finally:
        workbook.close()


def _damaged_zip(data: bytes) -> str:
    if _ZIP_END not in data[-65_557:]:
        return (
            "the workbook is cut short: its end is missing, as when a copy or download does "
            "not finish; copy or save it again"
        )
    return DAMAGED_WORKBOOK


def _xlsx_text(value: object, number_format: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _XLSX_ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows it
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in number_format:
        value = round(value * 100, 9)  # Excel stores 30% as 0.3
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
