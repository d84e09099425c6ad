"""The wave's files people take away (`services.reports`): the command line and the Dashboard
hand over the same JSON, and "Download everything" holds every file with a note on each."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.actor import Actor
from services.codings import code_answer
from services.permissions import PermissionDenied
from services.reports import everything, json_report, markdown_report
from tests.answering import complete_whole_interview, open_answers_to_code
from tests.conftest import INTERVIEWER, interview_id_of

AUDITOR = Actor("aud", "auditor")


@pytest.fixture
def answered(engine: Engine) -> Engine:
    complete_whole_interview(engine, INTERVIEWER, interview_id_of(engine, "Fife"))
    ids = open_answers_to_code(engine, "q15_skills_capacity", {"Angus": "CIPFA courses."},
                               ["External training"])  # fmt: skip
    with Session(engine) as s:
        code_answer(s, actor=INTERVIEWER, interview_id=ids["Angus"],
                    variable_id="q15_skills_capacity", theme="External training")  # fmt: skip
    return engine


def test_everything__every_file_with_a_note__the_same_files_twice(answered: Engine) -> None:
    with Session(answered) as s:
        data = everything(s, actor=AUDITOR, wave_key="2011")
        again = everything(s, actor=AUDITOR, wave_key="2011")
        same_json = json_report(s, actor=AUDITOR, wave_key="2011")
        same_markdown = markdown_report(s, actor=AUDITOR, wave_key="2011")
    assert members(data) == members(again)  # the Word file's own save time aside
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [
            "README.txt", "report_2011.json", "report_2011.md", "supplement_2011.docx",
            "answers_2011.csv", "codebook_2011.csv",
        ]  # fmt: skip
        readme = archive.read("README.txt").decode()
        assert "the published view: only councils that have validated are counted" in readme
        assert archive.read("report_2011.json").decode() == same_json
        assert archive.read("report_2011.md").decode() == same_markdown
        assert "q15_skills_capacity" in json.loads(same_json)["themes"]  # the CLI's JSON
        assert "External training" in archive.read("codebook_2011.csv").decode()
        answers = archive.read("answers_2011.csv").decode("utf-8-sig")
        assert "Fife" not in answers  # not validated: not named in the published view
        with zipfile.ZipFile(io.BytesIO(archive.read("supplement_2011.docx"))) as docx:
            assert "word/document.xml" in docx.namelist()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if not n.endswith(".docx")}


def test_everything__the_draft_view_says_so_and_names_every_completed_council(
    answered: Engine,
) -> None:
    with Session(answered) as s:
        data = everything(s, actor=AUDITOR, wave_key="2011", include_unvalidated=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "the draft view" in archive.read("README.txt").decode()
        assert "Fife" in archive.read("answers_2011.csv").decode("utf-8-sig")


def test_everything__only_for_those_who_read_results(answered: Engine) -> None:
    with Session(answered) as s, pytest.raises(PermissionDenied):
        everything(s, actor=Actor("council-fife", "council", "S12000047"), wave_key="2011")
