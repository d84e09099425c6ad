"""Tallies from a counts table: how many completed interviews gave each value, however counted.

A counts table (`COUNT_COLUMNS`) has, per closed variable, one row per value recorded in the
interviews it applies to (`applies` true; value None: applies, yet nothing recorded) and one
row of the interviews routing skipped (`applies` false, value None). So a variable's rows add
up to the completed interviews counted, and its `applies` rows to its base.

The database counts one for the report (`services.results.wave_counts`) and the wide table of
answers another for the dashboard (`aggregation.tally.answer_counts`); both become tallies
here, so the two paths can differ only in how they count.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypedDict

import pandas as pd
from pandas._typing import Dtype

from instrument.model import DONT_KNOW, NO_ANSWER, NOT_APPLICABLE, Variable, scores_of
from instrument.schedule import Instrument
from instrument.types import REGISTRY, Counting, question_type

COUNT_COLUMNS = ("variable_id", "value", "applies", "interviews")
RESERVED = frozenset({NO_ANSWER, DONT_KNOW, NOT_APPLICABLE})

Histogram = dict[str | None, int]  # value (None: blank) -> interviews


@dataclass(frozen=True)
class Tally:
    """One closed variable over the completed interviews: the shape every output reads."""

    variable_id: str
    type: str  # yesno, single, multi, percent, or band (derived from a percent)
    label: str
    base: int  # completed interviews in which the variable applies
    counts: dict[str, int]  # every choice code, in the instrument's order, zeros included
    no_answer: int
    dont_know: int
    not_applicable: int
    answered: int = 0  # interviews giving a substantive answer (any code, or a number)
    choice_labels: dict[str, str] = field(default_factory=dict)
    scores: dict[str, int] = field(default_factory=dict)  # a scale's points; empty if unscored
    n: int | None = None  # percent: interviews giving a number
    median: float | None = None
    min: int | None = None
    max: int | None = None
    # Whether "did not answer" and "don't know" can be said at all: not of coded themes, whose
    # base is the respondents who gave an answer.
    non_response: bool = True
    # Published view: the base was below this threshold, so every figure here is withheld
    # (zeros, not counts); None when the tally is shown (`aggregation.disclosure`).
    withheld_below: int | None = None

    def percentage(self, count: int) -> float:
        """Share of the base, in per cent (0 when the base is empty)."""
        return 100.0 * count / self.base if self.base else 0.0

    @property
    def numeric(self) -> bool:
        """Figures (n, min, median, max) rather than counts of codes; a band counts codes."""
        kind = REGISTRY.get(self.type)
        return kind is not None and kind.counting == Counting.NUMERIC

    @property
    def multiple(self) -> bool:
        """More than one code per interview, so the counts may add up to more than the base."""
        kind = REGISTRY.get(self.type)
        return kind is not None and kind.multiple

    @property
    def mean_score(self) -> float | None:
        """A scale's mean over the answers giving a point (None unscored or unanswered)."""
        scored = sum(self.counts.get(code, 0) for code in self.scores)
        if not scored:
            return None
        return sum(score * self.counts.get(code, 0) for code, score in self.scores.items()) / scored

    @property
    def unrecorded(self) -> int:
        """Applicable yet blank: zero for a clean wave (completion forbids it)."""
        return self.base - self.answered - self.no_answer - self.dont_know


def closed_variables(instrument: Instrument) -> tuple[Variable, ...]:
    """What is tallied, in report order: closed record variables (the role), then questions."""
    return tuple(
        v for v in (*instrument.record_variables, *instrument.closed_questions) if v.is_closed
    )


def counts_frame(rows: Iterable[CountRow]) -> pd.DataFrame:
    """A counts table from (variable_id, value, applies, interviews) rows; values stay objects
    (None for blank) rather than becoming pandas strings with NaN."""
    columns = list(zip(*rows, strict=True)) or [(), (), (), ()]
    dtypes: tuple[Dtype, ...] = (object, object, bool, "int64")
    return pd.DataFrame(
        {
            name: pd.Series(column, dtype=dtype)
            for name, column, dtype in zip(COUNT_COLUMNS, columns, dtypes, strict=True)
        }
    )


