"""Publication safety: which interviews a figure counts, and which figures are too small to show.

Done as statistical disclosure control is done in official statistics. The published view
(the default everywhere a figure leaves by) counts only councils that have validated their
submission, and withholds any figure whose base, the councils it describes, is below the
wave's threshold (5 unless set otherwise): it reads "fewer than 5" and no count. Secondary
suppression stops a withheld figure being worked out by subtraction: a cross-tabulation
withholds a second line beside a lone withheld one, and a filter is refused when the councils
it leaves out, as well as those it keeps, are too few (the national figure minus the filtered
one would describe them). The draft view counts every completed interview, withholds nothing,
and says so on every exhibit; it is for the audit team, never for publication.

The rule protects groups, not cells: "one respondent did not answer" of 31 is published, as
the 2012 report did, since it names nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from aggregation.counts import Tally
from aggregation.wording import agree, in_sentence, noun_plural, number_words
from instrument.errors import SurveyError

DEFAULT_THRESHOLD = 5
WITHHELD = "withheld"  # what a withheld cell holds in a table shown on screen
DRAFT_MARK = "Draft view: counts councils that have not yet validated. Not for publication."


class FilterRefused(SurveyError):
    """A filter that would publish figures about too few councils."""

    code = "results.filter_refused"


@dataclass(frozen=True)
class View:
    """How a wave's figures are counted: published (validated councils only, small bases
    withheld) or draft (every completed interview, nothing withheld, marked as draft)."""

    draft: bool = False
    threshold: int = DEFAULT_THRESHOLD

    def withholds(self, base: int) -> bool:
        """A figure over `base` councils is not shown: published, and 1 to threshold − 1
        (a base of 0 describes nobody)."""
        return not self.draft and 0 < base < self.threshold

    @property
    def fewer_than(self) -> str:
        return f"fewer than {self.threshold}"


PUBLISHED = View()
DRAFT = View(draft=True)


def withhold(tallies: dict[str, Tally], view: View) -> dict[str, Tally]:
    """Each tally over too small a base replaced by a withheld one: no count, no base, no
    non-response and no routed-out figure (the completed interviews minus it give the base)."""
    return {vid: _withheld(t, view) if view.withholds(t.base) else t for vid, t in tallies.items()}


def _withheld(tally: Tally, view: View) -> Tally:
    return replace(
        tally, base=0, counts=dict.fromkeys(tally.counts, 0), no_answer=0, dont_know=0,
        not_applicable=0, answered=0, n=None, median=None, min=None, max=None,
        withheld_below=view.threshold,
    )  # fmt: skip


def refusal(view: View, kept: int, counted: int, what: str, member: str = "council") -> str | None:
    """Why a filter keeping `kept` of the `counted` interviews may not be shown (None: it may).

    Refused when it keeps too few, or when it leaves out too few: the national figures less
    the filtered ones would then describe the councils left out."""
    if view.draft or kept == counted:
        return None
    members = noun_plural(member)
    if kept < view.threshold:
        return too_few(view, kept, what, member)
    if counted - kept < view.threshold:
        left = counted - kept
        return (f"{what} would leave out only {left} {agree(left, member, members)}, "
                f"{view.fewer_than}: the national figures less these would show "
                "theirs.")  # fmt: skip
    return None


def too_few(view: View, kept: int, what: str, member: str = "council") -> str:
    """'… would count 3 councils, fewer than 5: figures about so few councils are not
    published.'"""
    members = noun_plural(member)
    return (f"{what} would count {kept} {agree(kept, member, members)}, {view.fewer_than}: "
            f"figures about so few {members} are not published.")  # fmt: skip


