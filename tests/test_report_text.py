"""Report text in the 2012 supplement's style: numbers, lists, footnotes, templates, methodology."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from aggregation.disclosure import DRAFT
from aggregation.response import response_figures
from aggregation.results import wave_results
from aggregation.tally import Tally
from aggregation.text import methodology_paragraph, render, report_sentences, variable_sentences
from aggregation.wording import (
    count_text,
    date_range_text,
    in_sentence,
    join_list,
    number_text,
    number_words,
    percent_text,
)
from instrument import InstrumentError, load_instrument
from instrument.loader import instrument_path, parse_instrument

SCHEDULE = load_instrument()
SCHEDULE_TEXT = instrument_path("schedule_2011").read_text(encoding="utf-8")
BAND_OF = {v.bands.id: v for v in SCHEDULE.questions if v.bands}


def tally_of(
    variable_id: str,
    counts: dict[str, int] | None = None,
    *,
    no_answer: int = 0,
    dont_know: int = 0,
    answered: int | None = None,
    base: int | None = None,
) -> Tally:
    """A tally as aggregation.tally builds one: every code in schedule order, zeros included."""
    counts = counts or {}
    if variable_id in BAND_OF:
        banding = BAND_OF[variable_id].bands
        assert banding is not None
        kind, label = "band", banding.label
        labels = {b.code: b.label for b in banding.bands}
    else:
        variable = SCHEDULE.variable(variable_id)
        kind, label = variable.type, variable.label or variable_id
        labels = {c.code: c.label for c in SCHEDULE.choices(variable)}
    assert set(counts) <= set(labels), counts
    answered = sum(counts.values()) if answered is None else answered
    base = answered + no_answer + dont_know if base is None else base
    return Tally(
        variable_id=variable_id,
        type=kind,
        label=label,
        base=base,
        counts={code: counts.get(code, 0) for code in labels},
        no_answer=no_answer,
        dont_know=dont_know,
        not_applicable=0,
        answered=answered,
        choice_labels=labels,
    )


def percent_tally(numbers: list[int], *, no_answer: int = 0, dont_know: int = 0) -> Tally:
    ordered = sorted(numbers)
    middle = len(ordered) // 2
    median = (
        float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    )
    return Tally(
        variable_id="q24_inhouse_pct",
        type="percent",
        label="In-house share of home care",
        base=len(numbers) + no_answer + dont_know,
        counts={},
        no_answer=no_answer,
        dont_know=dont_know,
        not_applicable=0,
        answered=len(numbers),
        n=len(numbers),
        median=median,
        min=ordered[0],
        max=ordered[-1],
    )


# --- numbers, lists, dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "one"), (2, "two"), (7, "seven"), (10, "ten"), (11, "eleven"), (12, "twelve"),
        (13, "thirteen"), (15, "fifteen"), (19, "nineteen"), (20, "twenty"), (21, "twenty-one"),
        (23, "twenty-three"), (30, "thirty"), (32, "thirty-two"), (40, "forty"),
        (45, "forty-five"), (50, "fifty"), (58, "fifty-eight"), (64, "sixty-four"),
        (77, "seventy-seven"), (80, "eighty"), (86, "eighty-six"), (90, "ninety"),
        (99, "ninety-nine"), (100, "one hundred"), (105, "one hundred and five"),
        (321, "three hundred and twenty-one"), (1000, "one thousand"),
        (1005, "one thousand and five"), (2500, "two thousand five hundred"),
        (100_000, "one hundred thousand"),
    ],
)  # fmt: skip
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


def test_number_words__one_to_ninety_nine_are_distinct_words_hyphenated_past_twenty() -> None:
    spelled = [number_words(n) for n in range(1, 100)]
    assert len(set(spelled)) == 99
    assert all(w.isalpha() for w in spelled[:20])
    assert [w for w in spelled[20:] if "-" in w] == [
        number_words(n) for n in range(21, 100) if n % 10
    ]


@pytest.mark.parametrize(
    ("n", "start", "text"),
    [
        (1, True, "One"),
        (1, False, "one"),
        (7, False, "seven"),
        (10, False, "ten"),
        (11, False, "11"),
        (19, True, "Nineteen"),
        (23, True, "Twenty-three"),
        (23, False, "23"),
        (99, True, "Ninety-nine"),
        (1234, False, "1,234"),
    ],
)
def test_number_text__words_to_open_a_sentence_and_up_to_ten_inside(
    n: int, start: bool, text: str
) -> None:
    assert number_text(n, sentence_start=start) == text


@pytest.mark.parametrize(
    ("n", "noun", "start", "text"),
    [
        (0, None, False, "none"),
        (0, None, True, "None"),
        (0, "respondent", True, "No respondents"),
        (0, "council", False, "no councils"),
        (1, "respondent", True, "One respondent"),
        (1, "respondent", False, "one respondent"),
        (2, "respondent", True, "Two respondents"),
        (19, "respondent", True, "Nineteen respondents"),
        (19, "respondent", False, "19 respondents"),
        (23, "council", False, "23 councils"),
        (3, "authority", False, "three authorities"),
    ],
)
def test_count_text__noun_agrees_with_the_count(
    n: int, noun: str | None, start: bool, text: str
) -> None:
    assert count_text(n, noun, sentence_start=start) == text


def test_count_text__irregular_plural() -> None:
    assert count_text(1, "person", "people") == "one person"
    assert count_text(4, "person", "people") == "four people"


@pytest.mark.parametrize(
    ("items", "text"),
    [
        ([], ""),
        (["references"], "references"),
        (["references", "site visits"], "references and site visits"),
        (["a", "b", "c"], "a, b and c"),
        (["a", "b", "c", "d"], "a, b, c and d"),
    ],
)
def test_join_list(items: list[str], text: str) -> None:
    assert join_list(items) == text


@pytest.mark.parametrize(
    ("first", "last", "text"),
    [
        (dt.date(2011, 9, 12), dt.date(2011, 11, 4), "between 12 September and 4 November 2011"),
        (dt.date(2011, 9, 12), dt.date(2011, 9, 30), "between 12 and 30 September 2011"),
        (dt.date(2011, 9, 12), dt.date(2011, 9, 12), "on 12 September 2011"),
        (
            dt.date(2011, 12, 5),
            dt.date(2012, 1, 9),
            "between 5 December 2011 and 9 January 2012",
        ),
    ],
)
def test_date_range_text(first: dt.date, last: dt.date, text: str) -> None:
    assert date_range_text(first, last) == text


@pytest.mark.parametrize(
    ("label", "inside"),
    [
        ("Older people", "older people"),
        ("In-house share of home care", "in-house share of home care"),
        ("SWIA guidance", "SWIA guidance"),
        ("SG/COSLA guidance", "SG/COSLA guidance"),
        ("Care Inspectorate grades", "Care Inspectorate grades"),
        ("Used SWIA guide", "used SWIA guide"),
        ("In-house (SDS, care management or direct payments team)", "in-house (SDS, care "
         "management or direct payments team)"),
    ],
)  # fmt: skip
def test_in_sentence__lowers_ordinary_capitals_only(label: str, inside: str) -> None:
    assert in_sentence(label) == inside


@pytest.mark.parametrize(("value", "text"), [(0, "0%"), (45.0, "45%"), (47.5, "47.5%")])
def test_percent_text(value: float, text: str) -> None:
    assert percent_text(value) == text


@pytest.mark.parametrize(
    ("template", "counts", "text"),
    [
        ("{n council} [provides|provide] it.", {"n": 1}, "One council provides it."),
        ("{n council} [provides|provide] it.", {"n": 14}, "Fourteen councils provide it."),
        ("{n council} [provides|provide] it.", {"n": 0}, "No councils provide it."),
        ("Of them, {n} [was|were] late.", {"n": 1}, "Of them, one was late."),
        ("Of them, {n} [was|were] late.", {"n": 0}, "Of them, none were late."),
        ("{a person|people} came; {b} stayed.", {"a": 1, "b": 12}, "One person came; 12 stayed."),
        ("It rained. {a} left.", {"a": 3}, "It rained. Three left."),
    ],
)
def test_render__counts_by_position_and_agreement_with_the_count_before(
    template: str, counts: dict[str, int], text: str
) -> None:
    assert render(template, counts, {}) == text


# --- the sentences of the real schedule -------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "sentence"),
    [
        (
            (19, 7, 4),
            "Nineteen respondents found the SWIA guidance very useful, seven found it quite "
            "useful and four found it not at all useful.",
        ),
        (
            (1, 2, 0),
            "One respondent found the SWIA guidance very useful, two found it quite useful and "
            "none found it not at all useful.",
        ),
        (
            (0, 25, 5),
            "No respondents found the SWIA guidance very useful, 25 found it quite useful and "
            "five found it not at all useful.",
        ),
        (
            (2, 11, 1),
            "Two respondents found the SWIA guidance very useful, 11 found it quite useful and "
            "one found it not at all useful.",
        ),
    ],
)
def test_usefulness__swia(counts: tuple[int, int, int], sentence: str) -> None:
    very, quite, not_at_all = counts
    tally = tally_of(
        "q11a_swia_usefulness",
        {"very_useful": very, "quite_useful": quite, "not_useful": not_at_all},
    )
    assert variable_sentences(SCHEDULE, tally) == [sentence]


def test_usefulness__sg_cosla() -> None:
    tally = tally_of(
        "q12a_sg_usefulness",
        {"very_useful": 19, "quite_useful": 7, "not_useful": 4},
        no_answer=1,
    )
    assert variable_sentences(SCHEDULE, tally) == [
        "Nineteen respondents found the SG/COSLA guidance very useful, seven found it quite "
        "useful and four found it not at all useful.",
        "One respondent did not answer.",
    ]


@pytest.mark.parametrize(
    ("no_answer", "dont_know", "footnotes"),
    [
        (0, 0, []),
        (1, 0, ["One respondent did not answer."]),
        (2, 0, ["Two respondents did not answer."]),
        (0, 1, ["One respondent did not know."]),
        (0, 3, ["Three respondents did not know."]),
        (1, 2, ["One respondent did not answer.", "Two respondents did not know."]),
        (12, 11, ["Twelve respondents did not answer.", "Eleven respondents did not know."]),
    ],
)
def test_footnotes__non_response_and_dont_know_after_the_finding(
    no_answer: int, dont_know: int, footnotes: list[str]
) -> None:
    tally = tally_of(
        "q11_swia_used", {"yes": 19, "no": 10}, no_answer=no_answer, dont_know=dont_know
    )
    assert variable_sentences(SCHEDULE, tally) == [
        "Nineteen respondents had used the Social Work Inspection Agency's (SWIA) "
        "self-assessment guide to strategic commissioning (2009) and ten had not.",
        *footnotes,
    ]


@pytest.mark.parametrize(
    ("counts", "sentence"),
    [
        (
            {"more_in_house": 14, "equal": 2, "more_external": 15},
            "Fourteen councils provide more home care in-house than externally, two have an "
            "equal balance and 15 provide more externally.",
        ),
        (
            {"more_in_house": 1, "equal": 1, "more_external": 29},
            "One council provides more home care in-house than externally, one has an equal "
            "balance and 29 provide more externally.",
        ),
        (
            {"more_in_house": 0, "equal": 0, "more_external": 31},
            "No councils provide more home care in-house than externally, none have an equal "
            "balance and 31 provide more externally.",
        ),
    ],
)
def test_band__balance_of_home_care(counts: dict[str, int], sentence: str) -> None:
    assert variable_sentences(SCHEDULE, tally_of("q24_balance", counts)) == [sentence]


@pytest.mark.parametrize(
    ("numbers", "sentence"),
    [
        (
            [0, 45, 100],
            "The in-house share of home care ranged from 0% to 100%, with a median of 45%.",
        ),
        (
            [30, 65],
            "The in-house share of home care ranged from 30% to 65%, with a median of 47.5%.",
        ),
    ],
)
def test_percent__range_and_median(numbers: list[int], sentence: str) -> None:
    assert variable_sentences(SCHEDULE, percent_tally(numbers, no_answer=1)) == [
        sentence,
        "One respondent did not answer.",
    ]


def test_multi__most_often_first_ties_in_schedule_order_zeros_left_out() -> None:
    tally = tally_of(
        "q22_viability_measures",
        {"pqq": 24, "references": 12, "site_visits": 3, "credit_checks": 12, "other": 1},
        answered=26,
        dont_know=1,
    )
    assert variable_sentences(SCHEDULE, tally) == [
        "Of the 27 respondents whose council had tendered recently, the measures most often "
        "used to assure viability were pre-qualification questionnaires (24 respondents), "
        "references (12 respondents), credit checks (12 respondents), site visits (three "
        "respondents) and other measures (one respondent).",
        "One respondent did not know.",
    ]


@pytest.mark.parametrize(
    ("variable_id", "counts", "sentence"),
    [
        (
            "respondent_role",
            {"director_of_social_work": 21, "head_of_service": 6, "other": 1},
            "Of the 28 respondents, 21 were Directors of Social Work, six were Heads of Service "
            "and one held another post.",
        ),
        (
            "q25_reduction_2011_12",
            {"yes": 30, "no": 1},
            "Thirty councils were facing a budget reduction in 2011/12 and one was not.",
        ),
        (
            "q21_change_of_provider",
            {"yes": 12, "no": 9, "not_completed": 0},
            "Of the 21 councils that had tendered recently, the last tendering exercise led to a "
            "change of provider in 12, no change in nine and was not yet complete in none.",
        ),
        (
            "q16_methods",
            {"national_network": 3, "similar_councils": 8},
            "Of the 11 respondents who benchmarked, eight compared their council with similar "
            "councils and three used a national network.",
        ),
        (
            "q1_most_involved",
            {"older_people": 20, "learning_disabilities": 9, "other": 2},
            "Respondents named older people (20 respondents), adults with learning disabilities "
            "(nine respondents) and other groups (two respondents) as the client group whose "
            "users and carers had had the most involvement and influence over decisions at a "
            "strategic level.",
        ),
        (
            "b_sds_stage",
            {"very_early": 1, "developing": 20, "established": 10},
            "One council was in the very early stages of self-directed support, 20 were "
            "developing it and ten had it established.",
        ),
    ],
)
def test_specific_templates(variable_id: str, counts: dict[str, int], sentence: str) -> None:
    assert variable_sentences(SCHEDULE, tally_of(variable_id, counts)) == [sentence]


def test_nobody_asked_or_answered() -> None:
    asked = tally_of("q22_viability_measures", base=0)
    assert variable_sentences(SCHEDULE, asked) == [
        "No respondents were asked about provider viability checks."
    ]
    silent = tally_of("q11_swia_used", no_answer=2)
    assert variable_sentences(SCHEDULE, silent) == [
        "No respondents gave an answer on used SWIA guide.",
        "Two respondents did not answer.",
    ]


# A wave where every closed variable is answered by someone: routing parents say yes.
def _every_variable_answered() -> tuple[pd.DataFrame, pd.DataFrame]:
    interviews = pd.DataFrame.from_records(
        [
            (i, f"S1200{i:04d}", f"Council {i}", "completed", role, dt.date(2011, 9, 12 + i))
            for i, role in enumerate(
                ["director_of_social_work", "head_of_service", "other"], start=1
            )
        ],
        columns=[
            "interview_id", "council_code", "council_name", "status", "respondent_role",
            "interview_date",
        ],
    )  # fmt: skip
    rows = []
    for interview_id in interviews["interview_id"]:
        for variable in SCHEDULE.closed_questions:
            codes = [c.code for c in SCHEDULE.choices(variable)]
            value = {
                "yesno": "yes",
                "single": codes[interview_id % len(codes)] if codes else None,
                "multi": ";".join(codes[: interview_id + 1]),
                "percent": str(25 * interview_id),
            }[variable.type]
            rows.append((interview_id, variable.id, value))
    return interviews, pd.DataFrame(rows, columns=["interview_id", "variable_id", "value"])


FULL_WAVE = wave_results("2011", SCHEDULE, *_every_variable_answered(), view=DRAFT)
EMPTY_WAVE = wave_results(
    "2011",
    SCHEDULE,
    pd.DataFrame(
        [(1, "S12000033", "Aberdeen City", "in_progress", None)],
        columns=["interview_id", "council_code", "council_name", "status", "respondent_role"],
    ),
    pd.DataFrame(columns=["interview_id", "variable_id", "value"]),
    view=DRAFT,
)
CLOSED_IDS = list(FULL_WAVE.tallies)


def test_every_closed_variable_is_reported_in_tally_order() -> None:
    closed = ["respondent_role"] + [v.id for v in SCHEDULE.closed_questions]
    closed.insert(closed.index("q24_inhouse_pct") + 1, "q24_balance")
    assert closed == CLOSED_IDS
    assert list(report_sentences(FULL_WAVE)) == closed


@pytest.mark.parametrize("variable_id", CLOSED_IDS)
@pytest.mark.parametrize("wave", [FULL_WAVE, EMPTY_WAVE], ids=["answered", "empty"])
def test_every_closed_variable__at_least_one_finished_sentence(wave, variable_id: str) -> None:  # type: ignore[no-untyped-def]
    sentences = variable_sentences(SCHEDULE, wave.tallies[variable_id])
    assert sentences
    for sentence in sentences:
        assert sentence[0].isupper() and sentence.endswith("."), sentence
        assert not any(mark in sentence for mark in "{}[]|"), sentence
        assert "  " not in sentence, sentence


def test_full_wave__sample_sentences() -> None:
    text = report_sentences(FULL_WAVE)
    assert text["q24_inhouse_pct"] == [
        "The in-house share of home care ranged from 25% to 75%, with a median of 50%."
    ]
    assert text["q24_balance"] == [
        "One council provides more home care in-house than externally, one has an equal balance "
        "and one provides more externally."
    ]
    assert text["q14_needs"] == [
        "The further guidance or support respondents most often said would help with "
        "commissioning was market development (three respondents), examples of outcomes-based "
        "commissioning (three respondents), planning tools (two respondents) and examples of "
        "best practice (one respondent)."
    ]


# --- generic templates: a new question needs no Python --------------------------------------

SMALL = """
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
      - {id: q11_used, number: "11", type: yesno, label: Guide used, text: "Have you used it?"}
      - id: q11a_useful
        number: 11a
        type: single
        choices: usefulness
        label: Usefulness of the guide
        text: How useful?
        asked_if: q11_used = yes
        report:
          text: "{very_useful respondent} found the guide very useful."
          items:
            not_useful: "{n} found it not useful"
      - {id: q12_share, type: percent, label: Share in-house, text: "What share?"}
