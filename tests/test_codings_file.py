"""The codings as a flat file (issue 14, item 6 in part): every coder's codings exported and
read back to identical codings, a file refused with every problem by row and column and the
database unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from db.models import AuditEvent, Coding
from services.actor import Actor
from services.codings import code_answer
from services.codings_file import CodingsRefused, export_codings, import_codings
from tests.answering import open_answers_to_code
from tests.conftest import INTERVIEWER, TableChecksum, table_checksums

SECOND = Actor("isla", "interviewer")
SKILLS = "q15_skills_capacity"
FIFE_SAYS = "We sent two commissioners on the CIPFA course."


def codings(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as s:
        rows = s.execute(select(Coding.interview_id, Coding.variable_id, Coding.theme_id,
                                Coding.coder, Coding.start_offset, Coding.end_offset,
                                Coding.passage, Coding.quote)).all()  # fmt: skip
    return sorted(tuple(r) for r in rows)


def checksums(engine: Engine) -> dict[str, TableChecksum]:
    with engine.connect() as connection:
        return table_checksums(connection)


@pytest.fixture
def coded(engine: Engine) -> Engine:
    ids = open_answers_to_code(engine, SKILLS, {"Fife": FIFE_SAYS, "Angus": "Nothing."},
                               ["Training", "Nothing"])  # fmt: skip
    with Session(engine) as s:
        code_answer(s, actor=INTERVIEWER, interview_id=ids["Fife"], variable_id=SKILLS,
                    theme="Training")  # fmt: skip
        code_answer(s, actor=SECOND, interview_id=ids["Fife"], variable_id=SKILLS,
                    theme="Training", start=8, end=26, quote=True)  # fmt: skip
        code_answer(s, actor=SECOND, interview_id=ids["Angus"], variable_id=SKILLS,
                    theme="Nothing")  # fmt: skip
    return engine


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_and_read_back_to_identical_codings(coded: Engine, fmt: str) -> None:
    before = codings(coded)
    with Session(coded) as s:
        data = export_codings(s, actor=INTERVIEWER, wave_key="2011", fmt=fmt)  # type: ignore[arg-type]
        s.execute(delete(Coding))
        s.commit()
        added = import_codings(s, actor=INTERVIEWER, wave_key="2011", data=data,
                               filename=f"codings.{fmt}")  # fmt: skip
        again = import_codings(s, actor=INTERVIEWER, wave_key="2011", data=data,
                               filename=f"codings.{fmt}")  # fmt: skip
        logged = s.scalars(select(AuditEvent.new_value)
                           .where(AuditEvent.action == "coding.import")).all()  # fmt: skip
    assert (added, again) == (3, 0)
    assert codings(coded) == before
    assert logged[-1] == f"0 codings from codings.{fmt} (3 already there)"


def test_export_reads_as_people_would_read_it(coded: Engine) -> None:
    with Session(coded) as s:
        text = export_codings(s, actor=INTERVIEWER, wave_key="2011").decode("utf-8-sig")
    assert text.splitlines() == [
        "council_code,variable,theme,coder,start,end,quote",
        "S12000041,q15_skills_capacity,Nothing,isla,0,0,no",
        "S12000047,q15_skills_capacity,Training,ilona,0,0,no",
        "S12000047,q15_skills_capacity,Training,isla,8,26,yes",
    ]


def test_a_codings_file_refused__every_problem_by_row_and_column__nothing_written(
    coded: Engine,
) -> None:
    rows = [
        "council_code,variable,theme,coder,start,end,quote",
        "Fife,q15_skills_capacity,Training,ailsa,3,7,",  # fine (a council by name)
        "S99,q15_skills_capacity,Training,ailsa,0,0,no",  # no such respondent
        "Fife,q15_skills_capacity,Trainng,ailsa,0,0,no",  # no such theme
        "Fife,q14_further_guidance,Training,ailsa,0,0,no",  # the theme does not code Q14
        "Fife,q15_skills_capacity,Training,ailsa,10,900,no",  # beyond the answer
        "Fife,q15_skills_capacity,Training,a b,x,0,maybe",  # three problems
        "Fife,q15_skills_capacity,Training,ailsa,0,0,yes",  # a whole answer as a quote
        "Highland,q15_skills_capacity,Training,ailsa,0,0,no",  # no answer to code
        "Fife,q15_skills_capacity,Training,ailsa,3,7,no",  # the same as row 2
    ]
    before = checksums(coded)
    with Session(coded) as s, pytest.raises(CodingsRefused) as refused:
        import_codings(s, actor=INTERVIEWER, wave_key="2011",
                       data="\n".join(rows).encode(), filename="codings.csv")  # fmt: skip
    assert [(p.row, p.column) for p in refused.value.problems] == [
        (3, "council_code"), (4, "theme"), (5, "variable"), (6, "end"),
        (7, "coder"), (7, "start"), (7, "quote"), (8, "quote"), (9, "variable"), (10, None),
    ]  # fmt: skip
    assert "not within the answer's 46 characters" in str(refused.value)
    assert checksums(coded) == before  # the audit log too: a refused file is not a change
