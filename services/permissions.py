"""Who may do what: checked in every service function, below any page, and logged when refused.

The pages hide what a role cannot use, but the promise to councils (nothing read or changed
except by those entitled) is kept here, so a crafted URL, a stale session or the CLI cannot
get round it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Account, Interview, Wave
from instrument.errors import SurveyError
from instrument.vocabulary import CODERS, STAFF, Role
from services import audit
from services.actor import Actor

ALL_ROLES: frozenset[Role] = frozenset(Role)

RULES: dict[str, frozenset[Role]] = {
    # reading
    "list waves": ALL_ROLES,
    "read the wave": STAFF,  # fieldwork, every council's interview, exports
    "read results": STAFF,  # national aggregates and reports
    "read an interview": ALL_ROLES,  # councils: their own only
    # writing
    "record answers": frozenset({Role.INTERVIEWER}),
    "record fieldwork": frozenset({Role.INTERVIEWER}),
    "resolve corrections": frozenset({Role.INTERVIEWER}),
    "review a submission": frozenset({Role.COUNCIL}),  # their own only
    "manage accounts": frozenset({Role.ADMIN}),
    "manage waves": frozenset({Role.ADMIN}),
    "manage sample frames": frozenset({Role.ADMIN}),
    "manage the codebook": CODERS,  # themes of the open answers
    "code open answers": CODERS,  # verbatim: never auditors
    "read the audit log": frozenset({Role.ADMIN}),
    "back up and restore": frozenset({Role.ADMIN}),
}

COUNCIL_SCOPED = frozenset({"read an interview", "review a submission"})
# What changes a wave's contents, so is refused in a closed wave whoever asks.
CHANGES = frozenset(
    {
        "record answers",
        "record fieldwork",
        "resolve corrections",
        "review a submission",
        "code open answers",
    }
)


class PermissionDenied(SurveyError):
    """Refused by role or by council; the message is safe to show."""

    code = "permission.denied"


class WaveClosed(SurveyError):
    """The wave is closed, so nothing in it may change; the message says since when and why."""

    code = "wave.closed"


def allowed(actor: Actor, action: str) -> bool:
    """Whether the role may do this at all (the council scope is checked separately)."""
    return actor.role in RULES[action]


def require(session: Session, actor: Actor, action: str, *, target: str = "") -> None:
    """Raise PermissionDenied (and log it) unless the actor's role may do `action`."""
    if not allowed(actor, action):
        article = "an" if actor.role[0] in "aeiou" else "a"
        deny(session, actor, action, target, f"{article} {actor.role} account may not {action}")


def require_change(session: Session, actor: Actor, action: str, wave: Wave, *, target: str) -> None:
    """As `require`, for a change to what a wave holds: refused (and logged) in a closed wave."""
    require(session, actor, action, target=target)
    if wave.closed_at is not None:
        why = (
            f"wave {wave.key} was closed on {wave.closed_at:%d %B %Y} by {wave.closed_by} "
            f"({wave.closed_reason}), so nothing in it can change"
        )
        _log_refusal(session, actor, action, target, why)
        raise WaveClosed(f"Not changed: {why}.")


def require_interview(session: Session, actor: Actor, action: str, interview: Interview) -> None:
    """As `require` (or `require_change` for a change), and a council account only ever
    reaches its own council's interview."""
    target = f"interview {interview.id} ({interview.council.code})"
    if action in CHANGES:
        require_change(session, actor, action, interview.wave, target=target)
    else:
        require(session, actor, action, target=target)
    own = interview.council.code == actor.council_code
    if action in COUNCIL_SCOPED and actor.role == Role.COUNCIL and not own:
        deny(session, actor, action, target, "a council account sees only its own council")


def may_read_verbatim(session: Session, actor: Actor, interview: Interview | None = None) -> bool:
    """Verbatim text answers: interviewers, analysts (who code them), admins, the council
    itself, and auditors an administrator has named. Notes follow `may_read_notes`, which
    leaves councils out."""
    if actor.role in (Role.INTERVIEWER, Role.ANALYST, Role.ADMIN):
        return True
    if actor.role == Role.COUNCIL:
        return interview is not None and interview.council.code == actor.council_code
    granted = session.scalar(
        select(Account.can_read_verbatim).where(Account.username == actor.username, Account.active)
    )
    return bool(granted)


def verbatim_access(role: Role, granted: bool) -> str:
    """Who reads verbatim answers, as the Accounts page says it: by role, an auditor by an
    administrator's grant, a council its own submission only."""
    if role == Role.COUNCIL:
        return "Own submission only"
    if role == Role.AUDITOR:
        return "Granted" if granted else "Not granted"
    return "By role"


def reads_interviewers_text(actor: Actor) -> bool:
    """Interviewers' notes on answers and their summary of an interview are the audit team's
    working record: a council never gets them back, not even on its own interview."""
    return actor.role != Role.COUNCIL


def may_read_notes(session: Session, actor: Actor, interview: Interview | None = None) -> bool:
    """Interviewers' notes on answers: interviewers, admins and auditors an administrator has
    named; never a council."""
    return reads_interviewers_text(actor) and may_read_verbatim(session, actor, interview)


def deny(session: Session, actor: Actor, action: str, target: str, why: str) -> None:
    """Undo whatever the caller started, log the refusal in its own commit, and raise."""
    _log_refusal(session, actor, action, target, why)
    raise PermissionDenied(f"Not permitted: {why}.")


def _log_refusal(session: Session, actor: Actor, action: str, target: str, why: str) -> None:
    session.rollback()
    audit.record(
        session,
        actor=actor,
        action="permission.denied",
        target=target or action,
        new=action,
        reason=why,
    )
    session.commit()
