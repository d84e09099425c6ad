"""Properties that hold for every input, checked with hypothesis: the Q24 share parser, the
cell rules (normalise, check_text, parse_date), text surviving export → import whatever it
holds, and routing (a question applies exactly when its rule holds).

Examples are few and small, so the file stays quick; the ones that touch the database run on
every database of the `session` fixture.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from instrument import InstrumentError
from instrument.loader import instrument_named, parse_instrument
from instrument.model import NOT_APPLICABLE, RESERVED_CODES, Clause, Variable, parse_condition
from instrument.schedule import Instrument
from instrument.values import (
    MAX_TEXT_LENGTH,
    ValueProblem,
    check_text,
    normalise,
    parse_date,
    parse_percent,
)
from services.actor import Actor
from services.export import export_wave
from services.imports import ImportRefused, import_wave
from tests.wave_builder import (
    build_wave,
    changed,
    columns,
    csv_bytes,
    read_csv_rows,
    row_of,
)

INSTRUMENT = instrument_named("schedule_2011")
IMPORTER = Actor("importer", "interviewer")  # imports write answers: an interviewer's act
SHORT_MESSAGE = 200  # a refusal repeats at most a few words of what was typed
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "'", "''", " ")

quick = settings(max_examples=60, deadline=None)
with_database = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def refusal(parse, typed: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueProblem) as refused:
        parse(typed)
    message = str(refused.value)
    assert len(message) < SHORT_MESSAGE, message
    return message


# --- the Q24 share ----------------------------------------------------------------------------

spaces = st.sampled_from(["", " ", "  "])


@quick
@given(st.integers(0, 100), spaces, spaces, st.sampled_from(["{n}", "{n}%", "{n}:{r}", "{n}/{r}"]))
def test_percent__every_way_of_typing_a_share__gives_the_in_house_share(
    n: int, before: str, after: str, form: str
) -> None:
    typed = before + form.format(n=n, r=100 - n).replace(":", f"{before}:{after}") + after
    assert parse_percent(typed) == n


@quick
@given(st.integers(101, 10**400), st.sampled_from(["", "%"]))
def test_percent__over_100__refused_saying_so_however_long_the_number(n: int, sign: str) -> None:
    assert refusal(parse_percent, f"{n}{sign}").endswith("is more than 100")


@quick
@given(st.integers(-(10**400), -1))
def test_percent__negative__refused_saying_so(n: int) -> None:
    assert refusal(parse_percent, str(n)).endswith("is less than 0")


@quick
@given(st.integers(0, 10**40), st.integers(0, 10**40), st.sampled_from([":", "/"]))
def test_percent__ratio_not_out_of_100__refused_with_its_sum(a: int, b: int, sep: str) -> None:
    assume(a + b != 100)
    assert refusal(parse_percent, f"{a}{sep}{b}").endswith(", not 100")


@quick
@given(st.decimals(min_value=0, max_value=100, places=25, allow_nan=False))
def test_percent__fraction__refused_exactly_when_it_is_not_whole(share: Decimal) -> None:
    typed = f"{share:f}"
    if share == share.to_integral_value():
        assert parse_percent(typed) == int(share)
    else:
        assert refusal(parse_percent, typed).endswith("is not a whole number of per cent")


@quick
@given(st.text(max_size=50) | st.from_regex(r"\A-?[0-9]{1,500}(\.[0-9]{1,40})?[%:/]?\Z"))
def test_percent__anything_typed__a_share_from_0_to_100_or_a_refusal_in_words(typed: str) -> None:
    try:
        share = parse_percent(typed)
    except ValueProblem as exc:
        assert 0 < len(str(exc)) < SHORT_MESSAGE
    else:
        assert 0 <= share <= 100


# --- cell rules -------------------------------------------------------------------------------

any_character = st.characters(exclude_categories=())  # surrogates, control characters too


@quick
@given(st.text(alphabet=any_character, max_size=30))
def test_check_text__accepts_exactly_what_a_database_and_a_file_can_hold(text: str) -> None:
    storable = not CONTROL.search(text) and not re.search(r"[\ud800-\udfff]", text)
    try:
        kept = check_text(text)
    except ValueProblem:
        assert not storable
    else:
        assert storable and kept == text
        kept.encode("utf-8")  # what PostgreSQL, SQLite, CSV and XLSX all need


def test_check_text__over_the_limit__refused_by_length() -> None:
    assert refusal(check_text, "x" * (MAX_TEXT_LENGTH + 1)) == (
        f"is {MAX_TEXT_LENGTH + 1:,} characters long; the limit is {MAX_TEXT_LENGTH:,}"
    )


def multi_value(variable: Variable) -> st.SearchStrategy[str]:
    codes = [c.code for c in INSTRUMENT.choices(variable)]
    chosen = st.lists(st.sampled_from(codes), min_size=1, unique=True)
    return chosen.map(lambda some: ";".join(c for c in codes if c in some))


def typed_value(variable: Variable) -> st.SearchStrategy[str]:
    """What a person might type in the variable's cell: its codes, reserved codes, anything."""
    codes = [c.code for c in INSTRUMENT.choices(variable)]
    options = [st.text(max_size=20), st.sampled_from(list(RESERVED_CODES))]
    if codes:
        options.append(st.sampled_from(codes))
    if variable.type == "multi":
        options.append(multi_value(variable))
    if variable.type == "percent":
        options.append(st.integers(-5, 105).map(str))
    return st.one_of(options)


