"""The codebooks of the open answers: per wave, themes (a name, what it means, at most one
parent) for one open question or several at once. Themes are added, renamed, described, put
under another, merged, and exported and imported as a flat file so a codebook is reused in the
next wave. Every change is checked whole (every problem listed), written with its audit row in
one transaction, and refused in a closed wave."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Coding, CodingDecision, Theme, ThemeVariable, Wave, utcnow
from flatfile.checks import ImportProblem, ImportRefused
from flatfile.codebook import (
    CODEBOOK_COLUMNS,
    VARIABLE_SEPARATOR,
    CodebookTheme,
    check_codebook_file,
    name_problem,
    report_problem,
    variables_problem,
)
from flatfile.table import FlatFileFormat, write_table
from instrument.types import question_type
from instrument.values import match_key
from services import audit
from services.actor import Actor
from services.codings import record_history
from services.interviews import NotFound, get_wave, pinned
from services.permissions import require, require_change

MANAGE = "manage the codebook"
TWO_LEVELS = "themes go two levels deep"


class ThemeRefused(ImportRefused):
    """A codebook change not made, with every problem listed (a file's with its row and
    column); nothing was written."""

    code = "theme.refused"
    refused = "codebook not changed"


@dataclass(frozen=True)
class ThemeSummary:
    """A theme as pages and the CLI see it: `parent` is its parent's name, if any."""

    id: int
    name: str
    description: str
    parent: str | None
    variables: tuple[str, ...]
    report: str = ""


def open_questions(wave: Wave) -> list[str]:
    """The wave's open questions, in schedule order: the answers a codebook's themes code."""
    return [v.id for v in pinned(wave).questions if question_type(v).verbatim]


def list_themes(session: Session, *, actor: Actor, wave_key: str) -> list[ThemeSummary]:
    """The wave's codebook: each top-level theme by name, its children under it by name."""
    require(session, actor, "read the wave", target=f"wave {wave_key}")
    themes = _themes(session, get_wave(session, wave_key))
    names = {t.id: t.name for t in themes}
    by_name = sorted(themes, key=lambda t: t.name_key)
    ordered = [
        t
        for p in by_name
        if p.parent_id is None
        for t in (p, *(c for c in by_name if c.parent_id == p.id))
    ]
    return [_summary(t, names) for t in ordered]


def create_theme(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    name: str,
    variables: Sequence[str],
    description: str = "",
    parent: str | None = None,
    report: str = "",
) -> ThemeSummary:
    """Add a theme to the wave's codebook (under `parent`, a top-level theme, if given), with
    the report's sentence for it if the generic one would read badly."""
    wave = _changing(session, actor, wave_key, f"wave {wave_key} theme {name.strip()}")
    themes = {t.name_key: t for t in _themes(session, wave)}
    name = name.strip()
    problems = _theme_problems(name, variables, open_questions(wave), report.strip())
    if match_key(name) in themes:
        problems.append(
            ImportProblem("the wave already has this theme", column="theme", value=name)
        )
    above = _parent(themes, parent, problems)
    _refuse(session, problems)
    theme = _add(
        session,
        actor,
        wave,
        CodebookTheme(name, None, description.strip(), tuple(variables), report.strip()),
        above,
    )
    session.commit()
    return _summary(theme, {t.id: t.name for t in (*themes.values(), theme)})


def change_theme(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    theme: str,
    name: str | None = None,
    description: str | None = None,
    variables: Sequence[str] | None = None,
    report: str | None = None,
) -> ThemeSummary:
    """Rename a theme, say what it means, change the open questions it applies to, or how the
    report says it ("" for the generic sentence)."""
    wave = _changing(session, actor, wave_key, f"wave {wave_key} theme {theme}")
    themes = {t.name_key: t for t in _themes(session, wave)}
    found = _named(themes, theme)
    new_name = found.name if name is None else name.strip()
    ids = [v.variable_id for v in found.variables] if variables is None else list(variables)
    sentence = (found.report or "") if report is None else report.strip()
    problems = _theme_problems(new_name, ids, open_questions(wave), sentence)
    clash = themes.get(match_key(new_name))
    if clash is not None and clash.id != found.id:
        problems.append(
            ImportProblem("the wave already has this theme", column="theme", value=new_name)
        )
    kept = set(ids)
    for variable_id, n in _codings_by_question(session, found).items():
        if variable_id not in kept:
            problems.append(
                ImportProblem(
                    f"{n} coding{'s' if n != 1 else ''} apply it to {variable_id}; "
                    "remove them before taking the question off the theme",
                    column="variables",
                    value=variable_id,
                )
            )
    _refuse(session, problems)
    old = _described(found)
    found.name, found.name_key = new_name, match_key(new_name)
    if description is not None:
        found.description = description.strip()
    found.report = sentence or None
    _apply_to(found, ids, open_questions(wave))
    return _changed(session, actor, "theme.change", wave, found, old, themes)


