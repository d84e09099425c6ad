"""A demonstration wave of synthetic answers, so a newcomer sees a full dashboard at once.

`fill_demo_wave` fills the wave `demo` (never any other) with 31 completed interviews and one
declined council. Answers are drawn, with a fixed seed, from the instrument itself: routing
decides what is asked, `PLAUSIBLE` weights (loosely those of the 2012 report) pick the codes,
and any variable without weights gets a generic draw of its type, so a new question in the
YAML gets answers too. Running it again replaces the previous demo data in place.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from db.models import Answer, AnswerHistory, ContactAttempt, Council, Interview, utcnow
from db.setup import ensure_wave
from instrument import DEFAULT_INSTRUMENT
from instrument.model import DONT_KNOW, NO_ANSWER, Variable
from instrument.schedule import Instrument
from instrument.values import MULTI_SEPARATOR, normalise
from instrument.vocabulary import InterviewStatus
from services.actor import Actor
from services.answers import history_row
from services.interviews import instrument_named, touch
from services.permissions import require

DEMO_WAVE = "demo"
DEMO_TITLE = "Synthetic demonstration data (not real councils' answers)"
DEMO_SOURCE = "demo"
DEMO_SEED = 2011
DECLINED_REASON = "Changes in personnel"
FIELDWORK = (dt.date(2011, 9, 5), dt.date(2011, 11, 25))
INTERVIEWERS = ("Morag Campbell", "Iain Fraser", "Priya Shah")

# Codes and their weights. yesno and single: relative weights of each code. multi: the chance
# that each code is mentioned; a reserved code's weight is the chance of that code instead.
PLAUSIBLE: dict[str, dict[str, float]] = {
    "respondent_role": {
        "director_of_social_work": 18,
        "head_of_service": 7,
        "commissioning_contracts_manager": 4,
        "senior_manager_strategy_planning": 2,
        "other": 1,
    },
    "q1_most_involved": {
        "learning_disabilities": 14,
        "older_people": 8,
        "physical_sensory": 4,
        "children_families": 3,
        "other": 2,
        NO_ANSWER: 0.5,
    },
    "q2_strategy_involvement": {"yes": 27, "no": 3, DONT_KNOW: 1},
    "q3_monitoring_involvement": {"yes": 24, "no": 6, NO_ANSWER: 1},
    "q5_least_involved": {
        "children_families": 8,
        "older_people": 6,
        "physical_sensory": 6,
        "learning_disabilities": 1,
        "other": 8,
        DONT_KNOW: 1,
    },
    "q7_plans_to_change": {"yes": 22, "no": 8, DONT_KNOW: 1},
    "q8b_specific_groups": {"yes": 12, "no": 18},
    "q8b_groups": {
        "older_people": 0.5,
        "learning_disabilities": 0.8,
        "physical_sensory": 0.5,
        "children_families": 0.3,
        "other": 0.1,
    },
    "q8c_availability": {"existing_and_new": 18, "new_only": 11, "existing_only": 1, DONT_KNOW: 1},
    "q8d_individual_budgets": {"yes": 15, "no": 15},
    "q8d_groups": {
        "older_people": 0.4,
        "learning_disabilities": 0.8,
        "physical_sensory": 0.5,
        "children_families": 0.2,
        "other": 0.1,
    },
    "q9b_support_provider": {"in_house": 8, "external": 12, "both": 10, NO_ANSWER: 1},
    "q10_fundamental_shift": {"yes": 20, "no": 9, DONT_KNOW: 2},
    "b_sds_stage": {"very_early": 9, "developing": 17, "established": 5},
    "q11_swia_used": {"yes": 24, "no": 7},
    "q11a_swia_usefulness": {"very_useful": 9, "quite_useful": 13, "not_useful": 2, NO_ANSWER: 1},
    "q12_sg_used": {"yes": 20, "no": 10, DONT_KNOW: 1},
    "q12a_sg_usefulness": {"very_useful": 6, "quite_useful": 12, "not_useful": 2},
    "q14_needs": {
        "market_development": 0.35,
        "outcomes_based_examples": 0.4,
        "planning_tools": 0.2,
        "best_practice_examples": 0.45,
        "alternatives_to_tendering": 0.3,
        "other": 0.15,
        NO_ANSWER: 0.05,
    },
    "q15_external_training": {"yes": 17, "no": 13, DONT_KNOW: 1},
    "q16_benchmarking": {"yes": 22, "no": 9},
    "q16_methods": {
        "national_network": 0.5,
        "regional_network": 0.45,
        "similar_councils": 0.4,
        "national_data": 0.35,
    },
    "q17_collaborative": {"yes": 21, "no": 10},
    "q17b_benefits": {
        "economies_of_scale": 0.55,
        "consistency_of_practice": 0.3,
        "new_services_small_groups": 0.25,
        "less_duplication": 0.3,
        "streamlined_for_providers": 0.3,
        "other": 0.1,
        DONT_KNOW: 0.05,
    },
    "q18c_contract_monitoring": {"yes": 27, "no": 4},
    "q19_sustainability": {"yes": 25, "no": 5, DONT_KNOW: 1},
    "q19_room_for_improvement": {"yes": 16, "no": 15},
    "q20_tendered_recently": {"yes": 25, "no": 6},
    "q21_change_of_provider": {"yes": 10, "no": 9, "not_completed": 6},
    "q22_viability_measures": {
        "pqq": 0.8,
        "references": 0.45,
        "site_visits": 0.3,
        "market_reports": 0.1,
        "credit_checks": 0.55,
        "care_inspectorate": 0.6,
        "other": 0.1,
    },
    "q25_reduction_2011_12": {"yes": 28, "no": 2, DONT_KNOW: 1},
    "q25_reduction_2012_13": {"yes": 27, "no": 1, DONT_KNOW: 3},
    "q26c_risk_to_users": {"yes": 12, "no": 16, DONT_KNOW: 3},
    "q26_impacts": {
        "new_eligibility_criteria": 0.35,
        "new_or_increased_charges": 0.4,
        "service_redesign_savings": 0.7,
        "shared_services": 0.25,
        "no_effect_on_current_services": 0.15,
        "no_uplift_for_providers": 0.3,
        "other": 0.1,
    },
}

# Short, generic verbatim notes; "" means the interviewer left the box empty.
TEXTS: dict[str, tuple[str, ...]] = {
    "q1_other_specify": ("People with mental health problems", "People with addictions"),
    "q5_other_specify": ("People with mental health problems", "Carers of people with dementia"),
    "q2_explain": (
        "Users and carers sit on the planning group for this client group",
        "Consultation events held before the strategy was drafted",
        "Carers' forum commented on the draft strategy",
    ),
    "q3_how": (
        "Feedback surveys after reviews, and a users' reference group",
        "Users take part in contract monitoring visits",
        "Mostly informal feedback through care managers",
    ),
    "q4_influence_example": (
        "Day service redesign changed after users asked for evening opening",
        "Respite model changed following carers' feedback",
        "No clear example could be given",
    ),
    "q6_why_least": (
        "Harder to reach; no established forum for this group",
        "Services are mainly provided by the NHS",
        "Small numbers spread over a wide area",
    ),
    "q8a_options": (
        "Individual service funds and council-arranged services",
        "Options are still being developed in a pilot area",
        "Brokerage through a local voluntary organisation",
    ),
    "q8d_system": (
        "A resource allocation system based on assessed need",
        "An in-house points model",
    ),
    "q9b_who": (
        "The direct payments team",
        "A local independent living centre under contract",
        "Care managers, with a voluntary organisation for payroll",
    ),
    "q10_bill_impact": (
        "Moving from block contracts towards more flexible framework agreements",
        "Too early to say; waiting for the final Bill",
        "Expect a fundamental shift in how services are bought",
    ),
    "q11b_swia_why_not": ("Not aware of the guide", "Used our own self-evaluation framework"),
    "q12b_sg_why_not": ("Not aware of the guidance", "Procurement team use national guidance"),
    "q13_guidance_use": (
        "Used as a checklist when reviewing the commissioning strategy",
        "Shared with the procurement team; no specific action yet",
    ),
    "q20_last_tender": (
        "Care at home framework for older people",
        "Supported living for adults with learning disabilities",
        "No recent tender; contracts were extended",
    ),
    "q24_note": ("", "", "An arm's-length company is being considered", "Figures are approximate"),
    "anything_else": ("", "", "", "Nothing further to add"),
}
GENERIC_TEXTS = (
    "Covered briefly; the respondent will send further details",
    "Varies by client group; examples given from older people's services",
    "Under review as part of the wider service redesign",
    "Much as in previous years",
)


@dataclass(frozen=True)
class DemoReport:
    """What a run did: the wave filled, and what a previous run had left there."""

    wave_key: str
    title: str
    completed: int
    declined: tuple[str, ...]
    answers_written: int
    answers_replaced: int
    history_replaced: int


DEMO_LOCK = 0x64656D6F  # "demo": one refill of the demo wave at a time, on PostgreSQL


def _serialise(session: Session) -> None:
    """Two `demo` commands at once would both create the wave or both delete and rewrite its
    answers; on PostgreSQL the second waits for the first (SQLite's BEGIN IMMEDIATE already
    does this)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEMO_LOCK})


