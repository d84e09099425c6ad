"""Corrections: what councils asked to change in their submissions, for the interviewer
to resolve: change the answer (on the Interview page), or reply why it stays."""

from __future__ import annotations

import streamlit as st

from aggregation.wording import capitalise
from app_pages.answer_widgets import shown_value
from app_pages.common import actor, chosen_wave, literal, session
from instrument.schedule import Instrument
from instrument.values import ValueProblem
from services.answers import interview_answers
from services.interviews import wave_instrument
from services.review import CorrectionRequest, correction_requests, resolve_correction

MESSAGE = "corrections_message"


def render() -> None:
    st.title("Corrections")
    wave = chosen_wave()
    key = wave.key
    show_all = st.toggle("Show resolved requests too", key="corrections_all")
    with session() as s:
        instrument = wave_instrument(s, actor=actor(), wave_key=key)
        requests = correction_requests(s, actor=actor(), wave_key=key, include_resolved=show_all)
        current = {
            i: interview_answers(s, actor=actor(), interview_id=i)
            for i in {r.interview_id for r in requests}
        }
    message = st.session_state.pop(MESSAGE, None)
    if message:
        getattr(st, message[0])(literal(message[1]))
    waiting = [r for r in requests if r.waiting]
    st.caption(
        f"{len(waiting)} request(s) waiting for you."
        if waiting
        else f"No {wave.member} is waiting for a correction."
    )
    for request in requests:
        recorded = current[request.interview_id].get(request.variable_id)
        _request(instrument, request, recorded.value if recorded else None, wave.member)


def _request(instrument: Instrument, r: CorrectionRequest, value: str | None, member: str) -> None:
    variable = instrument.variable(r.variable_id)
    part = instrument.part_of(r.variable_id)
    number = variable.display_number or variable.id
    with st.container(border=True, key=f"correction_{r.interview_id}_{r.variable_id}"):
        st.markdown(
            f"**{literal(r.council_name)}** · {literal(number)} {literal(variable.label or '')} "
            f":gray-badge[{r.state.label}]"
        )
        st.caption(f"Asked by {r.reviewed_by} on {r.reviewed_at:%d %b %Y %H:%M} UTC")
        st.text(f"{capitalise(member)}: {r.comment or ''}")
        st.text(f"Recorded now: {shown_value(instrument, variable, value)}")
        if r.reply:
            st.text(f"Your reply: {r.reply}")
        if not r.waiting:
            return
        st.page_link(
            "app_pages/interview.py",
            label=f"Change it on the Interview page (Part {part.id})",
            icon=":material/edit_note:",
            query_params={"council": r.council_code, "part": part.id},
        )
        left, right = st.columns(2)
        left.button(
            "The answer is corrected",
            key=f"corrected:{r.interview_id}:{r.variable_id}",
            on_click=_resolve,
            args=(r, True, None),
            icon=":material/check:",
        )
        popover_key = f"reply_popover:{r.interview_id}:{r.variable_id}"
        with right.popover(
            "Keep the answer and reply",
            icon=":material/reply:",
            key=popover_key,
            on_change="rerun",
        ):
            reply_key = f"reply:{r.interview_id}:{r.variable_id}"
            st.text_area("Why the answer stays as it is", key=reply_key)
            st.button(
                "Send the reply",
                key=f"keep:{r.interview_id}:{r.variable_id}",
                on_click=_resolve,
                args=(r, False, reply_key),
            )


def _resolve(r: CorrectionRequest, changed: bool, reply_key: str | None) -> None:
    reply = st.session_state.get(reply_key) if reply_key else None
    try:
        with session() as s:
            resolve_correction(
                s,
                actor=actor(),
                interview_id=r.interview_id,
                variable_id=r.variable_id,
                changed=changed,
                reply=reply,
            )
    except ValueProblem as problem:
        st.session_state[MESSAGE] = ("error", f"Not resolved: {problem}")
        return
    st.session_state[MESSAGE] = ("success", f"{r.council_name} will see your response.")


render()
