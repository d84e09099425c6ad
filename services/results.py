"""Answers as plain tables for the aggregator: one read of a wave, no ORM objects.

Two readings of the same completed interviews: `load_results` brings every closed answer into
a wide table (the dashboard's cross-tabulation and per-council chart need each interview's
values); `load_report` has the database count them (`wave_counts`), so the report command
reads a few hundred rows however many interviews there are. Both give the same tallies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
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
from sqlalchemy.orm import Session

from aggregation.compare import WaveComparison, compare_waves
from aggregation.counts import closed_variables, counts_frame, tally_from_counts
from aggregation.disclosure import DRAFT, View, withhold_within
from aggregation.results import (
    NO_ROLE,
    AnswerFilter,
    WaveReport,
    WaveResults,
    check_group,
    filter_words,
    one_role_at_a_time,
    wave_report,
    wave_results,
)
from aggregation.tally import ANSWER_COLUMNS, COMPLETED, INTERVIEW_COLUMNS
from db.models import Answer, Council, Interview, Wave
from instrument.model import CODED_VALUE_LIMIT, Clause
from instrument.schedule import Instrument
from instrument.types import question_type
from services.actor import Actor
from services.interviews import get_wave, member_word, pinned
from services.permissions import require

EXTRA_INTERVIEW_COLUMNS = ("interview_date", "nonresponse_reason")


def wave_tables(
    session: Session, *, actor: Actor, wave_key: str, closed_only: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(interviews, answers) of a wave: every council's record, with whether it has validated,
    and the completed ones' answers (which of them count is the view's to say).

    `closed_only` leaves out verbatim text, which the tallies never read, halving the rows.
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
    query = (
        select(Answer.interview_id, Answer.variable_id, Answer.value)
        .join(Interview, Interview.id == Answer.interview_id)
        .where(Interview.wave_id == wave.id, Interview.status == COMPLETED)
        .where(Answer.value.is_not(None))
    )
    if closed_only:
        closed = [v.id for v in pinned(wave).closed_questions]
        query = query.where(Answer.variable_id.in_(closed))
    raw = session.connection().execute(query).cursor
    rows = raw.fetchall() if raw is not None else []
    answers = pd.DataFrame.from_records(rows, columns=list(ANSWER_COLUMNS))
    return interviews, answers


def publication_view(wave: Wave, include_unvalidated: bool = False) -> View:
    """The wave's view: published (its own threshold) unless the draft is asked for."""
    return View(draft=include_unvalidated, threshold=wave.disclosure_threshold)


def load_results(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    respondent_roles: list[str] | None = None,
    answer_filter: AnswerFilter | None = None,
    include_unvalidated: bool = False,
) -> WaveResults:
    """Read a wave once and tally it: what the dashboard and the Word supplement show. The
    published view unless `include_unvalidated` asks for the draft; a filter that would
    describe too few councils is refused (`FilterRefused`)."""
    wave = get_wave(session, wave_key)
    interviews, answers = wave_tables(session, actor=actor, wave_key=wave_key, closed_only=True)
    return wave_results(
        wave_key,
        pinned(wave),
        interviews,
        answers,
        view=publication_view(wave, include_unvalidated),
        respondent_roles=respondent_roles,
        answer_filter=answer_filter,
        member=member_word(session, wave.frame),
    )


