"""A codebook's file: one row per theme of the open answers, with its parent (a two-level tree),
what it means, and the open questions it applies to, so a codebook made for one wave can be
reused in the next. Checked whole before anything is written, as every file is.

Pure: the caller (`services.themes`) says which open questions the wave's schedule has, which
themes the wave has already (by the key that makes two names the same), and which of those are
children, so every problem a file can earn is found, and tested, without a database."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from flatfile.checks import CONTROL, Cells, ImportProblem, cell_problems, data_rows
from flatfile.listing import Listing, read_listing
from instrument.loader import template_problems

CODEBOOK_COLUMNS = ("theme", "parent", "description", "variables", "report")
# What a theme's report sentence may name: its count (with a noun), the base, and its label.
THEME_COUNTS, THEME_WORDS = ("n", "base"), ("label",)
VARIABLE_SEPARATOR = ";"
MAX_THEMES = 2_000
NAME_LIMIT = 200
LISTING = Listing(
    CODEBOOK_COLUMNS,
    frozenset({"parent", "description", "report"}),
    hint="a codebook's file has the columns theme, parent, description, variables (the open "
    "questions' ids, separated by ';') and report, as `survey_cli.py themes export` writes it",
    max_rows=MAX_THEMES,
    one_row_each="a codebook has one row per theme",
)


@dataclass(frozen=True)
class CodebookTheme:
    """One theme as its row gives it: its parent's name (None for a top-level theme)."""

    name: str
    parent: str | None
    description: str
    variables: tuple[str, ...]
    report: str = ""  # the report's sentence for it, or "" for the generic one


def name_problem(name: str, word: str = "theme") -> str | None:
    """Why a theme's name cannot be kept, or None (also for a theme named on a page)."""
    if not name:
        return f"the {word} is blank"
    if CONTROL.search(name):
        return f"the {word} contains a control character (such as a NUL byte)"
    if len(name) > NAME_LIMIT:
        return f"the {word} is {len(name)} characters long; at most {NAME_LIMIT}"
    return None


def variables_problem(ids: Sequence[str], open_questions: Collection[str]) -> str | None:
    """Why a theme cannot apply to these questions, or None: it needs at least one, and each
    an open (text) question of the wave's schedule."""
    if not ids:
        return "name at least one open question the theme applies to"
    unknown = [v for v in ids if v not in open_questions]
    if unknown:
        return (
            f"not an open question of this wave's schedule: {', '.join(unknown)} (a theme "
            "codes the answers to text questions)"
        )
    return None


def report_problem(report: str) -> str | None:
    """Why a theme's report sentence cannot be used, or None: it may name {n} (with a noun,
    "{n council}"), {base} and {label}, and [singular|plural] after a count."""
    if not report:
        return None
    problems = template_problems("the sentence", report, THEME_COUNTS, THEME_WORDS)
    return "; ".join(problems) or None


def check_codebook_file(
    data: bytes,
    filename: str,
    *,
    open_questions: Sequence[str],
    name_key: Callable[[str], str],
    existing: Mapping[str, bool],
) -> tuple[list[CodebookTheme], list[ImportProblem]]:
    """Read and check a whole codebook file: its themes, parents before children, and every
    problem found (row, column, value, why). `existing` says, by name key, which themes the
    wave has already and whether each is a child (a child cannot be a parent)."""
    table, problems = read_listing(data, filename, LISTING)
    if table is None:
        return [], problems
    themes: list[tuple[int, CodebookTheme]] = []
    first_row: dict[str, int] = {}
    in_cells = cell_problems(table)
    for index, number, cells in data_rows(table, problems):
        before = len(problems)
        for column, why in in_cells[index].items():
            problems.append(ImportProblem(why, number, None, column, cells[column]))
        theme = _row(number, cells, open_questions, problems)
        if theme is None or len(problems) > before:
            continue
        key = name_key(theme.name)
        if key in existing:
            problems.append(
                ImportProblem("the wave already has this theme", number, None, "theme", theme.name)
            )
        elif key in first_row:
            problems.append(
                ImportProblem(
                    f"duplicate theme: row {first_row[key]} has the same name",
                    number,
                    None,
                    "theme",
                    theme.name,
                )
            )
        else:
            first_row[key] = number
            themes.append((number, theme))
    _check_parents(themes, name_key, existing, problems)
    ordered = sorted(themes, key=lambda pair: pair[1].parent is not None)  # parents first
    problems.sort(key=lambda p: p.row or 0)  # as the file reads, whichever check found it
    return [theme for _, theme in ordered], problems


def _row(
    number: int, cells: Cells, open_questions: Collection[str], problems: list[ImportProblem]
) -> CodebookTheme | None:
    name, parent = cells["theme"].strip(), cells["parent"].strip()
    said = [
        (column, why)
        for column, why in [
            ("theme", name_problem(name)),
            ("parent", name_problem(parent, "parent") if parent else None),
        ]
        if why
    ]
    ids = [v.strip() for v in cells["variables"].split(VARIABLE_SEPARATOR) if v.strip()]
    for column, why in (("variables", variables_problem(ids, open_questions)),
                        ("report", report_problem(cells["report"].strip()))):  # fmt: skip
        if why:
            said.append((column, why))
    for column, reason in said:
        problems.append(ImportProblem(reason, number, None, column, cells[column]))
    if said:
        return None
    description = cells["description"].strip()  # a column left out reads blank
    return CodebookTheme(name, parent or None, description, tuple(dict.fromkeys(ids)),
                         cells["report"].strip())  # fmt: skip


def _check_parents(
    themes: list[tuple[int, CodebookTheme]],
    name_key: Callable[[str], str],
    existing: Mapping[str, bool],
    problems: list[ImportProblem],
) -> None:
    """Each parent is a top-level theme, of the file or of the wave, and not the theme itself."""
    is_child = {**existing, **{name_key(t.name): t.parent is not None for _, t in themes}}
    for number, theme in themes:
        if theme.parent is None:
            continue
        key = name_key(theme.parent)
        if key == name_key(theme.name):
            why = "a theme cannot be its own parent"
        elif key not in is_child:
            why = "no such theme in the file or the wave"
        elif is_child[key]:
            why = "the parent is itself under another theme; themes go two levels deep"
        else:
            continue
        problems.append(ImportProblem(why, number, None, "parent", theme.parent))
