"""A wave's codings as a flat file: one row per theme a coder applied to an answer, whole
(start and end 0) or a passage by character offsets, with its quote flag. Written for other
tools (a spreadsheet, R, NVivo's importers) and read back all or nothing.

Pure: the caller (`services.codings`) resolves what needs the database (the respondent, the
answer's text, the theme) through `resolve`, which says what is wrong in words or gives the
text to check the offsets against."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flatfile.checks import Cells, ImportProblem, cell_problems, data_rows
from flatfile.listing import Listing, read_listing

CODING_COLUMNS = ("council_code", "variable", "theme", "coder", "start", "end", "quote")
LISTING = Listing(
    CODING_COLUMNS,
    frozenset({"quote"}),
    hint="a codings file has the columns council_code, variable, theme, coder, start, end "
    "and quote, as `survey_cli.py codings export` writes it",
    max_rows=200_000,
    one_row_each="a codings file has one row per theme applied to an answer",
)
CODER = re.compile(r"[A-Za-z0-9._-]{2,40}")
TRUE, FALSE = ("yes", "true", "1"), ("", "no", "false", "0")


@dataclass(frozen=True)
class CodingRow:
    """One coding as the file gives it, its respondent and theme resolved."""

    row: int
    interview_id: int
    variable_id: str
    theme_id: int
    coder: str
    start: int
    end: int
    passage: str
    quote: bool


@dataclass(frozen=True)
class Resolved:
    """What the database says of a row's respondent, question and theme."""

    interview_id: int
    theme_id: int
    text: str  # the answer, to check the passage against


Resolve = Callable[[str, str, str], "Resolved | tuple[str, str]"]  # or (column, why)


def check_codings_file(
    data: bytes, filename: str, resolve: Resolve
) -> tuple[list[CodingRow], list[ImportProblem]]:
    """Every row checked, every problem found with its row and column."""
    table, problems = read_listing(data, filename, LISTING)
    if table is None:
        return [], problems
    found: list[CodingRow] = []
    seen: dict[tuple[int, str, int, str, int, int], int] = {}
    in_cells = cell_problems(table)
    for index, number, cells in data_rows(table, problems):
        before = len(problems)
        for column, why in in_cells[index].items():
            problems.append(ImportProblem(why, number, None, column, cells[column]))
        coding = None if len(problems) > before else _row(number, cells, resolve, problems)
        if coding is None:
            continue
        key = (coding.interview_id, coding.variable_id, coding.theme_id, coding.coder,
               coding.start, coding.end)  # fmt: skip
        if key in seen:
            problems.append(ImportProblem(f"the same coding as row {seen[key]}", number))
            continue
        seen[key] = number
        found.append(coding)
    return found, problems


def _row(
    number: int, cells: Cells, resolve: Resolve, problems: list[ImportProblem]
) -> CodingRow | None:
    said: list[tuple[str, str]] = []
    coder = cells["coder"].strip()
    if not CODER.fullmatch(coder):
        said.append(("coder", "a coder is an account's username (2 to 40 letters, digits, "
                              "'.', '_' or '-')"))  # fmt: skip
    offsets = [_offset(cells[c].strip()) for c in ("start", "end")]
    for column, value in zip(("start", "end"), offsets, strict=True):
        if value is None:
            said.append((column, "a character position: a whole number from 0"))
    quote = cells["quote"].strip().casefold()
    if quote not in TRUE + FALSE:
        said.append(("quote", "yes or no (blank: no)"))
    elif quote in TRUE and offsets == [0, 0]:
        said.append(("quote", "a whole answer is coded, not quoted: give the passage's offsets"))
    resolved = resolve(cells["council_code"].strip(), cells["variable"].strip(),
                       cells["theme"].strip())  # fmt: skip
    if isinstance(resolved, tuple):
        said.append(resolved)
    elif offsets[0] is not None and offsets[1] is not None:
        why = _passage_problem(resolved.text, offsets[0], offsets[1])
        if why:
            said.append(("end", why))
    for column, why in said:
        problems.append(ImportProblem(why, number, None, column, cells[column]))
    if said or isinstance(resolved, tuple) or offsets[0] is None or offsets[1] is None:
        return None
    start, end = offsets[0], offsets[1]
    return CodingRow(number, resolved.interview_id, cells["variable"].strip(), resolved.theme_id,
                     coder, start, end, resolved.text[start:end], quote in TRUE)  # fmt: skip


def _offset(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _passage_problem(text: str, start: int, end: int) -> str | None:
    """(0, 0) is the whole answer; a passage lies within it and is not only spaces."""
    if start == end == 0:
        return None
    if not start < end <= len(text):
        return f"the passage {start}–{end} is not within the answer's {len(text)} characters"
    if not text[start:end].strip():
        return f"the passage {start}–{end} is only spaces"
    return None
