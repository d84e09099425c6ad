"""Quotes for the report (issue 14, item 5): a coder marks a passage, a second person approves
it, and it appears attributed only by the respondent's role, once the council has validated;
the council sees on Our submission which of its words are quoted."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import survey_cli
from app_pages.common import DRAFTS_KEY
from instrument.values import ValueProblem
from services.actor import Actor
from services.codings import code_answer, mark_quote
from services.permissions import PermissionDenied
from services.quotes import approve_quote, published_quotes, quotes_to_approve
from services.review import validate_submission
from tests.answering import complete_whole_interview, open_answers_to_code
from tests.conftest import INTERVIEWER, interview_id_of
from tests.signing import account, app_as

SECOND = Actor("isla", "interviewer")
AUDITOR = Actor("aud", "auditor")
SKILLS = "q15_skills_capacity"
FIFE = "S12000047"
FIFE_SAYS = "We sent two commissioners on the CIPFA course last spring."
WORDS = "two commissioners on the CIPFA course"


@pytest.fixture
def candidate(engine: Engine) -> tuple[int, int]:
    """Fife's completed interview (a Head of Service answered), its Q15 passage marked as a
    quote candidate by the first coder: (interview, coding)."""
    fife = interview_id_of(engine, "Fife")
    complete_whole_interview(engine, INTERVIEWER, fife, role="head_of_service")
    ids = open_answers_to_code(engine, SKILLS, {"Fife": FIFE_SAYS}, ["External training"])
    start = FIFE_SAYS.index(WORDS)
    with Session(engine) as s:
        coding = code_answer(s, actor=INTERVIEWER, interview_id=ids["Fife"], variable_id=SKILLS,
                             theme="External training", start=start, end=start + len(WORDS),
                             quote=True)  # fmt: skip
    return ids["Fife"], coding.id


def test_a_second_person_approves__and_the_quote_waits_for_the_councils_validation(
    engine: Engine, candidate: tuple[int, int]
) -> None:
    interview, coding = candidate
    with Session(engine) as s:
        assert quotes_to_approve(s, actor=INTERVIEWER, wave_key="2011", variable_id=SKILLS) == []
        (seen,) = quotes_to_approve(s, actor=SECOND, wave_key="2011", variable_id=SKILLS)
        assert (seen.council_name, seen.passage, seen.coder) == ("Fife", WORDS, "ilona")
        with pytest.raises(ValueProblem, match="second person"):
            approve_quote(s, actor=INTERVIEWER, coding_id=coding)
        approve_quote(s, actor=SECOND, coding_id=coding)
        assert published_quotes(s, actor=AUDITOR, wave_key="2011") == []  # not validated yet
    fife = account(engine, "council", council=FIFE)
    with Session(engine) as s:
        validate_submission(s, actor=fife, interview_id=interview)
        (quote,) = published_quotes(s, actor=AUDITOR, wave_key="2011")
        own = published_quotes(s, actor=fife, wave_key="2011", interview_id=interview)
    assert (quote.theme, quote.passage, quote.said_by) == (
        "External training", WORDS, "a Head of Service",
    )  # fmt: skip
    assert own == [quote]


def test_unmarking_a_quote_takes_its_approval_away__and_councils_see_only_their_own(
    engine: Engine, candidate: tuple[int, int]
) -> None:
    interview, coding = candidate
    with Session(engine) as s:
        approve_quote(s, actor=SECOND, coding_id=coding)
        mark_quote(s, actor=INTERVIEWER, coding_id=coding, quote=False)
        mark_quote(s, actor=INTERVIEWER, coding_id=coding, quote=True)
        (seen,) = quotes_to_approve(s, actor=SECOND, wave_key="2011", variable_id=SKILLS)
    assert seen.approved_by is None
    other = account(engine, "council", council="S12000041")
    with Session(engine) as s, pytest.raises(PermissionDenied):
        published_quotes(s, actor=other, wave_key="2011", interview_id=interview)


@pytest.mark.sqlite_only
def test_the_quote_in_the_supplement__on_the_dashboard__and_on_our_submission(
    engine: Engine, app_db: Engine, candidate: tuple[int, int], cli_db: str, tmp_path: Path
) -> None:
    interview, coding = candidate
    fife = account(engine, "council", council=FIFE)
    with Session(engine) as s:
        approve_quote(s, actor=SECOND, coding_id=coding)
        validate_submission(s, actor=fife, interview_id=interview)
    said = f"“{WORDS}” — a Head of Service"
    out = tmp_path / "supplement.docx"
    assert survey_cli.main(["report", "--wave", "2011", "--format", "docx",
                            "--out", str(out), "--draft"]) == 0  # fmt: skip
    assert f"{said} (External training)" in [p.text for p in Document(str(out)).paragraphs]
    # Published, one council is too few: the question's themes and its quote are withheld.
    assert survey_cli.main(["report", "--wave", "2011", "--format", "docx",
                            "--out", str(out)]) == 0  # fmt: skip
    assert not [p.text for p in Document(str(out)).paragraphs if said in p.text]

    at = app_as("auditor", timeout=60)
    at.session_state[DRAFTS_KEY] = True
    at.run()
    at.switch_page("app_pages/dashboard.py").run()
    assert f"External training: {said}" in [t.value for t in at.text]
    assert FIFE_SAYS not in " ".join(t.value for t in at.text)  # the quote, not the answer
    at.session_state[DRAFTS_KEY] = False
    at.run()
    assert not [t.value for t in at.text if said in t.value]

    ours = app_as("council", council=FIFE, timeout=60)
    ours.run()
    assert not ours.exception, ours.exception
    assert f"{said} (External training)" in [t.value for t in ours.text]


def test_a_quote_whose_words_retention_erased_is_no_longer_published(
    engine: Engine, candidate: tuple[int, int]
) -> None:
    import datetime as dt

    from services.retention import apply_retention, set_retention

    interview, coding = candidate
    admin = Actor("ada", "admin")
    with Session(engine) as s:
        approve_quote(s, actor=SECOND, coding_id=coding)
    with Session(engine) as s:
        validate_submission(s, actor=account(engine, "council", council=FIFE),
                            interview_id=interview)  # fmt: skip
        assert [q.passage for q in published_quotes(s, actor=AUDITOR, wave_key="2011")] == [WORDS]
        set_retention(s, actor=admin, wave_key="2011", retain_until=dt.date(2027, 1, 1))
        apply_retention(s, actor=admin, today=dt.date(2027, 6, 1), dry_run=False)
        assert published_quotes(s, actor=AUDITOR, wave_key="2011") == []
