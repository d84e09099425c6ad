"""Council summaries: councils one by one, as auditors read them: the interviewer's summary
and the coded answers; verbatim text only for those entitled to it; validated councils
only, unless the draft view is switched on in the sidebar."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from aggregation.wording import agree, capitalise
from app_pages.answer_widgets import shown_value
from app_pages.common import actor, chosen_wave, include_drafts, literal, session
from flatfile.table import write_table
from instrument.progress import question_name
from instrument.schedule import Instrument
from services.interviews import wave_instrument
from services.summaries import CouncilSummary, council_summaries

CHOSEN = "summary_council"


def render() -> None:
    wave = chosen_wave()
    key, member, members = wave.key, wave.member, wave.members
    st.title(f"{capitalise(member)} summaries")
    drafts = include_drafts()
    with session() as s:
        instrument = wave_instrument(s, actor=actor(), wave_key=key)
        rows = council_summaries(s, actor=actor(), wave_key=key, include_unvalidated=drafts)
    n = len(rows)
    scope = (agree(n, "completed interview", "completed interviews") if drafts else
             f"{agree(n, member, members)} that {agree(n, 'has', 'have')} validated "
             f"{agree(n, 'its', 'their')} submission")  # fmt: skip
    st.caption(f"{n} {scope}.")
    if not rows:
        st.info(
            f"No {member} has validated its submission yet. {capitalise(members)} appear here "
            "once they have; switch on the draft view in the sidebar to read unvalidated ones."
        )
        return
    roles = {c.code: c.label for c in instrument.choices("respondent_role")}
    table = overview(rows, roles).rename(columns={"Council": capitalise(member)})
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(
        f"Download these {members}' coded answers (CSV)",
        data=per_council_csv(instrument, rows),
        file_name=f"{member.replace(' ', '-')}-answers-{key}{'-DRAFT' if drafts else ''}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    by_code = {r.council_code: r for r in rows}
    code = st.selectbox(
        f"Read one {member}",
        list(by_code),
        key=CHOSEN,
        format_func=lambda c: by_code[c].council_name,
    )
    if code:
        detail(instrument, by_code[code])


def overview(rows: list[CouncilSummary], roles: dict[str, str]) -> pd.DataFrame:
    # Dates as text, and no date blank: the table draws a missing value as a pale "None"
    # (2.7:1 on white, short of WCAG's 4.5:1); the review column says what is not validated.
    return pd.DataFrame(
        {
            "Council": [r.council_name for r in rows],
            "Council review": [r.review.label for r in rows],
            "Validated": [f"{r.validated_at:%Y-%m-%d}" if r.validated_at else "" for r in rows],
            "Respondent": [roles.get(r.respondent_role or "", "") for r in rows],
            "Interview date": [
                f"{r.interview_date:%Y-%m-%d}" if r.interview_date else "" for r in rows
            ],
            "Summary": [r.summary or "" for r in rows],
        }
    )


def detail(instrument: Instrument, row: CouncilSummary) -> None:
    st.header(row.council_name, anchor=False)
    st.caption(row.review.label)
    # h3 under the council's h2, so a reader's list of headings leads to each Part's table
    st.subheader("Interviewer's summary", anchor=False)
    st.text(row.summary or "(no summary written yet)")
    if row.verbatim_withheld:
        st.caption(
            "Verbatim answers and interviewers' notes are not shown to auditors unless an "
            "administrator grants it."
        )
    for part in instrument.parts:
        answered = [v for v in part.variables if v.id in row.answers]
        if not answered:
            continue
        st.subheader(f"Part {part.id}: {literal(part.title)}", anchor=False)
        st.dataframe(
            pd.DataFrame(
                {
                    "Question": [question_name(v) for v in answered],
                    "Answer": [shown_value(instrument, v, row.answers[v.id]) for v in answered],
                }
            ),
            hide_index=True,
            width="stretch",
        )


def per_council_csv(instrument: Instrument, rows: list[CouncilSummary]) -> bytes:
    """One row per council, coded answers as stored, written as the flat-file export writes
    (formula-like cells kept as text)."""
    variables = [v for v in instrument.questions if any(v.id in r.answers for r in rows)]
    header = ["council_code", "council_name", "council_review", "summary"]
    records = [
        [r.council_code, r.council_name, r.review.label, r.summary or ""]
        + [r.answers.get(v.id) or "" for v in variables]
        for r in rows
    ]
    return write_table(header + [v.id for v in variables], records, "csv")


render()
