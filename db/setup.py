"""Initialise a database: schema, councils, the instrument check, and the default wave."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.councils import seed_councils
from db.models import Council, Interview, Wave
from db.schema import upgrade
from instrument import DEFAULT_INSTRUMENT, load_instrument

DEFAULT_WAVE = "2011"
DEFAULT_WAVE_TITLE = "Commissioning social care 2011"


def initialise(engine: Engine) -> None:
    """Create or upgrade the schema, seed councils, create wave 2011. Safe to repeat.

    The instrument is loaded first so that an invalid schedule stops everything before
    anything is written.
    """
    load_instrument(DEFAULT_INSTRUMENT)
    upgrade(engine)
    with Session(engine) as session:
        seed_councils(session)
        session.flush()
        ensure_wave(session, DEFAULT_WAVE, title=DEFAULT_WAVE_TITLE, instrument=DEFAULT_INSTRUMENT)
        session.commit()


def ensure_wave(session: Session, key: str, *, title: str, instrument: str) -> Wave:
    """The wave with this key, created with an interview record for every council if absent."""
    wave = session.scalar(select(Wave).where(Wave.key == key))
    if wave is None:
        wave = Wave(key=key, title=title, instrument=instrument)
        session.add(wave)
        session.flush()
    have = set(session.scalars(select(Interview.council_id).where(Interview.wave_id == wave.id)))
    for council in session.scalars(select(Council).order_by(Council.name)):
        if council.id not in have:
            session.add(Interview(wave_id=wave.id, council_id=council.id))
    session.flush()
    return wave
