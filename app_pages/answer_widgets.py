"""How an answer reads on screen: choice labels, reserved codes, the council's review, wording.

Shared by the pages that show answers (council review, corrections, summaries) and the
Interview page's keying panel, so an answer reads the same everywhere.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import literal
from instrument.model import RESERVED_LABELS, Variable
from instrument.schedule import Instrument
from instrument.types import question_type
from services.review import ReviewEntry


def shown_value(instrument: Instrument, variable: Variable, value: str | None) -> str:
    """A stored value in words: choice labels, reserved codes, percent shares."""
    if value is None:
        return "(blank)"
    if value in RESERVED_LABELS:
        return RESERVED_LABELS[value]
    kind = question_type(variable)
    return kind.shown(value, lambda code: instrument.choice_label(variable, code))


def review_lines(review: ReviewEntry) -> list[str]:
    """What the council said about this answer, and the interviewer's response, in lines."""
    label = review.state.label
    lines = [f"{label} ({review.reviewed_by}, {review.reviewed_at:%d %b %Y})"]
    if review.comment:
        lines.append(f"Council: {review.comment}")
    if review.reply:
        lines.append(f"Interviewer: {review.reply}")
    return lines


def show_review(review: ReviewEntry) -> None:
    """The council's word on an answer, in a box beside it."""
    lines = review_lines(review)
    box = st.warning if review.waiting else st.info
    box("  \n".join(literal(line) for line in lines), icon=":material/fact_check:")


def wording(variable: Variable, *, for_respondent: bool = False) -> None:
    """The question as the schedule words it. Put to the respondent (a council reviewing its
    submission), a coded question says who chose the category, and the interviewer's help is
    left out."""
    number = f"**{variable.display_number}** " if variable.number else ""
    coded = ""
    if variable.coded:
        coded = (
            " (the interviewer chose the category from what you said)"
            if for_respondent
            else " :gray-badge[coded by interviewer]"
        )
    if variable.lead_in:
        st.markdown(f"*{literal(variable.lead_in)}*")
    st.markdown(f"{number}{literal(variable.text)}{coded}")
    if variable.help and not for_respondent:
        st.caption(literal(variable.help))
