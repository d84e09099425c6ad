"""A checked instrument: variables in schedule order, their choices, and routing."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from instrument.model import (
    Choice,
    Condition,
    InstrumentSpec,
    Part,
    Variable,
    parse_condition,
)
from instrument.types import question_type

Answers = Mapping[str, str | None]


class Instrument:
    """The schedule the app, the CLI and the aggregator all read; built only by the loader."""

    def __init__(self, spec: InstrumentSpec) -> None:
        self.spec = spec
        self.name = spec.instrument
        self.title = spec.title
        self.introduction = spec.introduction
        self.parts: tuple[Part, ...] = spec.parts
        self.record_variables: tuple[Variable, ...] = spec.record
        self.questions: tuple[Variable, ...] = tuple(v for p in spec.parts for v in p.variables)
        self.comparisons = spec.comparisons
        self._by_id = {v.id: v for v in (*spec.record, *self.questions)}
        self._part_of = {v.id: p for p in spec.parts for v in p.variables}
        self._conditions: dict[str, Condition] = {
            v.id: parse_condition(v.asked_if) for v in self._by_id.values() if v.asked_if
        }

    def __repr__(self) -> str:
        return f"<Instrument {self.name}: {len(self.questions)} questions>"

    def variable(self, variable_id: str) -> Variable:
        return self._by_id[variable_id]

    def has_variable(self, variable_id: str) -> bool:
        return variable_id in self._by_id

    def part_of(self, variable_id: str) -> Part:
        return self._part_of[variable_id]

    def choices(self, variable: Variable | str) -> tuple[Choice, ...]:
        """The codes a yesno, single or multi variable may take, in the schedule's order."""
        v = self.variable(variable) if isinstance(variable, str) else variable
        return question_type(v).choices(v, self.spec.choice_lists) or ()

    def choice_codes(self, variable: Variable) -> list[str]:
        """The codes alone, worked out once per variable: a file's every row is checked
        against them (`instrument.values.normalise`)."""
        codes = self._codes.get(variable.id)
        if codes is None:
            codes = self._codes[variable.id] = [c.code for c in self.choices(variable)]
        return codes

    @cached_property
    def _codes(self) -> dict[str, list[str]]:
        return {}

    def choice_label(self, variable: Variable | str, code: str) -> str:
        for choice in self.choices(variable):
            if choice.code == code:
                return choice.label
        return code

    def condition(self, variable_id: str) -> Condition | None:
        return self._conditions.get(variable_id)

    @cached_property
    def closed_questions(self) -> tuple[Variable, ...]:
        return tuple(v for v in self.questions if v.is_closed)

    @cached_property
    def routed_closed_ids(self) -> tuple[str, ...]:
        """Closed questions asked only where a routing rule holds, in schedule order."""
        return tuple(v.id for v in self.closed_questions if self.condition(v.id))

    @cached_property
    def verbatim_ids(self) -> frozenset[str]:
        """Free-text answers, in the respondent's own words: withheld from some readers."""
        return frozenset(v.id for v in self.questions if question_type(v).verbatim)

    def applies(self, variable_id: str, answers: Answers) -> bool:
        """Routing: is the variable asked, given the answers so far?

        A rule holds only when the variable it tests is itself asked and holds the code
        (for a multi, includes it); a blank, reserved or skipped parent skips the child.
        """
        condition = self._conditions.get(variable_id)
        if condition is None:
            return True
        return any(
            all(self._holds(c.variable, c.code, answers) for c in group)
            for group in condition.groups
        )

    def _holds(self, variable_id: str, code: str, answers: Answers) -> bool:
        value = answers.get(variable_id)
        if not value or not self.applies(variable_id, answers):
            return False
        return code in question_type(self.variable(variable_id)).codes_in(value)

    def applicable(self, answers: Answers) -> list[Variable]:
        """The questions asked, in schedule order, given the answers."""
        return [v for v in self.questions if self.applies(v.id, answers)]

    def unrecorded(self, answers: Answers, *, closed_only: bool = True) -> list[Variable]:
        """Applicable questions with nothing recorded: what stops an interview completing."""
        pool = self.closed_questions if closed_only else self.questions
        return [v for v in pool if self.applies(v.id, answers) and not answers.get(v.id)]
