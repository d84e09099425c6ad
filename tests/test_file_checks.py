"""The flat-file checks on their own, without a database (`flatfile.checks`): every hostile
file of tests/data/bad earns exactly the problems `expected.yaml` lists for it, quickly.

The same files go through the database in tests/test_hostile_files.py, which proves that a
refusal leaves every table as it was; here the checks alone, for every file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from db.councils import COUNCILS_FILE
from flatfile.checks import CouncilRef, FindCouncil, ImportProblem, ImportRefused, check_file
from instrument import load_instrument
from instrument.values import match_key
from tests.file_cases import CELL_CASES, FILE_CASES, HEADER_CASES
from tests.test_hostile_files import CORPUS, SECONDS, corpus_file
from tests.wave_builder import build_wave, changed, columns, csv_bytes, wave_file

SCHEDULE = load_instrument()
HEADER = columns(SCHEDULE)
WAVE = build_wave(SCHEDULE)  # never changed: `changed` gives copies


def councils() -> FindCouncil:
    """The 32 councils by code, name and alias, as the database seeds them (ids made up)."""
    found: dict[str, CouncilRef] = {}
    for n, entry in enumerate(yaml.safe_load(COUNCILS_FILE.read_text(encoding="utf-8")), 1):
        council = CouncilRef(n, entry["code"], entry["name"])
        for text in (entry["code"], entry["name"], *entry.get("aliases", [])):
            found[match_key(text)] = council
    return lambda text: found.get(match_key(text))


FIND = councils()


def problems_of(data: bytes, filename: str) -> list[ImportProblem]:
    try:
        _, problems = check_file(data, filename, SCHEDULE, FIND, wave_key="2011", councils=32)
    except ImportRefused as refused:
        return refused.problems
    return ImportRefused(problems).problems  # as the import refuses them: the first 100


@pytest.mark.parametrize("name", list(CORPUS))
def test_checks__hostile_file__every_problem_in_its_own_words_and_place(
    tmp_path: Path, name: str
) -> None:
    path = corpus_file(name, tmp_path)

    started = time.perf_counter()
    problems = problems_of(path.read_bytes(), path.name)
    seconds = time.perf_counter() - started

    assert [str(p) for p in problems] == CORPUS[name]["problems"]
    assert seconds < SECONDS, f"{name} took {seconds:.1f} s to check"


def test_checks__a_whole_plausible_wave__every_row_and_no_problem() -> None:
    rows, problems = check_file(
        csv_bytes(build_wave(SCHEDULE), columns(SCHEDULE)),
        "wave.csv",
        SCHEDULE,
        FIND,
        wave_key="2011",
        councils=32,
    )
    assert problems == []
    assert len(rows) == 32 and len({row.council.code for row in rows}) == 32


def test_checks__each_problem_says_where__row_council_and_column() -> None:
    wave = build_wave(SCHEDULE)
    n = next(i for i, row in enumerate(wave) if row["status"] == "completed")
    wave[n]["status"] = "finished"
    problems = problems_of(csv_bytes(wave, columns(SCHEDULE)), "wave.csv")
    assert [(p.where.row, p.where.council, p.where.column) for p in problems] == [
        (n + 2, wave[n]["council_name"], "status")
    ]


# The import tests' refusal cases, through the checks alone: the same lines, no database.


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("changes", "expected"), CELL_CASES)
def test_checks__bad_cell__the_line_the_import_refuses_with(
    changes: dict[str, dict[str, str]], expected: list[str], fmt: str
) -> None:
    data, filename = wave_file(changed(WAVE, changes), HEADER, fmt)  # type: ignore[arg-type]

    assert [str(p) for p in problems_of(data, filename)] == expected


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("edit", "expected"), HEADER_CASES)
def test_checks__bad_header__the_line_the_import_refuses_with(
    edit: Callable[[list[str]], list[str]], expected: list[str], fmt: str
) -> None:
    rows = changed(WAVE, {"Fife": {"": "stray"}})
    data, filename = wave_file(rows, edit(HEADER), fmt)  # type: ignore[arg-type]

    assert [str(p) for p in problems_of(data, filename)] == expected


@pytest.mark.parametrize(("data", "filename", "expected"), FILE_CASES)
def test_checks__unreadable_file__the_line_the_import_refuses_with(
    data: bytes, filename: str, expected: list[str]
) -> None:
    assert [str(p) for p in problems_of(data, filename)] == expected
