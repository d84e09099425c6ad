"""Dashboard: the wave's national aggregates for the auditors, part by part, with downloads.

Exhibits are built once per data version: a cheap fingerprint of the wave's answers and
interviews is part of the cache key, so a saved answer shows on the next run while other
reruns reuse what was built. Images are rendered only when a download button is clicked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st
from sqlalchemy.orm import Session
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.lib.column_types import ColumnConfig

from aggregation import charts
from aggregation.disclosure import DRAFT_MARK, FilterRefused, withheld_lines
from aggregation.exhibits import Exhibit, dashboard_sections
from aggregation.response import ResponseFigures
from aggregation.results import AnswerFilter, WaveResults
from aggregation.tally import CROSSTAB_VIEWS, crosstab, crosstab_view
from app_pages.analysis_files import analysis_downloads
from app_pages.common import (
    actor,
    draft_sentence,
    include_drafts,
    literal,
    made_on_click,
    review_sentence,
    session,
    wave_key,
)
from app_pages.theme_counts import show_themes
from app_pages.wave_comparison import show_comparison
from db import open_database
from db.engine import database_url
from instrument.model import RESERVED_LABELS
from instrument.schedule import Instrument
from instrument.types import Counting, question_type
from services.actor import Actor
from services.interviews import wave_instrument
from services.reports import everything, json_report, word_supplement
from services.results import load_results, wave_data_version
from services.review import wave_review_states

ROLES = "dashboard_roles"
WITHHELD_WHY = "too few councils to publish reads “withheld”"
NUMBER_WIDTH = 80  # pixels: a count or percentage column
TEXT_WIDTH, CHAR_WIDTH = 280, 7.5  # pixels: the widest text column, and per character


@dataclass(frozen=True)
class Shown:
    """An exhibit ready for the screen: the chart's spec without its data, and the chart's data
    and the table as Arrow (Streamlit sends Arrow; converting them on every run was most of a
    rerun's time). The cache holds its fields as a plain tuple (a class defined in a page
    script is defined anew on every run)."""

    key: str
    heading: str
    caption: str
    spec: str  # for the image downloads: the whole chart
    csv: str
    screen_spec: str  # for the screen: the chart without its main data
    data: pa.Table | None
    table: pa.Table
    widths: dict[str, ColumnConfig]
    sentences: tuple[str, ...]
    withheld: str  # published view: why no figure is shown ("" when they are)


# Shown's fields, in order
Fields = tuple[
    str, str, str, str, str, str, pa.Table | None, pa.Table, dict[str, Any], tuple[str, ...],
    str,
]  # fmt: skip


@st.cache_resource(show_spinner="Tallying the wave…", max_entries=32)
def exhibits(
    url: str,
    key: str,
    roles: tuple[str, ...] | None,
    version: str,
    acting: Actor,
    drafts: bool,
    answer: AnswerFilter | None = None,
) -> tuple[ResponseFigures, int, int, list[tuple[str, list[Fields]]]]:
    """Read, tally and chart the wave: (response figures, interviews shown, interviews the
    view counts, sections). The first section is the response, the second who answered,
    then one per part. `version` is there only to key the cache; `drafts` asks for the draft
    view. Held, not pickled: every run reads it, and nothing in it is changed (Arrow tables,
    text, and column settings Streamlit copies before use).
    """
    results = wave_read(url, key, roles, version, acting, drafts, answer)
    sections = dashboard_sections(results)
    return (
        results.figures,
        results.answers.count,
        results.counted,
        [(s.title, [_for_screen(e) for e in s.exhibits]) for s in sections],
    )


@st.cache_resource(show_spinner=False, max_entries=8)
def wave_read(
    url: str,
    key: str,
    roles: tuple[str, ...] | None,
    version: str,
    acting: Actor,
    drafts: bool,
    answer: AnswerFilter | None = None,
) -> WaveResults:
    """One read and tally of the wave per data version, shared by the exhibits and the
    cross-tabulation (read-only: held, not copied, so a new version costs one read, not two).
    A filter the published view refuses raises `FilterRefused` (not cached)."""
    with Session(open_database(url)) as s:
        return load_results(
            s,
            actor=acting,
            wave_key=key,
            respondent_roles=None if roles is None else list(roles),
            answer_filter=answer,
            include_unvalidated=drafts,
        )


def _for_screen(exhibit: Exhibit) -> Fields:
    """Take the chart's main dataset out of its spec, as Arrow, to pass as the chart's data."""
    spec = json.loads(exhibit.spec)
    datasets = spec.pop("datasets", {})
    data = None
    name = spec.get("data", {}).get("name")
    if name in datasets and len(datasets) == 1:  # Streamlit gives top-level data to every layer
        data = pa.Table.from_pylist(datasets.pop(name))
        del spec["data"]
    if datasets:
        spec["datasets"] = datasets
    return (
        exhibit.key,
        exhibit.heading,
        exhibit.caption,
        exhibit.spec,
        exhibit.csv,
        json.dumps(spec),
        data,
        exhibit.table,
        _widths(exhibit.table),
        exhibit.sentences,
        exhibit.withheld,
    )


def render() -> None:
    st.title("Dashboard")
    key = wave_key()
    with session() as s:
        instrument = wave_instrument(s, actor=actor(), wave_key=key)
        version = wave_data_version(s, actor=actor(), wave_key=key)
        reviews = wave_review_states(s, actor=actor(), wave_key=key)
    choices = instrument.choices("respondent_role")
    codes = [c.code for c in choices]
    # One choice of roles per wave: waves on other schedules have other roles, and a choice
    # carried over would quietly narrow the figures to the roles the two happen to share.
    roles_key = f"{ROLES}:{key}"
    if roles_key not in st.session_state:
        st.session_state[roles_key] = codes
    chosen = [c for c in codes if c in st.session_state[roles_key]]
    roles = None if len(chosen) == len(codes) else tuple(chosen)
    answer = _answer_filter_chosen(instrument, key)
    drafts, url, acting = include_drafts(), database_url(), actor()
    if drafts:
        st.warning(DRAFT_MARK, icon=":material/warning:")
    # the downloads below build their files later, outside this run: they take these as values
    try:
        figures, shown_count, counted, sections = exhibits(
            url, key, roles, version, acting, drafts, answer
        )
        refused = None
    except FilterRefused as why:
        figures, shown_count, counted, sections = exhibits(url, key, None, version, acting, drafts)
        refused = str(why)
    (_, response), (_, record), *parts = sections
    contents = st.expander("Contents: the Parts and their questions", icon=":material/toc:")

    _response(figures, Shown(*response[0]), key)
    st.caption(review_sentence(reviews.values(), figures.member))
    _report_downloads(key, acting, drafts)
    _filters(instrument, key, roles_key, codes, {c.code: c.label for c in choices})
    if not chosen:
        st.warning("Choose at least one respondent role to see the results.")
        return
    if refused:
        st.error(f"{refused} Choose a wider filter.", icon=":material/block:")
        return
    filtered = roles is not None or answer is not None
    st.caption(
        f"Showing {shown_count} of the {counted} "
        + ("completed interviews" if drafts else "validated submissions")
        + (", those the filters keep." if filtered else " (no filter).")
    )
    _contents(contents, parts)
    for fields in record:
        _show(Shown(*fields), key, drafts)
    for title, part in parts:
        st.header(title, anchor=anchor(title))
        for fields in part:
            _show(Shown(*fields), key, drafts)
    _crosstab(instrument, key, roles, version, answer)
    show_themes(key, instrument, figures.members)
    show_comparison(key)


def _report_downloads(key: str, acting: Actor, drafts: bool) -> None:
    """The wave's reports, in the view shown (the published one unless the draft is on)."""
    st.download_button(
        "Draft report supplement (Word)",
        made_on_click(lambda s: word_supplement(s, actor=acting, wave_key=key,
                                             include_unvalidated=drafts)),
        file_name=f"supplement_{key}.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        key="dashboard:supplement",
        on_click="ignore",
        icon=":material/description:",
        help="Methodology, then per Part the report sentences, charts and tables (whole wave).",
    )  # fmt: skip
    st.download_button(
        "National results (JSON)",
        made_on_click(lambda s: json_report(s, actor=acting, wave_key=key,
                                            include_unvalidated=drafts)),
        file_name=f"report_{key}.json",
        mime="application/json",
        key="dashboard:json",
        on_click="ignore",
        icon=":material/data_object:",
        help="Every closed question's counts and the themes, as `survey_cli.py report "
        "--format json` prints.",
    )  # fmt: skip
    st.download_button(
        "Download everything (zip)",
        made_on_click(lambda s: everything(s, actor=acting, wave_key=key,
                                        include_unvalidated=drafts)),
        file_name=f"wave_{key}.zip",
        mime="application/zip",
        key="dashboard:everything",
        on_click="ignore",
        icon=":material/folder_zip:",
        help="The JSON and Markdown reports, the Word supplement, the answers (CSV) and the "
        "codebook, with a note on what each is.",
    )  # fmt: skip
    analysis_downloads(acting, key, include_unvalidated=drafts)


