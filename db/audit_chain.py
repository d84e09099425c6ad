"""The audit log's hash chain, pure: no database, so the log, a backup and a migration agree.

Each row's `row_hash` is the SHA-256 of its own fields and the previous row's hash, so a row
changed, removed or inserted anywhere but at the end breaks every link after it. It has no
secret: someone who can write the database can recompute the whole chain, which only a hash
kept elsewhere (the newest, printed by `audit verify`) would show. Changing `_serialised`
changes every hash, so it needs a migration that hashes the log again (0017 did, to version 2).

Version 2 hashes the SHA-256 of each text a person may have written (who, about what, old and
new values, why) rather than the text itself. So a value may be erased, under UK GDPR, and the
chain still verifies: the value becomes `ERASED`, and the erasure's own row, chained after it,
records the digest the value had (`Erasure`). A value blanked without such a record, or a
record whose digest is not the value's, breaks the chain as any rewrite does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
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
ERASABLE = ("username", "target", "old_value", "new_value", "reason")  # hashed as digests
ERASED = "[erased]"  # what an erased value reads; its digest is in an erasure row
CHANGED = "its contents are not what was written"
UNLINKED = "it does not follow the row before it (a row was removed, added or changed)"


class Row(Protocol):
    """A row as the chain reads it, by field name: a dict, or a SQLAlchemy `RowMapping`."""

    def get(self, key: str, /) -> object: ...


# An erased value's digest, by (audit row id, field): read from the erasure rows' records.
Erasures = Mapping[tuple[int, str], str]


def row_hash(row: Row, prev_hash: str, erasures: Erasures | None = None) -> str:
    """The hash a row with these fields must carry after a row whose hash is `prev_hash`; an
    erased field counts with the digest its erasure recorded."""
    return hashlib.sha256(_serialised(row, prev_hash, erasures or {}).encode()).hexdigest()


def digest(value: object) -> str | None:
    """The SHA-256 of a text as the chain hashes it (None stays None)."""
    if value is None:
        return None
    return hashlib.sha256(str(value).encode()).hexdigest()


def _serialised(row: Row, prev_hash: str, erasures: Erasures) -> str:
    """One canonical text per row: version 2, fields in a fixed order, JSON, times to the µs,
    written texts as their digests."""
    values: list[object] = []
    for name in FIELDS:
        value = row.get(name)
        if name in ERASABLE:
            erased = value == ERASED and erasures.get((_int(row.get("id")), name))
            values.append(erased or digest(value))
        else:
            values.append(_canonical(value))
    return json.dumps([2, *values, prev_hash], ensure_ascii=False, separators=(",", ":"))


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | str) else -1


def row_hash_v1(row: Row, prev_hash: str) -> str:
    """Version 1, the texts themselves hashed: what migration 0017 checked before hashing
    the log again as version 2."""
    values = [_canonical(row.get(name)) for name in FIELDS]
    text = json.dumps([1, *values, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Erasure:
    """What an erasure row records (as its new value, JSON): each erased field of each audit
    row with the digest it had, so the chain verifies without the value."""

    fields: tuple[tuple[int, str, str], ...]  # (audit row id, field, digest)

    def text(self) -> str:
        return json.dumps({"erased": [list(f) for f in self.fields]}, separators=(",", ":"))

    @staticmethod
    def read(text: object) -> Erasure:
        """The fields an erasure row's text records (none if it is not such a text)."""
        try:
            found = json.loads(str(text))["erased"]
            return Erasure(tuple((int(i), str(f), str(d)) for i, f, d in found))
        except (ValueError, TypeError, KeyError):
            return Erasure(())


ERASE_ACTION = "privacy.erase"  # the audit row that records an erasure


def _canonical(value: object) -> object:
    if isinstance(value, dt.datetime):
        return _time_text(value)
    return value


@lru_cache(maxsize=64)  # rows written together share their time
def _time_text(value: dt.datetime) -> str:
    return value.isoformat(timespec="microseconds")


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


def walk(rows: Iterable[Row], erasures: Erasures | None = None) -> ChainState:
    """Check rows in id order; stop at the first that does not verify. `erasures` are the
    digests the erasure rows record (`erasures_in`), read before the walk."""
    previous, count = GENESIS, 0
    for row in rows:
        count += 1
        why = None
        if row.get("prev_hash") != previous:
            why = UNLINKED
        elif row.get("row_hash") != row_hash(row, previous, erasures):
            why = CHANGED
        if why is not None:
            link = BrokenLink(row.get("id"), row.get("at"), row.get("action"), why)
            return ChainState(count, previous, link)
        previous = str(row.get("row_hash"))
    return ChainState(count, previous)


def erasures_in(texts: Iterable[object]) -> dict[tuple[int, str], str]:
    """The erased fields' digests, from the new values of the log's erasure rows."""
    found: dict[tuple[int, str], str] = {}
    for text in texts:
        found |= {(i, f): d for i, f, d in Erasure.read(text).fields}
    return found
