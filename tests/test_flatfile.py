"""Flat files: exporting a wave to CSV/XLSX, importing one back all or nothing, and the CLI.

What is asserted is what an auditor sees: the cells of the file, and each refusal as the
line the CLI prints (row, council, column, value, reason). A refused import must leave
every row of every table as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import survey_cli
from db.models import Answer, AnswerHistory, Council, Interview
from instrument.loader import instrument_named
from instrument.schedule import Instrument
from services.actor import Actor
from services.answers import save_answer
from services.export import export_wave
from services.imports import ImportRefused, ImportReport, import_wave
from tests.conftest import INTERVIEWER, interview_id_of, table_checksums
from tests.file_cases import (
    BLANK_CLOSED,
    CELL_CASES,
    CLIENT_GROUPS,
    FILE_CASES,
    HEADER_CASES,
    NOT_UTF8_ADVICE,
    STATUSES,
)
from tests.wave_builder import (
    RECORD_COLUMNS,
    build_wave,
    changed,
    columns,
    csv_bytes,
    read_csv_cells,
    read_csv_rows,
    read_xlsx_cells,
    row_of,
    wave_file,
    xlsx_bytes,
)

IMPORTER = Actor("importer", "interviewer")  # imports write answers: an interviewer's act
WAVE = "2011"

# The 32 councils in council name order: the export's rows, spreadsheet rows 2 to 33.
COUNCILS = [
    ("S12000033", "Aberdeen City"),
    ("S12000034", "Aberdeenshire"),
    ("S12000041", "Angus"),
    ("S12000035", "Argyll and Bute"),
    ("S12000036", "City of Edinburgh"),
    ("S12000005", "Clackmannanshire"),
    ("S12000006", "Dumfries and Galloway"),
    ("S12000042", "Dundee City"),
    ("S12000008", "East Ayrshire"),
    ("S12000045", "East Dunbartonshire"),
    ("S12000010", "East Lothian"),
    ("S12000011", "East Renfrewshire"),
    ("S12000014", "Falkirk"),
    ("S12000047", "Fife"),
    ("S12000049", "Glasgow City"),
    ("S12000017", "Highland"),
    ("S12000018", "Inverclyde"),
    ("S12000019", "Midlothian"),
    ("S12000020", "Moray"),
    ("S12000013", "Na h-Eileanan Siar"),
    ("S12000021", "North Ayrshire"),
    ("S12000050", "North Lanarkshire"),
    ("S12000023", "Orkney Islands"),
    ("S12000048", "Perth and Kinross"),
    ("S12000038", "Renfrewshire"),
    ("S12000026", "Scottish Borders"),
    ("S12000027", "Shetland Islands"),
    ("S12000028", "South Ayrshire"),
    ("S12000029", "South Lanarkshire"),
    ("S12000030", "Stirling"),
    ("S12000039", "West Dunbartonshire"),
    ("S12000040", "West Lothian"),
]


# --- helpers and fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    return instrument_named("schedule_2011")


@pytest.fixture(scope="module")
def header(instrument: Instrument) -> list[str]:
    return columns(instrument)


@pytest.fixture(scope="module")
def wave(instrument: Instrument) -> list[dict[str, str]]:
    """The builder's full wave; tests change copies of it (`changed`), never the rows."""
    return build_wave(instrument)


def import_file(
    session: Session, data: bytes, filename: str = "wave.csv", *, replace: bool = False
) -> ImportReport:
    return import_wave(
        session, actor=IMPORTER, wave_key=WAVE, data=data, filename=filename, replace=replace
    )


def export_file(session: Session, fmt: str = "csv") -> bytes:
    return export_wave(session, actor=IMPORTER, include_unvalidated=True, wave_key=WAVE, fmt=fmt)  # type: ignore[arg-type]


def refusal(
    session: Session, data: bytes, filename: str = "wave.csv", *, replace: bool = False
) -> list[str]:
    """The problems of a refused import, as printed; the database must be exactly as before."""
    before = table_checksums(session)
    with pytest.raises(ImportRefused) as refused:
        import_file(session, data, filename, replace=replace)
    assert table_checksums(session) == before, "a refused import changed the database"
    session.rollback()
    assert table_checksums(session) == before
    return [str(p) for p in refused.value.problems]


