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
import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal, cast

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from flatfile.cells import protect, unprotect
from instrument.errors import SurveyError

if TYPE_CHECKING:
    from _typeshed import SizedBuffer, StrPath

FlatFileFormat = Literal["csv", "xlsx"]
# A whole wave of 32 councils with every one of its 35 free-text answers at the 20,000-character
# limit is 22 MB of text; real exports are under 1 MB. 32 MiB holds the first with room to
# spare and keeps the worst a hostile file can cost (a row of 32 million empty cells) under
# 500 MB.
MAX_FILE_BYTES = 32 * 1024 * 1024
# Unpacked, a workbook's XML is about twice its text; no valid part needs more than this.
# zipfile reads no further than a part's stated size, so the check cannot be lied past.
MAX_PART_BYTES = 2 * MAX_FILE_BYTES
# Blank rows don't count as rows, but reading millions of them still costs time (a workbook's
# row takes openpyxl about 20 µs): a file may run to 20 rows for each row with data it is
# allowed (20,000 for a wave's 1,000), blank or not.
BLANK_ROWS_PER_ROW = 20
MAX_COLUMN_NAME = 100  # no column the survey uses has a longer name
SHOWN = 30  # characters of the file's own text repeated in a message
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
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
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


class UnreadableFile(SurveyError, ValueError):
    """The file as a whole cannot be read as a table; the message says why and what to do.

    `where.row` and `where.column` say where, when the trouble is in one place (an odd
    byte, a quote).
    """

    code = "file.unreadable"

    def __init__(self, reason: str, *, row: int | None = None, column: str | None = None):
        super().__init__(reason, row=row, column=column)


def write_table(header: list[str], rows: list[list[str]], fmt: FlatFileFormat) -> bytes:
    return _write_xlsx(header, rows) if fmt == "xlsx" else _write_csv(header, rows)


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
        table = _read_xlsx(data, max_rows, max_columns)
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


def _refuse_wide(row: int, column: int, max_columns: int, value: str) -> UnreadableFile:
    return UnreadableFile(
        f"there is a value ({shown(value)}) in column {get_column_letter(column)}, but the "
        f"survey's files have at most {max_columns} columns; delete the columns after "
        f"{get_column_letter(max_columns)}",
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
                raise _refuse_wide(len(taken) + 1, column, max_columns, beyond)
            record = record[:max_columns]
        if not any(c.strip() for c in record):
            taken.append(blank if taken else record)
            if len(taken) > max_rows * BLANK_ROWS_PER_ROW:
                raise _mostly_blank(len(taken), with_data)
            continue
        if taken:
            with_data += 1
            if with_data > max_rows:
                return taken, True
        taken.append(record)
    return taken, False


def _mostly_blank(rows: int, with_data: int) -> UnreadableFile:
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


def _write_xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    """Every cell is written as a text cell, so no value can ever be taken for a formula."""
    workbook = Workbook()
    sheet = workbook.active
    if not isinstance(sheet, Worksheet):  # a new workbook starts with one worksheet, active
        raise TypeError("openpyxl's new workbook has no worksheet")
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

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: SizedBuffer | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, _FIXED_TIME.timetuple()[:6])
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(
        self,
        filename: StrPath,
        arcname: StrPath | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        with open(filename, "rb") as part:  # a sheet openpyxl wrote to a temporary file
            self.writestr(str(arcname or filename), part.read())


def _read_xlsx(data: bytes, max_rows: int, max_columns: int) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                _refuse_oversized_parts(archive, max_rows, max_columns)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error):
        raise UnreadableFile(_damaged_zip(data)) from None
    if "[Content_Types].xml" not in names:
        raise UnreadableFile(
            "the file is a zip archive, not an Excel workbook; "
            "open the workbook in Excel and save it as 'Excel Workbook (*.xlsx)'"
        )
    grid: list[list[str]] = []
    blank: list[str] = []
    cell_problems: dict[tuple[int, int], str] = {}
    with_data = 0
    for r, row in enumerate(_sheet_rows(data, max_columns)):
        texts = [_xlsx_text(cell.value, cell.number_format) if cell else "" for cell in row]
        has_data = any(t.strip() for t in texts)
        if grid and has_data:
            with_data += 1
            if with_data > max_rows:
                return _xlsx_table(grid, cell_problems, more_rows=True)
        grid.append(texts if has_data or not grid else blank)
        if len(grid) > max_rows * BLANK_ROWS_PER_ROW:
            raise _mostly_blank(len(grid), with_data)
        for c, cell in enumerate(row):
            if cell is not None and cell.data_type == "f":
                cell_problems[(r - 1, c)] = _formula_problem(cell)
            elif cell is not None and cell.data_type == "e":
                cell_problems[(r - 1, c)] = (
                    f"the cell shows the spreadsheet error {str(cell.value)[:SHOWN]}; "
                    "type the value instead"
                )
    return _xlsx_table(grid, cell_problems, more_rows=False)


def _formula_problem(cell: ReadOnlyCell) -> str:
    """An array or data-table formula is an object, not text: say what it is in words."""
    where = f"{get_column_letter(cell.column)}{cell.row}"
    if isinstance(cell.value, ArrayFormula):
        return f"the cell holds an array formula in {where}; paste values only"
    if isinstance(cell.value, DataTableFormula):
        return f"the cell holds a data table formula in {where}; paste values only"
    return _XLSX_FORMULA


