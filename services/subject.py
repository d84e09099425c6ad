"""A person's request under UK GDPR: find everything held about them, hand it over, erase it.

Where to look is the data inventory itself (`services.privacy.FIELDS`): every text column that
holds or may hold personal data, so a new column the inventory classifies is searched too. A
person is looked for by the name given and, when it is an account holder's username or name,
by both, since what they did is recorded under their username.

Erasure replaces what names them: a value that is only their name (a respondent's name, who
saved an answer) wholly, and their name inside a longer text (a note, a verbatim answer) where
it appears; with `pseudonym`, by the same stand-in everywhere instead, so that what one person
did still reads as one person's. An account holder's account is disabled and renamed. In the
audit log, which allows nothing else, each value naming them is erased whole
(`services.erasure`), and the chain still verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from sqlalchemy import Column, String, Text, func, or_, select, update
from sqlalchemy.orm import Session

from db.audit_chain import ERASED
from db.models import Account, Base, utcnow
from instrument.errors import SurveyError
from services.accounts import AccountProblem, disable
from services.actor import Actor
from services.erasure import erase_audit_values
from services.permissions import require
from services.privacy import FIELDS, Field

AUDIT = "audit_event"


@dataclass(frozen=True)
class Held:
    """One value that names the person: where, which row, and the value itself."""

    field: Field
    row: tuple[object, ...]  # the row's primary key
    value: str


@dataclass(frozen=True)
class SubjectFindings:
    """Everything held about a person, as found on one day."""

    person: str
    searched_for: tuple[str, ...]  # the name given, and an account's username and name
    found: tuple[Held, ...]
    at: dt.datetime

    def json_text(self) -> str:
        """The findings as JSON, for the person: where, what it is, why we hold it, the value."""
        return json.dumps(
            {
                "person": self.person,
                "searched_for": list(self.searched_for),
                "found_at": self.at.isoformat(timespec="seconds") + "Z",
                "held": [
                    {"where": h.field.where, "what": h.field.holds, "why": h.field.purpose,
                     "seen_by": h.field.seen_by, "kept": h.field.retention,
                     "row": [str(k) for k in h.row], "value": h.value}
                    for h in self.found
                ],
            },
            ensure_ascii=False,
            indent=2,
        )  # fmt: skip

    def document(self) -> str:
        """The same as a readable document (Markdown): by place, what and why, then values."""
        lines = [f"# What the survey holds about {self.person}", "",
                 f"Searched on {self.at:%d %B %Y at %H:%M} UTC for: "
                 + ", ".join(f"“{t}”" for t in self.searched_for) + ".", ""]  # fmt: skip
        if not self.found:
            lines.append("Nothing held names this person.")
        places: dict[str, list[Held]] = {}
        for held in self.found:
            places.setdefault(held.field.where, []).append(held)
        for where, helds in places.items():
            field = helds[0].field
            lines += [f"## {field.holds} ({where})", "",
                      f"Why we hold it: {field.purpose}. Who can see it: {field.seen_by}. "
                      f"How long: {field.retention}.", ""]  # fmt: skip
            lines += [f"- {h.value}" for h in helds]
            lines.append("")
        return "\n".join(lines)


def find_person(session: Session, *, actor: Actor, person: str) -> SubjectFindings:
    """Every value of the inventory's text columns that names the person (administrators)."""
    require(session, actor, "manage accounts", target="a person's data")
    terms = _terms(session, person)
    found: list[Held] = []
    for field in FIELDS:
        table = Base.metadata.tables[field.table]
        column = table.c[field.column]
        if not isinstance(column.type, String | Text):
            continue
        keys = list(table.primary_key.columns)
        matches = or_(*(func.lower(column).contains(t.lower(), autoescape=True) for t in terms))
        for *key, value in session.execute(
            select(*keys, column).where(column.is_not(None), column != ERASED, matches)
            .order_by(*keys)
        ):  # fmt: skip
            found.append(Held(field, tuple(key), str(value)))
    return SubjectFindings(person, terms, tuple(found), utcnow())