def fill_demo_wave(session: Session, *, actor: Actor, seed: int = DEMO_SEED) -> DemoReport:
    """Fill (or refill) wave `demo` in one transaction; other waves are never read or written."""
    require(session, actor, "manage waves", target=f"wave {DEMO_WAVE}")
    try:
        report = _fill(session, actor, seed)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def _fill(session: Session, actor: Actor, seed: int) -> DemoReport:
    _serialise(session)
    wave = ensure_wave(session, DEMO_WAVE, title=DEMO_TITLE, instrument=DEFAULT_INSTRUMENT)
    # Keying on the demo wave waits for the refill, as save_answer waits for any writer.
    session.scalars(
        select(Interview.id)
        .where(Interview.wave_id == wave.id)
        .order_by(Interview.id)
        .with_for_update()
    ).all()
    wave.title, wave.instrument = DEMO_TITLE, DEFAULT_INSTRUMENT
    wave.fieldwork_start, wave.fieldwork_end = FIELDWORK
    instrument = instrument_named(wave.instrument)
    in_wave = select(Interview.id).where(Interview.wave_id == wave.id).scalar_subquery()
    replaced = session.scalar(
        select(func.count()).select_from(Answer).where(Answer.interview_id.in_(in_wave))
    )
    history = session.scalar(
        select(func.count())
        .select_from(AnswerHistory)
        .where(AnswerHistory.interview_id.in_(in_wave))
    )
    for table in (AnswerHistory, Answer, ContactAttempt):
        session.execute(
            delete(table).where(table.interview_id.in_(in_wave)),
            execution_options={"synchronize_session": False},
        )
    interviews = sorted(
        session.execute(
            select(Interview, Council)
            .join(Council, Council.id == Interview.council_id)
            .where(Interview.wave_id == wave.id)
        ).all(),
        key=lambda row: row[1].code,  # sorted in Python: the same order on every database
    )
    declined_code = random.Random(seed).choice([council.code for _, council in interviews])
    role = instrument.variable("respondent_role")
    now, answers, declined = utcnow(), [], []
    for interview, council in interviews:
        rng = random.Random(f"{seed}:{council.code}")
        _reset(interview)
        if council.code == declined_code:
            interview.status = InterviewStatus.DECLINED
            interview.nonresponse_reason = DECLINED_REASON
            declined.append(council.name)
        else:
            interview.status = InterviewStatus.COMPLETED
            interview.respondent_role = draw(instrument, role, rng)
            interview.interview_date = weekday_in(FIELDWORK, rng)
            interview.interviewer = rng.choice(INTERVIEWERS)
            for variable_id, value in plausible_interview(instrument, rng).items():
                answers.append(
                    Answer(
                        interview_id=interview.id,
                        variable_id=variable_id,
                        value=value,
                        version=1,
                        updated_at=now,
                        updated_by=actor.username,
                    )
                )
        touch(interview, actor)
    session.add_all(answers)
    session.flush()
    session.add_all(
        history_row(answer, None, None, actor=actor, source=DEMO_SOURCE) for answer in answers
    )
    session.flush()
    return DemoReport(
        wave_key=wave.key,
        title=wave.title,
        completed=len(interviews) - len(declined),
        declined=tuple(declined),
        answers_written=len(answers),
        answers_replaced=replaced or 0,
        history_replaced=history or 0,
    )


