"""What every page needs: the engine, the acting person, the wave, and safe display of text."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db import open_database
from db.actor import LOCAL_INTERVIEWER, Actor
from db.engine import database_url
from db.interviews import list_waves
from db.setup import DEFAULT_WAVE

WAVE_KEY = "wave"


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    return open_database(url)


def engine() -> Engine:
    """The process's engine for DATABASE_URL (shared by every session, as an engine should be)."""
    return _engine_for(database_url())


def session() -> Session:
    return Session(engine())


def actor() -> Actor:
    """The person at the keyboard. Until sign-in exists, the local interviewer."""
    return LOCAL_INTERVIEWER


def wave_key() -> str:
    """The wave chosen in the sidebar, kept in the URL so a refresh keeps it."""
    with session() as s:
        waves = list_waves(s, actor=actor())
    keys = [w.key for w in waves]
    titles = {w.key: w.title for w in waves}
    from_url(WAVE_KEY, keys, DEFAULT_WAVE if DEFAULT_WAVE in keys else keys[0])
    chosen = st.sidebar.selectbox(
        "Survey wave", keys, key=WAVE_KEY, format_func=lambda k: f"{k} · {titles[k]}"
    )
    to_url(WAVE_KEY, chosen)
    return chosen


def from_url(key: str, options: list[str], default: str | None) -> None:
    """Seed a widget's state from the URL (so a refresh keeps the choice), else the default.

    Streamlit's own query binding stores the displayed label; ours stores the stable code.
    """
    if st.session_state.get(key) in options:
        return
    wanted = st.query_params.get(key)
    st.session_state[key] = wanted if wanted in options else default


def to_url(key: str, value: str | None) -> None:
    if value is None:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def literal(text: str | None) -> str:
    """Text a person typed, escaped so Markdown never turns it into links, images or HTML."""
    if not text:
        return ""
    out = []
    for ch in text:
        if ch in "\\`*_{}[]()<>#+-.!|~$&":
            out.append(
                "\\" + ch if ch not in "<>&" else {"<": "&lt;", ">": "&gt;", "&": "&amp;"}[ch]
            )
        else:
            out.append(ch)
    return "".join(out)
