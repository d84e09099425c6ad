"""Health, for a monitor to call (`survey_cli.py check`): is the database reachable, is its
schema current, does the audit log's chain verify, and how old is the last backup.

Every check runs even when one before it fails, unless it cannot (nothing can be read from a
database that is not reachable): a monitor's one look should show everything wrong at once.
Nothing here writes, and nothing initialises the database: a check of a broken deployment
must not try to repair it on the way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.models import AuditEvent, utcnow
from db.schema import current_revision, head_revision
from services.audit import chain_state

BACKUP_ACTION = "backup.take"
DEFAULT_BACKUP_HOURS = 26  # a nightly backup, with two hours' grace


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    said: str

    @property
    def line(self) -> str:
        """'ok    database: reachable' / 'FAIL  …': one line each, easy to grep."""
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.said}"


def health(engine: Engine, *, backup_hours: float = DEFAULT_BACKUP_HOURS) -> list[Check]:
    """The four checks, in order; those a failed connection makes impossible say so."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as problem:
        reason = str(problem.orig if hasattr(problem, "orig") else problem).splitlines()[0]
        unreachable = "not checked: the database is not reachable"
        return [
            Check("database", False, f"not reachable ({reason})"),
            *(Check(name, False, unreachable) for name in ("schema", "audit log", "backup")),
        ]
    checks = [Check("database", True, "reachable"), _schema(engine)]
    with Session(engine) as session:
        checks += [_chain(session), _backup(session, backup_hours)]
    return checks


def _schema(engine: Engine) -> Check:
    current, head = current_revision(engine), head_revision()
    if current == head:
        return Check("schema", True, f"current (migration {head})")
    at = f"at migration {current}" if current else "not created"
    return Check("schema", False, f"{at}, {head} expected: run `survey_cli.py init`")


def _chain(session: Session) -> Check:
    try:
        chain = chain_state(session)
    except SQLAlchemyError as problem:
        return Check("audit log", False, f"cannot be read ({type(problem).__name__})")
    said = f"verified, {chain.rows:,} rows, chain intact" if chain.intact else chain.sentence()
    return Check("audit log", chain.intact, said)


def _backup(session: Session, hours: float, now: dt.datetime | None = None) -> Check:
    try:
        last = session.scalar(
            select(func.max(AuditEvent.at)).where(AuditEvent.action == BACKUP_ACTION)
        )
    except SQLAlchemyError as problem:
        return Check("backup", False, f"cannot be read ({type(problem).__name__})")
    if last is None:
        return Check("backup", False, "none taken: `survey_cli.py backup --out FILE`")
    age = (now or utcnow()) - last
    said = f"last taken {_age(age)} ago ({last:%d/%m/%Y %H:%M} UTC)"
    if age > dt.timedelta(hours=hours):
        return Check("backup", False, f"{said}, more than {hours:g} hours")
    return Check("backup", True, said)


def _age(age: dt.timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.0f} days"
