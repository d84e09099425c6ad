"""A wave's results in one value: response figures and every tally, from plain tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from aggregation.counts import tally_from_counts
from aggregation.disclosure import FilterRefused, View, refusal, withhold
from aggregation.response import ResponseFigures, response_figures
from aggregation.tally import COMPLETED, Answers, Tally, answering, completed_answers, tally_all
from instrument.progress import question_name
from instrument.schedule import Instrument


@dataclass(frozen=True)
class WaveResults:
    wave_key: str
    instrument: Instrument
    interviews: pd.DataFrame  # every council in the wave, any status
    answers: Answers  # the completed interviews counted (the view's, then the filters')
    figures: ResponseFigures
    tallies: dict[str, Tally]
    view: View
    counted: int  # completed interviews the view counts, before any filter


# A filter by one closed answer: (variable id, choice code), e.g. ("q20_tendered_recently", "yes")
AnswerFilter = tuple[str, str]


def counted_interviews(interviews: pd.DataFrame, view: View) -> pd.DataFrame:
    """The completed interviews a view counts: all of them in the draft, else only those whose
    council has validated (the `validated` column)."""
    done = interviews[interviews["status"] == COMPLETED]
    return done if view.draft else done[done["validated"].astype(bool)]


def wave_results(
    wave_key: str,
    instrument: Instrument,
    interviews: pd.DataFrame,
    answers: pd.DataFrame,
    *,
    view: View,
    respondent_roles: list[str] | None = None,
    answer_filter: AnswerFilter | None = None,
    member: str = "council",
) -> WaveResults:
    """Tally the completed interviews the view counts; `respondent_roles` and `answer_filter`
    narrow the tallies, refused (`FilterRefused`) where the published view would then
    describe too few councils, kept or left out.

    Response figures always describe the whole wave, so a filtered view never hides who
    did not take part.
    """
    figures = response_figures(interviews["status"], member)
    counted = counted_interviews(interviews, view)
    everyone = completed_answers(instrument, counted, answers)
    chosen, coarser = everyone, [everyone.count]
    if respondent_roles is not None:
        roles = counted["respondent_role"].isin(respondent_roles)
        chosen = completed_answers(instrument, counted[roles], answers)
    if answer_filter is not None:
        if respondent_roles is not None:  # each filter alone is seen too: compare with both
            coarser += [chosen.count, answering(instrument, everyone, *answer_filter).count]
        chosen = answering(instrument, chosen, *answer_filter)
    if chosen is not everyone:
        what = filter_words(instrument, respondent_roles, answer_filter)
        for total in coarser:
            reason = refusal(view, chosen.count, total, what, member)
            if reason:
                raise FilterRefused(reason)
    tallies = withhold(tally_all(instrument, chosen), view)
    return WaveResults(
        wave_key, instrument, interviews, chosen, figures, tallies, view, everyone.count
    )


def filter_words(
    instrument: Instrument, roles: list[str] | None, answer_filter: AnswerFilter | None
) -> str:
    """'Showing only respondents in the role Director of Social Work who answered “Yes” to
    Q20 Tendered recently'."""
    words = "Showing only respondents"
    if roles is not None:
        labels = [instrument.choice_label("respondent_role", r) for r in roles]
        words += f" in the role {' or '.join(labels)}"
    if answer_filter is not None:
        variable = instrument.variable(answer_filter[0])
        label = instrument.choice_label(variable, answer_filter[1])
        words += f" who answered “{label}” to {question_name(variable)}"
    return words


@dataclass(frozen=True)
class WaveReport:
    """Response figures and every tally, without any interview's answers: what reports print."""

    wave_key: str
    instrument: Instrument
    figures: ResponseFigures
    tallies: dict[str, Tally]
    view: View
    counted: int  # completed interviews the view counts


def wave_report(
    wave_key: str,
    instrument: Instrument,
    statuses: Mapping[str, int],
    counts: pd.DataFrame,
    *,
    view: View,
    counted: int,
    member: str = "council",
) -> WaveReport:
    """From the wave's interviews by status and the counts table of the completed interviews
    the view counts (`aggregation.counts`); the same figures and tallies as `wave_results` on
    the same data, small bases withheld alike."""
    figures = response_figures(Counter(statuses).elements(), member)
    tallies = withhold(tally_from_counts(instrument, counts), view)
    return WaveReport(wave_key, instrument, figures, tallies, view, counted)
