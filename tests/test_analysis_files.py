"""The files analysts use: SPSS `.sav` and Stata `.dta` read back with pyreadstat, the
Frictionless data package validated with `frictionless`, the XLSForm converted with pyxform,
the Word codebook read with python-docx; the publication rule (validated councils only unless
the draft is asked for), the refusal of a role that may not read the wave, the command line
and the Dashboard's download panel."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import frictionless
import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

import survey_cli
from db.engine import make_engine
from db.models import AuditEvent
from db.setup import initialise
from flatfile.codebook_docx import codebook_docx
from flatfile.columns import export_columns
from flatfile.datapackage import data_package as package_zip
from flatfile.labels import (
    MISSING_LETTERS,
    MISSING_NUMBERS,
    STATA_NAME_LIMIT,
    AnalysisVariable,
    Kind,
    analysis_variables,
    fit,
    spss_names,
    stata_names,
)
from flatfile.spss_stata import dta_bytes, sav_bytes
from flatfile.xlsform import relevant, xlsform_bytes
from instrument.loader import instrument_named, parse_instrument
from instrument.model import DONT_KNOW, NO_ANSWER, NOT_APPLICABLE, RESERVED_CODES
from instrument.schedule import Instrument
from services import analysis_files, review
from services.actor import Actor
from services.imports import import_wave
from services.interviews import wave_summary
from services.permissions import PermissionDenied
from tests.answering import complete_whole_interview
from tests.conftest import DATABASES, INTERVIEWER, PostgresTestDatabase, cli_on, interview_id_of
from tests.wave_builder import build_wave, columns, csv_bytes, row_of

SCHEDULE = instrument_named("schedule_2011")
CCPS = instrument_named("ccps_self_assessment")
VALIDATED = ("Angus", "Fife")  # completed in the builder's wave; their councils validate
FIFE, ANGUS = "S12000047", "S12000041"
AUDITOR = Actor("audrey", "auditor")  # no verbatim access
ANALYST = Actor("ana", "analyst")  # reads verbatim
COUNCIL = Actor("council-fife", "council", FIFE)
XLSX = ".xlsx"
MAGIC = {"sav": b"$FL2", "dta": b"<stata_dta>"}  # and zips: PK


# --- the pure builders, on the builder's whole wave (every routing branch somewhere) ------


def wave_rows(instrument: Instrument) -> tuple[list[str], list[list[str]]]:
    header = export_columns(instrument)
    return header, [[row[c] for c in header] for row in build_wave(instrument)]


def expected_number(variable: AnalysisVariable, cell: str, missing: dict[str, Any]) -> Any:
    """What the column should hold for an export cell, worked out here from the schedule."""
    if not cell:
        return None
    if cell in RESERVED_CODES and variable.reserved:
        return missing[cell]
    if variable.kind == Kind.NUMBER:
        return float(cell)
    if variable.kind == Kind.MENTION:
        assert variable.mention is not None
        return 1.0 if variable.mention.code in cell.split(";") else 0.0
    codes = [c.code for c in variable.codes]
    return float(codes.index(cell) + 1)  # numbered in the schedule's order, from 1


def read_sav(data: bytes, tmp_path: Path, **kwargs: Any) -> tuple[pd.DataFrame, Any]:
    path = tmp_path / "wave.sav"
    path.write_bytes(data)
    return pyreadstat.read_sav(str(path), **kwargs)


def read_dta(data: bytes, tmp_path: Path, **kwargs: Any) -> tuple[pd.DataFrame, Any]:
    path = tmp_path / "wave.dta"
    path.write_bytes(data)
    return pyreadstat.read_dta(str(path), **kwargs)


def same(found: Any, wanted: Any) -> bool:
    if wanted is None:
        return found is None or (isinstance(found, float) and math.isnan(found))
    return bool(found == wanted)


@pytest.mark.parametrize("instrument", [SCHEDULE, CCPS], ids=lambda i: i.name)
def test_sav__every_cell_labels_and_missing_values_read_back(
    instrument: Instrument, tmp_path: Path
) -> None:
    header, rows = wave_rows(instrument)
    frame, meta = read_sav(sav_bytes(instrument, header, rows), tmp_path, user_missing=True)
    variables = analysis_variables(instrument)
    assert list(frame.columns) == [v.name for v in variables]  # ids kept, indicators after
    assert list(frame["council_code"]) == [r[0] for r in rows]
    wrong = []
    for v in variables:
        assert meta.column_names_to_labels[v.name] == fit(v.label, 255)
        for row, found in zip(rows, frame[v.name], strict=True):
            cell = row[header.index(v.source)]
            if v.numeric:
                wanted = expected_number(v, cell, {c: float(n) for c, n in MISSING_NUMBERS.items()})
            else:
                wanted = cell.rstrip() or None  # SPSS pads strings with spaces
                found = found.rstrip() if isinstance(found, str) else found
                found = found or None
            if v.kind != Kind.DATE and not same(found, wanted):
                wrong.append((row[1], v.name, cell, found))
    assert wrong == []
    if instrument is SCHEDULE:
        assert meta.variable_value_labels["q2_strategy_involvement"] == {
            1.0: "Yes", 2.0: "No", -9.0: "Did not answer", -8.0: "Don't know",
            -7.0: "Not applicable",
        }  # fmt: skip
    dates = [d for d in frame["interview_date"] if isinstance(d, dt.date)]
    assert [d.isoformat() for d in dates] == [r[header.index("interview_date")] for r in rows
                                              if r[header.index("interview_date")]]  # fmt: skip
    reserved = [v.name for v in variables if v.numeric and v.reserved]
    for name in reserved:
        ranges = meta.missing_ranges[name]
        assert sorted(r["lo"] for r in ranges) == [-9.0, -8.0, -7.0]
    assert "respondent_role" not in meta.missing_ranges  # the interview record has none
    # without user-missing values a reserved code reads as missing, as in SPSS's own tables
    plain, _ = read_sav(sav_bytes(instrument, header, rows), tmp_path)
    coded = next(v for v in variables if v.kind == Kind.CODED and v.reserved)
    held = frame[coded.name].isin([-9.0, -8.0, -7.0])
    assert held.any() and plain[coded.name][held].isna().all()


def test_sav__a_multiple_choice_is_its_codes_then_one_indicator_per_choice(
    tmp_path: Path,
) -> None:
    header, rows = wave_rows(SCHEDULE)
    frame, meta = read_sav(sav_bytes(SCHEDULE, header, rows), tmp_path, user_missing=True)
    codes = [c.code for c in SCHEDULE.choices("q26_impacts")]
    indicators = [f"q26_impacts_{c}" for c in codes]
    at = list(frame.columns).index("q26_impacts")
    assert list(frame.columns[at + 1 : at + 1 + len(codes)]) == indicators
    assert meta.column_names_to_labels["q26_impacts_shared_services"] == (
        "Impacts of budget reductions: Shared services"
    )
    assert meta.variable_value_labels["q26_impacts_shared_services"][1.0] == "Mentioned"
    for said, *marks in frame[["q26_impacts", *indicators]].itertuples(index=False):
        if said in ("", None):
            assert all(math.isnan(m) for m in marks)
        elif said == DONT_KNOW:
            assert marks == [-8.0] * len(codes)
        else:
            assert marks == [1.0 if c in said.split(";") else 0.0 for c in codes]


def test_dta__labels_extended_missing_and_names_stata_takes(tmp_path: Path) -> None:
    header, rows = wave_rows(SCHEDULE)
    variables = analysis_variables(SCHEDULE)
    names = stata_names(variables)
    frame, meta = read_dta(dta_bytes(SCHEDULE, header, rows), tmp_path, user_missing=True)
    assert list(frame.columns) == [names[v.name] for v in variables]
    assert all(len(n) <= STATA_NAME_LIMIT for n in frame.columns)
    assert len(set(frame.columns)) == len(variables)
    # ids that fit are never renamed; a multiple choice with a long code is numbered
    assert all(names[v.id] == v.id for v in SCHEDULE.questions)
    assert names["q26_impacts_no_effect_on_current_services"] == "q26_impacts_5"
    assert names["q16_methods_national_network"] == "q16_methods_national_network"
    assert meta.column_names_to_labels["q26_impacts_5"] == (
        "Impacts of budget reductions: No effect on current services"
    )
    assert meta.variable_value_labels["q11a_swia_usefulness"] == {
        1: "Very useful", 2: "Quite useful", 3: "Not at all useful",
        "a": "Did not answer", "b": "Don't know", "c": "Not applicable",
    }  # fmt: skip
    wrong = []
    for v in variables:
        if not v.numeric:
            continue
        for row, found in zip(rows, frame[names[v.name]], strict=True):
            wanted = expected_number(v, row[header.index(v.source)], MISSING_LETTERS)
            if not same(found, wanted):
                wrong.append((row[1], v.name, found, wanted))
    assert wrong == []
    plain, _ = read_dta(dta_bytes(SCHEDULE, header, rows), tmp_path)
    letters = frame["q24_inhouse_pct"].isin(["a", "b", "c"])
    assert letters.any() and plain["q24_inhouse_pct"][letters].isna().all()
    assert all(isinstance(d, dt.date) for d in plain["interview_date"].dropna())


def made_up(yaml_parts: str) -> Instrument:
    return parse_instrument(
        "instrument: made_up\ntitle: Made up\nintroduction: For names.\n"
        "choice_lists:\n"
        "  yes_no: [{code: sure, label: Sure}, {code: unsure, label: Unsure}]\n"
        "  long: [{code: a_very_long_code_for_a_choice, label: Long one}, {code: b, label: B}]\n"
        "record:\n  - {id: respondent_role, type: single, choices: long, label: Role, "
        "text: Role}\n"
        f"parts:\n  - id: A\n    title: Part A\n    variables:\n{yaml_parts}"
    )


def test_names_stata_cannot_take_are_made_to_fit_and_stay_unique() -> None:
    id40 = "a_question_id_of_forty_characters_long_x"
    instrument = made_up(
        f"      - {{id: {id40}, type: yesno, label: One, text: 'One?'}}\n"
        f"      - {{id: {id40[:-1]}y, type: yesno, label: Two, text: 'Two?'}}\n"
        "      - {id: in, type: text, text: 'Keyword?'}\n"
        "      - {id: m, type: multi, choices: long, label: Many, text: 'Which?'}\n"
    )
    variables = analysis_variables(instrument)
    names = stata_names(variables)
    assert len(set(names.values())) == len(variables)
    assert all(len(n) <= STATA_NAME_LIMIT for n in names.values())
    assert names[id40] != names[id40[:-1] + "y"]
    assert names[id40].startswith("a_question_id_of")
    assert names["in"] == "in_v" and spss_names(variables)["in"] == "in"
    assert names["m_a_very_long_code_for_a_choice"] == "m_a_very_long_code_for_a_choice"
    header, rows = export_columns(instrument), []  # no council validated yet: no rows
    assert dta_bytes(instrument, header, rows)  # Stata takes every name
    assert sav_bytes(instrument, header, rows)


def test_a_date_question_keeps_its_reserved_code__the_interview_date_is_a_date(
    tmp_path: Path,
) -> None:
    instrument = made_up("      - {id: d, type: date, text: 'When?'}\n")
    header = export_columns(instrument)
    cells = [
        {"council_code": FIFE, "status": "completed", "interview_date": "2011-03-01",
         "d": "2011-02-03"},
        {"council_code": ANGUS, "status": "completed", "interview_date": "2011-03-02",
         "d": DONT_KNOW},
        {"council_code": "S12000033", "status": "not_contacted"},
    ]  # fmt: skip
    rows = [[row.get(c, "") for c in header] for row in cells]
    frame, _ = read_sav(sav_bytes(instrument, header, rows), tmp_path)
    assert list(frame["d"].str.strip()) == ["2011-02-03", DONT_KNOW, ""]
    assert frame["interview_date"].tolist()[:2] == [dt.date(2011, 3, 1), dt.date(2011, 3, 2)]
    frame, _ = read_dta(dta_bytes(instrument, header, rows), tmp_path)
    assert list(frame["d"]) == ["2011-02-03", DONT_KNOW, ""]
    descriptor, _table = unpacked(package_zip(instrument, header, rows, name="d", title="d",
                                              description="d"), tmp_path)  # fmt: skip
    assert frictionless.validate(str(tmp_path / "datapackage.json")).valid
    assert descriptor["resources"][0]["schema"]["fields"][-1]["type"] == "date"


def test_data_package__frictionless_validates_it_and_its_schema_bites(tmp_path: Path) -> None:
    header, rows = wave_rows(SCHEDULE)
    routing = {"q11a_swia_usefulness": "answered “Yes” to Q11 Used SWIA guide"}
    data = package_zip(SCHEDULE, header, rows, name="schedule_2011-wave-2011", title="Wave 2011",
                       description="Test.", routing=routing)  # fmt: skip
    descriptor, table = unpacked(data, tmp_path)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert descriptor["title"] == "Wave 2011" and descriptor["licenses"] == []
    [resource] = descriptor["resources"]
    schema = resource["schema"]
    assert [f["name"] for f in schema["fields"]] == header
    assert schema["missingValues"] == ["", NO_ANSWER, DONT_KNOW, NOT_APPLICABLE]
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["q2_strategy_involvement"]["constraints"]["enum"] == ["yes", "no"]
    assert fields["q2_strategy_involvement"]["title"] == "Q2 Users involved in strategy"
    assert fields["q11a_swia_usefulness"]["description"].endswith(
        "Asked only of those who answered “Yes” to Q11 Used SWIA guide."
    )
    assert fields["q24_inhouse_pct"]["type"] == "integer"
    assert fields["q24_inhouse_pct"]["constraints"] == {"minimum": 0, "maximum": 100}
    assert len(table) == len(rows)
    # a value the schedule does not allow is caught by the schema
    broken = [list(r) for r in rows]
    broken[0][header.index("q2_strategy_involvement")] = "maybe"
    broken[1][header.index("q26_impacts")] = "shared_services;nonsense"
    broken[2][header.index("q24_inhouse_pct")] = "150"
    unpacked(package_zip(SCHEDULE, header, broken, name="x", title="x", description="x"),
             tmp_path)  # fmt: skip
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert sorted(e[0] for e in report.flatten(["fieldName"])) == [
        "q24_inhouse_pct", "q26_impacts", "q2_strategy_involvement"
    ]  # fmt: skip


def unpacked(data: bytes, folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names[0] == "datapackage.json" and len(names) == 2
        archive.extractall(folder)
        descriptor = json.loads(archive.read("datapackage.json"))
    path = folder / descriptor["resources"][0]["path"]
    return descriptor, pd.read_csv(path, dtype=str, keep_default_na=False)


def xform_of(data: bytes) -> str:
    warnings: list[str] = []
    return convert(xlsform=io.BytesIO(data), warnings=warnings, validate=False,
                   file_type=XLSX).xform  # fmt: skip


def binds(xform: str) -> dict[str, dict[str, str]]:
    """Each question's <bind> attributes, by the question's id (the last step of its path)."""
    found = {}
    for attributes in re.findall(r"<bind ([^>]*)/>", xform):
        pairs = dict(re.findall(r'([\w:]+)="([^"]*)"', attributes))
        found[pairs["nodeset"].rsplit("/", 1)[-1]] = pairs
    return found


@pytest.mark.parametrize("instrument", [SCHEDULE, CCPS], ids=lambda i: i.name)
def test_xlsform__pyxform_converts_it_with_every_question_and_its_routing(
    instrument: Instrument,
) -> None:
    data = xlsform_bytes(instrument, form_id=instrument.name, title=instrument.title,
                         version="1")  # fmt: skip
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    xform = xform_of(data)
    found = binds(xform)
    asked = [*instrument.record_variables, *instrument.questions]
    assert [v.id for v in asked if v.id not in found] == []
    for v in asked:
        condition = instrument.condition(v.id)
        rule = found[v.id].get("relevant", "")
        if condition is None:
            assert not rule, v.id
            continue
        for clause in condition.clauses:
            part = instrument.part_of(clause.variable).id.lower()
            assert f"selected( /data/part_{part}/{clause.variable} , '{clause.code}')" in rule
    if instrument is SCHEDULE:
        assert found["q13_guidance_use"]["relevant"] == (
            "selected( /data/part_c/q11_swia_used , 'yes') or "
            "selected( /data/part_c/q12_sg_used , 'yes')"
        )
        assert found["q24_inhouse_pct"]["type"] == "int"
        assert "&lt;= 100" in found["q24_inhouse_pct"]["constraint"]
        assert "count-selected(.)" in found["q26_impacts"]["constraint"]
        # the reserved codes are choices of a question, never of the interview record
        assert "<name>dont_know</name><label>Don't know</label>" in xform
        role = re.search(r"<instance id=\"respondent_role\">(.*?)</instance>", xform)
        assert role and "no_answer" not in role.group(1)
        assert '<select ref="/data/part_h/q26_impacts">' in xform


def test_relevant__and_binds_tighter_than_or() -> None:
    instrument = made_up(
        "      - {id: q1, type: yesno, label: One, text: 'One?'}\n"
        "      - {id: q2, type: multi, choices: long, label: Two, text: 'Two?'}\n"
        "      - {id: q3, type: text, text: 'Three?', asked_if: q1 = yes and q2 = b or q1 = no}\n"
        "      - {id: q4, type: single, choices: yes_no, label: Four, text: 'Four?'}\n"
    )
    assert relevant(instrument.condition("q3")) == (
        "(selected(${q1}, 'yes') and selected(${q2}, 'b')) or selected(${q1}, 'no')"
    )
    xform = xform_of(xlsform_bytes(instrument, form_id="made_up", title="Made up", version="1"))
    assert binds(xform)["q3"]["relevant"] == (
        "(selected( /data/part_a/q1 , 'yes') and selected( /data/part_a/q2 , 'b')) or "
        "selected( /data/part_a/q1 , 'no')"
    )
    # the schedule's own list called yes_no and the yes/no questions' list do not collide
    # a schedule's own list called yes_no is not the yes/no questions' list; a list the
    # interview record and a question share is there without and with the reserved codes
    workbook = load_workbook(io.BytesIO(xlsform_bytes(instrument, form_id="m", title="m",
                                                      version="1")))  # fmt: skip
    survey = {row[1]: row[0] for row in workbook["survey"].iter_rows(min_row=2, values_only=True)}
    choices: dict[str, list[str]] = {}
    for list_name, code, _label in workbook["choices"].iter_rows(min_row=2, values_only=True):
        choices.setdefault(list_name, []).append(code)
    listed = {name: choices[kind.split()[1]] for name, kind in survey.items()
              if kind.startswith("select")}  # fmt: skip
    assert listed == {
        "respondent_role": ["a_very_long_code_for_a_choice", "b"],
        "q1": ["yes", "no", "no_answer", "dont_know"],
        "q2": ["a_very_long_code_for_a_choice", "b", "no_answer", "dont_know"],
        "q4": ["sure", "unsure", "no_answer", "dont_know"],
    }


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_codebook__lists_every_variable_its_codes_and_routing_in_words() -> None:
    routing = {"q11a_swia_usefulness": "answered “Yes” to Q11 Used SWIA guide"}
    text = docx_text(codebook_docx(SCHEDULE, title="Wave 2011", wave_key="2011",
                                   routing=routing))  # fmt: skip
    document_ids = set(re.findall(r"\b[a-z][a-z0-9_]+\b", text))
    missing = [v.name for v in analysis_variables(SCHEDULE) if v.name not in document_ids]
    assert missing == []
    assert "Those who answered “Yes” to Q11 Used SWIA guide" in text
    assert "Not at all useful" in text and "no_answer (Did not answer): SPSS -9, Stata .a" in text
    assert "q26_impacts_5" in text  # Stata's name for a long indicator


# --- through the services, on a wave where two councils have validated ----------------------


@dataclass(frozen=True)
class Built:
    engine: Engine
    url: str


@pytest.fixture(scope="module", params=DATABASES)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """The builder's whole wave imported into wave 2011; Angus and Fife validated."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('analysis') / 'survey.sqlite3'}"
    else:
        postgres: PostgresTestDatabase = request.getfixturevalue("postgres_database")
        postgres.empty()
        url = postgres.url
    engine = make_engine(url)
    initialise(engine)
    with Session(engine) as s:
        import_wave(s, actor=INTERVIEWER, wave_key="2011", filename="wave.csv",
                    data=csv_bytes(build_wave(SCHEDULE), columns(SCHEDULE)))  # fmt: skip
    for code in (ANGUS, FIFE):
        with Session(engine) as s:
            review.validate_submission(s, actor=Actor(f"council-{code}", "council", code),
                                       interview_id=interview_id_of(s, code))  # fmt: skip
    yield Built(engine, url)
    engine.dispose()


