"""The draft report supplement as a Word document: methodology, then per Part the sentences,
charts and tables, all from the wave's results. Returns bytes; writing a file is the caller's.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence

import altair as alt
from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Cm, Pt

from aggregation.charts import (
    Columns,
    base_text,
    chart_png,
    inhouse_dot_chart,
    percent_by_council,
    percent_table,
    tally_chart,
    tally_table,
)
from aggregation.compare import WaveComparison, change_sentence, change_table, dropped_heading
from aggregation.disclosure import DRAFT_MARK
from aggregation.results import WaveResults
from aggregation.scale_charts import declared_chart, declared_table
from aggregation.tally import Tally
from aggregation.text import methodology_paragraph, report_sentences, view_text
from aggregation.themes import PublishedQuote, ThemeTally, as_tally, theme_sentences
from instrument.model import Comparison
from instrument.progress import question_title

CHART_WIDTH = Cm(15)
PngRenderer = Callable[[alt.TopLevelMixin], bytes]


def supplement_docx(
    results: WaveResults,
    title: str,
    *,
    render_png: PngRenderer = chart_png,
    comparison: WaveComparison | None = None,
    themes: Sequence[ThemeTally] = (),
    quotes: Sequence[PublishedQuote] = (),
) -> bytes:
    """Build the supplement. `render_png` is replaceable so callers can cache renders;
    `themes` adds the open answers' counted themes (with `quotes`, the approved ones), and
    `comparison` a last section comparing the wave with another."""
    document = Document()
    _styles(document)
    document.add_heading(f"{title}: survey results", level=0)
    intro = document.add_paragraph()
    intro.add_run(
        f"Draft supplement generated from the survey database (wave {results.wave_key}) on "
        f"{dt.date.today():%d %B %Y}. Figures count completed interviews only."
    ).italic = True
    document.add_paragraph().add_run(view_text(results)).bold = results.view.draft
    document.add_heading("Methodology", level=1)
    document.add_paragraph(
        methodology_paragraph(results.instrument, results.interviews, results.figures,
                              results.view)
    )  # fmt: skip
    sentences = report_sentences(results)
    tallies = results.tallies
    if "respondent_role" in tallies:
        document.add_heading("Who answered", level=1)
        _variable(document, tallies["respondent_role"], sentences, results, render_png)
    for part in results.instrument.parts:
        document.add_heading(f"Part {part.id}: {part.title}", level=1)
        for declared in _part_comparisons(part.id, results):
            chart = declared_chart(declared, tallies, results.figures.member)
            _picture(document, render_png(chart))
            table = declared_table(declared, tallies)
            if table:
                _table(document, table)
        for variable in part.variables:
            for variable_id in (variable.id, variable.bands.id if variable.bands else None):
                if variable_id in tallies:
                    _variable(document, tallies[variable_id], sentences, results, render_png)
    if themes:
        _themes(document, results, themes, quotes, render_png)
    if comparison is not None:
        _comparison(document, comparison, tallies)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _comparison(
    document: WordDocument, comparison: WaveComparison, tallies: dict[str, Tally]
) -> None:
    """Per question compared: the report's sentence and a table of both waves; then what was
    not compared, and why."""
    wave, other = comparison.wave, comparison.other_wave
    document.add_heading(f"Compared with wave {other}", level=1)
    if comparison.frames_differ:
        document.add_paragraph().add_run(comparison.frames_differ).bold = True
    document.add_paragraph(
        "Questions asked in both waves with the same answers to choose from. Each wave's "
        "shares are of its own base; changes are in percentage points."
    )
    for change in comparison.compared:
        document.add_heading(change.now.label, level=2)
        document.add_paragraph(change_sentence(change, other, comparison.member))
        _table(document, change_table(change, wave, other))
    if comparison.not_compared:
        document.add_heading(f"Not compared with wave {other}", level=2)
        for variable_id, why in comparison.not_compared.items():
            document.add_paragraph(f"{tallies[variable_id].label}: {why}.", style="List Bullet")
    if comparison.dropped:
        document.add_heading(dropped_heading(comparison), level=2)
        for label in comparison.dropped.values():
            document.add_paragraph(label, style="List Bullet")


def _themes(
    document: WordDocument,
    results: WaveResults,
    themes: Sequence[ThemeTally],
    quotes: Sequence[PublishedQuote],
    render_png: PngRenderer,
) -> None:
    """Per coded open question: the report's sentences, the chart and the table of themes."""
    document.add_heading("Themes of the open answers", level=1)
    for tally in themes:
        label = question_title(results.instrument.variable(tally.variable_id))
        document.add_heading(label, level=2)
        for sentence in theme_sentences(tally):
            document.add_paragraph(sentence)
        if tally.withheld_below:  # nor its quotes: too few answered to publish what they said
            continue
        shown = as_tally(tally, label)
        _picture(document, render_png(tally_chart(shown, member=results.figures.member)))
        _table(document, tally_table(shown))
        document.add_paragraph(
            f"Base: {tally.base} completed interviews that answered the question; "
            f"{tally.coded} of their answers carry a theme."
        ).runs[0].italic = True
        for quote in quotes:
            if quote.variable_id == tally.variable_id:
                document.add_paragraph(f"“{quote.passage}” — {quote.said_by} ({quote.theme})",
                                       style="Quote")  # fmt: skip


def _styles(document: WordDocument) -> None:
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)


def _part_comparisons(part_id: str, results: WaveResults) -> list[Comparison]:
    """The comparisons the schedule declares, at the head of the Part of their first question,
    as the dashboard shows them."""
    instrument = results.instrument
    return [
        comparison
        for comparison in instrument.comparisons
        if all(v in results.tallies for v in comparison.variables)
        and instrument.part_of(comparison.variables[0]).id == part_id
    ]


def _variable(
    document: WordDocument,
    tally: Tally,
    sentences: dict[str, list[str]],
    results: WaveResults,
    render_png: PngRenderer,
) -> None:
    document.add_heading(tally.label, level=2)
    for sentence in sentences.get(tally.variable_id, []):
        document.add_paragraph(sentence)
    if tally.numeric:
        points = percent_by_council(results.answers, tally.variable_id)
        chart = inhouse_dot_chart(points, tally, results.figures.member)
        table = percent_table(tally)
    else:
        chart = tally_chart(tally, results.instrument, results.figures.member)
        table = tally_table(tally)
    _picture(document, render_png(chart))
    _table(document, table)
    base = f"Base: {tally.base} completed interviews in which the question applied."
    if tally.withheld_below:
        base = base_text(tally, results.instrument, results.figures.member)
    document.add_paragraph(base).runs[0].italic = True
    if results.view.draft:
        document.add_paragraph().add_run(DRAFT_MARK).bold = True


def _picture(document: WordDocument, png: bytes) -> None:
    document.add_picture(io.BytesIO(png), width=CHART_WIDTH)


def _table(document: WordDocument, columns: Columns) -> None:
    names = list(columns)
    rows = len(next(iter(columns.values()))) if columns else 0
    table = document.add_table(rows=rows + 1, cols=len(names))
    table.style = "Light List Accent 1"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for c, name in enumerate(names):
        table.cell(0, c).text = str(name)
        for r, value in enumerate(columns[name], start=1):
            table.cell(r, c).text = "" if value is None else str(value)
