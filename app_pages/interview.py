"""Interview: pick a council, then Parts A–H; every answer saves as it is entered."""

from __future__ import annotations

import streamlit as st

from aggregation.wording import capitalise
from app_pages.common import (
    actor,
    chosen_wave,
    from_url,
    labelled_picker,
    literal,
    session,
    to_url,
)
from app_pages.keying.panel import NOTICES, apply_changes, panel_key, show_panel
from app_pages.typing_autosave import save_typing_after_a_pause
from instrument.model import Part
from instrument.progress import missing_for_completion, part_progress
from instrument.schedule import Instrument
from instrument.values import ValueProblem
from instrument.vocabulary import InterviewStatus, ReviewState
from services.answers import HistoryEntry, answer_history, interview_answers
from services.fieldwork import attempt_counts, status_label
from services.interviews import (
    IncompleteInterview,
    InterviewSummary,
    complete_interview,
    reopen_interview,
    update_summary,
    wave_instrument,
    wave_interviews,
)
from services.review import interview_review

COUNCIL_KEY = "council"
PART_KEY = "part"
COMPLETION = "completion_missing"
DETAILS_LOADED = "details_loaded"


def render() -> None:
    wave = chosen_wave()
    key, member = wave.key, wave.member
    with session() as s:
        instrument = wave_instrument(s, actor=actor(), wave_key=key)
    by_code, labels = _councils(key)
    from_url(COUNCIL_KEY, list(by_code), None)
    chosen = st.session_state.get(COUNCIL_KEY)
    changed = False
    for waiting, interview in by_code.items():
        # Every panel with changes waiting, not only the chosen council's: a change sent as
        # the interviewer switches council is applied, not left behind with the old panel.
        if panel_key(interview.id) not in st.session_state:
            continue
        applied = apply_changes(interview.id, instrument)
        changed = changed or applied.changes > 0
        if waiting == chosen and applied.part:
            st.session_state[PART_KEY] = applied.part
    if changed:  # statuses in the picker as they are after these changes
        by_code, labels = _councils(key)
    title, picker = st.columns([1, 2], vertical_alignment="bottom")
    title.title("Interview")
    code = labelled_picker(
        capitalise(member),
        labels,
        key=COUNCIL_KEY,
        where=picker,
        placeholder=f"Choose the {member} you are interviewing",
    )
    to_url(COUNCIL_KEY, code)
    if code is None:
        st.info(f"Choose the {member} you are interviewing. Every answer is saved as you enter it.")
        return
    interview = by_code[code]
    with session() as s:
        answers = interview_answers(s, actor=actor(), interview_id=interview.id)
        history = answer_history(s, actor=actor(), interview_id=interview.id)
        review_state, reviews = interview_review(s, actor=actor(), interview_id=interview.id)
    values = {k: a.value for k, a in answers.items()}
    histories: dict[str, list[HistoryEntry]] = {}
    for entry in history:
        histories.setdefault(entry.variable_id, []).append(entry)
    _header(instrument, interview)
    reason = _validation(interview, review_state, member)
    if interview.status == InterviewStatus.DECLINED:
        st.warning(
            f"{interview.council_name} declined to take part: "
            f"{literal(interview.nonresponse_reason)}. Reopen it on Fieldwork to interview."
        )
        return
    part = _part_picker(instrument, values)
    ids = [p.id for p in instrument.parts]
    position = ids.index(part.id)
    show_panel(
        instrument,
        interview,
        part,
        answers,
        history=histories,
        reviews=reviews,
        reason=reason,
        next_part=instrument.parts[position + 1] if position + 1 < len(ids) else None,
    )
    _summary(interview, member)
    _completion(instrument, interview, values)
    save_typing_after_a_pause()


def _councils(key: str) -> tuple[dict[str, InterviewSummary], dict[str, str]]:
    """The wave's interviews by council code, and each council as the picker names it."""
    with session() as s:
        interviews = wave_interviews(s, actor=actor(), wave_key=key)
        attempts = attempt_counts(s, actor=actor(), wave_key=key)
    by_code = {i.council_code: i for i in interviews}
    labels = {
        i.council_code: f"{i.council_name} · {status_label(i.status, attempts.get(i.id, 0))}"
        for i in interviews
    }
    return by_code, labels


def reason_key(interview_id: int) -> str:
    """Where the page keeps the reason for changing a submission its council validated."""
    return f"change_reason:{interview_id}"


def _header(instrument: Instrument, interview: InterviewSummary) -> None:
    """The council, its status, the introduction and any notice, always the same elements.

    The keying panel below must keep its place in the page from run to run (a panel that
    moves is redrawn, and focus is lost), so what varies here sits in one container.
    """
    status = InterviewStatus(interview.status).label
    st.markdown(f"**{literal(interview.council_name)}** :gray-badge[{status}]")
    with st.expander("Introduction to read to the respondent"):
        st.write(instrument.introduction)
    with st.container():
        notice = st.session_state.get(NOTICES, {}).pop(interview.id, None)
        if notice:
            st.warning(literal(notice), icon=":material/undo:")


