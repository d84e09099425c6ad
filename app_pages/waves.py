"""Waves: the administrator starts a round of fieldwork with the schedule it pins and the sample
frame it surveys, sets when fieldwork runs, closes a wave when it is over (nothing in it can
change after that), and loads a new sample frame from a file of codes and names."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages.common import act, actor, session, show_notice, show_refusal
from instrument.errors import SurveyError
from instrument.loader import instrument_text, shipped_instruments
from services.frames import DEFAULT_MEMBER, FrameSummary, load_frame, sample_frames
from services.interviews import WaveSummary, list_waves
from services.retention import set_retention
from services.waves import (
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    close_wave,
    create_wave,
    set_disclosure_threshold,
    set_fieldwork_dates,
)

NOTICE = "waves_notice"
UPLOAD = "A schedule file of your own (YAML)…"
_act = partial(act, notice=NOTICE)


def render() -> None:
    st.title("Waves")
    show_notice(NOTICE)
    with session() as s:
        waves = list_waves(s, actor=actor())
        frames = sample_frames(s, actor=actor())
    st.dataframe(
        pd.DataFrame(
            {
                "Key": [w.key for w in waves],
                "Title": [w.title for w in waves],
                "Surveys": [w.members for w in waves],
                "Schedule": [w.instrument for w in waves],
                "SHA-256": [w.instrument_sha256[:12] for w in waves],
                "Fieldwork": [w.fieldwork_text for w in waves],
                "Withheld below": [w.disclosure_threshold for w in waves],
                "Personal data kept until": [_kept(w) for w in waves],
                "State": [_state(w) for w in waves],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    open_waves = {w.key: w for w in waves if not w.closed}
    # Keyed, so that a save's rerun stays on the tab it was made on.
    create, dates, threshold, retention, close, load = st.tabs(
        ["Create a wave", "Fieldwork dates", "Publication threshold", "Retention",
         "Close a wave", "Load a frame"], key="waves_tab", on_change="rerun",
    )  # fmt: skip
    with create:
        _create(frames)
    with dates:
        _dates_form(open_waves)
    with threshold:
        _threshold_form({w.key: w for w in waves})
    with retention:
        _retention_form({w.key: w for w in waves})
    with close:
        _close(open_waves)
    with load:
        _load_frame(frames)


def _create(frames: dict[str, FrameSummary]) -> None:
    st.caption(
        "The wave keeps the schedule's full text as it is now: later edits to the file do not "
        "change it. Every member of the frame (each council, each partnership, or each "
        "organisation of a frame loaded from a file) gets an interview record."
    )
    choices = [*shipped_instruments(), UPLOAD]
    with st.form("create_wave"):
        left, right = st.columns(2)
        key = left.text_input("Key", placeholder="2026", help="1 to 40 letters, digits, - or _")
        title = right.text_input("Title", placeholder="Commissioning social care 2026")
        frame = st.selectbox(
            "Who is surveyed",
            list(frames),
            format_func=lambda k: f"{frames[k].title} ({frames[k].members} {frames[k].plural})",
        )
        schedule = st.selectbox("Schedule", choices)
        upload = st.file_uploader("Schedule file (when uploading one)", type=["yaml", "yml"])
        submitted = st.form_submit_button("Create the wave", type="primary")
    if not submitted:
        return
    if schedule == UPLOAD:
        if upload is None:
            st.error("Choose the schedule file to upload.")
            return
        try:
            text, name = upload.getvalue().decode("utf-8"), Path(upload.name).stem
        except UnicodeDecodeError:
            st.error("The schedule file is not UTF-8 text; save it as UTF-8 and upload it again.")
            return
    else:
        try:
            text, name = instrument_text(schedule), schedule
        except SurveyError as problem:
            show_refusal(problem)
            return
    _act(
        lambda s: create_wave(
            s,
            actor=actor(),
            key=key.strip(),
            title=title,
            instrument_text=text,
            instrument_name=name,
            frame=frame,
        ),
        f"Wave {key.strip()} created with schedule {name}.",
    )


def _open_wave(waves: dict[str, WaveSummary], widget: str) -> str | None:
    """An open wave chosen on a tab; None (and said so) when every wave is closed."""
    return _chosen_wave(waves, widget, "Every wave is closed.")


def _chosen_wave(waves: dict[str, WaveSummary], widget: str, none: str) -> str | None:
    """A wave chosen on a tab; None, and `none` said, when there is none to choose."""
    if not waves:
        st.info(none)
        return None
    return st.selectbox(
        "Wave", list(waves), key=widget, format_func=lambda k: f"{k} · {waves[k].title}"
    )


def _dates_form(waves: dict[str, WaveSummary]) -> None:
    key = _open_wave(waves, "dates_wave")
    if key is None:
        return
    wave = waves[key]
    with st.form("wave_dates"):
        left, right = st.columns(2)
        start = left.date_input("Fieldwork starts", value=wave.fieldwork_start, format="DD/MM/YYYY")
        end = right.date_input("Fieldwork ends", value=wave.fieldwork_end, format="DD/MM/YYYY")
        submitted = st.form_submit_button("Save the dates")
    if submitted:
        _act(
            lambda s: set_fieldwork_dates(s, actor=actor(), wave_key=key, start=start, end=end),
            f"Fieldwork dates saved for wave {key}.",
        )


def _threshold_form(waves: dict[str, WaveSummary]) -> None:
    """The fewest councils a published figure may describe: a policy on what leaves the
    audit, so it can be set on a closed wave too (its answers do not change)."""
    key = _chosen_wave(waves, "threshold_wave", "No wave yet.")
    if key is None:
        return
    wave = waves[key]
    with st.form("wave_threshold"):
        councils = st.number_input(
            f"Withhold a published figure about fewer {wave.members} than",
            min_value=MIN_THRESHOLD, max_value=MAX_THRESHOLD, step=1,
            value=wave.disclosure_threshold,
            help="It then reads “fewer than N” in the dashboard, the reports and their "
            "downloads, and a filter leaving fewer is refused. The draft view withholds nothing.",
        )  # fmt: skip
        submitted = st.form_submit_button("Save the threshold")
    if submitted:
        _act(
            lambda s: set_disclosure_threshold(s, actor=actor(), wave_key=key,
                                               threshold=int(councils)),
            f"Wave {key}: a published figure about fewer than {int(councils)} {wave.members} "
            "is withheld.",
        )  # fmt: skip


def _kept(wave: WaveSummary) -> str:
    return f"{wave.retain_until:%d %b %Y}" if wave.retain_until else "No date set"


def _retention_form(waves: dict[str, WaveSummary]) -> None:
    """When the wave's personal data is erased: set on a closed wave too, since that is when
    it matters."""
    key = _chosen_wave(waves, "retention_wave", "No wave yet.")
    if key is None:
        return
    wave = waves[key]
    st.caption(  # plain text: a caption's code spans are 3:1 against the page, below 4.5:1
        "After this date, the command survey_cli.py privacy apply-retention --apply erases the "
        "wave's "
        "respondents' names, contact notes, interviewers' notes and verbatim answers, in the "
        "answers, their history, the coded passages and the audit log. Closed answers, counts, "
        "summaries and the audit log's rows remain, and the log still verifies. Without "
        "--apply it lists what it would erase."
    )
    with st.form("wave_retention"):
        day = st.date_input("Keep personal data until", value=wave.retain_until,
                            format="DD/MM/YYYY")  # fmt: skip
        clear = st.checkbox("No date (keep it until a date is set)", value=False)
        submitted = st.form_submit_button("Save the retention date")
    if submitted:
        chosen = None if clear or not isinstance(day, dt.date) else day
        said = f"until {chosen:%d %B %Y}" if chosen else "with no date"
        _act(lambda s: set_retention(s, actor=actor(), wave_key=key, retain_until=chosen),
             f"Wave {key}: personal data kept {said}.")  # fmt: skip


def _close(waves: dict[str, WaveSummary]) -> None:
    key = _open_wave(waves, "close_wave")
    if key is None:
        return
    with st.form("close_wave_form"):
        reason = st.text_input("Why it is closed (kept in the audit log)",
                               placeholder="Fieldwork over, report published")  # fmt: skip
        sure = st.checkbox(f"I understand that nothing in wave {key} can change once it is closed")
        submitted = st.form_submit_button("Close the wave")
    if not submitted:
        return
    if not sure:
        st.error("Tick the box to confirm: a closed wave cannot be reopened here.")
        return
    _act(
        lambda s: close_wave(s, actor=actor(), wave_key=key, reason=reason),
        f"Wave {key} is closed.",
    )


def _load_frame(frames: dict[str, FrameSummary]) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "Key": list(frames),
                "Title": [f.title for f in frames.values()],
                "Members": [f"{f.members} {f.plural}" for f in frames.values()],
                "Origin": [f.origin for f in frames.values()],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "A CSV (or XLSX) file with a first row of column names: `code` (up to 40 characters), "
        "`name`, and optionally `aliases`, the other names files may call a member by, "
        "separated by `;`. Every row is checked before anything is saved; a code or name "
        "another frame's member has already is refused."
    )
    with st.form("load_frame"):
        left, right = st.columns(2)
        key = left.text_input("Key", placeholder="boards", help="1 to 40 letters, digits, - or _")
        title = right.text_input("Title", placeholder="The 14 NHS health boards")
        member = st.text_input(
            "The word for one member",
            value=DEFAULT_MEMBER,
            help="Said on screen: 'council', 'partnership', 'health board'…",
        )
        upload = st.file_uploader("The frame's file (CSV or XLSX)", type=["csv", "xlsx"])
        submitted = st.form_submit_button("Load the frame", type="primary")
    if not submitted:
        return
    if upload is None:
        st.error("Choose the frame's file to upload.")
        return
    data, filename = upload.getvalue(), upload.name
    _act(
        lambda s: load_frame(
            s, actor=actor(), key=key.strip(), title=title, member=member, data=data,
            filename=filename,
        ),
        f"Sample frame {key.strip()} loaded from {filename}.",
    )


def _state(wave: WaveSummary) -> str:
    if wave.closed_at is None:
        return "Open"
    return f"Closed {wave.closed_at:%d/%m/%Y} by {wave.closed_by}: {wave.closed_reason}"


render()
