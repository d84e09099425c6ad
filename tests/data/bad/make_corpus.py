"""The hostile files too big to commit, built when the tests run (see expected.yaml).

    python tests/data/bad/make_corpus.py OUT_DIR     # writes them all into OUT_DIR

Their columns are the committed `header_only.csv`'s, so they follow the instrument with it.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
TEN_MEGABYTES = 10 * 1024 * 1024
ROWS = 100_000


def header() -> list[str]:
    text = (HERE / "header_only.csv").read_text(encoding="utf-8-sig")
    return next(csv.reader(io.StringIO(text, newline="")))


def row(values: dict[str, str]) -> list[str]:
    return [values.get(name, "") for name in header()]


def csv_file(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header())
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def ten_megabyte_cell() -> bytes:
    """An interview in progress whose q2_explain holds 10 MB of text."""
    fife = {
        "council_code": "S12000047",
        "council_name": "Fife",
        "status": "in_progress",
        "q2_explain": "x" * TEN_MEGABYTES,
    }
    return csv_file([row(fife)])


def hundred_thousand_rows_csv() -> bytes:
    """100,000 rows: a whole extract of some other system, not a wave."""
    fife = row({"council_code": "S12000047", "council_name": "Fife", "status": "not_contacted"})
    return csv_file([fife] * ROWS)


def hundred_thousand_rows_xlsx() -> bytes:
    """The same as a workbook, written directly as its XML parts (openpyxl would take minutes)."""
    names = header()
    fife = ["S12000047", "Fife", "not_contacted"]
    lines = [_xml_row(1, names)] + [_xml_row(r, fife) for r in range(2, ROWS + 2)]
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{_column_letter(len(names))}{ROWS + 1}"/>'
        f"<sheetData>{''.join(lines)}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in WORKBOOK_PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _xml_row(number: int, cells: list[str]) -> str:
    inline = "".join(f'<c t="inlineStr"><is><t>{escape(c)}</t></is></c>' for c in cells)
    return f'<row r="{number}">{inline}</row>'


_MAIN = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
WORKBOOK_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{_PACKAGE}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{_MAIN}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{_MAIN}"><sheets><sheet name="interviews" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{_MAIN}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}

GENERATED: dict[str, Callable[[], bytes]] = {
    "ten_megabyte_cell.csv": ten_megabyte_cell,
    "hundred_thousand_rows.csv": hundred_thousand_rows_csv,
    "hundred_thousand_rows.xlsx": hundred_thousand_rows_xlsx,
}


def make(name: str, folder: Path) -> Path:
    """Write one generated file into `folder` and return its path."""
    path = folder / name
    path.write_bytes(GENERATED[name]())
    return path


if __name__ == "__main__":
    for generated in GENERATED:
        print(make(generated, Path(sys.argv[1])))
