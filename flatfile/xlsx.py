"""Excel workbooks for `flatfile.table`: written reproducibly, read without trusting them.
Apart so that openpyxl is loaded only when a workbook is read or written."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from flatfile.table import (
    MAX_FILE_BYTES,
    SHOWN,
    Record,
    UnreadableFile,
    column_letter,
    refuse_wide,
    shown,
)

if TYPE_CHECKING:
    from _typeshed import SizedBuffer, StrPath

# Unpacked, a workbook's XML is about twice its text; no valid part needs more than this.
# zipfile reads no further than a part's stated size, so the check cannot be lied past.
MAX_PART_BYTES = 2 * MAX_FILE_BYTES
SHEET_TITLE = "interviews"
DAMAGED_WORKBOOK = (
    "the workbook is damaged and cannot be read; open it in Excel, which may offer to repair "
    "it, and save it again"
)
_ZIP_END = b"PK\x05\x06"  # the end of a zip's directory: missing when the file was cut short
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
# XML turns a carriage return into a line feed, so OOXML writes it as _x000D_ (and a literal
# "_xHHHH_" with its underscore escaped as _x005F_); Excel reads and writes text the same way.
# U+FFFE and U+FFFF, which XML cannot hold at all, are written the same way.
_XLSX_ESCAPE = re.compile(r"[\r\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_XLSX_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_XLSX_FORMULA = "the cell holds a spreadsheet formula; paste values only"


def write_xlsx(header: list[str], rows: list[list[str]]) -> bytes:
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


def xlsx_records(data: bytes, max_rows: int, max_columns: int) -> Iterator[Record]:
    """The first sheet's rows as text, with why a cell's text is not what was typed (a
    formula, a spreadsheet error); the first row without its trailing blank cells. The
    archive is checked before openpyxl unpacks anything (`_refuse_oversized_parts`)."""
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
    first = True
    for row in _sheet_rows(data, max_columns):
        texts = [_xlsx_text(cell.value, cell.number_format) if cell else "" for cell in row]
        problems: dict[int, str] = {}
        for c, cell in enumerate(row):
            if cell is not None and cell.data_type == "f":
                problems[c] = _formula_problem(cell)
            elif cell is not None and cell.data_type == "e":
                problems[c] = (
                    f"the cell shows the spreadsheet error {str(cell.value)[:SHOWN]}; "
                    "type the value instead"
                )
        if first:
            while texts and not texts[-1].strip():
                texts.pop()
            first = False
        yield texts, problems


def _formula_problem(cell: ReadOnlyCell) -> str:
    """An array or data-table formula is an object, not text: say what it is in words."""
    where = f"{column_letter(cell.column)}{cell.row}"
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
            raise refuse_wide(number, column, max_columns, str(cell["value"]))
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
