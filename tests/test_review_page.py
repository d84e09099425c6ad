"""The council's "Our submission" page through AppTest: reading what was recorded, confirming,
asking for corrections, and validating once the interviewer has answered every request."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import AuditEvent, Council, Interview, ReviewItem
from services.answers import save_answer
from services.review import resolve_correction
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER
from tests.signing import app_as

pytestmark = pytest.mark.sqlite_only

FIFE = "S12000047"
PAYLOAD = "<img src=x onerror=alert(1)> [click](javascript:alert(1))"
NOTE = f"Director read it from the plan. {PAYLOAD}"
Q1, Q2 = "q1_most_involved", "q2_strategy_involvement"
IN_PART_A = [  # what the typical answers leave applying in Part A, in schedule order
    "q1_most_involved", "q2_strategy_involvement", "q2_explain", "q3_monitoring_involvement",
    "q3_how", "q4_influence_example", "q5_least_involved", "q6_why_least",
    "q7_plans_to_change", "q7_explain",
]  # fmt: skip


def fife(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(Interview.id).join(Council).where(Council.code == FIFE))  # type: ignore[return-value]


@pytest.fixture
def completed(app_db: Engine) -> int:
    """Fife's interview, completed, with a note on Q1 holding markup."""
    interview_id = fife(app_db)
    complete_whole_interview(app_db, INTERVIEWER, interview_id)
    with Session(app_db) as s:
        save_answer(s, actor=INTERVIEWER, interview_id=interview_id, variable_id=Q1, note=NOTE)
    return interview_id


def open_review() -> AppTest:
    at = app_as("council", council=FIFE)
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Our submission: Fife"]
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    (found,) = [b for b in at.button if b.label == label]
    return found


def read(element) -> str:  # type: ignore[no-untyped-def]
    """What a person reads in a Markdown element: escapes undone."""
    return html.unescape(re.sub(r"\\(.)", r"\1", element.value))


def rendered(at: AppTest) -> list[str]:
    """Every element whose text Streamlit renders as Markdown."""
    kinds = ("markdown", "caption", "title", "subheader", "header", "info", "warning",
             "success", "error")  # fmt: skip
    return [e.value for kind in kinds for e in getattr(at, kind)]


def review_items(engine: Engine, interview_id: int) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as s:
        rows = s.scalars(select(ReviewItem).where(ReviewItem.interview_id == interview_id))
        return {r.variable_id: (r.state, r.comment) for r in rows}


def actions(engine: Engine, prefix: str) -> list[tuple[str, str, str | None]]:
    with Session(engine) as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.username, AuditEvent.new_value)
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_before_completion__says_the_interview_is_not_complete(app_db: Engine) -> None:
    with Session(app_db) as s:
        save_answer(s, actor=INTERVIEWER, interview_id=fife(app_db), variable_id=Q1, value="other")
    at = open_review()
    assert len(at.info) == 1
    assert at.info[0].value.startswith("The interview with your council is not complete yet.")
    assert not at.main.button and not at.text  # nothing recorded shown, nothing to press


def test_shows_our_answers_part_by_part_as_plain_text(app_db: Engine, completed: int) -> None:
    at = open_review()
    assert [h.value for h in at.header] == [
        "Part A: Involving users and carers over the last 18 months or so",
        "Validate the submission",
    ]
    shown = [
        c.key.removeprefix("review_") for c in at.container if (c.key or "").startswith("review_")
    ]
    assert shown == IN_PART_A
    q1 = at.container("review_q1_most_involved")
    assert [t.value for t in q1.text] == ["Older people"]
    assert any(
        t.value == "Verbatim answer to q2_explain, with a comma and a £ sign"
        for t in at.container("review_q2_explain").text
    )
    for value in rendered(at):
        assert "<img" not in value and "](javascript" not in value, value

    at.segmented_control(key="review_part").set_value("G").run()
    assert not at.exception, at.exception
    assert at.header[0].value == "Part G: Costs of home care provision"
    assert [t.value for t in at.container("review_q24_inhouse_pct").text] == ["40% in-house"]
    assert not any((c.key or "") == "review_q1_most_involved" for c in at.container)


def test_confirm__one_answer_then_the_rest_of_the_part(app_db: Engine, completed: int) -> None:
    at = click(open_review(), f"confirm:{Q1}")
    assert [read(s) for s in at.success] == ["Confirmed 1 answer."]
    confirmed = at.button(key=f"confirm:{Q1}")
    assert (confirmed.label, confirmed.disabled) == ("Confirmed", True)
    assert review_items(app_db, completed) == {Q1: ("confirmed", None)}
    assert actions(app_db, "review.") == [("review.confirm", "council-s12000047", "confirmed")]

    rest = button(at, "Confirm the 9 answers in Part A not yet reviewed")
    rest.click().run()
    assert [read(s) for s in at.success] == ["Confirmed 9 answers."]
    assert review_items(app_db, completed) == {v: ("confirmed", None) for v in IN_PART_A}
    assert button(at, "Confirm the 0 answers in Part A not yet reviewed").disabled
    assert len(actions(app_db, "review.confirm")) == 10


def test_an_answer_changed_after_confirming_asks_to_be_looked_at_again(
    app_db: Engine, completed: int
) -> None:
    at = click(open_review(), f"confirm:{Q1}")
    with Session(app_db) as s:
        save_answer(s, actor=INTERVIEWER, interview_id=completed, variable_id=Q1, value="other")
        save_answer(
            s, actor=INTERVIEWER, interview_id=completed, variable_id="q1_other_specify",
            value="Carers' forum",
        )  # fmt: skip
    at.run()
    q1 = at.container("review_q1_most_involved")
    assert read(q1.info[0]) == "This answer changed after you confirmed it."
    assert q1.text[0].value == "Others – please specify"
    again = at.button(key=f"confirm:{Q1}")
    assert (again.label, again.disabled) == ("Confirm", False)


