"""How far an interview has got, worked out from the instrument and the answers alone: the
Interview and Fieldwork pages show it, and completion is refused on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from instrument.model import Clause, Variable
from instrument.schedule import Instrument


@dataclass(frozen=True)
class PartProgress:
    part_id: str
    recorded: int
    applicable: int

    @property
    def text(self) -> str:
        return f"{self.recorded}/{self.applicable}"


def part_progress(
    instrument: Instrument, answers: dict[str, str | None]
) -> tuple[PartProgress, ...]:
    """Recorded over applicable questions (open and closed) for each part, given the answers."""
    result = []
    for part in instrument.parts:
        applicable = [v for v in part.variables if instrument.applies(v.id, answers)]
        recorded = sum(1 for v in applicable if answers.get(v.id))
        result.append(PartProgress(part.id, recorded, len(applicable)))
    return tuple(result)


def missing_for_completion(
    instrument: Instrument,
    answers: dict[str, str | None],
    *,
    respondent_role: str | None,
    interview_date: dt.date | None,
) -> list[str]:
    """What stops completion, in words: interview details first, then questions in order."""
    missing = []
    if not respondent_role:
        missing.append("respondent's role")
    if not interview_date:
        missing.append("interview date")
    missing.extend(question_name(v) for v in instrument.unrecorded(answers))
    return missing


SHOWN_TEXT = 90


def question_title(variable: Variable) -> str:
    """'Q15 · What skills and capacity …': an open question (which has no short label) by its
    number and words."""
    text = variable.text
    words = text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT] + "…"
    return f"{variable.display_number or variable.id} · {words}"


def question_name(variable: Variable) -> str:
    """A question as lists name it: "Q11a SWIA guide usefulness", or its label or id."""
    if variable.number:  # a numbered question without a short label is named by its number
        return f"{variable.display_number} {variable.label or ''}".strip()
    return variable.label or variable.id


def routing_text(instrument: Instrument, variable_id: str) -> str | None:
    """Who a routed question is asked of, in words: 'answered “Yes” to Q11 Used the SWIA
    guide' (and, or), never the rule's ids and codes."""
    condition = instrument.condition(variable_id)
    if condition is None:
        return None

    def clause(c: Clause) -> str:
        asked = instrument.variable(c.variable)
        return f"answered “{instrument.choice_label(asked, c.code)}” to {question_name(asked)}"

    return " or ".join(" and ".join(clause(c) for c in group) for group in condition.groups)
