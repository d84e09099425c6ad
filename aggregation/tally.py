"""Tallies: how many completed interviews said what, with non-response always kept apart.

Pure: a table of interviews and a long table of answers (plain DataFrames) plus the
instrument in; typed results out. No database, no Streamlit, no files. Works the same for
32 councils or 100,000 respondents: routing is evaluated column by column, not row by row.
The answers become a counts table, and tallies come from it as from the database's own
counts (`aggregation.counts`); the wide table stays for what needs each interview's values
(cross-tabulations, the per-council chart).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aggregation.counts import Tally as Tally  # re-exported: outputs read Tally from here
from aggregation.counts import closed_variables, counts_frame, tally_from_counts
from aggregation.disclosure import WITHHELD
from instrument.model import DONT_KNOW, NO_ANSWER
from instrument.schedule import Instrument
from instrument.types import question_type
from instrument.values import MULTI_SEPARATOR
from instrument.vocabulary import InterviewStatus

COMPLETED = InterviewStatus.COMPLETED.value  # plain text, as the frames hold it
INTERVIEW_COLUMNS = ("interview_id", "council_code", "council_name", "status", "respondent_role")
ANSWER_COLUMNS = ("interview_id", "variable_id", "value")


@dataclass(frozen=True)
class Answers:
    """Completed interviews as a wide table (one row each, one column per variable)."""

    interviews: pd.DataFrame  # INTERVIEW_COLUMNS, completed only, indexed by interview_id
    wide: pd.DataFrame  # same index; columns are variable ids; values str or None

    @property
    def count(self) -> int:
        return len(self.interviews)

    def subset(self, keep: np.ndarray) -> Answers:
        """The interviews a boolean mask over the rows keeps."""
        return Answers(self.interviews[keep], self.wide[keep])


def completed_answers(
    instrument: Instrument, interviews: pd.DataFrame, answers: pd.DataFrame
) -> Answers:
    """Keep completed interviews and spread their answers into one column per variable."""
    done = interviews[interviews["status"] == COMPLETED].set_index("interview_id", drop=False)
    ids = done.index.to_numpy()
    columns = [v.id for v in instrument.questions]
    grid = np.full((len(ids), len(columns)), None, dtype=object)
    if len(answers) and len(ids):
        row_of = pd.Index(ids).get_indexer(pd.Index(answers["interview_id"].to_numpy()))
        column_of = pd.Index(columns).get_indexer(pd.Index(answers["variable_id"].to_numpy()))
        keep = (row_of >= 0) & (column_of >= 0)
        grid[row_of[keep], column_of[keep]] = answers["value"].to_numpy()[keep]
    wide = pd.DataFrame(grid, index=done.index, columns=columns)
    wide["respondent_role"] = done["respondent_role"].to_numpy()
    return Answers(done, wide)


class _Routing:
    """Which interviews each variable applies to, computed once per variable as a mask."""

    def __init__(self, instrument: Instrument, wide: pd.DataFrame) -> None:
        self.instrument = instrument
        self.wide = wide
        self._masks: dict[str, np.ndarray] = {}

    def column(self, variable_id: str) -> np.ndarray:
        return self.wide[variable_id].to_numpy(dtype=object)

    def applies(self, variable_id: str) -> np.ndarray:
        if variable_id not in self._masks:
            condition = self.instrument.condition(variable_id)
            mask = np.ones(len(self.wide), dtype=bool)
            if condition is not None:
                mask = np.zeros(len(self.wide), dtype=bool)
                for group in condition.groups:
                    part = np.ones(len(self.wide), dtype=bool)
                    for clause in group:
                        part &= self.applies(clause.variable) & self.holds(
                            clause.variable, clause.code
                        )
                    mask |= part
            self._masks[variable_id] = mask
        return self._masks[variable_id]

    def holds(self, variable_id: str, code: str) -> np.ndarray:
        column = self.column(variable_id)
        kind = question_type(self.instrument.variable(variable_id))
        if kind.multiple:
            return np.fromiter(
                (isinstance(v, str) and code in kind.codes_in(v) for v in column), bool, len(column)
            )
        return np.asarray(column == code, dtype=bool)


def answering(instrument: Instrument, answers: Answers, variable_id: str, code: str) -> Answers:
    """The interviews asked `variable_id` that answered `code` (a multiple choice: chose it)."""
    routing = _Routing(instrument, answers.wide)
    return answers.subset(routing.applies(variable_id) & routing.holds(variable_id, code))


def tally_all(instrument: Instrument, answers: Answers) -> dict[str, Tally]:
    """Every closed variable (respondent's role first, derived bands after their source)."""
    return tally_from_counts(instrument, answer_counts(instrument, answers))


def answer_counts(instrument: Instrument, answers: Answers) -> pd.DataFrame:
    """The counts table (`aggregation.counts`) of a wide table: routing masks, then plain
    counting over each variable's values where it applies (quicker than pandas at 32)."""
    routing = _Routing(instrument, answers.wide)
    rows: list[tuple[str, str | None, bool, int]] = []
    for variable in closed_variables(instrument):
        applies = routing.applies(variable.id)
        seen = Counter(routing.column(variable.id)[applies].tolist())
        rows += [(variable.id, value, True, n) for value, n in seen.items()]
        skipped = len(applies) - int(applies.sum())
        if skipped:
            rows.append((variable.id, None, False, skipped))
    return counts_frame(rows)


def crosstab(instrument: Instrument, answers: Answers, rows: str, columns: str) -> pd.DataFrame:
    """Counts of one closed variable's codes (rows) by another's (columns), both applicable.

    Multiple choices count once per code chosen; non-response codes get rows/columns of
    their own so nothing asked disappears from the table.
    """
    routing = _Routing(instrument, answers.wide)
    both = routing.applies(rows) & routing.applies(columns)
    frame = answers.wide.loc[both, [rows, columns]].fillna("(blank)")
    for name in (rows, columns):
        if question_type(instrument.variable(name)).multiple:
            frame[name] = frame[name].str.split(MULTI_SEPARATOR)
            frame = frame.explode(name)
    table = pd.crosstab(frame[rows], frame[columns])
    return table.reindex(
        index=_order(instrument, rows, table.index),
        columns=_order(instrument, columns, table.columns),
        fill_value=0,
    )


def _order(instrument: Instrument, variable_id: str, present: Iterable[str]) -> list[str]:
    codes = [c.code for c in instrument.choices(variable_id)] + [NO_ANSWER, DONT_KNOW]
    extra = [p for p in present if p not in codes]
    return codes + sorted(extra)


CROSSTAB_VIEWS = ("Counts", "Row %", "Column %")
TOTAL = "Total"


def crosstab_view(
    table: pd.DataFrame,
    view: str = "Counts",
    withheld: tuple[list[str], list[str]] = ([], []),
) -> pd.DataFrame:
    """The cross-tabulation as people read it: counts with a Total row and column, or each
    cell as a percentage of its row's or its column's total (one decimal; an empty row or
    column gives 0), the totals then 100. Rows and columns `withheld` (`aggregation.
    disclosure`) read "withheld", totals too; the totals still count them, so the table adds up."""
    counts = table.copy()
    counts[TOTAL] = counts.sum(axis=1)
    counts.loc[TOTAL] = counts.sum(axis=0)
    if view == "Counts":
        shown: pd.DataFrame = counts.astype(int)
    elif view == "Row %":
        shown = _shares(counts.div(counts[TOTAL].replace(0, float("nan")), axis=0))
    elif view == "Column %":
        shown = _shares(counts.div(counts.loc[TOTAL].replace(0, float("nan")), axis=1))
    else:
        raise ValueError(f"a cross-tabulation is shown as one of {', '.join(CROSSTAB_VIEWS)}")
    rows, columns = withheld
    if not rows and not columns:
        return shown
    text = shown.astype(str).astype(object)
    text.loc[rows, :] = WITHHELD
    text.loc[:, columns] = WITHHELD
    return text


def _shares(fractions: pd.DataFrame) -> pd.DataFrame:
    return (fractions.astype(float) * 100).round(1).fillna(0.0)
