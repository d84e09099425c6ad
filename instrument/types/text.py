"""`text`: free text in the respondent's own words (verbatim), never counted."""

from __future__ import annotations

from collections.abc import Sequence

from instrument.types.base import QuestionType, Sample, Widget, register
from instrument.values import check_text


@register
class Text(QuestionType):
    name = "text"
    verbatim = True
    widget = Widget("text")

    def normalise(self, raw: str, codes: Sequence[str]) -> str:
        """Kept as typed, spaces and all; only what no person types is refused."""
        return check_text(raw)

    def draw(self, sample: Sample) -> str:
        return sample.rng.choice(sample.texts)