def load_report(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    respondent_roles: list[str] | None = None,
    include_unvalidated: bool = False,
) -> WaveReport:
    """Response figures and every tally, counted in the database: what the report prints.

    The same figures as `load_results`, without reading any answer into Python.
    """
    require(session, actor, "read results", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    view = publication_view(wave, include_unvalidated)
    statuses = session.execute(
        select(Interview.status, func.count())
        .where(Interview.wave_id == wave.id)
        .group_by(Interview.status)
    ).all()
    counts = wave_counts(session, actor=actor, wave_key=wave_key, respondent_roles=respondent_roles,
                         include_unvalidated=include_unvalidated)  # fmt: skip
    by_role = dict(session.execute(
        select(Interview.respondent_role, func.count()).where(*_completed(wave.id, None, view))
        .group_by(Interview.respondent_role)
    ).all())  # fmt: skip
    member = member_word(session, wave.frame)
    waiting = session.execute(
        select(func.count()).select_from(Interview)
        .where(*_completed(wave.id, None, DRAFT), Interview.validated_at.is_(None))
    ).scalar_one()  # fmt: skip
    report = wave_report(wave_key, pinned(wave), {s: n for s, n in statuses}, counts, view=view,
                         counted=sum(by_role.values()), waiting=waiting, member=member)  # fmt: skip
    if respondent_roles is None or view.draft:
        return report
    return _one_role(session, actor, report, respondent_roles, counts, by_role, member)


def _one_role(
    session: Session,
    actor: Actor,
    report: WaveReport,
    roles: list[str],
    counts: pd.DataFrame,
    by_role: dict[str | None, int],
    member: str,
) -> WaveReport:
    """The published view of one role's figures, as `aggregation.results.wave_results` gives
    them: refused if the role is withheld among the roles, and each tally withheld where that
    role's base, or by subtraction another's, would describe too few councils. Each role is
    counted in the database (the chosen one's `counts` already were); the councils with no
    role recorded are the whole less the rest."""
    what = filter_words(report.instrument, roles, None)
    one_role_at_a_time(roles, what)
    sizes = {NO_ROLE if r is None else r: n for r, n in by_role.items()} | {
        roles[0]: by_role.get(roles[0], 0)
    }
    check_group(report.view, what, roles[0], sizes, member)
    def bases_of(found: pd.DataFrame) -> dict[str, int]:
        return {v: t.base for v, t in tally_from_counts(report.instrument, found).items()}

    def counted_for(role: str | None) -> pd.DataFrame:
        roles_counted = None if role is None else [role]
        return wave_counts(session, actor=actor, wave_key=report.wave_key,
                           respondent_roles=roles_counted)  # fmt: skip

    national = bases_of(counted_for(None))
    bases = {r: bases_of(counts if r == roles[0] else counted_for(r))
             for r in sizes if r != NO_ROLE}  # fmt: skip
    bases[NO_ROLE] = {v: n - sum(b.get(v, 0) for b in bases.values()) for v, n in national.items()}
    tallies = withhold_within(report.tallies, bases, roles[0], report.view)
    return replace(report, tallies=tallies)


def compare_with(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    other: str,
    report: WaveReport | None = None,
    include_unvalidated: bool = False,
) -> WaveComparison:
    """The wave against another in the same view, with both sample frames said (`report`:
    this wave's, if already counted)."""
    now = report or load_report(session, actor=actor, wave_key=wave_key,
                                include_unvalidated=include_unvalidated)  # fmt: skip
    then = load_report(session, actor=actor, wave_key=other,
                       include_unvalidated=now.view.draft)  # fmt: skip
    frames = (get_wave(session, wave_key).frame, get_wave(session, other).frame)
    return compare_waves(now, then, frames=frames)


def wave_counts(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    respondent_roles: list[str] | None = None,
    include_unvalidated: bool = False,
) -> pd.DataFrame:
    """The counts table (`aggregation.counts`) of a wave's completed interviews, from one
    statement of GROUP BYs: no answer row leaves the database.

    Variables always asked are counted straight from the answers, in one pass; each routed one
    over the interviews where its rule, written in SQL from the instrument's conditions, holds,
    so answers kept on questions routing now skips are left out. `respondent_roles` narrows the
    count to interviews with those roles; only validated councils count unless
    `include_unvalidated` asks for the draft.
    """
    require(session, actor, "read results", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    instrument = pinned(wave)
    routed = instrument.routed_closed_ids
    roles = tuple(respondent_roles) if respondent_roles is not None else None
    statement = _counts_statement(instrument, wave, roles, include_unvalidated)
    found: dict[str | None, list[tuple[str | None, int]]] = defaultdict(list)
    for variable_id, value, n in session.execute(statement):
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


# One part of the counting statement: variable id, value (None: blank), interviews.
CountSelect = Select[str, str | None, int]
CountStatement = CompoundSelect[str | None, str | None, int]


_STATEMENTS: dict[tuple[str, int, tuple[str, ...] | None, bool], CountStatement] = {}
STATEMENTS_KEPT = 64  # waves × role filters; the oldest goes first


def _counts_statement(
    instrument: Instrument, wave: Wave, respondent_roles: tuple[str, ...] | None, draft: bool
) -> CountStatement:
    """The counting statement, built once per wave, pinned schedule, role filter and view:
    building its dozen parts costs more than PostgreSQL takes to plan them."""
    key = (wave.instrument_sha256, wave.id, respondent_roles, draft)
    if key not in _STATEMENTS:
        if len(_STATEMENTS) >= STATEMENTS_KEPT:
            del _STATEMENTS[next(iter(_STATEMENTS))]
        _STATEMENTS[key] = _build_counts_statement(
            instrument, wave.id, respondent_roles, View(draft=draft)
        )
    return _STATEMENTS[key]


def _build_counts_statement(
    instrument: Instrument, wave_id: int, respondent_roles: tuple[str, ...] | None, view: View
) -> CountStatement:
    done = _completed(wave_id, respondent_roles, view)
    parts = _always_asked(instrument, done) + _routed(instrument, done)
    everyone = select(null(), null(), func.count()).select_from(Interview).where(*done)
    return union_all(*parts, everyone)


def _completed(
    wave_id: int, respondent_roles: tuple[str, ...] | None, view: View
) -> list[ColumnElement[bool]]:
    """Only completed interviews count, and unless in the draft only validated ones; the
    dashboard's filter narrows them to some roles."""
    done = [Interview.wave_id == wave_id, Interview.status == COMPLETED]
    if not view.draft:
        done.append(Interview.validated_at.is_not(None))
    if respondent_roles is not None:
        done.append(Interview.respondent_role.in_(respondent_roles))
    return done


def _always_asked(instrument: Instrument, done: list[ColumnElement[bool]]) -> list[CountSelect]:
    """Counts of the questions without routing, and of the closed record variables (the role,
    kept on the interview; None where not recorded)."""
    routed = instrument.routed_closed_ids
    asked = [v.id for v in instrument.closed_questions if v.id not in routed]
    parts: list[CountSelect] = [
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
            select(literal(variable_id), answer.c.value, func.count())
            .select_from(Interview)
            .outerjoin(
                answer,
                and_(
                    answer.c.interview_id == Interview.id,
                    answer.c.variable_id == variable_id,
                    _coded(answer.c.value),
                ),
            )
            .where(*done, _applies(instrument, variable_id))
            .group_by(answer.c.value)
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
            _coded(Answer.value),
            _has_code(instrument, Answer.value, clause),
        )
    )


def _has_code(
    instrument: Instrument, column: SQLColumnExpression[str | None], clause: Clause
) -> ColumnElement[bool]:
    if question_type(instrument.variable(clause.variable)).multiple:
        return (literal(";") + column + literal(";")).contains(f";{clause.code};", autoescape=True)
    return column == clause.code


def _coded(value: SQLColumnExpression[str | None]) -> ColumnElement[bool]:
    """The coded answer index's own condition, written as it is so both planners use the index
    (a literal, not a parameter: a partial index needs a constant to match)."""
    return func.length(value) <= literal_column(str(CODED_VALUE_LIMIT))


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
