"""Quotes for the report: a passage a coder marked as a quote candidate is approved by a
second person, and appears in the report attributed only by the respondent's role, once the
council has validated its submission."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregation.themes import PublishedQuote
from db.audit_chain import ERASED
from db.models import Coding, Council, Interview, Theme, utcnow
from instrument.schedule import Instrument
from instrument.values import ValueProblem
from services.actor import Actor
from services.codings import CODE, log_change
from services.interviews import NotFound, get_interview, get_wave, pinned
from services.permissions import require, require_interview


@dataclass(frozen=True)
class QuoteCandidate:
    """Another coder's passage marked as a quote, for a second person to approve."""

    coding_id: int
    council_name: str
    theme: str
    passage: str
    coder: str
    approved_by: str | None


def quotes_to_approve(
    session: Session, *, actor: Actor, wave_key: str, variable_id: str
) -> list[QuoteCandidate]:
    """The question's quote candidates marked by other coders: a quote is approved by a
    second person, never by whoever marked it."""
    require(session, actor, CODE, target=f"wave {wave_key} {variable_id}")
    wave = get_wave(session, wave_key)
    rows = session.execute(
        select(Coding, Council.name, Theme.name)
        .join(Interview, Interview.id == Coding.interview_id)
        .join(Council, Council.id == Interview.council_id)
        .join(Theme, Theme.id == Coding.theme_id)
        .where(Interview.wave_id == wave.id, Coding.variable_id == variable_id)
        .where(Coding.quote.is_(True), Coding.coder != actor.username)
        .order_by(Council.name, Coding.start_offset)
    ).all()
    return [QuoteCandidate(c.id, council, theme, c.passage, c.coder, c.approved_by)
            for c, council, theme in rows]  # fmt: skip


def approve_quote(
    session: Session, *, actor: Actor, coding_id: int, approved: bool = True
) -> None:
    """Approve another coder's quote candidate for the report (or withdraw the approval)."""
    coding = session.get(Coding, coding_id)
    if coding is None or not coding.quote:
        raise NotFound(f"there is no quote candidate {coding_id}", code="coding.not_found")
    interview = get_interview(session, coding.interview_id, for_update=True)
    require_interview(session, actor, CODE, interview)
    if coding.coder == actor.username:
        raise ValueProblem("a quote is approved by a second person, not by whoever marked it")
    theme = session.get(Theme, coding.theme_id)
    assert theme is not None
    coding.approved_by = actor.username if approved else None
    coding.approved_at = utcnow() if approved else None
    log_change(session, actor, interview, coding, theme.name,
             "approved" if approved else "unapproved")  # fmt: skip
    session.commit()


def published_quotes(
    session: Session, *, actor: Actor, wave_key: str, interview_id: int | None = None
) -> list[PublishedQuote]:
    """Approved quotes from the wave's validated submissions, for the report and the
    dashboard (`interview_id`: one submission's, for its council to see which were chosen)."""
    if interview_id is None:
        require(session, actor, "read results", target=f"wave {wave_key}")
    else:
        require_interview(session, actor, "read an interview", get_interview(session, interview_id))
    wave = get_wave(session, wave_key)
    instrument = pinned(wave)
    query = (
        select(Coding, Theme.name, Interview.respondent_role)
        .join(Interview, Interview.id == Coding.interview_id)
        .join(Theme, Theme.id == Coding.theme_id)
        .where(Interview.wave_id == wave.id, Interview.validated_at.is_not(None))
        .where(Coding.quote.is_(True), Coding.approved_by.is_not(None))
        .where(Coding.passage != ERASED)  # its words erased (retention, a person's request)
        .order_by(Coding.variable_id, Theme.name_key, Coding.interview_id, Coding.start_offset)
    )
    if interview_id is not None:
        query = query.where(Interview.id == interview_id)
    return [
        PublishedQuote(c.variable_id, theme, c.passage, _said_by(instrument, role))
        for c, theme, role in session.execute(query)
    ]


def _said_by(instrument: Instrument, role: str | None) -> str:
    """'a Head of Service': the respondent's role, the only attribution a quote gets."""
    if not role or not instrument.has_variable("respondent_role"):
        return "a respondent"
    label = instrument.choice_label("respondent_role", role)
    return f"{'an' if label[:1].lower() in 'aeiou' else 'a'} {label}"
