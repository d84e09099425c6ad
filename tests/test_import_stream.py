"""An import of any size: a wave of more organisations than a chunk (and than the 1,000 rows
imports were once limited to) is read and written a chunk at a time, all of it or none of it,
with its counters kept; the CLI draws a progress bar."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import survey_cli
from db import counters
from db.models import Answer, AnswerHistory, AuditEvent, Interview, Wave
from flatfile import checker
from flatfile.table import UnreadableFile, open_table
from instrument.loader import instrument_named, instrument_text
from services import imports
from services.actor import Actor
from services.audit_log import verify_chain
from services.frames import load_frame
from services.imports import ImportRefused, import_wave
from services.waves import create_wave
from tests.conftest import table_checksums
from tests.wave_builder import build_wave, columns, csv_bytes

ADMIN = Actor("ada", "admin")
INTERVIEWER = Actor("ilona", "interviewer")
SCHEDULE = instrument_named("schedule_2011")
PROVIDERS = 1_050  # more than imports once allowed


def _providers_wave(engine: Engine, n: int = PROVIDERS) -> list[dict[str, str]]:
    """A frame of `n` care providers, a wave on it, and the file of every one's interview
    (the 32 councils' rows of a built wave, in turn, under the providers' codes)."""
    members = "code,name\r\n" + "".join(f"P{k:05d},Provider {k:05d}\r\n" for k in range(n))
    with Session(engine) as s:
        load_frame(s, actor=ADMIN, key="providers", title="Care providers",
                   member="provider", data=members.encode())  # fmt: skip
    with Session(engine) as s:
        create_wave(s, actor=ADMIN, key="providers", title="Providers",
                    instrument_text=instrument_text("schedule_2011"),
                    instrument_name="schedule_2011", frame="providers")  # fmt: skip
    built = build_wave(SCHEDULE)
    rows = []
    for k in range(n):
        row = dict(built[k % len(built)])
        row.update(council_code=f"P{k:05d}", council_name=f"Provider {k:05d}")
        rows.append(row)
    return rows


@pytest.fixture(params=["here", "apart"])
def checked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> str:  # fmt: skip
    """Where the file is checked: in the importing process (an upload's bytes, a small file),
    or in a child process while this one writes (a large file on disk: here, any file on
    disk). Apart, the parent must never check a row itself."""
    if request.param == "apart":
        monkeypatch.setattr(checker, "APART_BYTES", 0)
        monkeypatch.setattr(checker, "_checked_here", _not_here)
    return str(tmp_path) if request.param == "apart" else ""


def _not_here(*args: object, **kwargs: object) -> None:
    raise AssertionError("the file was checked in the importing process, not apart")


def _import(
    engine: Engine, data: bytes, checked: str = "", **given: object
) -> imports.ImportReport:
    """Import the file: as bytes, or (`checked` a folder) from a file on disk."""
    with contextlib.ExitStack() as files, Session(engine) as s:
        source: BinaryIO = io.BytesIO(data)
        if checked:
            path = Path(checked) / "providers.csv"
            path.write_bytes(data)
            source = files.enter_context(path.open("rb"))
        return import_wave(s, actor=INTERVIEWER, wave_key="providers", data=source,
                           filename="providers.csv", **given)  # type: ignore[arg-type]  # fmt: skip


def _drifted(engine: Engine) -> int:
    with engine.begin() as connection:
        wave_id = connection.scalar(select(Wave.id).where(Wave.key == "providers"))
        return counters.rebuild(connection, wave_id).drifted


def test_import__more_rows_than_a_chunk_and_than_1_000__every_row_written_and_counted(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, checked: str
) -> None:
    monkeypatch.setattr(imports, "CHUNK", 200)  # six chunks, the last one short
    rows = _providers_wave(engine)
    progress: list[imports.Progress] = []

    report = _import(engine, csv_bytes(rows, columns(SCHEDULE)), checked, progress=progress.append)

    assert report.councils == PROVIDERS
    assert [p.rows for p in progress] == [200, 400, 600, 800, 1_000, PROVIDERS]
    assert progress[-1].read == progress[-1].size  # the whole file, and no more
    with Session(engine) as s:
        completed = s.scalar(select(func.count()).select_from(Interview)
                             .join(Wave).where(Wave.key == "providers",
                                               Interview.status == "completed"))  # fmt: skip
        answers = s.scalar(select(func.count()).select_from(Answer))
        history = s.scalar(select(func.count()).select_from(AnswerHistory))
        assert completed == sum(r["status"] == "completed" for r in rows)
        assert answers == history == report.values_changed > PROVIDERS * 10
        assert verify_chain(s, actor=ADMIN).intact
    assert _drifted(engine) == 0  # the counters kept chunk by chunk equal the reference


def test_import__each_first_answer_has_its_history_row__version_1_from_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first answer's history is copied from it by the database: one row each, the same
    value, time and person, and no other answer's (a chunk's rows are told by their ids)."""
    monkeypatch.setattr(imports, "CHUNK", 7)
    rows = _providers_wave(engine, 20)
    _import(engine, csv_bytes(rows[:9], columns(SCHEDULE)))  # two chunks, then more later
    rows[0] = {**rows[0], "q15_skills_capacity": "Changed by the second file"}
    _import(engine, csv_bytes(rows, columns(SCHEDULE)), replace=True, reason="corrected")

    with Session(engine) as s:
        answers = {(a.interview_id, a.variable_id): a for a in s.scalars(select(Answer))}
        history = s.scalars(select(AnswerHistory).order_by(AnswerHistory.id)).all()
    firsts = [h for h in history if h.version == 1]
    assert sorted((h.interview_id, h.variable_id) for h in firsts) == sorted(answers)
    for h in firsts:
        answer = answers[h.interview_id, h.variable_id]
        assert (h.answer_id, h.old_value, h.old_note, h.new_note, h.changed_by, h.source) == (
            answer.id, None, None, None, "ilona", "import")  # fmt: skip
        if answer.version == 1:
            assert (h.new_value, h.changed_at) == (answer.value, answer.updated_at)
    [second] = [h for h in history if h.version == 2]
    assert (second.variable_id, second.new_value) == ("q15_skills_capacity",
                                                      "Changed by the second file")  # fmt: skip
    assert second.old_value == next(h.new_value for h in firsts
                                    if (h.interview_id, h.variable_id) ==
                                    (second.interview_id, second.variable_id))  # fmt: skip


def test_import__a_problem_in_the_last_chunk__nothing_of_the_earlier_chunks_kept(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, checked: str
) -> None:
    monkeypatch.setattr(imports, "CHUNK", 100)
    rows = _providers_wave(engine, 350)
    rows[-1] = {**rows[-1], "interview_date": "2011-02-31"}
    with Session(engine) as s:
        before = table_checksums(s)

    with pytest.raises(ImportRefused) as refused:
        _import(engine, csv_bytes(rows, columns(SCHEDULE)), checked)

    assert [str(p) for p in refused.value.problems] == [
        "row 351, Provider 00349, column interview_date, value '2011-02-31': "
        "2011-02-31 is not a real date: February 2011 has 28 days"
    ]
    with Session(engine) as s:
        assert table_checksums(s) == before
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action.like("answer.imported%"))) == 0  # fmt: skip


