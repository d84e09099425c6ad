"""Scotland's 32 councils: seeding them, and finding one from whatever a file calls it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Council, CouncilAlias

COUNCILS_FILE = Path(__file__).parent / "councils.yaml"


def match_key(text: str) -> str:
    """Case, spacing, punctuation and '&' vs 'and' don't distinguish councils."""
    text = text.casefold().replace("&", " and ")
    return " ".join(re.sub(r"[^\w\s-]", " ", text).split())


def seed_councils(session: Session) -> int:
    """Insert any council (and alias) missing from the database; return how many were added."""
    existing = set(session.scalars(select(Council.code)))
    added = 0
    for entry in yaml.safe_load(COUNCILS_FILE.read_text(encoding="utf-8")):
        if entry["code"] in existing:
            continue
        council = Council(code=entry["code"], name=entry["name"])
        for alias in entry.get("aliases", []):
            kind = "code" if re.fullmatch(r"S\d{8}", alias) else "name"
            council.aliases.append(CouncilAlias(alias=alias, match_key=match_key(alias), kind=kind))
        session.add(council)
        added += 1
    return added


def council_lookup(session: Session) -> dict[str, Council]:
    """Every way of naming a council (code, name, alias) by its match key."""
    lookup: dict[str, Council] = {}
    for council in session.scalars(select(Council)):
        lookup[match_key(council.code)] = council
        lookup[match_key(council.name)] = council
    for alias in session.scalars(select(CouncilAlias)):
        lookup[alias.match_key] = alias.council
    return lookup
