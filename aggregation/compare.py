"""What changed between two waves: for each closed variable both waves asked with the same codes
(or renamed, with `same_as:` in the newer schedule), the other wave's tally and the change in
percentage points; every variable not compared, with why. Pure: two reports in, plain data out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aggregation.report import tally_dict
from aggregation.results import WaveReport
from aggregation.tally import Tally
from aggregation.wording import agree, in_sentence, noun_plural, number_text

PP_DIGITS = 1


@dataclass(frozen=True)
class VariableChange:
    variable_id: str
    other_id: str  # the variable in the other wave: the same id, or the one it is `same_as`
    now: Tally
    then: Tally

    def share(self, tally: Tally, code: str) -> float | None:
        n = tally.counts.get(code, 0)
        return 100 * n / tally.base if tally.base else None

    def change_pp(self) -> dict[str, float | None]:
        """Per code: its share of the base now less its share then, in percentage points."""
        changes: dict[str, float | None] = {}
        for code in self.now.counts:
            now, then = self.share(self.now, code), self.share(self.then, code)
            changes[code] = None if now is None or then is None else round(now - then, PP_DIGITS)
        return changes


@dataclass(frozen=True)
class WaveComparison:
    wave: str  # this wave
    other_wave: str
    compared: tuple[VariableChange, ...]
    not_compared: dict[str, str]  # variable id -> why, in words
    frames_differ: str | None = None  # said wherever the comparison is shown, if the waves
    # surveyed different kinds of organisation (councils against partnerships)
    member: str = "council"  # what one of this wave's respondents is ("partnership")
    dropped: dict[str, str] = field(default_factory=dict)  # the other wave's questions this
    # one does not ask (by id or `same_as`): id -> label


def compare_waves(
    now: WaveReport, then: WaveReport, *, frames: tuple[str, str] | None = None
) -> WaveComparison:
    """Every closed variable of `now`, compared with `then` where that is sound. `frames`, the
    two waves' sample frames, are compared too: different ones are never mixed silently."""
    compared, not_compared = [], {}
    for vid, tally in now.tallies.items():
        variable = now.instrument.variable(vid) if now.instrument.has_variable(vid) else None
        other = (variable.same_as if variable is not None else None) or vid
        previous = then.tallies.get(other)
        if previous is None:
            not_compared[vid] = f"not asked in wave {then.wave_key}"
        elif tally.withheld_below or previous.withheld_below:
            hidden = now if tally.withheld_below else then
            not_compared[vid] = (f"withheld in wave {hidden.wave_key}: fewer than "
                                 f"{hidden.view.threshold} counted")  # fmt: skip
        elif tally.numeric or previous.numeric:
            not_compared[vid] = "a figure, not codes: compare the medians in the two reports"
        elif previous.base == 0:
            not_compared[vid] = f"nobody in wave {then.wave_key} was asked it yet (base 0)"
        elif list(tally.counts) != list(previous.counts):
            not_compared[vid] = (
                f"its codes differ (wave {now.wave_key}: {', '.join(tally.counts)}; "
                f"wave {then.wave_key}: {', '.join(previous.counts)})"
            )
        else:
            compared.append(VariableChange(vid, other, tally, previous))
    variables = (*now.instrument.record_variables, *now.instrument.questions)
    asked = set(now.tallies) | {v.same_as for v in variables if v.same_as}
    dropped = {vid: t.label for vid, t in then.tallies.items() if vid not in asked}
    differ = None
    if frames and frames[0] != frames[1]:
        differ = (
            f"Wave {now.wave_key} surveyed {frames[0]} and wave {then.wave_key} surveyed "
            f"{frames[1]}: the figures compare different organisations."
        )
    return WaveComparison(
        now.wave_key,
        then.wave_key,
        tuple(compared),
        not_compared,
        differ,
        now.figures.member,
        dropped,
    )


