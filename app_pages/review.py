"""Our submission: a council reads what was recorded for it, part by part, confirms each
answer or asks for a correction, and validates the whole once every request is settled."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from aggregation.wording import counted
from app_pages.answer_widgets import show_review, shown_value, wording
from app_pages.common import actor, chosen_wave, from_url, literal, session, to_url
from instrument.model import Part, Variable
from instrument.schedule import Instrument
from instrument.values import ValueProblem
from instrument.vocabulary import ReviewState
from services.answers import RecordedAnswer, interview_answers
from services.interviews import council_interview, wave_instrument
from services.quotes import published_quotes
from services.review import (
    ReviewEntry,
    awaiting_review,
    confirm_answers,
    interview_review,
    open_for_review,
    request_correction,
    validate_submission,
)

PART_KEY = "review_part"
MESSAGE = "review_message"  # (kind, text) left by a callback for the next run
SEEN = (
    "Here you see each question as it was put to you and the answer recorded for your "
    "{member}; the interviewer's own notes and interviewing guidance are not shown."
)


def render() -> None:
    who = actor()
    wave = chosen_wave()
    key, member = wave.key, wave.member
    if who.council_code is None:  # the database gives every council account its council
        st.error(f"This account is not linked to a {member}, so it has no submission to review.")
        return
    with session() as s:
        interview = council_interview(s, actor=who, wave_key=key, council_code=who.council_code)
        instrument = wave_instrument(s, actor=actor(), wave_key=key)
        answers = interview_answers(s, actor=who, interview_id=interview.id)
        state, reviews = interview_review(s, actor=who, interview_id=interview.id)
    st.title(f"Our submission: {interview.council_name}")
    st.write(SEEN.format(member=member))
    message = st.session_state.pop(MESSAGE, None)
    if message:
        getattr(st, message[0])(literal(message[1]))
    if state == ReviewState.NOT_READY:
        st.info(
            f"The interview with your {member} is not complete yet. Once the interviewer has "
            "completed it, you can read everything recorded here, confirm it or ask for "
            f"corrections, and then validate it. Nothing about your {member} is published "
            "before you validate it."
        )
        return
    _standing(state, interview.validated_at, reviews)
    values = {k: a.value for k, a in answers.items()}
    part = _part_picker(instrument)
    editable = open_for_review(state)
    shown = [v for v in part.variables if instrument.applies(v.id, values) and v.id in answers]
    for variable in shown:
        _answer(
            instrument,
            interview.id,
            variable,
            answers[variable.id],
            reviews.get(variable.id),
            editable,
        )
    if not shown:
        st.caption("Nothing was recorded in this part.")
    if editable:
        unqueried = awaiting_review([v.id for v in shown], reviews)
        st.button(
            f"Confirm the {counted(len(unqueried), 'answer')} in Part {part.id} not yet reviewed",
            on_click=_confirm,
            args=(interview.id, unqueried),
            disabled=not unqueried,
        )
        _validate(interview.id, state, member)
    _quotes(key, interview.id, member)


def _quotes(wave_key: str, interview_id: int, member: str) -> None:
    """Which of the submission's passages the report quotes (by the respondent's role only)."""
    with session() as s:
        quotes = published_quotes(s, actor=actor(), wave_key=wave_key, interview_id=interview_id)
    if not quotes:
        return
    st.header("Passages quoted in the report")
    st.write(
        f"The report quotes these words of your {member}'s answers, attributed only to the "
        "role of the person interviewed, never to your name."
    )
    for quote in quotes:
        st.text(f"“{quote.passage}” — {quote.said_by} ({quote.theme})")


def _standing(state: ReviewState, validated_at: object, reviews: dict[str, ReviewEntry]) -> None:
    open_requests = sum(1 for r in reviews.values() if r.waiting)
    answered = sum(1 for r in reviews.values() if r.answered)
    if state == ReviewState.VALIDATED:
        st.success(
            f"You validated this submission on {validated_at:%d %B %Y}. If the interviewer "
            "changes anything, it comes back here for you to validate again.",
            icon=":material/verified:",
        )
    elif state == ReviewState.CORRECTIONS_REQUESTED:
        st.warning(
            f"{open_requests} correction request(s) are with the interviewer. You can "
            "validate once each has been resolved.",
            icon=":material/hourglass_top:",
        )
    else:
        st.info(
            "Please read each answer: confirm it, or ask for a correction and say what should "
            "change. When you are content, validate the submission."
            + (f" The interviewer has responded to {answered} request(s)." if answered else ""),
            icon=":material/fact_check:",
        )


def _part_picker(instrument: Instrument) -> Part:
    ids = [p.id for p in instrument.parts]
    from_url(PART_KEY, ids, ids[0])
    chosen = st.segmented_control("Part", ids, key=PART_KEY, required=True)
    to_url(PART_KEY, chosen)
    part = next(p for p in instrument.parts if p.id == chosen)
    st.header(f"Part {part.id}: {literal(part.title)}")
    return part


def _answer(
    instrument: Instrument,
    interview_id: int,
    variable: Variable,
    recorded: RecordedAnswer,
    review: ReviewEntry | None,
    editable: bool,
) -> None:
    with st.container(border=True, key=f"review_{variable.id}"):
        wording(variable, for_respondent=True)
        st.markdown("**Recorded answer**")
        st.text(shown_value(instrument, variable, recorded.value))
        if review is not None:
            if review.changed_after_confirming:
                st.info("This answer changed after you confirmed it.", icon=":material/update:")
            show_review(review)
        if not editable:
            return
        confirmed = review is not None and review.confirmed_as_recorded
        left, right = st.columns(2)
        left.button(
            "Confirmed" if confirmed else "Confirm",
            key=f"confirm:{variable.id}",
            on_click=_confirm,
            args=(interview_id, [variable.id]),
            disabled=confirmed,
            icon=":material/check:",
        )
        popover_key = f"request_popover:{variable.id}"
        with right.popover(
            "Request a correction", icon=":material/edit:", key=popover_key, on_change="rerun"
        ):
            comment_key = f"comment:{variable.id}"
            st.text_area("What should change, and why?", key=comment_key)
            st.button(
                "Send to the interviewer",
                key=f"request:{variable.id}",
                on_click=_request,
                args=(interview_id, variable.id, comment_key, popover_key),
            )


def _validate(interview_id: int, state: ReviewState, member: str) -> None:
    st.divider()
    st.header("Validate the submission")
    st.write(
        f"Validating says the submission is a fair record of your {member}'s answers. Answers "
        "you have not queried are taken as confirmed."
    )
    st.button(
        "Validate our submission",
        type="primary",
        on_click=_validated,
        args=(interview_id,),
        disabled=state == ReviewState.CORRECTIONS_REQUESTED,
        help="Available once every correction request has been resolved.",
    )


def _confirm(interview_id: int, variable_ids: list[str]) -> None:
    _act(
        lambda s: confirm_answers(
            s, actor=actor(), interview_id=interview_id, variable_ids=variable_ids
        ),
        f"Confirmed {counted(len(variable_ids), 'answer')}.",
    )


def _request(interview_id: int, variable_id: str, comment_key: str, popover_key: str) -> None:
    comment = st.session_state.get(comment_key, "")
    done = _act(
        lambda s: request_correction(
            s, actor=actor(), interview_id=interview_id, variable_id=variable_id, comment=comment
        ),
        "Your correction request has gone to the interviewer.",
    )
    if done:
        st.session_state[comment_key] = ""
        st.session_state[popover_key] = False  # close it: the request is on its way


def _validated(interview_id: int) -> None:
    _act(
        lambda s: validate_submission(s, actor=actor(), interview_id=interview_id),
        "Thank you: your submission is validated.",
    )


def _act(action: Callable[[Session], object], success: str) -> bool:
    """Run one review step; its outcome shows at the top of the next run."""
    try:
        with session() as s:
            action(s)
    except ValueProblem as problem:
        st.session_state[MESSAGE] = ("error", f"Not done: {problem}")
        return False
    st.session_state[MESSAGE] = ("success", success)
    return True


render()