def test_import__many_bad_rows__every_one_counted_and_the_first_hundred_listed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, checked: str
) -> None:
    monkeypatch.setattr(imports, "CHUNK", 100)
    rows = [{**r, "council_code": f"X{k}"} for k, r in enumerate(_providers_wave(engine, 250))]

    with pytest.raises(ImportRefused) as refused:
        _import(engine, csv_bytes(rows, columns(SCHEDULE)), checked)

    assert refused.value.total == 250
    assert len(refused.value.problems) == 101  # a hundred, then how many more
    assert str(refused.value.problems[-1]).startswith("… and 150 more problems not shown")


def test_import__the_files_and_the_waves_problems__listed_together_in_row_order(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, checked: str
) -> None:
    """The file's problems are found as it is read, the wave's (answers already there) by
    the writer a chunk later: one refusal lists both in the file's order."""
    monkeypatch.setattr(imports, "CHUNK", 100)
    rows = _providers_wave(engine, 250)
    _import(engine, csv_bytes(rows, columns(SCHEDULE)), checked)
    with Session(engine) as s:
        answered = s.scalar(select(func.count(func.distinct(Answer.interview_id))))
    rows[40] = {**rows[40], "interview_date": "2011-02-31"}

    with pytest.raises(ImportRefused) as refused:
        _import(engine, csv_bytes(rows, columns(SCHEDULE)), checked)

    assert refused.value.total == answered + 1  # each council with answers, and the date
    assert any("not a real date" in p.reason and p.row == 42 for p in refused.value.problems)
    listed = refused.value.problems[:-1]
    assert [p.row for p in listed] == sorted(p.row or 0 for p in listed)
    assert listed[0].row == 2 and "already has answers" in listed[0].reason


@pytest.mark.parametrize("apart_bytes", [checker.APART_BYTES, 0], ids=["here", "apart"])
def test_cli_import__a_file_on_disk__progress_bar_on_standard_error(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, apart_bytes: int,
) -> None:  # fmt: skip
    monkeypatch.setattr(checker, "APART_BYTES", apart_bytes)
    path = tmp_path / "wave.csv"
    path.write_bytes(csv_bytes(build_wave(SCHEDULE), columns(SCHEDULE)))

    assert survey_cli.main(["import", str(path), "--wave", "2011", "--progress"]) == 0

    out, err = capsys.readouterr()
    assert out.startswith("Imported 32 council(s) into wave 2011")
    assert err.endswith(f"\r[{'#' * 30}] 100%  32 rows checked\n")



