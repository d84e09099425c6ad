"""Fieldwork codes the database stores, with the words people see."""

from __future__ import annotations

NOT_CONTACTED = "not_contacted"
SCHEDULED = "scheduled"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
DECLINED = "declined"

STATUS_LABELS: dict[str, str] = {
    NOT_CONTACTED: "Not contacted",
    SCHEDULED: "Scheduled",
    IN_PROGRESS: "In progress",
    COMPLETED: "Completed",
    DECLINED: "Declined",
}
STATUSES: tuple[str, ...] = tuple(STATUS_LABELS)
ANSWERABLE_STATUSES = frozenset({IN_PROGRESS, COMPLETED})

# Shown on Fieldwork only and never stored: a council still not contacted that has calls in its
# contact log. Derived from that log (services.fieldwork), so imports, exports and reports
# never see it.
ATTEMPTED = "attempted"

CONTACT_OUTCOMES: dict[str, str] = {
    "no_reply": "No reply",
    "left_message": "Left a message",
    "spoke_to_council": "Spoke to the council",
    "appointment_made": "Appointment made",
    "declined": "Declined to take part",
    "other": "Other",
}

# Where a council's own review of its submission stands.
NOT_READY = "not_ready"
AWAITING_COUNCIL = "awaiting_council"
CORRECTIONS_REQUESTED = "corrections_requested"
VALIDATED = "validated"

REVIEW_LABELS: dict[str, str] = {
    NOT_READY: "Interview not complete",
    AWAITING_COUNCIL: "Awaiting council review",
    CORRECTIONS_REQUESTED: "Corrections requested",
    VALIDATED: "Validated by council",
}

# One answer's review, as the council and the interviewer see it.
REVIEW_ITEM_LABELS: dict[str, str] = {
    "confirmed": "Confirmed by the council",
    "correction_requested": "Correction requested",
    "corrected": "Corrected by the interviewer",
    "kept": "Kept by the interviewer, with a reply",
}