def xlsx_with_cell(
    data: bytes, row: int, column: str, value: object, number_format: str = ""
) -> bytes:
    """The workbook with one cell set as Excel stores what was typed (number, date, formula)."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    names = [c.value for c in sheet[1]]
    cell = sheet.cell(row=row, column=names.index(column) + 1, value=value)
    if number_format:
        cell.number_format = number_format
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def history(session: Session, council: str) -> list[tuple]:  # type: ignore[type-arg]
    return [
        tuple(r)
        for r in session.execute(
            select(
                AnswerHistory.variable_id,
                AnswerHistory.version,
                AnswerHistory.old_value,
                AnswerHistory.new_value,
                AnswerHistory.source,
                AnswerHistory.changed_by,
            )
            .join(Interview, Interview.id == AnswerHistory.interview_id)
            .join(Council, Council.id == Interview.council_id)
            .where(Council.name == council)
            .order_by(AnswerHistory.id)
        )
    ]


def stored_answers(session: Session, council: str) -> dict[str, tuple[str | None, int]]:
    return {
        variable: (value, version)
        for variable, value, version in session.execute(
            select(Answer.variable_id, Answer.value, Answer.version)
            .join(Interview, Interview.id == Answer.interview_id)
            .join(Council, Council.id == Interview.council_id)
            .where(Council.name == council)
        )
    }


# --- the builder itself -----------------------------------------------------------------------


def test_builder__wave__takes_every_routing_branch_somewhere(
    instrument: Instrument, wave: list[dict[str, str]]
) -> None:
    completed = [r for r in wave if r["status"] == "completed"]
    routed = [v.id for v in instrument.questions if instrument.condition(v.id)]
    assert routed
    for variable in routed:
        values = {r[variable] for r in completed}
        assert "not_applicable" in values, f"{variable} is never skipped"
        assert values - {"not_applicable"}, f"{variable} is never asked"
    statuses = sorted({r["status"] for r in wave})
    assert statuses == ["completed", "declined", "in_progress", "not_contacted", "scheduled"]


# --- round trip -------------------------------------------------------------------------------


def test_round_trip__csv__export_import_into_empty_database_export_is_byte_identical(
    session: Session,
    fresh_database: Callable[[str], Engine],
    wave: list[dict[str, str]],
    header: list[str],
) -> None:
    imported = csv_bytes(wave, header)
    report = import_file(session, imported)
    assert (report.councils, report.replaced) == (32, ())

    first = export_file(session)
    assert read_csv_rows(first) == wave
    assert first == imported  # the builder writes exactly what the exporter writes

    with Session(fresh_database("second")) as second:
        import_file(second, first, "export.csv")
        again = export_file(second)
    assert again == first


def test_round_trip__xlsx__every_cell_identical_and_text_survives_exactly(
    session: Session,
    fresh_database: Callable[[str], Engine],
    wave: list[dict[str, str]],
    header: list[str],
) -> None:
    import_file(session, csv_bytes(wave, header))
    first = export_file(session, "xlsx")
    expected = [header] + [[r[c] or None for c in header] for r in wave]
    assert read_xlsx_cells(first) == expected

    with Session(fresh_database("second")) as second:
        import_file(second, first, "export.xlsx")
        again = export_file(second, "xlsx")
        as_csv = export_file(second, "csv")
    assert read_xlsx_cells(again) == read_xlsx_cells(first)
    assert read_csv_rows(as_csv) == wave  # XLSX in, CSV out: the same text


def test_export_xlsx__same_answers_later__byte_identical_file(
    session: Session,
    wave: list[dict[str, str]],
    header: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A workbook written an hour later is the same file: no save time in it anywhere."""
    import_file(session, csv_bytes(wave, header))
    first = export_file(session, "xlsx")
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert export_file(session, "xlsx") == first


@pytest.mark.postgresql_one_case
@pytest.mark.parametrize(
    "text",
    [
        "Line one\r\nLine two, typed on Windows",
        "Old Mac line\rbreak",
        "First line\nSecond line",
        "A literal _x000D_ is not a line break",
        "Ref _x0041_ stays as typed",
        "tab\tinside and trailing spaces  ",
        "=SUM(A1:A9)",
        "'quoted'",
    ],
)
def test_round_trip__xlsx__awkward_text__read_back_exactly(
    session: Session,
    fresh_database: Callable[[str], Engine],
    wave: list[dict[str, str]],
    header: list[str],
    text: str,
) -> None:
    import_file(session, csv_bytes(changed(wave, {"Fife": {"q2_explain": text}}), header))
    workbook = export_file(session, "xlsx")
    column = header.index("q2_explain")
    assert read_xlsx_cells(workbook)[14][column] == text  # as Excel shows it

    with Session(fresh_database("second")) as second:
        import_file(second, workbook, "export.xlsx")
        assert row_of(read_csv_rows(export_file(second)), "Fife")["q2_explain"] == text