def comparison_dict(comparison: WaveComparison) -> dict[str, Any]:
    """The comparison as the JSON report carries it, in the newer schedule's order."""
    return {
        "wave": comparison.other_wave,
        "frames_differ": comparison.frames_differ,
        "variables": {
            c.variable_id: {
                "other_variable": c.other_id,
                "other": tally_dict(c.then),
                "change_pp": c.change_pp(),
            }
            for c in comparison.compared
        },
        "not_compared": dict(comparison.not_compared),
        "not_asked_now": dict(comparison.dropped),
    }


def change_sentence(change: VariableChange, other_wave: str, member: str = "council") -> str:
    """The report's way of saying it, for the answer most gave now: "Twenty councils now said
    'Yes' to planning with users, up from 14 in 2011." Counts, not shares, as the report writes;
    a base that changed is said too."""
    now, then = change.now, change.then
    code = max(now.counts, key=lambda c: (now.counts[c], -list(now.counts).index(c)))
    n_now, n_then = now.counts[code], then.counts.get(code, 0)
    if n_now > n_then:
        movement = f"up from {n_then} in {other_wave}"
    elif n_now < n_then:
        movement = f"down from {n_then} in {other_wave}"
    else:
        movement = f"as in {other_wave}"
    label = now.choice_labels.get(code, code)
    sentence = (
        f"{number_text(n_now, sentence_start=True)} {agree(n_now, member, noun_plural(member))} "
        f"now answered '{label}' on {in_sentence(now.label)}, {movement}"
    )
    if now.base != then.base:
        sentence += f" (bases {now.base} and {then.base})"
    return sentence + "."


def markdown_lines(comparison: WaveComparison) -> dict[str, list[str]]:
    """Under each variable of the Markdown report: the sentence and the change per answer, or
    why it is not compared."""
    other = comparison.other_wave
    lines: dict[str, list[str]] = {}
    warning = [f"**{comparison.frames_differ}**"] if comparison.frames_differ else []
    for change in comparison.compared:
        moves = "; ".join(
            f"{change.now.choice_labels.get(code, code)} "
            + ("no base" if pp is None else f"{pp:+.{PP_DIGITS}f}")
            for code, pp in change.change_pp().items()
        )
        lines[change.variable_id] = [
            *warning,  # said once, above the first comparison
            change_sentence(change, other, comparison.member),
            f"Change since wave {other}, percentage points of each base: {moves}.",
        ]
        warning = []
    for vid, why in comparison.not_compared.items():
        lines[vid] = [f"Not compared with wave {other}: {why}."]
    return lines


def dropped_heading(comparison: WaveComparison) -> str:
    return f"Asked in wave {comparison.other_wave}, not in wave {comparison.wave}"


def dropped_lines(comparison: WaveComparison) -> list[str]:
    """The Markdown report's closing section: the other wave's questions this one dropped."""
    if not comparison.dropped:
        return []
    items = [f"- {label} (`{vid}`)" for vid, label in comparison.dropped.items()]
    return ["", f"## {dropped_heading(comparison)}", "", *items]


def change_table(change: VariableChange, wave: str, other_wave: str) -> dict[str, list[Any]]:
    """The table beside a compared question: each answer's '12 (39%)' in each wave and the
    change in points (the reserved answers' shares too, each of its own base)."""
    now, then = change.now, change.then
    labels = [*(now.choice_labels.get(c, c) for c in now.counts), "Did not answer", "Don't know"]
    counts_now = [*now.counts.values(), now.no_answer, now.dont_know]
    counts_then = [*(then.counts.get(c, 0) for c in now.counts), then.no_answer, then.dont_know]

    def shown(n: int, base: int) -> str:
        return f"{n} ({round(100 * n / base)}%)" if base else str(n)

    def points(a: int, b: int) -> str:
        if not now.base or not then.base:
            return ""
        return f"{100 * a / now.base - 100 * b / then.base:+.{PP_DIGITS}f}"

    return {
        "Answer": labels,
        f"Wave {wave} (base {now.base})": [shown(n, now.base) for n in counts_now],
        f"Wave {other_wave} (base {then.base})": [shown(n, then.base) for n in counts_then],
        "Change (points)": [points(a, b) for a, b in zip(counts_now, counts_then, strict=True)],
    }
