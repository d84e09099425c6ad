"""Councils one by one, as auditors may read them: coded answers and the interviewer's
summary, validated councils only unless a draft view is asked for, verbatim text only
for those entitled to it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from db.models import Council, Interview
from instrument.vocabulary import InterviewStatus, ReviewState
from services.actor import Actor
from services.interviews import get_wave, pinned, wave_answer_values
from services.permissions import may_read_verbatim, require
from services.review import wave_review_states


@dataclass(frozen=True)
class CouncilSummary:
    interview_id: int
    council_code: str
    council_name: str
    review: ReviewState
    validated_at: dt.datetime | None
    respondent_role: str | None
    interview_date: dt.date | None
    summary: str | None
    answers: dict[str, str | None]  # those routing asks; verbatim only if entitled
    verbatim_withheld: bool


def council_summaries(
    session: Session, *, actor: Actor, wave_key: str, include_unvalidated: bool = False
) -> list[CouncilSummary]:
    """Completed interviews in council name order: validated ones, or all if asked."""
    require(session, actor, "read the wave", target=f"wave {wave_key} council summaries")
    wave = get_wave(session, wave_key)
    instrument = pinned(wave)
    reviews = wave_review_states(session, actor=actor, wave_key=wave_key)
    withheld = not may_read_verbatim(session, actor)
    verbatim = instrument.verbatim_ids if withheld else frozenset()
    answers = wave_answer_values(session, wave.id)
    interviews = session.scalars(
        select(Interview)
        .join(Interview.council)
        .options(joinedload(Interview.council))
        .where(Interview.wave_id == wave.id, Interview.status == InterviewStatus.COMPLETED)
        .order_by(Council.name)
    )
    return [
        CouncilSummary(
            interview_id=i.id,
            council_code=i.council.code,
            council_name=i.council.name,
            review=reviews[i.id],
            validated_at=i.validated_at,
            respondent_role=i.respondent_role,
            interview_date=i.interview_date,
            summary=i.summary,
            answers={
                k: v
                for k, v in answers[i.id].items()
                if k not in verbatim and instrument.applies(k, answers[i.id])
            },
            verbatim_withheld=withheld,
        )
        for i in interviews
        if include_unvalidated or reviews[i.id] == ReviewState.VALIDATED
    ]