def test_import__a_file_that_is_not_a_waves__refused_by_the_checks_apart(
    engine: Engine, checked: str
) -> None:
    _providers_wave(engine, 5)

    with pytest.raises(ImportRefused) as refused:
        _import(engine, b"name,age\r\nx,1\r\n", checked)

    assert "none of the column names is one the survey uses" in str(refused.value)


def test_import__more_rows_than_the_wave_has__refused_part_way_by_the_checks_apart(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, checked: str
) -> None:
    monkeypatch.setattr(imports, "CHUNK", 10)
    rows = _providers_wave(engine, 30)
    with Session(engine) as s:
        before = table_checksums(s)

    with pytest.raises(ImportRefused) as refused:
        _import(engine, csv_bytes(rows + rows[:1], columns(SCHEDULE)), checked)

    assert "the file has more than 30 rows of data" in str(refused.value)
    with Session(engine) as s:
        assert table_checksums(s) == before  # three chunks were written, and rolled back


def test_import__the_checking_process_stops__said_so_and_nothing_written(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(checker, "APART_BYTES", 0)
    monkeypatch.setattr(checker, "_CHILD", ("-c", "import sys; sys.exit(3)"))
    rows = _providers_wave(engine, 30)
    with Session(engine) as s:
        before = table_checksums(s)

    with pytest.raises(checker.CheckerFailed, match=r"stopped \(exit code 3\)"):
        _import(engine, csv_bytes(rows, columns(SCHEDULE)), str(tmp_path))

    with Session(engine) as s:
        assert table_checksums(s) == before


NOISY_CHILD = """
import flatfile.checker as checker
real = checker.open_wave_file
def noisy(*args, **kwargs):
    print("a library has something to say")
    return real(*args, **kwargs)
checker.open_wave_file = noisy
raise SystemExit(checker.main())
"""


def test_import__the_checking_process_prints__its_messages_still_read(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """Standard output carries the child's messages alone: a line printed there by anything
    else goes to standard error instead of breaking a message."""
    monkeypatch.setattr(checker, "APART_BYTES", 0)
    monkeypatch.setattr(checker, "_CHILD", ("-c", NOISY_CHILD))
    rows = _providers_wave(engine, 30)

    report = _import(engine, csv_bytes(rows, columns(SCHEDULE)), str(tmp_path))

    assert report.councils == 30
    assert "a library has something to say" in capfd.readouterr().err


def test_import__a_write_fails_part_way__the_failure_raised_and_nothing_kept(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a chunk is written by a thread while the next is read: its failure is
    the import's, and nothing of the chunks before it stays."""
    monkeypatch.setattr(imports, "CHUNK", 10)
    rows = _providers_wave(engine, 45)
    with Session(engine) as s:
        before = table_checksums(s)
    written: list[int] = []

    def fails_on_the_third(connection: object, table: object, columns: object,
                           history: list[object]) -> None:  # fmt: skip
        if getattr(table, "name", "") == "answer_history":
            written.append(len(history))
            if len(written) == 3:
                raise OSError("the disk is full")
        real(connection, table, columns, history)  # type: ignore[arg-type]

    real = imports.write_rows
    monkeypatch.setattr(imports, "write_rows", fails_on_the_third)

    with pytest.raises(OSError, match="the disk is full"):
        _import(engine, csv_bytes(rows, columns(SCHEDULE)))

    assert len(written) == 3  # two chunks written, the third failed, the rest never written
    with Session(engine) as s:
        assert table_checksums(s) == before

# --- reading a file a line at a time -----------------------------------------------------------


def _read_all(data: bytes) -> list[list[str]]:
    stream = open_table(io.BytesIO(data), "f.csv", max_rows=10**6, max_columns=5)
    return [cells for cells, _ in stream.rows]


def test_reading__a_byte_not_utf8_past_the_first_megabyte__refused_at_its_row_and_column() -> None:
    data = b"a,b\r\n" + b"1,x\r\n" * 300_000 + b"2," + bytes([0xA3]) + b"\r\n"  # 1.5 MB

    with pytest.raises(UnreadableFile) as bad:
        _read_all(data)

    assert str(bad.value) == (
        "row 300002, column b: the file is not UTF-8 text (byte 0xA3 here, '£' in "
        "Windows-1252); in Excel choose Save As › 'CSV UTF-8 (Comma delimited)'"
    )


def test_reading__a_stray_quote_far_down__read_as_spreadsheets_read_it_every_row_once() -> None:
    data = b"a,b\r\n" + b"1,x\r\n" * 300_000 + b'2,"y"z\r\n3,w\r\n'

    rows = _read_all(data)

    assert len(rows) == 300_002 and rows[-2:] == [["2", "yz"], ["3", "w"]]


def test_reading__a_quote_never_closed__refused_at_the_cell_it_opens() -> None:
    data = b"a,b\r\n1,x\r\n2,\"y\r\n" + b"z\r\n" * 1_000

    with pytest.raises(UnreadableFile) as bad:
        _read_all(data)

    assert str(bad.value).startswith('row 3, column b: a quote (") opens this cell')