ANSWER_QUESTION, ANSWER_CODE = "dashboard_answer_question", "dashboard_answer_code"
EVERYONE = ""


def _filterable(instrument: Instrument) -> dict[str, str]:
    """The closed questions a filter can use (coded ones, not figures), by name."""
    return {
        v.id: f"{v.display_number} {v.label}".strip()
        for v in instrument.closed_questions
        if question_type(v).counting != Counting.NUMERIC
    }


def _answer_filter_chosen(instrument: Instrument, key: str) -> AnswerFilter | None:
    """The answer filter as chosen (its widgets are drawn further down the page)."""
    variable_id = st.session_state.get(f"{ANSWER_QUESTION}:{key}") or EVERYONE
    code = st.session_state.get(f"{ANSWER_CODE}:{key}:{variable_id}")
    if variable_id not in _filterable(instrument) or not code:
        return None
    return (variable_id, code)


def _filters(
    instrument: Instrument, key: str, roles_key: str, codes: list[str], labels: dict[str, str]
) -> None:
    """Narrow the figures to some respondent roles, or to the councils that gave one answer
    to a closed question; in the published view a filter describing too few councils, kept
    or left out, is refused with the reason."""
    # Pills, not a multiselect: every role stays in view, its words whole, however many.
    st.pills("Respondent role", codes, selection_mode="multi", key=roles_key,
             format_func=labels.__getitem__)  # fmt: skip
    names = _filterable(instrument)
    left, right = st.columns(2)
    with left:
        question = st.selectbox(
            "Only councils that answered", [EVERYONE, *names], key=f"{ANSWER_QUESTION}:{key}",
            format_func=lambda v: names.get(v, "Any answer (no filter)"),
        )  # fmt: skip
    if question:
        choices = {c.code: c.label for c in instrument.choices(question)}
        with right:
            st.selectbox(
                "With the answer", list(choices), key=f"{ANSWER_CODE}:{key}:{question}",
                format_func=choices.__getitem__, index=None, placeholder="Choose an answer",
            )  # fmt: skip


