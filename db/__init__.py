"""The database: engine, models, migrations and seeding (persistence only; services sit above)."""

from __future__ import annotations

from sqlalchemy import Engine

from db import counters as counters  # its session events keep the counters in step
from db.engine import database_url, make_engine
from db.setup import initialise, is_initialised

_engines: dict[str, Engine] = {}


def open_database(url: str | None = None, *, if_needed: bool = False) -> Engine:
    """The process's engine for this URL, initialised (schema, councils, wave 2011) on first use.

    `if_needed` (the command line's short-lived processes) skips that when some earlier start
    initialised the database (schema current, councils and wave 2011 there): seeding reads every
    council, which a `report` or `status` has no need to pay for. The app and `init` always
    initialise, so a release's changes to the shipped councils reach the database there."""
    url = database_url(url)
    engine = _engines.get(url)
    if engine is None:
        engine = make_engine(url)
        if not (if_needed and is_initialised(engine)):
            initialise(engine)
        _engines[url] = engine
    return engine
