"""Signing in and out: the first administrator, the sign-in form, the idle timeout.

A browser keeps a random session token in a cookie so that a refresh (a new Streamlit
session) resumes the sign-in; the database keeps only its hash and ends it after 30
minutes without activity, on sign-out, or when the account is disabled.
"""

from __future__ import annotations

import time

import streamlit as st
from sqlalchemy.orm import Session

from app_pages.common import ACTOR_KEY, LAST_ACTIVE_KEY, TOKEN_KEY, literal, session
from services.accounts import (
    AccountProblem,
    SignInRefused,
    account_actor,
    authenticate,
    create_first_admin,
    has_accounts,
)
from services.actor import Actor
from services.sessions import IDLE_LIMIT, IDLE_MESSAGE, SessionEnded, end_session, resume_session
from services.sessions import start_session as start_db_session

COOKIE = "survey_session"
NOTICE_KEY = "sign_in_notice"
ENDED_KEY = "ended_session_token"  # the cookie a new Streamlit session may still carry
COOKIE_SET_KEY = "session_cookie_set"  # the token this browser's cookie already holds

_COOKIE_SCRIPT = """
export default function(component) {
  const token = (component.data || {}).token;
  const secure = window.location.protocol === 'https:' ? '; Secure' : '';
  const base = 'COOKIE=' + (token || '') + '; path=/; SameSite=Strict' + secure;
  document.cookie = token ? base + '; max-age=43200' : base + '; max-age=0';
}
""".replace("COOKIE", COOKIE)

_cookie = st.components.v2.component("survey_session_cookie", js=_COOKIE_SCRIPT)


def signed_in() -> Actor | None:
    """The person at this browser, resuming from the session or the cookie; None to sign in."""
    ended = st.session_state.get(ENDED_KEY)
    token = st.session_state.get(TOKEN_KEY) or st.context.cookies.get(COOKIE)
    if not isinstance(token, str) or not token or token == ended:
        if ended:
            _cookie(data={"token": ""}, key="session_cookie")
        return None
    idle_for = time.time() - st.session_state.get(LAST_ACTIVE_KEY, time.time())
    try:
        with session() as s:
            if idle_for > IDLE_LIMIT.total_seconds():
                idle = st.session_state.get(ACTOR_KEY)
                if idle is not None:
                    end_session(s, token, idle, why="30 minutes without activity")
                raise SessionEnded(IDLE_MESSAGE, code="session.idle")
            who = resume_session(s, token)
    except SessionEnded as why:
        _forget(token, str(why))
        _cookie(data={"token": ""}, key="session_cookie")
        return None
    st.session_state[TOKEN_KEY] = token
    st.session_state[ACTOR_KEY] = who
    st.session_state[LAST_ACTIVE_KEY] = time.time()
    if st.session_state.get(COOKIE_SET_KEY) != token:  # once per sign-in: it costs each run
        _cookie(data={"token": token}, key="session_cookie")
        st.session_state[COOKIE_SET_KEY] = token
    return who


def sign_in_page() -> None:
    """The only page before sign-in: the first administrator's form, or the sign-in form."""
    st.title("Commissioning social care survey")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(literal(notice))
    with session() as s:
        first = not has_accounts(s)
    if first:
        _first_administrator()
    else:
        _sign_in()


def sign_out(who: Actor) -> None:
    """End this browser's session now (the sidebar button's callback)."""
    token = st.session_state.get(TOKEN_KEY)
    if token:
        with session() as s:
            end_session(s, token, who)
        _forget(token, "You have signed out.")


def watch_idle() -> None:
    """Every minute, return an idle browser to the sign-in page, so no one types into a
    session that has already expired."""

    @st.fragment(run_every=60)
    def _check() -> None:
        idle_for = time.time() - st.session_state.get(LAST_ACTIVE_KEY, time.time())
        if idle_for > IDLE_LIMIT.total_seconds():
            st.rerun(scope="app")

    with st.sidebar:
        _check()


def _sign_in() -> None:
    st.header("Sign in")
    with st.form("sign_in", enter_to_submit=True):
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    try:
        with session() as s:
            _begin(s, authenticate(s, username, password).username)
    except SignInRefused as refused:
        st.error(literal(str(refused)))
        return
    st.rerun()


def _first_administrator() -> None:
    st.header("Create the administrator")
    st.write(
        "This database has no accounts yet. Create the administrator, who then adds the "
        "interviewers, auditors and council accounts. This form is offered only once."
    )
    with st.form("first_admin"):
        username = st.text_input("Username", autocomplete="username")
        display_name = st.text_input("Your name")
        password = st.text_input(
            "Password (at least 10 characters)", type="password", autocomplete="new-password"
        )
        again = st.text_input("Password again", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Create the administrator", type="primary")
    if not submitted:
        return
    if password != again:
        st.error("The two passwords are not the same.")
        return
    try:
        with session() as s:
            account = create_first_admin(
                s, username=username, password=password, display_name=display_name
            )
            _begin(s, account.username)
    except AccountProblem as problem:
        st.error(literal(str(problem)))
        return
    st.rerun()


def _begin(s: Session, username: str) -> None:
    """Start this browser's session for an account whose password was just checked."""
    who = account_actor(s, username)
    assert who is not None, "an account that just signed in is active"
    token = start_db_session(s, who)
    st.session_state[TOKEN_KEY] = token
    st.session_state[ACTOR_KEY] = who
    st.session_state[LAST_ACTIVE_KEY] = time.time()


def _forget(token: str, notice: str) -> None:
    """Drop the sign-in from this session; the next run clears the browser's cookie."""
    for key in (TOKEN_KEY, ACTOR_KEY, LAST_ACTIVE_KEY):
        st.session_state.pop(key, None)
    st.session_state[ENDED_KEY] = token
    st.session_state[NOTICE_KEY] = notice