def merge_themes(
    session: Session, *, actor: Actor, wave_key: str, theme: str, into: str
) -> ThemeSummary:
    """Fold one theme into another: the other keeps its name and gains the questions and the
    children of the one merged, which is then gone (the audit log keeps what it was)."""
    wave = _changing(session, actor, wave_key, f"wave {wave_key} theme {theme}")
    themes = {t.name_key: t for t in _themes(session, wave)}
    source, target = _named(themes, theme), _named(themes, into)
    children = [t for t in themes.values() if t.parent_id == source.id and t.id != target.id]
    problems = []
    if source.id == target.id:
        problems.append(ImportProblem("a theme cannot be merged into itself", value=into))
    elif children and target.parent_id not in (None, source.id):
        problems.append(
            ImportProblem(
                f"{source.name!r} has themes under it and {target.name!r} is itself "
                f"under another theme; {TWO_LEVELS}",
                value=into,
            )
        )
    _refuse(session, problems)
    old = f"{_described(source)} → {_described(target)}"
    if target.parent_id == source.id:
        target.parent_id = source.parent_id
    for child in children:
        child.parent_id = target.id
    ids = [v.variable_id for v in (*target.variables, *source.variables)]
    _apply_to(target, list(dict.fromkeys(ids)), open_questions(wave))
    _move_codings(session, actor, source, target)
    session.flush()
    session.delete(source)
    return _changed(session, actor, "theme.merge", wave, target, old, themes)


def export_codebook(
    session: Session, *, actor: Actor, wave_key: str, fmt: FlatFileFormat = "csv"
) -> bytes:
    """The wave's codebook as a flat file that `import_codebook` reads into another wave."""
    rows = [
        [t.name, t.parent or "", t.description, VARIABLE_SEPARATOR.join(t.variables), t.report]
        for t in list_themes(session, actor=actor, wave_key=wave_key)
    ]
    return write_table(list(CODEBOOK_COLUMNS), rows, fmt)


def import_codebook(
    session: Session, *, actor: Actor, wave_key: str, data: bytes, filename: str = "codebook.csv"
) -> list[ThemeSummary]:
    """Add every theme of a codebook file to the wave, or none (every problem listed)."""

    def check(open_ids: list[str], existing: dict[str, bool]) -> CheckedCodebook:
        return check_codebook_file(data, filename, open_questions=open_ids, name_key=match_key,
                                   existing=existing)  # fmt: skip

    return add_codebook(session, actor=actor, wave_key=wave_key, filename=filename, check=check)


CheckedCodebook = tuple[list[CodebookTheme], list[ImportProblem]]
# Given the wave's open questions and its themes (name key: is a child), a codebook checked whole.
CheckCodebook = Callable[[list[str], dict[str, bool]], CheckedCodebook]


def add_codebook(
    session: Session, *, actor: Actor, wave_key: str, filename: str, check: CheckCodebook
) -> list[ThemeSummary]:
    """Add every theme a codebook gives (a file of rows, a REFI-QDA codebook) or none: `check`
    reads it against the wave's open questions and themes and lists every problem."""
    wave = _changing(session, actor, wave_key, f"wave {wave_key} codebook {filename}")
    existing = {t.name_key: t for t in _themes(session, wave)}
    read, problems = check(
        open_questions(wave), {key: t.parent_id is not None for key, t in existing.items()}
    )
    _refuse(session, problems, file=filename)
    added: dict[str, Theme] = {}
    for theme in read:  # parents come first
        parent = None if theme.parent is None else match_key(theme.parent)
        above = None if parent is None else (added.get(parent) or existing[parent])
        added[match_key(theme.name)] = _add(session, actor, wave, theme, above, audited=False)
    audit.record(
        session,
        actor=actor,
        action="theme.import",
        target=f"wave {wave_key}",
        new=f"{len(read)} themes from {filename}",
    )
    session.commit()
    names = {t.id: t.name for t in (*existing.values(), *added.values())}
    return [_summary(t, names) for t in added.values()]


# --- one theme ---------------------------------------------------------------------------------


def _changing(session: Session, actor: Actor, wave_key: str, target: str) -> Wave:
    require(session, actor, MANAGE, target=target)
    wave = get_wave(session, wave_key)
    require_change(session, actor, MANAGE, wave, target=target)
    return wave


def _themes(session: Session, wave: Wave) -> list[Theme]:
    return list(session.scalars(select(Theme).where(Theme.wave_id == wave.id)))


def _named(themes: dict[str, Theme], name: str) -> Theme:
    found = themes.get(match_key(name))
    if found is None:
        raise NotFound(f"there is no theme {name!r} in this wave", code="theme.not_found")
    return found