def test_request_a_correction__needs_a_comment_and_shows_it_as_text(
    app_db: Engine, completed: int
) -> None:
    at = click(open_review(), f"request:{Q2}")
    assert [read(e) for e in at.error] == [
        "Not done: say what should change, so the interviewer can correct it"
    ]
    assert review_items(app_db, completed) == {}

    comment = f"It was No: users joined later. {PAYLOAD}"
    at.text_area(key=f"comment:{Q2}").input(comment)
    at = click(at, f"request:{Q2}")
    assert [read(s) for s in at.success] == ["Your correction request has gone to the interviewer."]
    assert review_items(app_db, completed) == {Q2: ("correction_requested", comment)}
    (logged,) = actions(app_db, "review.request")
    assert logged == ("review.request", "council-s12000047", "correction_requested")
    (box,) = at.container("review_q2_strategy_involvement").warning
    assert read(box).startswith("Correction requested (council-s12000047, ")
    assert read(box).endswith(f"Council: {comment}")
    assert at.text_area(key=f"comment:{Q2}").value == ""
    for value in rendered(at):
        assert "<img" not in value and "](javascript" not in value, value
    assert read(at.warning[0]).startswith("1 correction request(s) are with the interviewer.")


def test_validate__refused_while_a_request_is_open_then_validated_after_the_reply(
    app_db: Engine, completed: int
) -> None:
    stale = open_review()  # a second tab, drawn before the request went
    at = open_review()
    at.text_area(key=f"comment:{Q2}").input("Should be No.")
    at = click(at, f"request:{Q2}")
    assert button(at, "Validate our submission").disabled
    button(stale, "Validate our submission").click().run()
    assert [read(e) for e in stale.error] == [
        "Not done: 1 correction request(s) still wait for the interviewer: q2_strategy_involvement"
    ]
    with Session(app_db) as s:
        assert s.get(Interview, completed).validated_at is None  # type: ignore[union-attr]

    with Session(app_db) as s:
        resolve_correction(
            s, actor=INTERVIEWER, interview_id=completed, variable_id=Q2, changed=False,
            reply="The strategy minutes record users at the table.",
        )  # fmt: skip
    at.run()
    (box,) = at.container("review_q2_strategy_involvement").info
    assert read(box).startswith("Kept by the interviewer, with a reply (council-s12000047, ")
    assert read(box).endswith("Interviewer: The strategy minutes record users at the table.")
    assert "The interviewer has responded to 1 request(s)." in read(at.info[0])
    validate = button(at, "Validate our submission")
    assert not validate.disabled
    validate.click().run()
    assert not at.exception, at.exception
    assert read(at.success[0]) == "Thank you: your submission is validated."
    assert read(at.success[1]).startswith("You validated this submission on ")
    assert not any(b.label in ("Confirm", "Validate our submission") for b in at.button)
    with Session(app_db) as s:
        interview = s.get(Interview, completed)
        assert interview is not None and interview.validated_at is not None
        assert interview.validated_by == "council-s12000047"
    assert [a[0] for a in actions(app_db, "review.")] == [
        "review.request",
        "review.resolve",
        "review.validate",
    ]

    at = open_review()  # a later visit: the page still says so, and offers nothing to change
    assert read(at.success[0]).startswith("You validated this submission on ")
    assert not at.text_area and not any(b.label == "Validate our submission" for b in at.button)


def test_another_councils_account_sees_its_own_council_only(app_db: Engine, completed: int) -> None:
    at = app_as("council", council="S12000041")  # Angus
    at.run()
    assert [t.value for t in at.title] == ["Our submission: Angus"]
    assert at.info[0].value.startswith("The interview with your council is not complete yet.")
    assert NOTE not in [t.value for t in at.text]


def everything_shown(at: AppTest) -> str:
    """All the page's text of every kind, as one string to search."""
    kinds = ("markdown", "caption", "title", "header", "subheader", "info", "warning", "success",
             "error", "text", "text_area", "button", "expander")  # fmt: skip
    found = []
    for kind in kinds:
        for element in getattr(at, kind):
            found += [str(getattr(element, a, "") or "") for a in ("value", "label", "help")]
    return "\n".join(found)


def test_never_shows_interviewers_notes_nor_their_help(app_db: Engine, completed: int) -> None:
    with Session(app_db) as s:
        for variable_id in (Q1, "q24_inhouse_pct"):
            save_answer(
                s, actor=INTERVIEWER, interview_id=completed, variable_id=variable_id,
                note="R hesitant",
            )  # fmt: skip
    at = open_review()
    assert at.markdown[0].value == (
        "Here you see each question as it was put to you and the answer recorded for your "
        "council; the interviewer's own notes and interviewing guidance are not shown."
    )
    for part in ("A", "G"):
        at.segmented_control(key="review_part").set_value(part).run()
        assert not at.exception, at.exception
        shown = everything_shown(at)
        for private in ("R hesitant", "Director read it from the plan", "Interviewer's note",
                        "Type 30:70", "Record the in-house share"):  # fmt: skip
            assert private not in shown, (part, private)
    assert "What is the current balance in your home care provision" in shown
    assert "40% in-house" in shown
