"""Fixtures: a fresh, initialised database per test, on SQLite always and on PostgreSQL when
TEST_DATABASE_URL is set (that database is emptied by the tests: give them one of their own)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, Connection, Engine, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from db.engine import database_url as normalised_url
from db.engine import make_engine
from db.models import Base
from db.setup import initialise
from services.actor import Actor

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
INTERVIEWER = Actor("ilona", "interviewer")


def empty_postgres(url: str) -> None:
    """Leave the test database with the current schema and no rows (cheaper than re-migrating).
    The audit log refuses TRUNCATE by a trigger, which a replica session (superuser) skips."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
        if tables:
            names = ", ".join(f'"{t}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database's URL (schema may exist; no rows)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'survey.sqlite3'}"
    url = normalised_url(POSTGRES_URL)
    empty_postgres(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An initialised database: schema, 32 councils, wave 2011."""
    engine = make_engine(database_url)
    initialise(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def app_db(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The database the app under AppTest opens (pages read DATABASE_URL)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    return engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@dataclass(frozen=True)
class TableChecksum:
    rows: int
    sha256: str


def table_checksums(
    db: Session | Connection, only: Mapping[str, ColumnElement[bool]] | None = None
) -> dict[str, TableChecksum]:
    """Every row of every table of `Base.metadata`, in primary-key order, hashed table by table,
    as `db` sees the database: equal checksums, unchanged tables. `only` narrows it to some
    tables and, in each, to the rows its condition selects."""
    checksums = {}
    for table in Base.metadata.sorted_tables:
        if only is not None and table.name not in only:
            continue
        query = select(table).order_by(*(table.primary_key.columns or table.columns))
        if only is not None:
            query = query.where(only[table.name])
        rows = [tuple(row) for row in db.execute(query)]
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        checksums[table.name] = TableChecksum(len(rows), digest)
    return checksums


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[Callable[[str], Engine]]:
    """Another empty, initialised database: a SQLite file of its own under tmp_path."""
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        engine = make_engine(f"sqlite:///{tmp_path / f'{name}.sqlite3'}")
        initialise(engine)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@contextmanager
def throwaway_postgres(purpose: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on TEST_DATABASE_URL's server, dropped afterwards;
    its URL (as the server's superuser, like TEST_DATABASE_URL)."""
    assert POSTGRES_URL, "only with TEST_DATABASE_URL"
    server = make_url(normalised_url(POSTGRES_URL))
    name = f"{server.database}_{purpose}_{uuid.uuid4().hex[:8]}"
    maintenance = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with maintenance.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with maintenance.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        maintenance.dispose()
