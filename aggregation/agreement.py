"""How far coders agree: Cohen's kappa for two coders and Krippendorff's alpha (nominal, any
number of coders, missing codings allowed), as the coding literature reports reliability.

Pure and small enough to check by hand; the tests hold them to the textbook examples (Cohen's
kappa 0.4 on the 50-item table in most statistics texts; alpha 0.743 on Krippendorff's own
nominal example of 4 coders and 12 units with gaps)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from itertools import permutations

Value = Hashable


def cohens_kappa(first: Sequence[Value], second: Sequence[Value]) -> float | None:
    """Agreement between two coders' values on the same units, beyond what chance gives;
    None when chance alone would agree on everything (both always gave one same value)."""
    if len(first) != len(second):
        raise ValueError("the two coders must have coded the same units")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    counts_first, counts_second = Counter(first), Counter(second)
    expected = sum(counts_first[v] * counts_second[v] for v in counts_first) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(units: Sequence[Mapping[str, Value]]) -> float | None:
    """Krippendorff's alpha for nominal values: `units` gives, per unit, each coder's value
    (a coder who did not code it is simply absent). Units with fewer than two values are
    not pairable and left out; None when there is no variation to measure agreement on."""
    coincidences: defaultdict[tuple[Value, Value], float] = defaultdict(float)
    for unit in units:
        values = list(unit.values())
        m = len(values)
        if m < 2:
            continue
        for a, b in permutations(values, 2):
            coincidences[(a, b)] += 1 / (m - 1)
    totals: defaultdict[Value, float] = defaultdict(float)
    for (a, _), weight in coincidences.items():
        totals[a] += weight
    n = sum(totals.values())
    if n <= 1:
        return None
    observed = sum(w for (a, b), w in coincidences.items() if a != b)
    expected = sum(totals[a] * totals[b] for a in totals for b in totals if a != b) / (n - 1)
    if expected == 0:
        return None
    return 1 - observed / expected
