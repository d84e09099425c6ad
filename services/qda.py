"""A wave's open answers, codebook and codings exchanged with NVivo, ATLAS.ti and MAXQDA as
REFI-QDA files: the project (`.qdpx`: one text source per respondent and open question, one case
per respondent, the themes as codes, each coder as a user, every coding as a selection by
offset) and the codebook alone (`.qdc`). Both read back all or nothing, every problem located:
a source is matched by the GUID the export gave it, and must still read as the answer does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Answer, Coding, Council, Interview, Theme, Wave
from flatfile.checks import ImportProblem
from flatfile.codebook import CODEBOOK_COLUMNS, VARIABLE_SEPARATOR, check_codebook_file
from flatfile.codings import CODER, CodingRow
from flatfile.qda import (
    Case,
    Code,
    Project,
    Selection,
    Source,
    guid,
    read_qdc,
    read_qdpx,
    walk,
    write_qdc,
    write_qdpx,
)
from flatfile.table import write_table
from instrument.values import match_key
from services.actor import Actor
from services.codings import CODE, given_answers
from services.codings_file import CodingsRefused, add_codings
from services.interviews import get_wave, member_word
from services.permissions import require, require_change
from services.themes import (
    CheckedCodebook,
    ThemeRefused,
    ThemeSummary,
    add_codebook,
    list_themes,
    open_questions,
)

QUOTES = "Quote candidates"  # the code that marks a passage a quote candidate
QUOTES_MEANING = (
    "Passages proposed for quotation in the report. A theme coded on the same passage says "
    "what it is a quote of; approval is given in the survey, by someone other than the coder."
)
OPEN_QUESTIONS, REPORT = "Open questions: ", "Report sentence: "


# --- the codebook ------------------------------------------------------------------------------


def export_qdc(session: Session, *, actor: Actor, wave_key: str) -> bytes:
    """The wave's codebook as a REFI-QDA `.qdc` that `import_qdc` (or NVivo) reads."""
    return write_qdc(_codes(session, actor, wave_key))


def import_qdc(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    data: bytes,
    filename: str = "codebook.qdc",
    variables: Sequence[str] = (),
) -> list[ThemeSummary]:
    """Add a REFI-QDA codebook's codes to the wave as themes, all or none. A code applies to
    the open questions its description names (as this survey exports it), else `variables`."""
    codes, problems = read_qdc(data)
    listed = [(code, parent, depth) for code, parent, depth in walk(codes) if code.name != QUOTES]

    def check(open_ids: list[str], existing: dict[str, bool]) -> CheckedCodebook:
        rows = []
        for code, parent, depth in listed:
            description, ids, report = _undescribed(code.description)
            if not code.name:  # a blank row would be skipped, not refused
                problems.append(ImportProblem("the code has no name", line=code.line,
                                              column="name", value=""))  # fmt: skip
            if depth > 2:
                problems.append(ImportProblem("themes go two levels deep; this code is at level "
                                              f"{depth}", line=code.line, column="<Code>",
                                              value=code.name))  # fmt: skip
            rows.append([code.name, parent.name if parent else "", description,
                         VARIABLE_SEPARATOR.join(ids or variables), report])  # fmt: skip
        table = write_table(list(CODEBOOK_COLUMNS), rows, "csv")
        read, found = check_codebook_file(table, filename, open_questions=open_ids,
                                          name_key=match_key, existing=existing)  # fmt: skip
        return read, problems + [_at_code(p, listed) for p in found]

    if not listed and not problems:
        problems.append(ImportProblem("the codebook has no codes"))
    try:
        return add_codebook(session, actor=actor, wave_key=wave_key, filename=filename,
                            check=check)  # fmt: skip
    except ThemeRefused as refused:
        refused.problems.sort(key=lambda p: p.line or 0)
        raise


def _at_code(problem: ImportProblem, listed: list[tuple[Code, Code | None, int]]) -> ImportProblem:
    """A problem found in the codebook's rows, placed at the code it came from."""
    if problem.row is None or not 2 <= problem.row < len(listed) + 2:
        return problem
    code = listed[problem.row - 2][0]
    where = {"theme": "name", "parent": "parent code", "variables": "Open questions",
             "report": "Report sentence", "description": "<Description>"}  # fmt: skip
    return ImportProblem(problem.reason, line=code.line, column=where.get(problem.column or "",
                         problem.column), value=problem.value)  # fmt: skip


