"""Reading the audit log: the newest events, the whole log as CSV, and the chain's check.
Administrators only, checked here; the writer (`services.audit`) sits below permissions."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from db.audit_chain import FIELDS, ChainState
from db.models import AuditEvent, Council
from flatfile.cells import protect
from services.actor import Actor
from services.audit import chain_state
from services.permissions import require

# The hashed fields (the time marked as UTC), then the action in words.
CSV_COLUMNS = ("id", "at_utc", *FIELDS[2:], "what")


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log as the Audit log page shows it (its hashes left out)."""

    id: int
    at: dt.datetime
    username: str
    role: str
    action: str
    target: str
    old_value: str | None
    new_value: str | None
    reason: str | None

    @property
    def what(self) -> str:
        """The action in words."""
        return describe(self.action)

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEntry:
        return cls(
            event.id,
            event.at,
            event.username,
            event.role,
            event.action,
            event.target,
            event.old_value,
            event.new_value,
            event.reason,
        )


def verify_chain(session: Session, *, actor: Actor) -> ChainState:
    """Walk the whole log oldest first: every row's hash, and every link to the row before."""
    require(session, actor, "read the audit log", target="audit log")
    return chain_state(session)


# What each kind of row is about, for the page's filter: an action's code starts with its kind.
KINDS: dict[str, str] = {
    "answer": "Answers",
    "interview": "Interview status and details",
    "fieldwork": "Fieldwork",
    "review": "Council review and validation",
    "wave": "Waves",
    "frame": "Sample frames",
    "theme": "Codebooks of the open answers",
    "coding": "Coding of the open answers",
    "account": "Accounts",
    "permission": "Permissions and refusals",
    "sign": "Sign-in and sign-out",
    "backup": "Backups and restores",
    "demo": "The demo wave",
    "privacy": "Personal data: erasure",
    "audit": "The audit log itself",
}
# Every action the services write, in words people use. An action not listed (a row from an
# older version) is shown by its code.
EVENTS: dict[str, str] = {
    "answer.value": "Answer changed",
    "answer.imported": "Answers imported (closed questions)",
    "answer.imported_text": "Answers imported (free text)",
    "answer.note": "Interviewer's note on an answer changed",
    "interview.status": "Interview status changed",
    "interview.details": "Interview details changed",
    "interview.summary": "Summary for auditors changed",
    "fieldwork.contact": "Contact with the council recorded",
    "fieldwork.appointment": "Appointment made",
    "review.confirm": "Answer confirmed by the council",
    "review.request": "Correction requested by the council",
    "review.resolve": "Correction resolved",
    "review.validate": "Submission validated by the council",
    "review.validation_reopened": "Validation withdrawn by a change",
    "wave.create": "Wave created",
    "wave.dates": "Fieldwork dates set",
    "wave.close": "Wave closed",
    "wave.threshold": "Disclosure threshold set",
    "wave.recount": "Counters counted afresh",
    "wave.retention": "Retention date set",
    "audit.rehash": "Audit log hashed again",
    "privacy.erase": "Personal data erased",
    "frame.load": "Sample frame loaded",
    "theme.create": "Theme added",
    "theme.change": "Theme changed",
    "theme.merge": "Themes merged",
    "theme.import": "Codebook imported",
    "coding.applied": "Theme applied to an answer",
    "coding.removed": "Theme removed from an answer",
    "coding.quote": "Passage marked as a quote candidate",
    "coding.unquote": "Quote candidate unmarked",
    "coding.approved": "Quote approved for the report",
    "coding.unapproved": "Quote approval withdrawn",
    "coding.agree": "Coding agreed in the consensus pass",
    "coding.import": "Codings imported",
    "account.add": "Account added",
    "account.password_reset": "Password reset",
    "account.disable": "Account disabled",
    "account.enable": "Account re-enabled",
    "permission.verbatim": "Verbatim access changed",
    "permission.denied": "Refused: not permitted",
    "signin": "Signed in",
    "signin.failed": "Failed sign-in",
    "signin.locked": "Account locked after failed sign-ins",
    "signout": "Signed out",
    "backup.take": "Backup taken",
    "backup.restore": "Backup restored",
    "demo.replace": "Demo wave filled",
}
PER_PAGE = 100