def _reset(interview: Interview) -> None:
    """Forget whatever the interview record held: the demo decides all of it afresh."""
    interview.appointment_at = interview.respondent_name = interview.respondent_role = None
    interview.interviewer = interview.interview_date = interview.nonresponse_reason = None


def plausible_interview(instrument: Instrument, rng: random.Random) -> dict[str, str]:
    """One completed interview's answers: every question routing asks, and nothing else.

    Passes repeat until routing settles, so a rule that looks ahead in the schedule still
    holds. Texts drawn as "" (left empty) are not stored.
    """
    drawn: dict[str, str] = {}
    for _ in range(len(instrument.questions) + 1):
        changed = False
        for variable in instrument.questions:
            asked = instrument.applies(variable.id, drawn)
            if asked and variable.id not in drawn:
                drawn[variable.id], changed = draw(instrument, variable, rng), True
            elif not asked and variable.id in drawn:
                del drawn[variable.id]
                changed = True
        if not changed:
            break
    return {k: v for k, v in drawn.items() if v}


def draw(instrument: Instrument, variable: Variable, rng: random.Random) -> str:
    """One plausible value of the variable, in the canonical form `normalise` stores."""
    weights = PLAUSIBLE.get(variable.id) or _generic_weights(instrument, variable)
    if variable.type in ("yesno", "single"):
        value = _pick(weights, rng)
    elif variable.type == "multi":
        value = _mentions(instrument, variable, weights, rng)
    elif variable.type == "percent":
        value = _share(rng)
    elif variable.type == "date":
        value = weekday_in(FIELDWORK, rng).isoformat()
    else:
        value = rng.choice(TEXTS.get(variable.id, GENERIC_TEXTS))
    return normalise(instrument, variable, value) or ""