def _codes(session: Session, actor: Actor, wave_key: str) -> tuple[Code, ...]:
    themes = list_themes(session, actor=actor, wave_key=wave_key)

    def code(theme: ThemeSummary, children: tuple[Code, ...] = ()) -> Code:
        described = _described(theme.description, theme.variables, theme.report)
        return Code(guid("theme", wave_key, str(theme.id)), theme.name, described, children)

    return tuple(
        code(top, tuple(code(child) for child in themes if child.parent == top.name))
        for top in themes
        if top.parent is None
    )


def _described(description: str, variables: Sequence[str], report: str) -> str:
    """A theme's description, then the open questions it applies to and its report sentence on
    lines of their own, so another tool keeps them and they come back on import."""
    lines = [description] if description else []
    lines.append(OPEN_QUESTIONS + f"{VARIABLE_SEPARATOR} ".join(variables))
    if report:
        lines.append(REPORT + report)
    return "\n\n".join(lines)


def _undescribed(text: str) -> tuple[str, tuple[str, ...], str]:
    kept: list[str] = []
    ids: tuple[str, ...] = ()
    report = ""
    for part in text.split("\n\n"):
        if part.startswith(OPEN_QUESTIONS):
            said = part.removeprefix(OPEN_QUESTIONS).split(VARIABLE_SEPARATOR)
            ids = tuple(v.strip() for v in said if v.strip())
        elif part.startswith(REPORT):
            report = part.removeprefix(REPORT).strip()
        else:
            kept.append(part)
    return "\n\n".join(kept).strip(), ids, report


# --- the project -------------------------------------------------------------------------------


