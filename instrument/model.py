"""The interview schedule as typed, frozen data.

Everything the product knows about questions comes from these models, loaded from a YAML
file, so adding a question is a YAML edit. Structural checks that need the whole schedule
(duplicate ids, unknown choice lists, routing that names unknown variables) live in
`instrument.loader`, which lists every problem at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
# The longest a closed answer's stored value may be (a multiple choice holds its codes joined by
# ";"). The database's count index holds answers up to this length, so the national counts read
# closed answers from the index alone; the loader refuses a choice list that could exceed it.
CODED_VALUE_LIMIT = 500


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Choice(_Frozen):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    score: int | None = None  # a scale point's value (2, 1, 0; -2 … 2), for means and diverging


def scores_of(choices: tuple[Choice, ...]) -> dict[str, int]:
    """Each code's score when every choice has one (a scale); empty otherwise."""
    if not choices or any(c.score is None for c in choices):
        return {}
    return {c.code: c.score for c in choices if c.score is not None}


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

    @cached_property  # routing asks for them on every row of a file
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


@dataclass(frozen=True)
class Placeholder:
    """`{name}` or `{name noun}` in a report template: a count (with its noun) or some words."""

    name: str
    singular: str | None = None
    plural: str | None = None  # None: the singular with an s


@dataclass(frozen=True)
class Agreement:
    """`[singular|plural]` in a report template: agrees with the count just before it."""

    singular: str
    plural: str


TemplatePiece = str | Placeholder | Agreement
_TEMPLATE_TOKEN = re.compile(r"\{([^{}\[\]]*)\}|\[([^{}\[\]]*)\]|([{}\[\]])")
_PLACEHOLDER = re.compile(r"([a-z][a-z0-9_]*)(?:\s+(.+))?")


def parse_template(text: str) -> tuple[TemplatePiece, ...]:
    """Split a report template into words, `{placeholders}` and `[singular|plural]` choices.

    Raises ValueError saying what is wrong, in words an editor of the YAML can act on.
    """
    pieces: list[TemplatePiece] = []
    position = 0
    for match in _TEMPLATE_TOKEN.finditer(text):
        if match.start() > position:
            pieces.append(text[position : match.start()])
        position = match.end()
        inside_braces, inside_brackets, stray = match.groups()
        if stray is not None:
            raise ValueError(f"a {stray!r} without its partner (or one inside another)")
        if inside_braces is not None:
            pieces.append(_placeholder(inside_braces))
        else:
            pieces.append(_agreement(inside_brackets))
    if position < len(text):
        pieces.append(text[position:])
    return tuple(pieces)


def _placeholder(inside: str) -> Placeholder:
    found = _PLACEHOLDER.fullmatch(inside.strip())
    if not found:
        raise ValueError(
            f"{{{inside}}} should be a code or figure name, optionally followed by a noun, "
            "e.g. {yes respondent}"
        )
    name, noun = found.groups()
    if noun is None:
        return Placeholder(name)
    singular, bar, plural = (part.strip() for part in noun.partition("|"))
    if not singular or (bar and not plural) or "|" in plural:
        raise ValueError(f"{{{inside}}}: write the noun as 'singular' or 'singular|plural'")
    return Placeholder(name, singular, plural or None)


def _agreement(inside: str) -> Agreement:
    parts = inside.split("|")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ValueError(f"[{inside}] should be two wordings, singular|plural, e.g. [was|were]")
    return Agreement(parts[0].strip(), parts[1].strip())


class ReportTemplate(_Frozen):
    """How one variable reads in the report (see the YAML header for the placeholders)."""

    text: tuple[str, ...] = ()
    item: str | None = None
    items: tuple[tuple[str, str], ...] = ()  # (code, phrase); a mapping in the YAML

    @field_validator("text", mode="before")
    @classmethod
    def _one_sentence_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @field_validator("items", mode="before")
    @classmethod
    def _mapping_to_pairs(cls, value: object) -> object:
        """Pairs keep the variable hashable, as it was before it had report wording."""
        return tuple(value.items()) if isinstance(value, dict) else value

    def item_of(self, code: str) -> str | None:
        """The phrase written for this code under `items`, or else `item`, or None."""
        return dict(self.items).get(code, self.item)


