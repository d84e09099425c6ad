"""The wave as an SPSS `.sav` and a Stata `.dta`, written with pyreadstat: one row per council
as the flat file has it, with variable labels, value labels and the reserved codes as
user-missing values (the numbering and names are `flatfile.labels`'). Returns bytes;
pyreadstat writes only to a path, so each file passes through a temporary directory."""

from __future__ import annotations

import datetime as dt
import tempfile
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
from pyreadstat.pyclasses import MissingRange

from flatfile.labels import (
    MISSING_LETTERS,
    MISSING_NUMBERS,
    SPSS_MISSING_LABELS,
    STATA_MISSING_LABELS,
    AnalysisVariable,
    Kind,
    analysis_variables,
    fit,
    spss_names,
    stata_names,
)
from instrument.schedule import Instrument

# The packages' limits, in bytes of UTF-8 (pyreadstat refuses, or silently cuts, longer).
SPSS_VARIABLE_LABEL = 255
SPSS_VALUE_LABEL = 120
SPSS_FILE_LABEL = 64
STATA_VARIABLE_LABEL = 80
STATA_VALUE_LABEL = 32_000
STATA_FILE_LABEL = 80
SPSS_NOTE_LINE = 80
NUMBER_FORMAT = "F4.0"  # whole numbers: -9 … 100, shown without decimals

Rows = Sequence[Sequence[str]]


def sav_bytes(
    instrument: Instrument,
    header: Sequence[str],
    rows: Rows,
    *,
    member: str = "council",
    file_label: str = "",
    notes: Sequence[str] = (),
) -> bytes:
    """An SPSS system file: coded answers as numbers with value labels, -9/-8/-7 declared
    missing, percentages numeric, text as strings, the interview date as a date."""
    variables = analysis_variables(instrument, member)
    names = spss_names(variables)
    frame = _frame(variables, header, rows, names, lambda code: float(MISSING_NUMBERS[code]))
    numeric = [v for v in variables if v.numeric]
    spss_missing: list[int | float | str | MissingRange] = [*sorted(MISSING_NUMBERS.values())]
    return _written(
        lambda path: pyreadstat.write_sav(
            frame,
            path,
            file_label=fit(file_label, SPSS_FILE_LABEL),
            column_labels={names[v.name]: fit(v.label, SPSS_VARIABLE_LABEL) for v in variables},
            note=_note_lines(notes) or None,
            variable_value_labels={
                names[v.name]: _labels(v, SPSS_MISSING_LABELS, SPSS_VALUE_LABEL) for v in numeric
            },
            missing_ranges={names[v.name]: spss_missing for v in numeric if v.reserved},
            variable_measure={names[v.name]: _measure(v) for v in variables},
            variable_format={names[v.name]: NUMBER_FORMAT for v in numeric},
        ),
        ".sav",
    )


def dta_bytes(
    instrument: Instrument,
    header: Sequence[str],
    rows: Rows,
    *,
    member: str = "council",
    file_label: str = "",
) -> bytes:
    """A Stata 14+ dataset (format 118, Unicode): as the SPSS file, the reserved codes being
    the extended missing values .a (did not answer), .b (don't know) and .c (not applicable),
    and names fitted to Stata's 32 characters (`flatfile.labels.stata_names`)."""
    variables = analysis_variables(instrument, member)
    names = stata_names(variables)
    frame = _frame(variables, header, rows, names, MISSING_LETTERS.__getitem__)
    numeric = [v for v in variables if v.numeric]
    return _written(
        lambda path: pyreadstat.write_dta(
            frame,
            path,
            file_label=fit(file_label, STATA_FILE_LABEL),
            column_labels={names[v.name]: fit(v.label, STATA_VARIABLE_LABEL) for v in variables},
            version=15,
            variable_value_labels={
                names[v.name]: _labels(v, STATA_MISSING_LABELS, STATA_VALUE_LABEL) for v in numeric
            },
            missing_user_values={
                names[v.name]: sorted(MISSING_LETTERS.values()) for v in numeric if v.reserved
            },
        ),
        ".dta",
    )


def _note_lines(notes: Sequence[str]) -> list[str]:
    """SPSS keeps its notes (documents) as lines of 80 bytes: each note wrapped to fit."""
    return [fit(line, SPSS_NOTE_LINE) for note in notes for line in textwrap.wrap(note, 80)]


def _labels(variable: AnalysisVariable, missing: Mapping[Any, str], limit: int) -> dict[Any, str]:
    """A numeric column's value labels: its codes' numbers, then (if it takes them) the
    reserved codes' missing values, -9 or .a alike (pyreadstat takes Stata's letters as
    keys, though its annotation names only numbers)."""
    labels: dict[Any, str] = dict(variable.value_labels())
    if variable.reserved:
        labels.update(missing)
    return {value: fit(label, limit) for value, label in labels.items()}


def _frame(
    variables: tuple[AnalysisVariable, ...],
    header: Sequence[str],
    rows: Rows,
    names: dict[str, str],
    missing: Callable[[str], float | str],
) -> pd.DataFrame:
    """One column per variable: numbers (a reserved code as `missing` gives it), strings,
    dates. A numeric column holding Stata's letters stays of object type, as pyreadstat
    wants it. A date question (which may hold a reserved code) stays text, YYYY-MM-DD or the
    code's word; the interview record's date is a date."""
    position = {name: i for i, name in enumerate(header)}
    wanted = [n for n in _sources(variables) if n not in position]
    if wanted:
        raise ValueError(f"the rows lack the columns {', '.join(wanted)}")
    columns: dict[str, pd.Series[Any]] = {}
    for v in variables:
        cells = [row[position[v.source]] for row in rows]
        if v.kind == Kind.DATE and not v.reserved:
            values: list[object] = [dt.date.fromisoformat(c) if c else None for c in cells]
            columns[names[v.name]] = pd.Series(values, dtype=object)
        elif v.numeric:
            numbers = [v.value(c) for c in cells]
            held = [missing(n) if isinstance(n, str) else n for n in numbers]
            as_floats = all(not isinstance(n, str) for n in held)
            columns[names[v.name]] = pd.Series(
                [float("nan") if n is None else n for n in held],
                dtype="float64" if as_floats else object,
            )
        else:
            columns[names[v.name]] = pd.Series(cells, dtype=object)
    return pd.DataFrame(columns)


def _sources(variables: tuple[AnalysisVariable, ...]) -> list[str]:
    """The export columns the variables are read from, in order, each once."""
    return list(dict.fromkeys(v.source for v in variables))


def _measure(variable: AnalysisVariable) -> str:
    """SPSS's level of measurement: a number is scale, a scored list (a scale's points)
    ordinal, anything else nominal."""
    if variable.kind in (Kind.NUMBER, Kind.DATE):
        return "scale"
    return "ordinal" if variable.ordinal else "nominal"


def _written(write: Callable[[str], None], suffix: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="survey-") as folder:
        path = Path(folder) / f"wave{suffix}"
        write(str(path))
        return path.read_bytes()
