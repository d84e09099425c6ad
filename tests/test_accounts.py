"""Accounts and the audit log: argon2id hashes, sign-in, lockout, first admin, append-only audit,
and the `user` commands."""

from __future__ import annotations

import datetime as dt
import getpass
import io

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

import db
import survey_cli
from db.models import Account, AuditEvent
from services.accounts import (
    DISABLED,
    WRONG_CREDENTIALS,
    AccountProblem,
    AccountSummary,
    SignInRefused,
    add_account,
    authenticate,
    create_first_admin,
    disable_account,
    has_accounts,
    list_accounts,
    reset_password,
)
from services.actor import Actor
from services.audit import record
from services.audit_log import export_csv
from services.interviews import NotFound

ADMIN = Actor("ada", "admin")
PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 3, 2, 9, 0)


def add(
    session: Session, username: str = "ilona", role: str = "interviewer", **kw: str
) -> AccountSummary:
    return add_account(session, actor=ADMIN, username=username, role=role, password=PASSWORD, **kw)


def audit_rows(session: Session) -> list[tuple[str, str, str, str | None, str | None]]:
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.username, e.action, e.target, e.old_value, e.new_value) for e in events]


def test_password_is_stored_only_as_an_argon2id_hash(session: Session) -> None:
    add(session)
    stored = session.scalar(select(Account.password_hash).where(Account.username == "ilona"))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert not hasattr(list_accounts(session, actor=ADMIN)[0], "password_hash")  # never handed out
    assert all(PASSWORD not in str(cell) for row in audit_rows(session) for cell in row)


def test_sign_in__right_password__resets_failures_and_records_the_time(session: Session) -> None:
    add(session, "Ilona", display_name="Ilona Brown")
    with pytest.raises(SignInRefused):
        authenticate(session, "ilona", "wrong password", now=T0)
    account = authenticate(session, " ILONA ", PASSWORD, now=T0)
    assert (account.username, account.display_name, account.role) == (
        "ilona",
        "Ilona Brown",
        "interviewer",
    )
    assert failed_attempts(session, "ilona") == 0
    assert account.last_sign_in == T0


def failed_attempts(session: Session, username: str) -> int:
    """The stored count of failed sign-ins (services never hand the account row out)."""
    return session.scalar(select(Account.failed_attempts).where(Account.username == username))


def test_sign_in__wrong_password_and_unknown_user__get_the_same_message(session: Session) -> None:
    add(session)
    with pytest.raises(SignInRefused) as wrong:
        authenticate(session, "ilona", "not the password")
    with pytest.raises(SignInRefused) as unknown:
        authenticate(session, "nobody", "not the password")
    assert str(wrong.value) == str(unknown.value) == WRONG_CREDENTIALS


def test_sign_in__five_failures__lock_the_account_for_15_minutes(session: Session) -> None:
    add(session)
    for attempt in range(4):
        with pytest.raises(SignInRefused) as refused:
            authenticate(session, "ilona", "wrong password", now=T0 + dt.timedelta(seconds=attempt))
        assert refused.value.code == "signin.refused"
    locked = "This account is locked after 5 failed sign-ins; try again after 09:15 UTC."
    with pytest.raises(SignInRefused) as fifth:
        authenticate(session, "ilona", "wrong password", now=T0)
    assert str(fifth.value) == locked
    assert fifth.value.code == "signin.locked"
    with pytest.raises(SignInRefused) as right_password_while_locked:
        authenticate(session, "ilona", PASSWORD, now=T0 + dt.timedelta(minutes=14, seconds=59))
    assert str(right_password_while_locked.value) == locked
    assert [s.locked_until for s in list_accounts(session, actor=ADMIN, now=T0)] == [
        T0 + dt.timedelta(minutes=15)
    ]
    account = authenticate(session, "ilona", PASSWORD, now=T0 + dt.timedelta(minutes=15))
    assert account.locked_until is None and failed_attempts(session, "ilona") == 0
    actions = [row[1] for row in audit_rows(session)]
    assert actions == ["account.add"] + ["signin.failed"] * 5 + ["signin.locked", "signin.failed"]


def test_sign_in__after_the_lock_expires__counts_failures_from_zero(session: Session) -> None:
    add(session)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            authenticate(session, "ilona", "wrong password", now=T0)
    with pytest.raises(SignInRefused) as after:
        authenticate(session, "ilona", "wrong password", now=T0 + dt.timedelta(minutes=16))
    assert str(after.value) == WRONG_CREDENTIALS