def _generic_weights(instrument: Instrument, variable: Variable) -> dict[str, float]:
    """Every code alike (a multi mentions each a third of the time), reserved codes rarely."""
    if variable.type == "yesno":
        return {"yes": 60, "no": 36, DONT_KNOW: 2, NO_ANSWER: 2}
    codes = [c.code for c in instrument.choices(variable)]
    each = 1 / 3 if variable.type == "multi" else 1.0
    reserved = 0.02 if variable.type == "multi" else 0.03 * len(codes)
    return {**dict.fromkeys(codes, each), NO_ANSWER: reserved}


def _pick(weights: Mapping[str, float], rng: random.Random) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _mentions(
    instrument: Instrument, variable: Variable, weights: Mapping[str, float], rng: random.Random
) -> str:
    """Codes mentioned, each with its own chance; at least one, or a reserved code instead."""
    for reserved in (NO_ANSWER, DONT_KNOW):
        if rng.random() < weights.get(reserved, 0):
            return reserved
    codes = [c.code for c in instrument.choices(variable) if weights.get(c.code, 0) > 0]
    chosen = [c for c in codes if rng.random() < weights[c]]
    if not chosen:
        chosen = [max(codes, key=lambda c: weights[c])]
    return MULTI_SEPARATOR.join(chosen)


def _share(rng: random.Random) -> str:
    """An in-house share as interviewers hear it: often 50:50, otherwise round-ish, 0 to 100."""
    roll = rng.random()
    if roll < 0.03:
        return DONT_KNOW
    if roll < 0.2:
        return "50"
    return str(rng.randrange(0, 101, 5))


def weekday_in(period: tuple[dt.date, dt.date], rng: random.Random) -> dt.date:
    """A working day in the period (inclusive), the kind of day interviews happen."""
    start, end = period
    day = start + dt.timedelta(days=rng.randrange((end - start).days + 1))
    while day.weekday() >= 5:
        day -= dt.timedelta(days=day.weekday() - 4)
    return max(day, start)
