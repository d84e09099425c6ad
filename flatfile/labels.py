"""The wave's columns as statistical software sees them: variable labels, value labels and
missing values, derived from the instrument once and shared by the SPSS, Stata and data
package writers (and the codebook that documents them).

The flat file (`flatfile.columns`) stores codes as words (`yes`, `quite_useful`); SPSS and
Stata label numbers, so every choice gets a number, deterministically:

- a yes/no, single or multiple choice: its choices numbered 1, 2, 3 … in the schedule's
  order (yes = 1, no = 2; the first choice of a list is 1), the same number wherever the list
  is used;
- the reserved codes, user-missing: `no_answer` -9, `dont_know` -8, `not_applicable` -7 in
  SPSS (discrete missing values) and the extended missing values .a, .b, .c in Stata, each
  with its label ("Did not answer", "Don't know", "Not applicable");
- nothing recorded (an interview in progress, a declined council): system missing.

A multiple choice keeps its column as the flat file has it (the codes joined by ";", a
string), followed by one 0/1 indicator per choice named `<id>_<code>` (1 = mentioned), as
SPSS multiple-response sets expect; a reserved code makes every indicator of the question
that missing value. Percentages are numbers; text stays text, as recorded (a reserved code
in a text answer stays the word), and so does a date question's answer (YYYY-MM-DD), while
the interview record's date is a date. Names are the instrument's ids, never renamed, except
where Stata cannot take them (`stata_names`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from flatfile.columns import RECORD_COLUMNS
from instrument.model import (
    DONT_KNOW,
    NO_ANSWER,
    NOT_APPLICABLE,
    RESERVED_CODES,
    RESERVED_LABELS,
    Variable,
    scores_of,
)
from instrument.schedule import Instrument
from instrument.types import MULTI_SEPARATOR, Counting, question_type
from instrument.vocabulary import InterviewStatus

MISSING_NUMBERS: dict[str, int] = {NO_ANSWER: -9, DONT_KNOW: -8, NOT_APPLICABLE: -7}
MISSING_LETTERS: dict[str, str] = {NO_ANSWER: "a", DONT_KNOW: "b", NOT_APPLICABLE: "c"}
MENTIONED = 1
NOT_MENTIONED = 0
MENTION_LABELS: dict[int, str] = {NOT_MENTIONED: "Not mentioned", MENTIONED: "Mentioned"}
SPSS_MISSING_LABELS: dict[int, str] = {
    MISSING_NUMBERS[c]: RESERVED_LABELS[c] for c in RESERVED_CODES
}
STATA_MISSING_LABELS: dict[str, str] = {
    MISSING_LETTERS[c]: RESERVED_LABELS[c] for c in RESERVED_CODES
}

STATA_NAME_LIMIT = 32
SPSS_NAME_LIMIT = 64
# Words the packages keep for themselves: a variable may not be called one (any case).
STATA_RESERVED = frozenset(
    ["byte", "double", "float", "if", "in", "int", "long", "str", "strl", "using", "with"]
) | frozenset(f"str{n}" for n in range(1, 2046))
SPSS_RESERVED = frozenset(
    ["all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"]
)


class Kind(StrEnum):
    """How a column is held in an analysis file."""

    TEXT = "text"  # a string, as recorded
    CODED = "coded"  # one code of a list: a number with value labels
    NUMBER = "number"  # a whole number (a percentage)
    DATE = "date"
    CODES = "codes"  # a multiple choice's codes joined by ";", as the flat file has them
    MENTION = "mention"  # 0/1: whether one choice is among a multiple choice's codes


@dataclass(frozen=True)
class Code:
    """One choice as the analysis files number it."""

    code: str
    number: int
    label: str


@dataclass(frozen=True)
class AnalysisVariable:
    """One column of the SPSS/Stata files (and, but for the indicators, of the CSV)."""

    name: str  # the export's column (an instrument id), or `<id>_<code>` for an indicator
    kind: Kind
    label: str  # the variable label: "Q11a SWIA guidance"
    wording: str  # what was asked, in full (lead-in and question)
    source: str  # the export column its values come from
    codes: tuple[Code, ...] = ()  # CODED: every choice, numbered in the schedule's order
    reserved: bool = False  # the reserved codes may appear: user-missing values
    mention: Code | None = None  # MENTION: the choice it indicates
    question: Variable | None = None  # the instrument's variable, if it is one
    minimum: int | None = None  # NUMBER: the range a value must lie in
    maximum: int | None = None
    ordinal: bool = False  # CODED: the choices are a scale's points (each has a score)

    @property
    def numeric(self) -> bool:
        return self.kind in (Kind.CODED, Kind.NUMBER, Kind.MENTION)

    def value_labels(self) -> dict[int, str]:
        """Number -> label for the codes a value may take (reserved codes not included)."""
        if self.kind == Kind.MENTION:
            return dict(MENTION_LABELS)
        return {c.number: c.label for c in self.codes}

    def value(self, cell: str) -> float | str | None:
        """The cell of the export (`source` column) as this column holds it: a number, a
        reserved code (the writer turns it into its missing value), None for nothing recorded;
        text for a text, date or codes column. Raises ValueError for a code the list lacks."""
        if not self.numeric:
            return cell
        if not cell:
            return None
        if cell in RESERVED_CODES and self.reserved:
            return cell
        if self.kind == Kind.NUMBER:
            return float(int(cell))
        if self.kind == Kind.MENTION:
            assert self.mention is not None
            return float(MENTIONED if self.mention.code in cell.split(MULTI_SEPARATOR) else 0)
        for code in self.codes:
            if code.code == cell:
                return float(code.number)
        raise ValueError(f"{cell!r} is not a code of {self.name}")


def variable_label(variable: Variable) -> str:
    """'Q11a SWIA guidance': the question's number and short label, or its words if it has
    no label (an open question)."""
    words = variable.label or " ".join(variable.text.split())
    return f"{variable.display_number} {words}".strip()


def wording(variable: Variable) -> str:
    """What the interviewer read: the lead-in, then the question, on one line each."""
    return "\n".join(" ".join(t.split()) for t in (variable.lead_in, variable.text) if t)


def numbered_codes(instrument: Instrument, variable: Variable) -> tuple[Code, ...]:
    """The variable's choices, numbered 1, 2, 3 … in the schedule's order."""
    return tuple(
        Code(c.code, n, c.label) for n, c in enumerate(instrument.choices(variable), start=1)
    )


def analysis_variables(
    instrument: Instrument, member: str = "council"
) -> tuple[AnalysisVariable, ...]:
    """Every column, in the export's order (`flatfile.columns.export_columns`), each multiple
    choice followed by its indicators. `member` is the wave's word for one respondent."""
    variables = [*_record(instrument, member)]
    taken = set(RECORD_COLUMNS) | {v.id for v in instrument.questions}
    for question in instrument.questions:
        variables.extend(_question(instrument, question, reserved=True, taken=taken))
    return tuple(variables)


