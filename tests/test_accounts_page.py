"""The administrator's Accounts page through AppTest: adding people through the form,
refusals in words, and disabling, re-enabling, resetting and granting verbatim access,
each with its audit row."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import Account, AuditEvent
from services.accounts import SignInRefused, add_account, authenticate
from services.actor import Actor
from tests.signing import app_as, read

pytestmark = pytest.mark.sqlite_only

PASSWORD = "correct horse battery"
ADMIN = Actor("admin", "admin")


@pytest.fixture
def audrey(app_db: Engine) -> Engine:
    """An auditor account, without verbatim access."""
    with Session(app_db) as s:
        add_account(
            s, actor=ADMIN, username="audrey", role="auditor", password=PASSWORD,
            display_name="Audrey Auditor",
        )  # fmt: skip
    return app_db


def open_accounts() -> AppTest:
    at = app_as("admin")
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Accounts"]
    return at


def fill_add_form(
    at: AppTest,
    username: str,
    role: str,
    password: str = PASSWORD,
    again: str | None = None,
    council: str | None = None,
) -> AppTest:
    (form,) = [f for f in at.get("form") if f.proto.form.form_id == "add_account"]
    field = {t.label: t for t in form.text_input}
    field["Username"].input(username)
    field["Name"].input(username.title())
    field["Password (at least 10 characters)"].input(password)
    field["Password again"].input(password if again is None else again)
    choose = {s.label: s for s in form.selectbox}
    choose["Role"].select(role)
    if council:
        choose["Organisation (council accounts only)"].select(council)
    next(b for b in form.button if b.label == "Add the account").click().run()
    assert not at.exception, at.exception
    return at


def table(at: AppTest) -> dict[str, dict[str, object]]:
    return at.dataframe[0].value.set_index("Username").to_dict("index")  # type: ignore[no-any-return]


def audit_rows(engine: Engine, prefix: str) -> list[tuple[str, str, str, str | None]]:
    with Session(engine) as s:
        rows = s.execute(
            select(AuditEvent.username, AuditEvent.action, AuditEvent.target, AuditEvent.reason)
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def choose_account(at: AppTest, username: str) -> AppTest:
    (account,) = [s for s in at.selectbox if s.label == "Account"]
    account.select(username).run()
    assert not at.exception, at.exception
    return at


def press(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def successes(at: AppTest) -> list[str]:
    return [read(s) for s in at.success]


def errors(at: AppTest) -> list[str]:
    return [read(e) for e in at.error]


def test_adding_an_account_through_the_form(app_db: Engine) -> None:
    at = fill_add_form(open_accounts(), "Ilona", "interviewer")
    assert successes(at) == ["Added ilona."]
    assert table(at)["ilona"] == {
        "Name": "Ilona", "Role": "Interviewer", "Council": "", "Active": "Yes",
        "Locked until (UTC)": "Not locked", "Last sign-in (UTC)": "Never",
        "Verbatim answers": "By role",
    }  # fmt: skip
    at = fill_add_form(at, "fife", "council", council="S12000047")
    assert successes(at) == ["Added fife."]
    assert table(at)["fife"]["Council"] == "Fife"
    assert table(at)["fife"]["Role"] == "Council"
    assert audit_rows(app_db, "account.add") == [
        ("admin", "account.add", "account ilona", None),
        ("admin", "account.add", "account fife", None),
    ]
    with Session(app_db) as s:  # the password typed in the form is the one that signs in
        assert authenticate(s, "ilona", PASSWORD).role == "interviewer"


@pytest.mark.parametrize(
    ("username", "password", "again", "message"),
    [
        ("admin", PASSWORD, None, "there is already an account named admin"),
        ("ilona", "too short", None, "the password must be at least 10 characters"),
        ("ilona", PASSWORD, PASSWORD + "!", "The two passwords are not the same."),
        (
            "Ilona Grant",
            PASSWORD,
            None,
            "'Ilona Grant' is not a valid username: use 2 to 40 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit",
        ),
    ],
    ids=["duplicate", "short-password", "passwords-differ", "bad-username"],
)
def test_adding_an_account__refusals_are_in_words_and_add_nothing(
    app_db: Engine, username: str, password: str, again: str | None, message: str
) -> None:
    at = fill_add_form(open_accounts(), username, "interviewer", password, again)
    assert errors(at) == [message]
    assert not at.success
    assert list(table(at)) == ["admin"]
    with Session(app_db) as s:
        assert list(s.scalars(select(Account.username))) == ["admin"]
    assert audit_rows(app_db, "account.add") == []


def test_a_council_account_needs_its_council(app_db: Engine) -> None:
    at = fill_add_form(open_accounts(), "fife", "council")
    assert errors(at) == ["a council account needs its council (--council CODE)"]
    assert list(table(at)) == ["admin"]


def test_disable_re_enable_and_verbatim_grant_write_audit_rows(audrey: Engine) -> None:
    at = choose_account(open_accounts(), "audrey")
    at.text_input(key="account_reason").input("on leave").run()
    at = press(at, "Disable the account")
    assert [read(w) for w in at.warning] == [
        "Disable audrey? They are signed out at once and cannot sign in until an administrator "
        "re-enables the account."
    ]
    assert table(at)["audrey"]["Active"] == "Yes"  # asked, not done
    at = press(at, "Cancel")
    assert not at.warning and table(at)["audrey"]["Active"] == "Yes"
    at = press(press(at, "Disable the account"), "Yes, disable")
    assert successes(at) == ["audrey can no longer sign in."]
    assert table(at)["audrey"]["Active"] == "No (disabled)"
    with Session(audrey) as s, pytest.raises(SignInRefused) as refused:
        authenticate(s, "audrey", PASSWORD)
    assert refused.value.code == "signin.disabled"

    at = press(at, "Re-enable the account")
    assert successes(at) == ["audrey can sign in again."]
    assert table(at)["audrey"]["Active"] == "Yes"

    assert table(at)["audrey"]["Verbatim answers"] == "Not granted"
    at = press(at, "Grant verbatim access")
    assert successes(at) == ["audrey may now read verbatim answers and notes."]
    assert table(at)["audrey"]["Verbatim answers"] == "Granted"
    at = press(at, "Withdraw verbatim access")
    assert successes(at) == ["audrey no longer reads verbatim answers and notes."]
    assert table(at)["audrey"]["Verbatim answers"] == "Not granted"
    assert table(at)["admin"]["Verbatim answers"] == "By role"

    assert audit_rows(audrey, "account.disable") == [
        ("admin", "account.disable", "account audrey", "on leave")
    ]
    assert [r[1] for r in audit_rows(audrey, "account.enable")] == ["account.enable"]
    with Session(audrey) as s:
        verbatim = s.execute(
            select(AuditEvent.old_value, AuditEvent.new_value)
            .where(AuditEvent.action == "permission.verbatim")
            .order_by(AuditEvent.id)
        ).all()
        granted = s.scalar(select(Account.can_read_verbatim).where(Account.username == "audrey"))
    assert [tuple(v) for v in verbatim] == [
        ("coded answers and summaries only", "may read verbatim"),
        ("may read verbatim", "coded answers and summaries only"),
    ]
    assert granted is False


def test_reset_password__the_new_one_signs_in(audrey: Engine) -> None:
    at = choose_account(open_accounts(), "audrey")
    (form,) = [f for f in at.get("form") if f.proto.form.form_id == "reset_password"]
    new = "a quite different phrase"
    field = {t.label: t for t in form.text_input}
    field["New password"].input(new)
    field["New password again"].input(new)
    at = press(at, "Reset the password (also lifts a lockout)")
    assert [read(w) for w in at.warning] == [
        "Set a new password for audrey? Their current password stops working at once, and any "
        "lockout is lifted."
    ]
    with Session(audrey) as s:
        assert authenticate(s, "audrey", PASSWORD).username == "audrey"  # not yet
    at = press(at, "Yes, set the password")
    assert successes(at) == ["New password set for audrey."]
    with Session(audrey) as s:
        assert authenticate(s, "audrey", new).username == "audrey"
        with pytest.raises(SignInRefused):
            authenticate(s, "audrey", PASSWORD)
    assert [r[1:3] for r in audit_rows(audrey, "account.password")] == [
        ("account.password_reset", "account audrey")
    ]


def test_the_last_administrator_cannot_be_disabled(app_db: Engine) -> None:
    at = press(choose_account(open_accounts(), "admin"), "Disable the account")
    at = press(at, "Yes, disable")
    assert errors(at) == ["admin is the last active administrator and cannot be disabled"]
    assert not at.warning  # the question is gone with the answer
    assert table(at)["admin"]["Active"] == "Yes"
    assert audit_rows(app_db, "account.disable") == []


@pytest.mark.parametrize("role", ["interviewer", "auditor", "council"])
def test_only_an_administrator_reaches_the_accounts_page(app_db: Engine, role: str) -> None:
    at = app_as(role, council="S12000047" if role == "council" else None)
    at.run()
    assert not at.exception, at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/accounts.py")