def made(built: Built, fmt: str, who: Actor = AUDITOR, **kwargs: bool) -> bytes:
    with Session(built.engine) as s:
        return analysis_files.analysis_file(s, actor=who, wave_key="2011", fmt=fmt, **kwargs)


def test_service_sav__validated_councils_only__labels__verbatim_as_the_reader_may(
    built: Built, tmp_path: Path
) -> None:
    frame, meta = read_sav(made(built, "sav"), tmp_path, user_missing=True)
    assert list(frame["council_name"]) == list(VALIDATED)
    assert "Published view" in " ".join(meta.notes)
    assert meta.file_label.startswith("Wave 2011:")
    assert meta.column_names_to_labels["q11a_swia_usefulness"] == "Q11a SWIA guidance"
    assert meta.variable_value_labels["status"][4.0] == "Completed"
    rows = build_wave(SCHEDULE)
    for name, found in zip(frame["council_name"], frame["q24_inhouse_pct"], strict=True):
        said = row_of(rows, name)["q24_inhouse_pct"]
        assert found == (-8.0 if said == DONT_KNOW else float(said))
    assert set(frame["q2_explain"].str.strip()) == {""}  # an auditor does not read verbatim
    frame, _ = read_sav(made(built, "sav", ANALYST), tmp_path)
    assert frame["q4_influence_example"].str.strip().tolist() == [
        row_of(rows, name)["q4_influence_example"].strip() for name in VALIDATED
    ]


