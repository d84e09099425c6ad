"""One question on screen: the right input for its type, reserved codes, a note, autosave.

Widget state is restored from the database before widgets are drawn, and every change is
saved in the widget's own callback, so nothing typed waits for a button.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app_pages.common import actor, literal, session
from db.answers import AnswerConflict, HistoryEntry, RecordedAnswer, save_answer
from db.review import ReviewEntry
from db.vocabulary import REVIEW_ITEM_LABELS
from instrument.model import DONT_KNOW, NO_ANSWER, RESERVED_LABELS, Variable
from instrument.schedule import Instrument
from instrument.values import MULTI_SEPARATOR, ValueProblem

RESERVED_OPTIONS = (NO_ANSWER, DONT_KNOW)
LOADED = "loaded_versions"  # (interview, variable) -> version the widgets show
PROBLEMS = "answer_problems"  # (interview, variable) -> message in words
CONFLICTS = "answer_conflicts"  # (interview, variable) -> AnswerConflict
NOTICES = "interview_notices"


def reason_key(interview_id: int) -> str:
    """Where the page keeps the reason for changing a submission its council validated."""
    return f"change_reason:{interview_id}"


@dataclass(frozen=True)
class Keys:
    value: str
    reserved: str
    note: str


def keys(interview_id: int, variable_id: str) -> Keys:
    base = f"{interview_id}:{variable_id}"
    return Keys(f"value:{base}", f"reserved:{base}", f"note:{base}")


def _state(name: str) -> dict:  # type: ignore[type-arg]
    return st.session_state.setdefault(name, {})


def to_widget(variable: Variable, value: str | None) -> object:
    """A stored value as the input widget holds it (reserved codes show in the pills)."""
    if value in RESERVED_OPTIONS:
        value = None
    if variable.type == "multi":
        return value.split(MULTI_SEPARATOR) if value else []
    if variable.type in ("text", "percent", "date"):
        return value or ""
    return value


def from_widget(variable: Variable, state: object) -> str | None:
    if variable.type == "multi":
        return MULTI_SEPARATOR.join(state) if state else None  # type: ignore[arg-type]
    if isinstance(state, str):
        return state if state.strip() else None
    return state  # type: ignore[return-value]


def restore(interview_id: int, variable: Variable, recorded: RecordedAnswer | None) -> None:
    """Put the stored answer into the widgets when it is new to this browser session.

    A version the widgets already show is left alone, so a refused entry stays on screen
    for correction; a newer version (saved elsewhere) replaces it.
    """
    k = keys(interview_id, variable.id)
    version = recorded.version if recorded else 0
    loaded = _state(LOADED)
    marker = (interview_id, variable.id)
    if loaded.get(marker) == version and k.value in st.session_state:
        return
    value = recorded.value if recorded else None
    st.session_state[k.value] = to_widget(variable, value)
    st.session_state[k.reserved] = value if value in RESERVED_OPTIONS else None
    st.session_state[k.note] = (recorded.note if recorded else None) or ""
    loaded[marker] = version
    _state(PROBLEMS).pop(marker, None)


def _save(interview_id: int, variable: Variable, which: str) -> None:
    """Widget callback: save the value, the reserved code or the note that just changed."""
    k = keys(interview_id, variable.id)
    marker = (interview_id, variable.id)
    if which == "value":
        value = from_widget(variable, st.session_state[k.value])
        if value is not None:
            st.session_state[k.reserved] = None
        fields = {"value": value}
    elif which == "reserved":
        code = st.session_state[k.reserved]
        if code is None and from_widget(variable, st.session_state[k.value]) is not None:
            return
        if code is not None:
            st.session_state[k.value] = to_widget(variable, None)
        fields = {"value": code}
    else:
        fields = {"note": st.session_state[k.note] or None}
    _store(interview_id, variable, fields, marker)


def _store(interview_id: int, variable: Variable, fields: dict, marker: tuple) -> None:  # type: ignore[type-arg]
    loaded = _state(LOADED)
    try:
        with session() as s:
            result = save_answer(
                s,
                actor=actor(),
                interview_id=interview_id,
                variable_id=variable.id,
                based_on_version=loaded.get(marker, 0),
                reason=st.session_state.get(reason_key(interview_id)),
                **fields,
            )
    except ValueProblem as exc:
        _state(PROBLEMS)[marker] = str(exc)
        return
    except AnswerConflict as exc:
        _state(CONFLICTS)[marker] = (exc, fields)
        return
    _state(PROBLEMS).pop(marker, None)
    loaded[marker] = result.answer.version
    if result.notice:
        _state(NOTICES)[interview_id] = result.notice


def _resolve_conflict(interview_id: int, variable: Variable, keep_mine: bool) -> None:
    marker = (interview_id, variable.id)
    conflict, fields = _state(CONFLICTS).pop(marker)
    loaded = _state(LOADED)
    loaded[marker] = conflict.theirs.version
    if keep_mine:
        _store(interview_id, variable, fields, marker)
    else:
        loaded.pop(marker, None)  # the next run restores their value into the widgets


def question(
    instrument: Instrument,
    interview_id: int,
    variable: Variable,
    recorded: RecordedAnswer | None,
    *,
    disabled: bool = False,
    history: list[HistoryEntry] | None = None,
    review: ReviewEntry | None = None,
) -> None:
    """Draw one applicable question with its input, reserved codes, note and history."""
    restore(interview_id, variable, recorded)
    k = keys(interview_id, variable.id)
    marker = (interview_id, variable.id)
    with st.container(border=True, key=f"q_{interview_id}_{variable.id}"):
        wording(variable)
        reserved = st.session_state.get(k.reserved)
        _input(instrument, interview_id, variable, k, disabled=disabled or reserved is not None)
        if variable.type == "percent" and recorded and (recorded.value or "").isdigit():
            share = int(recorded.value)  # type: ignore[arg-type]
            st.caption(f"Recorded: {share}% in-house, {100 - share}% external")
        reserved_column, note_column, history_column = st.columns(
            [2, 3, 1], vertical_alignment="center"
        )
        reserved_column.pills(
            "Non-response",
            RESERVED_OPTIONS,
            key=k.reserved,
            format_func=RESERVED_LABELS.get,
            on_change=_save,
            args=(interview_id, variable, "reserved"),
            label_visibility="collapsed",
            disabled=disabled,
        )
        note_column.text_input(
            "Interviewer's note",
            key=k.note,
            placeholder="Interviewer's note (optional)",
            on_change=_save,
            args=(interview_id, variable, "note"),
            live=True,
            label_visibility="collapsed",
            disabled=disabled,
        )
        with history_column:
            show_history(instrument, variable, history or [])
        if review is not None and review.state != "confirmed":
            show_review(review)
        problem = _state(PROBLEMS).get(marker)
        if problem:
            st.error(f"Not saved: {problem}", icon=":material/error:")
        conflict = _state(CONFLICTS).get(marker)
        if conflict:
            _conflict(interview_id, variable, instrument, conflict[0])


def shown_value(instrument: Instrument, variable: Variable, value: str | None) -> str:
    """A stored value in words: choice labels, reserved codes, percent shares."""
    if value is None:
        return "(blank)"
    if value in RESERVED_LABELS:
        return RESERVED_LABELS[value]
    if variable.type in ("yesno", "single"):
        return instrument.choice_label(variable, value)
    if variable.type == "multi":
        return "; ".join(instrument.choice_label(variable, c) for c in value.split(MULTI_SEPARATOR))
    if variable.type == "percent" and value.isdigit():
        return f"{value}% in-house"
    return value


def show_history(instrument: Instrument, variable: Variable, entries: list[HistoryEntry]) -> None:
    """Every saved change of this answer, newest first, in a popover beside it."""
    with st.popover(
        f"History ({len(entries)})",
        width="stretch",
        key=f"history:{variable.id}",
        on_change="rerun",
    ) as shown:
        if not shown.open:
            return  # drawn only when opened: it costs nothing while keying answers
        if not entries:
            st.caption("Nothing saved yet.")
        for e in entries:
            when = f"{e.changed_at:%d %b %Y %H:%M} UTC"
            st.caption(f"Version {e.version} · {when} · {e.changed_by} · {e.source}")
            if e.withheld:
                st.text("Verbatim text withheld.")
                continue
            if e.old_value != e.new_value:
                old = shown_value(instrument, variable, e.old_value)
                st.text(f"{old} → {shown_value(instrument, variable, e.new_value)}")
            if e.old_note != e.new_note:
                st.text(f"Note: {e.old_note or '(none)'} → {e.new_note or '(none)'}")


def show_review(review: ReviewEntry) -> None:
    """What the council said about this answer, and the interviewer's response."""
    label = REVIEW_ITEM_LABELS[review.state]
    lines = [f"{label} ({review.reviewed_by}, {review.reviewed_at:%d %b %Y})"]
    if review.comment:
        lines.append(f"Council: {review.comment}")
    if review.reply:
        lines.append(f"Interviewer: {review.reply}")
    box = st.warning if review.state == "correction_requested" else st.info
    box("  \n".join(literal(line) for line in lines), icon=":material/fact_check:")