def _refuse_oversized_parts(archive: zipfile.ZipFile, max_rows: int, max_columns: int) -> None:
    """Before openpyxl unpacks anything: no part bigger than a valid file needs, and no more
    shared strings than a valid sheet has cells (openpyxl would hold every one of them)."""
    for info in archive.infolist():
        if info.file_size > MAX_PART_BYTES:
            raise UnreadableFile(
                f"the workbook's part {shown(info.filename)} unpacks to "
                f"{info.file_size / 2**20:,.0f} MB, more than a whole wave with every answer "
                f"at its longest needs ({MAX_PART_BYTES // 2**20} MB); check that this is "
                "the right file"
            )
    most = (max_rows + 1) * max_columns
    for info in archive.infolist():
        if info.filename.lower().endswith("sharedstrings.xml"):
            count = _count_shared_strings(archive, info, most)
            if count > most:
                raise UnreadableFile(
                    f"the workbook holds more than {most:,} different texts, more than "
                    f"{max_rows:,} rows of {max_columns} columns can show; check that this "
                    "is the right file"
                )


def _count_shared_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo, most: int) -> int:
    """Counted in the bytes a megabyte at a time, stopping once past `most`."""
    count, tail = 0, b""
    with archive.open(info) as part:
        while chunk := part.read(1_048_576):
            text = tail + chunk
            count += len(_SHARED_STRING.findall(text))
            # a tag cut at the chunk's end is counted with the next chunk, not twice
            cut = text.rfind(b"<", max(0, len(text) - 64))
            tail = text[cut:] if cut >= 0 and not _SHARED_STRING.match(text, cut) else b""
            if tail:
                count -= len(_SHARED_STRING.findall(tail))
            if count > most:
                break
    return count


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


def _sheet_rows(data: bytes, max_columns: int) -> Iterator[list[ReadOnlyCell | None]]:
    """The first sheet's rows, as far as the file really goes: its stated size is ignored (a
    damaged or hostile one can claim a million rows, or only two). Only the cells the file
    holds are made, and a value beyond `max_columns` is refused as soon as it is read, so a
    row reaching column XFD never becomes 16,384 cells. A damaged archive fails in openpyxl,
    zipfile, zlib or the XML parser, each in its own way; to the auditor they are one
    problem."""
    try:
        reader, sheet, target = _first_sheet(data)
    except UnreadableFile:
        raise
    except Exception:
        raise UnreadableFile(DAMAGED_WORKBOOK) from None
    try:
        if sheet.state != "visible":
            raise UnreadableFile(
                f"the workbook's first sheet, {shown(sheet.name)}, is hidden; only the first "
                "sheet is read, so unhide it, or move the sheet to import to the front"
            )
        rows = _parsed_rows(reader, target)
        styles = SimpleNamespace(parent=reader.wb)  # what a cell needs to find its format
        number = 0
        while True:
            try:
                parsed = next(rows, None)
            except UnreadableFile:
                raise
            except Exception:
                raise UnreadableFile(DAMAGED_WORKBOOK) from None
            if parsed is None:
                return
            index, cells = parsed
            while number + 1 < index:  # rows the file leaves out are blank
                number += 1
                yield []
            number = max(number + 1, index)
            yield _row_cells(styles, number, cells, max_columns)
    finally:
        reader.archive.close()


def _first_sheet(data: bytes) -> tuple[ExcelReader, Any, str]:
    """openpyxl's reading of a workbook, all but its sheets: opening a read-only sheet scans
    the whole of a sheet that does not state its size, which is what a hostile file omits."""
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=False)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    reader.read_properties()
    reader.read_custom()
    reader.read_theme()
    apply_stylesheet(reader.archive, reader.wb)
    for sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
            return reader, sheet, rel.target
    reader.archive.close()
    raise UnreadableFile("the workbook has no sheet of cells")


def _parsed_rows(reader: ExcelReader, target: str) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """openpyxl's own sheet parser, as its read-only sheet uses it, but without padding each
    row out to the widest row of the sheet."""
    with reader.archive.open(target) as source:
        parser = WorkSheetParser(
            source,
            reader.shared_strings,
            data_only=False,
            epoch=reader.wb.epoch,
            # the workbook's private format sets, as its read-only sheet passes them (unstubbed)
            date_formats=vars(reader.wb)["_date_formats"],
            timedelta_formats=vars(reader.wb)["_timedelta_formats"],
        )
        yield from parser.parse()


def _row_cells(
    sheet: object,
    number: int,
    cells: list[dict[str, Any]],
    max_columns: int,
) -> list[ReadOnlyCell | None]:
    row: list[ReadOnlyCell | None] = []
    for cell in cells:
        column = cell["column"]
        if column > max_columns:
            if cell["value"] is None:
                continue  # formatting with nothing in it
            raise _refuse_wide(number, column, max_columns, str(cell["value"]))
        row.extend([None] * (column - len(row)))
        row[column - 1] = ReadOnlyCell(
            # the stub wants a sheet; the cell only reads `sheet.parent`, the workbook
            cast(ReadOnlyWorksheet, sheet),
            number,
            column,
            cell["value"],
            cell["data_type"],
            cell.get("style_id", 0),
        )
    return row


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
    if isinstance(value, ArrayFormula | DataTableFormula):
        return value.text or "" if isinstance(value, ArrayFormula) else ""
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
