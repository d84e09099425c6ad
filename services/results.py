"""Answers as plain tables for the aggregator: one read of a wave, no ORM objects.

Two readings of the same completed interviews: `load_results` brings every closed answer into
a wide table (the dashboard's cross-tabulation and per-council chart need each interview's
values); `load_report` reads the counters kept at save time (`db.counters`), a few hundred
rows however many interviews there are. Both give the same tallies, and the counters equal
the reference count in SQL (`wave_counts(reference=True)`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregation.compare import WaveComparison, compare_waves
from aggregation.counts import CountRow, counts_frame, tally_from_counts
from aggregation.disclosure import View, withhold_within
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
from db.counters import counted_lines, status_lines
from db.counting import CountLine, reference_lines
from db.models import Answer, Council, Interview, Wave
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
    """Read a wave once: what the dashboard and the Word supplement show. The tallies come
    from the counters, as the report's do (`load_report`), unless a filter by an answer asks
    for counting a subset of the interviews; the answers are read too, for what needs each
    interview's values (the cross-tabulation, the per-council chart). The published view
    unless `include_unvalidated` asks for the draft; a filter that would describe too few
    councils is refused (`FilterRefused`)."""
    wave = get_wave(session, wave_key)
    counted = None
    if answer_filter is None:
        counted = load_report(session, actor=actor, wave_key=wave_key,
                              respondent_roles=respondent_roles,
                              include_unvalidated=include_unvalidated).tallies  # fmt: skip
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
        tallies=counted,
    )


def load_report(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    respondent_roles: list[str] | None = None,
    include_unvalidated: bool = False,
) -> WaveReport:
    """Response figures and every tally, read from the counters kept at save time
    (`db.counters`): what the report prints, in two small reads however many interviews.

    The same figures as `load_results`, without reading any answer.
    """
    require(session, actor, "read results", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    view = publication_view(wave, include_unvalidated)
    connection = session.connection()
    lines = counted_lines(connection, wave.id)
    statuses: dict[str, int] = defaultdict(int)
    by_role: dict[str | None, int] = defaultdict(int)
    waiting = 0
    for status, group, n in status_lines(connection, wave.id):
        statuses[status] += n
        if status == COMPLETED and (view.draft or group.validated):
            by_role[group.respondent_role] += n
        waiting += n if status == COMPLETED and not group.validated else 0
    counts = counts_table(lines, respondent_roles, view)
    member = member_word(session, wave.frame)
    report = wave_report(wave_key, pinned(wave), dict(statuses), counts, view=view,
                         counted=sum(by_role.values()), waiting=waiting, member=member)  # fmt: skip
    if respondent_roles is None or view.draft:
        return report
    return _one_role(report, respondent_roles, lines, by_role, member)


def counts_table(
    lines: Iterable[CountLine], respondent_roles: list[str] | None, view: View
) -> list[CountRow]:
    """The counts table's rows (`aggregation.counts`) of the count lines in the view
    (validated councils only unless the draft) and of the chosen roles (None: all)."""
    summed: dict[tuple[str, str | None, bool], int] = defaultdict(int)
    for group, variable_id, value, applies, n in lines:
        if (view.draft or group.validated) and (
            respondent_roles is None or group.respondent_role in respondent_roles
        ):
            summed[variable_id, value, applies] += n
    return [(*key, n) for key, n in summed.items() if n]


def _one_role(
    report: WaveReport,
    roles: list[str],
    lines: list[CountLine],
    by_role: dict[str | None, int],
    member: str,
) -> WaveReport:
    """The published view of one role's figures, as `aggregation.results.wave_results` gives
    them: refused if the role is withheld among the roles, and each tally withheld where that
    role's base, or by subtraction another's, would describe too few councils; the councils
    with no role recorded are the whole less the rest."""
    what = filter_words(report.instrument, roles, None)
    one_role_at_a_time(roles, what)
    sizes = {NO_ROLE if r is None else r: n for r, n in by_role.items()} | {
        roles[0]: by_role.get(roles[0], 0)
    }
    check_group(report.view, what, roles[0], sizes, member)

    def bases_of(chosen: list[str] | None) -> dict[str, int]:
        found = counts_table(lines, chosen, report.view)
        return {v: t.base for v, t in tally_from_counts(report.instrument, found).items()}

    national = bases_of(None)
    bases = {r: bases_of([r]) for r in sizes if r != NO_ROLE}
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
    reference: bool = False,
) -> pd.DataFrame:
    """The counts table (`aggregation.counts`) of a wave's completed interviews: read from the
    counters, or with `reference` counted afresh from the answers in one statement of GROUP BYs
    (`db.counting`), which the counters must always equal. `respondent_roles` narrows the
    count to interviews with those roles; only validated councils count unless
    `include_unvalidated` asks for the draft.
    """
    require(session, actor, "read results", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    connection = session.connection()
    if reference:
        lines = reference_lines(connection, pinned(wave), wave.id)
    else:
        lines = counted_lines(connection, wave.id)
    view = publication_view(wave, include_unvalidated)
    return counts_frame(counts_table(lines, respondent_roles, view))


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
