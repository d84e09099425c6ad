"""Processes and threads writing one database at once.

Eight interviewer processes autosaving: every save is either persisted (with its own history
row, never lost or overwritten silently) or reported as a conflict, and nothing fails with
"database is locked" (the full 8 × 500 load is `benchmarks/concurrency.py`; this runs the same
writers with fewer saves each). Eight `survey_cli.py init` started together on an empty
database: all succeed, with one set of councils. Imports racing each other or an
interviewer's autosaves: history stays gap-free and chained, and an answer saved since an
import read it is refused in words, never overwritten."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Answer, AnswerHistory, Council, Interview, Wave
from db.setup import DEFAULT_WAVE
from instrument.loader import instrument_named
from services.actor import Actor
from services.answers import AnswerConflict, save_answer
from services.imports import ImportRefused, import_wave
from tests.conftest import DATABASES, INTERVIEWER, REPO, throwaway_postgres
from tests.wave_builder import build_wave, changed, columns, csv_bytes
from tests.writers import OWN_QUESTIONS, SHARED_QUESTIONS, run_writers, verify

WRITERS = 8
SAVES_EACH = 100

pytestmark = pytest.mark.slow


def test_the_writers_questions_are_always_asked() -> None:
    instrument = instrument_named("schedule_2011")
    for variable_id in SHARED_QUESTIONS + OWN_QUESTIONS:
        assert instrument.variable(variable_id).type == "text"
        assert instrument.condition(variable_id) is None, variable_id


def test_concurrent_autosaves__every_save_persisted_or_reported_as_a_conflict(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    outcome = run_writers(database_url, WRITERS, SAVES_EACH, tmp_path)

    assert outcome.errors == []  # no "database is locked", no other failure
    assert len(outcome.acks) + len(outcome.conflicts) == WRITERS * SAVES_EACH
    assert outcome.conflicts, "the writers overlapped on shared answers but never conflicted"
    assert all(c["theirs"] > c["based_on"] for c in outcome.conflicts)
    shared_keys = {(c["interview"], c["variable"]) for c in outcome.conflicts}
    assert {v for _, v in shared_keys} <= set(SHARED_QUESTIONS)

    checked = verify(database_url, outcome)
    assert checked.history_rows == len(outcome.acks)
    assert checked.lost == []
    assert checked.phantom == []
    assert checked.duplicate_versions == []
    assert checked.conflicts_persisted == []
    assert checked.final_mismatches == []

    with Session(engine) as session:
        rows = session.execute(select(AnswerHistory.interview_id, AnswerHistory.variable_id))
        history = Counter((interview_id, variable) for interview_id, variable in rows)
        for answer in session.scalars(select(Answer)):
            # versions run 1..n with no gap: one history row per persisted save
            assert history[(answer.interview_id, answer.variable_id)] == answer.version
        assert session.scalar(select(func.count()).select_from(Answer)) == len(history)


# --- first start ------------------------------------------------------------------------------

STARTERS = 8
COUNCILS = 32
# A child imports the CLI, says so, waits for the go file, then runs `init` as the shell would:
# all eight start migrating within a millisecond or two of each other.
INIT_CHILD = """
import pathlib, sys, time
import survey_cli
print("ready", flush=True)
go = pathlib.Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
sys.exit(survey_cli.main(["init"]))
"""


@pytest.fixture(params=DATABASES)
def never_opened_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has touched: a new SQLite file, or a throwaway PostgreSQL database
    on TEST_DATABASE_URL's server, created here and dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'first-start.sqlite3'}"
        return
    with throwaway_postgres("first_start") as url:
        yield url


def test_first_start__eight_init_at_once_on_an_empty_database__all_ready_one_set_of_councils(
    never_opened_url: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", INIT_CHILD, str(go)],
            cwd=REPO,
            env={**os.environ, "DATABASE_URL": never_opened_url},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(STARTERS)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    go.touch()
    results = [(c.wait(timeout=120), *c.communicate()) for c in children]

    for code, out, err in results:
        assert (code, err) == (0, ""), err
        assert f"Wave {DEFAULT_WAVE}: {COUNCILS} councils." in out
    engine = make_engine(never_opened_url)
    with Session(engine) as session:
        in_frame = select(func.count()).select_from(Council).where(Council.frame == "councils")
        assert session.scalar(in_frame) == COUNCILS
        assert list(session.scalars(select(Wave.key))) == [DEFAULT_WAVE]
        assert session.scalar(select(func.count()).select_from(Interview)) == COUNCILS
    engine.dispose()


# --- imports racing imports and autosaves -----------------------------------------------------

IMPORTER = Actor("importer", "interviewer")
ROUNDS = 3
RACED = ("q2_explain", "q3_how", "q4_influence_example")  # verbatim, asked of everyone


def _wave_file(rows: list[dict[str, str]], councils: list[str], text_: str) -> bytes:
    """The whole wave, with the raced answers of `councils` set to `text_`."""
    instrument = instrument_named("schedule_2011")
    cells = {name: dict.fromkeys(RACED, f"{text_}, {name}") for name in councils}
    return csv_bytes(changed(rows, cells), columns(instrument))


def _completed(rows: list[dict[str, str]], n: int) -> list[str]:
    return [r["council_name"] for r in rows if r["status"] == "completed"][:n]


def _import(url: str, data: bytes) -> str:
    """Import --replace in a session of this thread's own engine: 'imported' or the refusal."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            import_wave(session, actor=IMPORTER, wave_key=DEFAULT_WAVE, data=data, replace=True)
        return "imported"
    except ImportRefused as refused:
        return str(refused)
    finally:
        engine.dispose()