def export_qdpx(session: Session, *, actor: Actor, wave_key: str) -> bytes:
    """The wave's open answers (verbatim: for coders only), codebook and every coder's
    codings as a REFI-QDA project."""
    require(session, actor, CODE, target=f"wave {wave_key} REFI-QDA project")
    wave = get_wave(session, wave_key)
    answers = _answers(session, wave)
    quote = guid("quotes", wave.key)
    codes = (*_codes(session, actor, wave_key), Code(quote, QUOTES, QUOTES_MEANING))
    coded: dict[tuple[int, str], dict[tuple[str, int, int], list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    left_out = 0
    for coding in _codings(session, wave):
        text = answers.get((coding.interview_id, coding.variable_id), (None, ""))[1]
        whole = coding.start_offset == coding.end_offset == 0
        start, end = (0, len(text)) if whole else (coding.start_offset, coding.end_offset)
        if not text or (not whole and text[start:end] != coding.passage):
            left_out += 1  # the answer changed since it was coded
            continue
        codes_here = coded[(coding.interview_id, coding.variable_id)][(coding.coder, start, end)]
        codes_here.append(guid("theme", wave.key, str(coding.theme_id)))
        if coding.quote and quote not in codes_here:
            codes_here.append(quote)
    sources, cases = [], defaultdict(list)
    for (interview_id, variable_id), (council, text) in answers.items():
        source = guid("source", wave.key, council.code, variable_id)
        selections = tuple(
            Selection(guid("selection", source, coder, str(start), str(end)), start, end, coder,
                      tuple(code_guids))
            for (coder, start, end), code_guids in sorted(coded[interview_id, variable_id].items())
        )  # fmt: skip
        sources.append(Source(source, f"{council.name} — {variable_id}", text, selections))
        cases[(council.code, council.name)].append(source)
    said = (f"Wave {wave.key}: every answer to its open questions, one text source per "
            f"{member_word(session, wave.frame)} and question, with the codebook and each "
            "coder's codings.")  # fmt: skip
    if left_out:
        said += f" {left_out} codings were left out: their answers changed after coding."
    return write_qdpx(Project(
        f"{wave.title or wave.key}: open answers",
        description=said,
        codes=codes,
        sources=tuple(sources),
        cases=tuple(Case(guid("case", wave.key, code), name, tuple(s))
                    for (code, name), s in cases.items()),
    ))  # fmt: skip


def import_qdpx(
    session: Session, *, actor: Actor, wave_key: str, data: bytes, filename: str = "project.qdpx"
) -> int:
    """Add a REFI-QDA project's codings to the wave, all or none; return how many were added.
    Sources are the wave's answers, found by the GUIDs the export gave them; codes are the
    wave's themes, found by GUID or by name (import a new codebook first, as a `.qdc`)."""
    require(session, actor, CODE, target=f"wave {wave_key} codings")
    wave = get_wave(session, wave_key)
    require_change(session, actor, CODE, wave, target=f"wave {wave_key} codings {filename}")
    project, problems = read_qdpx(data)
    rows: list[CodingRow] = []
    if project is not None:
        rows = _project_codings(session, wave, project, problems)
    if problems:
        session.rollback()
        raise CodingsRefused(sorted(problems, key=lambda p: p.line or 0), file=filename)
    return add_codings(session, actor, wave_key, rows, filename)


def _project_codings(
    session: Session, wave: Wave, project: Project, problems: list[ImportProblem]
) -> list[CodingRow]:
    answers = {
        guid("source", wave.key, council.code, variable_id): (interview_id, variable_id, text)
        for (interview_id, variable_id), (council, text) in _answers(session, wave).items()
    }
    themes = list(session.scalars(select(Theme).where(Theme.wave_id == wave.id)))
    by_guid = {guid("theme", wave.key, str(t.id)): t for t in themes}
    by_name = {t.name_key: t for t in themes}
    quote_codes = {guid("quotes", wave.key)}
    named: dict[str, Theme | None] = {}
    for code, _parent, _depth in walk(project.codes):
        if code.guid in by_guid:
            named[code.guid] = by_guid[code.guid]
        elif code.name == QUOTES:
            quote_codes.add(code.guid)
        else:
            named[code.guid] = by_name.get(match_key(code.name))
    rows: dict[tuple[int, str, int, str, int, int], CodingRow] = {}
    for source in project.sources:
        found = answers.get(source.guid)
        if found is None:
            problems.append(ImportProblem(f"the text source {source.name!r} is not an answer of "
                                          f"wave {wave.key} (sources are matched by the GUIDs "
                                          "the survey's export gave them)", line=source.line,
                                          column="<TextSource>", value=source.guid))  # fmt: skip
            continue
        interview_id, variable_id, text = found
        if source.text != text:
            problems.append(ImportProblem(f"the source's text is not the answer to {variable_id} "
                                          "as held now; it has changed since the export, so its "
                                          "offsets cannot be trusted: export again",
                                          line=source.line, column="<TextSource>",
                                          value=source.name))  # fmt: skip
            continue
        for selection in source.selections:
            for row in _selection_codings(selection, interview_id, variable_id, text, named,
                                          quote_codes, problems):  # fmt: skip
                key = (row.interview_id, row.variable_id, row.theme_id, row.coder, row.start,
                       row.end)  # fmt: skip
                rows.setdefault(key, row)
    return list(rows.values())


def _selection_codings(
    selection: Selection,
    interview_id: int,
    variable_id: str,
    text: str,
    named: dict[str, Theme | None],
    quote_codes: set[str],
    problems: list[ImportProblem],
) -> list[CodingRow]:
    def problem(why: str, value: str | None = None) -> None:
        problems.append(ImportProblem(why, line=selection.line, column="<PlainTextSelection>",
                                      value=value))  # fmt: skip

    if not CODER.fullmatch(selection.coder):
        problem("a coder is an account's username (2 to 40 letters, digits, '.', '_' or '-')",
                selection.coder)  # fmt: skip
        return []
    whole = (selection.start, selection.end) == (0, len(text))
    start, end = (0, 0) if whole else (selection.start, selection.end)
    quote = any(code in quote_codes for code in selection.codes)
    if quote and whole:
        problem("a whole answer is coded, not quoted: mark a passage as a quote candidate")
    themes = [c for c in selection.codes if c not in quote_codes]
    if quote and not themes:
        problem(f"a quote candidate needs a theme coded on the same passage ({QUOTES} alone)")
    rows = []
    for code in themes:
        theme = named.get(code)
        if theme is None:
            problem("the code is not a theme of this wave: import its codebook (.qdc) first", code)
        elif variable_id not in {v.variable_id for v in theme.variables}:
            problem(f"the theme {theme.name!r} does not code {variable_id!r}", theme.name)
        else:
            rows.append(CodingRow(selection.line or 0, interview_id, variable_id, theme.id,
                                  selection.coder, start, end, text[start:end] if end else "",
                                  quote and not whole))  # fmt: skip
    return rows


def _answers(session: Session, wave: Wave) -> dict[tuple[int, str], tuple[Council, str]]:
    """Every answer to the wave's open questions (not blank, not a reserved code), by
    respondent name and question in schedule order."""
    order = {v: i for i, v in enumerate(open_questions(wave))}
    found = session.execute(
        given_answers(wave.id, None)
        .add_columns(Answer.variable_id, Council, Answer.value)
        .join(Council, Council.id == Interview.council_id)
        .where(Answer.variable_id.in_(order))
    ).all()
    found = sorted(found, key=lambda r: (r[2].name, order[r[1]]))
    return {(i, v): (council, str(value)) for i, v, council, value in found}


def _codings(session: Session, wave: Wave) -> Sequence[Coding]:
    return session.scalars(
        select(Coding)
        .join(Interview, Interview.id == Coding.interview_id)
        .where(Interview.wave_id == wave.id)
        .order_by(Coding.id)
    ).all()
