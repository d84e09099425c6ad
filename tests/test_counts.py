"""The report's three paths agree: the counters kept at save time (`load_report`, and the
dashboard's `load_results`), the reference count in SQL (`wave_counts(reference=True)`) and
every answer in a wide table (`aggregation.results.wave_results`) give the same counts, tallies
and byte-identical JSON, on random waves.

Waves are drawn with answers anywhere (so many are kept on questions routing skips), every
reserved code, blank rows, multiple choices, shares, interviews that are not completed, and a
role filter. Two instruments: the 2011 schedule, and a small one whose routing goes two levels
deep, tests a multiple choice, joins clauses with `and` / `or`, and reads the respondent's role.
Examples are few, so the file stays quick on every database of the `session` fixture.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregation.counts import COUNT_COLUMNS, closed_variables
from aggregation.disclosure import FilterRefused
from aggregation.report import report_json
from aggregation.results import WaveResults, wave_results
from db.models import Answer, Council, Interview, Wave
from instrument.loader import instrument_named, instrument_text, parse_instrument, schedule_sha256
from instrument.model import DONT_KNOW, NO_ANSWER, NOT_APPLICABLE, Variable
from instrument.schedule import Instrument
from services.actor import Actor
from services.interviews import pinned
from services.results import load_report, load_results, publication_view, wave_counts, wave_tables

AUDITOR = Actor("auditor", "auditor")
SCHEDULE = instrument_named("schedule_2011")
ROUTED_TEXT = """
instrument: routed_counts
title: Routing of every shape, for the counts tests
introduction: For the tests.
choice_lists:
  roles: [{code: head, label: Head}, {code: other, label: Other}]
  sizes: [{code: small, label: Small}, {code: large, label: Large}]
  ways: [{code: phone, label: Phone}, {code: web, label: Web}, {code: post_box, label: Post}]
record:
  - {id: respondent_role, type: single, choices: roles, text: Role, label: Role}
parts:
  - id: a
    title: A
    variables:
      - {id: uses, type: yesno, text: Uses it, label: uses}
      - {id: size, type: single, choices: sizes, text: Size, label: size, asked_if: uses = yes}
      - {id: large_ok, type: yesno, text: Large ok, label: large ok, asked_if: size = large}
      - {id: ways, type: multi, choices: ways, text: Ways, label: ways}
      - {id: by_post, type: yesno, text: By post, label: by post, asked_if: ways = post_box}
      - id: either
        type: single
        choices: sizes
        text: Either
        label: either
        asked_if: size = small and ways = web or uses = no
      - {id: heads_only, type: yesno, text: Heads, label: heads, asked_if: respondent_role = head}
      - {id: why, type: text, text: Why, asked_if: uses = yes}
      - id: share
        type: percent
        text: Share
        label: share
        asked_if: uses = yes or ways = phone
        bands:
          id: share_band
          label: Share band
          bands:
            - {code: low, label: Low, low: 0, high: 49}
            - {code: high, label: High, low: 50, high: 100}
