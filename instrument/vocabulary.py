"""The survey's vocabulary: each code the database stores, with the words people see.

One place for roles, fieldwork statuses, review states and contact outcomes, so a check
constraint, a permission rule and a page's heading cannot drift apart. Each member is its
stored code (a `StrEnum` formats, compares, hashes and serialises as that string) and carries
its `label`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Self


class Coded(StrEnum):
    """A stored code (the member's value) and the words people see for it (`label`)."""

    _value_: str
    label: str

    if TYPE_CHECKING:
        # Looked up by code alone, Role("admin"); only the class body gives the label too.
        def __new__(cls, code: str) -> Self: ...
    else:

        def __new__(cls, code: str, label: str) -> Self:
            member = str.__new__(cls, code)
            member._value_ = code
            member.label = label
            return member

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        """Every stored code, in the order the class lists them."""
        return tuple(member.value for member in cls)


class Role(Coded):
    """What a signed-in account is for; permissions (`services.permissions`) follow it."""

    ADMIN = "admin", "Administrator"
    INTERVIEWER = "interviewer", "Interviewer"
    ANALYST = "analyst", "Analyst"
    AUDITOR = "auditor", "Auditor"
    COUNCIL = "council", "Council"


# The audit team's own accounts, who read the whole wave; a council reads only its own.
STAFF: frozenset[Role] = frozenset({Role.ADMIN, Role.INTERVIEWER, Role.ANALYST, Role.AUDITOR})
# Who reads every council's open answers word for word and codes them into themes.
CODERS: frozenset[Role] = frozenset({Role.INTERVIEWER, Role.ANALYST})


class InterviewStatus(Coded):
    """Where one council's interview stands in fieldwork."""

    NOT_CONTACTED = "not_contacted", "Not contacted"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"


# Statuses under which answers may be recorded and are exported.
ANSWERABLE_STATUSES: frozenset[InterviewStatus] = frozenset(
    {InterviewStatus.IN_PROGRESS, InterviewStatus.COMPLETED}
)


class DisplayState(Coded):
    """Shown on Fieldwork only and never stored: a council still not contacted that has calls in
    its contact log. Derived from that log (services.fieldwork), so imports, exports and reports
    never see it."""

    ATTEMPTED = "attempted", "Attempted"


ATTEMPTED = DisplayState.ATTEMPTED


class ContactOutcome(Coded):
    """What came of one call or message to a council while arranging the interview."""

    NO_REPLY = "no_reply", "No reply"
    LEFT_MESSAGE = "left_message", "Left a message"
    SPOKE_TO_COUNCIL = "spoke_to_council", "Spoke to the council"
    APPOINTMENT_MADE = "appointment_made", "Appointment made"
    DECLINED = "declined", "Declined to take part"
    OTHER = "other", "Other"


class ReviewState(Coded):
    """Where a council's own review of its submission stands (derived, never stored)."""

    NOT_READY = "not_ready", "Interview not complete"
    AWAITING_COUNCIL = "awaiting_council", "Awaiting council review"
    CORRECTIONS_REQUESTED = "corrections_requested", "Corrections requested"
    VALIDATED = "validated", "Validated by council"


class ReviewItemState(Coded):
    """One answer's review, as the council and the interviewer see it."""

    CONFIRMED = "confirmed", "Confirmed by the council"
    CORRECTION_REQUESTED = "correction_requested", "Correction requested"
    CORRECTED = "corrected", "Corrected by the interviewer"
    KEPT = "kept", "Kept by the interviewer, with a reply"


# A correction the interviewer has answered, by changing the answer or keeping it with a reply.
RESOLVED_ITEM_STATES: frozenset[ReviewItemState] = frozenset(
    {ReviewItemState.CORRECTED, ReviewItemState.KEPT}
)
