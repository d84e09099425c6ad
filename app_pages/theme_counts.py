"""The Dashboard's themes of the open answers: per coded question, how many respondents'
answers carry each theme, over those who answered, as the closed answers are shown (counts
only: no verbatim text reaches this section)."""

from __future__ import annotations

import streamlit as st

from aggregation.charts import tally_chart, tally_table
from aggregation.disclosure import DRAFT_MARK
from aggregation.themes import as_tally, theme_sentences
from app_pages.common import actor, draft_sentence, include_drafts, session
from instrument.progress import question_title
from instrument.schedule import Instrument
from services.codings import theme_tallies
from services.quotes import published_quotes


def show_themes(wave: str, instrument: Instrument, members: str) -> None:
    """Nothing until a question of the wave has themes."""
    drafts = include_drafts()
    with session() as s:
        tallies = theme_tallies(s, actor=actor(), wave_key=wave, include_unvalidated=drafts)
        quotes = published_quotes(s, actor=actor(), wave_key=wave)
    if not tallies:
        return
    st.header("Themes of the open answers")
    for tally in tallies:
        label = question_title(instrument.variable(tally.variable_id))
        st.subheader(label)
        if drafts:
            st.caption(f"**{DRAFT_MARK}**")
        for sentence in theme_sentences(tally):
            draft_sentence(sentence)
        if tally.withheld_below:  # no chart or table of figures there are none of
            st.info(f"Withheld: fewer than {tally.withheld_below} {members} answered, so not "
                    "published.", icon=":material/visibility_off:")  # fmt: skip
            continue
        st.caption(
            f"Base: {tally.base} {members} that answered; {tally.coded} of their answers carry "
            "a theme. An answer may carry several."
        )
        shown = as_tally(tally, label)
        left, right = st.columns(2, gap="medium")
        left.altair_chart(tally_chart(shown), width="stretch")
        right.dataframe(tally_table(shown), hide_index=True, width="content")
        chosen = [q for q in quotes if q.variable_id == tally.variable_id]
        if chosen:
            st.markdown("**Quotes** (approved; from validated submissions; by role only)")
            for quote in chosen:
                st.text(f"{quote.theme}: “{quote.passage}” — {quote.said_by}")
