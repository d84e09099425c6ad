"""Accounts that sign in: adding, resetting, disabling, listing, and checking a password.

Passwords are kept only as argon2id hashes and never logged. Five failed sign-ins lock an
account for 15 minutes. Every change to an account writes an audit row in its transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, joinedload

from db.councils import council_lookup
from db.models import Account, utcnow
from instrument.errors import SurveyError
from instrument.values import match_key
from instrument.vocabulary import Role
from services import audit
from services.actor import Actor
from services.interviews import NotFound
from services.permissions import require, verbatim_access

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
MAX_FAILED_SIGN_INS = 5
LOCKOUT = dt.timedelta(minutes=15)
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")

WRONG_CREDENTIALS = "The username or password is not right."
DISABLED = "This account is disabled; ask an administrator."

HASHER = PasswordHasher()  # argon2id with argon2-cffi's default (RFC 9106 low-memory) costs


class AccountProblem(SurveyError, ValueError):
    """An account change refused, said in words (bad role, short password, duplicate name)."""

    code = "account.refused"


class SignInRefused(SurveyError):
    """Sign-in refused; the message is safe to show as it is."""

    code = "signin.refused"


@dataclass(frozen=True)
class AccountSummary:
    """What may be shown about an account: never its hash."""

    username: str
    display_name: str
    role: Role
    council_code: str | None
    council_name: str | None
    active: bool
    locked_until: dt.datetime | None
    last_sign_in: dt.datetime | None
    created_at: dt.datetime
    can_read_verbatim: bool = False

    @property
    def verbatim(self) -> str:
        """Whether this account reads verbatim answers, by its role or a grant, in words."""
        return verbatim_access(self.role, self.can_read_verbatim)


def locked_message(until: dt.datetime) -> str:
    return (
        f"This account is locked after {MAX_FAILED_SIGN_INS} failed sign-ins; "
        f"try again after {until:%H:%M} UTC."
    )


def normalise_username(username: str) -> str:
    """Usernames are compared without case or surrounding spaces."""
    return username.strip().casefold()


def has_accounts(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Account)))


def list_accounts(
    session: Session, *, actor: Actor, now: dt.datetime | None = None
) -> list[AccountSummary]:
    """Every account by username; `locked_until` only while the lock lasts."""
    require(session, actor, "manage accounts", target="accounts")
    now = now or utcnow()
    accounts = session.scalars(
        select(Account).options(joinedload(Account.council)).order_by(Account.username)
    )
    return [_summary(a, now) for a in accounts]


def _summary(account: Account, now: dt.datetime | None = None) -> AccountSummary:
    """What may be shown of an account; `locked_until` only while the lock lasts."""
    now = now or utcnow()
    a = account
    return AccountSummary(
        username=a.username,
        display_name=a.display_name,
        role=Role(a.role),
        council_code=a.council.code if a.council else None,
        council_name=a.council.name if a.council else None,
        active=a.active,
        locked_until=a.locked_until if a.locked_until and a.locked_until > now else None,
        last_sign_in=a.last_sign_in,
        created_at=a.created_at,
        can_read_verbatim=a.can_read_verbatim,
    )


def council_choices(session: Session, *, actor: Actor) -> list[tuple[str, str]]:
    """The councils a council account can belong to, as (code, name) in name order."""
    require(session, actor, "manage accounts", target="accounts")
    councils = {c.code: c.name for c in council_lookup(session, frame=None).values()}
    return sorted(councils.items(), key=lambda item: item[1])


def add_account(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    council: str | None = None,
) -> AccountSummary:
    """Create an account; `council` (a code or name) is required for, and only for, councils."""
    require(session, actor, "manage accounts", target=f"account {username}")
    account = _new_account(session, username, role, password, display_name, council)
    audit.record(
        session, actor=actor, action="account.add", target=_target(account), new=_describe(account)
    )
    session.commit()
    return _summary(account)


def create_first_admin(
    session: Session, *, username: str, password: str, display_name: str | None = None
) -> AccountSummary:
    """The one-time administrator of an empty database; refused once any account exists."""
    if session.get_bind().dialect.name == "postgresql":
        # two first-admin forms at once: the second waits, then sees the first's account
        session.execute(text("LOCK TABLE account IN SHARE ROW EXCLUSIVE MODE"))
    if has_accounts(session):
        session.rollback()
        raise AccountProblem("accounts already exist: an administrator must add new ones")
    account = _new_account(session, username, Role.ADMIN, password, display_name, None)
    audit.record(
        session,
        actor=Actor(account.username, Role.ADMIN),
        action="account.add",
        target=_target(account),
        new=_describe(account),
        reason="first administrator",
    )
    session.commit()
    return _summary(account)


def reset_password(
    session: Session, *, actor: Actor, username: str, password: str, reason: str | None = None
) -> None:
    """Set a new password; this also lifts any lockout."""
    require(session, actor, "manage accounts", target=f"account {username}")
    _check_password(password)
    account = _get(session, username)
    account.password_hash = HASHER.hash(password)
    account.failed_attempts = 0
    account.locked_until = None
    audit.record(
        session,
        actor=actor,
        action="account.password_reset",
        target=_target(account),
        reason=reason,
    )
    session.commit()


def disable_account(
    session: Session, *, actor: Actor, username: str, reason: str | None = None
) -> None:
    """Stop an account signing in; the last active administrator cannot be disabled."""
    require(session, actor, "manage accounts", target=f"account {username}")
    try:
        disable(session, actor=actor, account=_get(session, username), reason=reason)
    except AccountProblem:
        session.rollback()
        raise
    session.commit()


def disable(session: Session, *, actor: Actor, account: Account, reason: str | None) -> None:
    """The rule and the audit row of disabling an account, in the caller's transaction (no
    commit): also a person's erasure (`services.subject`), which must not lock everyone out."""
    if not account.active:
        raise AccountProblem(f"{account.username} is already disabled")
    if account.role == Role.ADMIN and _active_admins(session) <= 1:
        raise AccountProblem(
            f"{account.username} is the last active administrator and cannot be disabled"
        )
    account.active = False
    audit.record(
        session,
        actor=actor,
        action="account.disable",
        target=_target(account),
        old="active",
        new="disabled",
        reason=reason,
    )