@quick
@given(
    st.sampled_from(INSTRUMENT.questions).flatmap(lambda v: st.tuples(st.just(v), typed_value(v)))
)
def test_normalise__canonical_value_is_its_own_canonical_form(case: tuple[Variable, str]) -> None:
    variable, typed = case
    try:
        canonical = normalise(INSTRUMENT, variable, typed)
    except ValueProblem as exc:
        assert 0 < len(str(exc)) < SHORT_MESSAGE + MAX_TEXT_LENGTH
        return
    assert canonical is None or canonical == normalise(INSTRUMENT, variable, canonical)
    assert (canonical is None) == (not typed.strip())


@quick
@given(
    st.sampled_from([v for v in INSTRUMENT.questions if v.type == "multi"]).flatmap(
        lambda v: st.tuples(st.just(v), st.permutations([c.code for c in INSTRUMENT.choices(v)]))
    ),
    st.integers(1, 7),
    spaces,
)
def test_normalise__multi_codes_in_any_order__stored_in_schedule_order(
    case: tuple[Variable, list[str]], count: int, space: str
) -> None:
    variable, shuffled = case
    chosen = shuffled[:count]
    typed = f"{space};{space}".join(chosen)
    codes = [c.code for c in INSTRUMENT.choices(variable)]
    assert normalise(INSTRUMENT, variable, typed) == ";".join(c for c in codes if c in chosen)


@quick
@given(st.dates())
def test_parse_date__every_calendar_date_in_iso_form__read_back(day: dt.date) -> None:
    assert parse_date(f" {day.isoformat()} ") == day


@quick
@given(st.integers(1, 9999), st.integers(0, 99), st.integers(0, 99))
def test_parse_date__a_day_the_calendar_lacks__refused_as_not_a_real_date(
    year: int, month: int, day: int
) -> None:
    typed = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        dt.date(year, month, day)
    except ValueError:
        assert refusal(parse_date, typed).startswith(f"{typed} is not a real date: ")
    else:
        assert parse_date(typed) == dt.date(year, month, day)


@quick
@given(st.text(alphabet=any_character, max_size=5_000))
def test_parse_date__anything_typed__a_date_or_a_short_refusal(typed: str) -> None:
    try:
        parse_date(typed)
    except ValueProblem as exc:
        assert len(str(exc)) < SHORT_MESSAGE


# --- text survives export → import ------------------------------------------------------------

pieces = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(
    ["\n", "\r", "\t", "\r\n", "'", '"', ",", "£", "é", "_x000D_", "\u2028", "\uffff"]
)
free_text = st.tuples(
    st.sampled_from((*FORMULA_STARTS, "")), st.lists(pieces, max_size=15).map("".join)
)


def stored(text: str) -> str:
    """What the flat file gives back: blank stays blank, a reserved code is the code."""
    if not text.strip():
        return ""
    return text.strip() if text.strip() in RESERVED_CODES else text