def describe(action: str) -> str:
    """An action in words ("Failed sign-in"); its code if it has none."""
    return EVENTS.get(action, action)


@dataclass(frozen=True)
class AuditFilter:
    """Which rows to show; every field left empty shows everything. `what` is a kind
    ("review") or one action ("review.resolve"); `council` a code or name as targets give it;
    `text` is looked for in the target, old and new values and the reason; dates are UTC days,
    both ends included."""

    person: str = ""
    role: str = ""
    council: str = ""
    what: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    text: str = ""


@dataclass(frozen=True)
class AuditPage:
    """One page of the rows a filter finds, newest first, and how many it finds in all."""

    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class LogChoices:
    """What the filters can choose from: the people and roles in the log, and every
    respondent (code, name) a target can name."""

    people: list[str]
    roles: list[str]
    councils: list[tuple[str, str]]


def log_choices(session: Session, *, actor: Actor) -> LogChoices:
    require(session, actor, "read the audit log", target="audit log")
    people = session.scalars(select(AuditEvent.username).distinct().order_by(AuditEvent.username))
    roles = session.scalars(select(AuditEvent.role).distinct().order_by(AuditEvent.role))
    councils = session.execute(select(Council.code, Council.name).order_by(Council.name))
    return LogChoices(list(people), list(roles), [(code, name) for code, name in councils])


def find_events(
    session: Session,
    *,
    actor: Actor,
    where: AuditFilter | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> AuditPage:
    """The rows the filter finds, newest first, one page of them (the last page if `page` is
    past it)."""
    require(session, actor, "read the audit log", target="audit log")
    conditions = _conditions(where or AuditFilter())
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    query = (
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return AuditPage([AuditEntry.of(e) for e in session.scalars(query)], total, page, pages)


def recent_events(
    session: Session, *, actor: Actor, limit: int = 1000, action: str | None = None
) -> list[AuditEntry]:
    """The newest rows first, optionally one kind of action (e.g. "answer" or "review")."""
    found = find_events(session, actor=actor, where=AuditFilter(what=action or ""), per_page=limit)
    return found.entries


def _conditions(where: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.person:
        conditions.append(AuditEvent.username == where.person)
    if where.role:
        conditions.append(AuditEvent.role == where.role)
    if where.council:
        conditions.append(AuditEvent.target.icontains(where.council, autoescape=True))
    if where.what in EVENTS or "." in where.what:
        conditions.append(AuditEvent.action == where.what)
    elif where.what:
        conditions.append(AuditEvent.action.startswith(where.what, autoescape=True))
    if where.since is not None:
        conditions.append(AuditEvent.at >= dt.datetime.combine(where.since, dt.time()))
    if where.until is not None:
        end = dt.datetime.combine(where.until + dt.timedelta(days=1), dt.time())
        conditions.append(AuditEvent.at < end)
    if where.text:
        conditions.append(
            or_(*(column.icontains(where.text, autoescape=True)
                  for column in (AuditEvent.target, AuditEvent.old_value, AuditEvent.new_value,
                                 AuditEvent.reason)))
        )  # fmt: skip
    return conditions


def export_csv(session: Session, *, actor: Actor, where: AuditFilter | None = None) -> str:
    """The whole log (or the rows a filter finds), oldest first, as CSV, each action's words
    beside its code; cells that look like formulas are kept as text."""
    require(session, actor, "read the audit log", target="audit log")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    query = select(AuditEvent).where(*_conditions(where or AuditFilter()))
    for e in session.scalars(query.order_by(AuditEvent.id)):
        cells = (e.username, e.role, e.action, e.target, e.old_value, e.new_value, e.reason)
        writer.writerow(
            [e.id, e.at.isoformat(timespec="seconds") + "Z"]
            + [protect(c) if c is not None else "" for c in cells]
            + [describe(e.action)]
        )
    return out.getvalue()
