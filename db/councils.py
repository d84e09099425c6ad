"""The sample frames (who a wave surveys) shipped with the survey: Scotland's 32 councils and its
31 health and social care partnerships; seeding them, making a member of any frame (a loaded
one too: `services.frames`), and finding one from whatever a file calls it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Council, CouncilAlias, SampleFrame
from instrument.values import match_key

COUNCILS_FILE = Path(__file__).parent / "councils.yaml"
PARTNERSHIPS_FILE = Path(__file__).parent / "partnerships.yaml"
COUNCILS = "councils"  # the default frame, and the only one before 2026


@dataclass(frozen=True)
class Frame:
    """A shipped sample frame: its key, what one member is called, and the file that seeds it.
    Every frame a wave may use, loaded ones too, is a `sample_frame` row."""

    key: str
    title: str
    member: str  # "council", "partnership": the word on screen for one respondent organisation
    file: Path


SHIPPED_FRAMES: dict[str, Frame] = {
    COUNCILS: Frame(COUNCILS, "Scotland's 32 councils", "council", COUNCILS_FILE),
    "partnerships": Frame(
        "partnerships",
        "Scotland's 31 health and social care partnerships (integration authorities)",
        "partnership",
        PARTNERSHIPS_FILE,
    ),
}


def seed_councils(session: Session) -> int:
    """Insert any shipped frame, or member of one (and its aliases), missing from the database;
    return how many members were added."""
    frames = set(session.scalars(select(SampleFrame.key)))
    existing = set(session.scalars(select(Council.code)))
    added = 0
    for frame in SHIPPED_FRAMES.values():
        if frame.key not in frames:
            session.add(SampleFrame(key=frame.key, title=frame.title, member=frame.member))
        for entry in yaml.safe_load(frame.file.read_text(encoding="utf-8")):
            if entry["code"] not in existing:
                session.add(
                    new_member(frame.key, entry["code"], entry["name"], entry.get("aliases", []))
                )
                added += 1
    return added


def new_member(frame: str, code: str, name: str, aliases: Iterable[str] = ()) -> Council:
    """A member of `frame` with the other names files may call it by (each found by its match
    key, so no two members of any frame may share one)."""
    council = Council(code=code, name=name, frame=frame)
    for alias in aliases:
        kind = "code" if re.fullmatch(r"S\d{8}", alias) else "name"
        council.aliases.append(CouncilAlias(alias=alias, match_key=match_key(alias), kind=kind))
    return council


def member_keys(session: Session, frame: str) -> dict[str, tuple[int, str, str]]:
    """As `council_lookup`, each member as (id, code, name) rather than its row: a frame of
    100,000 organisations costs its keys, not 100,000 ORM objects (an import's lookup)."""
    keys: dict[str, tuple[int, str, str]] = {}
    members = select(Council.id, Council.code, Council.name).where(Council.frame == frame)
    for member_id, code, name in session.execute(members):
        keys[match_key(code)] = keys[match_key(name)] = (member_id, code, name)
    aliases = (
        select(CouncilAlias.match_key, Council.id, Council.code, Council.name)
        .join(Council)
        .where(Council.frame == frame)
    )
    for key, member_id, code, name in session.execute(aliases):
        keys[key] = (member_id, code, name)
    return keys


def council_lookup(session: Session, frame: str | None = COUNCILS) -> dict[str, Council]:
    """Every way of naming a member of the frame (code, name, alias) by its match key; every
    frame's members with `frame=None`."""
    lookup: dict[str, Council] = {}
    members = select(Council) if frame is None else select(Council).where(Council.frame == frame)
    for council in session.scalars(members):
        lookup[match_key(council.code)] = council
        lookup[match_key(council.name)] = council
    aliases = select(CouncilAlias).join(Council)
    if frame is not None:
        aliases = aliases.where(Council.frame == frame)
    for alias in session.scalars(aliases):
        lookup[alias.match_key] = alias.council
    return lookup