"""
SMALL_INSTRUMENT = parse_instrument(SMALL)


@pytest.mark.parametrize(
    ("variable_id", "counts", "sentence"),
    [
        ("q11_used", {"yes": 12, "no": 3},
         "On guide used, 12 respondents said yes and three said no."),
        (
            "q11a_useful",
            {"very_useful": 1, "not_useful": 11},
            "One respondent found the guide very useful.",
        ),
    ],
)  # fmt: skip
def test_generic_and_own_templates_of_a_new_instrument(
    variable_id: str, counts: dict[str, int], sentence: str
) -> None:
    variable = SMALL_INSTRUMENT.variable(variable_id)
    labels = {c.code: c.label for c in SMALL_INSTRUMENT.choices(variable)}
    tally = Tally(
        variable_id=variable_id,
        type=variable.type,
        label=variable.label or "",
        base=sum(counts.values()),
        counts=counts,
        no_answer=0,
        dont_know=0,
        not_applicable=0,
        answered=sum(counts.values()),
        choice_labels=labels,
    )
    assert variable_sentences(SMALL_INSTRUMENT, tally) == [sentence]


def test_generic_routed_sentence_states_the_base() -> None:
    text = SMALL.replace(
        """        report:
          text: "{very_useful respondent} found the guide very useful."
          items:
            not_useful: "{n} found it not useful"
