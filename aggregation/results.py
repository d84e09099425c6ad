"""A wave's results in one value: response figures and every tally, from plain tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from aggregation.counts import CountRow, tally_from_counts
from aggregation.disclosure import (
    FilterRefused,
    View,
    refusal,
    too_few,
    withheld_groups,
    withhold,
    withhold_within,
)
from aggregation.response import ResponseFigures, figures_counted, response_figures
from aggregation.tally import COMPLETED, Answers, Tally, answering, completed_answers, tally_all
from aggregation.wording import noun_plural
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
    # A published filter's groups, adding up to the national figures (`_partition`): a table
    # under the filter is checked against them too. Empty without a filter.
    partition: dict[str, Answers] = field(default_factory=dict)
    group: str = ""  # which of the partition's groups these figures are
    waiting: int = 0  # completed interviews not yet validated (left out unless in the draft)


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
    tallies: dict[str, Tally] | None = None,
) -> WaveResults:
    """Tally the completed interviews the view counts; `respondent_roles` and `answer_filter`
    narrow the tallies, refused (`FilterRefused`) where the published view would then
    describe too few councils, kept or left out. `tallies` already counted elsewhere (the
    counters, in the same view and filter, withheld alike) are taken as they are.

    Response figures always describe the whole wave, so a filtered view never hides who
    did not take part.
    """
    figures = response_figures(interviews["status"], member)
    counted = counted_interviews(interviews, view)
    everyone = completed_answers(instrument, counted, answers)
    chosen = everyone
    if respondent_roles is not None:
        roles = counted["respondent_role"].isin(respondent_roles)
        chosen = completed_answers(instrument, counted[roles], answers)
    if answer_filter is not None:
        chosen = answering(instrument, chosen, *answer_filter)
    counted_already = tallies is not None
    if tallies is None:
        tallies = withhold(tally_all(instrument, chosen), view)
    partition: dict[str, Answers] = {}
    group = ""
    if chosen is not everyone and not view.draft:
        what = filter_words(instrument, respondent_roles, answer_filter)
        partition, group = _partition(instrument, everyone, respondent_roles, answer_filter, what)
        check_group(view, what, group, {g: a.count for g, a in partition.items()}, member)
        if not counted_already:
            bases = {g: {v: t.base for v, t in tally_all(instrument, a).items()}
                     for g, a in partition.items()}  # fmt: skip
            tallies = withhold_within(tallies, bases, group, view)
    done = interviews[interviews["status"] == COMPLETED]
    waiting = int((~done["validated"].astype(bool)).sum()) if "validated" in done else 0
    return WaveResults(wave_key, instrument, interviews, chosen, figures, tallies, view,
                       everyone.count, partition, group, waiting)  # fmt: skip


KEPT, LEFT_OUT, NO_ROLE = "kept", "left out", "(no role recorded)"


def _partition(
    instrument: Instrument,
    everyone: Answers,
    roles: list[str] | None,
    answer_filter: AnswerFilter | None,
    what: str,
) -> tuple[dict[str, Answers], str]:
    """The groups a published filter's figures sit among, adding up to the national ones,
    and which of them it shows: one role among all the roles, or those who gave an answer
    and those who did not. Anything else could be subtracted from another view to show a
    group of its own, so it is refused."""
    if roles is not None and answer_filter is not None:
        raise FilterRefused(f"{what}: in the published view figures are narrowed by one filter "
                            "at a time (two together, or each alone, could be subtracted to show "
                            "a smaller group); the draft view combines them.")  # fmt: skip
    if answer_filter is not None:
        kept = answering(instrument, everyone, *answer_filter)
        rest = ~everyone.interviews.index.isin(kept.interviews.index)
        return {KEPT: kept, LEFT_OUT: everyone.subset(rest)}, KEPT
    assert roles is not None
    one_role_at_a_time(roles, what)
    held = everyone.interviews["respondent_role"].fillna(NO_ROLE).to_numpy()
    groups = {str(r): everyone.subset(held == r) for r in sorted(set(held))}
    return groups | {roles[0]: everyone.subset(held == roles[0])}, roles[0]


def one_role_at_a_time(roles: list[str], what: str) -> None:
    """The published view shows one role's figures, or everyone's: two roles together less
    one of them (or the whole less some) would show a group of its own."""
    if len(roles) != 1:
        raise FilterRefused(f"{what}: in the published view figures are shown for one role at a "
                            "time, or for all (roles together could be subtracted from one "
                            "another to show a smaller group); the draft view combines "
                            "them.")  # fmt: skip


def check_group(view: View, what: str, group: str, sizes: dict[str, int], member: str) -> None:
    """Refuse the filter if its group (of `sizes`, groups adding up to everyone counted) is
    withheld: too few itself, or needed to keep a smaller one from being worked out."""
    if sizes[group] < view.threshold or group in withheld_groups(sizes, view):
        raise FilterRefused(_refusal(view, what, group, sizes, member))


def _refusal(view: View, what: str, group: str, sizes: dict[str, int], member: str) -> str:
    """Why a filter's group is withheld: too few itself, or too few left beside it."""
    kept = sizes[group]
    reason = refusal(view, kept, sum(sizes.values()), what, member) if len(sizes) == 2 else None
    if reason:
        return reason
    if kept < view.threshold:
        return too_few(view, kept, what, member)
    members = noun_plural(member)
    return (f"{what} would let a smaller group be worked out: some other group of {members} is "
            f"{view.fewer_than}, and the national figures less this one and the rest would "
            "show theirs.")  # fmt: skip


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
    waiting: int = 0  # completed interviews not yet validated (left out unless in the draft)


def wave_report(
    wave_key: str,
    instrument: Instrument,
    statuses: Mapping[str, int],
    counts: pd.DataFrame | Iterable[CountRow],
    *,
    view: View,
    counted: int,
    waiting: int = 0,
    member: str = "council",
) -> WaveReport:
    """From the wave's interviews by status and the counts table of the completed interviews
    the view counts (`aggregation.counts`); the same figures and tallies as `wave_results` on
    the same data, small bases withheld alike."""
    figures = figures_counted(statuses, member)
    tallies = withhold(tally_from_counts(instrument, counts), view)
    return WaveReport(wave_key, instrument, figures, tallies, view, counted, waiting)