def enable_account(
    session: Session, *, actor: Actor, username: str, reason: str | None = None
) -> None:
    """Let a disabled account sign in again (its password is unchanged)."""
    require(session, actor, "manage accounts", target=f"account {username}")
    account = _get(session, username)
    if account.active:
        session.rollback()
        raise AccountProblem(f"{account.username} is already active")
    account.active = True
    account.failed_attempts, account.locked_until = 0, None
    audit.record(
        session,
        actor=actor,
        action="account.enable",
        target=_target(account),
        old="disabled",
        new="active",
        reason=reason,
    )
    session.commit()


def set_verbatim_access(
    session: Session, *, actor: Actor, username: str, granted: bool, reason: str | None = None
) -> None:
    """Let a named auditor read verbatim answers and notes, or take that right away."""
    require(session, actor, "manage accounts", target=f"account {username}")
    account = _get(session, username)
    if account.role != Role.AUDITOR:
        session.rollback()
        raise AccountProblem(
            f"{account.username} is a {account.role} account; only auditors are granted "
            "verbatim access (interviewers, analysts, administrators and the council itself"
            " have it)"
        )
    if account.can_read_verbatim == granted:
        session.rollback()
        return
    account.can_read_verbatim = granted
    audit.record(
        session,
        actor=actor,
        action="permission.verbatim",
        target=_target(account),
        old=_verbatim_words(not granted),
        new=_verbatim_words(granted),
        reason=reason,
    )
    session.commit()


def _verbatim_words(granted: bool) -> str:
    return "may read verbatim" if granted else "coded answers and summaries only"


def account_actor(session: Session, username: str) -> Actor | None:
    """The acting person for an active account, read afresh (a disabled account gets None)."""
    account = session.scalar(
        select(Account)
        .options(joinedload(Account.council))
        .where(Account.username == normalise_username(username), Account.active)
    )
    if account is None:
        return None
    code = account.council.code if account.council else None
    return Actor(account.username, Role(account.role), code, account.display_name)


def command_line_actor(
    session: Session, *, username: str | None, role: Role, login: str
) -> Actor:
    """Who a command-line command acts as. Named (`--as`): an active account, whose role
    the services check like any other. Unnamed: the operator at the terminal, who can reach
    the database directly anyway, named `operator:<login>` in the audit log with the role the
    command needs (no account can take that name: usernames have no colon)."""
    if username is None:
        return Actor(f"operator:{login}", role, display_name=f"{login} (command line)")
    actor = account_actor(session, username)
    if actor is None:
        raise AccountProblem(f"--as {username}: there is no active account with that username")
    return actor


