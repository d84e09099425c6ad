"""A wave's national results as the files people take away: the JSON report, the Markdown
report, the Word supplement, and all of them at once with the wave's answers and codebook.
One place builds each, so the command line and the Dashboard hand over the same file."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy.orm import Session

from aggregation.compare import WaveComparison, comparison_dict, dropped_lines, markdown_lines
from aggregation.report import report_json, report_markdown
from aggregation.results import WaveReport
from aggregation.themes import theme_lines, themes_dict
from instrument.progress import question_title
from services.actor import Actor
from services.codings import theme_tallies
from services.export import export_wave
from services.interviews import wave_summary
from services.quotes import published_quotes
from services.results import compare_with, load_report, load_results
from services.themes import export_codebook

EPOCH = (1980, 1, 1, 0, 0, 0)  # zip members dated alike, so the same wave gives the same bytes


def json_report(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    compare: str | None = None,
    include_unvalidated: bool = False,
) -> str:
    """Every closed question's counts and the themes of the open answers, counted in the
    database; with another wave's figures beside them if `compare` names one. The published
    view (`aggregation.disclosure`) unless `include_unvalidated` asks for the draft."""
    report = load_report(session, actor=actor, wave_key=wave_key,
                         include_unvalidated=include_unvalidated)  # fmt: skip
    comparison = _compared(session, actor, report, compare)
    themes = theme_tallies(session, actor=actor, wave_key=wave_key,
                           include_unvalidated=include_unvalidated)  # fmt: skip
    return report_json(report, compare=comparison_dict(comparison) if comparison else None,
                       themes=themes_dict(themes))  # fmt: skip


def markdown_report(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    compare: str | None = None,
    include_unvalidated: bool = False,
) -> str:
    """The same figures as tables and the report's sentences, for reading or a wiki."""
    report = load_report(session, actor=actor, wave_key=wave_key,
                         include_unvalidated=include_unvalidated)  # fmt: skip
    title = wave_summary(session, actor=actor, wave_key=wave_key).title
    comparison = _compared(session, actor, report, compare)
    themes = theme_tallies(session, actor=actor, wave_key=wave_key,
                           include_unvalidated=include_unvalidated)  # fmt: skip
    changes = markdown_lines(comparison) if comparison else None
    titles = {v.id: question_title(v) for v in report.instrument.questions}
    closing = [*theme_lines(themes, titles), *(dropped_lines(comparison) if comparison else [])]
    return report_markdown(report, title, changes, closing)


def _compared(
    session: Session, actor: Actor, report: WaveReport, other: str | None
) -> WaveComparison | None:
    """The wave (already counted) against another, if one is named."""
    if not other:
        return None
    return compare_with(session, actor=actor, wave_key=report.wave_key, other=other,
                        report=report)  # fmt: skip


def word_supplement(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    compare: str | None = None,
    include_unvalidated: bool = False,
) -> bytes:
    """The draft report supplement: methodology, then per Part the sentences, charts and
    tables, the themes with their approved quotes, and the comparison if asked for. It reads
    every answer (`load_results`), as its per-council chart shows each interview's value."""
    results = load_results(session, actor=actor, wave_key=wave_key,
                           include_unvalidated=include_unvalidated)  # fmt: skip
    title = wave_summary(session, actor=actor, wave_key=wave_key).title
    comparison = (compare_with(session, actor=actor, wave_key=wave_key, other=compare,
                               include_unvalidated=include_unvalidated)
                  if compare else None)  # fmt: skip
    themes = theme_tallies(session, actor=actor, wave_key=wave_key,
                           include_unvalidated=include_unvalidated)  # fmt: skip
    quotes = published_quotes(session, actor=actor, wave_key=wave_key)
    from aggregation.supplement import supplement_docx  # Word and charts: only for this file

    return supplement_docx(results, title, comparison=comparison, themes=themes, quotes=quotes)


def everything(
    session: Session, *, actor: Actor, wave_key: str, include_unvalidated: bool = False
) -> bytes:
    """The wave in one zip: the JSON and Markdown reports, the Word supplement, the answers as
    CSV (verbatim and councils as the person asking may read them) and the codebook, with a
    note saying what each file is and whether it is the draft view."""
    view = ("the draft view: every completed interview counted, councils named before they "
            "validate; not for publication" if include_unvalidated else
            "the published view: only councils that have validated are counted or named, and "
            "a figure about too few councils is withheld")  # fmt: skip
    draft = include_unvalidated
    files = {
        f"report_{wave_key}.json": json_report(session, actor=actor, wave_key=wave_key,
                                               include_unvalidated=draft).encode(),
        f"report_{wave_key}.md": markdown_report(session, actor=actor, wave_key=wave_key,
                                                 include_unvalidated=draft).encode(),
        f"supplement_{wave_key}.docx": word_supplement(
            session, actor=actor, wave_key=wave_key, include_unvalidated=include_unvalidated
        ),
        f"answers_{wave_key}.csv": export_wave(session, actor=actor, wave_key=wave_key,
                                               include_unvalidated=include_unvalidated),
        f"codebook_{wave_key}.csv": export_codebook(session, actor=actor, wave_key=wave_key),
    }  # fmt: skip
    readme = (
        f"Wave {wave_key}, downloaded by {actor.username}, in {view}.\n\n"
        f"report_{wave_key}.json     every closed question's counts and the themes (as "
        "`survey_cli.py report --format json`)\n"
        f"report_{wave_key}.md       the same as tables and sentences\n"
        f"supplement_{wave_key}.docx the draft report supplement\n"
        f"answers_{wave_key}.csv     one row per council (as `survey_cli.py export`)\n"
        f"codebook_{wave_key}.csv    the themes of the open answers\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("README.txt", date_time=EPOCH), readme)
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=EPOCH), data)
    return buffer.getvalue()
