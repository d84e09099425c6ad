"""A wave's results in one value: response figures and every tally, from plain tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from aggregation.counts import tally_from_counts
from aggregation.response import ResponseFigures, response_figures
from aggregation.tally import Answers, Tally, completed_answers, tally_all
from instrument.schedule import Instrument


@dataclass(frozen=True)
class WaveResults:
    wave_key: str
    instrument: Instrument
    interviews: pd.DataFrame  # every council in the wave, any status
    answers: Answers  # completed interviews only
    figures: ResponseFigures
    tallies: dict[str, Tally]


def wave_results(
    wave_key: str,
    instrument: Instrument,
    interviews: pd.DataFrame,
    answers: pd.DataFrame,
    *,
    respondent_roles: list[str] | None = None,
    member: str = "council",
) -> WaveResults:
    """Tally the completed interviews; `respondent_roles` narrows the tallies to those roles.

    Response figures always describe the whole wave, so a filtered view never hides who
    did not take part.
    """
    figures = response_figures(interviews["status"], member)
    chosen = interviews
    if respondent_roles is not None:
        chosen = interviews[interviews["respondent_role"].isin(respondent_roles)]
    completed = completed_answers(instrument, chosen, answers)
    return WaveResults(
        wave_key, instrument, interviews, completed, figures, tally_all(instrument, completed)
    )


@dataclass(frozen=True)
class WaveReport:
    """Response figures and every tally, without any interview's answers: what reports print."""

    wave_key: str
    instrument: Instrument
    figures: ResponseFigures
    tallies: dict[str, Tally]


def wave_report(
    wave_key: str,
    instrument: Instrument,
    statuses: Mapping[str, int],
    counts: pd.DataFrame,
    member: str = "council",
) -> WaveReport:
    """From the wave's interviews by status and the counts table of its completed interviews
    (`aggregation.counts`); the same figures and tallies as `wave_results` on the same data."""
    figures = response_figures(Counter(statuses).elements(), member)
    return WaveReport(wave_key, instrument, figures, tally_from_counts(instrument, counts))
