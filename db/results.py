"""Answers as plain tables for the aggregator: one read of a wave, no ORM objects.

Two readings of the same completed interviews: `load_results` brings every closed answer into
a wide table (the dashboard's cross-tabulation and per-council chart need each interview's
values); `load_report` has the database count them (`wave_counts`), so the report command
reads a few hundred rows however many interviews there are. Both give the same tallies.
"""

from __future__ import annotations

import hashlib
import operator
from collections import defaultdict
from functools import reduce

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from aggregation.counts import closed_variables, counts_frame
from aggregation.results import WaveReport, WaveResults, wave_report, wave_results
from aggregation.tally import ANSWER_COLUMNS, COMPLETED, INTERVIEW_COLUMNS
from db.actor import Actor
from db.interviews import get_wave, instrument_named
from db.models import Answer, Council, Interview
from db.permissions import require
from instrument.model import Clause
from instrument.schedule import Instrument

EXTRA_INTERVIEW_COLUMNS = ("interview_date", "nonresponse_reason")
MASK_BITS = 30  # routing clauses per mask column: its sum stays a plain integer everywhere


def wave_tables(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    closed_only: bool = False,
    include_unvalidated: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(interviews, answers) of a wave: every council's record, and the completed ones' answers.

    `closed_only` leaves out verbatim text, which the tallies never read, halving the rows.
    A completed interview its council has not validated keeps its answers (the national
    figures count it) but loses its name, unless `include_unvalidated` asks for the draft.
    """
    require(session, actor, "read results", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    interviews = pd.DataFrame(
        session.execute(
            select(
                Interview.id,
                Council.code,
                Council.name,
                Interview.status,
                Interview.respondent_role,
                Interview.interview_date,
                Interview.nonresponse_reason,
                Interview.validated_at.is_not(None),
            )
            .join(Council, Council.id == Interview.council_id)
            .where(Interview.wave_id == wave.id)
            .order_by(Council.name)
        ).all(),
        columns=[*INTERVIEW_COLUMNS, *EXTRA_INTERVIEW_COLUMNS, "validated"],
    )
    if not include_unvalidated:
        _unnamed_until_validated(interviews)
    query = (
        select(Answer.interview_id, Answer.variable_id, Answer.value)
        .join(Interview, Interview.id == Answer.interview_id)
        .where(Interview.wave_id == wave.id, Interview.status == "completed")
        .where(Answer.value.is_not(None))
    )
    if closed_only:
        closed = [v.id for v in instrument_named(wave.instrument).closed_questions]
        query = query.where(Answer.variable_id.in_(closed))
    raw = session.connection().execute(query).cursor
    rows = raw.fetchall() if raw is not None else []
    answers = pd.DataFrame.from_records(rows, columns=list(ANSWER_COLUMNS))
    return interviews, answers


def _unnamed_until_validated(interviews: pd.DataFrame) -> None:
    """Name completed interviews only once their council has validated them; the others are
    numbered in an order that does not follow the alphabet, so the number gives nothing away."""
    hidden = (interviews["status"] == COMPLETED) & ~interviews["validated"].astype(bool)
    codes = sorted(
        interviews.loc[hidden, "council_code"],
        key=lambda code: hashlib.sha256(code.encode()).hexdigest(),
    )
    label = {code: f"Council not yet validated {n}" for n, code in enumerate(codes, start=1)}
    interviews.loc[hidden, "council_name"] = interviews.loc[hidden, "council_code"].map(label)


def load_results(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    respondent_roles: list[str] | None = None,
    include_unvalidated: bool = False,
) -> WaveResults:
    """Read a wave once and tally it: what the dashboard and the Word supplement show."""
    instrument = instrument_named(get_wave(session, wave_key).instrument)
    interviews, answers = wave_tables(
        session,
        actor=actor,
        wave_key=wave_key,
        closed_only=True,
        include_unvalidated=include_unvalidated,
    )
    return wave_results(
        wave_key, instrument, interviews, answers, respondent_roles=respondent_roles
    )


def load_report(
    session: Session, *, actor: Actor, wave_key: str, respondent_roles: list[str] | None = None
) -> WaveReport:
    """Response figures and every tally, counted in the database: what the report prints.

    The same figures as `load_results`, without reading any answer into Python.
    """
    require(session, actor, "read results", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    statuses = session.execute(
        select(Interview.status, func.count())
        .where(Interview.wave_id == wave.id)
        .group_by(Interview.status)
    ).all()
    counts = wave_counts(session, actor=actor, wave_key=wave_key, respondent_roles=respondent_roles)
    by_status = {status: n for status, n in statuses}
    return wave_report(wave_key, instrument_named(wave.instrument), by_status, counts)


def wave_counts(
    session: Session, *, actor: Actor, wave_key: str, respondent_roles: list[str] | None = None
) -> pd.DataFrame:
    """The counts table (`aggregation.counts`) of a wave's completed interviews, from one
    statement of GROUP BYs: no answer row leaves the database.

    Variables always asked are counted straight from the answers; routed ones over one row per
    interview, where their rule, written in SQL from the instrument's conditions, holds, so
    answers kept on questions routing now skips are left out. `respondent_roles` narrows the
    count to interviews with those roles.
    """
    require(session, actor, "read results", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    instrument = instrument_named(wave.instrument)
    done = _completed(wave.id, respondent_roles)
    routed = [v.id for v in instrument.closed_questions if instrument.condition(v.id)]
    parts = _always_asked(instrument, done, routed)
    if routed:
        parts += _Routing(instrument, done, routed).counts()
    everyone = select(null(), null(), func.count()).select_from(Interview).where(*done)
    found: dict[str | None, list[tuple[str | None, int]]] = defaultdict(list)
    for variable_id, value, n in session.execute(union_all(*parts, everyone)):
        found[variable_id].append((value, n))
    completed = found[None][0][1]
    rows: list[tuple[str, str | None, bool, int]] = []
    for variable in closed_variables(instrument):
        groups = found[variable.id]
        base = sum(n for _, n in groups) if variable.id in routed else completed
        recorded = [(value, n) for value, n in groups if value is not None]
        rows += [(variable.id, value, True, n) for value, n in recorded]
        blank = base - sum(n for _, n in recorded)
        rows += [(variable.id, None, True, blank)] if blank else []
        rows += [(variable.id, None, False, completed - base)] if completed > base else []
    return counts_frame(rows)


def _completed(wave_id: int, respondent_roles: list[str] | None) -> list[ColumnElement[bool]]:
    """Only completed interviews count; the dashboard's filter narrows them to some roles."""
    done = [Interview.wave_id == wave_id, Interview.status == COMPLETED]
    if respondent_roles is not None:
        done.append(Interview.respondent_role.in_(respondent_roles))
    return done


def _always_asked(
    instrument: Instrument, done: list[ColumnElement[bool]], routed: list[str]
) -> list[Select]:  # type: ignore[type-arg]
    """Counts of the questions without routing, and of the closed record variables (the role,
    kept on the interview; None where not recorded)."""
    asked = [v.id for v in instrument.closed_questions if v.id not in routed]
    parts: list[Select] = [  # type: ignore[type-arg]
        select(Answer.variable_id, Answer.value, func.count())
        .join(Interview, Interview.id == Answer.interview_id)
        .where(*done, Answer.value.is_not(None), Answer.variable_id.in_(asked))
        .group_by(Answer.variable_id, Answer.value)
    ]
    for variable in instrument.record_variables:
        if variable.is_closed:
            column = Interview.__table__.c[variable.id]
            parts.append(
                select(literal(variable.id), column, func.count()).where(*done).group_by(column)
            )
    return parts


class _Routing:
    """Routing in SQL over one row per completed interview (the `routing` CTE, one pass over
    the answers of routed variables and of every variable their rules read, however far up):
    which clauses of the rules hold, one bit each in a few integer masks (each interview has
    one answer per variable, so summing bits never carries), and each routed variable's value.
    A clause holds when its variable holds the code (a multi: includes it) and itself applies,
    as `Instrument.applies` says; a record variable (the role) is read from the interview.
    """

    def __init__(
        self, instrument: Instrument, done: list[ColumnElement[bool]], routed: list[str]
    ) -> None:
        self.instrument = instrument
        self.routed = routed
        ruled = list(dict.fromkeys([*routed, *_read_by_rules(instrument, routed)]))
        record = {v.id for v in instrument.record_variables}
        clauses = dict.fromkeys(
            c for vid in ruled if (rule := instrument.condition(vid)) for c in rule.clauses
        )
        self.record = sorted({c.variable for c in clauses if c.variable in record})
        self.bits = {
            clause: (k // MASK_BITS, 1 << (k % MASK_BITS))
            for k, clause in enumerate(c for c in clauses if c.variable not in record)
        }
        record_columns = [Interview.__table__.c[vid] for vid in self.record]
        masks = sorted({chunk for chunk, _ in self.bits.values()})
        answered = Answer.variable_id.in_([vid for vid in ruled if vid not in record])
        self.cte = (
            select(
                *(column.label(f"record_{k}") for k, column in enumerate(record_columns)),
                *(func.sum(self._mask(chunk)).label(f"mask_{chunk}") for chunk in masks),
                *(
                    func.max(case((Answer.variable_id == vid, Answer.value))).label(f"value_{k}")
                    for k, vid in enumerate(routed)
                ),
            )
            .select_from(Interview)
            .join(
                Answer,
                and_(Answer.interview_id == Interview.id, answered),
                isouter=bool(self.record),  # the role alone may route: every interview counts
            )
            .where(*done)
            .group_by(Interview.id, *record_columns)
            .cte("routing")
            .prefix_with("MATERIALIZED")  # one pass, read by every routed variable
        )

    def counts(self) -> list[Select]:  # type: ignore[type-arg]
        """Per routed variable, its values (None: blank) where its rule holds."""
        parts = []
        for k, variable_id in enumerate(self.routed):
            value = self.cte.c[f"value_{k}"]
            applies = self.applies(variable_id)
            parts.append(
                select(literal(variable_id), value, func.count()).where(applies).group_by(value)
            )
        return parts

    def applies(self, variable_id: str) -> ColumnElement[bool]:
        condition = self.instrument.condition(variable_id)
        if condition is None:
            return literal(True)
        return or_(
            *(
                and_(*(and_(self._holds(c), self.applies(c.variable)) for c in group))
                for group in condition.groups
            )
        )

    def _holds(self, clause: Clause) -> ColumnElement[bool]:
        if clause.variable in self.record:
            column = self.cte.c[f"record_{self.record.index(clause.variable)}"]
            return self._has_code(column, clause.variable, clause.code)
        chunk, bit = self.bits[clause]
        return self.cte.c[f"mask_{chunk}"].bitwise_and(bit) != 0

    def _mask(self, chunk: int) -> ColumnElement[int]:
        """The bits of this mask's clauses that one answer row sets."""
        by_variable: dict[str, list[ColumnElement[int]]] = defaultdict(list)
        for clause, (where, bit) in self.bits.items():
            if where == chunk:
                holds = self._has_code(Answer.value, clause.variable, clause.code)
                by_variable[clause.variable].append(case((holds, bit), else_=0))
        return case(
            {vid: reduce(operator.add, bits) for vid, bits in by_variable.items()},
            value=Answer.variable_id,
            else_=0,
        )

    def _has_code(self, column, variable_id: str, code: str) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
        if self.instrument.variable(variable_id).type == "multi":
            return (literal(";") + column + literal(";")).contains(f";{code};", autoescape=True)
        return column == code


def _read_by_rules(instrument: Instrument, variable_ids: list[str]) -> list[str]:
    """Every variable the routing of these variables reads, however far up."""
    found: dict[str, None] = {}
    todo = list(variable_ids)
    while todo:
        condition = instrument.condition(todo.pop())
        for clause in condition.clauses if condition else ():
            if clause.variable not in found:
                found[clause.variable] = None
                todo.append(clause.variable)
    return list(found)


def wave_data_version(session: Session, *, actor: Actor, wave_key: str) -> str:
    """A cheap fingerprint of a wave's answers and interviews that changes whenever either does.

    Counts, version sums and latest update times: a save, a deletion, an import or a status
    change each give a new value, so results cached under it are read afresh.
    """
    require(session, actor, "read results", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    answers = session.execute(
        select(func.count(Answer.id), func.sum(Answer.version), func.max(Answer.updated_at))
        .join(Interview, Interview.id == Answer.interview_id)
        .where(Interview.wave_id == wave.id)
    ).one()
    interviews = session.execute(
        select(
            func.count(Interview.id), func.sum(Interview.version), func.max(Interview.updated_at)
        ).where(Interview.wave_id == wave.id)
    ).one()
    return "|".join(str(x) for x in (*answers, *interviews))
