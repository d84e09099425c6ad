"""The keying panel: one Part of an interview keyed from the keyboard, saved change by change.

The browser side (keying.js) keeps every change in an outbox until this module has applied it
and says so (`acked`), so nothing typed is lost between reruns, refreshes or a crash. Each
change is applied at the top of the page's run through the same services as every other
write, and its outcome ("Saved 10:32", a refusal in words, a conflict) goes back beside the
question it concerns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st
from sqlalchemy.exc import OperationalError

from app_pages.answer_widgets import review_lines, shown_value
from app_pages.common import actor, session
from instrument.model import DONT_KNOW, NO_ANSWER, RESERVED_LABELS, Part, Variable
from instrument.schedule import Instrument
from instrument.types import question_type
from instrument.values import ValueProblem
from instrument.vocabulary import ReviewItemState
from services.actor import Actor
from services.answers import AnswerConflict, HistoryEntry, RecordedAnswer, save_answer
from services.interviews import InterviewSummary, ReasonRequired, update_details
from services.permissions import PermissionDenied
from services.review import ReviewEntry

HERE = Path(__file__).parent
UK = ZoneInfo("Europe/London")
PROCESSED = "keying_processed"  # interview id -> ids of the changes already applied
STATUS = "keying_status"  # (interview id, target, name) -> the outcome of its last change
OWN = "keying_own_versions"  # (interview id, variable) -> the version this session saved
FOCUS = "keying_focus"  # interview id -> a number that changes when a Part is chosen by key
NOTICES = "interview_notices"  # interview id -> a sentence for the top of the page
KEEP_PROCESSED = 2000
DETAIL_LABELS = {
    "respondent_name": "Respondent's name",
    "respondent_role": "Respondent's role",
    "interviewer": "Interviewer",
    "interview_date": "Interview date (dd/mm/yyyy)",
}
NOTES_PRIVATE = (
    "Notes stay with the interview team: councils never see them, and auditors see them "
    "only with verbatim access."
)

_panel = st.components.v2.component(
    "survey_keying_panel",
    js=(HERE / "keying.js").read_text(encoding="utf-8"),
    css=(HERE / "keying.css").read_text(encoding="utf-8"),
    isolate_styles=False,
)


# What the panel shows beside a field after a save ("saved", "conflict", ...), by
# (interview, "answer" or "detail", variable or field).
Status = dict[str, str | None]
Statuses = dict[tuple[int, str, str], Status]


def panel_key(interview_id: int) -> str:
    return f"keying:{interview_id}"


def _state(name: str) -> dict[Any, Any]:
    """One of the page's own stores in the session (statuses, focus, versions sent, ...)."""
    store: dict[Any, Any] = st.session_state.setdefault(name, {})
    return store