def _together(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released at once; what each returned, or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # handed to the test, which fails on it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def assert_history_chained(engine: Engine) -> int:
    """Every answer's history is versions 1..n, one row each, and each row's old value is the
    previous row's new value (the first's is blank); returns how many history rows there are."""
    with Session(engine) as session:
        chains: dict[tuple[int, str], list[tuple[int, str | None, str | None]]] = defaultdict(list)
        rows = session.execute(
            select(
                AnswerHistory.interview_id,
                AnswerHistory.variable_id,
                AnswerHistory.version,
                AnswerHistory.old_value,
                AnswerHistory.new_value,
            ).order_by(AnswerHistory.version, AnswerHistory.id)
        )
        for interview_id, variable_id, version, old, new in rows:
            chains[(interview_id, variable_id)].append((version, old, new))
        answers = {
            (a.interview_id, a.variable_id): (a.version, a.value)
            for a in session.scalars(select(Answer))
        }
    assert set(chains) == set(answers)
    for key, chain in chains.items():
        assert [v for v, _, _ in chain] == list(range(1, len(chain) + 1)), key
        previous = None
        for version, old, new in chain:
            assert old == previous, (key, version)
            previous = new
        assert answers[key] == (len(chain), previous), key
    return sum(len(c) for c in chains.values())


def test_two_imports_at_once__history_versions_gap_free_and_chained(
    engine: Engine, database_url: str
) -> None:
    rows = build_wave(instrument_named("schedule_2011"))
    raced = _completed(rows, 6)
    assert _import(database_url, _wave_file(rows, raced, "first")) == "imported"

    outcomes = []
    for n in range(ROUNDS):
        files = [_wave_file(rows, raced, f"round {n}, importer {k}") for k in (1, 2)]
        outcomes += _together(*(lambda f=f: _import(database_url, f) for f in files))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert outcomes.count("imported") >= ROUNDS  # one of each pair at least
    for refusal in (o for o in outcomes if o != "imported"):
        assert "changed since the import read it" in str(refusal)
    assert assert_history_chained(engine) > 0


def _autosaves(url: str, interview_id: int, saves: int) -> tuple[list[tuple], int]:  # type: ignore[type-arg]
    """An interviewer autosaving the raced answers: (value, version) of each save acknowledged,
    and how many were conflicts (someone saved since this writer last read the answer)."""
    engine = make_engine(url)
    versions: dict[str, int] = {}
    with Session(engine) as session:
        for a in session.scalars(select(Answer).where(Answer.interview_id == interview_id)):
            versions[a.variable_id] = a.version
    acks, conflicts = [], 0
    for n in range(saves):
        variable = RACED[n % len(RACED)]
        value = f"autosave {n}"
        try:
            with Session(engine) as session:
                saved = save_answer(
                    session,
                    actor=INTERVIEWER,
                    interview_id=interview_id,
                    variable_id=variable,
                    value=value,
                    based_on_version=versions.get(variable, 0),
                )
            acks.append((variable, value, saved.answer.version))
            versions[variable] = saved.answer.version
        except AnswerConflict as conflict:
            conflicts += 1
            versions[variable] = conflict.theirs.version
    engine.dispose()
    return acks, conflicts


def test_import_racing_autosaves__waits_and_writes_after_or_refuses_in_words(
    engine: Engine, database_url: str
) -> None:
    rows = build_wave(instrument_named("schedule_2011"))
    council = _completed(rows, 1)[0]
    assert _import(database_url, _wave_file(rows, [council], "first")) == "imported"
    with Session(engine) as session:
        interview_id = session.scalar(
            select(Interview.id).join(Council).where(Council.name == council)
        )
    assert interview_id is not None

    outcomes: list[object] = []
    acks: list[tuple] = []  # type: ignore[type-arg]
    for n in range(ROUNDS):
        data = _wave_file(rows, [council], f"import {n}")
        saved, imported = _together(
            lambda: _autosaves(database_url, interview_id, 30),
            lambda data=data: _import(database_url, data),
        )
        assert not isinstance(saved, Exception), saved
        acks += saved[0]  # type: ignore[index]
        outcomes.append(imported)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    for refusal in (o for o in outcomes if o != "imported"):
        assert f"{council}, column q" in str(refusal)
        assert "changed since the import read it: ilona saved version" in str(refusal)
    assert assert_history_chained(engine) > 0
    with Session(engine) as session:  # every acknowledged autosave is in the history as made
        history = set(
            session.execute(
                select(
                    AnswerHistory.variable_id, AnswerHistory.new_value, AnswerHistory.version
                ).where(AnswerHistory.interview_id == interview_id)
            )
        )
    assert set(acks) <= history
