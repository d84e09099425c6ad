"""Fieldwork: all councils in the wave, where each stands, today's appointments and the
contact log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.state import SessionStateProxy

from aggregation.response import response_figures
from aggregation.wording import capitalise
from app_pages.common import (
    WAVE_KEY,
    actor,
    chosen_wave,
    labelled_picker,
    literal,
    review_sentence,
    session,
)
from app_pages.navigation import PAGES
from instrument.values import ValueProblem
from instrument.vocabulary import ContactOutcome, InterviewStatus, ReviewState
from services.fieldwork import (
    FieldworkRow,
    appointments_between,
    contact_attempts,
    fieldwork_overview,
    record_contact,
    state_counts,
    uk_now,
)
from services.interviews import reopen_interview, wave_instrument

SELECTED = "fieldwork_council"
EARLIEST = dt.date(2000, 1, 1)  # date inputs default to ten years back; fieldwork may be older
FLASH = "fieldwork_flash"
INTERVIEW_PAGE = PAGES["interview"][0]
INTERVIEW_COUNCIL = "council"  # the query parameter the Interview page opens a council from
UPCOMING_DAYS = 7


def render() -> None:
    st.title("Fieldwork")
    wave = chosen_wave()
    key, member = wave.key, wave.member
    with session() as s:
        rows = fieldwork_overview(s, actor=actor(), wave_key=key)
        instrument = wave_instrument(s, actor=actor(), wave_key=key)
    st.header(response_figures((r.status for r in rows), member).headline)
    counts = state_counts(rows)
    for col, (label, n) in zip(st.columns(len(counts)), counts, strict=True):
        col.metric(label, n)
    st.write(review_sentence((r.review for r in rows), member))
    _appointments(rows, key)
    st.header(f"All {wave.members}")
    named = capitalise(member)
    st.dataframe(
        _table(rows).rename(columns=lambda c: c.replace("Council", named)),
        hide_index=True,
        width="stretch",
        height=35 * (len(rows) + 1) + 3,
        column_config={c.replace("Council", named): v for c, v in COLUMNS.items()},
    )
    st.write(
        f"Questions recorded: of the questions that apply to the {member}, given its answers "
        "so far, how many are recorded. Attempted (3): three calls logged, none yet leading "
        "to an appointment or a decline."
    )
    roles = {c.code: c.label for c in instrument.choices("respondent_role")}
    _contact_section(rows, roles, member)


# Widths in pixels that hold the longest text of each column (measured in Chromium at the
# theme's 14 px): 915 in all, inside the 938 px the table gets in the wide layout at 1400 px.
COLUMNS = {
    "Council": st.column_config.TextColumn(width=155),
    "Status": st.column_config.TextColumn(width=105),
    "Appointment": st.column_config.TextColumn(width=120),
    "Last contact": st.column_config.TextColumn(width=240, help="When, and what came of it"),
    "Questions recorded": st.column_config.ProgressColumn(
        help="Questions recorded of those that apply, given the answers so far",
        format="percent",
        min_value=0,
        max_value=1,
        width=135,
    ),
    "Council review": st.column_config.TextColumn(width=160),
}


def _table(rows: list[FieldworkRow]) -> pd.DataFrame:
    """One row per council, narrow enough for the page: progress is one column, not eight, and
    the respondent's role moved to the contact section."""
    return pd.DataFrame.from_records(
        [
            {
                "Council": r.council_name,
                "Status": r.state_label,
                "Appointment": when(r.appointment_at),
                "Last contact": _last_contact(r),
                "Questions recorded": r.questions_recorded / r.questions_applicable,
                "Council review": r.review.label if r.review != ReviewState.NOT_READY else "",
            }
            for r in rows
        ]
    )


def _last_contact(row: FieldworkRow) -> str:
    if row.last_contact_at is None:
        return ""
    return f"{when(row.last_contact_at)} · {outcome_words(row.last_contact_outcome)}"


def outcome_words(code: str | None) -> str:
    """A contact's outcome as people read it; a code no longer offered shows as stored."""
    return ContactOutcome(code).label if code in ContactOutcome.codes() else code or ""


def when(moment: dt.datetime | None) -> str:
    """A moment as fieldwork staff write it: 3 Oct 2011 10:30; blank when there is none."""
    return f"{moment.day} {moment:%b %Y %H:%M}" if moment else ""


def _appointments(rows: list[FieldworkRow], wave: str) -> None:
    """Today's appointments (UK date), then the next week's, each a link to its interview."""
    today = uk_now().date()
    st.header(f"Today, {today:%A} {today.day} {today:%B %Y}")
    booked = appointments_between(rows, today, today)
    if not booked:
        st.write("No appointments today.")
    for r in booked:
        _appointment_link(r, wave, f"{r.appointment_at:%H:%M}")
    upcoming = appointments_between(
        rows, today + dt.timedelta(days=1), today + dt.timedelta(days=UPCOMING_DAYS)
    )
    st.subheader(f"Next {UPCOMING_DAYS} days")
    if not upcoming:
        st.write(f"No appointments in the next {UPCOMING_DAYS} days.")
    for r in upcoming:
        _appointment_link(r, wave, f"{r.appointment_at:%a} {when(r.appointment_at)}")


