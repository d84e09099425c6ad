"""Personal data (administrators): every place the survey keeps personal data, what it holds,
why, who can see it and how long it is kept, generated from the schema and each wave's
schedule (`services.privacy`), with the inventory as CSV; and a person's request: everything
held about them, to hand over, and its erasure (`services.subject`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from app_pages.common import act, actor, literal, session, show_notice
from services.privacy import COLUMNS, MAY_BE_PERSONAL, PERSONAL, data_inventory, inventory_csv
from services.subject import SubjectFindings, erase_person, find_person, pseudonym_for

EVERYTHING = "Everything"
NOTICE = "privacy_notice"
FOUND = "privacy_person_found"  # the findings shown, kept across the page's reruns
ERASE, PSEUDONYMISE = "Erase: replace by [erased]", "Pseudonymise: one stand-in everywhere"


def render() -> None:
    st.title("Personal data")
    show_notice(NOTICE)
    with session() as s:
        rows = data_inventory(s, actor=actor())
    named = sum(1 for r in rows if r.kind == PERSONAL)
    st.caption(
        f"{len(rows)} places: {named} hold personal data, {len(rows) - named} may (free text, "
        "which can name people). Every column of the database is classified; each wave's "
        "free-text questions are listed by wave."
    )
    choices = [EVERYTHING, PERSONAL, MAY_BE_PERSONAL]
    kind = st.segmented_control("Show", choices, default=EVERYTHING, key="privacy_kind")
    kind = kind or EVERYTHING
    shown = [r for r in rows if kind == EVERYTHING or r.kind == kind]
    # A static table: each entry is a sentence or two, which a grid's cells would cut short.
    st.table(
        pd.DataFrame(
            [(r.where, r.holds, r.kind, r.purpose, r.seen_by, r.retention) for r in shown],
            columns=list(COLUMNS),
        ).set_index(COLUMNS[0])
    )
    st.download_button(
        "The inventory (CSV)", inventory_csv(rows), file_name="personal_data_inventory.csv",
        mime="text/csv", key="privacy:csv", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    _person()


def _person() -> None:
    """A person's request under UK GDPR: find, hand over, erase or pseudonymise."""
    st.header("A person's data")
    st.caption(
        "Everything held that names a respondent, an interviewer or an account holder (for an "
        "account, its username and name are both searched for), in every place listed above."
    )
    with st.form("privacy_find"):
        person = st.text_input("Name, or an account's username", key="privacy_person")
        if st.form_submit_button("Find", icon=":material/search:"):
            with session() as s:
                st.session_state[FOUND] = find_person(s, actor=actor(), person=person)
    found: SubjectFindings | None = st.session_state.get(FOUND)
    if found is None:
        return
    terms = literal(", ".join(f"“{t}”" for t in found.searched_for))  # as typed, not Markdown
    if not found.found:
        st.info(f"Nothing held names {terms}.")
        return
    st.write(f"{len(found.found)} values name {terms}.")
    st.dataframe(  # shown as text, as typed
        pd.DataFrame([(h.field.where, h.field.holds, h.value) for h in found.found],
                     columns=["Where", "What", "Value"]),
        hide_index=True, width="stretch",
    )  # fmt: skip
    left, right = st.columns(2)
    left.download_button("All of it (JSON)", found.json_text(), file_name="personal_data.json",
                         mime="application/json", key="privacy:json", on_click="ignore",
                         icon=":material/data_object:")  # fmt: skip
    right.download_button("All of it, to read (Markdown)", found.document(),
                          file_name="personal_data.md", mime="text/markdown",
                          key="privacy:document", on_click="ignore",
                          icon=":material/description:")  # fmt: skip
    _erase(found)


def _erase(found: SubjectFindings) -> None:
    with st.form("privacy_erase"):
        how = st.radio("How", [ERASE, PSEUDONYMISE], key="privacy_how",
                       help=f"A stand-in keeps what one person did together: "
                       f"{pseudonym_for(found.person)} for this person.")  # fmt: skip
        reason = st.text_input("Why (kept in the audit log: do not name the person)",
                               key="privacy_reason")  # fmt: skip
        sure = st.checkbox("I have checked that every value listed is this person's",
                           key="privacy_sure")  # fmt: skip
        pressed = st.form_submit_button("Erase them", type="primary", icon=":material/delete:")
    if not pressed:
        return
    if not sure:
        st.error("Check each value is this person's, then tick the box: nothing was changed.")
        return
    done = "pseudonymised" if how == PSEUDONYMISE else "erased"

    def change(s: Session) -> None:
        erase_person(s, actor=actor(), person=found.person, reason=reason,
                     pseudonymise=how == PSEUDONYMISE)  # fmt: skip
        st.session_state.pop(FOUND, None)  # erased: nothing left to show

    act(change, f"{len(found.found)} values naming {found.person} were {done}; the audit log "
        "still verifies.", notice=NOTICE)  # fmt: skip


render()
