"""Audit log: every change to answers, statuses, reviews, validation, accounts and
permissions, newest first, in words; found by person, role, council, action, dates and text,
a page at a time; any row read in full; the view or the whole log as CSV."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from aggregation.wording import counted
from app_pages.common import actor, literal, made_on_click, session
from services.audit_log import (
    EVENTS,
    KINDS,
    AuditEntry,
    AuditFilter,
    export_csv,
    find_events,
    log_choices,
    verify_chain,
)

PAGE = "audit_page"
ANYONE = ""


def render() -> None:
    st.title("Audit log")
    with session() as s:
        chain = verify_chain(s, actor=actor())
        choices = log_choices(s, actor=actor())
    # literal(): the sentence names a row's action, and Markdown must not read anything into it
    if chain.intact:
        st.success(literal(chain.sentence()), icon=":material/verified:")
    else:
        st.error(literal(chain.sentence()), icon=":material/error:")
    where = _filters(choices.people, choices.roles, choices.councils)
    with session() as s:
        found = find_events(s, actor=actor(), where=where, page=st.session_state.get(PAGE, 1))
    st.caption(
        f"{counted(found.total, 'row')} found, newest first; page {found.page} of {found.pages}. "
        "Rows are append-only: the database refuses to change, replace, delete or truncate them, "
        "and each row's hash covers the one before."
    )
    picked = st.dataframe(
        pd.DataFrame({
            "When (UTC)": [e.at for e in found.entries],
            "Who": [e.username for e in found.entries],
            "Role": [e.role for e in found.entries],
            "What": [e.what for e in found.entries],
            "Target": [e.target for e in found.entries],
            "Old": [e.old_value or "" for e in found.entries],
            "New": [e.new_value or "" for e in found.entries],
            "Reason": [e.reason or "" for e in found.entries],
        }),
        hide_index=True, width="stretch", key="audit_rows", on_select="rerun",
        selection_mode="single-row",
    )  # fmt: skip
    _pager(found.page, found.pages)
    rows = picked.selection.rows if picked is not None else []
    if rows and rows[0] < len(found.entries):
        _in_full(found.entries[rows[0]])
    else:
        st.caption("Choose a row (the box at its left) to read it in full.")
    _downloads(where)


def _filters(
    people: list[str], roles: list[str], councils: list[tuple[str, str]]
) -> AuditFilter:
    """The filters, each kept across reruns; changing any goes back to the first page."""
    with st.container(border=True):
        first, second, third = st.columns(3)
        kind = first.selectbox("Kind of change", ["", *KINDS], key="audit_kind",
                               format_func=lambda k: KINDS.get(k, "Everything"),
                               on_change=_first_page)  # fmt: skip
        actions = [a for a in EVENTS if not kind or a.startswith(kind)]
        what = second.selectbox("Action", ["", *actions], key="audit_action",
                                format_func=lambda a: EVENTS.get(a, "Any"),
                                on_change=_first_page)  # fmt: skip
        person = third.selectbox("Person", [ANYONE, *people], key="audit_person",
                                 format_func=lambda p: p or "Anyone",
                                 on_change=_first_page)  # fmt: skip
        fourth, fifth, sixth = st.columns(3)
        role = fourth.selectbox("Role", ["", *roles], key="audit_role",
                                format_func=lambda r: r or "Any role",
                                on_change=_first_page)  # fmt: skip
        names = dict(councils)
        council = fifth.selectbox("Council", ["", *names], key="audit_council",
                                  format_func=lambda c: names.get(c, "Any council"),
                                  on_change=_first_page)  # fmt: skip
        days = sixth.date_input("Between (UTC days)", value=[], key="audit_days",
                                format="DD/MM/YYYY", on_change=_first_page)  # fmt: skip
        text = st.text_input("Containing (in the target, old and new values or reason)",
                             key="audit_text", on_change=_first_page)  # fmt: skip
    since, until = _days(days)
    return AuditFilter(person=person, role=role, council=council, what=what or kind,
                       since=since, until=until, text=text.strip())  # fmt: skip


def _days(chosen: object) -> tuple[dt.date | None, dt.date | None]:
    """A date range as the widget gives it: nothing, one day (so far), or both ends."""
    if isinstance(chosen, dt.date):
        return chosen, chosen
    days = [d for d in chosen if isinstance(d, dt.date)] if isinstance(chosen, tuple) else []
    if not days:
        return None, None
    return days[0], days[-1]


def _first_page() -> None:
    st.session_state[PAGE] = 1


def _pager(page: int, pages: int) -> None:
    if pages < 2:
        return
    back, where, on = st.columns([1, 2, 1])
    back.button("Newer", icon=":material/chevron_left:", disabled=page <= 1, key="audit_newer",
                on_click=_turn, args=(page - 1,), width="stretch")  # fmt: skip
    where.caption(f"Page {page} of {pages}")
    on.button("Older", icon=":material/chevron_right:", disabled=page >= pages,
              key="audit_older", on_click=_turn, args=(page + 1,), width="stretch")  # fmt: skip


def _turn(page: int) -> None:
    st.session_state[PAGE] = page


def _in_full(entry: AuditEntry) -> None:
    """One row with nothing cut short; what people typed is shown as text."""
    with st.container(border=True):
        st.header(f"Row {entry.id}: {entry.what}")  # under the page's h1
        st.text(f"When: {entry.at:%d/%m/%Y %H:%M:%S} UTC · who: {entry.username} "
                f"({entry.role}) · action code: {entry.action}")  # fmt: skip
        for label, value in (("Target", entry.target), ("Old", entry.old_value),
                             ("New", entry.new_value), ("Reason", entry.reason)):  # fmt: skip
            st.caption(label)
            st.text(value if value else "—")


def _downloads(where: AuditFilter) -> None:
    who = actor()
    shown = made_on_click(lambda s: export_csv(s, actor=who, where=where), encoding="utf-8-sig")
    whole = made_on_click(lambda s: export_csv(s, actor=who), encoding="utf-8-sig")

    left, right = st.columns(2)
    left.download_button("Download these rows (CSV)", shown, file_name="audit-log-view.csv",
                         mime="text/csv", icon=":material/download:", on_click="ignore",
                         key="audit_view_csv", width="stretch")  # fmt: skip
    right.download_button("Download the whole log (CSV)", whole, file_name="audit-log.csv",
                          mime="text/csv", icon=":material/download:", on_click="ignore",
                          key="audit_whole_csv", width="stretch")  # fmt: skip


render()
