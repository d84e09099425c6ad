"""Agreement between coders on one open question (Cohen's kappa, Krippendorff's alpha, where
they differ) and the consensus pass that records what was agreed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregation.agreement import cohens_kappa, krippendorff_alpha
from db.models import (
    Coding,
    CodingDecision,
    CodingHistory,
    Council,
    Interview,
    Theme,
    ThemeVariable,
    utcnow,
)
from services import audit
from services.actor import Actor
from services.codings import AGREED, CODE, codable_text, coding_theme
from services.interviews import get_interview, get_wave, interview_target
from services.permissions import require, require_interview


@dataclass(frozen=True)
class Disagreement:
    """A respondent's answer on which the coders differ about one theme, and what was agreed
    in the consensus pass (None until then)."""

    interview_id: int
    council_name: str
    theme: str
    applied_by: tuple[str, ...]
    not_by: tuple[str, ...]
    agreed: bool | None = None


@dataclass(frozen=True)
class ThemeAgreement:
    """How far the coders agree on one theme: over the answers at least two of them coded;
    kappa only where exactly two coders coded, alpha for any number (None: no variation)."""

    theme: str
    compared: int
    kappa: float | None
    alpha: float | None


@dataclass(frozen=True)
class Agreement:
    coders: tuple[str, ...]
    themes: tuple[ThemeAgreement, ...]
    disagreements: tuple[Disagreement, ...]


def coder_agreement(
    session: Session, *, actor: Actor, wave_key: str, variable_id: str
) -> Agreement:
    """Every coder's codings of the question set side by side: per theme, whether each coder
    applied it anywhere in each answer they coded. This shows one coder what another did, so
    a second coder looks once their own pass is done."""
    require(session, actor, CODE, target=f"wave {wave_key} {variable_id}")
    wave = get_wave(session, wave_key)
    rows = session.execute(
        select(Interview.id, Council.name, Coding.coder, Theme.name)
        .join(Interview, Interview.id == Coding.interview_id)
        .join(Council, Council.id == Interview.council_id)
        .join(Theme, Theme.id == Coding.theme_id)
        .where(Interview.wave_id == wave.id, Coding.variable_id == variable_id)
    ).all()
    applied: dict[str, dict[str, set[str]]] = {}  # council -> coder -> themes
    interview_of: dict[str, int] = {}
    for interview_id, council, coder, theme in rows:
        applied.setdefault(council, {}).setdefault(coder, set()).add(theme)
        interview_of[council] = interview_id
    coders = tuple(sorted({coder for _, _, coder, _ in rows}))
    agreed = _decisions(session, wave.id, variable_id)
    names = session.scalars(
        select(Theme.name)
        .join(ThemeVariable, ThemeVariable.theme_id == Theme.id)
        .where(Theme.wave_id == wave.id, ThemeVariable.variable_id == variable_id)
        .order_by(Theme.name_key)
    ).all()
    shared = {c: by for c, by in sorted(applied.items()) if len(by) > 1}
    themes, disagreements = [], []
    for theme in names:
        units = [{coder: theme in found for coder, found in by.items()} for by in shared.values()]
        pairs = [[u[c] for c in coders] for u in units if len(u) == 2 == len(coders)]
        kappa = cohens_kappa(*zip(*pairs, strict=True)) if pairs else None
        themes.append(ThemeAgreement(theme, len(units), kappa, krippendorff_alpha(units)))
        for council, unit in zip(shared, units, strict=True):
            if len(set(unit.values())) > 1:
                said = tuple(c for c in coders if unit.get(c))
                others = tuple(c for c in coders if c in unit and not unit[c])
                interview_id = interview_of[council]
                decided = agreed.get((interview_id, theme))
                disagreements.append(
                    Disagreement(interview_id, council, theme, said, others, decided)
                )
    return Agreement(coders, tuple(themes), tuple(disagreements))


def record_agreement(
    session: Session,
    *,
    actor: Actor,
    interview_id: int,
    variable_id: str,
    theme: str,
    applies: bool,
) -> None:
    """The consensus pass: whether the theme applies to this answer, as the coders agreed; it
    stands in the counts over what each coder applied."""
    interview = get_interview(session, interview_id, for_update=True)
    require_interview(session, actor, CODE, interview)
    codable_text(session, interview, variable_id)
    found = coding_theme(session, interview, variable_id, theme)
    decision = session.scalar(
        select(CodingDecision).where(
            CodingDecision.interview_id == interview_id,
            CodingDecision.variable_id == variable_id,
            CodingDecision.theme_id == found.id,
        )
    )
    if decision is None:
        decision = CodingDecision(interview_id=interview_id, variable_id=variable_id,
                                  theme_id=found.id, applies=applies)  # fmt: skip
        session.add(decision)
    decision.applies, decision.decided_by, decision.decided_at = applies, actor.username, utcnow()
    said = "applies" if applies else "does not apply"
    session.add(CodingHistory(interview_id=interview_id, variable_id=variable_id,
                              theme=found.name, coder=AGREED, start_offset=0, end_offset=0,
                              change="agreed" if applies else "agreed not",
                              changed_by=actor.username))  # fmt: skip
    audit.record(session, actor=actor, action="coding.agree",
                 target=interview_target(interview, variable_id),
                 new=f"{found.name!r} {said} (agreed)")  # fmt: skip
    session.commit()


def _decisions(session: Session, wave_id: int, variable_id: str) -> dict[tuple[int, str], bool]:
    """What the consensus pass agreed, by (interview, theme name)."""
    rows = session.execute(
        select(CodingDecision.interview_id, Theme.name, CodingDecision.applies)
        .join(Theme, Theme.id == CodingDecision.theme_id)
        .where(Theme.wave_id == wave_id, CodingDecision.variable_id == variable_id)
    ).all()
    return {(interview_id, theme): applies for interview_id, theme, applies in rows}
