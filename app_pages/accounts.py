"""Accounts: the administrator adds people, resets passwords, disables and re-enables
accounts, and names the auditors who may read verbatim answers."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from app_pages.common import act, actor, session, show_notice
from instrument.vocabulary import Role
from services.accounts import (
    AccountSummary,
    add_account,
    council_choices,
    disable_account,
    enable_account,
    list_accounts,
    reset_password,
    set_verbatim_access,
)

MESSAGE = "accounts_message"
_act = partial(act, notice=MESSAGE)  # a change, its refusal in place, its success kept


def render() -> None:
    st.title("Accounts")
    show_notice(MESSAGE)
    with session() as s:
        accounts = list_accounts(s, actor=actor())
        councils = council_choices(s, actor=actor())
    st.dataframe(
        pd.DataFrame(
            {
                "Username": [a.username for a in accounts],
                "Name": [a.display_name for a in accounts],
                "Role": [a.role.label for a in accounts],
                "Council": [a.council_name or "" for a in accounts],
                "Active": [a.active for a in accounts],
                "Locked until (UTC)": [a.locked_until for a in accounts],
                "Last sign-in (UTC)": [a.last_sign_in for a in accounts],
                "Verbatim": [a.reads_verbatim for a in accounts],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    add, manage = st.tabs(["Add an account", "Change an account"])
    with add:
        _add(dict(councils))
    with manage:
        _manage({a.username: a for a in accounts})


def _add(councils: dict[str, str]) -> None:
    with st.form("add_account", clear_on_submit=False):
        left, right = st.columns(2)
        username = left.text_input("Username", help="2 to 40 letters, digits, '.', '_' or '-'")
        name = right.text_input("Name")
        role = left.selectbox("Role", Role.codes(), format_func=_label, index=1)
        council = right.selectbox(
            "Organisation (council accounts only)",
            list(councils),
            index=None,
            format_func=lambda code: councils[code],
            placeholder="Choose the council or partnership",
            help="The respondent organisation whose submissions the account reads and "
            "validates: a council, a partnership, or a member of a frame loaded on Waves.",
        )
        password = left.text_input("Password (at least 10 characters)", type="password")
        again = right.text_input("Password again", type="password")
        submitted = st.form_submit_button("Add the account", type="primary")
    if not submitted:
        return
    if password != again:
        st.error("The two passwords are not the same.")
        return
    _act(
        lambda s: add_account(
            s,
            actor=actor(),
            username=username,
            role=role,
            password=password,
            display_name=name,
            council=council if role == Role.COUNCIL else None,
        ),
        f"Added {username.strip().lower()}.",
    )


def _manage(accounts: dict[str, AccountSummary]) -> None:
    username = st.selectbox("Account", list(accounts), index=None, placeholder="Choose one")
    if username is None:
        return
    account = accounts[username]
    reason = st.text_input("Reason (kept in the audit log)", key="account_reason")
    left, right = st.columns(2)
    with left.form("reset_password", clear_on_submit=True):
        password = st.text_input("New password", type="password")
        again = st.text_input("New password again", type="password")
        if st.form_submit_button("Reset the password (also lifts a lockout)"):
            if password != again:
                st.error("The two passwords are not the same.")
            else:
                _act(
                    lambda s: reset_password(
                        s, actor=actor(), username=username, password=password, reason=reason
                    ),
                    f"New password set for {username}.",
                )
    with right:
        if account.active:
            if st.button("Disable the account", icon=":material/block:"):
                _act(
                    lambda s: disable_account(s, actor=actor(), username=username, reason=reason),
                    f"{username} can no longer sign in.",
                )
        elif st.button("Re-enable the account", icon=":material/lock_open:"):
            _act(
                lambda s: enable_account(s, actor=actor(), username=username, reason=reason),
                f"{username} can sign in again.",
            )
        if account.role == Role.AUDITOR:
            granted = account.can_read_verbatim
            label = "Withdraw verbatim access" if granted else "Grant verbatim access"
            if st.button(label, icon=":material/visibility:"):
                _act(
                    lambda s: set_verbatim_access(
                        s, actor=actor(), username=username, granted=not granted, reason=reason
                    ),
                    f"{username} {'no longer reads' if granted else 'may now read'} "
                    "verbatim answers and notes.",
                )


def _label(role: str) -> str:
    return Role(role).label


render()
