"""A small listing file (a sample frame's members, a codebook's themes): one row per thing,
named columns in any case, read and its columns checked the same way whatever it lists."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from flatfile.checks import EXTRA_COLUMNS, NO_DATA_ROWS, ImportProblem, check_columns
from flatfile.table import Table, UnreadableFile, read_table


@dataclass(frozen=True)
class Listing:
    """What a kind of listing file holds: its columns (those in `optional` may be left out),
    where to see them (`hint`), and how many rows it may have, with why (`one_row_each`)."""

    columns: Sequence[str]
    optional: Collection[str]
    hint: str
    max_rows: int
    one_row_each: str


def read_listing(
    data: bytes, filename: str, listing: Listing
) -> tuple[Table | None, list[ImportProblem]]:
    """The file's table, its column names lowered as spreadsheets are typed, and the problems
    of its columns; no table where no row can be read (a required column missing or named
    twice, the file unreadable or too long)."""
    try:
        table = read_table(
            data,
            filename,
            max_rows=listing.max_rows,
            max_columns=len(listing.columns) + EXTRA_COLUMNS,
        )
    except UnreadableFile as exc:
        return None, [ImportProblem.unreadable(exc)]
    table = replace(table, header=[name.casefold() for name in table.header])
    problems = check_columns(table.header, listing.columns, listing.optional, hint=listing.hint)
    for column in listing.columns:
        named = table.header.count(column)
        if named > 1 or (named == 0 and column not in listing.optional):
            return None, problems  # no row can be read without it, said once
    if table.more_rows:
        problems.append(
            ImportProblem(
                f"the file has more than {listing.max_rows:,} rows of data, but "
                f"{listing.one_row_each}; check that this is the right file (nothing else in it "
                "was checked)"
            )
        )
        return None, problems
    if not any(any(cell.strip() for cell in row) for row in table.rows):
        problems.append(ImportProblem(NO_DATA_ROWS))
    return table, problems
