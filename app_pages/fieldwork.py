"""Fieldwork: all councils in the wave, where each stands, and the contact log."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from aggregation.response import response_figures
from app_pages.common import actor, literal, review_sentence, session, wave_key
from db.fieldwork import (
    FieldworkRow,
    contact_attempts,
    fieldwork_overview,
    record_contact,
)
from db.interviews import get_wave, instrument_named, reopen_interview
from db.vocabulary import CONTACT_OUTCOMES, DECLINED, NOT_READY, REVIEW_LABELS, STATUS_LABELS
from instrument.values import ValueProblem

SELECTED = "fieldwork_council"
EARLIEST = dt.date(2000, 1, 1)  # date inputs default to ten years back; fieldwork may be older
FLASH = "fieldwork_flash"


def render() -> None:
    st.title("Fieldwork")
    key = wave_key()
    with session() as s:
        rows = fieldwork_overview(s, actor=actor(), wave_key=key)
        instrument = instrument_named(get_wave(s, key).instrument)
    figures = response_figures(r.status for r in rows)
    st.subheader(figures.headline)
    cols = st.columns(5)
    for col, (label, n) in zip(
        cols,
        [
            ("Completed", figures.completed),
            ("In progress", figures.in_progress),
            ("Scheduled", figures.scheduled),
            ("Not contacted", figures.not_contacted),
            ("Declined", figures.declined),
        ],
        strict=True,
    ):
        col.metric(label, n)
    st.caption(review_sentence(r.review for r in rows))
    roles = {c.code: c.label for c in instrument.choices("respondent_role")}
    st.dataframe(
        _table(rows, roles),
        hide_index=True,
        width="stretch",
        height=35 * (len(rows) + 1) + 3,
    )
    st.caption(
        "Parts A–H show questions recorded out of those that apply, given the answers so far."
    )
    _contact_section(rows)


def _table(rows: list[FieldworkRow], roles: dict[str, str]) -> pd.DataFrame:
    records = []
    for r in rows:
        record = {
            "Council": r.council_name,
            "Code": r.council_code,
            "Status": STATUS_LABELS[r.status],
            "Council review": REVIEW_LABELS[r.review] if r.review != NOT_READY else "",
            "Appointment": when(r.appointment_at),
            "Respondent role": roles.get(r.respondent_role or "", ""),
            "Last contact": when(r.last_contact_at),
            "Outcome": CONTACT_OUTCOMES.get(r.last_contact_outcome or "", ""),
        }
        record.update({f"Part {p.part_id}": p.text for p in r.progress})
        records.append(record)
    return pd.DataFrame.from_records(records)


def when(moment: dt.datetime | None) -> str:
    """A moment as fieldwork staff write it: 3 Oct 2011 10:30; blank when there is none."""
    return f"{moment.day} {moment:%b %Y %H:%M}" if moment else ""


def _contact_section(rows: list[FieldworkRow]) -> None:
    st.header("Contact log")
    by_code = {r.council_code: r for r in rows}
    if st.session_state.get(SELECTED) not in by_code:
        st.session_state[SELECTED] = rows[0].council_code
    st.selectbox(
        "Council",
        list(by_code),
        key=SELECTED,
        format_func=lambda c: f"{by_code[c].council_name} · {STATUS_LABELS[by_code[c].status]}",
    )
    row = by_code[st.session_state[SELECTED]]
    flash = st.session_state.pop(FLASH, None)
    if flash:
        (st.success if flash[0] == "ok" else st.error)(literal(flash[1]))
    if row.status == DECLINED:
        st.warning("Declined to take part. Reason given:")
        st.text(row.nonresponse_reason or "")
        st.button("Reopen this council", on_click=_reopen, args=(row.interview_id,))
    _contact_form(row)
    with session() as s:
        log = contact_attempts(s, actor=actor(), interview_id=row.interview_id)
    if log:
        st.dataframe(
            pd.DataFrame(
                {
                    "When": [when(c.attempted_at) for c in log],
                    "Outcome": [CONTACT_OUTCOMES.get(c.outcome, c.outcome) for c in log],
                    "Note": [c.note or "" for c in log],
                    "Recorded by": [c.recorded_by for c in log],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No contact recorded yet.")


def _contact_form(row: FieldworkRow) -> None:
    k = f"contact:{row.interview_id}"
    with st.container(border=True):
        st.markdown(f"**Record a contact with {row.council_name}**")
        left, middle, right = st.columns(3)
        left.date_input(
            "Date of contact", key=f"{k}:when_date", min_value=EARLIEST, max_value=dt.date.today()
        )
        middle.time_input("Time", key=f"{k}:when_time", step=dt.timedelta(minutes=5))
        outcome = right.selectbox(
            "Outcome", list(CONTACT_OUTCOMES), format_func=CONTACT_OUTCOMES.get, key=f"{k}:outcome"
        )
        if outcome == "appointment_made":
            left, middle, _ = st.columns(3)
            left.date_input(
                "Appointment date", value=None, min_value=EARLIEST, key=f"{k}:appointment_date"
            )
            middle.time_input("Appointment time", value=None, key=f"{k}:appointment_time", step=900)
        if outcome == "declined":
            st.text_area("Reason the council gave (required)", key=f"{k}:reason")
        st.text_input("Note", key=f"{k}:note")
        st.button("Record contact", on_click=_record, args=(row.interview_id, k), type="primary")


def _record(interview_id: int, k: str) -> None:
    state = st.session_state
    try:
        with session() as s:
            record_contact(
                s,
                actor=actor(),
                interview_id=interview_id,
                attempted_at=_combine(state, f"{k}:when") or dt.datetime.now(),
                outcome=state[f"{k}:outcome"],
                note=state.get(f"{k}:note"),
                appointment_at=_combine(state, f"{k}:appointment"),
                nonresponse_reason=state.get(f"{k}:reason"),
            )
    except ValueProblem as exc:
        state[FLASH] = ("error", f"Not recorded: {exc}.")
        return
    for field in ("note", "reason", "appointment_date", "appointment_time"):
        state.pop(f"{k}:{field}", None)
    state[FLASH] = ("ok", "Contact recorded.")


def _combine(state, prefix: str) -> dt.datetime | None:  # type: ignore[no-untyped-def]
    """A date and a time input read as one moment; None until both are given."""
    day, time = state.get(f"{prefix}_date"), state.get(f"{prefix}_time")
    return dt.datetime.combine(day, time) if day and time else None


def _reopen(interview_id: int) -> None:
    with session() as s:
        reopen_interview(s, actor=actor(), interview_id=interview_id)
    st.session_state[FLASH] = ("ok", "Reopened: the council is back to not contacted.")


render()
