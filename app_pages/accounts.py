"""Accounts: the administrator adds people, resets passwords, disables and re-enables
accounts, and names the auditors who may read verbatim answers."""

from __future__ import annotations

import datetime as dt
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


def _when(moment: dt.datetime | None, otherwise: str) -> str:
    return f"{moment:%d/%m/%Y %H:%M}" if moment is not None else otherwise


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
                # Words, not ticks and blanks: a grid draws a tick and a missing value pale
                # (2.2:1 and 2.7:1), and "Never" says more than an empty cell.
                "Active": ["Yes" if a.active else "No (disabled)" for a in accounts],
                "Locked until (UTC)": [_when(a.locked_until, "Not locked") for a in accounts],
                "Last sign-in (UTC)": [_when(a.last_sign_in, "Never") for a in accounts],
                "Verbatim answers": [a.verbatim for a in accounts],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    # Keyed, so the tab chosen is the server's to keep: choosing an account (a rerun) stays on
    # the tab it was chosen on. Both are drawn, as the page is small.
    add, manage = st.tabs(["Add an account", "Change an account"], key="accounts_tab",
                          on_change="rerun")  # fmt: skip
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
    username = st.selectbox("Account", list(accounts), index=None, placeholder="Choose one",
                            key="account_chosen")  # fmt: skip
    if username is None:
        return
    account = accounts[username]
    reason = st.text_input("Reason (kept in the audit log)", key="account_reason")
    if _confirming(username, reason):
        return
    left, right = st.columns(2)
    with left.form("reset_password", clear_on_submit=True):
        password = st.text_input("New password", type="password")
        again = st.text_input("New password again", type="password")
        if st.form_submit_button("Reset the password (also lifts a lockout)"):
            if password != again:
                st.error("The two passwords are not the same.")
            else:
                _ask(RESET, username, password)
    with right:
        if account.active:
            if st.button("Disable the account", icon=":material/block:"):
                _ask(DISABLE, username)
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


PENDING = "account_pending"  # (what, username, new password): a change waiting to be confirmed
DISABLE, RESET = "disable", "reset"


def _ask(what: str, username: str, password: str = "") -> None:
    st.session_state[PENDING] = (what, username, password)
    st.rerun()


def _confirming(username: str, reason: str) -> bool:
    """A disabling or a password reset asked for: said in full, done only on a second,
    explicit click. True while it waits, so nothing else is offered meanwhile."""
    pending = st.session_state.get(PENDING)
    if pending is None or pending[1] != username:
        st.session_state.pop(PENDING, None)
        return False
    what, _, password = pending
    said = {
        DISABLE: f"Disable {username}? They are signed out at once and cannot sign in until "
                 "an administrator re-enables the account.",
        RESET: f"Set a new password for {username}? Their current password stops working at "
               "once, and any lockout is lifted.",
    }[what]  # fmt: skip
    with st.container(border=True):
        st.warning(said, icon=":material/help:")
        yes, no = st.columns(2)
        yes.button(f"Yes, {'disable' if what == DISABLE else 'set the password'}",
                   type="primary", key="account_confirm", on_click=_confirmed,
                   args=(what, username, password, reason))  # fmt: skip
        no.button("Cancel", key="account_cancel", on_click=st.session_state.pop,
                  args=(PENDING, None))  # fmt: skip
    return True


def _confirmed(what: str, username: str, password: str, reason: str) -> None:
    """The change, made from the confirming button's callback: the next run shows its outcome
    at the top of the page, and the question is gone."""
    st.session_state.pop(PENDING, None)
    if what == DISABLE:
        act(lambda s: disable_account(s, actor=actor(), username=username, reason=reason),
            f"{username} can no longer sign in.", notice=MESSAGE, in_callback=True)  # fmt: skip
    else:
        act(lambda s: reset_password(s, actor=actor(), username=username, password=password,
                                     reason=reason),
            f"New password set for {username}.", notice=MESSAGE, in_callback=True)  # fmt: skip


def _label(role: str) -> str:
    return Role(role).label


render()