@with_database
@given(free_text, st.sampled_from(["csv", "xlsx"]))
def test_round_trip__any_free_text__export_then_import_gives_the_same_text(
    session: Session, case: tuple[str, str], fmt: str
) -> None:
    text = "".join(case)
    wave = changed(build_wave(INSTRUMENT), {"Fife": {"q2_explain": text}})
    fife = csv_bytes([row_of(wave, "Fife")], columns(INSTRUMENT))
    import_wave(session, actor=IMPORTER, wave_key="2011", data=fife, filename="w.csv", replace=True)

    exported = export_wave(
        session, actor=IMPORTER, include_unvalidated=True, wave_key="2011", fmt=fmt
    )  # type: ignore[arg-type]
    import_wave(
        session, actor=IMPORTER, wave_key="2011", data=exported, filename=f"e.{fmt}", replace=True
    )

    again = export_wave(
        session, actor=IMPORTER, include_unvalidated=True, wave_key="2011", fmt="csv"
    )
    assert row_of(read_csv_rows(again), "Fife")["q2_explain"] == stored(text)


# --- routing ----------------------------------------------------------------------------------


def recorded_value(variable: Variable) -> st.SearchStrategy[str | None]:
    codes = [c.code for c in INSTRUMENT.choices(variable)]
    options = [st.none(), st.just(""), st.sampled_from(list(RESERVED_CODES))]
    if codes:
        options.append(st.sampled_from(codes))
    if variable.type == "multi":
        options.append(multi_value(variable))
    return st.one_of(options)


answer_maps = st.fixed_dictionaries({v.id: recorded_value(v) for v in INSTRUMENT.questions})


def holds(instrument: Instrument, clause: Clause, answers: dict[str, str | None]) -> bool:
    value = answers.get(clause.variable)
    if not value or not instrument.applies(clause.variable, answers):
        return False
    if instrument.variable(clause.variable).type == "multi":
        return clause.code in value.split(";")
    return value == clause.code


@quick
@given(answer_maps)
def test_routing__a_question_applies_exactly_when_a_branch_of_its_rule_holds(
    answers: dict[str, str | None],
) -> None:
    for v in INSTRUMENT.questions:
        condition = INSTRUMENT.condition(v.id)
        expected = condition is None or any(
            all(holds(INSTRUMENT, c, answers) for c in group) for group in condition.groups
        )
        assert INSTRUMENT.applies(v.id, answers) == expected, v.id


@quick
@given(answer_maps, answer_maps)
def test_routing__depends_only_on_the_answers_its_rule_names(
    answers: dict[str, str | None], others: dict[str, str | None]
) -> None:
    for v in INSTRUMENT.questions:
        condition = INSTRUMENT.condition(v.id)
        named = {c.variable for c in condition.clauses} if condition else set()
        mixed = {k: (answers[k] if k in named else others[k]) for k in answers}
        assert INSTRUMENT.applies(v.id, mixed) == INSTRUMENT.applies(v.id, answers), v.id


@quick
@given(answer_maps, st.sampled_from([None, "", *RESERVED_CODES]))
def test_routing__blank_or_reserved_parent__every_follow_up_skipped(
    answers: dict[str, str | None], parent_value: str | None
) -> None:
    for v in INSTRUMENT.questions:
        condition = INSTRUMENT.condition(v.id)
        if condition is None:
            continue
        silent = {**answers, **dict.fromkeys((c.variable for c in condition.clauses), parent_value)}
        assert not INSTRUMENT.applies(v.id, silent), v.id


@quick
@given(answer_maps)
def test_unrecorded__the_closed_questions_that_apply_and_hold_nothing(
    answers: dict[str, str | None],
) -> None:
    unrecorded = INSTRUMENT.unrecorded(answers)
    applicable = INSTRUMENT.applicable(answers)
    assert [v.id for v in unrecorded] == [
        v.id for v in applicable if v.is_closed and not answers.get(v.id)
    ]
    filled = {**answers, **{v.id: "dont_know" for v in unrecorded}}
    assert all(filled.get(v.id) for v in INSTRUMENT.unrecorded(filled))


