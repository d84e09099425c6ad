"""Signed-in browsers: a random token in the browser, only its hash here.

A refresh starts a new Streamlit session; the token lets it resume the sign-in, so an
interviewer who refreshes mid-call is back at the same question, not at a sign-in form.
A session ends on sign-out, after 30 minutes without activity, or when the account is
disabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Account, BrowserSession, utcnow
from instrument.errors import SurveyError
from instrument.vocabulary import Role
from services import audit
from services.accounts import account_actor
from services.actor import Actor

IDLE_LIMIT = dt.timedelta(minutes=30)
SEEN_EVERY = dt.timedelta(seconds=30)  # how stale last_seen may get before it is written

IDLE_MESSAGE = "You were signed out after 30 minutes without activity. Everything saved is kept."
DISABLED_MESSAGE = "Your account has been disabled; ask an administrator."
ENDED_MESSAGE = "You have been signed out."


class SessionEnded(SurveyError):
    """The token no longer signs anyone in; the message says why, for the sign-in page."""

    code = "session.ended"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, actor: Actor, *, now: dt.datetime | None = None) -> str:
    """A new token for a person who has just signed in (the caller checked the password)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        BrowserSession(
            token_hash=_hash(token), username=actor.username, created_at=now, last_seen_at=now
        )
    )
    audit.record(session, actor=actor, action="signin", target=f"account {actor.username}")
    session.commit()
    return token


def resume_session(session: Session, token: str, *, now: dt.datetime | None = None) -> Actor:
    """The person a live token belongs to; SessionEnded if it has ended, idled or been disabled."""
    now = now or utcnow()
    row = session.scalar(select(BrowserSession).where(BrowserSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None:
        session.rollback()
        raise SessionEnded(ENDED_MESSAGE)
    actor = account_actor(session, row.username)
    if actor is None or now - row.last_seen_at > IDLE_LIMIT:
        row.ended_at = now
        audit.record(
            session,
            actor=actor or _former(session, row.username),
            action="signout",
            target=f"account {row.username}",
            reason="account disabled" if actor is None else "30 minutes without activity",
        )
        session.commit()
        if actor is None:
            raise SessionEnded(DISABLED_MESSAGE, code="session.disabled")
        raise SessionEnded(IDLE_MESSAGE, code="session.idle")
    if now - row.last_seen_at > SEEN_EVERY:
        row.last_seen_at = now
        session.commit()
    else:
        session.rollback()
    return actor


def end_session(session: Session, token: str, actor: Actor, *, why: str = "signed out") -> None:
    """Sign out: the token stops working at once."""
    row = session.scalar(select(BrowserSession).where(BrowserSession.token_hash == _hash(token)))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        audit.record(
            session, actor=actor, action="signout", target=f"account {actor.username}", reason=why
        )
    session.commit()


def _former(session: Session, username: str) -> Actor:
    """A disabled account, as the audit log names it."""
    role = session.scalar(select(Account.role).where(Account.username == username))
    return Actor(username, Role(role or Role.INTERVIEWER))
