"""The instrument loader refuses a broken schedule with every problem named; values and routing."""

from __future__ import annotations

import textwrap

import pytest

from instrument import InstrumentError, load_instrument
from instrument.loader import parse_instrument
from instrument.values import ValueProblem, normalise, parse_percent

MINIMAL = """
instrument: test
title: Test schedule
introduction: Hello.
choice_lists:
  usefulness:
    - {code: very_useful, label: Very useful}
    - {code: not_useful, label: Not useful}
parts:
  - id: C
    title: Guidance
    variables:
      - {id: q11_used, number: "11", type: yesno, label: Used, text: "Have you used it?"}
      - id: q11a_useful
        number: 11a
        type: single
        choices: usefulness
        label: Usefulness
        text: How useful?
        asked_if: q11_used = yes
"""


def test_minimal_schedule_loads_and_bare_yes_is_a_code_not_a_boolean() -> None:
    instrument = parse_instrument(MINIMAL)
    assert [v.id for v in instrument.questions] == ["q11_used", "q11a_useful"]
    assert instrument.condition("q11a_useful").groups[0][0].code == "yes"


def _broken(replacements: dict[str, str]) -> str:
    text = MINIMAL
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type: yesno": "type: boolean"}, "variable q11_used: unknown type 'boolean'"),
        ({"id: q11a_useful": "id: q11_used"}, "variable q11_used: duplicate id (2 times)"),
        (
            {"- {code: not_useful": "- {code: very_useful"},
            "choice list usefulness: duplicate choice code 'very_useful'",
        ),
        (
            {"asked_if: q11_used = yes": "asked_if: q99_nowhere = yes"},
            "variable q11a_useful: routing rule names unknown variable 'q99_nowhere'",
        ),
        (
            {"asked_if: q11_used = yes": "asked_if: q11_used = maybe"},
            "variable q11a_useful: routing rule names unknown code 'maybe' of 'q11_used'",
        ),
        (
            {"choices: usefulness": "choices: helpfulness"},
            "variable q11a_useful: choice list 'helpfulness' does not exist",
        ),
        (
            {"        label: Usefulness\n": ""},
            "variable q11a_useful: a closed variable needs a short",
        ),
    ],
)
def test_broken_schedule__names_the_variable_and_the_problem(
    change: dict[str, str], message: str
) -> None:
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(_broken(change), source="broken.yaml")
    assert any(message in p for p in refused.value.problems), refused.value.problems
    assert str(refused.value).startswith("broken.yaml:")


@pytest.mark.parametrize(
    ("kind", "codes", "message"),
    [
        ("single", ["v" * 501, "n"], "its longest answer (its longest code) is 501 characters"),
        ("multi", ["v" * 300, "n" * 201], "its longest answer (all 2 codes chosen) is 502"),
    ],
)
def test_choice_list_longer_than_a_stored_code_may_be__refused(
    kind: str, codes: list[str], message: str
) -> None:
    """Closed answers are counted from an index that holds values up to 500 characters."""
    text = _broken(
        {
            "code: very_useful": f"code: {codes[0]}",
            "code: not_useful": f"code: {codes[1]}",
            "type: single": f"type: {kind}",
        }
    )
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(text)
    assert refused.value.problems == [
        f"variable q11a_useful: {message}"
        + (" characters" if kind == "multi" else "")
        + "; a closed answer may be at most 500"
    ]
    fits = _broken({"code: very_useful": f"code: {'v' * 250}", "type: single": f"type: {kind}"})
    assert parse_instrument(fits).variable("q11a_useful").type == kind


def test_broken_schedule__lists_every_problem_not_just_the_first() -> None:
    text = _broken(
        {
            "type: yesno": "type: boolean",
            "choices: usefulness": "choices: helpfulness",
            "asked_if: q11_used = yes": "asked_if: q11_used = maybe",
        }
    )
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(text)
    assert len(refused.value.problems) == 3, refused.value.problems


def test_missing_field__names_part_and_variable() -> None:
    text = _broken({"        text: How useful?\n": ""})
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(text)
    assert any(
        "part C" in p and "variable q11a_useful" in p and "text" in p
        for p in refused.value.problems
    ), refused.value.problems


def test_unreadable_file__names_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "schedule.yaml"
    path.write_text(textwrap.dedent("parts: [unclosed"), encoding="utf-8")
    with pytest.raises(InstrumentError) as refused:
        load_instrument(path)
    assert str(path) in str(refused.value)
    assert "not valid YAML" in refused.value.problems[0]


@pytest.mark.parametrize(
    ("typed", "share"),
    [
        ("30:70", 30),
        ("30/70", 30),
        ("30%", 30),
        ("30", 30),
        (" 50 : 50 ", 50),
        ("0", 0),
        ("100%", 100),
        ("100:0", 100),
        ("45.0", 45),
    ],
)
def test_percent_input__accepts_the_ways_interviewers_type_a_share(typed: str, share: int) -> None:
    assert parse_percent(typed) == share


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("30:60", "30:60 adds up to 90, not 100"),
        ("150", "150 is more than 100"),
        ("150%", "150 is more than 100"),
        ("-5", "-5 is less than 0"),
        ("thirty", "'thirty' is not a share"),
        ("30.5", "not a whole number"),
        ("", "nothing was typed"),
    ],
)
def test_percent_input__explains_refusals_in_words(typed: str, reason: str) -> None:
    with pytest.raises(ValueProblem, match=reason):
        parse_percent(typed)


def test_routing__follow_up_shown_only_while_its_rule_holds() -> None:
    schedule = load_instrument()
    assert not schedule.applies("q11a_swia_usefulness", {})
    assert schedule.applies("q11a_swia_usefulness", {"q11_swia_used": "yes"})
    assert not schedule.applies("q11a_swia_usefulness", {"q11_swia_used": "no"})
    assert not schedule.applies("q11a_swia_usefulness", {"q11_swia_used": "no_answer"})
    assert schedule.applies("q11b_swia_why_not", {"q11_swia_used": "no"})
    either = "q13_guidance_use"
    assert schedule.applies(either, {"q11_swia_used": "no", "q12_sg_used": "yes"})
    assert not schedule.applies(either, {"q11_swia_used": "no", "q12_sg_used": "no"})


def test_routing__multi_parent_and_chains() -> None:
    schedule = load_instrument()
    tendered = {"q20_tendered_recently": "yes"}
    assert schedule.applies("q21_change_of_provider", tendered)
    assert not schedule.applies("q21_change_of_provider", {"q20_tendered_recently": "dont_know"})


def test_multi_values__stored_in_schedule_order_and_checked() -> None:
    schedule = load_instrument()
    q22 = schedule.variable("q22_viability_measures")
    assert normalise(schedule, q22, "site_visits; pqq") == "pqq;site_visits"
    with pytest.raises(ValueProblem, match="'visits' is not a code"):
        normalise(schedule, q22, "pqq;visits")
    with pytest.raises(ValueProblem, match="given more than once"):
        normalise(schedule, q22, "pqq;pqq")
