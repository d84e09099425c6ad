"""Signing in and out through AppTest: the first administrator, the sign-in form and its
refusals, the lockout, sign-out, idle expiry, and the pages each role is offered."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from app_pages.common import LAST_ACTIVE_KEY, TOKEN_KEY
from db.models import Account, AuditEvent, BrowserSession, utcnow
from services.accounts import add_account, disable_account
from services.actor import Actor
from services.sessions import SessionEnded, resume_session
from tests.signing import REPO, app_as, browser_cookies

pytestmark = pytest.mark.sqlite_only

ADMIN = Actor("ada", "admin")
PASSWORD = "correct horse battery"
FIFE = "S12000047"
WRONG = "The username or password is not right."
HOME = {  # the title each role lands on, and every page its navigation offers
    "interviewer": (
        "Fieldwork",
        ["fieldwork", "interview", "corrections", "dashboard", "summaries"],
    ),
    "auditor": ("Dashboard", ["dashboard", "summaries"]),
    "council": ("Our submission: Fife", ["review"]),
    "admin": ("Accounts", ["accounts", "audit_log", "dashboard", "summaries"]),
}
EVERY_PAGE = ["fieldwork", "interview", "corrections", "review", "dashboard", "summaries",
              "accounts", "audit_log"]  # fmt: skip


@pytest.fixture
def app_db(app_db: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The app on the test database, in a browser that carries no cookie."""
    browser_cookies(monkeypatch)
    return app_db