class TypeTemplate(_Frozen):
    """The sentence any variable of one type gets when it has no `report` of its own."""

    text: str
    routed: str | None = None  # instead of text when the variable is asked only of some
    item: str = "{choice} ({n respondent})"


class ReportTemplates(_Frozen):
    """An instrument's generic report wording: one sentence per type, and the footnotes."""

    no_answer: str = "{no_answer respondent} did not answer."
    dont_know: str = "{dont_know respondent} did not know."
    nobody_asked: str = "No respondents were asked about {label}."
    nobody_answered: str = "No respondents gave an answer on {label}."
    yesno: TypeTemplate = TypeTemplate(
        text="On {label}, {yes respondent} said yes and {no} said no.",
        routed="Of the {base respondent} asked about {label}, {yes} said yes and {no} said no.",
    )
    single: TypeTemplate = TypeTemplate(
        text="On {label}, the answers were {list}.",
        routed="Of the {base respondent} asked about {label}, the answers were {list}.",
    )
    multi: TypeTemplate = TypeTemplate(
        text="On {label}, respondents mentioned {list}.",
        routed="Of the {base respondent} asked about {label}, the answers mentioned {list}.",
    )
    percent: TypeTemplate = TypeTemplate(
        text="Answers on {label} ranged from {min} to {max}, with a median of {median}.",
    )
    band: TypeTemplate = TypeTemplate(text="On {label}, the figures given were {list}.")

    def for_type(self, type_name: str) -> TypeTemplate:
        template = getattr(self, type_name)
        if not isinstance(template, TypeTemplate):
            raise AttributeError(f"no report template for type {type_name!r}")
        return template


REPORT_TYPES: tuple[str, ...] = ("yesno", "single", "multi", "percent", "band")
# The names a report template may use besides a variable's own codes (counts take a noun).
REPORT_COUNTS: tuple[str, ...] = ("base", "answered")
REPORT_WORDS: tuple[str, ...] = ("label", "list")
SCORE_WORDS: tuple[str, ...] = ("mean",)  # besides REPORT_WORDS, for a scale (scored choices)
PERCENT_WORDS: tuple[str, ...] = ("label", "min", "max", "median")
ITEM_COUNTS: tuple[str, ...] = ("n", "base", "answered")
ITEM_WORDS: tuple[str, ...] = ("choice", "label")


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
    report: ReportTemplate | None = None

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
    same_as: str | None = None  # the id this question had in an earlier wave, for comparisons
    coded: bool = False
    help: str | None = None
    bands: Banding | None = None
    report: ReportTemplate | None = None

    @property
    def is_closed(self) -> bool:
        """Counted in the national tables: a property of its type (False for an unknown one)."""
        from instrument.types import REGISTRY  # the types are built on this model

        kind = REGISTRY.get(self.type)
        return kind is not None and kind.closed

    @property
    def display_number(self) -> str:
        return f"Q{self.number}" if self.number else ""


class Part(_Frozen):
    id: str
    title: str
    variables: tuple[Variable, ...]


class Comparison(_Frozen):
    """Closed questions sharing one choice list, drawn as one chart with a bar each (the two
    guidance usefulness questions; a budget question asked for two years). The schedule
    declares them, so no question id is named in Python. `show` draws them as stacked bars,
    as bars diverging from a scale's middle, or as each question's mean score (both of the
    last need a scored choice list)."""

    title: str
    show: Literal["bars", "diverging", "means"] = "bars"
    variables: tuple[str, ...]
    names: dict[str, str] = {}  # a bar's name, where not the variable's label ("2011/12")
    base: str | None = None  # who the bases count, when they differ ("councils that used each")


class InstrumentSpec(_Frozen):
    """The YAML file's shape, before cross-checks."""

    instrument: str
    title: str
    introduction: str
    choice_lists: dict[str, tuple[Choice, ...]]
    record: tuple[Variable, ...] = ()
    parts: tuple[Part, ...]
    report_templates: ReportTemplates = ReportTemplates()
    comparisons: tuple[Comparison, ...] = ()

