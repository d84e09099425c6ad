"""The instrument as an XLSForm, the spreadsheet KoboToolbox and ODK build their forms from:
sheets `survey`, `choices` and `settings`. No council data; returns the `.xlsx` bytes.

- Questions by type: yes/no and single choice `select_one`, multiple choice
  `select_multiple`, percentage `integer` (0 to 100), text `text` (several lines), date
  `date`; the interview record first, then one group per Part.
- Each question's label is its number and words (the lead-in on a line before), its hint
  the interviewer's help; a question the interviewer codes from the answer says so.
- Routing: the instrument's `asked_if` becomes `relevant`, each clause `variable = code` as
  `selected(${variable}, 'code')`, which holds for a single and a multiple choice alike, the
  clauses joined by `and` and `or` as in the schedule. As in the instrument, a rule on a
  question that is not itself asked does not hold: ODK leaves a question that is not
  relevant blank.
- Reserved codes: a question's choices end with "Did not answer" (`no_answer`) and "Don't
  know" (`dont_know`), as the interviewer may record on every question of the schedule;
  neither can be ticked with another choice. `not_applicable` is what routing records and
  is not offered. The interview record's role has no reserved codes, as in the app.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from instrument.model import DONT_KNOW, NO_ANSWER, RESERVED_LABELS, Condition, Variable
from instrument.schedule import Instrument
from instrument.types import Counting, question_type

OFFERED_RESERVED = (NO_ANSWER, DONT_KNOW)
SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
)
YES_NO_LIST = "yes_no"
FIXED_TIME = dt.datetime(2000, 1, 1)


def relevant(condition: Condition | None) -> str:
    """The routing rule as an XLSForm `relevant` expression ('' when always asked)."""
    if condition is None:
        return ""
    groups = [
        " and ".join(f"selected(${{{c.variable}}}, '{c.code}')" for c in group)
        for group in condition.groups
    ]
    if len(groups) == 1:
        return groups[0]
    return " or ".join(f"({g})" if len(group) > 1 else g
                       for g, group in zip(groups, condition.groups, strict=True))  # fmt: skip


def label(variable: Variable) -> str:
    number = f"{variable.number}. " if variable.number else ""
    words = " ".join(variable.text.split())
    lead_in = " ".join(variable.lead_in.split()) + "\n" if variable.lead_in else ""
    return f"{lead_in}{number}{words}"


def xlsform_bytes(instrument: Instrument, *, form_id: str, title: str, version: str) -> bytes:
    """The XLSForm workbook. `form_id` names the form (letters, digits, `_`), `version`
    tells one upload from the next."""
    lists = _Lists(instrument)
    survey: list[dict[str, str]] = []
    if instrument.record_variables:
        survey.append({"type": "begin_group", "name": "interview_record",
                       "label": "The interview record"})  # fmt: skip
        survey.extend(
            _row(instrument, v, lists, reserved=False) for v in instrument.record_variables
        )
        survey.append({"type": "end_group", "name": "interview_record"})
    taken = {v.id for v in (*instrument.record_variables, *instrument.questions)}
    for part in instrument.parts:
        group = f"part_{part.id.lower()}"
        while group in taken:
            group += "_"
        taken.add(group)
        survey.append({"type": "begin_group", "name": group,
                       "label": f"Part {part.id}: {part.title}"})  # fmt: skip
        survey.extend(_row(instrument, v, lists, reserved=True) for v in part.variables)
        survey.append({"type": "end_group", "name": group})

    workbook = Workbook()
    sheet = workbook.active
    if not isinstance(sheet, Worksheet):  # a new workbook starts with one worksheet, active
        raise TypeError("openpyxl's new workbook has no worksheet")
    sheet.title = "survey"
    _fill(sheet, SURVEY_COLUMNS, survey)
    _fill(workbook.create_sheet("choices"), ("list_name", "name", "label"), lists.rows)
    _fill(workbook.create_sheet("settings"), ("form_title", "form_id", "version"),
          [{"form_title": title, "form_id": form_id, "version": version}])  # fmt: skip
    return _reproducible(workbook)


def _reproducible(workbook: Workbook) -> bytes:
    """The workbook's bytes, the same for the same form: openpyxl's own save stamps the
    workbook and every zip entry with the time of saving."""
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    written = io.BytesIO()
    with zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()  # as Workbook.save, less its clock
    out = io.BytesIO()
    with (
        zipfile.ZipFile(written) as made,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for entry in made.infolist():
            dated = zipfile.ZipInfo(entry.filename, date_time=FIXED_TIME.timetuple()[:6])
            archive.writestr(dated, made.read(entry), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _row(
    instrument: Instrument, variable: Variable, lists: _Lists, *, reserved: bool
) -> dict[str, str]:
    kind = question_type(variable)
    hints = []
    if variable.coded:
        hints.append("Coded by the interviewer from the answer, not asked.")
    if variable.help:
        hints.append(" ".join(variable.help.split()))
    row = {
        "name": variable.id,
        "label": label(variable),
        "hint": " ".join(hints),
        "relevant": relevant(instrument.condition(variable.id)),
    }
    if kind.uses_choice_list or variable.type == "yesno":
        list_name = lists.name_for(variable, reserved=reserved)
        row["type"] = f"{'select_multiple' if kind.multiple else 'select_one'} {list_name}"
        row["required"] = "yes"
        if kind.multiple and reserved:
            alone = " and ".join(
                f"not(selected(., '{code}') and count-selected(.) > 1)" for code in OFFERED_RESERVED
            )
            row["constraint"] = alone
            row["constraint_message"] = (
                f"{' or '.join(RESERVED_LABELS[c] for c in OFFERED_RESERVED)} "
                "cannot be ticked with another choice."
            )
    elif kind.counting == Counting.NUMERIC:
        row["type"] = "integer"
        row["constraint"] = ". >= 0 and . <= 100"
        row["constraint_message"] = "A whole number of per cent, from 0 to 100."
    elif variable.type == "date":
        row["type"] = "date"
    else:
        row["type"] = "text"
        row["appearance"] = "multiline"
    return row


class _Lists:
    """The choices sheet: one list per choice list of the schedule (and `yes_no`), the
    reserved codes at its end where the questions take them. A list used both with and
    without them (by the interview record) appears twice, the second named `<list>_record`
    or `<list>_answers`."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.rows: list[dict[str, str]] = []
        self._names: dict[tuple[str | None, bool], str] = {}

    def name_for(self, variable: Variable, *, reserved: bool) -> str:
        key = (variable.choices, reserved)  # None: the yes/no questions' fixed choices
        if key in self._names:
            return self._names[key]
        used = set(self._names.values())
        base = variable.choices or YES_NO_LIST
        name = base
        if name in used:
            name = f"{base}_{'answers' if reserved else 'record'}"
        while name in used:
            name += "_"
        self._names[key] = name
        self.rows.extend(
            {"list_name": name, "name": c.code, "label": c.label}
            for c in self.instrument.choices(variable)
        )
        if reserved:
            self.rows.extend(
                {"list_name": name, "name": code, "label": RESERVED_LABELS[code]}
                for code in OFFERED_RESERVED
            )
        return name


def _fill(sheet: Worksheet, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(c) or None for c in columns])