def _terms(session: Session, person: str) -> tuple[str, ...]:
    """The name given and, if it is an account holder's username or name, both of those."""
    name = person.strip()
    if len(name) < 3:
        raise SubjectRefused("give at least three letters of the person's name or username")
    account = session.scalars(
        select(Account).where(or_(func.lower(Account.username) == name.lower(),
                                  func.lower(Account.display_name) == name.lower()))
    ).first()  # fmt: skip
    terms = [name]
    if account is not None:
        terms += [t for t in (account.username, account.display_name) if t.lower() != name.lower()]
    return tuple(terms)


class SubjectRefused(SurveyError, ValueError):
    """The request cannot be carried out as asked; nothing was changed; the message says why."""

    code = "subject.refused"


def pseudonym_for(person: str) -> str:
    """A stand-in that reads as one person everywhere, and says nothing about who."""
    return "person-" + hashlib.sha256(person.strip().lower().encode()).hexdigest()[:8]


def erase_person(
    session: Session, *, actor: Actor, person: str, reason: str, pseudonymise: bool = False
) -> SubjectFindings:
    """Erase (or pseudonymise) what names the person, everywhere the search finds it, in one
    transaction; returns what was found and changed. The audit log's values are erased whole."""
    findings = find_person(session, actor=actor, person=person)
    if not reason.strip():
        raise SubjectRefused("say why (e.g. 'erasure requested by the person on 2 March')")
    if any(t.lower() in reason.lower() for t in findings.searched_for):
        raise SubjectRefused("say why without naming the person: the reason is kept in the "
                             "audit log, which this erasure cannot erase")  # fmt: skip
    stand_in = pseudonym_for(person) if pseudonymise else ERASED
    pattern = re.compile("|".join(re.escape(t) for t in findings.searched_for), re.IGNORECASE)
    audit_values: list[tuple[int, str]] = []
    for held in findings.found:
        if held.field.table == AUDIT:
            audit_values.append((int(str(held.row[0])), held.field.column))
            continue
        table = Base.metadata.tables[held.field.table]
        column: Column[str] = table.c[held.field.column]
        # An account's sign-in name stays unique: each person's own stand-in, even erased.
        sign_in_name = (held.field.table, held.field.column) == ("account", "username")
        replaced_by = pseudonym_for(person) if sign_in_name else stand_in
        new = pattern.sub(replaced_by, held.value)
        if pattern.fullmatch(held.value.strip()):
            new = replaced_by
        keys = list(table.primary_key.columns)
        session.execute(
            update(table).where(*(k == v for k, v in zip(keys, held.row, strict=True)))
            .values({column.name: new})
        )  # fmt: skip
    disabled = _disable_accounts(session, actor, findings)
    done = "pseudonymised" if pseudonymise else "erased"
    done += f"; {disabled} account(s) disabled" if disabled else ""
    erase_audit_values(session, actor=actor, values=tuple(audit_values),
                       target="a person's request",
                       summary=f"{len(findings.found)} values naming them {done}",
                       why=reason.strip())  # fmt: skip
    session.commit()
    return findings


def _disable_accounts(session: Session, actor: Actor, findings: SubjectFindings) -> int:
    """An account found is the person's: it can no longer sign in, disabled by the accounts'
    own rule and logged per account (after its names are erased, so the log names the
    stand-in). The last active administrator is not disabled: the request is refused, and
    nothing is erased. How many were disabled."""
    accounts = sorted({h.row for h in findings.found if h.field.table == "account"})
    disabled = 0
    for (account_id,) in accounts:
        account = session.get(Account, account_id, populate_existing=True)
        if account is None or not account.active:
            continue
        try:
            disable(session, actor=actor, account=account, reason="a person's erasure request")
        except AccountProblem:
            session.rollback()
            raise SubjectRefused(
                "the person's account is the last active administrator's, which cannot be "
                "disabled; make another administrator first, then erase this person"
            ) from None
        disabled += 1
    return disabled
