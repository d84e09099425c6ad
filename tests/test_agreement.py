"""Agreement between coders, held to the textbook examples and worked by hand."""

from __future__ import annotations

import pytest

from aggregation.agreement import cohens_kappa, krippendorff_alpha


def test_cohens_kappa__the_textbook_50_items_give_0_4() -> None:
    """20 both yes, 5 yes/no, 10 no/yes, 15 both no: observed 0.7, chance 0.5, kappa 0.4."""
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohens_kappa(first, second) == pytest.approx(0.4)
    assert cohens_kappa(first, first) == pytest.approx(1.0)


def test_cohens_kappa__no_variation__or_nothing_to_compare__is_none_not_a_number() -> None:
    assert cohens_kappa([True] * 4, [True] * 4) is None
    assert cohens_kappa([], []) is None
    with pytest.raises(ValueError, match="same units"):
        cohens_kappa([True], [True, False])


def test_krippendorffs_alpha__his_nominal_example_of_4_coders_and_12_units_gives_0_743() -> None:
    """Krippendorff, 'Computing Krippendorff's alpha-reliability' (2011), the nominal example
    with missing values: alpha = 0.743."""
    coded = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    units = [{c: v[i] for c, v in coded.items() if v[i] is not None} for i in range(12)]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=0.0005)


def test_krippendorffs_alpha__two_coders_by_hand__single_codings_left_out() -> None:
    """Two coders, four answers, one disagreement, and an answer only one coded: the
    coincidences are yes-yes 2, no-no 4, yes-no 1, no-yes 1 (n = 8), so alpha = 1 - 2 / (2 * 3 *
    5 / 7) = 8/15."""
    units = [{"a": True, "b": True}, {"a": False, "b": False}, {"a": False, "b": False},
             {"a": True, "b": False}, {"a": True}]  # fmt: skip
    assert krippendorff_alpha(units) == pytest.approx(1 - 2 / (2 * 3 * 5 / 7))
    assert krippendorff_alpha([{"a": True, "b": True}]) is None  # no variation
    assert krippendorff_alpha([{"a": True}]) is None  # nothing pairable