def authenticate(
    session: Session, username: str, password: str, *, now: dt.datetime | None = None
) -> AccountSummary:
    """The account if the password is right; else SignInRefused with a message to show.

    A wrong password and an unknown username get the same message. Failures are
    committed before refusing, so the count survives the caller's rollback.
    """
    now = now or utcnow()
    account = session.scalar(
        select(Account).where(Account.username == normalise_username(username)).with_for_update()
    )
    if account is None:
        _verify(_dummy_hash(), password)  # take as long as a real check
        session.rollback()
        raise SignInRefused(WRONG_CREDENTIALS)
    who = Actor(account.username, Role(account.role))
    if account.locked_until is not None:
        if account.locked_until > now:
            _failed(session, who, account, "account locked")
            session.commit()
            raise SignInRefused(locked_message(account.locked_until), code="signin.locked")
        account.locked_until, account.failed_attempts = None, 0
    if not _verify(account.password_hash, password):
        account.failed_attempts += 1
        _failed(session, who, account, "wrong password")
        if account.failed_attempts >= MAX_FAILED_SIGN_INS:
            account.locked_until = now + LOCKOUT
            audit.record(
                session,
                actor=who,
                action="signin.locked",
                target=_target(account),
                new=f"locked until {account.locked_until:%Y-%m-%d %H:%M} UTC",
                reason=f"{MAX_FAILED_SIGN_INS} failed sign-ins",
            )
            session.commit()
            raise SignInRefused(locked_message(account.locked_until), code="signin.locked")
        session.commit()
        raise SignInRefused(WRONG_CREDENTIALS)
    if not account.active:
        session.rollback()
        raise SignInRefused(DISABLED, code="signin.disabled")
    if HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = HASHER.hash(password)
    account.failed_attempts = 0
    account.last_sign_in = now
    session.commit()
    return _summary(account)


def _new_account(
    session: Session,
    username: str,
    role: str,
    password: str,
    display_name: str | None,
    council: str | None,
) -> Account:
    """Validate everything, then add (not commit) the account; a refusal rolls back."""
    try:
        return _validated_account(session, username, role, password, display_name, council)
    except AccountProblem:
        session.rollback()
        raise


def _validated_account(
    session: Session,
    username: str,
    role: str,
    password: str,
    display_name: str | None,
    council: str | None,
) -> Account:
    name = normalise_username(username)
    if not USERNAME.fullmatch(name):
        raise AccountProblem(
            f"{username!r} is not a valid username: use 2 to 40 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    if role not in Role.codes():
        raise AccountProblem(f"{role!r} is not a role; choose one of {', '.join(Role.codes())}")
    if role == Role.COUNCIL and not council:
        raise AccountProblem("a council account needs its council (--council CODE)")
    if role != Role.COUNCIL and council:
        raise AccountProblem(f"only council accounts belong to a council, not {role} accounts")
    _check_password(password)
    shown = (display_name or "").strip() or name
    if len(shown) > 200:
        raise AccountProblem("the display name is longer than 200 characters")
    if session.scalar(select(Account.id).where(Account.username == name)) is not None:
        raise AccountProblem(f"there is already an account named {name}")
    account = Account(
        username=name,
        display_name=shown,
        role=role,
        password_hash=HASHER.hash(password),
        active=True,
        failed_attempts=0,
    )
    if council:
        found = council_lookup(session, frame=None).get(match_key(council))
        if found is None:
            raise AccountProblem(f"there is no council {council!r}")
        account.council = found
    session.add(account)
    session.flush()
    return account


def _failed(session: Session, who: Actor, account: Account, reason: str) -> None:
    audit.record(session, actor=who, action="signin.failed", target=_target(account), reason=reason)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountProblem(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountProblem(f"the password must be at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise AccountProblem("the password cannot be only spaces")


def _get(session: Session, username: str) -> Account:
    account = session.scalar(
        select(Account).where(Account.username == normalise_username(username)).with_for_update()
    )
    if account is None:
        session.rollback()
        raise NotFound(f"there is no account {username!r}", code="account.not_found")
    return account


def _active_admins(session: Session) -> int:
    query = select(func.count()).select_from(Account)
    return session.scalar(query.where(Account.role == Role.ADMIN, Account.active)) or 0


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return HASHER.hash("no account has this password")


def _target(account: Account) -> str:
    return f"account {account.username}"


def _describe(account: Account) -> str:
    council = f" of {account.council.code} {account.council.name}" if account.council else ""
    return f"{account.role}{council}, {account.display_name!r}, active"
