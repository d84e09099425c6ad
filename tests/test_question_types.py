"""Question types are a registry: each reads, files and reads back its own answers, the loader
knows exactly the registered types, and a type added in one module is accepted."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator, Sequence

import pytest

from flatfile.table import FlatFileFormat, read_table, write_table
from instrument import InstrumentError, load_instrument
from instrument.loader import parse_instrument
from instrument.model import RESERVED_CODES, Choice, Variable
from instrument.types import REGISTRY, QuestionType, Sample, question_type, register
from instrument.values import ValueProblem, normalise
from tests.test_instrument import MINIMAL

LISTED = (("in_house", "In-house"), ("external", "External"), ("both", "Both"))
CHOICE_LISTS = {"provider": tuple(Choice(code=c, label=label) for c, label in LISTED)}
# Values as an interviewer keys them, and what is stored; a type not listed is drawn only.
KEYED = {
    "yesno": [("yes", "yes"), (" no ", "no")],
    "single": [("external", "external")],
    "multi": [("both; in_house", "in_house;both"), ("external", "external")],
    "text": [("  In their own words;\nover two lines ", "  In their own words;\nover two lines ")],
    "percent": [("30:70", "30"), ("45%", "45"), ("100/0", "100")],
    "date": [("2011-09-05", "2011-09-05")],
}


def _codes(kind: QuestionType) -> tuple[str, ...]:
    """The codes a variable of the type takes (its own, or the choice list it names)."""
    variable = Variable(id="q1", type=kind.name, text="?", choices="provider")
    return tuple(c.code for c in kind.choices(variable, CHOICE_LISTS) or ())


def _drawn(kind: QuestionType, seed: int) -> str:
    texts = ("Users sit on the planning group", "Varies, 50:50; see notes")
    period = (dt.date(2011, 9, 5), dt.date(2011, 11, 25))
    codes = _codes(kind)
    sample = Sample(random.Random(seed), kind.demo_weights(codes), codes, texts, period)
    return kind.draw(sample)


def _through_a_file(cell: str, fmt: FlatFileFormat) -> str:
    data = write_table(["value"], [[cell]], fmt)
    return read_table(data, f"answers.{fmt}", max_rows=10, max_columns=10).rows[0][0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_type_reads_back_what_it_files(name: str, fmt: FlatFileFormat) -> None:
    kind = REGISTRY[name]
    codes = _codes(kind)
    keyed = KEYED.get(name, [])
    drawn = [_drawn(kind, seed) for seed in range(20)]
    stored_drawn = [kind.normalise(raw, codes) for raw in drawn if raw not in RESERVED_CODES]
    assert stored_drawn, f"the demo never draws a {name} answer"
    for raw, stored in [*keyed, *((s, s) for s in stored_drawn)]:
        assert kind.normalise(raw, codes) == stored
        cell = _through_a_file(kind.cell(stored), fmt)
        assert kind.normalise(cell, codes) == stored


def test_types_refuse_what_they_cannot_store() -> None:
    refused = {
        "yesno": "maybe",
        "single": "outsourced",
        "multi": "both;both",
        "text": "a NUL \x00 byte",
        "percent": "30:60",
        "date": "2011-02-30",
    }
    for name, raw in refused.items():
        with pytest.raises(ValueProblem):
            REGISTRY[name].normalise(raw, _codes(REGISTRY[name]))


def test_the_registry_knows_every_type_the_2011_schedule_uses() -> None:
    instrument = load_instrument()
    used = {v.type for v in (*instrument.record_variables, *instrument.questions)}
    assert used <= set(REGISTRY)
    assert question_type(instrument.variable("q24_inhouse_pct")).closed


def test_an_unknown_type_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(MINIMAL.replace("type: yesno", "type: boolean"))
    (problem,) = [p for p in refused.value.problems if "unknown type" in p]
    known = re.search(r"\(known: (.*)\)", problem)
    assert known and set(known.group(1).split(", ")) == set(REGISTRY)


class Postcode(QuestionType):
    """A made-up type, as a new module would add it."""

    name = "postcode"

    def normalise(self, raw: str, codes: Sequence[str]) -> str:
        text = raw.strip().upper()
        if not re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", text):
            raise ValueProblem(f"{text!r} is not a postcode")
        return text

    def draw(self, sample: Sample) -> str:
        return sample.rng.choice(["EH1 1YZ", "G2 1DY"])


@pytest.fixture
def postcode() -> Iterator[QuestionType]:
    register(Postcode)
    yield REGISTRY["postcode"]
    del REGISTRY["postcode"]


def test_a_type_added_in_one_module_is_accepted_by_the_loader(postcode: QuestionType) -> None:
    schedule = MINIMAL + (
        '      - {id: q30_postcode, number: "30", type: postcode, text: "Office postcode?"}\n'
    )
    instrument = parse_instrument(schedule)
    variable = instrument.variable("q30_postcode")
    assert normalise(instrument, variable, " eh1 1yz ") == "EH1 1YZ"
    with pytest.raises(ValueProblem, match="not a postcode"):
        normalise(instrument, variable, "Edinburgh")
    assert not variable.is_closed
    assert variable not in instrument.closed_questions
