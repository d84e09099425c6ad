"""`percent`: the in-house share of a service, a whole number 0–100 (may be banded)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from instrument.model import DONT_KNOW
from instrument.types.base import Counting, QuestionType, Sample, Widget, register
from instrument.values import parse_percent


@register
class Percent(QuestionType):
    name = "percent"
    closed = True
    takes_bands = True
    counting = Counting.NUMERIC
    widget = Widget("percent", placeholder="e.g. 30:70, 30/70, 30% or 30")

    def normalise(self, raw: str, codes: Sequence[str]) -> str:
        return str(parse_percent(raw.strip()))

    def draw(self, sample: Sample) -> str:
        """An in-house share as interviewers hear it: often 50:50, otherwise round-ish."""
        roll = sample.rng.random()
        if roll < 0.03:
            return DONT_KNOW
        if roll < 0.2:
            return "50"
        return str(sample.rng.randrange(0, 101, 5))

    def shown(self, value: str, label: Callable[[str], str]) -> str:
        return f"{value}% in-house" if value.isdigit() else value

    def read_back(self, value: str) -> str | None:
        """Both shares, so a slip (70 for 30) is seen at once."""
        if not value.isdigit():
            return None
        share = int(value)
        return f"Recorded: {share}% in-house, {100 - share}% external"
