"""The hostile files too big (or too binary) to commit, built when the tests run (see
expected.yaml). Each hostile one is small on disk and costly to read the naive way: that
cost is what the importer's limits are for.

    python tests/data/bad/make_corpus.py OUT_DIR     # writes them all into OUT_DIR

Their columns are the committed `header_only.csv`'s, so they follow the instrument with it.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.worksheet.formula import ArrayFormula

HERE = Path(__file__).resolve().parent
TEN_MEGABYTES = 10 * 1024 * 1024
ROWS = 100_000
XFD_ROWS = 20_000
SHARED_STRINGS = 5_000_000
HUGE_STRING = 500 * 1024 * 1024


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


def xfd_spaces_xlsx() -> bytes:
    """20,000 rows holding one space at column XFD, the last Excel has: read naively, each
    row becomes 16,384 cells (85 s and 2.9 GB for a 121 KB file)."""
    names = header()
    lines = [_xml_row(1, names)] + [
        f'<row r="{r}"><c r="XFD{r}" t="inlineStr"><is><t xml:space="preserve"> </t></is></c></row>'
        for r in range(2, XFD_ROWS + 2)
    ]
    return workbook_bytes(_sheet_xml(lines))


def many_shared_strings_xlsx(count: int = SHARED_STRINGS) -> bytes:
    """5,000,000 one-letter shared strings that no cell uses: read naively, every one of
    them is held in memory before the first cell (40 s and 680 MB for 224 KB)."""
    parts = _shared_strings(b"<si><t>a</t></si>" * 100_000 for _ in range(count // 100_000))
    return workbook_bytes(_sheet_xml([_xml_row(1, header())]), parts)


def million_shared_strings_xlsx() -> bytes:
    """1,000,000 of them: 17 MB unpacked, within the size of a part, but ten times more
    texts than a sheet the survey can fill has cells."""
    return many_shared_strings_xlsx(1_000_000)


def huge_shared_string_xlsx() -> bytes:
    """One shared string of 500 MB, squeezed into a file of about 500 KB."""
    chunk = 16 * 1024 * 1024
    blocks = [b"<si><t>"] + [b"x" * chunk] * (HUGE_STRING // chunk) + [b"</t></si>"]
    return workbook_bytes(_sheet_xml([_xml_row(1, header())]), _shared_strings(iter(blocks)))


def very_hidden_first_sheet_xlsx() -> bytes:
    """The first sheet is 'veryHidden' (only a macro can show it again); the visible one
    after it is what the auditor sees, and a naive reader imports the hidden one."""
    workbook = Workbook()
    hidden = workbook.active
    hidden.title = "old answers"
    hidden.append(header())
    hidden.sheet_state = "veryHidden"
    shown = workbook.create_sheet("interviews")
    shown.append(header())
    workbook.active = 1
    return _saved(workbook)


def array_formula_xlsx() -> bytes:
    """An array formula (Ctrl+Shift+Enter) in a free-text cell: openpyxl gives an object,
    not text, and a naive message shows `<openpyxl…ArrayFormula object at 0x…>`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header())
    sheet.append(
        row({"council_code": "S12000047", "council_name": "Fife", "status": "in_progress"})
    )
    column = header().index("q2_explain") + 1
    cell = sheet.cell(row=2, column=column)
    cell.value = ArrayFormula(cell.coordinate, "=SUM(A1:A2*B1:B2)")
    return _saved(workbook)


def blank_rows_xlsx() -> bytes:
    """The column names, then 600,000 rows holding only a space (53 MB unpacked, within a
    part's limit): none counts as a row with
    data, yet reading them all would take minutes."""
    lines = [_xml_row(1, header())] + [
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t xml:space="preserve"> </t></is></c></row>'
        for r in range(2, 600_002)
    ]
    return workbook_bytes(_sheet_xml(lines))


