"""`single`: one code from the variable's choice list."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence

from instrument.model import Choice, Variable
from instrument.types.base import ChoiceLists, Counting, QuestionType, Sample, Widget, register
from instrument.values import ValueProblem


def refuse_unknown(text: str, codes: Sequence[str]) -> str:
    if text not in codes:
        raise ValueProblem(f"{text!r} is not one of the codes: {', '.join(codes)}")
    return text


def weighted(weights: Mapping[str, float], rng: random.Random) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def listed_choices(variable: Variable, choice_lists: ChoiceLists) -> tuple[Choice, ...] | None:
    return choice_lists.get(variable.choices) if variable.choices else None


def choice_list_problems(variable: Variable, choice_lists: ChoiceLists) -> list[str]:
    if not variable.choices:
        return [f"a {variable.type} variable needs 'choices' naming a choice list"]
    if variable.choices not in choice_lists:
        return [f"choice list {variable.choices!r} does not exist"]
    return []


@register
class Single(QuestionType):
    name = "single"
    closed = True
    uses_choice_list = True
    counting = Counting.CODED
    widget = Widget("single", offers_choices=True)

    def normalise(self, raw: str, codes: Sequence[str]) -> str:
        return refuse_unknown(raw.strip(), codes)

    def draw(self, sample: Sample) -> str:
        return weighted(sample.weights, sample.rng)

    def choices(self, variable: Variable, choice_lists: ChoiceLists) -> tuple[Choice, ...] | None:
        return listed_choices(variable, choice_lists)

    def problems(self, variable: Variable, choice_lists: ChoiceLists) -> list[str]:
        return choice_list_problems(variable, choice_lists)

    def shown(self, value: str, label: Callable[[str], str]) -> str:
        return label(value)