"""
ROUTED = parse_instrument(ROUTED_TEXT)
INSTRUMENTS = {"schedule_2011": SCHEDULE, "routed_counts": ROUTED}
# A wave pins its schedule's text, so a made-up schedule is stored like the real one.
TEXTS = {"schedule_2011": instrument_text("schedule_2011"), "routed_counts": ROUTED_TEXT}
STATUSES = ("completed", "completed", "completed", "in_progress", "declined", "not_contacted")
ABSENT = object()  # no answer row at all (a row with value NULL is drawn as None)
WAVE_KEYS = itertools.count(1)


def values(instrument: Instrument, variable: Variable) -> st.SearchStrategy[object]:
    """Any value the answer table may hold for the variable, often one that routing tests."""
    reserved = st.sampled_from([ABSENT, None, NO_ANSWER, DONT_KNOW, NOT_APPLICABLE])
    codes = [c.code for c in instrument.choices(variable)]
    if variable.type == "yesno":
        own: st.SearchStrategy[object] = st.sampled_from(["yes", "yes", "yes", "no"])
    elif variable.type == "single":
        own = st.sampled_from(codes)
    elif variable.type == "multi":
        own = st.sets(st.sampled_from(codes), min_size=1).map(
            lambda chosen: ";".join(c for c in codes if c in chosen)
        )
    elif variable.type == "percent":
        own = st.integers(0, 100).map(str)
    elif variable.type == "text":
        own = st.sampled_from(["Through the carers' forum", "yes", ""])
    else:
        return st.just(ABSENT)
    return st.one_of(own, own, reserved)


@st.composite
def waves(draw: st.DrawFn, instrument: Instrument) -> tuple[list, list[str] | None, bool]:  # type: ignore[type-arg]
    """(interviews as (status, role, answers, validated), the role filter or None, whether
    the draft view is asked for)."""
    roles = [c.code for c in instrument.choices("respondent_role")]
    interviews = []
    for _ in range(draw(st.integers(0, 12))):
        status = draw(st.sampled_from(STATUSES))
        role = draw(st.sampled_from([None, *roles]))
        answers = {v.id: draw(values(instrument, v)) for v in instrument.questions}
        validated = draw(st.booleans())
        interviews.append(
            (status, role, {k: v for k, v in answers.items() if v is not ABSENT}, validated)
        )
    chosen = draw(st.none() | st.lists(st.sampled_from(roles), unique=True))
    return interviews, chosen, draw(st.booleans())


def store(session: Session, instrument_name: str, interviews: list) -> str:  # type: ignore[type-arg]
    """A new wave holding the drawn interviews; returns its key."""
    key = f"counts{next(WAVE_KEYS)}"
    text = TEXTS[instrument_name]
    wave = Wave(key=key, title="Counts test", instrument=instrument_name, instrument_text=text,
                instrument_sha256=schedule_sha256(text))  # fmt: skip
    session.add(wave)
    session.flush()
    councils = session.scalars(select(Council.id).order_by(Council.code)).all()
    for council_id, (status, role, answers, *validated) in zip(councils, interviews, strict=False):
        interview = Interview(
            wave_id=wave.id, council_id=council_id, status=status, respondent_role=role,
            validated_at=dt.datetime(2026, 12, 6) if validated == [True] else None,
        )  # fmt: skip
        session.add(interview)
        session.flush()
        session.add_all(
            Answer(interview_id=interview.id, variable_id=k, value=v, version=1, updated_by="test")
            for k, v in answers.items()
        )
    session.commit()
    return key


def agree_on(session: Session, instrument_name: str, drawn: tuple) -> None:  # type: ignore[type-arg]
    """Store the drawn wave; both paths give the same figures, tallies and JSON, and the bases
    follow routing."""
    interviews, roles, draft = drawn
    key = store(session, instrument_name, interviews)
    both = {"actor": AUDITOR, "wave_key": key, "respondent_roles": roles,
            "include_unvalidated": draft}  # fmt: skip
    try:
        fast = load_report(session, **both)  # type: ignore[arg-type]
    except FilterRefused as refused:
        with pytest.raises(FilterRefused) as too:
            from_every_answer(session, key, roles, draft)
        assert not draft and str(too.value) == str(refused)
        return
    wide = from_every_answer(session, key, roles, draft)
    assert load_results(session, **both).tallies == fast.tallies  # type: ignore[arg-type]
    assert fast.figures == wide.figures
    assert fast.tallies == wide.tallies
    assert report_json(fast) == report_json(wide)
    counts = wave_counts(session, **both)  # type: ignore[arg-type]
    reference = wave_counts(session, **both, reference=True)  # type: ignore[arg-type]
    assert set(counts.itertuples(index=False)) == set(reference.itertuples(index=False))
    instrument = INSTRUMENTS[instrument_name]
    bases_follow_routing(instrument, interviews, roles, counts, draft)
    counted = set(counts["variable_id"])
    for variable_id, tally in fast.tallies.items():  # published: a small base is withheld
        if variable_id not in counted:
            continue  # a band, derived from its percent (which is checked)
        rows = counts[(counts["variable_id"] == variable_id) & counts["applies"]]
        base = int(rows["interviews"].sum())
        assert (tally.withheld_below is not None) == (not draft and 0 < base < 5)
        assert tally.base == (0 if tally.withheld_below else base)


def from_every_answer(
    session: Session, key: str, roles: list[str] | None, draft: bool
) -> WaveResults:
    """The wave tallied from every answer read into a wide table, not from any counter."""
    interviews, answers = wave_tables(session, actor=AUDITOR, wave_key=key, closed_only=True)
    wave = session.scalars(select(Wave).where(Wave.key == key)).one()
    return wave_results(key, pinned(wave), interviews, answers, respondent_roles=roles,
                        view=publication_view(wave, draft))  # fmt: skip


def bases_follow_routing(instrument: Instrument, interviews: list, roles, counts, draft) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Independently of both paths: a variable's base is the completed interviews (of the
    chosen roles; validated unless in the draft) in which `Instrument.applies` says it is
    asked."""
    counted = [
        {**{k: v for k, v in answers.items() if v is not None}, "respondent_role": role}
        for status, role, answers, validated in interviews
        if status == "completed" and (roles is None or role in roles) and (draft or validated)
    ]
    for variable in closed_variables(instrument):
        rows = counts[counts["variable_id"] == variable.id]
        assert rows["interviews"].sum() == len(counted)
        base = sum(1 for answers in counted if instrument.applies(variable.id, answers))
        assert rows.loc[rows["applies"], "interviews"].sum() == base


few = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@few
@given(drawn=waves(SCHEDULE))
def test_counted_in_sql__same_tallies_as_the_wide_table__schedule_2011(
    session: Session, drawn: tuple
) -> None:  # type: ignore[type-arg]
    agree_on(session, "schedule_2011", drawn)


@few
@given(drawn=waves(ROUTED))
def test_counted_in_sql__same_tallies_as_the_wide_table__nested_multi_and_role_routing(
    session: Session, drawn: tuple
) -> None:  # type: ignore[type-arg]
    agree_on(session, "routed_counts", drawn)


def test_wave_counts__a_small_wave_written_out(
    session: Session
) -> None:
    """Routed answers kept where routing now skips them are not counted; blanks are."""
    key = store(
        session,
        "routed_counts",
        [
            ("completed", "head", {"uses": "yes", "size": "large", "large_ok": "no"}),
            ("completed", "other", {"uses": "no", "size": "small", "ways": "phone;post_box"}),
            ("completed", None, {"uses": "yes", "heads_only": "yes", "share": "40"}),
            ("completed", "head", {}),  # routed by the role alone
            ("in_progress", "head", {"uses": "yes", "size": "small"}),
        ],
    )
    counts = wave_counts(session, actor=AUDITOR, wave_key=key, include_unvalidated=True)
    assert list(counts.columns) == list(COUNT_COLUMNS)
    rows: Callable[[str], set[tuple[object, bool, int]]] = lambda vid: {  # noqa: E731
        (value, applies, n)
        for _, value, applies, n in counts[counts["variable_id"] == vid].itertuples(index=False)
    }
    assert rows("uses") == {("yes", True, 2), ("no", True, 1), (None, True, 1)}
    assert rows("size") == {("large", True, 1), (None, True, 1), (None, False, 2)}
    assert rows("large_ok") == {("no", True, 1), (None, False, 3)}
    assert rows("ways") == {("phone;post_box", True, 1), (None, True, 3)}
    assert rows("by_post") == {(None, True, 1), (None, False, 3)}
    assert rows("either") == {(None, True, 1), (None, False, 3)}
    assert rows("heads_only") == {(None, True, 2), (None, False, 2)}
    assert rows("share") == {("40", True, 1), (None, True, 2), (None, False, 1)}
    assert rows("respondent_role") == {("head", True, 2), ("other", True, 1), (None, True, 1)}
    report = load_report(session, actor=AUDITOR, wave_key=key, respondent_roles=["head"],
                         include_unvalidated=True)  # fmt: skip
    assert report.figures.completed == 4
    assert report.tallies["size"].counts == {"small": 0, "large": 1}
    assert report.tallies["heads_only"].base == 2