def view_sentence(view: View, counted: int, waiting: int, member: str = "council") -> str:
    """What the figures count, said above them: e.g. 'Figures count the 20 councils that have
    validated their submission; 11 more interviewed are left out until they validate.'
    `waiting`: completed interviews not yet validated (left out, or in the draft counted)."""
    members = noun_plural(member)
    if view.draft:
        said = "Draft view, not for publication: figures count every completed interview "
        said += f"({counted})"
        if not waiting:
            return said + (", each validated." if counted else ".")
        whose = f"{agree(waiting, 'its', 'their')} {agree(waiting, member, members)}"
        which = "" if counted == 1 else f"{waiting} of them "
        return said + f", {which}not yet validated by {whose}."
    said = (f"Figures count the {counted} {agree(counted, member, members)} that "
            f"{agree(counted, 'has', 'have')} validated {agree(counted, 'its', 'their')} "
            "submission")  # fmt: skip
    if waiting:
        said += (f"; {waiting} more interviewed {agree(waiting, 'is', 'are')} left out until "
                 f"{agree(waiting, 'it validates', 'they validate')}")  # fmt: skip
    said += "."
    if counted < view.threshold:
        said += (f" With {view.fewer_than} {members} counted, no figure is published yet.")
    else:
        said += (f" A figure about {view.fewer_than} {members} reads “{view.fewer_than}” "
                 "and is not shown.")  # fmt: skip
    return said


def withheld_sentence(tally: Tally, member: str = "council") -> str:
    """The report's sentence for a withheld tally."""
    threshold = tally.withheld_below or DEFAULT_THRESHOLD
    return (f"Fewer than {number_words(threshold)} {noun_plural(member)} were counted for "
            f"{in_sentence(tally.label)}, so what they said is not published.")  # fmt: skip


def withheld_groups(sizes: Mapping[str, int], view: View) -> set[str]:
    """Of groups that add up to a published whole (the roles, or the councils a filter keeps
    and those it leaves out, or a table's rows), those withheld: each about too few councils,
    then the smallest others, until together they are enough that subtracting the rest from
    the whole shows no fewer than the threshold (secondary suppression)."""
    if view.draft:
        return set()
    hidden = {g for g, n in sizes.items() if view.withholds(n)}
    others = sorted((n, g) for g, n in sizes.items() if n > 0 and g not in hidden)
    while hidden and sum(sizes[g] for g in hidden) < view.threshold and others:
        hidden.add(others.pop(0)[1])
    return hidden


def withhold_within(
    tallies: dict[str, Tally], bases: Mapping[str, Mapping[str, int]], group: str, view: View
) -> dict[str, Tally]:
    """A filtered view's tallies (those of `group`, one of the groups whose `bases`, by
    variable, add up to the national figures'), each withheld where the group's base or, by
    subtraction, another's would describe too few councils."""
    return {
        vid: _withheld(t, view)
        if group in withheld_groups({g: of.get(vid, 0) for g, of in bases.items()}, view)
        and not t.withheld_below else t
        for vid, t in tallies.items()
    }  # fmt: skip


def withheld_lines(
    table: pd.DataFrame, view: View, groups: Mapping[str, pd.DataFrame] | None = None,
    group: str = "",
) -> tuple[list[str], list[str]]:
    """The rows and the columns of a cross-tabulation of counts (no totals) withheld: about
    too few councils, with the smallest others beside them (`withheld_groups`). Under a
    filter, `groups` are the same table for each group adding up to the whole (this one is
    `group`'s): a line is withheld too where subtracting would show another group's line."""
    if view.draft or table.empty:
        return [], []
    lines: list[list[str]] = []
    for axis in (1, 0):
        totals = table.sum(axis=axis)
        hidden = withheld_groups({str(k): int(n) for k, n in totals.items()}, view)
        by_group = {g: t.sum(axis=axis) for g, t in (groups or {}).items()}  # once per axis
        for line in totals.index:
            across = {g: int(sums.get(line, 0)) for g, sums in by_group.items()}
            if across and group in withheld_groups(across, view):
                hidden.add(str(line))
        lines.append([str(k) for k in totals.index if str(k) in hidden])
    return lines[0], lines[1]
