"""Signing a test browser in as a role, the way survey_app.py resumes a session.

Accounts made here have no usable password (sign-in by form is tested in test_signin_page.py);
the session token is what the app checks, as after a real sign-in.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

import pytest
import streamlit.runtime.context
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from app_pages.common import TOKEN_KEY
from db import open_database
from db.councils import council_lookup
from db.engine import database_url
from db.models import Account
from instrument.values import match_key
from services.actor import Actor
from services.sessions import start_session

REPO = Path(__file__).resolve().parent.parent


def account(
    engine: Engine,
    role: str = "interviewer",
    *,
    council: str | None = None,
    username: str | None = None,
    verbatim: bool = False,
) -> Actor:
    """An active account (made once), as the Actor the services will see."""
    username = username or (f"council-{council.lower()}" if council else role)
    with Session(engine) as s:
        row = s.scalar(select(Account).where(Account.username == username))
        if row is None:
            row = Account(
                username=username,
                display_name=f"Test {role}",
                role=role,
                password_hash="no password: signed in by token",
                active=True,
                failed_attempts=0,
                can_read_verbatim=verbatim,
            )
            if council:
                row.council = council_lookup(s)[match_key(council)]
            s.add(row)
            s.commit()
    return Actor(username, role, council, f"Test {role}")  # type: ignore[arg-type]


def sign_in(at: AppTest, engine: Engine, role: str = "interviewer", **kwargs: object) -> Actor:
    """Give this AppTest browser a live session for an account of `role`."""
    who = account(engine, role, **kwargs)  # type: ignore[arg-type]
    with Session(engine) as s:
        at.session_state[TOKEN_KEY] = start_session(s, who)
    return who


def app_as(role: str = "interviewer", *, timeout: float = 30, **kwargs: object) -> AppTest:
    """survey_app.py in a fresh AppTest browser, signed in on DATABASE_URL's database."""
    at = AppTest.from_file(str(REPO / "survey_app.py"), default_timeout=timeout)
    sign_in(at, open_database(database_url()), role, **kwargs)
    return at


def browser_cookies(
    monkeypatch: pytest.MonkeyPatch, cookies: dict[str, str] | None = None
) -> dict[str, str]:
    """The cookies AppTest browsers send, as a dict the test may fill (empty: a browser that
    has never signed in). AppTest alone answers `st.context.cookies` with a mock, which
    reads as a cookie that is always set."""
    jar = {} if cookies is None else cookies
    client = SimpleNamespace(cookies=jar, headers={}, remote_ip=None)
    monkeypatch.setattr(streamlit.runtime.context, "_get_client_context", lambda: client)
    return jar


class Download(NamedTuple):
    file_name: str | None
    data: bytes


def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Download]:
    """What each download button would give the browser, by the button's `proto.url`."""
    files: dict[str, Download] = {}
    add = MediaFileManager.add

    def keep(
        self: MediaFileManager,
        data: bytes | str,
        mimetype: str,
        coordinates: str,
        file_name: str | None = None,
        is_for_static_download: bool = False,
    ) -> str:
        url = add(self, data, mimetype, coordinates, file_name, is_for_static_download)
        if isinstance(data, bytes):  # (a str is a file's path)
            files[url] = Download(file_name, data)
        return url

    monkeypatch.setattr(MediaFileManager, "add", keep)
    return files


def read(element) -> str:  # type: ignore[no-untyped-def]
    """What a person reads in a Markdown element: escapes undone."""
    return html.unescape(re.sub(r"\\(.)", r"\1", element.value))
