"""Plain English for report text: numbers in words, counts with nouns, lists, dates, shares.

House style (Audit Scotland): a number that starts a sentence is written in words, one to ten
are words inside a sentence, larger numbers are digits; lists read "a, b and c".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"))
WORDS_INSIDE_UP_TO = 10


def number_words(n: int) -> str:
    """23 -> 'twenty-three', 105 -> 'one hundred and five' (British usage), in lower case."""
    if n < 0:
        return f"minus {number_words(-n)}"
    if n < 20:
        return _UNITS[n]
    if n < 100:
        tens, units = divmod(n, 10)
        return _TENS[tens] + (f"-{_UNITS[units]}" if units else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{_UNITS[hundreds]} hundred"
        return f"{head} and {number_words(rest)}" if rest else head
    for size, name in _SCALES:
        if n >= size:
            high, rest = divmod(n, size)
            head = f"{number_words(high)} {name}"
            if not rest:
                return head
            joiner = " and " if rest < 100 else " "
            return f"{head}{joiner}{number_words(rest)}"
    raise AssertionError("unreachable")  # pragma: no cover


def number_text(n: int, *, sentence_start: bool = False) -> str:
    """A count as the house style writes it: 'Nineteen' to open a sentence, 'seven', '23'."""
    if sentence_start:
        return capitalise(number_words(n))
    if 0 <= n <= WORDS_INSIDE_UP_TO:
        return number_words(n)
    return f"{n:,}"


def noun_plural(singular: str) -> str:
    """'respondent' -> 'respondents', 'authority' -> 'authorities', 'box' -> 'boxes'."""
    if re.search(r"[^aeiou]y$", singular):
        return singular[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", singular):
        return singular + "es"
    return singular + "s"


def counted(n: int, singular: str) -> str:
    """'1 answer', '2,048 rows': a figure and its noun, for screens (reports spell numbers)."""
    return f"{n:,} {singular if n == 1 else noun_plural(singular)}"


def agree(n: int, singular: str, plural: str) -> str:
    """The singular for exactly one, the plural otherwise (zero included: 'no councils')."""
    return singular if n == 1 else plural


def count_text(
    n: int, singular: str | None = None, plural: str | None = None, *, sentence_start: bool = False
) -> str:
    """A count with its noun: 'Nineteen respondents', 'one respondent', 'no councils', 'none'."""
    if n == 0:
        word = "no" if singular else "none"
        number = capitalise(word) if sentence_start else word
    else:
        number = number_text(n, sentence_start=sentence_start)
    if not singular:
        return number
    return f"{number} {agree(n, singular, plural or noun_plural(singular))}"


def join_list(items: Sequence[str], *, semicolons: bool = False) -> str:
    """'a', 'a and b', 'a, b and c' (no serial comma); with semicolons 'a; b; and c', for items
    that hold commas or 'and' themselves ('Argyll and Bute; and Orkney Islands')."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    if semicolons:
        return f"{'; '.join(items[:-1])}; and {items[-1]}"
    return f"{', '.join(items[:-1])} and {items[-1]}"


def capitalise(text: str) -> str:
    """Upper-case the first character only ('in-house share' -> 'In-house share')."""
    return text[:1].upper() + text[1:]


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: 'Older people' -> 'older people'.

    The first letter is lowered only when it looks like an ordinary capital: not an acronym
    ('SWIA guidance') and not the start of a name ('Care Inspectorate grades'); 'Used SWIA
    guide' reads 'used SWIA guide'.
    """
    words = label.split()
    if not words:
        return label
    first = words[0]
    if not (first[:1].isupper() and not any(c.isupper() for c in first[1:])):
        return label
    if len(words) > 1 and words[1][:1].isupper() and not words[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def percent_text(value: float) -> str:
    """45.0 -> '45%', 47.5 -> '47.5%'."""
    return f"{value:g}%"


def mean_text(mean: float, scores: Mapping[str, int]) -> str:
    """A scale's mean to one decimal, signed where the scale has a negative end: '1.4',
    '+0.6', '−0.3' (a real minus, as print has it)."""
    text = f"{abs(mean):.1f}"
    if min(scores.values(), default=0) >= 0:
        return text
    return ("−" if round(mean, 1) < 0 else "+" if round(mean, 1) > 0 else "") + text


def scale_text(scores: Mapping[str, int]) -> str:
    """'0 to 2', '−2 to +2': the ends of a scale, as its means are written."""
    low, high = min(scores.values()), max(scores.values())
    signed = low < 0
    return f"{_signed(low, signed)} to {_signed(high, signed)}"


def _signed(point: int, signed: bool) -> str:
    return f"−{-point}" if point < 0 else f"+{point}" if signed and point > 0 else str(point)


def day_text(day: dt.date, *, year: bool = True) -> str:
    """12 September 2011 (no leading zero), optionally without the year."""
    text = f"{day.day} {day:%B}"
    return f"{text} {day.year}" if year else text


def date_range_text(first: dt.date, last: dt.date) -> str:
    """'on 12 September 2011', 'between 12 and 30 September 2011',
    'between 12 September and 4 November 2011', 'between 12 December 2011 and 4 January 2012'."""
    if first == last:
        return f"on {day_text(first)}"
    if (first.year, first.month) == (last.year, last.month):
        return f"between {first.day} and {day_text(last)}"
    if first.year == last.year:
        return f"between {day_text(first, year=False)} and {day_text(last)}"
    return f"between {day_text(first)} and {day_text(last)}"