def test_sign_in__disabled_account__is_refused(session: Session) -> None:
    add(session, "ada", "admin")
    add(session)
    disable_account(session, actor=ADMIN, username="ilona", reason="left the team")
    with pytest.raises(SignInRefused) as refused:
        authenticate(session, "ilona", PASSWORD)
    assert str(refused.value) == DISABLED
    with pytest.raises(SignInRefused) as wrong:
        authenticate(session, "ilona", "wrong password")
    assert str(wrong.value) == WRONG_CREDENTIALS


def test_reset_password__lifts_the_lock_and_the_old_password_stops_working(
    session: Session,
) -> None:
    add(session)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            authenticate(session, "ilona", "wrong password")
    reset_password(session, actor=ADMIN, username="ilona", password="a brand new password")
    with pytest.raises(SignInRefused):
        authenticate(session, "ilona", PASSWORD)
    assert authenticate(session, "ilona", "a brand new password").username == "ilona"


@pytest.mark.parametrize(
    ("role", "council", "problem"),
    [
        ("council", None, "a council account needs its council (--council CODE)"),
        ("interviewer", "S12000033", "only council accounts belong to a council"),
        ("council", "Atlantis", "there is no council 'Atlantis'"),
        ("superuser", None, "'superuser' is not a role"),
    ],
)
def test_add_account__role_and_council_must_agree(
    session: Session, role: str, council: str | None, problem: str
) -> None:
    with pytest.raises(AccountProblem, match=problem.replace("(", r"\(").replace(")", r"\)")):
        add(session, "someone", role, council=council)
    assert not has_accounts(session)


def test_add_account__council_by_code_or_name(session: Session) -> None:
    assert add(session, "fife", "council", council="S12000047").council_name == "Fife"
    assert add(session, "glasgow", "council", council="Glasgow City").council_code == "S12000049"


@pytest.mark.parametrize(
    ("username", "password", "problem"),
    [
        ("ilona", "too short", "at least 10 characters"),
        ("ilona", " " * 12, "only spaces"),
        ("x", PASSWORD, "not a valid username"),
        ("bad name", PASSWORD, "not a valid username"),
    ],
)
def test_add_account__refuses_weak_passwords_and_odd_usernames(
    session: Session, username: str, password: str, problem: str
) -> None:
    with pytest.raises(AccountProblem, match=problem):
        add_account(session, actor=ADMIN, username=username, role="auditor", password=password)


def test_add_account__duplicate_username_is_refused(session: Session) -> None:
    add(session)
    with pytest.raises(AccountProblem, match="already an account named ilona"):
        add(session, "ILONA", "auditor")


def test_disable__last_active_admin_cannot_be_disabled(session: Session) -> None:
    add(session, "ada", "admin")
    with pytest.raises(AccountProblem, match="last active administrator"):
        disable_account(session, actor=ADMIN, username="ada")
    with pytest.raises(NotFound) as missing:
        disable_account(session, actor=ADMIN, username="nobody")
    assert missing.value.code == "account.not_found"


def test_first_admin__only_when_there_are_no_accounts(session: Session) -> None:
    assert not has_accounts(session)
    admin = create_first_admin(session, username="ada", password=PASSWORD, display_name="Ada")
    assert admin.role == "admin" and has_accounts(session)
    with pytest.raises(AccountProblem, match="accounts already exist"):
        create_first_admin(session, username="mallory", password=PASSWORD)
    assert [a.username for a in list_accounts(session, actor=ADMIN)] == ["ada"]
    assert audit_rows(session) == [
        ("ada", "account.add", "account ada", None, "admin, 'Ada', active")
    ]


def test_every_account_change_writes_an_audit_row(session: Session) -> None:
    add(session, "ada", "admin")
    add(session, "aberdeen", "council", council="S12000033", display_name="A. Council")
    reset_password(session, actor=ADMIN, username="aberdeen", password="another password")
    disable_account(session, actor=ADMIN, username="aberdeen", reason="left")
    assert audit_rows(session) == [
        ("ada", "account.add", "account ada", None, "admin, 'ada', active"),
        (
            "ada",
            "account.add",
            "account aberdeen",
            None,
            "council of S12000033 Aberdeen City, 'A. Council', active",
        ),
        ("ada", "account.password_reset", "account aberdeen", None, None),
        ("ada", "account.disable", "account aberdeen", "active", "disabled"),
    ]
    csv_text = export_csv(session, actor=ADMIN)
    assert csv_text.splitlines()[0] == (
        "id,at_utc,username,role,action,target,old_value,new_value,reason,what"
    )
    assert csv_text.splitlines()[4].endswith(
        ",ada,admin,account.disable,account aberdeen,active,disabled,left,Account disabled"
    )


