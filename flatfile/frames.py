"""A sample frame's file: one row per member organisation, its code and name (and, optionally,
other names files call it by), checked whole before anything is written, as a wave's file is.

Pure: the caller (`services.frames`) says which names are taken already, by other frames'
members, and gives the rule that makes two names the same (`db.councils.match_key`), so every
problem a file can earn is found, and tested, without a database."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flatfile.checks import CONTROL, Cells, ImportProblem, cell_problems, data_rows
from flatfile.listing import Listing, read_listing

FRAME_COLUMNS = ("code", "name", "aliases")
OPTIONAL_COLUMNS = frozenset({"aliases"})
ALIAS_SEPARATOR = ";"
MAX_MEMBERS = 50_000  # organisations (every care provider, say): more is the wrong file
# As long as the database keeps them (council.code; council.name and council_alias.alias).
LIMITS = {"code": 40, "name": 100, "aliases": 100}
WORDS = {"code": "code", "name": "name", "aliases": "alias"}  # one value of each column
LISTING = Listing(
    FRAME_COLUMNS,
    OPTIONAL_COLUMNS,
    hint="a frame's file has the columns code, name and (optionally) aliases, separated by ';'",
    max_rows=MAX_MEMBERS,
    one_row_each="a sample frame has one row per organisation",
)


@dataclass(frozen=True)
class FrameMember:
    """One organisation of the frame as its row gives it; aliases without repeats."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()


def check_frame_file(
    data: bytes,
    filename: str,
    *,
    match_key: Callable[[str], str],
    taken: Mapping[str, str],
) -> tuple[list[FrameMember], list[ImportProblem]]:
    """Read and check a whole frame file: the members, and every problem found (row, column,
    value, why). `taken` says, by match key, which member of another frame already has a
    code, name or alias: a file may name a member only one way. Column names are read
    whatever their case, as spreadsheets are typed."""
    table, problems = read_listing(data, filename, LISTING)
    if table is None:
        return [], problems
    members = _Members(match_key, taken, problems)
    in_cells = cell_problems(table)
    for index, number, cells in data_rows(table, problems):
        members.check(number, cells, in_cells[index])
    return members.found, problems


class _Members:
    """The rows checked one by one, each against every row before it and the names taken."""

    def __init__(
        self,
        match_key: Callable[[str], str],
        taken: Mapping[str, str],
        problems: list[ImportProblem],
    ) -> None:
        self.match_key = match_key
        self.taken = taken
        self.problems = problems
        self.found: list[FrameMember] = []
        self.seen: dict[str, tuple[int, str]] = {}  # match key -> (row, column) first naming it

    def check(self, number: int, cells: Cells, in_cells: Mapping[str, str]) -> None:
        """One row: its code and name, then each alias; the member is kept if all is well.
        A cell whose text is not what was typed (a formula) has that problem alone."""
        before = len(self.problems)
        for column, why in in_cells.items():
            self.problems.append(ImportProblem(why, number, None, column, cells[column]))
        code, name = [
            None if column in in_cells else self._text(number, column, cells[column])
            for column in ("code", "name")
        ]
        keys = {self.match_key(text) for text in (code, name) if text}
        aliases = []
        for typed in cells["aliases"].split(ALIAS_SEPARATOR) if "aliases" not in in_cells else []:
            alias = self._text(number, "aliases", typed) if typed.strip() else None
            if alias is not None and self.match_key(alias) not in keys:  # said once is enough
                keys.add(self.match_key(alias))
                aliases.append(alias)
        if code is not None and name is not None and len(self.problems) == before:
            self.found.append(FrameMember(code, name, tuple(aliases)))

    def _text(self, number: int, column: str, cell: str) -> str | None:
        """The cell's text, or None when it cannot name a member (a problem says why)."""
        text, word, limit = cell.strip(), WORDS[column], LIMITS[column]
        if not text:
            why = f"the {word} is blank"
        elif CONTROL.search(text):
            why = f"the {word} contains a control character (such as a NUL byte)"
        elif len(text) > limit:
            why = f"the {word} is {len(text)} characters long; at most {limit}"
        elif column == "aliases" and len(self.match_key(text)) > limit:  # as it is kept
            why = (
                f"the {word} is {len(self.match_key(text))} characters long with each '&' "
                f"written 'and'; at most {limit}"
            )
        elif not self.match_key(text):
            why = f"the {word} has no letter or digit, so no file could name the member by it"
        else:
            return None if self._clash(number, column, text) else text
        self.problems.append(ImportProblem(why, number, None, column, text))
        return None

    def _clash(self, number: int, column: str, text: str) -> bool:
        """Whether the text already names another member, here or in another frame (and the
        problem said); within its own row it names the same member, which is no clash."""
        key = self.match_key(text)
        first = self.seen.setdefault(key, (number, column))
        if key in self.taken:
            why = f"already used by {self.taken[key]}"
        elif first[0] != number:
            why = f"duplicate {WORDS[column]}: row {first[0]} has the same {WORDS[first[1]]}"
        else:
            return False
        self.problems.append(ImportProblem(why, number, None, column, text))
        return True
