"""Signing a test browser in as a role, the way survey_app.py resumes a session.

Accounts made here have no usable password (sign-in by form is tested in test_signin.py);
the session token is what the app checks, as after a real sign-in.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from app_pages.common import TOKEN_KEY
from db import open_database
from db.actor import Actor
from db.councils import council_lookup, match_key
from db.engine import database_url
from db.models import Account
from db.sessions import start_session

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
