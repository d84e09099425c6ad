"""Reading a recorded value for a variable: one set of rules for the app and the importer.

Every refusal is a `ValueProblem` whose message says, in words, what is wrong, so the
interviewer and the auditor reading an import report see the same sentence.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from instrument.errors import SurveyError
from instrument.model import NO_ANSWER, NOT_APPLICABLE, RESERVED_CODES, Variable

if TYPE_CHECKING:
    from instrument.schedule import Instrument
    from instrument.types.base import QuestionType

MAX_TEXT_LENGTH = 20_000
MULTI_SEPARATOR = ";"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # half a UTF-16 pair: no database or file can hold it
_UNTYPED = re.compile(f"{_CONTROL.pattern}|{_SURROGATE.pattern}")  # either: one look per text
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_UK_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", re.ASCII)
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
SHOWN = 30  # characters of a typed value repeated in a refusal
_RATIO = re.compile(r"^(\d+(?:\.\d+)?)\s*[:/]\s*(\d+(?:\.\d+)?)$")
_SHARE = re.compile(r"^(-?\d+(?:\.\d+)?)\s*%?$")


class ValueProblem(SurveyError, ValueError):
    """A value that cannot be recorded, with the reason in words."""

    code = "value.invalid"


def parse_percent(text: str) -> int:
    """The in-house share from `30:70`, `30/70`, `30%` or `30`; refusals say why in words."""
    typed = text.strip()
    if not typed:
        raise ValueProblem("nothing was typed")
    ratio = _RATIO.match(typed)
    if ratio:
        first, second = (_whole(ratio.group(i), typed) for i in (1, 2))
        if first + second != 100:
            raise ValueProblem(f"{_shown(typed)} adds up to {_number(first + second)}, not 100")
        return first
    share = _SHARE.match(typed)
    if not share:
        raise ValueProblem(
            f"{_shown(typed)!r} is not a share: type the in-house share as 30, 30%, 30:70 or 30/70"
        )
    value = _whole(share.group(1), typed)
    if value > 100:
        raise ValueProblem(f"{_number(value)} is more than 100")
    return value


def _whole(number: str, typed: str) -> int:
    """Exact decimal arithmetic: no float rounds 30.0000000000000000001 to 30 or 1e400 to inf."""
    exact = Decimal(number)
    if exact != exact.to_integral_value():
        raise ValueProblem(f"{_shown(typed)} is not a whole number of per cent")
    value = int(exact)
    if value < 0:
        raise ValueProblem(f"{_number(value)} is less than 0")
    return value


def _number(value: int) -> str:
    """A whole number as typed back to the interviewer; a runaway one by its length."""
    return str(value) if abs(value) < 10**SHOWN else f"a number with more than {SHOWN} digits"


def _shown(typed: str) -> str:
    return typed if len(typed) <= SHOWN else typed[:SHOWN] + "…"


def check_text(text: str) -> str:
    """Free text as typed, refusing what no person types: control characters, runaway length."""
    if _UNTYPED.search(text):
        if _CONTROL.search(text):
            raise ValueProblem("contains a control character (such as a NUL or escape byte)")
        raise ValueProblem(
            "contains a broken character (half of a UTF-16 pair) that cannot be stored"
        )
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueProblem(f"is {len(text):,} characters long; the limit is {MAX_TEXT_LENGTH:,}")
    return text


def parse_date(text: str) -> dt.date:
    """A date typed as YYYY-MM-DD; a day the calendar does not have is refused saying so."""
    typed = text.strip()
    try:
        return dt.date.fromisoformat(typed)
    except ValueError:
        pass
    shape = _ISO_DATE.fullmatch(typed)
    if not shape:
        raise ValueProblem(f"{_shown(typed)!r} is not a date in the form YYYY-MM-DD")
    year, month, day = (int(part) for part in shape.groups())
    return _real_date(typed, year, month, day)


def parse_uk_date(text: str) -> dt.date:
    """A date as an interviewer in Scotland types it: dd/mm/yyyy (also d/m/yyyy, dd.mm.yyyy,
    dd-mm-yyyy), or YYYY-MM-DD; a day the calendar does not have is refused saying so."""
    typed = text.strip()
    if _ISO_DATE.fullmatch(typed):
        return parse_date(typed)
    shape = _UK_DATE.fullmatch(typed)
    if not shape:
        raise ValueProblem(
            f"{_shown(typed)!r} is not a date: type it as dd/mm/yyyy, e.g. 03/05/2011"
        )
    day, month, year = (int(part) for part in shape.groups())
    return _real_date(typed, year, month, day)


def _real_date(typed: str, year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        pass
    if year == 0:
        raise ValueProblem(f"{typed} is not a real date: there is no year 0")
    if not 1 <= month <= 12:
        raise ValueProblem(f"{typed} is not a real date: there is no month {month}")
    if day == 0:
        raise ValueProblem(f"{typed} is not a real date: there is no day 0")
    days = calendar.monthrange(year, month)[1]
    raise ValueProblem(f"{typed} is not a real date: {MONTHS[month - 1]} {year} has {days} days")


def normalise(instrument: Instrument, variable: Variable, raw: str | None) -> str | None:
    """The canonical stored text for a value, None for blank; raise ValueProblem otherwise.

    Reserved codes are accepted on every variable; whether `not_applicable` fits the
    routing is for the caller, which knows the other answers.
    """
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if text in RESERVED_CODES:
        return text
    kind = _question_type()(variable)
    return kind.normalise(raw, instrument.choice_codes(variable))


@cache
def _question_type() -> Callable[[Variable], QuestionType]:
    """`instrument.types.question_type`, imported once it is first needed: the types parse
    with the rules above, so they import this module."""
    from instrument.types import question_type

    return question_type


def is_recorded(value: str | None) -> bool:
    """Recorded means anything but blank; `no_answer` and `dont_know` are recorded answers."""
    return bool(value) and value != NOT_APPLICABLE


__all__ = [
    "NO_ANSWER",
    "ValueProblem",
    "check_text",
    "is_recorded",
    "normalise",
    "parse_date",
    "parse_percent",
]


def match_key(text: str) -> str:
    """The key two names typed differently match by (a council's code, name or alias; a
    theme's): case, spacing, punctuation and '&' vs 'and' don't distinguish them. Here, below
    the database and the files, so that an import's checks and the database match alike."""
    text = text.casefold().replace("&", " and ")
    return " ".join(re.sub(r"[^\w\s-]", " ", text).split())
