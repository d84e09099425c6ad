"""The audit log's hash chain, pure: no database, so the log, a backup and a migration agree.

Each row's `row_hash` is the SHA-256 of its own fields and the previous row's hash, so a row
changed, removed or inserted anywhere but at the end breaks every link after it. It has no
secret: someone who can write the database can recompute the whole chain, which only a hash
kept elsewhere (the newest, printed by `audit verify`) would show. Changing `_serialised`
changes every hash, so it needs a migration that hashes the log again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

GENESIS = "0" * 64  # the "previous hash" of the first row
FIELDS = (
    "id",
    "at",
    "username",
    "role",
    "action",
    "target",
    "old_value",
    "new_value",
    "reason",
)
CHANGED = "its contents are not what was written"
UNLINKED = "it does not follow the row before it (a row was removed, added or changed)"


class Row(Protocol):
    """A row as the chain reads it, by field name: a dict, or a SQLAlchemy `RowMapping`."""

    def get(self, key: str, /) -> object: ...


def row_hash(row: Row, prev_hash: str) -> str:
    """The hash a row with these fields must carry after a row whose hash is `prev_hash`."""
    return hashlib.sha256(_serialised(row, prev_hash).encode()).hexdigest()


def _serialised(row: Row, prev_hash: str) -> str:
    """One canonical text per row: version, fields in a fixed order, JSON, times to the µs."""
    values = [_canonical(row.get(name)) for name in FIELDS]
    return json.dumps([1, *values, prev_hash], ensure_ascii=False, separators=(",", ":"))


def _canonical(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    return value


@dataclass(frozen=True)
class BrokenLink:
    """The first row that does not verify, and why, in words."""

    id: object
    at: object
    action: object
    why: str

    def sentence(self) -> str:
        when = self.at
        if isinstance(when, dt.datetime):
            when = when.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"row {self.id} ({when}, {self.action}): {self.why}"


@dataclass(frozen=True)
class ChainState:
    """What a walk of the chain found: rows walked, the newest hash, the first broken row."""

    rows: int
    head: str
    broken: BrokenLink | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def sentence(self) -> str:
        if self.broken is None:
            return f"Audit log verified: {self.rows:,} rows, chain intact."
        return f"Audit log chain broken at {self.broken.sentence()}."


def walk(rows: Iterable[Row]) -> ChainState:
    """Check rows in id order; stop at the first that does not verify."""
    previous, count = GENESIS, 0
    for row in rows:
        count += 1
        why = None
        if row.get("prev_hash") != previous:
            why = UNLINKED
        elif row.get("row_hash") != row_hash(row, previous):
            why = CHANGED
        if why is not None:
            link = BrokenLink(row.get("id"), row.get("at"), row.get("action"), why)
            return ChainState(count, previous, link)
        previous = str(row.get("row_hash"))
    return ChainState(count, previous)
