"""Response figures for a wave: how many councils are where in fieldwork."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from instrument.vocabulary import InterviewStatus


@dataclass(frozen=True)
class ResponseFigures:
    eligible: int
    completed: int
    declined: int
    in_progress: int
    scheduled: int
    not_contacted: int

    @property
    def response_rate(self) -> float:
        """AAPOR RR1: completed interviews over eligible councils."""
        return self.completed / self.eligible if self.eligible else 0.0

    @property
    def headline(self) -> str:
        """E.g. '31 of 32 councils interviewed (96.9%)'."""
        return (
            f"{self.completed} of {self.eligible} councils interviewed "
            f"({self.response_rate * 100:.1f}%)"
        )


def response_figures(statuses: Iterable[str]) -> ResponseFigures:
    counts = Counter(statuses)
    return ResponseFigures(
        eligible=sum(counts.values()),
        completed=counts[InterviewStatus.COMPLETED],
        declined=counts[InterviewStatus.DECLINED],
        in_progress=counts[InterviewStatus.IN_PROGRESS],
        scheduled=counts[InterviewStatus.SCHEDULED],
        not_contacted=counts[InterviewStatus.NOT_CONTACTED],
    )
