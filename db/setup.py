"""Initialise a database: schema, councils, the instrument check, and the default wave."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from db.councils import seed_councils
from db.models import Council, Interview, Wave
from db.schema import is_current, upgrade
from instrument import DEFAULT_INSTRUMENT, load_instrument
from instrument.loader import instrument_text, schedule_sha256

DEFAULT_WAVE = "2011"
DEFAULT_WAVE_TITLE = "Commissioning social care 2011"
# The PostgreSQL advisory lock that serialises first start (any fixed number would do; this
# one spells "surv"). Advisory locks are per database, so two surveys never wait on each other.
FIRST_START_LOCK = 0x73757276


def initialise(engine: Engine) -> None:
    """Create or upgrade the schema, seed councils, create wave 2011. Safe to repeat, and safe
    for any number of processes starting at once on an empty database.

    The instrument is loaded first so that an invalid schedule stops everything before
    anything is written.
    """
    load_instrument(DEFAULT_INSTRUMENT)
    with first_start_lock(engine):
        upgrade(engine)
        with Session(engine) as session:
            seed_councils(session)
            session.flush()
            ensure_wave(
                session, DEFAULT_WAVE, title=DEFAULT_WAVE_TITLE, instrument=DEFAULT_INSTRUMENT
            )
            session.commit()


def is_initialised(engine: Engine) -> bool:
    """Schema current, councils seeded and wave 2011 there, read in two small queries: what a
    short-lived command checks instead of initialising (`db.open_database(if_needed=True)`)."""
    if not is_current(engine):
        return False
    with engine.connect() as connection:
        wave = connection.execute(select(Wave.id).where(Wave.key == DEFAULT_WAVE)).first()
        council = connection.execute(select(Council.id).limit(1)).first()
    return wave is not None and council is not None


@contextmanager
def first_start_lock(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, hold a session-level advisory lock: processes starting together would
    otherwise both create `alembic_version` or both insert the councils, and one would crash.

    The lock lives on a connection of its own in autocommit, so it spans the migration's and
    the seeding's transactions, and the server drops it if the process dies. SQLite needs
    nothing: every write transaction begins IMMEDIATE (db/engine.py), so a second process
    waits for the first to commit and then finds the schema and the councils there.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": FIRST_START_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": FIRST_START_LOCK})


def ensure_wave(
    session: Session, key: str, *, title: str, instrument: str, frame: str = "councils"
) -> Wave:
    """The wave with this key, created with an interview record for every member of its frame
    (the 32 councils unless told) if absent.

    A new wave pins the named schedule's text as the repository holds it now.
    """
    wave = session.scalar(select(Wave).where(Wave.key == key))
    if wave is None:
        text = instrument_text(instrument)
        wave = Wave(
            key=key,
            title=title,
            instrument=instrument,
            instrument_text=text,
            instrument_sha256=schedule_sha256(text),
            frame=frame,
        )
        session.add(wave)
        session.flush()
    have = set(session.scalars(select(Interview.council_id).where(Interview.wave_id == wave.id)))
    members = select(Council).where(Council.frame == wave.frame).order_by(Council.name)
    for council in session.scalars(members):
        if council.id not in have:
            session.add(Interview(wave_id=wave.id, council_id=council.id))
    session.flush()
    return wave