CountRow = tuple[str, str | None, bool, int]  # a counts table's row, as COUNT_COLUMNS


def tally_from_counts(
    instrument: Instrument, counts: pd.DataFrame | Iterable[CountRow]
) -> dict[str, Tally]:
    """Every closed variable's tally (derived bands right after their percent source), from a
    counts table or its rows (the counters' few hundred need no DataFrame)."""
    asked: dict[str, Histogram] = defaultdict(dict)
    skipped: Counter[str] = Counter()
    if isinstance(counts, pd.DataFrame):
        counts = zip(*(counts[name].tolist() for name in COUNT_COLUMNS), strict=True)
    for variable_id, value, applies, n in counts:
        if not applies:
            skipped[variable_id] += int(n)
            continue
        key = value if isinstance(value, str) else None  # None, or NaN from pandas strings
        histogram = asked[variable_id]
        histogram[key] = histogram.get(key, 0) + int(n)
    result: dict[str, Tally] = {}
    for variable in closed_variables(instrument):
        histogram = asked.get(variable.id, {})
        result[variable.id] = tally_counted(instrument, variable, histogram, skipped[variable.id])
        if variable.bands:
            result[variable.bands.id] = bands_counted(variable, histogram, skipped[variable.id])
    return result


def tally_counted(
    instrument: Instrument, variable: Variable, histogram: Histogram, skipped: int
) -> Tally:
    """One variable from how many interviews gave each value where it applies."""
    common, given = _common(variable.id, variable.type, variable.label or variable.id, histogram)
    kind = question_type(variable)
    if kind.counting == Counting.NUMERIC:
        numbers = sorted((int(value), n) for value, n in given.items())
        return Tally(
            **common,
            not_applicable=skipped,
            counts={},
            n=sum(n for _, n in numbers),
            median=median_of(numbers),
            min=numbers[0][0] if numbers else None,
            max=numbers[-1][0] if numbers else None,
        )
    mentions: Counter[str] = Counter()
    for value, n in given.items():
        for code in kind.codes_in(value):
            mentions[code] += n
    choices = instrument.choices(variable)
    return Tally(
        **common,
        not_applicable=skipped,
        counts={c.code: mentions[c.code] for c in choices},
        choice_labels={c.code: c.label for c in choices},
        scores={} if kind.multiple else scores_of(choices),
    )


def bands_counted(variable: Variable, histogram: Histogram, skipped: int) -> Tally:
    """A derived band variable (q24_balance) over the same base as its percent source."""
    banding = variable.bands
    assert banding is not None
    common, given = _common(banding.id, "band", banding.label, histogram)
    banded: Counter[str | None] = Counter()
    for value, n in given.items():
        banded[banding.band_of(int(value))] += n
    return Tally(
        **common,
        not_applicable=skipped,
        counts={b.code: banded[b.code] for b in banding.bands},
        choice_labels={b.code: b.label for b in banding.bands},
    )


class _Common(TypedDict):
    """The `Tally` fields every kind of tally fills the same way."""

    variable_id: str
    type: str
    label: str
    base: int
    no_answer: int
    dont_know: int
    answered: int


def _common(
    variable_id: str, kind: str, label: str, histogram: Histogram
) -> tuple[_Common, dict[str, int]]:
    """The fields every tally shares, and the substantive answers (no blank, no reserved code)."""
    given = {v: n for v, n in histogram.items() if v and v not in RESERVED}
    return {
        "variable_id": variable_id,
        "type": kind,
        "label": label,
        "base": sum(histogram.values()),
        "no_answer": histogram.get(NO_ANSWER, 0),
        "dont_know": histogram.get(DONT_KNOW, 0),
        "answered": sum(given.values()),
    }, given


def median_of(histogram: list[tuple[int, int]]) -> float | None:
    """The median of values given as sorted (value, interviews) pairs, as `statistics.median`
    gives it for the values written out one by one (None for none)."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # positions of the middle value(s), from 0
    found: list[int] = []
    seen = 0
    for value, n in histogram:
        while wanted and wanted[0] < seen + n:
            found.append(value)
            wanted.pop(0)
        seen += n
    return (found[0] + found[1]) / 2
