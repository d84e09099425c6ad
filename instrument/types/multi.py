"""`multi`: any number of codes from the variable's choice list, stored joined by `;`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from instrument.model import DONT_KNOW, NO_ANSWER, RESERVED_CODES, Choice, Variable
from instrument.types.base import (
    MULTI_SEPARATOR,
    ChoiceLists,
    Counting,
    QuestionType,
    Sample,
    Widget,
    register,
)
from instrument.types.single import choice_list_problems, listed_choices
from instrument.values import ValueProblem


@register
class Multi(QuestionType):
    name = "multi"
    closed = True
    multiple = True
    uses_choice_list = True
    counting = Counting.MENTIONS
    widget = Widget("multi", offers_choices=True)

    def normalise(self, raw: str, codes: Sequence[str]) -> str:
        chosen = [c.strip() for c in raw.strip().split(MULTI_SEPARATOR) if c.strip()]
        problems = []
        unknown = [c for c in chosen if c not in codes and c not in RESERVED_CODES]
        if unknown:
            problems.append(
                f"{', '.join(repr(c) for c in unknown)} "
                f"{'is not a code' if len(unknown) == 1 else 'are not codes'} "
                f"(codes: {', '.join(codes)})"
            )
        repeated = sorted({c for c in chosen if chosen.count(c) > 1})
        if repeated:
            problems.append(f"{', '.join(repr(c) for c in repeated)} given more than once")
        reserved = [c for c in chosen if c in RESERVED_CODES]
        if reserved and len(chosen) > 1:
            problems.append(f"{reserved[0]!r} cannot be combined with other codes")
        if problems:
            raise ValueProblem("; ".join(problems))
        return MULTI_SEPARATOR.join(c for c in codes if c in chosen)

    def draw(self, sample: Sample) -> str:
        """Codes mentioned, each with its own chance; at least one, or a reserved code instead."""
        weights, rng = sample.weights, sample.rng
        for reserved in (NO_ANSWER, DONT_KNOW):
            if rng.random() < weights.get(reserved, 0):
                return reserved
        codes = [c for c in sample.codes if weights.get(c, 0) > 0]
        chosen = [c for c in codes if rng.random() < weights[c]]
        if not chosen:
            chosen = [max(codes, key=lambda c: weights[c])]
        return MULTI_SEPARATOR.join(chosen)

    def demo_weights(self, codes: Sequence[str]) -> dict[str, float]:
        """Each code mentioned a third of the time."""
        return {**dict.fromkeys(codes, 1 / 3), NO_ANSWER: 0.02}

    def choices(self, variable: Variable, choice_lists: ChoiceLists) -> tuple[Choice, ...] | None:
        return listed_choices(variable, choice_lists)

    def problems(self, variable: Variable, choice_lists: ChoiceLists) -> list[str]:
        return choice_list_problems(variable, choice_lists)

    def longest_value(self, codes: Sequence[str]) -> int:
        return len(MULTI_SEPARATOR.join(codes))

    def shown(self, value: str, label: Callable[[str], str]) -> str:
        return "; ".join(label(c) for c in value.split(MULTI_SEPARATOR))

    def codes_in(self, value: str) -> tuple[str, ...]:
        return tuple(value.split(MULTI_SEPARATOR))
