"""The interviewer's Corrections page through AppTest: each council's open request with its
comment, resolved by changing the answer or by keeping it with a reply."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import Answer, AuditEvent, Council, Interview, ReviewItem
from services.answers import save_answer
from services.review import request_correction
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER
from tests.signing import account, app_as

pytestmark = pytest.mark.sqlite_only

FIFE = "S12000047"
Q1, Q2 = "q1_most_involved", "q2_strategy_involvement"
PAYLOAD = "<img src=x onerror=alert(1)> [click](javascript:alert(1))"
COMMENT = f"Users were not involved until 2011. {PAYLOAD}"


@pytest.fixture
def requested(app_db: Engine) -> int:
    """Fife's completed interview, on which the council has queried Q2 and then Q1."""
    with Session(app_db) as s:
        interview_id = s.scalar(select(Interview.id).join(Council).where(Council.code == FIFE))
    assert interview_id is not None
    complete_whole_interview(app_db, INTERVIEWER, interview_id)
    council = account(app_db, "council", council=FIFE)
    for variable_id, comment in ((Q2, COMMENT), (Q1, "Older people, yes, but carers too.")):
        with Session(app_db) as s:
            request_correction(
                s, actor=council, interview_id=interview_id, variable_id=variable_id,
                comment=comment,
            )  # fmt: skip
    return interview_id


def open_corrections() -> AppTest:
    at = app_as()
    at.run()
    at.switch_page("app_pages/corrections.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Corrections"]
    return at


def read(element) -> str:  # type: ignore[no-untyped-def]
    """What a person reads in a Markdown element: escapes undone."""
    return html.unescape(re.sub(r"\\(.)", r"\1", element.value))


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def state_of(engine: Engine, interview_id: int, variable_id: str) -> tuple[str, str | None]:
    with Session(engine) as s:
        item = s.scalar(
            select(ReviewItem).where(
                ReviewItem.interview_id == interview_id, ReviewItem.variable_id == variable_id
            )
        )
        assert item is not None
        return item.state, item.reply


def resolutions(engine: Engine) -> list[tuple[str, str | None, str | None]]:
    with Session(engine) as s:
        rows = s.execute(
            select(AuditEvent.target, AuditEvent.new_value, AuditEvent.reason)
            .where(AuditEvent.action == "review.resolve")
            .order_by(AuditEvent.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_no_requests__says_no_council_is_waiting(app_db: Engine) -> None:
    at = open_corrections()
    assert [c.value for c in at.main.caption] == ["No council is waiting for a correction."]
    assert not any(b.label == "The answer is corrected" for b in at.button)


def test_lists_each_open_request_with_the_councils_comment_as_text(
    app_db: Engine, requested: int
) -> None:
    at = open_corrections()
    assert at.main.caption[0].value == "2 request(s) waiting for you."
    q2 = at.container(f"correction_{requested}_{Q2}")
    assert read(q2.markdown[0]) == (
        "**Fife** · Q2 Users involved in strategy :gray-badge[Correction requested]"
    )
    assert [t.value for t in q2.text] == [f"Council: {COMMENT}", "Recorded now: Yes"]
    assert q2.caption[0].value.startswith("Asked by council-s12000047 on ")
    q1 = at.container(f"correction_{requested}_{Q1}")
    assert [t.value for t in q1.text] == [
        "Council: Older people, yes, but carers too.",
        "Recorded now: Older people",
    ]
    links = [link.proto.label for link in at.get("page_link")]
    assert links == ["Change it on the Interview page (Part A)"] * 2
    for kind in ("markdown", "caption", "info", "success", "error", "warning"):
        for element in getattr(at, kind):
            assert "<img" not in element.value and "](javascript" not in element.value


def test_the_answer_is_corrected__refused_until_the_answer_changed(
    app_db: Engine, requested: int
) -> None:
    at = click(open_corrections(), f"corrected:{requested}:{Q2}")
    assert [read(e) for e in at.error] == [
        "Not resolved: Q2 Users involved in strategy has not changed since the council asked; "
        "change the answer on "
        "the Interview page first, or reply why it stays"
    ]
    assert state_of(app_db, requested, Q2) == ("correction_requested", None)
    assert resolutions(app_db) == []

    with Session(app_db) as s:
        save_answer(s, actor=INTERVIEWER, interview_id=requested, variable_id=Q2, value="no")
    at.run()
    q2 = at.container(f"correction_{requested}_{Q2}")
    assert q2.text[1].value == "Recorded now: No"
    at = click(at, f"corrected:{requested}:{Q2}")
    assert [read(s) for s in at.success] == ["Fife will see your response."]
    assert not at.error
    assert state_of(app_db, requested, Q2) == ("corrected", None)
    assert resolutions(app_db) == [(f"2011 {FIFE} Fife {Q2}", "corrected", None)]
    assert at.main.caption[0].value == "1 request(s) waiting for you."
    assert not any(c.key == f"correction_{requested}_{Q2}" for c in at.container)


def test_keep_the_answer__needs_a_reply_which_the_resolved_list_shows(
    app_db: Engine, requested: int
) -> None:
    at = click(open_corrections(), f"keep:{requested}:{Q1}")
    assert [read(e) for e in at.error] == [
        "Not resolved: say why the answer stays as it is; the council will read it"
    ]
    assert state_of(app_db, requested, Q1) == ("correction_requested", None)

    reply = "The Director named older people; carers come under Q5."
    at.text_area(key=f"reply:{requested}:{Q1}").input(reply)
    at = click(at, f"keep:{requested}:{Q1}")
    assert [read(s) for s in at.success] == ["Fife will see your response."]
    assert state_of(app_db, requested, Q1) == ("kept", reply)
    assert resolutions(app_db) == [(f"2011 {FIFE} Fife {Q1}", "kept", reply)]
    with Session(app_db) as s:  # the answer itself is untouched
        kept_answer = s.execute(
            select(Answer.value, Answer.version).where(
                Answer.interview_id == requested, Answer.variable_id == Q1
            )
        ).one()
    assert tuple(kept_answer) == ("older_people", 1)
    assert at.main.caption[0].value == "1 request(s) waiting for you."

    at.toggle(key="corrections_all").set_value(True).run()
    kept = at.container(f"correction_{requested}_{Q1}")
    assert read(kept.markdown[0]).endswith(":gray-badge[Kept by the interviewer, with a reply]")
    assert kept.text[-1].value == f"Your reply: {reply}"
    assert not any(b.key == f"keep:{requested}:{Q1}" for b in at.button)
