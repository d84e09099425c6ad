"""Fixtures: a fresh, initialised database per test, on SQLite always and on PostgreSQL when
TEST_DATABASE_URL is set (that database is emptied by the tests: give them one of their own)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    create_engine,
    insert,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

import db
from db.engine import database_url as normalised_url
from db.engine import make_engine
from db.models import Base, Council, Interview
from db.setup import initialise
from services.actor import Actor

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
INTERVIEWER = Actor("ilona", "interviewer")


# Under pytest-xdist each worker ("gw0", "gw1", ...) has PostgreSQL and SQLite templates of its
# own; without xdist, None.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


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


@dataclass
class PostgresTestDatabase:
    """This worker's PostgreSQL test database, migrated once per session, with the rows that
    `initialise` seeds (councils, wave 2011 and its interviews) captured once so that each test
    gets them back by a TRUNCATE and a few INSERTs (about 0.07 s against 0.18 s for TRUNCATE
    and `initialise`, and 1.4 s for CREATE DATABASE ... TEMPLATE, measured on the CI machine)."""

    url: str
    seed: dict[Table, list[dict[str, object]]]
    sequences: list[tuple[str, str, str]]  # (table, column, sequence)

    def empty(self) -> None:
        empty_postgres(self.url)

    def initialise(self, engine: Engine) -> None:
        """What `initialise` leaves in an empty, migrated database, copied back in."""
        self.restore(engine, self.seed)

    def restore(self, engine: Engine, saved: dict[Table, list[dict[str, object]]]) -> None:
        """Rows saved by `all_rows`, copied into the emptied database as they were."""
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            for table, rows in saved.items():
                if rows:
                    connection.execute(insert(table), rows)
            for table_name, column, sequence in self.sequences:
                connection.execute(
                    text(
                        f"SELECT setval('\"{sequence}\"', "
                        f'COALESCE((SELECT max("{column}") FROM "{table_name}"), 0) + 1, false)'
                    )
                )


def all_rows(connection: Connection) -> dict[Table, list[dict[str, object]]]:
    """Every row of every table, to be restored later (PostgresTestDatabase.restore)."""
    return {
        table: [dict(row._mapping) for row in connection.execute(select(table))]
        for table in Base.metadata.sorted_tables
    }


def _maintenance(server: URL) -> Engine:
    return create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresTestDatabase]:
    """TEST_DATABASE_URL's database, or under xdist one per worker beside it on the same server
    (its name plus the worker's, e.g. survey_test_gw0), created, migrated and dropped here."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    server = make_url(normalised_url(POSTGRES_URL))
    name = f"{server.database}_{WORKER}" if WORKER else server.database
    if WORKER:
        maintenance = _maintenance(server)
        with maintenance.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        maintenance.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    empty_postgres(url)
    engine = make_engine(url)
    initialise(engine)
    with engine.connect() as connection:
        seed = all_rows(connection)
        sequences = [
            (table, column, sequence)
            for table, column, sequence in connection.execute(
                text(
                    "SELECT t.relname, a.attname, s.relname FROM pg_depend d "
                    "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
                    "JOIN pg_class t ON t.oid = d.refobjid "
                    "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
                )
            )
        ]
    engine.dispose()
    yield PostgresTestDatabase(url, seed, sequences)
    if WORKER:
        maintenance = _maintenance(server)
        with maintenance.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        maintenance.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised SQLite file, migrated once per session (per xdist worker): tests copy it."""
    path = tmp_path_factory.mktemp("template") / "survey.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    initialise(engine)
    engine.dispose()
    with closing(sqlite3.connect(path)) as connection:  # everything into the one file copied
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def initialised_sqlite(template: Path, path: Path) -> str:
    """A copy of the initialised template at `path`; its URL."""
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database's URL (schema may exist; no rows)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'survey.sqlite3'}"
    postgres: PostgresTestDatabase = request.getfixturevalue("postgres_database")
    postgres.empty()
    return postgres.url


@pytest.fixture
def engine(database_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An initialised database: schema, 32 councils, wave 2011 (as `initialise` leaves it, copied
    from a database migrated once per session)."""
    if database_url.startswith("sqlite"):
        initialised_sqlite(
            request.getfixturevalue("sqlite_template"), Path(make_url(database_url).database)
        )
        engine = make_engine(database_url)
    else:
        engine = make_engine(database_url)
        request.getfixturevalue("postgres_database").initialise(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def app_db(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The database the app under AppTest opens (pages read DATABASE_URL)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    return engine


@contextmanager
def cli_on(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL set to `url` for `survey_cli.main` run in-process; `db.open_database`
    starts without cached engines, and those it opened are closed afterwards."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(db, "_engines", {})
    try:
        yield url
    finally:
        for opened in db._engines.values():
            opened.dispose()


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test database for `survey_cli.main` run in-process (an empty database: ask for
    `engine` too for an initialised one)."""
    with cli_on(database_url, monkeypatch):
        yield database_url


def built_once(
    factory: pytest.TempPathFactory, build: Callable[[Path], None]
) -> Callable[[Path, pytest.MonkeyPatch], AbstractContextManager[Path]]:
    """A SQLite database that `build(workdir)` fills through the CLI once per module (per xdist
    worker), handed to each test as a copy of its own, so tests stay independent."""
    workdir = factory.mktemp("built")
    url = f"sqlite:///{workdir / 'built.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch, cli_on(url, patch):
        build(workdir)
    with closing(sqlite3.connect(workdir / "built.sqlite3")) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file copied

    @contextmanager
    def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
        mine = tmp_path / "survey.sqlite3"
        shutil.copyfile(workdir / "built.sqlite3", mine)
        for name in os.listdir(workdir):
            if not name.startswith("built.sqlite3"):
                shutil.copy(workdir / name, tmp_path / name)
        with cli_on(f"sqlite:///{mine}", monkeypatch):
            yield tmp_path

    return copy


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def interview_id_of(db: Engine | Session, council: str) -> int:
    """The id of a council's interview (council by code, e.g. S12000047, or by name), in the
    first wave that has one: wave 2011 in a test database."""
    query = (
        select(Interview.id)
        .join(Interview.council)
        .where(or_(Council.code == council, Council.name == council))
        .order_by(Interview.id)
        .limit(1)
    )
    if isinstance(db, Session):
        found = db.scalar(query)
    else:
        with Session(db) as session:
            found = session.scalar(query)
    assert found is not None, f"no interview for council {council!r}"
    return found


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
def fresh_database(tmp_path: Path, sqlite_template: Path) -> Iterator[Callable[[str], Engine]]:
    """Another empty, initialised database: a SQLite file of its own under tmp_path."""
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        engine = make_engine(initialised_sqlite(sqlite_template, tmp_path / f"{name}.sqlite3"))
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
    maintenance = _maintenance(server)
    with maintenance.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with maintenance.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        maintenance.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL runs only the tests whose SQL can differ there.

    A module or test marked `sqlite_only` runs on SQLite alone: the AppTest page tests issue
    no SQL of their own (the services under them are tested on both databases), and some
    demo tests check what the demo draws, not how it is written (the demo's writing, refill
    and concurrency keep both databases). A test marked `postgresql_one_case` is a table of
    values that each import (and export) a whole wave through the same SQL (awkward text,
    Excel's numbers, values in canonical form, refused cells and headers, council aliases):
    every case runs on SQLite, the first on PostgreSQL too.
    """
    kept_one: set[str] = set()
    postgres_copies = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("database_url") != "postgresql":
            continue
        if item.get_closest_marker("sqlite_only"):
            postgres_copies.append(item)
        elif item.get_closest_marker("postgresql_one_case"):
            function = f"{item.path}::{item.originalname}"  # type: ignore[attr-defined]
            if function in kept_one:
                postgres_copies.append(item)
            kept_one.add(function)
    if postgres_copies:
        config.hook.pytest_deselected(items=postgres_copies)
        dropped = set(postgres_copies)
        items[:] = [item for item in items if item not in dropped]
