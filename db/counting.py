"""The reference count: a wave's closed answers counted in SQL, straight from the answer table.

The report reads the counters kept at save time (`db.counters`); this count is what they must
always equal. `survey_cli.py recount` and the migration that made the counters rebuild them
from it, and the tests hold the counters to it after every kind of change.

One statement of GROUP BYs per wave, grouped by the respondent's role and whether the council
has validated (the two things a view or a filter narrows by): variables always asked are
counted straight from the answers, in one pass; each routed one over the interviews where its
rule, written in SQL from the instrument's conditions, holds, so answers kept on questions
routing now skips are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Select,
    SQLColumnExpression,
    and_,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)

from db.models import Answer, Interview
from instrument.model import CODED_VALUE_LIMIT, Clause
from instrument.schedule import Instrument
from instrument.types import question_type
from instrument.vocabulary import InterviewStatus

COMPLETED = InterviewStatus.COMPLETED.value


@dataclass(frozen=True, order=True)
class Group:
    """The interviews a view or filter can pick out: by role (None: none recorded) and by
    whether the council has validated its submission."""

    respondent_role: str | None
    validated: bool


# One counted line: the group, the variable, its value (None: blank, or skipped), whether it
# applies (False: routing skipped it), and how many completed interviews.
CountLine = tuple[Group, str, str | None, bool, int]


def reference_lines(
    connection: Connection, instrument: Instrument, wave_id: int
) -> list[CountLine]:
    """Every closed variable's count lines over the wave's completed interviews, per group
    (an empty value counts as blank)."""
    routed = set(instrument.routed_closed_ids)
    found: dict[tuple[Group, str | None], list[tuple[str | None, int]]] = defaultdict(list)
    for role, validated, variable_id, value, n in connection.execute(
        counting_statement(instrument, wave_id)
    ):
        found[Group(role, bool(validated)), variable_id].append((value or None, n))
    completed = {group: lines[0][1] for (group, v), lines in found.items() if v is None}
    lines: list[CountLine] = []
    for group, everyone in completed.items():
        for variable_id in closed_ids(instrument):
            groups = found.get((group, variable_id), [])
            base = sum(n for _, n in groups) if variable_id in routed else everyone
            lines += _lines(group, variable_id, groups, base, everyone)
    return lines


def _lines(
    group: Group, variable_id: str, groups: list[tuple[str | None, int]], base: int, everyone: int
) -> Iterator[CountLine]:
    recorded = [(value, n) for value, n in groups if value is not None]
    yield from ((group, variable_id, value, True, n) for value, n in recorded)
    blank = base - sum(n for _, n in recorded)
    if blank:
        yield group, variable_id, None, True, blank
    if everyone > base:
        yield group, variable_id, None, False, everyone - base


def closed_ids(instrument: Instrument) -> tuple[str, ...]:
    """What is counted: closed record variables (the role), then closed questions."""
    return tuple(
        v.id for v in (*instrument.record_variables, *instrument.closed_questions) if v.is_closed
    )


# One part of the counting statement: role, validated, variable id, value (None: blank), count.
CountSelect = Select[str | None, bool, str | None, str | None, int]
CountStatement = CompoundSelect[str | None, bool, str | None, str | None, int]

# Per wave: the schedule it was built for (kept, so it is the same object) and the statement.
_STATEMENTS: dict[int, tuple[Instrument, CountStatement]] = {}
STATEMENTS_KEPT = 64  # waves; the oldest goes first


def counting_statement(instrument: Instrument, wave_id: int) -> CountStatement:
    """The counting statement, built once per wave and pinned schedule (each parsed once per
    process): building its dozen parts costs more than PostgreSQL takes to plan them."""
    kept = _STATEMENTS.get(wave_id)
    if kept is None or kept[0] is not instrument:
        if len(_STATEMENTS) >= STATEMENTS_KEPT:
            del _STATEMENTS[next(iter(_STATEMENTS))]
        kept = _STATEMENTS[wave_id] = (instrument, _build(instrument, wave_id))
    return kept[1]


VALIDATED = Interview.validated_at.is_not(None)
GROUPED = (Interview.respondent_role, VALIDATED)


def _build(instrument: Instrument, wave_id: int) -> CountStatement:
    done = [Interview.wave_id == wave_id, Interview.status == COMPLETED]
    parts = _always_asked(instrument, done) + _routed(instrument, done)
    everyone = (
        select(*GROUPED, null(), null(), func.count())
        .select_from(Interview)
        .where(*done)
        .group_by(*GROUPED)
    )
    return union_all(*parts, everyone)


def _always_asked(instrument: Instrument, done: list[ColumnElement[bool]]) -> list[CountSelect]:
    """Counts of the questions without routing, and of the closed record variables (the role,
    kept on the interview; None where not recorded)."""
    routed = instrument.routed_closed_ids
    asked = [v.id for v in instrument.closed_questions if v.id not in routed]
    parts: list[CountSelect] = [
        select(*GROUPED, Answer.variable_id, Answer.value, func.count())
        .join(Interview, Interview.id == Answer.interview_id)
        .where(*done, Answer.value.is_not(None), Answer.variable_id.in_(asked))
        .group_by(*GROUPED, Answer.variable_id, Answer.value)
    ]
    for variable in instrument.record_variables:
        if variable.is_closed:
            column = Interview.__table__.c[variable.id]
            parts.append(
                select(*GROUPED, literal(variable.id), column, func.count())
                .where(*done)
                .group_by(*GROUPED, column)
            )
    return parts


def _routed(instrument: Instrument, done: list[ColumnElement[bool]]) -> list[CountSelect]:
    """Per routed question, its values (None: blank) in the completed interviews where its rule
    holds, so answers kept on questions routing now skips are left out.

    Each is a small statement of its own: the interviews, the question's answer joined to each,
    and the rule as `IN` tests on the answers it reads, which both databases read once from
    the coded answer index (`ix_answer_coded`) as a semi-join, not once per interview.
    """
    parts: list[CountSelect] = []
    for variable_id in instrument.routed_closed_ids:
        answer = Answer.__table__.alias()
        parts.append(
            select(*GROUPED, literal(variable_id), answer.c.value, func.count())
            .select_from(Interview)
            .outerjoin(
                answer,
                and_(
                    answer.c.interview_id == Interview.id,
                    answer.c.variable_id == variable_id,
                    coded(answer.c.value),
                ),
            )
            .where(*done, _applies(instrument, variable_id))
            .group_by(*GROUPED, answer.c.value)
        )
    return parts


def _applies(instrument: Instrument, variable_id: str) -> ColumnElement[bool]:
    """The question's rule over the interview, as `Instrument.applies` reads it: a clause holds
    when its variable holds the code (a multi: includes it) and is itself asked, however far up;
    a clause on a record variable (the role) reads the interview."""
    condition = instrument.condition(variable_id)
    if condition is None:
        return true()
    return or_(
        *(
            and_(*(and_(_holds(instrument, c), _applies(instrument, c.variable)) for c in group))
            for group in condition.groups
        )
    )


def _holds(instrument: Instrument, clause: Clause) -> ColumnElement[bool]:
    if clause.variable in {v.id for v in instrument.record_variables}:
        return _has_code(instrument, Interview.__table__.c[clause.variable], clause)
    return Interview.id.in_(
        select(Answer.interview_id).where(
            Answer.variable_id == clause.variable,
            coded(Answer.value),
            _has_code(instrument, Answer.value, clause),
        )
    )


def _has_code(
    instrument: Instrument, column: SQLColumnExpression[str | None], clause: Clause
) -> ColumnElement[bool]:
    if question_type(instrument.variable(clause.variable)).multiple:
        return (literal(";") + column + literal(";")).contains(f";{clause.code};", autoescape=True)
    return column == clause.code


def coded(value: SQLColumnExpression[str | None]) -> ColumnElement[bool]:
    """The coded answer index's own condition, written as it is so both planners use the index
    (a literal, not a parameter: a partial index needs a constant to match)."""
    return func.length(value) <= literal_column(str(CODED_VALUE_LIMIT))
