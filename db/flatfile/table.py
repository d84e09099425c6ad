"""Reading and writing a grid of text cells as CSV (UTF-8, BOM optional) or XLSX.

No database here: bytes in, rows of strings out, with file-level problems in words.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import TYPE_STRING

from db.flatfile.cells import protect, unprotect

FlatFileFormat = Literal["csv", "xlsx"]
CSV_FIELD_LIMIT = 1_000_000
SHEET_TITLE = "interviews"
# XML turns a carriage return into a line feed, so OOXML writes it as _x000D_ (and a literal
# "_xHHHH_" with its underscore escaped as _x005F_); Excel reads and writes text the same way.
_XLSX_ESCAPE = re.compile(r"\r|_(?=x[0-9A-Fa-f]{4}_)")
_XLSX_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]  # data rows only; row i is spreadsheet row i + 2
    formulas: frozenset[tuple[int, int]] = frozenset()  # (data row, column) holding a formula


class UnreadableFile(ValueError):
    """The file as a whole cannot be read as a table; the message says why and what to do."""


def guess_format(filename: str, data: bytes) -> FlatFileFormat:
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return "xlsx"
    return "csv"


def write_table(header: list[str], rows: list[list[str]], fmt: FlatFileFormat) -> bytes:
    return _write_xlsx(header, rows) if fmt == "xlsx" else _write_csv(header, rows)


def read_table(data: bytes, fmt: FlatFileFormat) -> Table:
    if not data.strip():
        raise UnreadableFile("the file is empty")
    table = _read_xlsx(data) if fmt == "xlsx" else _read_csv(data)
    if not any(cell.strip() for cell in table.header):
        raise UnreadableFile("the first row is empty: it must hold the column names")
    return table


def _write_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([protect(c) for c in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def _read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02X} at position {exc.start}); "
            "in Excel choose Save As › 'CSV UTF-8 (Comma delimited)'"
        ) from None
    first_line = text.split("\n", 1)[0]
    if first_line.count(";") > first_line.count(",") and first_line.count(";") > 1:
        raise UnreadableFile(
            "the columns are separated by semicolons (Excel's regional CSV); "
            "save as 'CSV UTF-8 (Comma delimited)' so columns are separated by commas"
        )
    csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise UnreadableFile(f"the CSV cannot be read: {exc}") from None
    while records and not any(c.strip() for c in records[-1]):
        records.pop()
    if not records:
        raise UnreadableFile("the file is empty")
    header = [c.strip() for c in records[0]]
    return Table(header, [[unprotect(c) for c in r] for r in records[1:]])


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
    fixed = dt.datetime(2000, 1, 1)
    workbook.properties.created = workbook.properties.modified = fixed
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _read_xlsx(data: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(f"the file is not a readable XLSX workbook ({exc})") from None
    sheet = workbook.worksheets[0]
    grid: list[list[str]] = []
    formulas: set[tuple[int, int]] = set()
    for r, row in enumerate(sheet.iter_rows()):
        grid.append([_xlsx_text(cell.value, getattr(cell, "number_format", "")) for cell in row])
        formulas.update((r - 1, c) for c, cell in enumerate(row) if cell.data_type == "f")
    workbook.close()
    while grid and not any(c.strip() for c in grid[-1]):
        grid.pop()
    if not grid:
        raise UnreadableFile("the first sheet is empty")
    width = max(len(r) for r in grid)
    grid = [r + [""] * (width - len(r)) for r in grid]
    header = [c.strip() for c in grid[0]]
    while header and header[-1] == "":
        header.pop()
    return Table(header, grid[1:], frozenset(formulas))


def _xlsx_text(value: object, number_format: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _XLSX_ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in number_format:
        value = round(value * 100, 9)  # Excel stores 30% as 0.3
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
