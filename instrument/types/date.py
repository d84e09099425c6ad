"""`date`: a calendar date, stored as YYYY-MM-DD."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from instrument.types.base import QuestionType, Sample, register
from instrument.values import parse_date


def weekday_in(period: tuple[dt.date, dt.date], rng: random.Random) -> dt.date:
    """A working day in the period (inclusive), the kind of day interviews happen."""
    start, end = period
    day = start + dt.timedelta(days=rng.randrange((end - start).days + 1))
    while day.weekday() >= 5:
        day -= dt.timedelta(days=day.weekday() - 4)
    return max(day, start)


@register
class Date(QuestionType):
    name = "date"

    def normalise(self, raw: str, codes: Sequence[str]) -> str:
        return parse_date(raw.strip()).isoformat()

    def draw(self, sample: Sample) -> str:
        return weekday_in(sample.period, sample.rng).isoformat()
