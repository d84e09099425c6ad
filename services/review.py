"""Councils validating their own submission: confirm each answer or ask for a correction;
the interviewer resolves each request; the council then validates the whole.

The interview schedule promises each council that nothing about it is published before
it has validated what was recorded, so every step is logged and only the council itself
may confirm, query or validate.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Answer, AnswerHistory, Council, Interview, ReviewItem, utcnow
from instrument.progress import question_name
from instrument.values import ValueProblem, check_text
from instrument.vocabulary import (
    RESOLVED_ITEM_STATES,
    InterviewStatus,
    ReviewItemState,
    ReviewState,
)
from services import audit
from services.actor import Actor
from services.interviews import get_interview, get_wave, instrument_for, interview_target, touch
from services.permissions import require, require_change, require_interview

OPEN = ReviewItemState.CORRECTION_REQUESTED


@dataclass(frozen=True)
class ReviewEntry:
    """The council's word on one answer, and the interviewer's response to a request."""

    variable_id: str
    state: ReviewItemState
    comment: str | None
    reviewed_by: str
    reviewed_at: dt.datetime
    reply: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    changed_since: bool  # the answer's value changed after the council looked at it

    @property
    def waiting(self) -> bool:
        """A correction request the interviewer has still to resolve."""
        return self.state == OPEN

    @property
    def answered(self) -> bool:
        """A correction request the interviewer has resolved, by a change or a reply."""
        return self.state in RESOLVED_ITEM_STATES

    @property
    def confirmed_as_recorded(self) -> bool:
        """Confirmed, and the answer is still the one the council confirmed."""
        return self.state == ReviewItemState.CONFIRMED and not self.changed_since

    @property
    def changed_after_confirming(self) -> bool:
        return self.state == ReviewItemState.CONFIRMED and self.changed_since

    @property
    def open_for_change(self) -> bool:
        """For the council to look at again: the interviewer responded, or it changed since."""
        return self.answered or self.changed_since


@dataclass(frozen=True)
class CorrectionRequest:
    """An open or answered request, as the interviewer's list shows it."""

    interview_id: int
    council_code: str
    council_name: str
    variable_id: str
    state: ReviewItemState
    comment: str | None
    reviewed_by: str
    reviewed_at: dt.datetime
    reply: str | None

    @property
    def waiting(self) -> bool:
        """Still waiting for the interviewer (otherwise corrected or kept)."""
        return self.state == OPEN


def open_for_review(state: ReviewState) -> bool:
    """Whether the council may still confirm, query and validate: the interview is complete
    and the submission not yet validated."""
    return state in (ReviewState.AWAITING_COUNCIL, ReviewState.CORRECTIONS_REQUESTED)


def awaiting_review(variable_ids: list[str], reviews: dict[str, ReviewEntry]) -> list[str]:
    """Of these answers, those the council has yet to confirm or query: never reviewed, or
    open for change again."""
    return [v for v in variable_ids if v not in reviews or reviews[v].open_for_change]


def review_state(interview: Interview, open_requests: int) -> ReviewState:
    if interview.validated_at is not None:
        return ReviewState.VALIDATED
    if interview.status != InterviewStatus.COMPLETED:
        return ReviewState.NOT_READY
    return ReviewState.CORRECTIONS_REQUESTED if open_requests else ReviewState.AWAITING_COUNCIL