def _validation(interview: InterviewSummary, review_state: ReviewState, member: str) -> str | None:
    """Where the respondent's review stands; a validated submission asks why it changes."""
    with st.container():
        return _validation_state(interview, review_state, member)


def _validation_state(
    interview: InterviewSummary, review_state: ReviewState, member: str
) -> str | None:
    if review_state != ReviewState.VALIDATED:
        if interview.status == InterviewStatus.COMPLETED:
            st.markdown(f"{capitalise(member)} review: {review_state.label}.")
        return None
    st.info(
        f"{literal(interview.council_name)} validated this submission on "
        f"{interview.validated_at:%d %B %Y}. A change needs a reason, and the {member} will "
        "be asked to validate again.",
        icon=":material/verified:",
    )
    return st.text_input(
        "Reason for changing the validated submission",
        key=reason_key(interview.id),
        placeholder=f"e.g. the {member} asked by email on 3 May to correct Q12",
    )


def _summary(interview: InterviewSummary, member: str) -> None:
    """The short summary auditors read for this respondent, instead of the verbatim answers."""
    k = f"summary:{interview.id}"
    loaded = st.session_state.setdefault(DETAILS_LOADED, {})
    if loaded.get(k, object()) != interview.summary or k not in st.session_state:
        st.session_state[k] = interview.summary or ""
        loaded[k] = interview.summary
    st.divider()
    st.text_area(
        "Summary of the interview for auditors",
        key=k,
        height=110,
        on_change=_save_summary,
        args=(interview.id,),
        placeholder=(
            f"A few sentences on this {member}'s answers. Auditors read this and the coded "
            "answers, not the verbatim text or notes."
        ),
    )


def _save_summary(interview_id: int) -> None:
    k = f"summary:{interview_id}"
    try:
        with session() as s:
            result = update_summary(
                s, actor=actor(), interview_id=interview_id, summary=st.session_state[k]
            )
    except ValueProblem as exc:
        st.session_state.setdefault(NOTICES, {})[interview_id] = f"Summary not saved: {exc}"
        return
    st.session_state[DETAILS_LOADED][k] = result.summary


def _part_picker(instrument: Instrument, values: dict[str, str | None]) -> Part:
    progress = {p.part_id: p for p in part_progress(instrument, values)}
    ids = [p.id for p in instrument.parts]
    from_url(PART_KEY, ids, ids[0])
    chosen = st.segmented_control(
        "Part",
        ids,
        key=PART_KEY,
        required=True,
        format_func=lambda p: f"{p} · {progress[p].text}",
    )
    to_url(PART_KEY, chosen)
    part = next(p for p in instrument.parts if p.id == chosen)
    done = progress[part.id]
    st.header(f"Part {part.id}: {literal(part.title)}", anchor=False)
    st.progress(
        done.recorded / done.applicable if done.applicable else 1.0,
        text=f"{done.recorded} of {done.applicable} questions recorded in this part",
    )
    return part


def _completion(
    instrument: Instrument, interview: InterviewSummary, values: dict[str, str | None]
) -> None:
    st.divider()
    if interview.status == InterviewStatus.COMPLETED:
        st.success("This interview is complete.", icon=":material/task_alt:")
        st.button(
            "Reopen interview",
            on_click=_reopen,
            args=(interview.id,),
            help="Back to in progress, e.g. to clear an answer. Nothing recorded is lost.",
        )
        return
    missing = missing_for_completion(
        instrument,
        values,
        respondent_role=interview.respondent_role,
        interview_date=interview.interview_date,
    )
    st.caption(
        f"{len(missing)} item(s) still unrecorded."
        if missing
        else "Everything that applies is recorded."
    )
    st.button("Complete interview", type="primary", on_click=_complete, args=(interview.id,))
    refused = st.session_state.get(COMPLETION, {}).get(interview.id)
    if refused:
        st.error(
            "Not completed. Still unrecorded: " + "; ".join(literal(m) for m in refused),
            icon=":material/rule:",
        )


def _complete(interview_id: int) -> None:
    missing = st.session_state.setdefault(COMPLETION, {})
    try:
        with session() as s:
            complete_interview(s, actor=actor(), interview_id=interview_id)
    except IncompleteInterview as exc:
        missing[interview_id] = exc.missing
        return
    missing.pop(interview_id, None)


def _reopen(interview_id: int) -> None:
    try:
        with session() as s:
            reopen_interview(
                s,
                actor=actor(),
                interview_id=interview_id,
                reason=st.session_state.get(reason_key(interview_id)),
            )
    except ValueProblem as exc:
        st.session_state.setdefault(NOTICES, {})[interview_id] = f"Not reopened: {exc}"


render()
