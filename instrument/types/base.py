"""What a question type is: one class per `type:` of the schedule, looked up by name.

Every place that once branched on a variable's type asks its type object instead, so a new
type is one module here (see README, "Adding a question type"). Plain data only: the keying
panel serialises `Widget` for its JS, so nothing here imports streamlit or the database.
"""

from __future__ import annotations

import datetime as dt
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from instrument.model import NO_ANSWER, Choice, Variable
from instrument.values import MULTI_SEPARATOR

ChoiceLists = Mapping[str, tuple[Choice, ...]]


class Counting(StrEnum):
    """How the national counts read an answer of the type."""

    CODED = "coded"  # one code per answer, counted as it is
    MENTIONS = "mentions"  # several codes joined by `MULTI_SEPARATOR`, each counted
    NUMERIC = "numeric"  # a whole number: min, median, max (and bands)
    NOT_TALLIED = "not_tallied"  # read, never counted


@dataclass(frozen=True)
class Widget:
    """What the keying panel draws for the type: its JS widget, placeholder, offered choices."""

    kind: str  # the panel's widget: yesno, single, multi, percent, text or line
    placeholder: str | None = None
    offers_choices: bool = False


@dataclass(frozen=True)
class Sample:
    """What the demo wave draws one synthetic answer from (see `ops.demo`)."""

    rng: random.Random
    weights: Mapping[str, float]  # by code: relative weights, or a multi's chance of a mention
    codes: Sequence[str]  # the variable's codes, in order
    texts: Sequence[str]  # plausible free text for the variable
    period: tuple[dt.date, dt.date]  # the fieldwork, for dates


class QuestionType(ABC):
    """One question type: how its answers are read, checked, shown, counted, filed and drawn."""

    name: ClassVar[str]
    closed: ClassVar[bool] = False  # counted in the national tables, so it needs a label
    verbatim: ClassVar[bool] = False  # the respondent's own words, withheld from some readers
    multiple: ClassVar[bool] = False  # an answer holds several codes joined by `;`
    uses_choice_list: ClassVar[bool] = False  # takes `choices:` naming a choice list
    takes_bands: ClassVar[bool] = False  # may be banded for reporting (`bands:`)
    counting: ClassVar[Counting] = Counting.NOT_TALLIED
    widget: ClassVar[Widget] = Widget("line")

    @abstractmethod
    def normalise(self, raw: str, codes: Sequence[str]) -> str:
        """The canonical stored text for a non-blank, non-reserved value typed or imported
        (`raw` as given; most types strip it); raise `ValueProblem` in words otherwise."""

    @abstractmethod
    def draw(self, sample: Sample) -> str:
        """A plausible raw value for the demo wave, read through `normalise` as keyed."""

    def demo_weights(self, codes: Sequence[str]) -> dict[str, float]:
        """Every code alike, a reserved code rarely: the demo's weights where none are given."""
        return {**dict.fromkeys(codes, 1.0), NO_ANSWER: 0.03 * len(codes)}

    def choices(self, variable: Variable, choice_lists: ChoiceLists) -> tuple[Choice, ...] | None:
        """The codes the variable may take, in order; None for a type without codes."""
        return None

    def problems(self, variable: Variable, choice_lists: ChoiceLists) -> list[str]:
        """What is wrong with the variable's settings for this type, in words for the YAML."""
        return []

    def longest_value(self, codes: Sequence[str]) -> int:
        """The longest stored answer the codes allow (checked against the count index)."""
        return max(map(len, codes), default=0)

    def shown(self, value: str, label: Callable[[str], str]) -> str:
        """A stored (non-reserved) value in words; `label` gives a code's choice label."""
        return value

    def read_back(self, value: str) -> str | None:
        """The stored value read back beside the widget, where a slip would be hard to see."""
        return None

    def codes_in(self, value: str) -> tuple[str, ...]:
        """The codes a stored answer holds: a routing rule holds if its code is among them."""
        return (value,)

    def cell(self, value: str) -> str:
        """The flat-file cell for a stored value (read back through `normalise`)."""
        return value


REGISTRY: dict[str, QuestionType] = {}


def register(kind: type[QuestionType]) -> type[QuestionType]:
    """Class decorator: make the type known to the loader and every reader by its `name`."""
    REGISTRY[kind.name] = kind()
    return kind


def question_type(variable: Variable | str) -> QuestionType:
    """The type object of a variable (or a type name); KeyError for a type not registered."""
    return REGISTRY[variable if isinstance(variable, str) else variable.type]


__all__ = ["MULTI_SEPARATOR", "REGISTRY", "Counting", "QuestionType", "Sample", "Widget"]
