"""A plausible wave of the survey as flat-file rows, built from the instrument and its routing.

`build_wave` gives one row per council (all 32, in council name order) as the exporter writes
them: completed interviews answer every question that applies and say `not_applicable` for
the rest, in-progress ones answer the first half, declined councils give a reason and nothing
else. Values vary by council so that every routing branch is taken somewhere, and free text
is the awkward kind auditors type: commas, quotes, line breaks, "£", accents, and text that
starts like a spreadsheet formula.

Everything is derived from the YAML, so the wave stays valid when a question is added.
The files are written here without the project's own writer (`csv_bytes`, `xlsx_bytes`) and
read back without its reader (`read_csv_cells`), so the tests check the file format itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from openpyxl import Workbook, load_workbook

from instrument.model import DONT_KNOW, NO_ANSWER, NOT_APPLICABLE, Variable
from instrument.schedule import Instrument

REPO = Path(__file__).resolve().parent.parent
RECORD_COLUMNS = [
    "council_code",
    "council_name",
    "status",
    "nonresponse_reason",
    "respondent_role",
    "interview_date",
    "interviewer",
]

DECLINED_REASONS = {
    "Argyll and Bute": "Too busy with the budget round, try again in 2012",
    "Inverclyde": 'Head of service said "not this year"',
    "Shetland Islands": '=HYPERLINK("http://example.org","click")',
}
IN_PROGRESS = ("Clackmannanshire", "Moray", "South Lanarkshire")
NOT_CONTACTED = ("Orkney Islands",)
SCHEDULED = ("East Lothian",)

INTERVIEWERS = ("Ilona Ní Bhriain", "Seán O'Neill", "Zoë Brown-Smith", "=cmd|' /C calc'!A0")

# Free text as typed, chosen by council and question so each kind lands in many columns.
TEXTS = (
    "Through the carers' forum, twice a year",
    'She said "not yet", then "maybe, in 2012"',
    "First line\nSecond line, after a break",
    "Budget of £2.5m; café-style drop-in sessions",
    "=SUM(A1:A9)",
    "+44 131 625 1500",
    "-10% on last year",
    "@home care review",
    "'Better together' was the campaign",
    "Naïve question, Zoë's answer — über-careful, 50/50",
    "Line one\r\nLine two, typed on Windows",
    "  leading and trailing spaces  ",
    "\tstarts with a tab",
    "",
)


# OOXML text escapes: XML would turn a carriage return into a line feed, so Excel stores it as
# _x000D_, and the underscore of a literal "_xHHHH_" as _x005F_.
_XLSX_ESCAPE = re.compile(r"\r|_(?=x[0-9A-Fa-f]{4}_)")
_XLSX_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def councils() -> list[tuple[str, str]]:
    """(code, name) of the 32 councils, in council name order."""
    entries = yaml.safe_load((REPO / "db" / "councils.yaml").read_text(encoding="utf-8"))
    return sorted(((e["code"], e["name"]) for e in entries), key=lambda c: c[1])


def columns(instrument: Instrument) -> list[str]:
    """The export's columns: the interview record, then every question in schedule order."""
    return [*RECORD_COLUMNS, *(v.id for v in instrument.questions)]


def value_for(instrument: Instrument, variable: Variable, i: int, k: int) -> str:
    """A canonical value of the variable's type for council number i, question number k."""
    if variable.type == "yesno":
        return ("yes", "yes", "no", "yes", "no", DONT_KNOW)[(i * 7 + k) % 6]
    if variable.type == "single":
        options = [c.code for c in instrument.choices(variable)] + [NO_ANSWER]
        return options[(i + k) % len(options)]
    if variable.type == "multi":
        codes = [c.code for c in instrument.choices(variable)]
        chosen = [c for j, c in enumerate(codes) if (i + k + j) % 3 == 0]
        return ";".join(chosen) if chosen and (i + k) % 7 else DONT_KNOW
    if variable.type == "percent":
        return DONT_KNOW if (i + k) % 10 == 0 else str((i * 13 + k) % 101)
    if variable.type == "date":
        return (dt.date(2011, 1, 3) + dt.timedelta(days=i * 5 + k)).isoformat()
    return TEXTS[(i + k) % len(TEXTS)]


