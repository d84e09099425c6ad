"""Answer a whole interview through the services, as an interviewer would, following routing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from instrument.model import Variable
from instrument.schedule import Instrument
from services.actor import Actor
from services.answers import save_answer
from services.interviews import (
    complete_interview,
    get_interview,
    instrument_for,
    update_details,
)
from services.themes import create_theme
from tests.conftest import INTERVIEWER, interview_id_of


def typical_value(instrument: Instrument, variable: Variable) -> str:
    """A plausible answer of the variable's type: the first choice, 40%, or a sentence."""
    if variable.type in ("yesno", "single", "multi"):
        return instrument.choices(variable)[0].code
    if variable.type == "percent":
        return "40"
    return f"Verbatim answer to {variable.id}, with a comma and a £ sign"


def answer_everything(
    session: Session, actor: Actor, interview_id: int, *, leaving: Collection[str] = ()
) -> dict[str, str]:
    """Answer every question that applies, in the order of the schedule the interview's wave
    pinned, but those in `leaving` (for a test to key itself); return what was saved."""
    instrument = instrument_for(session, get_interview(session, interview_id))
    saved: dict[str, str] = {}
    for variable in instrument.questions:
        if variable.id not in leaving and instrument.applies(variable.id, saved):
            value = typical_value(instrument, variable)
            save_answer(
                session,
                actor=actor,
                interview_id=interview_id,
                variable_id=variable.id,
                value=value,
            )
            saved[variable.id] = value
    return saved


def all_but_completion(
    engine: Engine,
    actor: Actor,
    interview_id: int,
    *,
    role: str = "head_of_service",
    on: dt.date = dt.date(2011, 9, 1),
    leaving: Collection[str] = (),
) -> dict[str, str]:
    """Answer everything but `leaving` and record who answered and when: an interview that
    completes once the questions left are keyed (by a test, in the browser)."""
    with Session(engine) as session:
        saved = answer_everything(session, actor, interview_id, leaving=leaving)
    with Session(engine) as session:
        update_details(
            session, actor=actor, interview_id=interview_id, respondent_role=role, interview_date=on
        )
    return saved


def complete_whole_interview(
    engine: Engine,
    actor: Actor,
    interview_id: int,
    *,
    role: str = "head_of_service",
    on: dt.date = dt.date(2011, 9, 1),
) -> dict[str, str]:
    """Answer everything, record who answered and when, and complete: one finished interview."""
    saved = all_but_completion(engine, actor, interview_id, role=role, on=on)
    with Session(engine) as session:
        complete_interview(session, actor=actor, interview_id=interview_id)
    return saved


def open_answers_to_code(
    engine: Engine, variable_id: str, said: Mapping[str, str], themes: Sequence[str]
) -> dict[str, int]:
    """Wave 2011 with these councils' answers to an open question, saved by the interviewer,
    and themes for it in the codebook; the councils' interview ids."""
    ids = {council: interview_id_of(engine, council) for council in said}
    with Session(engine) as s:
        for council, text in said.items():
            save_answer(s, actor=INTERVIEWER, interview_id=ids[council], variable_id=variable_id,
                        value=text)  # fmt: skip
        for name in themes:
            create_theme(s, actor=INTERVIEWER, wave_key="2011", name=name, variables=[variable_id])
    return ids