def blank_lines_csv() -> bytes:
    """The column names, then 15,000,000 empty lines (30 MB, just under the size limit)."""
    return (",".join(header()) + "\r\n").encode() + b"\r\n" * 15_000_000


def wide_blank_header_csv() -> bytes:
    """The column names, then 3,000 unnamed columns, over 300,000 empty lines (45 s to refuse
    when every unnamed column was looked for in every line)."""
    first = ",".join(header()) + "," * 3_000 + "\r\n"
    return (first + "\r\n" * 300_000).encode("utf-8")


def forty_megabytes_csv() -> bytes:
    """40 MB of rows, more than any wave can fill; read whole, 10 to 24 times that in memory."""
    line = ",".join(row({"council_code": "S12000047", "q2_explain": "y" * 4_000})) + "\r\n"
    return (",".join(header()) + "\r\n" + line * (40 * 1024 * 1024 // len(line))).encode()


def thirty_megabytes_of_answers_csv() -> bytes:
    """Just under the size limit: three councils with 10 MB answers, read line by line."""
    names = [("S12000047", "Fife"), ("S12000017", "Highland"), ("S12000030", "Stirling")]
    return csv_file(
        [
            row(
                {
                    "council_code": c,
                    "council_name": n,
                    "status": "in_progress",
                    "q2_explain": "z" * TEN_MEGABYTES,
                }
            )
            for c, n in names
        ]
    )


def ten_megabyte_column_name_csv() -> bytes:
    """A 10 MB column name: a naive message repeats it whole."""
    return (",".join([*header(), "n" * TEN_MEGABYTES]) + "\r\n").encode("utf-8")


def utf32_csv() -> bytes:
    """UTF-32 text with its byte-order mark: four bytes for every letter."""
    return (",".join(header()) + "\r\n").encode("utf-32")


def all_nul_csv() -> bytes:
    """4 KB of zero bytes, as a copy that failed halfway leaves."""
    return b"\x00" * 4096


def workbook_bytes(sheet: str, extra: dict[str, Iterator[bytes]] | None = None) -> bytes:
    """A workbook from its XML parts; a part given as an iterator is streamed in."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in WORKBOOK_PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, blocks in (extra or {}).items():
            with archive.open(name, "w", force_zip64=True) as part:
                for block in blocks:
                    part.write(block)
    return out.getvalue()


def _shared_strings(blocks: Iterator[bytes]) -> dict[str, Iterator[bytes]]:
    def stream() -> Iterator[bytes]:
        yield b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        yield from blocks
        yield b"</sst>"

    return {"xl/sharedStrings.xml": stream()}


def _sheet_xml(lines: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(lines)}</sheetData></worksheet>"
    )


def _saved(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
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
    "xfd_spaces.xlsx": xfd_spaces_xlsx,
    "many_shared_strings.xlsx": many_shared_strings_xlsx,
    "million_shared_strings.xlsx": million_shared_strings_xlsx,
    "huge_shared_string.xlsx": huge_shared_string_xlsx,
    "very_hidden_first_sheet.xlsx": very_hidden_first_sheet_xlsx,
    "array_formula.xlsx": array_formula_xlsx,
    "blank_rows.xlsx": blank_rows_xlsx,
    "blank_lines.csv": blank_lines_csv,
    "wide_blank_header.csv": wide_blank_header_csv,
    "forty_megabytes.csv": forty_megabytes_csv,
    "thirty_megabytes_of_answers.csv": thirty_megabytes_of_answers_csv,
    "ten_megabyte_column_name.csv": ten_megabyte_column_name_csv,
    "utf32.csv": utf32_csv,
    "all_nul.csv": all_nul_csv,
}


def make(name: str, folder: Path) -> Path:
    """Write one generated file into `folder` and return its path."""
    path = folder / name
    path.write_bytes(GENERATED[name]())
    return path


if __name__ == "__main__":
    for generated in GENERATED:
        print(make(generated, Path(sys.argv[1])))