NESTED = parse_instrument(
    """
instrument: nested
title: Routing two levels deep
introduction: For the tests.
choice_lists:
  sizes: [{code: small, label: Small}, {code: large, label: Large}]
parts:
  - id: a
    title: A
    variables:
      - {id: uses, type: yesno, text: Uses it, label: uses}
      - {id: size, type: single, choices: sizes, text: Its size, label: size, asked_if: uses = yes}
      - {id: why_large, type: text, text: Why large, asked_if: size = large}
      - {id: either, type: text, text: Either, asked_if: size = small or uses = no}
      - {id: both, type: text, text: Both, asked_if: uses = yes and size = small}
"""
)
nested_answers = st.fixed_dictionaries(
    {
        "uses": st.sampled_from([None, "yes", "no", *RESERVED_CODES]),
        "size": st.sampled_from([None, "small", "large", *RESERVED_CODES]),
    }
)


@quick
@given(nested_answers)
def test_routing__two_levels_deep__a_kept_answer_under_a_skipped_parent_counts_for_nothing(
    answers: dict[str, str | None],
) -> None:
    uses, size = answers["uses"] == "yes", answers["size"]
    assert NESTED.applies("size", answers) == uses
    assert NESTED.applies("why_large", answers) == (uses and size == "large")
    assert NESTED.applies("either", answers) == (
        (uses and size == "small") or answers["uses"] == "no"
    )
    assert NESTED.applies("both", answers) == (uses and size == "small")


identifiers = st.from_regex(r"\A[a-z][a-z0-9_]{0,12}\Z")


@quick
@given(
    st.lists(
        st.lists(st.tuples(identifiers, identifiers), min_size=1, max_size=3),
        min_size=1,
        max_size=3,
    )
)
def test_parse_condition__written_rule__read_back_as_the_same_groups(
    groups: list[list[tuple[str, str]]],
) -> None:
    assume(all(word not in ("and", "or") for g in groups for pair in g for word in pair))
    text = " or ".join(" and ".join(f"{v} = {c}" for v, c in g) for g in groups)
    parsed = parse_condition(text)
    assert parsed.groups == tuple(tuple(Clause(v, c) for v, c in g) for g in groups)


def test_loader__routing_cycle__refused() -> None:
    with pytest.raises(InstrumentError, match="comes later in the schedule"):
        parse_instrument(
            """
instrument: cycle
title: T
introduction: I
choice_lists: {}
parts:
  - id: a
    title: A
    variables:
      - {id: x, type: yesno, text: X, label: x, asked_if: y = yes}
      - {id: y, type: yesno, text: Y, label: y, asked_if: x = yes}
"""
        )


# --- the importer agrees with routing -----------------------------------------------------------


@st.composite
def completed_interview(draw: st.DrawFn) -> dict[str, str]:
    """A completed row that follows routing: every question asked gets a value of its type,
    every question skipped says not_applicable."""
    answers: dict[str, str] = {}
    for v in INSTRUMENT.questions:
        if not INSTRUMENT.applies(v.id, answers):
            answers[v.id] = NOT_APPLICABLE
        elif v.type == "text":
            answers[v.id] = draw(st.sampled_from(["", "Said so", "dont_know"]))
        elif v.type == "percent":
            answers[v.id] = draw(st.integers(0, 100).map(str) | st.just("no_answer"))
        else:
            codes = [c.code for c in INSTRUMENT.choices(v)]
            given = multi_value(v) if v.type == "multi" else st.sampled_from(codes)
            answers[v.id] = draw(given | st.sampled_from(["no_answer", "dont_know"]))
    return answers


@with_database
@given(completed_interview())
def test_import__any_completed_interview_that_follows_routing__accepted_and_exported_as_is(
    session: Session, answers: dict[str, str]
) -> None:
    wave = changed(build_wave(INSTRUMENT), {"Fife": answers})
    fife = row_of(wave, "Fife")
    try:
        import_wave(
            session,
            actor=IMPORTER,
            wave_key="2011",
            data=csv_bytes([fife], columns(INSTRUMENT)),
            filename="w.csv",
            replace=True,
        )
    except ImportRefused as refused:
        pytest.fail(f"refused: {refused}")
    exported = export_wave(
        session, actor=IMPORTER, include_unvalidated=True, wave_key="2011", fmt="csv"
    )
    assert row_of(read_csv_rows(exported), "Fife") == fife