def anchor(text: str) -> str:
    """A heading's link target, from its words ("Part C: Government guidance" -> "part-c-
    government-guidance")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _contents(where: DeltaGenerator, parts: list[tuple[str, list[Fields]]]) -> None:
    """Jump links to every Part and every question's chart, so a long page is read by name."""
    lines = []
    for title, part in parts:
        lines.append(f"- [{literal(title)}](#{anchor(title)})")
        lines += [f"    - [{literal(f[1])}](#{anchor(f[1])})" for f in part]
    lines.append(f"- [Cross-tabulation](#{anchor('Cross-tabulation')})")
    where.markdown("\n".join(lines))


def _crosstab(
    instrument: Instrument,
    key: str,
    roles: tuple[str, ...] | None,
    version: str,
    answer: AnswerFilter | None,
) -> None:
    """Any closed variable by another, e.g. SWIA usefulness by respondent role."""
    st.header("Cross-tabulation", anchor=anchor("Cross-tabulation"))
    closed = [
        *(v for v in instrument.record_variables if v.is_closed),
        *instrument.closed_questions,
    ]
    names = {v.id: f"{v.display_number} {v.label}".strip() for v in closed}
    ids = [v.id for v in closed if question_type(v).counting != Counting.NUMERIC]
    # By default the schedule's first two closed questions, whatever the schedule.
    record = {v.id for v in instrument.record_variables}
    first_two = [i for i in ids if i not in record][:2] or ids[:1]
    left, right = st.columns(2)
    rows = left.selectbox(
        "Rows",
        ids,
        index=ids.index(first_two[0]),
        format_func=names.__getitem__,
        key="xtab_rows",
    )
    columns = right.selectbox(
        "Columns", ids, index=ids.index(first_two[-1]), format_func=names.__getitem__,
        key="xtab_columns",
    )  # fmt: skip
    counts, withheld = crosstab_table(
        database_url(), key, roles, version, actor(), include_drafts(), rows, columns, answer
    )
    view = st.segmented_control("Show", CROSSTAB_VIEWS, default=CROSSTAB_VIEWS[0],
                                key="xtab_view") or CROSSTAB_VIEWS[0]  # fmt: skip
    table = crosstab_view(counts, view, withheld)
    st.caption(
        "Completed interviews in which both questions apply; a multiple choice counts once "
        "per option chosen, and its totals count choices. Row % and Column % are shares of "
        "each row's or column's total."
        + (f" A row or column about {WITHHELD_WHY}, with one beside a lone one so that "
           "neither can be worked out from the totals." if any(withheld) else "")
    )  # fmt: skip
    st.dataframe(table.rename_axis(names[rows]), width="stretch")
    suffix = {"Counts": "", "Row %": "_row_pct", "Column %": "_column_pct"}[view]
    st.download_button(
        "CSV", table.to_csv(), file_name=f"{key}_{rows}_by_{columns}{suffix}.csv",
        mime="text/csv", key="dashboard:crosstab:csv", on_click="ignore",
        icon=":material/download:",
    )  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=64)