def test_audit_export__formula_cells_are_kept_as_text(session: Session) -> None:
    record(session, actor=ADMIN, action="note", target="x", reason="=HYPERLINK(1)")
    session.commit()
    assert export_csv(session, actor=ADMIN).splitlines()[1].endswith(",'=HYPERLINK(1),note")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET reason = 'rewritten'",
        "DELETE FROM audit_event",
    ],
)
def test_audit_event__database_refuses_update_and_delete(engine: Engine, statement: str) -> None:
    with Session(engine) as session:
        record(session, actor=ADMIN, action="account.add", target="account x", reason="original")
        session.commit()
    with engine.connect() as connection, pytest.raises(Exception, match="append-only"):
        connection.execute(text(statement))
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
        assert session.scalar(select(AuditEvent.reason)) == "original"


# --- the `user` commands --------------------------------------------------------------------


def run(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return survey_cli.main(argv)


def test_cli_user_add_list_reset_disable_enable(cli_db: str, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    add_admin = ["user", "add", "ada", "--role", "admin", "--name", "Ada L", "--password-stdin"]
    assert run(monkeypatch, add_admin, PASSWORD + "\n") == 0
    add_council = ["user", "add", "fife", "--role", "council", "--council", "S12000047"]
    assert run(monkeypatch, [*add_council, "--password-stdin"], PASSWORD + "\n") == 0
    out = capsys.readouterr().out
    assert "Added admin account ada (Ada L)." in out
    assert "Added council account fife (fife) for Fife." in out

    assert run(monkeypatch, ["user", "list"]) == 0
    listing = capsys.readouterr().out
    assert "$argon2" not in listing and PASSWORD not in listing
    lines = listing.splitlines()
    header = "username name role council active locked until last sign-in"
    assert " ".join(lines[0].split()) == header
    assert lines[1].split() == ["ada", "Ada", "L", "admin", "-", "yes", "-", "never"]
    assert lines[2].split() == ["fife", "fife", "council", "S12000047", "yes", "-", "never"]

    reset = ["user", "reset-password", "fife", "--password-stdin"]
    assert run(monkeypatch, reset, "a new password here\n") == 0
    assert run(monkeypatch, ["user", "disable", "fife"]) == 0
    assert run(monkeypatch, ["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "New password set for fife" in out and "Disabled fife" in out
    assert out.splitlines()[-1].split()[4] == "no"
    assert "$argon2" not in out

    assert run(monkeypatch, ["user", "enable", "fife", "--reason", "back from leave"]) == 0
    assert "Re-enabled fife" in capsys.readouterr().out
    assert run(monkeypatch, ["user", "enable", "fife"]) == 2
    assert capsys.readouterr().err == "error [account.refused]: fife is already active\n"

    engine = db.open_database()
    with Session(engine) as session:
        assert authenticate(session, "ada", PASSWORD).role == "admin"
        assert authenticate(session, "fife", "a new password here").role == "council"
        assert [r[1] for r in audit_rows(session)] == [
            "account.add",
            "account.add",
            "account.password_reset",
            "account.disable",
            "account.enable",
        ]
        # no --as: the operator at the terminal, named by their login
        assert {r[0] for r in audit_rows(session)} == {f"operator:{getpass.getuser()}"}


def test_cli_user_errors_are_in_words(cli_db: str, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(monkeypatch, ["user", "add", "ada", "--role", "admin", "--password-stdin"]) == 2
    assert "the password must be at least 10 characters" in capsys.readouterr().err
    council_without_code = ["user", "add", "fife", "--role", "council", "--password-stdin"]
    assert run(monkeypatch, council_without_code, PASSWORD + "\n") == 2
    assert "a council account needs its council" in capsys.readouterr().err
    assert run(monkeypatch, ["user", "disable", "nobody"]) == 2
    assert "error [account.not_found]: there is no account 'nobody'" in capsys.readouterr().err
    assert run(monkeypatch, ["user", "list"]) == 0
    assert "No accounts yet" in capsys.readouterr().out


def test_cli_user_add__passwords_typed_twice_must_match(cli_db: str, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    assert survey_cli.main(["user", "add", "ada", "--role", "admin"]) == 1
    assert "the two passwords differ" in capsys.readouterr().err
    with Session(db.open_database()) as session:
        assert not has_accounts(session)
