"""The interview schedule as typed, frozen data.

Everything the product knows about questions comes from these models, loaded from a YAML
file, so adding a question is a YAML edit. Structural checks that need the whole schedule
(duplicate ids, unknown choice lists, routing that names unknown variables) live in
`instrument.loader`, which lists every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

VariableType = Literal["yesno", "single", "multi", "text", "percent", "date"]
CLOSED_TYPES: frozenset[str] = frozenset({"yesno", "single", "multi", "percent"})

NO_ANSWER = "no_answer"
DONT_KNOW = "dont_know"
NOT_APPLICABLE = "not_applicable"
RESERVED_CODES: tuple[str, ...] = (NO_ANSWER, DONT_KNOW, NOT_APPLICABLE)
RESERVED_LABELS: dict[str, str] = {
    NO_ANSWER: "Did not answer",
    DONT_KNOW: "Don't know",
    NOT_APPLICABLE: "Not applicable",
}
YES_NO_CHOICES: tuple[tuple[str, str], ...] = (("yes", "Yes"), ("no", "No"))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Choice(_Frozen):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str


@dataclass(frozen=True)
class Clause:
    """One test of a routing rule: `variable = code`."""

    variable: str
    code: str


@dataclass(frozen=True)
class Condition:
    """A routing rule in disjunctive form: any group true, where a group is all its clauses."""

    text: str
    groups: tuple[tuple[Clause, ...], ...]

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(c for group in self.groups for c in group)


def parse_condition(text: str) -> Condition:
    """Parse `a = x or b = y and c = z` (and binds tighter than or); raise ValueError in words."""
    groups: list[tuple[Clause, ...]] = []
    for group_text in _split_words(text, "or"):
        clauses: list[Clause] = []
        for clause_text in _split_words(group_text, "and"):
            variable, sep, code = clause_text.partition("=")
            variable, code = variable.strip(), code.strip().strip("'\"")
            if not sep or not variable or not code or " " in variable or " " in code:
                raise ValueError(
                    f"cannot read routing rule {text!r}: expected 'variable = code' "
                    f"clauses joined by 'or' / 'and', found {clause_text.strip()!r}"
                )
            clauses.append(Clause(variable, code))
        groups.append(tuple(clauses))
    return Condition(text=text, groups=tuple(groups))


def _split_words(text: str, word: str) -> list[str]:
    parts = [p for p in f" {text} ".split(f" {word} ")]
    return [p.strip() for p in parts]


class Band(_Frozen):
    """One band of a derived variable: the whole numbers `low`..`high` of its source, inclusive."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    low: int = Field(ge=0, le=100)
    high: int = Field(ge=0, le=100)


class Banding(_Frozen):
    """A variable derived for reporting from a percent, never stored (e.g. `q24_balance`)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    bands: tuple[Band, ...]

    def band_of(self, value: int) -> str | None:
        return next((b.code for b in self.bands if b.low <= value <= b.high), None)


class Variable(_Frozen):
    """One variable of the codebook: what is asked, how it is recorded, when it applies."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: str
    text: str
    number: str | None = None
    lead_in: str | None = None
    label: str | None = None
    choices: str | None = None
    asked_if: str | None = None
    coded: bool = False
    help: str | None = None
    bands: Banding | None = None

    @property
    def is_closed(self) -> bool:
        return self.type in CLOSED_TYPES

    @property
    def display_number(self) -> str:
        return f"Q{self.number}" if self.number else ""


class Part(_Frozen):
    id: str
    title: str
    variables: tuple[Variable, ...]


class InstrumentSpec(_Frozen):
    """The YAML file's shape, before cross-checks."""

    instrument: str
    title: str
    introduction: str
    choice_lists: dict[str, tuple[Choice, ...]]
    record: tuple[Variable, ...] = ()
    parts: tuple[Part, ...]


VariableKind = Literal["record", "question"]
