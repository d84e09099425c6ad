"""The instrument's codebook as a Word document: every variable of the data files with its
wording, type, codes and their labels and numbers, the reserved codes, and whom it was asked
of, in words. No council data. Returns bytes; routing in words comes from the caller (the
dashboard's own sentences, `instrument.progress.routing_text`), so this stays pure."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from docx import Document
from docx.document import Document as WordDocument
from docx.shared import Pt

from flatfile.labels import (
    MISSING_LETTERS,
    MISSING_NUMBERS,
    AnalysisVariable,
    Kind,
    analysis_variables,
    spss_names,
    stata_names,
)
from instrument.model import RESERVED_CODES, RESERVED_LABELS, Variable
from instrument.schedule import Instrument

TABLE_STYLE = "Light List Accent 1"
TYPE_WORDS = {
    "yesno": "Yes or no",
    "single": "Single choice: one code",
    "multi": "Multiple choice: any number of codes",
    "percent": "Percentage: a whole number from 0 to 100",
    "text": "Text, in the respondent's own words",
    "date": "Date: YYYY-MM-DD (text in SPSS and Stata, so that a reserved code keeps its word)",
}
KIND_WORDS = {
    Kind.TEXT: "Text",
    Kind.CODED: "Single choice: one code",
    Kind.DATE: "Date (YYYY-MM-DD)",
}


def codebook_docx(
    instrument: Instrument,
    *,
    title: str,
    wave_key: str,
    instrument_sha256: str = "",
    member: str = "council",
    routing: Mapping[str, str] | None = None,
) -> bytes:
    """The codebook. `routing` gives, by variable id, whom a routed question was asked of in
    words ("answered “Yes” to Q11 Used SWIA guide")."""
    variables = analysis_variables(instrument, member)
    spss, stata = spss_names(variables), stata_names(variables)
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)
    document.add_heading(f"{title}: codebook", level=0)
    pinned = f", SHA-256 {instrument_sha256}" if instrument_sha256 else ""
    document.add_paragraph(
        f"The variables of wave {wave_key}, asked with the schedule “{instrument.title}” "
        f"({instrument.name}{pinned}), in the order of the data files: the answers as CSV "
        "(`survey_cli.py export --format csv`), the Frictionless data package, the SPSS .sav "
        "and the Stata .dta."
    )
    _conventions(document, member)
    by_question: dict[str, list[AnalysisVariable]] = {}
    for v in variables:
        by_question.setdefault(v.source, []).append(v)
    document.add_heading("The interview record", level=1)
    for source, group in by_question.items():
        if not instrument.has_variable(source) or source in {
            r.id for r in instrument.record_variables
        }:
            _variable(document, instrument, group, spss, stata, routing or {}, member)
    for part in instrument.parts:
        document.add_heading(f"Part {part.id}: {part.title}", level=1)
        for question in part.variables:
            group = by_question[question.id]
            _variable(document, instrument, group, spss, stata, routing or {}, member)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _conventions(document: WordDocument, member: str) -> None:
    document.add_heading("How the files hold the answers", level=1)
    for text in (
        f"One row per {member}. The data files hold only the {member}s that have validated "
        "their submission, unless they were made as a draft (the SPSS and Stata file labels "
        "and the data package's description say which).",
        "Codes. The CSV and the data package hold each answer's code as a word (yes, "
        "quite_useful). In SPSS and Stata a code is a number with its value label: the "
        "choices of a list are numbered 1, 2, 3 … in the schedule's order (yes = 1, no = 2), "
        "as the tables below give them.",
        "Reserved codes may be recorded on any question (not the interview record) and are "
        "user-missing in SPSS and extended missing in Stata (table below). A blank (nothing "
        f"recorded: an interview still in progress, a declined or not yet interviewed {member}) "
        "is system-missing. A reserved code in a text answer stays the word.",
        "Multiple choice. The question's own column holds the codes mentioned, separated by "
        "“;”, as text. After it comes one indicator per choice, named <id>_<code>: 1 if the "
        "choice was mentioned, 0 if not, the reserved code's missing value on all of them if "
        "one was recorded instead. Declare them an SPSS multiple dichotomy set (MRSETS) "
        "counting the value 1.",
        "Names. Every name is the instrument's variable id. Stata takes at most 32 "
        "characters (and pyreadstat names a column's value labels after it with a number, "
        "so a labelled column is held to 29 or 30): where a multiple choice's <id>_<code> "
        "would be longer, Stata's file names all of that question's indicators "
        "<id>_<number>, the choice's number in its list; the tables below give both names "
        "where they differ.",
        "Text answers are verbatim: for readers not entitled to read them (auditors not "
        "granted verbatim access) the text columns are blank.",
    ):
        document.add_paragraph(text, style="List Bullet")
    rows = [
        (code, RESERVED_LABELS[code], str(MISSING_NUMBERS[code]), f".{MISSING_LETTERS[code]}",
         code)
        for code in RESERVED_CODES
    ]  # fmt: skip
    _table(document, ("Reserved code", "Meaning", "SPSS value", "Stata value", "CSV"), rows)


def _variable(
    document: WordDocument,
    instrument: Instrument,
    group: Sequence[AnalysisVariable],
    spss: Mapping[str, str],
    stata: Mapping[str, str],
    routing: Mapping[str, str],
    member: str,
) -> None:
    head = group[0]
    question = head.question
    document.add_heading(head.name, level=2)
    facts: list[tuple[str, str]] = []
    if question is not None and question.number:
        facts.append(("Question", question.display_number))
    facts.append(("Label", head.label))
    if head.wording and head.wording != head.label:
        facts.append(("Wording", head.wording))
    facts.append(("Type", _type_words(head, question)))
    if question is not None:
        routed = routing.get(question.id)
        facts.append(("Asked of", f"Those who {routed}" if routed else "Everyone interviewed"))
        if question.coded:
            facts.append(("Recorded", "Coded by the interviewer from the answer, not asked"))
        if question.help:
            facts.append(("Interviewer's help", " ".join(question.help.split())))
    else:
        facts.append(("Recorded", f"For every {member}: the interview record"))
    facts.append(("Reserved codes", _reserved_words(head)))
    if stata[head.name] != head.name or spss[head.name] != head.name:
        facts.append(("Names", f"SPSS {spss[head.name]}, Stata {stata[head.name]}"))
    _table(document, ("", ""), facts, headed=False)
    if head.kind == Kind.CODES:
        rows = [
            (v.mention.code, v.mention.label, str(v.mention.number), spss[v.name], stata[v.name])
            for v in group[1:]
            if v.mention is not None
        ]
        _table(document, ("Code", "Label", "Number", "SPSS indicator", "Stata indicator"), rows)
    elif head.codes:
        _table(document, ("Code", "Label", "SPSS and Stata value"),
               [(c.code, c.label, str(c.number)) for c in head.codes])  # fmt: skip


def _type_words(variable: AnalysisVariable, question: Variable | None) -> str:
    if question is not None and question.type in TYPE_WORDS:
        return TYPE_WORDS[question.type]
    return KIND_WORDS.get(variable.kind, variable.kind.value)


def _reserved_words(variable: AnalysisVariable) -> str:
    if not variable.reserved:
        return "None"
    if variable.kind in (Kind.TEXT, Kind.DATE):
        return "no_answer, dont_know, not_applicable, recorded as these words"
    return "; ".join(
        f"{code} ({RESERVED_LABELS[code]}): SPSS {MISSING_NUMBERS[code]}, "
        f"Stata .{MISSING_LETTERS[code]}"
        for code in RESERVED_CODES
    )


def _table(
    document: WordDocument,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    headed: bool = True,
) -> None:
    """A table of text; `headed`: its first row names the columns."""
    lines = [tuple(columns), *rows] if headed else list(rows)
    table = document.add_table(rows=len(lines), cols=len(columns))
    table.style = TABLE_STYLE if headed else "Table Grid"
    for r, line in enumerate(lines):
        for c, value in enumerate(line):
            table.cell(r, c).text = value
    document.add_paragraph()