@pytest.mark.postgresql_one_case
@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ('=HYPERLINK("http://example.org","click")', '\'=HYPERLINK("http://example.org","click")'),
        ("+44 131 625 1500", "'+44 131 625 1500"),
        ("-10% on last year", "'-10% on last year"),
        ("@home care review", "'@home care review"),
        ("\tstarts with a tab", "'\tstarts with a tab"),
        ("'Better together' was the campaign", "''Better together' was the campaign"),
        ("''", "'''"),
        ("Ordinary text, with a comma", "Ordinary text, with a comma"),
        ("1+1=2 in the middle", "1+1=2 in the middle"),
        ("£2.5m, café", "£2.5m, café"),
    ],
)
def test_export_csv__text_that_starts_like_a_formula__written_after_an_apostrophe(
    session: Session, wave: list[dict[str, str]], header: list[str], text: str, written: str
) -> None:
    import_file(session, csv_bytes(changed(wave, {"Fife": {"q2_explain": text}}), header))

    data = export_file(session)
    raw_header, *raw_rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    fife = dict(zip(raw_header, raw_rows[13], strict=True))
    assert (fife["council_name"], fife["q2_explain"]) == ("Fife", written)
    assert row_of(read_csv_rows(data), "Fife")["q2_explain"] == text


def test_export_csv__no_cell_starts_like_a_formula(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    import_file(session, csv_bytes(wave, header))
    import csv

    cells = [
        c for r in csv.reader(io.StringIO(export_file(session).decode("utf-8-sig"))) for c in r
    ]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=SUM(A1:A9)" in cells
    assert '\'=HYPERLINK("http://example.org","click")' in cells  # a declined council's reason
    assert "'=cmd|' /C calc'!A0" in cells  # an interviewer


def test_export_xlsx__text_starting_with_equals__is_a_text_cell_never_a_formula(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    import_file(session, csv_bytes(wave, header))
    data = export_file(session, "xlsx")

    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert {c.data_type for c in cells} == {"s"}
    formula_like = sorted({c.value for c in cells if str(c.value).startswith("=")})
    assert formula_like == [
        '=HYPERLINK("http://example.org","click")',
        "=SUM(A1:A9)",
        "=cmd|' /C calc'!A0",
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


# --- export shape -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export__untouched_wave__one_not_contacted_row_per_council_in_name_order(
    session: Session, instrument: Instrument, fmt: str
) -> None:
    data = export_file(session, fmt)
    if fmt == "csv":
        header, *rows = read_csv_cells(data)
    else:
        header, *grid = read_xlsx_cells(data)
        rows = [["" if c is None else c for c in r] for r in grid]

    assert header == [
        "council_code",
        "council_name",
        "status",
        "nonresponse_reason",
        "respondent_role",
        "interview_date",
        "interviewer",
        *(v.id for v in instrument.questions),
    ]
    assert [(r[0], r[1]) for r in rows] == COUNCILS
    assert {r[2] for r in rows} == {"not_contacted"}
    assert {c for r in rows for c in r[3:]} == {""}


def test_export__header__record_columns_then_questions_in_schedule_order(
    session: Session, instrument: Instrument
) -> None:
    header = read_csv_cells(export_file(session))[0]
    assert header[:7] == RECORD_COLUMNS
    assert header[7:10] == ["q1_most_involved", "q1_other_specify", "q2_strategy_involvement"]
    assert header[-3:] == ["q26c_contingency", "q26_impacts", "anything_else"]
    assert header[7:] == [v.id for v in instrument.questions]
    assert len(header) == len(set(header)) == 7 + len(instrument.questions)


@pytest.mark.postgresql_one_case
@pytest.mark.parametrize(
    ("column", "typed", "exported"),
    [
        (
            "q14_needs",
            "other; planning_tools ;market_development",
            "market_development;planning_tools;other",
        ),
        ("q14_needs", "planning_tools", "planning_tools"),
        ("q14_needs", " dont_know ", "dont_know"),
        ("q14_needs", "no_answer", "no_answer"),
        ("q24_inhouse_pct", "30:70", "30"),
        ("q24_inhouse_pct", "30/70", "30"),
        ("q24_inhouse_pct", "30%", "30"),
        ("q24_inhouse_pct", " 45 ", "45"),
        ("q24_inhouse_pct", "0", "0"),
        ("q24_inhouse_pct", "100", "100"),
        ("q24_inhouse_pct", "dont_know", "dont_know"),
        ("q3_monitoring_involvement", " yes ", "yes"),
        ("q3_monitoring_involvement", "no_answer", "no_answer"),
        ("q2_explain", "  spaces kept as typed  ", "  spaces kept as typed  "),
        ("q2_explain", "dont_know", "dont_know"),
        ("q2_explain", "", ""),
        ("q1_other_specify", "", "not_applicable"),  # skipped, blank in the file
        ("interview_date", " 2011-03-04 ", "2011-03-04"),
        ("interviewer", "  Ilona Ní Bhriain ", "Ilona Ní Bhriain"),
    ],
)
def test_export__completed_council__values_in_their_canonical_form(
    session: Session,
    wave: list[dict[str, str]],
    header: list[str],
    column: str,
    typed: str,
    exported: str,
) -> None:
    import_file(session, csv_bytes(changed(wave, {"Fife": {column: typed}}), header))

    assert row_of(read_csv_rows(export_file(session)), "Fife")[column] == exported


@pytest.mark.parametrize(
    ("status", "exported"), [("completed", "not_applicable"), ("in_progress", "")]
)
def test_export__question_routing_skips__not_applicable_only_when_completed(
    session: Session, wave: list[dict[str, str]], header: list[str], status: str, exported: str
) -> None:
    fife = {
        "status": status,
        "q11_swia_used": "yes",
        "q11a_swia_usefulness": "quite_useful",
        "q11b_swia_why_not": "",
    }
    import_file(session, csv_bytes(changed(wave, {"Fife": fife}), header))

    row = row_of(read_csv_rows(export_file(session)), "Fife")
    assert (row["status"], row["q11a_swia_usefulness"], row["q11b_swia_why_not"]) == (
        status,
        "quite_useful",
        exported,
    )


def test_export__declined_council__reason_and_nothing_else(
    session: Session, wave: list[dict[str, str]], header: list[str], instrument: Instrument
) -> None:
    import_file(session, csv_bytes(wave, header))

    row = row_of(read_csv_rows(export_file(session)), "Inverclyde")
    assert (row["status"], row["nonresponse_reason"]) == (
        "declined",
        'Head of service said "not this year"',
    )
    assert {row[v.id] for v in instrument.questions} == {""}


def test_export__in_progress_interview__unanswered_questions_blank(
    session: Session, instrument: Instrument
) -> None:
    moray = interview_id_of(session, "Moray")
    save_answer(
        session,
        actor=INTERVIEWER,
        interview_id=moray,
        variable_id="q2_strategy_involvement",
        value="yes",
    )

    row = row_of(read_csv_rows(export_file(session)), "Moray")
    assert (row["status"], row["q2_strategy_involvement"]) == ("in_progress", "yes")
    assert {row[v.id] for v in instrument.questions if v.id != "q2_strategy_involvement"} == {""}


def test_export__kept_answer_on_a_question_routing_now_skips__not_exported(
    session: Session,
) -> None:
    moray = interview_id_of(session, "Moray")
    for variable, value in [
        ("q11_swia_used", "yes"),
        ("q11a_swia_usefulness", "very_useful"),
        ("q11_swia_used", "no"),
    ]:
        save_answer(
            session, actor=INTERVIEWER, interview_id=moray, variable_id=variable, value=value
        )
    assert stored_answers(session, "Moray")["q11a_swia_usefulness"] == ("very_useful", 1)

    row = row_of(read_csv_rows(export_file(session)), "Moray")
    assert (row["q11_swia_used"], row["q11a_swia_usefulness"]) == ("no", "")


# --- import: refusals, each with its words, nothing written -------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("changes", "expected"), CELL_CASES)
@pytest.mark.postgresql_one_case
def test_import__bad_cell__refused_naming_row_council_column_value_and_reason(
    session: Session,
    wave: list[dict[str, str]],
    header: list[str],
    changes: dict[str, dict[str, str]],
    expected: list[str],
    fmt: str,
) -> None:
    data, filename = wave_file(changed(wave, changes), header, fmt)  # type: ignore[arg-type]

    assert refusal(session, data, filename) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"Fife": {"q2_explain": "bell\x07"}},
            [
                "row 15, Fife, column q2_explain, value 'bell\\x07': "
                "contains a control character (such as a NUL or escape byte)"
            ],
            id="control-character-in-text",
        ),
        pytest.param(
            {"Fife": {"interviewer": "Ilona\x1b[0m"}},
            [
                "row 15, Fife, column interviewer, value 'Ilona\\x1b[0m': "
                "the interviewer's name contains a control character (such as a NUL or escape "
                "byte)"
            ],
            id="control-character-in-interviewer",
        ),
    ],
)
def test_import_csv__control_character__refused(
    session: Session,
    wave: list[dict[str, str]],
    header: list[str],
    changes: dict[str, dict[str, str]],
    expected: list[str],
) -> None:
    assert refusal(session, csv_bytes(changed(wave, changes), header)) == expected


