"""Response figures for a wave: how many members of its frame (councils, partnerships) are
where in fieldwork."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aggregation.wording import noun_plural
from instrument.vocabulary import InterviewStatus


@dataclass(frozen=True)
class ResponseFigures:
    eligible: int
    completed: int
    declined: int
    in_progress: int
    scheduled: int
    not_contacted: int
    member: str = "council"  # what one of the wave's sample frame is called ("partnership")

    @property
    def members(self) -> str:
        """The frame's word in the plural: 'councils', 'partnerships'."""
        return noun_plural(self.member)

    @property
    def response_rate(self) -> float:
        """AAPOR RR1: completed interviews over eligible councils."""
        return self.completed / self.eligible if self.eligible else 0.0

    @property
    def headline(self) -> str:
        """E.g. '31 of 32 councils interviewed (96.9%)'."""
        return (
            f"{self.completed} of {self.eligible} {self.members} interviewed "
            f"({self.response_rate * 100:.1f}%)"
        )


def response_figures(statuses: Iterable[str], member: str = "council") -> ResponseFigures:
    """From each interview's status."""
    return figures_counted(Counter(statuses), member)


def figures_counted(counts: Mapping[str, int], member: str = "council") -> ResponseFigures:
    """From how many interviews are in each status: the same whatever the number."""
    counts = Counter(counts)
    return ResponseFigures(
        member=member,
        eligible=sum(counts.values()),
        completed=counts[InterviewStatus.COMPLETED],
        declined=counts[InterviewStatus.DECLINED],
        in_progress=counts[InterviewStatus.IN_PROGRESS],
        scheduled=counts[InterviewStatus.SCHEDULED],
        not_contacted=counts[InterviewStatus.NOT_CONTACTED],
    )
