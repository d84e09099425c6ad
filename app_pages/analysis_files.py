"""Download buttons for the files analysts use (`services.analysis_files`): the answers as
SPSS, Stata and a data package, the instrument as an XLSForm and a Word codebook. A panel for
a page to call, not a page: each file is made only when its button is clicked, outside the
page's run, so the caller passes the person, the wave and the draft choice as values."""

from __future__ import annotations

import streamlit as st

from app_pages.common import made_on_click
from services.actor import Actor
from services.analysis_files import ANALYSIS_FILES, AnalysisFile, analysis_file

KEY = "analysis_files"


def analysis_downloads(acting: Actor, wave_key: str, *, include_unvalidated: bool) -> None:
    """The five files of the wave, in an expander. `acting` is the signed-in person
    (`common.actor()`, read by the caller during the run); `include_unvalidated` the draft
    view, which applies to the files of answers only."""
    with st.expander("Files for analysts: SPSS, Stata, data package, XLSForm, codebook",
                     icon=":material/dataset:"):  # fmt: skip
        view = (
            "Draft view: the SPSS, Stata and data package files include submissions not yet "
            "validated. Do not publish them."
            if include_unvalidated
            else "The SPSS, Stata and data package files hold only validated submissions."
        )
        st.caption(view + " The XLSForm and the codebook hold the instrument, no answers.")
        columns = st.columns(len(ANALYSIS_FILES))
        for column, kind in zip(columns, ANALYSIS_FILES, strict=True):
            with column:
                _button(kind, acting, wave_key, include_unvalidated)


def _button(kind: AnalysisFile, acting: Actor, wave_key: str, include_unvalidated: bool) -> None:
    draft = include_unvalidated and kind.holds_answers
    fmt = kind.format
    st.download_button(
        kind.label,
        made_on_click(lambda s: analysis_file(s, actor=acting, wave_key=wave_key, fmt=fmt,
                                              include_unvalidated=draft)),
        file_name=kind.file_name(wave_key, draft=draft),
        mime=kind.mime,
        key=f"{KEY}:{kind.format}",
        on_click="ignore",
        icon=":material/download:",
        help=kind.help,
        width="stretch",
    )  # fmt: skip