def answers_for(instrument: Instrument, i: int, *, completed: bool) -> dict[str, str]:
    """Following routing: an applicable question gets a value, a skipped one is left out
    (completed: `not_applicable`); an in-progress interview stops halfway through."""
    stop = len(instrument.questions) if completed else len(instrument.questions) // 2
    answers: dict[str, str] = {}
    for k, variable in enumerate(instrument.questions):
        if not instrument.applies(variable.id, answers):
            answers[variable.id] = NOT_APPLICABLE if completed else ""
        elif k < stop:
            answers[variable.id] = value_for(instrument, variable, i, k)
        else:
            answers[variable.id] = ""
    return answers


def build_wave(instrument: Instrument) -> list[dict[str, str]]:
    """One row per council, every column present, exactly as the exporter writes it."""
    roles = [c.code for c in instrument.choices("respondent_role")]
    rows = []
    for i, (code, name) in enumerate(councils()):
        row = dict.fromkeys(columns(instrument), "")
        row.update(council_code=code, council_name=name)
        if name in DECLINED_REASONS:
            row.update(status="declined", nonresponse_reason=DECLINED_REASONS[name])
        elif name in NOT_CONTACTED:
            row.update(status="not_contacted")
        elif name in SCHEDULED:
            row.update(status="scheduled", interviewer=INTERVIEWERS[i % len(INTERVIEWERS)])
        else:
            completed = name not in IN_PROGRESS
            row.update(
                status="completed" if completed else "in_progress",
                respondent_role=roles[i % len(roles)],
                interview_date=(dt.date(2011, 2, 1) + dt.timedelta(days=3 * i)).isoformat(),
                interviewer=INTERVIEWERS[i % len(INTERVIEWERS)],
            )
            row.update(answers_for(instrument, i, completed=completed))
        rows.append(row)
    return rows


def row_of(rows: list[dict[str, str]], council_name: str) -> dict[str, str]:
    return next(r for r in rows if r["council_name"] == council_name)


def changed(
    rows: list[dict[str, str]], changes: Mapping[str, Mapping[str, str]]
) -> list[dict[str, str]]:
    """A copy of the rows with some cells changed, by council name then column."""
    out = [dict(r) for r in rows]
    for name, cells in changes.items():
        row_of(out, name).update(cells)
    return out


def _protect(cell: str) -> str:
    """The file format's rule: a cell starting like a formula, or with ', gets one ' more."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r", "'") else cell


def csv_bytes(
    rows: Iterable[Mapping[str, str]],
    header: list[str],
    *,
    bom: bool = True,
    delimiter: str = ",",
    extra: Mapping[int, list[str]] | None = None,
) -> bytes:
    """A CSV as Excel's 'CSV UTF-8' writes it; `extra` adds raw cells after row n (0-based)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for n, row in enumerate(rows):
        writer.writerow([_protect(row.get(c, "")) for c in header] + (extra or {}).get(n, []))
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(rows: Iterable[Mapping[str, object]], header: list[str]) -> bytes:
    """An XLSX whose cells hold the values as given: text as text cells, numbers as numbers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for r, row in enumerate(rows, start=2):
        for c, name in enumerate(header, start=1):
            value = row.get(name, "")
            if value == "":
                continue
            if isinstance(value, str):
                value = _XLSX_ESCAPE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, even when it starts with "="
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read_xlsx_cells(data: bytes) -> list[list[object]]:
    """The first sheet's cells as Excel shows them: text unescaped, None for an empty cell."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [
        [
            _XLSX_ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), c.value)
            if isinstance(c.value, str)
            else c.value
            for c in row
        ]
        for row in sheet.iter_rows()
    ]


def read_csv_cells(data: bytes) -> list[list[str]]:
    """The cells as a spreadsheet shows them: BOM dropped, one leading ' taken as 'text'."""
    text = data.decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text, newline="")))
    return [[c[1:] if c.startswith("'") else c for c in r] for r in records]


def read_csv_rows(data: bytes) -> list[dict[str, str]]:
    header, *records = read_csv_cells(data)
    return [dict(zip(header, r, strict=True)) for r in records]


def wave_file(rows: list[dict[str, object]], header: list[str], fmt: str) -> tuple[bytes, str]:
    """The rows as a file a person would import: its bytes and its name (.csv or .xlsx)."""
    if fmt == "xlsx":
        return xlsx_bytes(rows, header), "wave.xlsx"
    return csv_bytes(rows, header), "wave.csv"  # type: ignore[arg-type]