def _theme_problems(
    name: str, variables: Sequence[str], open_ids: Sequence[str], report: str
) -> list[ImportProblem]:
    said = [
        ("theme", name_problem(name), name),
        ("variables", variables_problem(variables, open_ids), ", ".join(variables)),
        ("report", report_problem(report), report),
    ]
    return [ImportProblem(why, column=column, value=value) for column, why, value in said if why]


def _parent(
    themes: dict[str, Theme], parent: str | None, problems: list[ImportProblem]
) -> Theme | None:
    if parent is None or not parent.strip():
        return None
    found = themes.get(match_key(parent))
    if found is None:
        problems.append(ImportProblem("no such theme in the wave", column="parent", value=parent))
    elif found.parent_id is not None:
        problems.append(
            ImportProblem(
                f"the parent is itself under another theme; {TWO_LEVELS}",
                column="parent",
                value=parent,
            )
        )
    return found


def _refuse(session: Session, problems: list[ImportProblem], *, file: str | None = None) -> None:
    if problems:
        session.rollback()
        raise ThemeRefused(problems, file=file)


def _add(
    session: Session,
    actor: Actor,
    wave: Wave,
    theme: CodebookTheme,
    parent: Theme | None,
    *,
    audited: bool = True,
) -> Theme:
    row = Theme(
        wave_id=wave.id,
        name=theme.name,
        name_key=match_key(theme.name),
        description=theme.description,
        report=theme.report or None,
        parent_id=parent.id if parent else None,
        created_by=actor.username,
        updated_by=actor.username,
    )
    _apply_to(row, theme.variables, open_questions(wave))
    session.add(row)
    session.flush()
    if audited:
        audit.record(
            session,
            actor=actor,
            action="theme.create",
            target=f"wave {wave.key} theme {row.id}",
            new=_described(row),
        )
    return row


def _apply_to(theme: Theme, ids: Sequence[str], open_ids: Sequence[str]) -> None:
    """The questions it applies to, in schedule order."""
    chosen = set(ids)
    theme.variables = [
        ThemeVariable(variable_id=v, position=i)
        for i, v in enumerate(v for v in open_ids if v in chosen)
    ]


def _codings_by_question(session: Session, theme: Theme) -> dict[str, int]:
    rows = session.execute(
        select(Coding.variable_id, func.count())
        .where(Coding.theme_id == theme.id)
        .group_by(Coding.variable_id)
    ).all()
    return {variable_id: n for variable_id, n in rows}


def _move_codings(session: Session, actor: Actor, source: Theme, target: Theme) -> None:
    """Every coding of the merged theme becomes the kept theme's; where the coder had coded
    the same passage with both, one is kept (a quote if either was)."""
    for coding in session.scalars(select(Coding).where(Coding.theme_id == source.id)):
        record_history(session, actor, coding, source.name, "merged")
        same = session.scalar(
            select(Coding).where(
                Coding.theme_id == target.id,
                Coding.interview_id == coding.interview_id,
                Coding.variable_id == coding.variable_id,
                Coding.coder == coding.coder,
                Coding.start_offset == coding.start_offset,
                Coding.end_offset == coding.end_offset,
            )
        )
        if same is None:
            coding.theme_id = target.id
        else:
            same.quote = same.quote or coding.quote
            session.delete(coding)
    for decision in session.scalars(
        select(CodingDecision).where(CodingDecision.theme_id == source.id)
    ):  # what the consensus pass agreed goes too, where the kept theme has no word of its own
        settled = session.scalar(
            select(CodingDecision.id).where(
                CodingDecision.theme_id == target.id,
                CodingDecision.interview_id == decision.interview_id,
                CodingDecision.variable_id == decision.variable_id,
            )
        )
        if settled is None:
            decision.theme_id = target.id
        else:
            session.delete(decision)


def _changed(
    session: Session,
    actor: Actor,
    action: str,
    wave: Wave,
    theme: Theme,
    old: str,
    themes: dict[str, Theme],
) -> ThemeSummary:
    """Stamp the theme changed, log what it was and is, and commit."""
    theme.updated_at, theme.updated_by = utcnow(), actor.username
    audit.record(session, actor=actor, action=action, target=f"wave {wave.key} theme {theme.id}",
                 old=old, new=_described(theme))  # fmt: skip
    session.commit()
    return _summary(theme, {t.id: t.name for t in themes.values()})


def _described(theme: Theme) -> str:
    ids = ", ".join(v.variable_id for v in theme.variables)
    said = f" · report: {theme.report}" if theme.report else ""
    return f"{theme.name!r} ({ids}): {theme.description}{said}"


def _summary(theme: Theme, names: dict[int, str]) -> ThemeSummary:
    parent = names.get(theme.parent_id) if theme.parent_id is not None else None
    return ThemeSummary(
        theme.id,
        theme.name,
        theme.description,
        parent,
        tuple(v.variable_id for v in theme.variables),
        theme.report or "",
    )