def crosstab_table(
    url: str,
    key: str,
    roles: tuple[str, ...] | None,
    version: str,
    acting: Actor,
    drafts: bool,
    rows: str,
    columns: str,
    answer: AnswerFilter | None = None,
) -> tuple[pd.DataFrame, tuple[list[str], list[str]]]:
    """The cross-tabulation with the schedule's labels, and the rows and columns the view
    withholds (`aggregation.disclosure`); `version` keys the cache."""
    results = wave_read(url, key, roles, version, acting, drafts, answer)
    instrument = results.instrument
    table = crosstab(instrument, results.answers, rows, columns)

    def label(variable_id: str, code: str) -> str:
        return RESERVED_LABELS.get(code) or instrument.choice_label(variable_id, code)

    groups = {g: crosstab(instrument, a, rows, columns) for g, a in results.partition.items()}
    hidden_rows, hidden_columns = withheld_lines(table, results.view, groups, results.group)
    table.index = [label(rows, c) for c in table.index]
    table.columns = [label(columns, c) for c in table.columns]
    return table, ([label(rows, c) for c in hidden_rows],
                   [label(columns, c) for c in hidden_columns])  # fmt: skip


def _response(figures: ResponseFigures, shown: Shown, wave: str) -> None:
    st.header("Response")
    st.subheader(figures.headline)
    still_open = figures.in_progress
    st.markdown(
        f"**{still_open} {'interview' if still_open == 1 else 'interviews'} still open.** "
        "The tallies below count completed interviews only."
    )
    _show(shown, wave, include_drafts(), heading=False)


def _show(shown: Shown, wave: str, drafts: bool = False, *, heading: bool = True) -> None:
    if heading:
        st.subheader(shown.heading, anchor=anchor(shown.heading))
        st.caption(literal(shown.caption))
    if drafts:
        st.caption(f"**{DRAFT_MARK}**")
    for sentence in shown.sentences:
        draft_sentence(sentence)
    if shown.withheld:  # no chart, no table, no download: there is nothing to publish
        st.info(shown.withheld, icon=":material/visibility_off:")
        return
    left, right = st.columns(2, gap="medium")
    left.vega_lite_chart(
        shown.data, json.loads(shown.screen_spec), width="stretch", alt=shown.heading
    )
    with right:
        st.dataframe(shown.table, hide_index=True, column_config=shown.widths, width="content")
        _downloads(shown, wave)


def _widths(table: pa.Table) -> dict[str, ColumnConfig]:
    """Counts and percentages narrow; text as wide as its longest entry (Streamlit's own
    sizing cuts long answer labels short), within reason."""
    widths = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            longest = max([len(name), *(len(v) for v in column.to_pylist() if v)])
            widths[name] = st.column_config.Column(
                width=min(TEXT_WIDTH, round(24 + CHAR_WIDTH * longest))
            )
        else:
            widths[name] = st.column_config.Column(width=NUMBER_WIDTH)
    return widths


def _downloads(exhibit: Shown, wave: str) -> None:
    """CSV of the figures, PNG and SVG of the chart, in a menu drawn only while it is open:
    three buttons under each of 36 charts were a quarter of every run. Each file is made only
    when its button is clicked (the images are rendered then)."""
    stem = f"{wave}_{exhibit.key.replace('+', '_and_')}"
    spec, csv = exhibit.spec, exhibit.csv
    with st.popover(
        "Download",
        icon=":material/download:",
        key=f"dashboard:{exhibit.key}:downloads",
        on_change="rerun",
    ) as menu:
        if not menu.open:
            return
        st.download_button(
            "CSV table", lambda: csv, file_name=f"{stem}.csv", mime="text/csv",
            key=f"dashboard:{exhibit.key}:csv", on_click="ignore", icon=":material/table:",
            width="stretch",
        )  # fmt: skip
        st.download_button(
            "PNG image", lambda: charts.chart_png(spec), file_name=f"{stem}.png",
            mime="image/png", key=f"dashboard:{exhibit.key}:png", on_click="ignore",
            icon=":material/image:", width="stretch",
        )  # fmt: skip
        st.download_button(
            "SVG image", lambda: charts.chart_svg(spec), file_name=f"{stem}.svg",
            mime="image/svg+xml", key=f"dashboard:{exhibit.key}:svg", on_click="ignore",
            icon=":material/image:", width="stretch",
        )  # fmt: skip


render()
