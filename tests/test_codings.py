"""Coding the open answers (issue 14, second step): a theme applied to a whole answer or a
passage, quote candidates, removal, each coder blind to the others, progress per question, and
every change in the coding history and the audit log; merging themes carries codings along."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aggregation.agreement import krippendorff_alpha
from db.models import AuditEvent, CodingDecision, CodingHistory
from instrument.values import ValueProblem
from services.actor import Actor
from services.agreement import coder_agreement, record_agreement
from services.codings import code_answer, coding_progress, mark_quote, my_codings, remove_coding
from services.interviews import NotFound
from services.permissions import PermissionDenied, WaveClosed
from services.themes import ThemeRefused, change_theme, create_theme, merge_themes
from services.waves import close_wave
from tests.answering import open_answers_to_code
from tests.conftest import INTERVIEWER, interview_id_of

SECOND = Actor("isla", "interviewer")  # a second coder
AUDITOR = Actor("aud", "auditor")
ADMIN = Actor("ada", "admin")
SKILLS = "q15_skills_capacity"
FIFE_SAYS = "We sent two commissioners on the CIPFA course and used the Institute for Public Care."
ANGUS_SAYS = "No external training this year."
CIPFA = (FIFE_SAYS.index("CIPFA"), FIFE_SAYS.index("CIPFA") + len("CIPFA course"))


@pytest.fixture
def answers(engine: Engine) -> dict[str, int]:
    """Fife and Angus answered Q15; Highland did not yet; the codebook has two themes for it."""
    ids = open_answers_to_code(engine, SKILLS, {"Fife": FIFE_SAYS, "Angus": ANGUS_SAYS},
                               ["External training", "No training"])  # fmt: skip
    return {**ids, "Highland": interview_id_of(engine, "Highland")}


def code(session: Session, interview: int, theme: str, **passage: int | bool) -> int:
    return code_answer(session, actor=INTERVIEWER, interview_id=interview, variable_id=SKILLS,
                       theme=theme, **passage).id  # type: ignore[arg-type]  # fmt: skip


def test_a_whole_answer_and_a_passage__kept_with_their_text__history_and_audit(
    engine: Engine, answers: dict[str, int]
) -> None:
    with Session(engine) as s:
        code(s, answers["Fife"], "External training")
        code(s, answers["Fife"], "external training", start=CIPFA[0], end=CIPFA[1], quote=True)
        code(s, answers["Fife"], "External training")  # the same again: kept once
        mine = my_codings(s, actor=INTERVIEWER, interview_id=answers["Fife"], variable_id=SKILLS)
        history = s.scalars(select(CodingHistory.change).order_by(CodingHistory.id)).all()
        audited = s.scalars(
            select(AuditEvent.new_value).where(AuditEvent.action.like("coding.%"))
        ).all()
    assert [(c.theme, c.whole, c.passage, c.quote) for c in mine] == [
        ("External training", True, "", False),
        ("External training", False, "CIPFA course", True),
    ]
    assert history == ["applied", "applied"]
    assert audited == [
        "'External training' on the whole answer",
        f"'External training' on characters {CIPFA[0]}–{CIPFA[1]} (quote)",
    ]


def test_a_second_coder_codes_blind__progress_is_each_coders_own(
    engine: Engine, answers: dict[str, int]
) -> None:
    with Session(engine) as s:
        code(s, answers["Fife"], "External training")
        first = my_codings(s, actor=SECOND, interview_id=answers["Fife"], variable_id=SKILLS)
        code_answer(s, actor=SECOND, interview_id=answers["Angus"], variable_id=SKILLS,
                    theme="No training")  # fmt: skip
        mine = coding_progress(s, actor=INTERVIEWER, wave_key="2011", variable_id=SKILLS)
        theirs = coding_progress(s, actor=SECOND, wave_key="2011", variable_id=SKILLS)
        with pytest.raises(NotFound):  # another coder's coding is not theirs to change
            remove_coding(s, actor=SECOND, coding_id=code(s, answers["Fife"], "No training"))
    assert first == []
    assert (mine.coded, mine.answered, theirs.coded, theirs.answered) == (1, 2, 1, 2)


def test_what_cannot_be_coded__said_in_words__nothing_written(
    engine: Engine, answers: dict[str, int]
) -> None:
    with Session(engine) as s:
        create_theme(s, actor=INTERVIEWER, wave_key="2011", name="Elsewhere",
                     variables=["q14_further_guidance"])  # fmt: skip
    refusals = [
        (answers["Highland"], "External training", {}, "Highland gave no answer to"),
        (answers["Fife"], "Elsewhere", {}, "does not apply to q15_skills_capacity"),
        (answers["Fife"], "Nothing", {}, "there is no theme 'Nothing'"),
        (answers["Fife"], "External training", {"start": 5, "end": 500}, "within the answer's"),
        (answers["Fife"], "External training", {"start": 7, "end": 7}, "(given 7 to 7)"),
        (answers["Fife"], "External training", {"start": 2, "end": 3}, "only spaces"),
    ]
    for interview, theme, passage, said in refusals:
        with Session(engine) as s, pytest.raises((ValueProblem, NotFound), match=said):
            code(s, interview, theme, **passage)
    with Session(engine) as s:
        assert s.scalars(select(CodingHistory)).all() == []


def test_quotes_are_passages__marked_and_unmarked__and_removal_is_remembered(
    engine: Engine, answers: dict[str, int]
) -> None:
    with Session(engine) as s:
        whole = code(s, answers["Fife"], "External training")
        passage = code(s, answers["Fife"], "External training", start=CIPFA[0], end=CIPFA[1])
        with pytest.raises(ValueProblem, match="a whole answer is coded, not quoted"):
            mark_quote(s, actor=INTERVIEWER, coding_id=whole)
        assert mark_quote(s, actor=INTERVIEWER, coding_id=passage).quote
        assert not mark_quote(s, actor=INTERVIEWER, coding_id=passage, quote=False).quote
        remove_coding(s, actor=INTERVIEWER, coding_id=whole)
        left = my_codings(s, actor=INTERVIEWER, interview_id=answers["Fife"], variable_id=SKILLS)
        history = s.scalars(select(CodingHistory.change).order_by(CodingHistory.id)).all()
    assert [c.passage for c in left] == ["CIPFA course"]
    assert history == ["applied", "applied", "quote", "unquote", "removed"]


def test_auditors_never_code_nor_read_the_passages__and_a_closed_wave_is_not_coded(
    engine: Engine, answers: dict[str, int]
) -> None:
    with Session(engine) as s:
        with pytest.raises(PermissionDenied):
            code_answer(s, actor=AUDITOR, interview_id=answers["Fife"], variable_id=SKILLS,
                        theme="External training")  # fmt: skip
        with pytest.raises(PermissionDenied):
            my_codings(s, actor=AUDITOR, interview_id=answers["Fife"], variable_id=SKILLS)
        progress = coding_progress(s, actor=AUDITOR, wave_key="2011", variable_id=SKILLS)
        close_wave(s, actor=ADMIN, wave_key="2011", reason="report published")
        with pytest.raises(WaveClosed):
            code(s, answers["Fife"], "External training")
    assert (progress.coded, progress.answered) == (0, 2)  # counts, no text


def test_merging_themes_carries_codings__a_question_with_codings_stays_on_its_theme(
    engine: Engine, answers: dict[str, int]
) -> None:
    with Session(engine) as s:
        code(s, answers["Fife"], "External training")
        code(s, answers["Fife"], "No training")  # the same whole answer: one survives the merge
        code(s, answers["Angus"], "No training", start=0, end=2, quote=True)
        with pytest.raises(ThemeRefused, match="1 coding apply it to q15_skills_capacity"):
            change_theme(s, actor=INTERVIEWER, wave_key="2011", theme="External training",
                         variables=["q14_further_guidance"])  # fmt: skip
        merge_themes(s, actor=INTERVIEWER, wave_key="2011", theme="No training",
                     into="External training")  # fmt: skip
        fife = my_codings(s, actor=INTERVIEWER, interview_id=answers["Fife"], variable_id=SKILLS)
        angus = my_codings(s, actor=INTERVIEWER, interview_id=answers["Angus"], variable_id=SKILLS)
        merged = s.scalars(select(CodingHistory).where(CodingHistory.change == "merged")).all()
    assert [(c.theme, c.whole) for c in fife] == [("External training", True)]
    assert [(c.theme, c.passage, c.quote) for c in angus] == [("External training", "No", True)]
    assert sorted(h.theme for h in merged) == ["No training", "No training"]


def test_two_coders_agreement_per_theme__kappa_alpha_and_the_disagreements(
    engine: Engine,
) -> None:
    said = {c: f"{c} said something about training and money." for c in
            ("Angus", "Fife", "Highland", "Moray")}  # fmt: skip
    ids = open_answers_to_code(engine, SKILLS, said, ["Training", "Money"])
    first = {"Angus": ["Training"], "Fife": ["Training", "Money"], "Highland": ["Money"],
             "Moray": ["Training"]}  # fmt: skip
    second = {"Angus": ["Training"], "Fife": ["Training"], "Highland": ["Money"]}  # not Moray
    with Session(engine) as s:
        for coder, coded in ((INTERVIEWER, first), (SECOND, second)):
            for council, themes in coded.items():
                for theme in themes:
                    code_answer(s, actor=coder, interview_id=ids[council], variable_id=SKILLS,
                                theme=theme)  # fmt: skip
        agreement = coder_agreement(s, actor=INTERVIEWER, wave_key="2011", variable_id=SKILLS)
    assert agreement.coders == ("ilona", "isla")
    by_theme = {t.theme: t for t in agreement.themes}
    # Three answers both coded. Training: both yes on Angus and Fife, both no on Highland.
    assert (by_theme["Training"].compared, by_theme["Training"].kappa) == (3, pytest.approx(1))
    # Money: Fife yes/no, Highland yes/yes, Angus no/no: observed 2/3; chance, with the first
    # coder saying yes to 2 of 3 and the second to 1 of 3, 2/3 * 1/3 + 1/3 * 2/3 = 4/9.
    assert by_theme["Money"].kappa == pytest.approx((2 / 3 - 4 / 9) / (1 - 4 / 9))
    assert by_theme["Money"].alpha == pytest.approx(
        krippendorff_alpha(
            [{"a": False, "b": False}, {"a": True, "b": False}, {"a": True, "b": True}]
        )
    )
    assert [(d.council_name, d.theme, d.applied_by, d.not_by) for d in agreement.disagreements] == [
        ("Fife", "Money", ("ilona",), ("isla",))
    ]
    with Session(engine) as s, pytest.raises(PermissionDenied):
        coder_agreement(s, actor=AUDITOR, wave_key="2011", variable_id=SKILLS)


def test_the_consensus_pass_records_what_was_agreed__and_a_merge_keeps_it(
    engine: Engine, answers: dict[str, int]
) -> None:
    with Session(engine) as s:
        code(s, answers["Fife"], "External training")
        code_answer(s, actor=SECOND, interview_id=answers["Fife"], variable_id=SKILLS,
                    theme="No training")  # fmt: skip
        for theme, applies in (("External training", True), ("No training", False)):
            record_agreement(s, actor=SECOND, interview_id=answers["Fife"], variable_id=SKILLS,
                             theme=theme, applies=applies)  # fmt: skip
        found = coder_agreement(s, actor=INTERVIEWER, wave_key="2011", variable_id=SKILLS)
        events = s.scalars(select(AuditEvent.new_value).where(AuditEvent.action == "coding.agree"))
        assert list(events) == [
            "'External training' applies (agreed)",
            "'No training' does not apply (agreed)",
        ]
        merge_themes(s, actor=INTERVIEWER, wave_key="2011", theme="No training",
                     into="External training")  # fmt: skip
        kept = s.scalars(select(CodingDecision)).all()
    assert [(d.council_name, d.theme, d.agreed) for d in found.disagreements] == [
        ("Fife", "External training", True),
        ("Fife", "No training", False),
    ]
    assert [d.applies for d in kept] == [True]  # the kept theme's own word stands