@dataclass(frozen=True)
class Change:
    """One change the interviewer made, as the browser sent it."""

    id: str
    target: str  # "answer" or "detail"
    name: str  # variable id or detail field
    field: str  # "value", "note" or "dismiss"
    value: str | None
    based_on: int
    reason: str | None

    @classmethod
    def read(cls, raw: object) -> Change | None:
        """A change from the browser, or None if it is not one (never trusted blindly)."""
        if not isinstance(raw, dict):
            return None
        try:
            change = cls(
                id=str(raw["id"]),
                target=str(raw["target"]),
                name=str(raw["variable"]),
                field=str(raw["field"]),
                value=None if raw.get("value") is None else str(raw["value"]),
                based_on=int(raw.get("based_on") or 0),
                reason=None if raw.get("reason") is None else str(raw["reason"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if change.target not in ("answer", "detail"):
            return None
        if change.field not in ("value", "note", "dismiss"):
            return None
        return change


@dataclass(frozen=True)
class Applied:
    """What the browser's outbox did on this run."""

    changes: int  # changes applied now (saved or refused)
    part: str | None  # the Part the interviewer moved to by key or button, if any


def apply_changes(interview_id: int, instrument: Instrument) -> Applied:
    """Apply the browser's unsaved changes for this interview, once each.

    Runs before anything is drawn, so the page shows the answers, routing, statuses and
    progress as they are after these changes.
    """
    state = st.session_state.get(panel_key(interview_id)) or {}
    raw = list(state.get("outbox") or [])
    go = state.get("go") if isinstance(state.get("go"), dict) else None
    if go:
        raw += list(go.get("outbox") or [])
    done = _state(PROCESSED).setdefault(interview_id, [])
    seen = set(done)
    applied = 0
    for item in raw:
        change = Change.read(item)
        if change is None or change.id in seen:
            continue
        _apply(interview_id, instrument, change)
        seen.add(change.id)
        done.append(change.id)
        applied += 1
    del done[:-KEEP_PROCESSED]
    part = go.get("part") if go else None
    if isinstance(part, str) and part in {p.id for p in instrument.parts}:
        _state(FOCUS)[interview_id] = _state(FOCUS).get(interview_id, 0) + 1
        return Applied(applied, part)
    return Applied(applied, None)


def _apply(interview_id: int, instrument: Instrument, change: Change) -> None:
    marker = (interview_id, change.target, change.name)
    statuses = _state(STATUS)
    if change.field == "dismiss":
        statuses.pop(marker, None)
        return
    who = actor()
    try:
        with session() as s:
            if change.target == "detail":
                update_details(
                    s, actor=who, interview_id=interview_id, reason=change.reason,
                    **{change.name: change.value},
                )  # fmt: skip
            else:
                _save(s, who, interview_id, change)
    except ReasonRequired as exc:
        statuses[marker] = _refused("reason", str(exc), change)
    except AnswerConflict as exc:
        variable = instrument.variable(change.name)
        theirs = shown_value(instrument, variable, exc.theirs.value)
        mine = shown_value(instrument, variable, exc.mine) if change.field == "value" else "note"
        statuses[marker] = {
            **_refused(
                "conflict",
                f"{exc.theirs.updated_by} saved {theirs} after you loaded this question; "
                f"yours: {mine}.",
                change,
            ),
            "theirs_by": exc.theirs.updated_by,
        }
    except (ValueProblem, PermissionDenied) as exc:
        statuses[marker] = _refused("problem", str(exc), change, retry=False)
    except (KeyError, ValueError) as exc:  # a name not in this schedule or a mangled value
        statuses[marker] = _refused("problem", f"not recorded ({exc})", change, retry=False)
    except OperationalError:
        statuses[marker] = _refused(
            "problem", "the database did not answer in time; nothing was lost", change
        )
    else:
        statuses[marker] = {"state": "saved", "at": f"{dt.datetime.now(UK):%H:%M}"}


def _save(s: Any, who: Actor, interview_id: int, change: Change) -> None:
    own = _state(OWN)
    marker = (interview_id, change.name)
    # Changes this browser sent in quick succession build on each other, not on a stale
    # screen; someone else's save in between still raises a conflict.
    based_on = max(change.based_on, own.get(marker, 0))
    fields = {"note": change.value} if change.field == "note" else {"value": change.value}
    result = save_answer(
        s, actor=who, interview_id=interview_id, variable_id=change.name,
        based_on_version=based_on, reason=change.reason, **fields,
    )  # fmt: skip
    own[marker] = result.answer.version
    if result.notice:
        _state(NOTICES)[interview_id] = result.notice


def _refused(state: str, message: str, change: Change, *, retry: bool = True) -> Status:
    refusal: Status = {"state": state, "message": message, "field": change.field}
    if retry or state != "problem":
        refusal["retry"] = change.value
    return refusal


def acked(interview_id: int) -> list[str]:
    """The changes in the browser's outbox that are applied, so it may forget them."""
    state = st.session_state.get(panel_key(interview_id)) or {}
    sent = [c.get("id") for c in state.get("outbox") or [] if isinstance(c, dict)]
    go = state.get("go") if isinstance(state.get("go"), dict) else None
    if go:
        sent += [c.get("id") for c in go.get("outbox") or [] if isinstance(c, dict)]
    done = set(_state(PROCESSED).get(interview_id, []))
    return [i for i in sent if isinstance(i, str) and i in done]


def show_panel(
    instrument: Instrument,
    interview: InterviewSummary,
    part: Part,
    answers: dict[str, RecordedAnswer],
    *,
    history: dict[str, list[HistoryEntry]],
    reviews: dict[str, ReviewEntry],
    reason: str | None,
    next_part: Part | None,
) -> None:
    """Draw the details and the Part's questions as one keyboard-driven panel."""
    statuses = _state(STATUS)
    data = {
        "interview": interview.id,
        "part": part.id,
        "parts": [p.id for p in instrument.parts],
        "next_part": next_part.id if next_part else None,
        "next_label": f"Next: Part {next_part.id}, {next_part.title}" if next_part else None,
        "focus": _state(FOCUS).get(interview.id, 0),
        "acked": acked(interview.id),
        "reserved": [[code, RESERVED_LABELS[code]] for code in (NO_ANSWER, DONT_KNOW)],
        "routing": _routing(instrument),
        "multi": [v.id for v in instrument.questions if question_type(v).multiple],
        "values": {k: a.value for k, a in answers.items() if a.value is not None},
        "reason": reason or None,
        "notes_private": NOTES_PRIVATE,
        "details": _details(instrument, interview, statuses),
        "questions": [
            _question(instrument, interview.id, v, answers.get(v.id), statuses, history, reviews)
            for v in part.variables
        ],
    }
    _panel(key=panel_key(interview.id), data=data, on_outbox_change=_noop, on_go_change=_noop)


def _noop() -> None:
    """The panel's changes are applied at the top of the page's run (apply_changes)."""


def _routing(instrument: Instrument) -> dict[str, list[list[list[str]]]]:
    rules = {}
    for variable in instrument.questions:
        condition = instrument.condition(variable.id)
        if condition is not None:
            rules[variable.id] = [[[c.variable, c.code] for c in g] for g in condition.groups]
    return rules


def _details(
    instrument: Instrument, interview: InterviewSummary, statuses: Statuses
) -> dict[str, object]:
    stored = {
        "respondent_name": interview.respondent_name,
        "respondent_role": interview.respondent_role,
        "interviewer": interview.interviewer,
        "interview_date": (
            f"{interview.interview_date:%d/%m/%Y}" if interview.interview_date else None
        ),
    }
    suggested = {
        "interviewer": actor().shown_name,
        "interview_date": f"{dt.datetime.now(UK):%d/%m/%Y}",
    }
    roles = [[c.code, c.label] for c in instrument.choices("respondent_role")]
    fields = []
    for name, label in DETAIL_LABELS.items():
        fields.append({
            "name": name,
            "label": label,
            "type": "role" if name == "respondent_role" else (
                "date" if name == "interview_date" else "line"),
            "choices": roles if name == "respondent_role" else [],
            "stored": stored[name],
            "suggested": suggested.get(name),
            "placeholder": "dd/mm/yyyy" if name == "interview_date" else None,
            "status": statuses.get((interview.id, "detail", name)),
        })  # fmt: skip
    return {"fields": fields}


def _question(
    instrument: Instrument,
    interview_id: int,
    variable: Variable,
    recorded: RecordedAnswer | None,
    statuses: Statuses,
    history: dict[str, list[HistoryEntry]],
    reviews: dict[str, ReviewEntry],
) -> dict[str, object]:
    """One question as the panel draws it: wording, choices, stored answer, save state."""
    entries = history.get(variable.id, [])
    review = reviews.get(variable.id)
    condition = instrument.condition(variable.id)
    number = variable.display_number or variable.label or variable.id
    widget = question_type(variable).widget
    return {
        "id": variable.id,
        "number": variable.display_number,
        "label": variable.label,
        "lead_in": variable.lead_in,
        "text": variable.text,
        "help": variable.help,
        "coded": variable.coded,
        "type": widget.kind,
        "placeholder": widget.placeholder,
        "choices": [[c.code, c.label] for c in instrument.choices(variable)]
        if widget.offers_choices
        else [],
        "value": recorded.value if recorded else None,
        "note": recorded.note if recorded else None,
        "version": recorded.version if recorded else 0,
        "recorded": _percent_shares(variable, recorded),
        "status": statuses.get((interview_id, "answer", variable.id)),
        "history": [_history_line(instrument, variable, e) for e in entries],
        "review": {
            "text": "\n".join(review_lines(review)),
            "warn": review.waiting,
        }
        if review and review.state != ReviewItemState.CONFIRMED
        else None,
        "skipped_text": (
            f"{number} is skipped (asked only if {condition.text}); the answer recorded "
            "earlier is kept but not counted."
            if condition
            else ""
        ),
    }


def _percent_shares(variable: Variable, recorded: RecordedAnswer | None) -> str | None:
    """A recorded in-house share read back as both shares, so a slip is seen at once."""
    if recorded is None or recorded.value is None:
        return None
    return question_type(variable).read_back(recorded.value)


def _history_line(instrument: Instrument, variable: Variable, e: HistoryEntry) -> str:
    head = f"Version {e.version} · {e.changed_at:%d %b %Y %H:%M} UTC · {e.changed_by} · {e.source}"
    if e.withheld:
        return f"{head}: verbatim text withheld."
    changes = []
    if e.old_value != e.new_value:
        old = shown_value(instrument, variable, e.old_value)
        changes.append(f"{old} → {shown_value(instrument, variable, e.new_value)}")
    if e.old_note != e.new_note:
        changes.append(f"note: {e.old_note or '(none)'} → {e.new_note or '(none)'}")
    return f"{head}: {'; '.join(changes)}"
