"""Audit log: every change to answers, statuses, reviews, validation, accounts and
permissions, newest first, and the whole log as CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import actor, literal, session
from services.audit_log import export_csv, recent_events, verify_chain

KINDS = {
    "": "Everything",
    "answer": "Answers",
    "interview": "Interview status and details",
    "fieldwork": "Fieldwork",
    "review": "Council review and validation",
    "wave": "Waves",
    "frame": "Sample frames",
    "theme": "Codebooks of the open answers",
    "coding": "Coding of the open answers",
    "account": "Accounts",
    "permission": "Permissions and refusals",
    "sign": "Sign-in and sign-out",
}
SHOWN = 1000


def render() -> None:
    st.title("Audit log")
    kind = st.selectbox("Show", list(KINDS), format_func=KINDS.__getitem__, key="audit_kind")
    with session() as s:
        events = recent_events(s, actor=actor(), limit=SHOWN, action=kind or None)
        whole = export_csv(s, actor=actor())
        chain = verify_chain(s, actor=actor())
    # literal(): the sentence names a row's action, and Markdown must not read anything into it
    if chain.intact:
        st.success(literal(chain.sentence()), icon=":material/verified:")
    else:
        st.error(literal(chain.sentence()), icon=":material/error:")
    st.caption(
        f"The newest {len(events)} row(s). Rows are append-only: the database refuses to "
        "change, replace, delete or truncate them, and each row's hash covers the one before."
    )
    st.dataframe(
        pd.DataFrame(
            {
                "When (UTC)": [e.at for e in events],
                "Who": [e.username for e in events],
                "Role": [e.role for e in events],
                "What": [e.action for e in events],
                "Target": [e.target for e in events],
                "Old": [e.old_value or "" for e in events],
                "New": [e.new_value or "" for e in events],
                "Reason": [e.reason or "" for e in events],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.download_button(
        "Download the whole log (CSV)",
        data=whole.encode("utf-8-sig"),
        file_name="audit-log.csv",
        mime="text/csv",
        icon=":material/download:",
    )


render()
