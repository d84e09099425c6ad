"""Killed processes: an import killed in the middle leaves nothing behind and a sound database,
and an autosave acknowledged before the kill is never lost. The children are real processes
(`python -c`), ended with SIGKILL so nothing of theirs gets to clean up."""

from __future__ import annotations

import itertools
import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Answer, AnswerHistory
from ops.demo import fill_demo_wave
from services.actor import Actor
from services.export import export_wave
from services.imports import import_wave
from tests.conftest import REPO, TableChecksum, interview_id_of, table_checksums
from tests.writers import autosave, read_versions

pytestmark = pytest.mark.slow

CHILD_ACTOR = Actor("crashtest", "interviewer")
DEMO_FILLER = Actor("crashtest-admin", "admin")  # filling the demo wave manages waves
STREAM_QUESTIONS = ("q2_explain", "q3_how", "q4_influence_example", "q6_why_least")
STREAM_COUNCIL = "S12000041"  # Angus
WRITING_HISTORY = "writing history"
LINE_TIMEOUT_S = 120


# --- the children -----------------------------------------------------------------------------


def import_until_killed(url: str, path: str) -> None:
    """Child: import the file, and stop still inside its transaction once over a thousand
    answers, with their history and audit rows, are written and its counters are being
    added to (interviews changed too, nothing committed). The bulk writes go below
    SQLAlchemy (`db.bulk`), so the hook waits for the counters' statement after them."""
    engine = make_engine(url)

    @event.listens_for(engine, "after_cursor_execute")
    def _hold(connection, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO ANSWER_COUNT"):
            written = connection.exec_driver_sql("SELECT count(*) FROM answer").scalar()
            if written > 1_000:
                print(f"{WRITING_HISTORY} after {written} answers", flush=True)
                time.sleep(600)

    with Session(engine) as session:
        import_wave(
            session,
            actor=CHILD_ACTOR,
            wave_key="2011",
            data=Path(path).read_bytes(),
            filename=Path(path).name,
        )
    print("committed", flush=True)


def stream_autosaves(url: str, interview_id: int, first: int = 0) -> None:
    """Child: autosave verbatim answers without end, printing each one once it is committed."""
    engine = make_engine(url)
    versions = read_versions(engine, CHILD_ACTOR, interview_id)
    for n in itertools.count(first):
        key = (interview_id, STREAM_QUESTIONS[n % len(STREAM_QUESTIONS)])
        saved = autosave(engine, CHILD_ACTOR, key, f"stream save {n}", versions.get(key, 0))
        versions[key] = saved.version
        print(json.dumps([saved.variable_id, saved.value, saved.version]), flush=True)


class Child:
    """A `python -c` child running one of the functions above; its stdout read line by line."""

    started: ClassVar[list[Child]] = []  # killed after each test (`no_child_left`)

    def __init__(self, call: str) -> None:
        code = f"from tests.test_crash import *\n{call}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        Child.started.append(self)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self) -> str:
        line = self.lines.get(timeout=LINE_TIMEOUT_S)
        if line is None:
            assert self.process.stderr is not None
            raise AssertionError(
                f"the child ended (exit {self.process.wait()}):\n{self.process.stderr.read()}"
            )
        return line

    def acks(self, n: int) -> list[tuple[str, str, int]]:
        """The next `n` acknowledgements, waiting for them."""
        return [tuple(json.loads(self.next_line())) for _ in range(n)]  # type: ignore[misc]

    def acks_so_far(self) -> list[tuple[str, str, int]]:
        """Every acknowledgement read but not yet taken, without waiting."""
        lines = []
        while not self.lines.empty() and (line := self.lines.get()) is not None:
            lines.append(tuple(json.loads(line)))
        return lines  # type: ignore[return-value]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL


@pytest.fixture(autouse=True)
def no_child_left() -> Iterator[None]:
    """A child a failed test leaves running would hold its transaction's locks, and every
    later test on that database would wait for it: none outlives its test."""
    yield
    while Child.started:
        child = Child.started.pop()
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(timeout=30)


# --- what the database must look like afterwards -----------------------------------------------


def table_rows(engine: Engine) -> dict[str, TableChecksum]:
    """Every row of every table, in primary key order, as a checksum per table."""
    with engine.connect() as connection:
        return table_checksums(connection)


def assert_sound(engine: Engine) -> None:
    """SQLite's own integrity and foreign-key checks pass; on either database every answer has
    exactly one history row per version and agrees with its latest one."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").all() == [("ok",)]
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        else:
            assert connection.scalar(text("SELECT 1")) == 1
    with Session(engine) as session:
        for answer in session.scalars(select(Answer)):
            history = session.execute(
                select(AnswerHistory.version, AnswerHistory.new_value)
                .where(AnswerHistory.answer_id == answer.id)
                .order_by(AnswerHistory.version)
            ).all()
            assert [v for v, _ in history] == list(range(1, answer.version + 1)), answer.id
            assert history[-1].new_value == answer.value


def demo_wave_file(make_database, folder: Path) -> Path:  # type: ignore[no-untyped-def]
    """A large valid flat file: the demo wave (31 completed interviews, one declined), exported."""
    scratch = make_database("scratch")
    with Session(scratch) as session:
        fill_demo_wave(session, actor=DEMO_FILLER)
    with Session(scratch) as session:
        data = export_wave(
            session, actor=CHILD_ACTOR, include_unvalidated=True, wave_key="demo", fmt="csv"
        )
    path = folder / "demo-wave.csv"
    path.write_bytes(data)
    return path


# --- the tests --------------------------------------------------------------------------------


def test_sigkill_mid_import__leaves_no_rows_and_a_sound_database(
    engine: Engine, database_url: str, fresh_database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    flat_file = demo_wave_file(fresh_database, tmp_path)
    before = table_rows(engine)

    child = Child(f"import_until_killed({database_url!r}, {str(flat_file)!r})")
    line = child.next_line()
    assert line.startswith(WRITING_HISTORY)
    assert int(line.split()[-2]) > 1_000  # killed holding over a thousand uncommitted answers
    child.kill()

    assert_sound(engine)
    assert table_rows(engine) == before  # not one row of the interrupted import
    with Session(engine) as session:  # and the database takes the same import whole
        report = import_wave(
            session,
            actor=CHILD_ACTOR,
            wave_key="2011",
            data=flat_file.read_bytes(),
            filename=flat_file.name,
        )
        assert report.councils == 32
    with Session(engine) as session:
        assert export_wave(
            session, actor=CHILD_ACTOR, include_unvalidated=True, wave_key="2011", fmt="csv"
        ) == (flat_file.read_bytes())
    assert_sound(engine)


def test_sigkill_while_autosaving__every_acknowledged_save_is_kept(
    engine: Engine, database_url: str
) -> None:
    interview_id = interview_id_of(engine, STREAM_COUNCIL)
    acknowledged: list[tuple[str, str, int]] = []
    for first, kill_after in ((0, 25), (10_000, 60)):  # a second writer carries on after a kill
        child = Child(f"stream_autosaves({database_url!r}, {interview_id}, {first})")
        acknowledged += child.acks(kill_after)
        child.kill()
        assert_sound(engine)

    with Session(engine) as session:
        history = set(
            session.execute(
                select(
                    AnswerHistory.variable_id, AnswerHistory.new_value, AnswerHistory.version
                ).where(AnswerHistory.interview_id == interview_id)
            ).all()
        )
        answers = {
            a.variable_id: a
            for a in session.scalars(select(Answer).where(Answer.interview_id == interview_id))
        }
        assert session.scalar(select(func.count()).select_from(AnswerHistory)) == len(history)
    missing = [ack for ack in acknowledged if ack not in history]
    assert missing == []  # every acknowledged save, with its value and version
    for variable in STREAM_QUESTIONS:
        last_value, last_version = next(
            (value, version) for v, value, version in reversed(acknowledged) if v == variable
        )
        answer = answers[variable]
        # the last acknowledged save, or one the child committed but was killed before printing
        assert (answer.value, answer.version) == (last_value, last_version) or (
            answer.version == last_version + 1 and answer.value.startswith("stream save ")
        )
