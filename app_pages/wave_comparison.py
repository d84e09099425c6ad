"""The Dashboard's comparison with another wave: per question both waves asked with the same
codes, a bar per wave (each on its own base) and the report's sentence; and what is not
compared, with why. The figures are the CLI's `report --compare` (aggregation/compare.py)."""

from __future__ import annotations

import streamlit as st

from aggregation.charts import wave_pair_chart
from aggregation.compare import change_sentence, dropped_heading
from aggregation.disclosure import DRAFT_MARK
from app_pages.common import actor, include_drafts, literal, session
from services.interviews import list_waves
from services.results import compare_with, load_report

OTHER_WAVE = "compare_with_wave"


def show_comparison(wave: str) -> None:
    """The "Compare with wave …" section at the foot of the Dashboard."""
    st.header("Compared with another wave")
    with session() as s:
        others = {w.key: w.title for w in list_waves(s, actor=actor()) if w.key != wave}
    if not others:
        st.caption("There is no other wave to compare with.")
        return
    other = st.selectbox(
        "Compare with wave",
        list(others),
        index=None,
        key=OTHER_WAVE,
        format_func=lambda k: f"{k} · {others[k]}",
        placeholder="Choose a wave",
        help="Both waves in the view shown (published: validated councils only; or the "
        "draft), whatever the filters above.",
    )
    if other is None:
        return
    drafts = include_drafts()
    with session() as s:
        now = load_report(s, actor=actor(), wave_key=wave, include_unvalidated=drafts)
        comparison = compare_with(s, actor=actor(), wave_key=wave, other=other, report=now)
    if comparison.frames_differ:
        st.warning(comparison.frames_differ)
    if drafts:
        st.caption(f"**{DRAFT_MARK}**")
    st.caption(
        f"{len(comparison.compared)} questions compared; "
        f"{len(comparison.not_compared)} not compared; "
        f"{len(comparison.dropped)} asked in wave {other} only (listed at the end)."
    )
    for change in comparison.compared:
        st.subheader(change.now.label)
        st.markdown(literal(change_sentence(change, other, comparison.member)))
        chart = wave_pair_chart(change.now, change.then, wave, other)
        st.altair_chart(chart, width="stretch")
    if comparison.not_compared:
        with st.expander(f"Not compared with wave {other} ({len(comparison.not_compared)})"):
            for variable_id, why in comparison.not_compared.items():
                st.text(f"{now.tallies[variable_id].label}: {why}")
    if comparison.dropped:
        with st.expander(f"{dropped_heading(comparison)} ({len(comparison.dropped)})"):
            for label in comparison.dropped.values():
                st.text(label)