def _appointment_link(row: FieldworkRow, wave: str, moment: str) -> None:
    st.page_link(
        INTERVIEW_PAGE,
        label=f"{moment} · {row.council_name} ({row.state_label}): open the interview",
        icon=":material/edit_note:",
        query_params={INTERVIEW_COUNCIL: row.council_code, WAVE_KEY: wave},
    )


def _contact_section(rows: list[FieldworkRow], roles: dict[str, str], member: str) -> None:
    st.header("Contact log")
    by_code = {r.council_code: r for r in rows}
    if st.session_state.get(SELECTED) not in by_code:
        st.session_state[SELECTED] = rows[0].council_code

    labels = {code: f"{r.council_name} · {r.state_label}" for code, r in by_code.items()}
    labelled_picker(capitalise(member), labels, key=SELECTED)
    row = by_code[st.session_state[SELECTED]]
    role = roles.get(row.respondent_role or "", "not recorded yet")
    st.write(
        f"{row.questions_recorded} of {row.questions_applicable} questions recorded. "
        f"Respondent's role: {role}."
    )
    flash = st.session_state.pop(FLASH, None)
    if flash:
        (st.success if flash[0] == "ok" else st.error)(literal(flash[1]))
    if row.status == InterviewStatus.DECLINED:
        st.warning("Declined to take part. Reason given:")
        st.text(row.nonresponse_reason or "")
        st.button(f"Reopen this {member}", on_click=_reopen, args=(row.interview_id, member))
    _contact_form(row, member)
    with session() as s:
        log = contact_attempts(s, actor=actor(), interview_id=row.interview_id)
    if log:
        st.dataframe(
            pd.DataFrame(
                {
                    "When": [when(c.attempted_at) for c in log],
                    "Outcome": [outcome_words(c.outcome) for c in log],
                    "Note": [c.note or "" for c in log],
                    "Recorded by": [c.recorded_by for c in log],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.write("No contact recorded yet.")


def _blank_form(k: str) -> dict[str, Any]:
    """The contact form as it starts: a call made now (UK time), no note, nothing booked."""
    now = uk_now()
    return {
        f"{k}:when_date": now.date(),
        f"{k}:when_time": dt.time(now.hour, now.minute - now.minute % 5),
        f"{k}:outcome": ContactOutcome.NO_REPLY.value,
        f"{k}:appointment_date": None,
        f"{k}:appointment_time": None,
        f"{k}:reason": "",
        f"{k}:note": "",
    }


def _contact_form(row: FieldworkRow, member: str) -> None:
    k = f"contact:{row.interview_id}"
    for field, value in _blank_form(k).items():
        st.session_state.setdefault(field, value)
    with st.container(border=True):
        st.markdown(f"**Record a contact with {literal(row.council_name)}**")
        left, middle, right = st.columns(3)
        left.date_input(
            "Date of contact", key=f"{k}:when_date", min_value=EARLIEST, max_value=uk_now().date()
        )
        middle.time_input("Time of contact", key=f"{k}:when_time", step=dt.timedelta(minutes=5))
        outcome = right.selectbox(
            "Outcome", ContactOutcome.codes(), format_func=outcome_words, key=f"{k}:outcome"
        )
        if outcome == ContactOutcome.APPOINTMENT_MADE:
            left, middle, _ = st.columns(3)
            left.date_input("Appointment date", min_value=EARLIEST, key=f"{k}:appointment_date")
            middle.time_input("Appointment time", key=f"{k}:appointment_time", step=900)
        if outcome == ContactOutcome.DECLINED:
            st.text_area(f"Reason the {member} gave (required)", key=f"{k}:reason")
        st.text_input("Note", key=f"{k}:note")
        st.button("Record contact", on_click=_record, args=(row.interview_id, k), type="primary")


def _record(interview_id: int, k: str) -> None:
    """Save the contact and clear the form for the next one; on a refusal keep what was keyed,
    so it can be put right, and say why."""
    state = st.session_state
    try:
        with session() as s:
            record_contact(
                s,
                actor=actor(),
                interview_id=interview_id,
                attempted_at=_combine(state, f"{k}:when") or uk_now(),
                outcome=state[f"{k}:outcome"],
                note=state.get(f"{k}:note"),
                appointment_at=_combine(state, f"{k}:appointment"),
                nonresponse_reason=state.get(f"{k}:reason"),
            )
    except ValueProblem as exc:
        state[FLASH] = ("error", f"Not recorded: {exc}.")
        return
    state.update(_blank_form(k))  # assigned, not popped: the browser is sent the blank values
    state[FLASH] = ("ok", "Contact recorded.")


def _combine(state: SessionStateProxy, prefix: str) -> dt.datetime | None:
    """A date and a time input read as one moment; None until both are given."""
    day, time = state.get(f"{prefix}_date"), state.get(f"{prefix}_time")
    return dt.datetime.combine(day, time) if day and time else None


def _reopen(interview_id: int, member: str) -> None:
    with session() as s:
        reopen_interview(s, actor=actor(), interview_id=interview_id)
    st.session_state[FLASH] = ("ok", f"Reopened: the {member} can be contacted again.")


render()