def wording(variable: Variable) -> None:
    number = f"**{variable.display_number}** " if variable.number else ""
    coded = " :gray-badge[coded by interviewer]" if variable.coded else ""
    if variable.lead_in:
        st.markdown(f"*{literal(variable.lead_in)}*")
    st.markdown(f"{number}{literal(variable.text)}{coded}")
    if variable.help:
        st.caption(literal(variable.help))


def _input(
    instrument: Instrument, interview_id: int, variable: Variable, k: Keys, *, disabled: bool
) -> None:
    common = {
        "key": k.value,
        "on_change": _save,
        "args": (interview_id, variable, "value"),
        "label_visibility": "collapsed",
        "disabled": disabled,
    }
    label = variable.label or variable.text
    choices = instrument.choices(variable)
    labels = {c.code: c.label for c in choices}
    if variable.type in ("yesno", "single"):
        st.radio(
            label,
            [c.code for c in choices],
            index=None,
            format_func=labels.get,
            horizontal=variable.type == "yesno" or len(choices) <= 3,
            **common,
        )
    elif variable.type == "multi":
        st.multiselect(
            label,
            [c.code for c in choices],
            format_func=labels.get,
            placeholder="Choose every option that applies",
            **common,
        )
    elif variable.type == "percent":
        st.text_input(label, placeholder="e.g. 30:70, 30/70, 30% or 30", **common)
    else:
        st.text_area(
            label,
            placeholder="Verbatim answer (saved as you type)",
            height=90,
            **common,
        )


def _conflict(
    interview_id: int, variable: Variable, instrument: Instrument, conflict: AnswerConflict
) -> None:
    theirs = conflict.theirs
    mine = shown_value(instrument, variable, conflict.mine)
    st.warning(
        "Someone else changed this answer while you were editing. "
        f"{literal(theirs.updated_by)} saved: "
        f"{literal(shown_value(instrument, variable, theirs.value))}. "
        f"Yours: {literal(mine)}.",
        icon=":material/sync_problem:",
    )
    left, right = st.columns(2)
    left.button(
        "Keep mine",
        key=f"keep_mine:{interview_id}:{variable.id}",
        on_click=_resolve_conflict,
        args=(interview_id, variable, True),
    )
    right.button(
        f"Take {theirs.updated_by}'s",
        key=f"take_theirs:{interview_id}:{variable.id}",
        on_click=_resolve_conflict,
        args=(interview_id, variable, False),
    )