def wave_review_states(session: Session, *, actor: Actor, wave_key: str) -> dict[int, ReviewState]:
    """Every interview of the wave by id, with where its council's review stands."""
    require(session, actor, "read the wave", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    open_counts = Counter(
        session.scalars(
            select(ReviewItem.interview_id)
            .join(Interview, Interview.id == ReviewItem.interview_id)
            .where(Interview.wave_id == wave.id, ReviewItem.state == OPEN)
        )
    )
    interviews = session.scalars(select(Interview).where(Interview.wave_id == wave.id))
    return {i.id: review_state(i, open_counts[i.id]) for i in interviews}


def interview_review(
    session: Session, *, actor: Actor, interview_id: int
) -> tuple[ReviewState, dict[str, ReviewEntry]]:
    """Where one submission's review stands, and the review of each answer by variable."""
    interview = get_interview(session, interview_id)
    require_interview(session, actor, "read an interview", interview)
    now = dict(
        session.execute(
            select(Answer.variable_id, Answer.value).where(Answer.interview_id == interview_id)
        ).all()
    )
    items = list(session.scalars(select(ReviewItem).where(ReviewItem.interview_id == interview_id)))
    seen = _values_at(session, interview_id, [(r.variable_id, r.answer_version) for r in items])
    entries = {
        r.variable_id: ReviewEntry(
            r.variable_id,
            ReviewItemState(r.state),
            r.comment,
            r.reviewed_by,
            r.reviewed_at,
            r.reply,
            r.resolved_by,
            r.resolved_at,
            changed_since=now.get(r.variable_id) != seen.get((r.variable_id, r.answer_version)),
        )
        for r in items
    }
    opened = sum(1 for e in entries.values() if e.waiting)
    return review_state(interview, opened), entries


def confirm_answers(
    session: Session, *, actor: Actor, interview_id: int, variable_ids: list[str]
) -> int:
    """The council confirms these answers as recorded; returns how many it newly confirmed."""
    interview = _for_review(session, actor, interview_id)
    _check_variables(session, interview, variable_ids)
    versions = _answer_versions(session, interview_id)
    items = _items(session, interview_id)
    confirmed = 0
    for variable_id in variable_ids:
        item = items.get(variable_id)
        version = versions.get(variable_id, 0)
        if (
            item is not None
            and item.state == ReviewItemState.CONFIRMED
            and item.answer_version == version
        ):
            continue
        old = item.state if item else None
        item = _put(
            session,
            interview_id,
            items,
            variable_id,
            ReviewItemState.CONFIRMED,
            version,
            None,
            actor,
        )
        _log(
            session, actor, interview, variable_id, "review.confirm", old, ReviewItemState.CONFIRMED
        )
        confirmed += 1
    session.commit()
    return confirmed


def request_correction(
    session: Session, *, actor: Actor, interview_id: int, variable_id: str, comment: str
) -> None:
    """The council says an answer is wrong and why; the interviewer must resolve it."""
    interview = _for_review(session, actor, interview_id)
    text = check_text(comment or "").strip()
    if not text:
        session.rollback()
        raise ValueProblem("say what should change, so the interviewer can correct it")
    _check_variables(session, interview, [variable_id])
    items = _items(session, interview_id)
    old = items[variable_id].state if variable_id in items else None
    version = _answer_versions(session, interview_id).get(variable_id, 0)
    _put(session, interview_id, items, variable_id, OPEN, version, text, actor)
    _log(session, actor, interview, variable_id, "review.request", old, OPEN, text)
    session.commit()


def validate_submission(session: Session, *, actor: Actor, interview_id: int) -> None:
    """The council validates its submission as it now stands; answers it did not query
    are taken as confirmed. Refused while any correction request is unresolved."""
    interview = _for_review(session, actor, interview_id)
    items = _items(session, interview_id)
    waiting = sorted(v for v, item in items.items() if item.state == OPEN)
    if waiting:
        session.rollback()
        raise ValueProblem(
            f"{len(waiting)} correction request(s) still wait for the interviewer: "
            + ", ".join(waiting)
        )
    interview.validated_at, interview.validated_by = utcnow(), actor.username
    touch(interview, actor)
    _log(session, actor, interview, None, "review.validate", "not validated", "validated")
    session.commit()


def validated_elsewhere(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    evidence: str,
    councils: list[str] | None = None,
) -> list[str]:
    """An administrator records that councils validated their completed submissions outside
    this system (a past wave, published years ago): each becomes validated, with the evidence
    in its audit row. Without this, the published view of an imported wave counts nobody.
    `councils` (codes or names) narrows it; returns the names recorded, in order."""
    require(session, actor, "manage waves", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    said = evidence.strip()
    if not said:
        raise ValueProblem("say how the councils validated (e.g. 'published in the 2012 report')")
    rows = session.execute(
        select(Interview, Council).join(Council, Council.id == Interview.council_id)
        .where(Interview.wave_id == wave.id).order_by(Council.name).with_for_update(of=Interview)
    ).all()  # fmt: skip
    wanted = {c.strip().casefold() for c in councils or []}
    known = {name for _, c in rows for name in (c.code.casefold(), c.name.casefold())}
    unknown = sorted(w for w in wanted if w not in known)
    if unknown:
        raise ValueProblem(f"not a council of wave {wave_key}: {', '.join(unknown)}")
    now, named = utcnow(), []
    for interview, council in rows:
        if wanted and not {council.code.casefold(), council.name.casefold()} & wanted:
            continue
        if interview.status != InterviewStatus.COMPLETED or interview.validated_at is not None:
            continue
        interview.validated_at, interview.validated_by = now, actor.username
        touch(interview, actor)
        _log(session, actor, interview, None, "review.validate", "not validated", "validated",
             reason=f"validated elsewhere: {said}")  # fmt: skip
        named.append(council.name)
    session.commit()
    return named


def correction_requests(
    session: Session, *, actor: Actor, wave_key: str, include_resolved: bool = False
) -> list[CorrectionRequest]:
    """The requests councils have made in a wave, oldest first, for the interviewer."""
    require(session, actor, "read the wave", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    states = [OPEN, *RESOLVED_ITEM_STATES] if include_resolved else [OPEN]
    rows = session.execute(
        select(ReviewItem, Council.code, Council.name)
        .join(Interview, Interview.id == ReviewItem.interview_id)
        .join(Council, Council.id == Interview.council_id)
        .where(Interview.wave_id == wave.id, ReviewItem.state.in_(states))
        .order_by(ReviewItem.reviewed_at, ReviewItem.id)
    )
    return [
        CorrectionRequest(
            r.interview_id,
            code,
            name,
            r.variable_id,
            ReviewItemState(r.state),
            r.comment,
            r.reviewed_by,
            r.reviewed_at,
            r.reply,
        )
        for r, code, name in rows
    ]


def resolve_correction(
    session: Session,
    *,
    actor: Actor,
    interview_id: int,
    variable_id: str,
    changed: bool,
    reply: str | None = None,
) -> None:
    """The interviewer resolves a request: the answer was changed, or a reply says why not."""
    interview = get_interview(session, interview_id, for_update=True)
    require_change(
        session, actor, "resolve corrections", interview.wave, target=interview_target(interview)
    )
    item = _items(session, interview_id).get(variable_id)
    named = _named(session, interview, variable_id)
    if item is None or item.state != OPEN:
        session.rollback()
        raise ValueProblem(f"there is no open correction request on {named}")
    text = check_text(reply or "").strip() or None
    if changed and _value_now(session, interview_id, variable_id) == _value_at(
        session, interview_id, variable_id, item.answer_version
    ):
        session.rollback()
        raise ValueProblem(
            f"{named} has not changed since the council asked; change the answer "
            "on the Interview page first, or reply why it stays"
        )
    if not changed and not text:
        session.rollback()
        raise ValueProblem("say why the answer stays as it is; the council will read it")
    item.state = ReviewItemState.CORRECTED if changed else ReviewItemState.KEPT
    item.reply, item.resolved_by, item.resolved_at = text, actor.username, utcnow()
    _log(session, actor, interview, variable_id, "review.resolve", OPEN, item.state, text)
    session.commit()


def _named(session: Session, interview: Interview, variable_id: str) -> str:
    """A question as people name it ("Q24 In-house provision"), never its id."""
    instrument = instrument_for(session, interview)
    if not instrument.has_variable(variable_id):
        return variable_id
    return question_name(instrument.variable(variable_id))


def _value_now(session: Session, interview_id: int, variable_id: str) -> str | None:
    return session.scalar(
        select(Answer.value).where(
            Answer.interview_id == interview_id, Answer.variable_id == variable_id
        )
    )


def _value_at(session: Session, interview_id: int, variable_id: str, version: int) -> str | None:
    """The answer's value at one version, from its history (version 0: nothing recorded)."""
    return session.scalar(
        select(AnswerHistory.new_value).where(
            AnswerHistory.interview_id == interview_id,
            AnswerHistory.variable_id == variable_id,
            AnswerHistory.version == version,
        )
    )


def _values_at(
    session: Session, interview_id: int, versions: list[tuple[str, int]]
) -> dict[tuple[str, int], str | None]:
    """Each answer's value at the version the council reviewed, from its history; comparing
    values, not versions, keeps a change of the interviewer's note (which councils never
    see) from asking the council to look again."""
    wanted = set(versions)
    rows = session.execute(
        select(AnswerHistory.variable_id, AnswerHistory.version, AnswerHistory.new_value).where(
            AnswerHistory.interview_id == interview_id
        )
    )
    return {(v, n): value for v, n, value in rows if (v, n) in wanted}


def _for_review(session: Session, actor: Actor, interview_id: int) -> Interview:
    interview = get_interview(session, interview_id, for_update=True)
    require_interview(session, actor, "review a submission", interview)
    if interview.status != InterviewStatus.COMPLETED:
        session.rollback()
        raise ValueProblem(
            "the interview is not complete yet; it can be reviewed once the interviewer "
            "has completed it"
        )
    if interview.validated_at is not None:
        session.rollback()
        raise ValueProblem(
            f"this submission was validated on {interview.validated_at:%d %B %Y}; "
            "it opens for review again if anything changes"
        )
    return interview


def _check_variables(session: Session, interview: Interview, variable_ids: list[str]) -> None:
    known = {v.id for v in instrument_for(session, interview).questions}
    unknown = [v for v in variable_ids if v not in known]
    if unknown:
        session.rollback()
        raise ValueProblem(f"not questions of this interview: {', '.join(unknown)}")


def _items(session: Session, interview_id: int) -> dict[str, ReviewItem]:
    rows = session.scalars(
        select(ReviewItem).where(ReviewItem.interview_id == interview_id).with_for_update()
    )
    return {r.variable_id: r for r in rows}


def _answer_versions(session: Session, interview_id: int) -> dict[str, int]:
    query = select(Answer.variable_id, Answer.version).where(Answer.interview_id == interview_id)
    return dict(session.execute(query).all())


def _put(
    session: Session,
    interview_id: int,
    items: dict[str, ReviewItem],
    variable_id: str,
    state: str,
    version: int,
    comment: str | None,
    actor: Actor,
) -> ReviewItem:
    item = items.get(variable_id)
    if item is None:
        item = ReviewItem(interview_id=interview_id, variable_id=variable_id)
        session.add(item)
        items[variable_id] = item
    item.state, item.answer_version, item.comment = state, version, comment
    item.reviewed_by, item.reviewed_at = actor.username, utcnow()
    item.reply = item.resolved_by = item.resolved_at = None
    return item


def _log(
    session: Session,
    actor: Actor,
    interview: Interview,
    variable_id: str | None,
    action: str,
    old: str | None,
    new: str,
    reason: str | None = None,
) -> None:
    target = interview_target(interview, variable_id)
    audit.record(
        session, actor=actor, action=action, target=target, old=old, new=new, reason=reason
    )