def _record(instrument: Instrument, member: str) -> list[AnalysisVariable]:
    word = member[:1].upper() + member[1:]
    statuses = tuple(
        Code(s.value, n, s.label) for n, s in enumerate(InterviewStatus, start=1)
    )  # the vocabulary's order: not contacted 1 … declined 5
    fixed = {
        "council_code": AnalysisVariable("council_code", Kind.TEXT, f"{word} code", "",
                                         "council_code"),
        "council_name": AnalysisVariable("council_name", Kind.TEXT, word, "", "council_name"),
        "status": AnalysisVariable("status", Kind.CODED, "Interview status", "", "status",
                                   codes=statuses),
        "nonresponse_reason": AnalysisVariable("nonresponse_reason", Kind.TEXT,
                                               "Reason for not taking part", "",
                                               "nonresponse_reason"),
        "interview_date": AnalysisVariable("interview_date", Kind.DATE, "Date of the interview",
                                           "", "interview_date"),
        "interviewer": AnalysisVariable("interviewer", Kind.TEXT, "Interviewer", "",
                                        "interviewer"),
    }  # fmt: skip
    record = {v.id: v for v in instrument.record_variables}
    columns = []
    for name in RECORD_COLUMNS:
        if name in record:
            columns.extend(_question(instrument, record[name], reserved=False, taken=set()))
        else:
            columns.append(fixed[name])
    return columns