def browser() -> AppTest:
    at = AppTest.from_file(str(REPO / "survey_app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def person(engine: Engine, username: str, role: str, council: str | None = None) -> None:
    """An account with PASSWORD, added by the administrator as in the Accounts page."""
    with Session(engine) as s:
        add_account(
            s, actor=ADMIN, username=username, role=role, password=PASSWORD, council=council
        )


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    field = {t.label: t for t in at.text_input}
    field["Username"].input(username)
    field["Password"].input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    return at


def as_read(markdown: str) -> str:
    """Markdown source as a person reads it: the escapes `literal` adds are not seen."""
    text = re.sub(r"\\(.)", r"\1", markdown)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def errors(at: AppTest) -> list[str]:
    return [as_read(e.value) for e in at.error]


def notices(at: AppTest) -> list[str]:
    return [as_read(i.value) for i in at.info]


def on_sign_in_form(at: AppTest) -> bool:
    return [s.value for s in at.header] == ["Sign in"] and any(
        b.label == "Sign in" for b in at.button
    )


def signed_in_as(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.caption if c.value.startswith("Signed in as")]


def test_empty_database__first_administrator_signs_in_on_accounts(app_db: Engine) -> None:
    at = browser()
    assert [s.value for s in at.header] == ["Create the administrator"]
    field = {t.label: t for t in at.text_input}
    field["Username"].input("Ada")
    field["Your name"].input("Ada <b>Lovelace</b> [x](javascript:alert(1))")
    field["Password (at least 10 characters)"].input(PASSWORD)
    field["Password again"].input(PASSWORD)
    next(b for b in at.button if b.label == "Create the administrator").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Accounts"]
    assert signed_in_as(at) == [  # the name as typed, never as markup
        "Signed in as **Ada &lt;b&gt;Lovelace&lt;/b&gt; \\[x\\]\\(javascript:alert\\(1\\)\\)** "
        "· Administrator"
    ]
    with Session(app_db) as s:
        admin = s.execute(select(Account.username, Account.role, Account.active)).all()
        who = resume_session(s, at.session_state[TOKEN_KEY])
        first = s.scalars(select(AuditEvent.reason).where(AuditEvent.action == "account.add"))
        assert list(first) == ["first administrator"]
    assert [tuple(a) for a in admin] == [("ada", "admin", True)]
    assert who.username == "ada"
    assert list(at.dataframe[0].value["Username"]) == ["ada"]


def test_first_administrator__passwords_that_differ_are_refused(app_db: Engine) -> None:
    at = browser()
    field = {t.label: t for t in at.text_input}
    field["Username"].input("ada")
    field["Password (at least 10 characters)"].input(PASSWORD)
    field["Password again"].input(PASSWORD + "!")
    next(b for b in at.button if b.label == "Create the administrator").click().run()
    assert errors(at) == ["The two passwords are not the same."]
    assert [s.value for s in at.header] == ["Create the administrator"]
    with Session(app_db) as s:
        assert s.scalar(select(Account)) is None


def test_first_administrator__short_password_is_refused_in_words(app_db: Engine) -> None:
    at = browser()
    field = {t.label: t for t in at.text_input}
    field["Username"].input("ada")
    field["Password (at least 10 characters)"].input("short")
    field["Password again"].input("short")
    next(b for b in at.button if b.label == "Create the administrator").click().run()
    assert errors(at) == ["the password must be at least 10 characters"]
    with Session(app_db) as s:
        assert s.scalar(select(Account)) is None


def test_first_administrator__not_offered_once_an_account_exists(app_db: Engine) -> None:
    person(app_db, "ilona", "interviewer")
    at = browser()
    assert on_sign_in_form(at)
    assert not any(b.label == "Create the administrator" for b in at.button)
    assert not any(t.label == "Your name" for t in at.text_input)


@pytest.mark.parametrize("role", list(HOME))
def test_sign_in__lands_on_the_role_home_and_offers_only_its_pages(
    app_db: Engine, role: str
) -> None:
    person(app_db, "sam", role, council="Fife" if role == "council" else None)
    at = sign_in(browser(), " SAM ")  # usernames ignore case and surrounding spaces
    home, offered = HOME[role]
    assert [t.value for t in at.title] == [home]
    role_name = {"admin": "Administrator"}.get(role, role.title())
    assert signed_in_as(at) == [f"Signed in as **sam** · {role_name}"]
    reachable = []
    for page in EVERY_PAGE:
        try:
            at.switch_page(f"app_pages/{page}.py")
        except ValueError:  # not in this role's navigation
            continue
        reachable.append(page)
    assert reachable == sorted(offered, key=EVERY_PAGE.index)
    with Session(app_db) as s:
        assert s.scalar(select(Account.last_sign_in).where(Account.username == "sam"))


def test_a_council_cannot_switch_to_the_interview_page(app_db: Engine) -> None:
    at = app_as("council", council=FIFE)
    at.run()
    assert [t.value for t in at.title] == ["Our submission: Fife"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/interview.py")
    at.run()
    assert [t.value for t in at.title] == ["Our submission: Fife"]


def test_sign_in__wrong_password_or_unknown_user_is_refused_alike(app_db: Engine) -> None:
    person(app_db, "ilona", "interviewer")
    at = sign_in(browser(), "ilona", "not the password")
    assert errors(at) == [WRONG]
    assert on_sign_in_form(at) and not signed_in_as(at)
    at = sign_in(at, "nobody", PASSWORD)
    assert errors(at) == [WRONG]
    assert TOKEN_KEY not in at.session_state


def test_sign_in__fifth_wrong_password_locks_for_15_minutes(app_db: Engine) -> None:
    person(app_db, "ilona", "interviewer")
    at = browser()
    for _ in range(4):
        assert errors(sign_in(at, "ilona", "not the password")) == [WRONG]
    before = utcnow()
    (message,) = errors(sign_in(at, "ilona", "not the password"))
    with Session(app_db) as s:
        until = s.scalar(select(Account.locked_until).where(Account.username == "ilona"))
    assert until is not None
    assert dt.timedelta(minutes=15) <= until - before <= dt.timedelta(minutes=16)
    assert message == (
        f"This account is locked after 5 failed sign-ins; try again after {until:%H:%M} UTC."
    )
    # even the right password is refused while the lock lasts
    assert errors(sign_in(at, "ilona", PASSWORD)) == [message]
    assert on_sign_in_form(at) and not signed_in_as(at)


def test_sign_in__disabled_account_is_refused(app_db: Engine) -> None:
    person(app_db, "ilona", "interviewer")
    with Session(app_db) as s:
        disable_account(s, actor=ADMIN, username="ilona", reason="left the team")
    at = sign_in(browser(), "ilona")
    assert errors(at) == ["This account is disabled; ask an administrator."]
    assert on_sign_in_form(at) and not signed_in_as(at)


def test_disabling_an_account_ends_its_open_session(app_db: Engine) -> None:
    at = app_as("interviewer")
    at.run()
    assert [t.value for t in at.title] == ["Fieldwork"]
    with Session(app_db) as s:
        disable_account(s, actor=ADMIN, username="interviewer")
    at.run()
    assert on_sign_in_form(at)
    assert notices(at) == ["Your account has been disabled; ask an administrator."]


def test_sign_out__returns_to_the_form_and_the_token_stops_working(
    app_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    person(app_db, "ilona", "interviewer")
    at = sign_in(browser(), "ilona")
    token = at.session_state[TOKEN_KEY]
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert not at.exception, at.exception
    assert on_sign_in_form(at) and not signed_in_as(at)
    assert notices(at) == ["You have signed out."]
    with Session(app_db) as s, pytest.raises(SessionEnded):
        resume_session(s, token)
    # a browser still holding the old cookie is not signed in by it
    browser_cookies(monkeypatch, {"survey_session": token})
    assert on_sign_in_form(browser())


def test_a_cookie_with_a_live_token_resumes_the_sign_in(
    app_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counterpart of the test above: what a refresh relies on."""
    person(app_db, "ilona", "interviewer")
    token = sign_in(browser(), "ilona").session_state[TOKEN_KEY]
    browser_cookies(monkeypatch, {"survey_session": token})
    at = browser()
    assert [t.value for t in at.title] == ["Fieldwork"]


def test_idle_for_31_minutes__back_to_the_sign_in_form(app_db: Engine) -> None:
    person(app_db, "ilona", "interviewer")
    at = sign_in(browser(), "ilona")
    token = at.session_state[TOKEN_KEY]
    assert [t.value for t in at.title] == ["Fieldwork"]
    idle_since = time.time() - 31 * 60
    at.session_state[LAST_ACTIVE_KEY] = idle_since
    with Session(app_db) as s:  # the database saw the browser last at the same moment
        s.execute(update(BrowserSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=31)))
        s.commit()
    at.run()
    assert on_sign_in_form(at) and not signed_in_as(at)
    assert notices(at) == [
        "You were signed out after 30 minutes without activity. Everything saved is kept."
    ]
    with Session(app_db) as s, pytest.raises(SessionEnded) as ended:
        resume_session(s, token)  # ended for good: the same token never signs in again
    assert ended.value.code == "session.ended"


def test_active_within_29_minutes__stays_signed_in(app_db: Engine) -> None:
    person(app_db, "ilona", "interviewer")
    at = sign_in(browser(), "ilona")
    at.session_state[LAST_ACTIVE_KEY] = time.time() - 29 * 60
    at.run()
    assert [t.value for t in at.title] == ["Fieldwork"]
    assert re.fullmatch(r"Signed in as \*\*ilona\*\* · Interviewer", signed_in_as(at)[0])


def test_idle_expiry_in_the_browser__is_logged_as_a_sign_out(app_db: Engine) -> None:
    person(app_db, "ilona", "interviewer")
    at = sign_in(browser(), "ilona")
    at.session_state[LAST_ACTIVE_KEY] = time.time() - 31 * 60
    at.run()
    assert on_sign_in_form(at)
    with Session(app_db) as s:
        signouts = s.scalars(select(AuditEvent.reason).where(AuditEvent.action == "signout"))
        assert list(signouts) == ["30 minutes without activity"]
        assert s.scalar(select(BrowserSession.ended_at)) is not None


def test_first_administrator__a_username_that_is_markdown_is_quoted_as_text(
    app_db: Engine,
) -> None:
    """The refusal quotes what was typed; Markdown in it must not become an image or a link
    (an image would make the browser fetch its address)."""
    at = browser()
    field = {t.label: t for t in at.text_input}
    field["Username"].input("![i](http://127.0.0.1:9/t.png)")
    field["Password (at least 10 characters)"].input(PASSWORD)
    field["Password again"].input(PASSWORD)
    next(b for b in at.button if b.label == "Create the administrator").click().run()
    [source] = [e.value for e in at.error]
    assert "![i](" not in source and "\\!\\[i\\]\\(http" in source  # escaped in the source
    assert errors(at) == [
        "'![i](http://127.0.0.1:9/t.png)' is not a valid username: use 2 to 40 letters, "
        "digits, '.', '_' or '-', starting with a letter or digit"
    ]  # and read exactly as typed