def test_import__several_problems__lists_every_one_in_file_order(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    rows = changed(
        wave,
        {
            "Argyll and Bute": {"nonresponse_reason": ""},
            "Clackmannanshire": {"q1_most_involved": "carers"},
            "Fife": {
                "q24_inhouse_pct": "150",
                "interview_date": "2011-02-30",
                "q3_monitoring_involvement": "",
            },
            "Glasgow City": {"council_code": "S12999999"},
            "Stirling": {"status": "done"},
        },
    )

    problems = refusal(session, csv_bytes(rows, header))

    assert problems == [
        "row 5, Argyll and Bute, column nonresponse_reason, value '': "
        "a declined council needs the reason it gave",
        "row 7, Clackmannanshire, column q1_most_involved, value 'carers': "
        f"'carers' is not one of the codes: {CLIENT_GROUPS}",
        "row 15, Fife, column interview_date, value '2011-02-30': "
        "2011-02-30 is not a real date: February 2011 has 28 days",
        "row 15, Fife, column q24_inhouse_pct, value '150': 150 is more than 100",
        f"row 15, Fife, column q3_monitoring_involvement, value '': {BLANK_CLOSED}",
        "row 16, column council_code, value 'S12999999': "
        "unknown council (not a GSS code or known name)",
        f"row 31, Stirling, column status, value 'done': unknown status; use one of {STATUSES}",
    ]
    assert len(problems) == 7


def test_import__row_with_more_cells_than_columns__refused(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    data = csv_bytes(wave, header, extra={13: ["stray"]})

    assert refusal(session, data) == ["row 15: the row has 77 cells but there are 76 columns"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("edit", "expected"), HEADER_CASES)
@pytest.mark.postgresql_one_case
def test_import__bad_header__refused_before_reading_rows(
    session: Session,
    wave: list[dict[str, str]],
    header: list[str],
    edit: Callable[[list[str]], list[str]],
    expected: list[str],
    fmt: str,
) -> None:
    rows = changed(wave, {"Fife": {"": "stray"}})
    data, filename = wave_file(rows, edit(header), fmt)  # type: ignore[arg-type]

    assert refusal(session, data, filename) == expected


@pytest.mark.parametrize(("data", "filename", "expected"), FILE_CASES)
@pytest.mark.postgresql_one_case
def test_import__unreadable_file__refused_saying_why(
    session: Session, data: bytes, filename: str, expected: list[str]
) -> None:
    assert refusal(session, data, filename) == expected


def test_import__whole_wave_in_cp1252__refused_at_the_first_character_not_utf8(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    """Aberdeen City's interviewer, Ilona Ní Bhriain, is the first name with an accent."""
    data = csv_bytes(wave, header, bom=False).decode("utf-8").encode("cp1252")

    assert refusal(session, data) == [
        "row 2, column interviewer: the file is not UTF-8 text "
        f"(byte 0xED here, 'í' in Windows-1252); {NOT_UTF8_ADVICE}"
    ]


def test_import__semicolon_separated_csv__refused_with_how_to_save_it(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    data = csv_bytes(wave, header, delimiter=";")

    assert refusal(session, data) == [
        "the columns are separated by semicolons (Excel's regional CSV); "
        "save as 'CSV UTF-8 (Comma delimited)' so columns are separated by commas"
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import__header_only__refused_as_no_data_rows(
    session: Session, header: list[str], fmt: str
) -> None:
    data, filename = wave_file([], header, fmt)

    assert refusal(session, data, filename) == ["the file has column names but no data rows"]


def test_import_xlsx__empty_sheet__refused(session: Session) -> None:
    out = io.BytesIO()
    Workbook().save(out)

    assert refusal(session, out.getvalue(), "wave.xlsx") == ["the first sheet is empty"]


def test_import__more_rows_than_the_wave_has_councils__refused_reading_no_further(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    rows = [row_of(wave, "Orkney Islands")] * 33

    assert refusal(session, csv_bytes(rows, header)) == [
        "the file has more than 32 rows of data, but wave 2011 has 32 councils and takes one "
        "row for each; check that this is the right file (nothing else in it was checked)"
    ]


def test_import_xlsx__cell_holding_a_formula__refused_asking_for_values(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    data = xlsx_with_cell(xlsx_bytes(wave, header), 15, "q2_explain", "=1+1")

    assert refusal(session, data, "wave.xlsx") == [
        "row 15, Fife, column q2_explain, value '=1+1': "
        "the cell holds a spreadsheet formula; paste values only"
    ]


def test_import_csv__blank_line_between_rows__problems_keep_their_spreadsheet_row(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    """Excel shows a blank line of a CSV as a blank row: Fife is then on row 16, not 15."""
    data = csv_bytes(changed(wave, {"Fife": {"q24_inhouse_pct": "150"}}), header)
    lines = data.split(b"\r\nS12000035,")  # Argyll and Bute, spreadsheet row 5
    data = lines[0] + b"\r\n\r\nS12000035," + lines[1]

    assert refusal(session, data) == [
        "row 16, Fife, column q24_inhouse_pct, value '150': 150 is more than 100"
    ]


def test_import_xlsx__blank_row_between_rows__skipped_like_in_csv(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    rows: list[dict[str, object]] = [*wave[:3], {}, *wave[3:]]
    import_file(session, xlsx_bytes(rows, header), "wave.xlsx")

    assert read_csv_rows(export_file(session)) == wave


# --- import: what is accepted ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "council"),
    [
        ("S12000015", "Fife"),
        ("S12000024", "Perth and Kinross"),
        ("S12000046", "Glasgow City"),
        ("S12000044", "North Lanarkshire"),
        ("Eilean Siar", "Na h-Eileanan Siar"),
        ("Western Isles", "Na h-Eileanan Siar"),
        ("Comhairle nan Eilean Siar", "Na h-Eileanan Siar"),
        ("Edinburgh, City of", "City of Edinburgh"),
        ("Perth & Kinross", "Perth and Kinross"),
        ("perth  and KINROSS", "Perth and Kinross"),
        (" s12000047 ", "Fife"),
        ("Fife", "Fife"),
        ("Na h-Eileanan Siar", "Na h-Eileanan Siar"),
    ],
)
@pytest.mark.postgresql_one_case
def test_import__council_alias__resolves_to_its_council(
    session: Session,
    wave: list[dict[str, str]],
    header: list[str],
    written: str,
    council: str,
) -> None:
    row = {**row_of(wave, council), "council_code": written}
    no_name = [c for c in header if c != "council_name"]

    import_file(session, csv_bytes([row], no_name))

    exported = read_csv_rows(export_file(session))
    assert row_of(exported, council) == row_of(wave, council)
    assert {r["council_name"] for r in exported if r["status"] != "not_contacted"} == {council}


@pytest.mark.parametrize("bom", [True, False], ids=["with-bom", "without-bom"])
def test_import_csv__with_or_without_bom__accepted(
    session: Session, wave: list[dict[str, str]], header: list[str], bom: bool
) -> None:
    data = csv_bytes(wave, header, bom=bom)
    assert data.startswith(b"\xef\xbb\xbf") == bom

    import_file(session, data)

    assert read_csv_rows(export_file(session)) == wave


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("seed", [1, 2011])
@pytest.mark.postgresql_one_case
def test_import__columns_shuffled_and_council_name_absent__accepted(
    session: Session, wave: list[dict[str, str]], header: list[str], fmt: str, seed: int
) -> None:
    shuffled = [c for c in header if c != "council_name"]
    random.Random(seed).shuffle(shuffled)
    data, filename = wave_file(wave, shuffled, fmt)  # type: ignore[arg-type]

    import_file(session, data, filename)

    assert read_csv_rows(export_file(session)) == wave


def test_import__header_names_with_spaces_around__accepted(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    data = csv_bytes(wave, header).replace(b"council_code,", b" council_code ,", 1)

    import_file(session, data)

    assert read_csv_rows(export_file(session)) == wave


def test_import__some_councils_only__others_stay_not_contacted(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    rows = [row_of(wave, "Fife"), row_of(wave, "Argyll and Bute")]

    report = import_file(session, csv_bytes(rows, header))

    assert (report.councils, report.replaced) == (2, ())
    exported = read_csv_rows(export_file(session))
    assert [r["council_name"] for r in exported if r["status"] != "not_contacted"] == [
        "Argyll and Bute",
        "Fife",
    ]


@pytest.mark.postgresql_one_case
@pytest.mark.parametrize(
    ("column", "value", "number_format", "exported"),
    [
        ("q24_inhouse_pct", 30, "", "30"),
        ("q24_inhouse_pct", 30.0, "", "30"),
        ("q24_inhouse_pct", 0.3, "0%", "30"),
        ("q24_inhouse_pct", 1, "0%", "100"),
        ("q24_inhouse_pct", 0.05, "0.0%", "5"),
        ("interview_date", dt.datetime(2011, 3, 4), "yyyy-mm-dd", "2011-03-04"),
        ("interview_date", dt.date(2011, 3, 4), "dd/mm/yyyy", "2011-03-04"),
    ],
)
def test_import_xlsx__numbers_and_dates_as_excel_stores_them__read_as_typed(
    session: Session,
    wave: list[dict[str, str]],
    header: list[str],
    column: str,
    value: object,
    number_format: str,
    exported: str,
) -> None:
    data = xlsx_with_cell(xlsx_bytes(wave, header), 15, column, value, number_format)

    import_file(session, data, "wave.xlsx")

    assert row_of(read_csv_rows(export_file(session)), "Fife")[column] == exported


# --- import over existing answers -----------------------------------------------------------------


def test_import__council_with_answers__refused_naming_it_and_replace(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    import_file(session, csv_bytes([row_of(wave, "Fife"), row_of(wave, "Highland")], header))
    save_answer(
        session,
        actor=INTERVIEWER,
        interview_id=interview_id_of(session, "Moray"),
        variable_id="q2_strategy_involvement",
        value="no",
    )
    rows = [row_of(wave, n) for n in ("Argyll and Bute", "Fife", "Highland", "Moray", "Stirling")]

    problems = refusal(session, csv_bytes(rows, header))

    assert problems == [
        f"row {n}, {name}, column council_code: {name} already has answers in wave 2011; "
        "import with --replace to overwrite them (every changed value is kept in the history)"
        for n, name in [(3, "Fife"), (4, "Highland"), (5, "Moray")]
    ]


def test_import__existing_answers_and_bad_cells__both_reported(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    import_file(session, csv_bytes([row_of(wave, "Fife")], header))
    rows = changed(wave, {"Stirling": {"q24_inhouse_pct": "150"}})

    assert refusal(session, csv_bytes(rows, header)) == [  # in the file's order, as found
        "row 15, Fife, column council_code: Fife already has answers in wave 2011; import with "
        "--replace to overwrite them (every changed value is kept in the history)",
        "row 31, Stirling, column q24_inhouse_pct, value '150': 150 is more than 100",
    ]


def test_import_replace__changed_values__one_history_row_each_with_old_and_new(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    import_file(session, csv_bytes([row_of(wave, "Fife"), row_of(wave, "Highland")], header))
    first_history = history(session, "Fife")
    before = stored_answers(session, "Fife")
    rows = changed(
        wave,
        {
            "Fife": {
                "q2_explain": "Checked with the council in May",
                "q11_swia_used": "no",
                "q11a_swia_usefulness": "not_applicable",
                "q11b_swia_why_not": "Never had time to read it",
                "q14_needs": "planning_tools",
                "q24_inhouse_pct": "55",
                "q24_note": "",
            }
        },
    )

    report = import_file(
        session, csv_bytes([row_of(rows, "Fife"), row_of(rows, "Highland")], header), replace=True
    )

    assert report == ImportReport(councils=2, values_changed=7, replaced=("Fife",))
    new_history = history(session, "Fife")[len(first_history) :]
    # one row per changed value; within one import their order is the database's
    assert sorted(new_history, key=str) == sorted(
        [
            (
                "q2_explain",
                2,
                "First line\nSecond line, after a break",
                "Checked with the council in May",
                "import",
                "importer",
            ),
            ("q11_swia_used", 2, "yes", "no", "import", "importer"),
            ("q11a_swia_usefulness", 2, "very_useful", None, "import", "importer"),
            ("q11b_swia_why_not", 1, None, "Never had time to read it", "import", "importer"),
            (
                "q14_needs",
                2,
                "outcomes_based_examples;alternatives_to_tendering",
                "planning_tools",
                "import",
                "importer",
            ),
            ("q24_inhouse_pct", 2, "25", "55", "import", "importer"),
            ("q24_note", 2, "First line\nSecond line, after a break", None, "import", "importer"),
        ],
        key=str,
    )
    after = stored_answers(session, "Fife")
    changed_ids = {h[0] for h in new_history}
    assert {k: v for k, v in after.items() if k not in changed_ids} == {
        k: v for k, v in before.items() if k not in changed_ids
    }
    assert {k: after[k][1] for k in changed_ids} == {
        "q2_explain": 2,
        "q11_swia_used": 2,
        "q11a_swia_usefulness": 2,
        "q11b_swia_why_not": 1,
        "q14_needs": 2,
        "q24_inhouse_pct": 2,
        "q24_note": 2,
    }
    assert len(history(session, "Highland")) == len(stored_answers(session, "Highland"))
    assert row_of(read_csv_rows(export_file(session)), "Fife") == row_of(rows, "Fife")


def test_import_replace__same_file_again__no_history_and_no_new_versions(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    data = csv_bytes(wave, header)
    first = import_file(session, data)
    history_rows = table_checksums(session)["answer_history"].rows
    answers = table_checksums(session)["answer"]

    again = import_file(session, data, replace=True)

    assert (first.values_changed > 0, again.values_changed) == (True, 0)
    assert table_checksums(session)["answer_history"].rows == history_rows
    assert table_checksums(session)["answer"] == answers


def test_import_replace__council_now_declined__answers_cleared_into_history(
    session: Session, wave: list[dict[str, str]], header: list[str], instrument: Instrument
) -> None:
    import_file(session, csv_bytes([row_of(wave, "Fife")], header))
    recorded = {k: v for k, (v, _) in stored_answers(session, "Fife").items() if v is not None}
    declined = {
        **dict.fromkeys(header, ""),
        "council_code": "S12000047",
        "status": "declined",
        "nonresponse_reason": "Withdrew after the interview",
    }

    report = import_file(session, csv_bytes([declined], header), replace=True)

    assert report.values_changed == len(recorded)
    assert {k: v for k, (v, _) in stored_answers(session, "Fife").items() if v} == {}
    cleared = [h for h in history(session, "Fife") if h[1] == 2]
    assert sorted((h[0], h[2], h[3]) for h in cleared) == sorted(
        (k, v, None) for k, v in recorded.items()
    )
    row = row_of(read_csv_rows(export_file(session)), "Fife")
    assert (row["status"], row["nonresponse_reason"]) == (
        "declined",
        "Withdrew after the interview",
    )


# --- the command line -----------------------------------------------------------------------------


def test_cli_import__bad_file__exit_2_and_every_problem_on_stderr(
    cli_db: str,
    engine: Engine,
    session: Session,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    wave: list[dict[str, str]],
    header: list[str],
) -> None:
    rows = changed(
        wave,
        {
            "Argyll and Bute": {"nonresponse_reason": ""},
            "Fife": {"q24_inhouse_pct": "30:60"},
            "Stirling": {"council_code": "Stirlingshire"},
        },
    )
    path = tmp_path / "wave.csv"
    path.write_bytes(csv_bytes(rows, header))
    before = table_checksums(session)
    session.rollback()

    assert survey_cli.main(["import", str(path), "--wave", "2011"]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "error [import.refused]: wave.csv: import refused, nothing was written (3 problems):",
        "  - row 5, Argyll and Bute, column nonresponse_reason, value '': "
        "a declined council needs the reason it gave",
        "  - row 15, Fife, column q24_inhouse_pct, value '30:60': 30:60 adds up to 90, not 100",
        "  - row 31, column council_code, value 'Stirlingshire': "
        "unknown council (not a GSS code or known name)",
    ]
    assert table_checksums(session) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli__import_then_export_then_import_again_with_replace(
    cli_db: str,
    engine: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    wave: list[dict[str, str]],
    header: list[str],
    fmt: str,
) -> None:
    source, filename = wave_file(wave, header, fmt)  # type: ignore[arg-type]
    (tmp_path / filename).write_bytes(source)
    out_file = tmp_path / f"export.{fmt}"

    assert survey_cli.main(["import", str(tmp_path / filename), "--wave", "2011"]) == 0
    imported = capsys.readouterr()
    assert imported.err == ""
    assert imported.out.startswith("Imported 32 council(s) into wave 2011: ")

    assert (
        survey_cli.main(
            [
                "export",
                "--wave",
                "2011",
                "--format",
                fmt,
                "--include-unvalidated",
                "--out",
                str(out_file),
            ]
        )
        == 0
    )
    exported = out_file.read_bytes()
    assert capsys.readouterr().out == (
        f"Exported wave 2011 to {out_file} ({len(exported):,} bytes).\n"
    )
    if fmt == "csv":
        assert read_csv_rows(exported) == wave
    else:
        expected = [header] + [[r[c] or None for c in header] for r in wave]
        assert read_xlsx_cells(exported) == expected

    assert survey_cli.main(["import", str(out_file)]) == 2
    refused = capsys.readouterr().err.splitlines()
    assert refused[0] == (
        f"error [import.refused]: {out_file.name}: import refused, nothing was written "
        "(27 problems):"
    )

    assert survey_cli.main(["import", str(out_file), "--replace"]) == 0
    replaced = capsys.readouterr().out.splitlines()
    assert replaced == ["Imported 32 council(s) into wave 2011: 0 value(s) written."]


def test_cli_import__missing_file__exit_2(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert survey_cli.main(["import", str(tmp_path / "nowhere.csv")]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot read {tmp_path / 'nowhere.csv'}: No such file or directory\n"
    )


def test_cli__unknown_wave__exit_2(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "export.csv"
    assert survey_cli.main(["export", "--wave", "1999", "--out", str(out_file)]) == 2
    assert capsys.readouterr().err == "error [wave.not_found]: there is no wave '1999'\n"
    assert not out_file.exists()


# --- a reserved code inside a multiple choice --------------------------------------------------


def test_import__reserved_code_combined_in_multi__says_only_that_it_cannot_be_combined(
    session: Session, wave: list[dict[str, str]], header: list[str]
) -> None:
    rows = changed(wave, {"Fife": {"q14_needs": "dont_know;planning_tools"}})

    assert refusal(session, csv_bytes(rows, header)) == [
        "row 15, Fife, column q14_needs, value 'dont_know;planning_tools': "
        "'dont_know' cannot be combined with other codes"
    ]