def _question(
    instrument: Instrument, variable: Variable, *, reserved: bool, taken: set[str]
) -> list[AnalysisVariable]:
    kind = question_type(variable)
    column = AnalysisVariable(variable.id, Kind.TEXT, variable_label(variable), wording(variable),
                              variable.id, reserved=reserved, question=variable)  # fmt: skip
    if kind.multiple:
        listed = replace(column, kind=Kind.CODES, codes=numbered_codes(instrument, variable))
        return [listed, *_indicators(listed, taken)]
    if kind.counting == Counting.NUMERIC:
        return [replace(column, kind=Kind.NUMBER, minimum=0, maximum=100)]
    if kind.counting == Counting.CODED:
        codes = numbered_codes(instrument, variable)
        scored = bool(scores_of(instrument.choices(variable)))
        return [replace(column, kind=Kind.CODED, codes=codes, ordinal=scored)]
    if variable.type == "date":
        return [replace(column, kind=Kind.DATE)]
    return [column]


def _indicators(listed: AnalysisVariable, taken: set[str]) -> list[AnalysisVariable]:
    """`<id>_<code>` per choice; `<id>_<number>` should that name be another column's."""
    indicators = []
    for code in listed.codes:
        name = f"{listed.name}_{code.code}"
        if name in taken:
            name = f"{listed.name}_{code.number}"
        while name in taken:
            name += "_"
        taken.add(name)
        indicators.append(
            AnalysisVariable(
                name,
                Kind.MENTION,
                f"{listed.label}: {code.label}",
                listed.wording,
                listed.source,
                reserved=listed.reserved,
                mention=code,
                question=listed.question,
            )
        )
    return indicators


def spss_names(variables: tuple[AnalysisVariable, ...]) -> dict[str, str]:
    """Each column's name in SPSS: the same, but a keyword (`to`, `by` …) gets a `_v`
    suffix and a name past 64 characters is cut (neither happens with these schedules)."""
    return _valid_names([(v.name, SPSS_NAME_LIMIT) for v in variables], SPSS_RESERVED)


def stata_names(variables: tuple[AnalysisVariable, ...]) -> dict[str, str]:
    """Each column's name in Stata, which takes at most 32 characters.

    A name that fits is kept. A multiple choice any of whose indicators `<id>_<code>` would
    be longer names all its indicators `<id>_<number>` instead (the choice's number, as in
    the value labels: `q26_impacts_4`), the choice's label being in the variable label. Any
    other name too long (an id of more than 32 characters) is cut, and a cut name that is
    already taken ends `_2`, `_3` … instead. A Stata keyword (`in`, `int` …) gets `_v`.

    A numeric column's value labels are a label set that pyreadstat names after the column
    and its running number among the labelled columns (`q2_strategy_involvement9`), and a
    label set's name is also held to 32 characters: so a numeric column's name is held to 32
    less the digits of that number (29 for up to a thousand labelled columns).
    """
    labelled = sum(1 for v in variables if v.numeric)
    room = {True: STATA_NAME_LIMIT - len(str(max(labelled - 1, 0))), False: STATA_NAME_LIMIT}
    too_long = {v.source for v in variables if v.kind == Kind.MENTION and len(v.name) > room[True]}
    wanted = [
        (
            f"{v.source}_{v.mention.number}"
            if v.kind == Kind.MENTION and v.source in too_long and v.mention is not None
            else v.name,
            room[v.numeric],
        )
        for v in variables
    ]
    names = _valid_names(wanted, STATA_RESERVED)
    return {v.name: names[w] for v, (w, _) in zip(variables, wanted, strict=True)}


_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _valid_names(wanted: list[tuple[str, int]], reserved: frozenset[str]) -> dict[str, str]:
    """Each wanted name (with the most characters it may have), kept if it may be used,
    else made to fit: suffixed if a keyword, cut if too long, numbered if then taken."""
    kept = {n for n, limit in wanted if len(n) <= limit and n.lower() not in reserved}
    names: dict[str, str] = {}
    for name, limit in wanted:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a variable name")
        if name in kept:
            names[name] = name
            continue
        base = f"{name}_v" if name.lower() in reserved else name
        candidate, n = base[:limit], 1
        while candidate in kept:
            n += 1
            suffix = f"_{n}"
            candidate = base[: limit - len(suffix)] + suffix
        kept.add(candidate)
        names[name] = candidate
    return names


def fit(text: str, limit: int) -> str:
    """The text in at most `limit` bytes of UTF-8, cut at a character with "…" if cut."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len("…".encode())
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut.rstrip() + "…"