def test_service_files__the_draft_holds_every_council_and_says_so(
    built: Built, tmp_path: Path
) -> None:
    frame, meta = read_sav(made(built, "sav", include_unvalidated=True), tmp_path)
    assert len(frame) == 32 and "DRAFT" in meta.file_label and "DRAFT" in " ".join(meta.notes)
    frame, meta = read_dta(made(built, "dta", include_unvalidated=True), tmp_path)
    assert len(frame) == 32 and meta.file_label.startswith("DRAFT")
    descriptor, table = unpacked(made(built, "datapackage", include_unvalidated=True), tmp_path)
    assert len(table) == 32 and descriptor["description"].startswith("DRAFT")
    assert descriptor["name"].endswith("-draft")


def test_service_dta_and_data_package__validated_councils_only(
    built: Built, tmp_path: Path
) -> None:
    frame, meta = read_dta(made(built, "dta"), tmp_path, user_missing=True)
    assert list(frame["council_name"]) == list(VALIDATED)
    assert meta.variable_value_labels["q2_strategy_involvement"]["b"] == "Don't know"
    descriptor, table = unpacked(made(built, "datapackage"), tmp_path)
    assert list(table["council_name"]) == list(VALIDATED)
    with Session(built.engine) as s:
        assert descriptor["title"] == wave_summary(s, actor=AUDITOR, wave_key="2011").title
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    routed = {f["name"]: f for f in descriptor["resources"][0]["schema"]["fields"]}
    assert (
        "Asked only of those who answered “Yes” to Q11"
        in (routed["q11a_swia_usefulness"]["description"])
    )


