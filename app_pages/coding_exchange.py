"""The Coding page's exchange with NVivo, ATLAS.ti and MAXQDA: the wave's open answers,
codebook and codings downloaded as a REFI-QDA project (.qdpx), the codebook alone (.qdc) or the
codings as CSV; and a file of any of the three read back, all or nothing, every problem
located. Each file is made only when its button is clicked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st
from sqlalchemy.orm import Session

from app_pages.common import act, actor, made_on_click
from services.codings_file import export_codings, import_codings
from services.qda import export_qdc, export_qdpx, import_qdc, import_qdpx
from services.themes import import_codebook

NOTICE = "coding_notice"  # the Coding page's outcome of a change, shown at its top


def show_exchange(wave_key: str) -> None:
    with st.expander("Exchange with NVivo, ATLAS.ti or MAXQDA"):
        st.caption(
            "The project holds every answer to the open questions, one text source per "
            "respondent and question, with the codebook and every coder's codings; it opens in "
            "NVivo, ATLAS.ti and MAXQDA (REFI-QDA 1.0). Coded further there, it comes back "
            "here: its sources are matched to the answers by their GUIDs."
        )
        who = actor()  # the files are made on the click, outside this run: no session state then
        files: list[tuple[str, Callable[[Session], bytes], str, str]] = [
            ("Project (.qdpx)", lambda s: export_qdpx(s, actor=who, wave_key=wave_key),
             "qdpx", "application/zip"),
            ("Codebook (.qdc)", lambda s: export_qdc(s, actor=who, wave_key=wave_key),
             "qdc", "application/xml"),
            ("Codings (CSV)", lambda s: export_codings(s, actor=who, wave_key=wave_key),
             "csv", "text/csv"),
        ]  # fmt: skip
        for column, (label, make, suffix, mime) in zip(st.columns(3), files, strict=True):
            column.download_button(
                label, made_on_click(make), file_name=f"{wave_key}_open_answers.{suffix}",
                mime=mime, key=f"coding:download:{suffix}", on_click="ignore",
                icon=":material/download:", width="stretch",
            )  # fmt: skip
        _upload(wave_key)


def _upload(wave_key: str) -> None:
    with st.form("coding_exchange", clear_on_submit=True):
        upload = st.file_uploader(
            "Read back a project (.qdpx), a codebook (.qdc or CSV) or codings (CSV)",
            type=["qdpx", "qdc", "csv", "xlsx"],
        )
        codebook = st.checkbox("The CSV or XLSX is a codebook (themes), not codings")
        ids = st.text_input(
            "For a .qdc from another tool: the open questions its codes apply to",
            placeholder="q15_skills_capacity, q14_further_guidance",
            help="Used for codes whose description does not name their open questions, as "
            "this survey's own .qdc does.",
        )
        submitted = st.form_submit_button("Read the file", icon=":material/upload:")
    if not submitted:
        return
    if upload is None:
        st.error("Choose the file to read.")
        return
    data, name, who = upload.getvalue(), upload.name, actor()
    variables = [v.strip() for v in ids.split(",") if v.strip()]
    readers: dict[str, tuple[Callable[[Session], object], str]] = {
        ".qdpx": (lambda s: import_qdpx(s, actor=who, wave_key=wave_key, data=data,
                                        filename=name), "codings"),
        ".qdc": (lambda s: import_qdc(s, actor=who, wave_key=wave_key, data=data, filename=name,
                                      variables=variables), "themes"),
        "codebook": (lambda s: import_codebook(s, actor=who, wave_key=wave_key, data=data,
                                               filename=name), "themes"),
        "codings": (lambda s: import_codings(s, actor=who, wave_key=wave_key, data=data,
                                             filename=name), "codings"),
    }  # fmt: skip
    kind = Path(name).suffix.lower()
    read, said = readers.get(kind) or readers["codebook" if codebook else "codings"]
    act(read, f"The {said} in {name} were read into wave {wave_key}.", notice=NOTICE)
