"""The interview schedule as data: load, check, route and read values. Imports nothing of db/."""

from instrument.loader import DEFAULT_INSTRUMENT, InstrumentError, load_instrument
from instrument.schedule import Instrument

__all__ = ["DEFAULT_INSTRUMENT", "Instrument", "InstrumentError", "load_instrument"]