def test_service_instrument_files__no_council_data(built: Built) -> None:
    xlsform = made(built, "xlsform")
    cells = [
        str(value)
        for sheet in load_workbook(io.BytesIO(xlsform)).worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    codebook = docx_text(made(built, "codebook"))
    for council in ("Fife", "Angus", FIFE, ANGUS):
        assert council not in cells and council not in codebook
    xform = xform_of(xlsform)
    assert 'version="' in xform and all(v.id in binds(xform) for v in SCHEDULE.questions)
    assert "Those who answered “Yes” to Q11 Used SWIA guide" in codebook
    with Session(built.engine) as s:
        assert analysis_files.xlsform(s, actor=AUDITOR, wave_key="2011") == xlsform


def denials(built: Built, username: str) -> list[AuditEvent]:
    with Session(built.engine) as s:
        return list(s.scalars(
            select(AuditEvent).where(AuditEvent.action == "permission.denied",
                                     AuditEvent.username == username)
            .order_by(AuditEvent.id)
        ))  # fmt: skip


@pytest.mark.parametrize("role", ["admin", "interviewer", "analyst", "auditor", "council"])
@pytest.mark.parametrize("fmt", list(analysis_files.FORMATS))
def test_every_file_as_every_role__staff_get_it__a_council_is_refused_and_logged(
    built: Built, fmt: str, role: str
) -> None:
    who = COUNCIL if role == "council" else Actor(f"{role}-{fmt}", role)  # type: ignore[arg-type]
    if role != "council":
        assert made(built, fmt, who).startswith(MAGIC.get(fmt, b"PK"))
        assert denials(built, who.username) == []
        return
    before = len(denials(built, who.username))
    with Session(built.engine) as s, pytest.raises(PermissionDenied, match="a council account"):
        analysis_files.analysis_file(s, actor=who, wave_key="2011", fmt=fmt)
    logged = denials(built, who.username)
    assert len(logged) == before + 1 and logged[-1].target == "wave 2011"


def test_cli_export_formats__published_unless_the_draft_is_asked_for(
    built: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "wave.sav"
    with cli_on(built.url, monkeypatch):
        assert survey_cli.main(["export", "--wave", "2011", "--format", "sav",
                                "--out", str(out)]) == 0  # fmt: skip
        assert "Only councils that have validated" in capsys.readouterr().out
        assert list(pyreadstat.read_sav(str(out))[0]["council_code"]) == [ANGUS, FIFE]
        dta = tmp_path / "wave.dta"
        assert survey_cli.main(["export", "--format", "dta", "--include-unvalidated",
                                "--out", str(dta)]) == 0  # fmt: skip
        assert "DRAFT" in capsys.readouterr().err
        assert len(pyreadstat.read_dta(str(dta))[0]) == 32
        for fmt in ("datapackage", "xlsform", "codebook"):
            assert survey_cli.main(["export", "--format", fmt,
                                    "--out", str(tmp_path / fmt)]) == 0  # fmt: skip
            assert (tmp_path / fmt).read_bytes()[:2] == b"PK"
        assert "instrument only" in capsys.readouterr().out


# --- the download panel, through AppTest -----------------------------------------------------


def panel(username: str, role: str, draft: bool) -> None:
    """The script AppTest runs: the panel as the Dashboard would call it."""
    from app_pages.analysis_files import analysis_downloads
    from services.actor import Actor

    analysis_downloads(Actor(username, role), "2011", include_unvalidated=draft)  # type: ignore[arg-type]


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """What each download button would make when clicked, by its file's name."""
    files: dict[str, Callable[[], Any]] = {}
    add = MediaFileManager.add_deferred

    def keep(self: MediaFileManager, data_callable: Callable[[], Any], mimetype: str | None,
             coordinates: str, file_name: str | None = None, **kwargs: Any) -> str:  # fmt: skip
        files[str(file_name)] = data_callable
        return add(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return files


@pytest.mark.sqlite_only
@pytest.mark.parametrize("draft", [False, True])
def test_panel__five_downloads_made_on_click_as_the_person_who_asked(
    app_db: Engine, deferred: dict[str, Callable[[], Any]], tmp_path: Path, draft: bool
) -> None:
    fife = interview_id_of(app_db, FIFE)
    complete_whole_interview(app_db, INTERVIEWER, fife)
    with Session(app_db) as s:
        review.validate_submission(s, actor=COUNCIL, interview_id=fife)
    complete_whole_interview(app_db, INTERVIEWER, interview_id_of(app_db, ANGUS))  # unvalidated
    at = AppTest.from_function(panel, args=("audrey", "auditor", draft), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    assert [b.proto.label for b in at.get("download_button")] == [
        "SPSS (.sav)", "Stata (.dta)", "Data package (.zip)", "XLSForm (.xlsx)", "Codebook (Word)"
    ]  # fmt: skip
    suffix = "_DRAFT" if draft else ""
    assert sorted(deferred) == sorted([
        f"answers_2011{suffix}.sav", f"answers_2011{suffix}.dta",
        f"answers_2011{suffix}_datapackage.zip", "instrument_2011_xlsform.xlsx",
        "instrument_2011_codebook.docx",
    ])  # fmt: skip
    assert ("Draft view" in at.caption[0].value) == draft
    # clicked later, outside the page's run: made as the auditor, with the view shown
    sav = deferred[f"answers_2011{suffix}.sav"]()
    frame, _ = read_sav(sav, tmp_path)
    if draft:
        assert len(frame) == 32 and {ANGUS, FIFE} <= set(frame["council_code"])
    else:
        assert list(frame["council_code"]) == [FIFE]
    assert set(frame["q2_explain"].str.strip()) == {""}  # still the auditor's view
    assert deferred["instrument_2011_codebook.docx"]()[:2] == b"PK"
