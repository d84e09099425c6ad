"""The database: engine, models, migrations and seeding (persistence only; services sit above)."""

from __future__ import annotations

from sqlalchemy import Engine

from db.engine import database_url, make_engine
from db.setup import initialise

_engines: dict[str, Engine] = {}


def open_database(url: str | None = None) -> Engine:
    """The process's engine for this URL, initialised (schema, councils, wave 2011) on first use."""
    url = database_url(url)
    engine = _engines.get(url)
    if engine is None:
        engine = make_engine(url)
        initialise(engine)
        _engines[url] = engine
    return engine
