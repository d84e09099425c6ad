"""Fixtures: a fresh, initialised database per test, on SQLite always and on PostgreSQL when
TEST_DATABASE_URL is set (that database is emptied by the tests: give them one of their own)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from db.actor import Actor
from db.engine import database_url as normalised_url
from db.engine import make_engine
from db.setup import initialise

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
INTERVIEWER = Actor("ilona", "interviewer")


def empty_postgres(url: str) -> None:
    """Leave the test database with the current schema and no rows (cheaper than re-migrating)."""
    engine = make_engine(url)
    with engine.begin() as connection:
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
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


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
