"""Answers as plain tables for the aggregator: one read of a wave, no ORM objects."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregation.results import WaveResults, wave_results
from aggregation.tally import ANSWER_COLUMNS, INTERVIEW_COLUMNS
from db.actor import Actor
from db.interviews import get_wave, instrument_named
from db.models import Answer, Council, Interview

EXTRA_INTERVIEW_COLUMNS = ("interview_date", "nonresponse_reason")


def wave_tables(
    session: Session, *, actor: Actor, wave_key: str, closed_only: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(interviews, answers) of a wave: every council's record, and the completed ones' answers.

    `closed_only` leaves out verbatim text, which the tallies never read, halving the rows.
    """
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
            )
            .join(Council, Council.id == Interview.council_id)
            .where(Interview.wave_id == wave.id)
            .order_by(Council.name)
        ).all(),
        columns=[*INTERVIEW_COLUMNS, *EXTRA_INTERVIEW_COLUMNS],
    )
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


def load_results(
    session: Session, *, actor: Actor, wave_key: str, respondent_roles: list[str] | None = None
) -> WaveResults:
    """Read a wave once and tally it: what the report command and the dashboard show."""
    instrument = instrument_named(get_wave(session, wave_key).instrument)
    interviews, answers = wave_tables(session, actor=actor, wave_key=wave_key, closed_only=True)
    return wave_results(
        wave_key, instrument, interviews, answers, respondent_roles=respondent_roles
    )


def wave_data_version(session: Session, *, actor: Actor, wave_key: str) -> str:
    """A cheap fingerprint of a wave's answers and interviews that changes whenever either does.

    Counts, version sums and latest update times: a save, a deletion, an import or a status
    change each give a new value, so results cached under it are read afresh.
    """
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
