"""`yesno`: a yes/no question, its two codes fixed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from instrument.model import DONT_KNOW, NO_ANSWER, YES_NO_CHOICES, Choice, Variable
from instrument.types.base import ChoiceLists, Counting, QuestionType, Sample, Widget, register
from instrument.types.single import refuse_unknown, weighted


@register
class YesNo(QuestionType):
    name = "yesno"
    closed = True
    counting = Counting.CODED
    widget = Widget("yesno", offers_choices=True)

    def normalise(self, raw: str, codes: Sequence[str]) -> str:
        return refuse_unknown(raw.strip(), codes)

    def draw(self, sample: Sample) -> str:
        return weighted(sample.weights, sample.rng)

    def demo_weights(self, codes: Sequence[str]) -> dict[str, float]:
        return {"yes": 60, "no": 36, DONT_KNOW: 2, NO_ANSWER: 2}

    def choices(self, variable: Variable, choice_lists: ChoiceLists) -> tuple[Choice, ...]:
        return tuple(Choice(code=c, label=label) for c, label in YES_NO_CHOICES)

    def shown(self, value: str, label: Callable[[str], str]) -> str:
        return label(value)