""",
        "",
    )
    instrument = parse_instrument(text)
    tally = Tally(
        variable_id="q11a_useful",
        type="single",
        label="Usefulness of the guide",
        base=13,
        counts={"very_useful": 9, "not_useful": 3},
        no_answer=1,
        dont_know=0,
        not_applicable=2,
        answered=12,
        choice_labels={"very_useful": "Very useful", "not_useful": "Not useful"},
    )
    assert variable_sentences(instrument, tally) == [
        "Of the 13 respondents asked about usefulness of the guide, the answers were very useful "
        "(nine respondents) and not useful (three respondents).",
        "One respondent did not answer.",
    ]


def test_generic_percent_sentence() -> None:
    tally = Tally(
        variable_id="q12_share", type="percent", label="Share in-house", base=3, counts={},
        no_answer=0, dont_know=0, not_applicable=0, answered=3, n=3, median=40.0, min=10, max=90,
    )  # fmt: skip
    assert variable_sentences(SMALL_INSTRUMENT, tally) == [
        "Answers on share in-house ranged from 10% to 90%, with a median of 40%."
    ]


# --- the loader refuses templates it cannot fill ---------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{very_useful respondent} found",
            "{very_usefull respondent} found",
            "variable q11a_useful: report text names unknown code 'very_usefull'",
        ),
        (
            "            not_useful: ",
            "            quite_useful: ",
            "variable q11a_useful: report items name unknown code 'quite_useful'",
        ),
        (
            '"{n} found it not useful"',
            '"{n} found it {notuseful}"',
            "variable q11a_useful: report item not_useful names unknown code 'notuseful'",
        ),
        (
            "{very_useful respondent} found the guide",
            "[This|These] {very_useful respondent} found the guide",
            "variable q11a_useful: report text: [This|These] has no count before it",
        ),
        (
            "found the guide very useful.",
            "found the {label guide} very useful.",
            "variable q11a_useful: report text: {label} is not a count and takes no noun",
        ),
        (
            "found the guide very useful.",
            "found the guide [very useful.",
            "variable q11a_useful: report text '",
        ),
        (
            "found the guide very useful.",
            "found the guide [very] useful.",
            "should be two wordings, singular|plural",
        ),
    ],
)
def test_broken_report_template__refused_with_the_variable_named(
    old: str, new: str, message: str
) -> None:
    assert old in SMALL
    text = SMALL.replace(old, new)
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(text, source="small.yaml")
    assert any(message in p for p in refused.value.problems), refused.value.problems


def test_report_on_a_text_variable__refused() -> None:
    text = SMALL.replace(
        '      - {id: q12_share, type: percent, label: Share in-house, text: "What share?"}',
        '      - {id: q12_note, type: text, text: "Notes", report: {text: "Hello."}}',
    )
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(text)
    assert any(
        "variable q12_note: 'report' is only for closed" in p for p in refused.value.problems
    )


def test_generic_template_naming_a_code__refused() -> None:
    text = SMALL + 'report_templates:\n  single: {text: "{very_useful} liked it."}\n'
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(text)
    assert refused.value.problems == [
        "report_templates: single.text names unknown code 'very_useful' "
        "(known: base, answered, label, list)"
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "\n            {very_useful respondent} found the SWIA guidance",
            "\n            {very_usefull respondent} found the SWIA guidance",
            "variable q11a_swia_usefulness: report text names unknown code 'very_usefull' "
            "(known: very_useful, quite_useful, not_useful, base, answered, label, list)",
        ),
        (
            "{equal} [has|have]",
            "{equals} [has|have]",
            "variable q24_inhouse_pct: bands q24_balance: report text names unknown code 'equals'",
        ),
        (
            "    pqq: ",
            "    pq: ",
            "variable q22_viability_measures: report items name unknown code 'pq'",
        ),
    ],
)
def test_real_schedule_with_a_misspelt_code__refused(old: str, new: str, message: str) -> None:
    assert SCHEDULE_TEXT.count(old) == 1, old
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(SCHEDULE_TEXT.replace(old, new))
    assert any(p.startswith(message) for p in refused.value.problems), refused.value.problems


# --- methodology ------------------------------------------------------------------------------

FIELDWORK = pd.DataFrame.from_records(
    [
        (1, "S12000033", "Aberdeen City", "completed", "director_of_social_work",
         dt.date(2011, 9, 12), None),
        (2, "S12000034", "Aberdeenshire", "completed", "director_of_social_work",
         dt.date(2011, 11, 4), None),
        (3, "S12000041", "Angus", "completed", "head_of_service", dt.date(2011, 10, 3), None),
        (4, "S12000035", "Argyll and Bute", "completed", "commissioning_contracts_manager",
         dt.date(2011, 9, 20), None),
        (5, "S12000023", "Orkney Islands", "declined", None, None, "Changes in personnel"),
    ],
    columns=[
        "interview_id", "council_code", "council_name", "status", "respondent_role",
        "interview_date", "nonresponse_reason",
    ],
)  # fmt: skip


def _methodology(interviews: pd.DataFrame) -> str:
    return methodology_paragraph(
        SCHEDULE, interviews, response_figures(interviews["status"]), DRAFT
    )


def test_methodology__eligible_interviewed_dates_roles_and_who_did_not_take_part() -> None:
    assert _methodology(FIELDWORK) == (
        "Five councils were eligible for the survey and four were interviewed by telephone "
        "between 12 September and 4 November 2011. Two were Directors of Social Work, one was "
        "a Head of Service and one was a commissioning or contracts manager. One council, "
        "Orkney Islands, did not take part because of changes in personnel."
    )


def test_methodology__everyone_interviewed() -> None:
    everyone = FIELDWORK[FIELDWORK["status"] == "completed"]
    assert _methodology(everyone) == (
        "All four councils were interviewed by telephone between 12 September and 4 November "
        "2011. Two were Directors of Social Work, one was a Head of Service and one was a "
        "commissioning or contracts manager."
    )


def test_methodology__several_declined_one_pending_dates_as_text() -> None:
    interviews = FIELDWORK.copy()
    interviews["interview_date"] = interviews["interview_date"].astype(str)
    interviews.loc[3, ["status", "respondent_role", "interview_date"]] = ["declined", None, None]
    interviews.loc[3, "nonresponse_reason"] = None
    interviews.loc[2, ["status", "respondent_role"]] = ["in_progress", None]
    assert _methodology(interviews) == (
        "Five councils were eligible for the survey and two were interviewed by telephone "
        "between 12 September and 4 November 2011. Two were Directors of Social Work. Two "
        "councils did not take part: Argyll and Bute; and Orkney Islands, because of changes in "
        "personnel. One council, Angus, had not yet been interviewed."
    )


def test_methodology__without_dates_or_reason_columns() -> None:
    interviews = FIELDWORK.drop(columns=["interview_date", "nonresponse_reason"])
    assert _methodology(interviews) == (
        "Five councils were eligible for the survey and four were interviewed by telephone. "
        "Two were Directors of Social Work, one was a Head of Service and one was a "
        "commissioning or contracts manager. One council, Orkney Islands, did not take part."
    )


def test_methodology__unrecorded_role_is_said() -> None:
    interviews = FIELDWORK.copy()
    interviews.loc[2, "respondent_role"] = None
    assert _methodology(interviews).split(". ")[1:3] == [
        "Two were Directors of Social Work and one was a commissioning or contracts manager",
        "One respondent had no role recorded",
    ]


def test_variables_with_report_wording_stay_hashable() -> None:
    variable = SCHEDULE.variable("q22_viability_measures")
    assert variable.report is not None
    assert variable.report.item_of("pqq") == "pre-qualification questionnaires ({n respondent})"
    assert hash(variable) == hash(SCHEDULE.variable("q22_viability_measures"))


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("Changes in personnel", "did not take part because of changes in personnel."),
        ("Did not take part due to changes in personnel",
         "did not take part due to changes in personnel."),
        ("Declined: restructuring", "did not take part because of restructuring."),
        ("declined to take part - staff shortages",
         "did not take part because of staff shortages."),
        ("They were too busy", "did not take part because they were too busy."),
        ("The council was unable to take part as the director was on leave",
         "did not take part because the director was on leave."),
        ("No capacity.", "did not take part because it had no capacity."),
        ("Not enough staff", "did not take part because it did not have enough staff."),
        ("Owing to an inspection", "did not take part owing to an inspection."),
        ("Declined", "did not take part."),
        ("Spoke to PA. Director said no.",
         "did not take part (the reason recorded: “Spoke to PA. Director said no”)."),
    ],
)  # fmt: skip
def test_methodology__a_reason_reads_well_whatever_was_typed(typed: str, said: str) -> None:
    interviews = FIELDWORK.copy()
    interviews.loc[4, "nonresponse_reason"] = typed
    assert _methodology(interviews).endswith(f"One council, Orkney Islands, {said}")
    assert "because of did" not in _methodology(interviews)
