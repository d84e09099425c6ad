"""The Interview page through Streamlit's AppTest: what an interviewer sees and what is saved."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import Answer, AnswerHistory, Council, Interview
from tests.answering import answer_everything
from tests.conftest import INTERVIEWER
from tests.signing import app_as

FIFE = "S12000047"


def open_interview(council: str = FIFE, part: str | None = None) -> AppTest:
    """A fresh browser session on the Interview page (as after a refresh), council chosen."""
    at = app_as()
    at.run()
    at.switch_page("app_pages/interview.py").run()
    at.selectbox(key="council").select(council).run()
    if part:
        at.segmented_control(key="part").set_value(part).run()
    assert not at.exception, at.exception
    return at


def widget(at: AppTest, kind: str, variable: str):  # type: ignore[no-untyped-def]
    matches = [w for w in getattr(at, kind) if w.key and w.key.endswith(f":{variable}")]
    assert matches, f"no {kind} for {variable} on screen"
    return matches[0]


def on_screen(at: AppTest, variable: str) -> bool:
    return any(
        w.key and w.key.endswith(f":{variable}")
        for kind in ("radio", "text_area", "multiselect", "text_input")
        for w in getattr(at, kind)
        if w.key.startswith("value:")
    )


def stored(engine: Engine, variable: str, council: str = FIFE) -> Answer | None:
    with Session(engine) as s:
        return s.scalar(
            select(Answer)
            .join(Interview, Interview.id == Answer.interview_id)
            .join(Council, Council.id == Interview.council_id)
            .where(Council.code == council, Answer.variable_id == variable)
        )


def test_choosing_an_answer_saves_it_at_once_and_starts_the_interview(app_db: Engine) -> None:
    at = open_interview()
    widget(at, "radio", "q1_most_involved").set_value("older_people").run()
    answer = stored(app_db, "q1_most_involved")
    assert answer is not None and answer.value == "older_people" and answer.version == 1
    with Session(app_db) as s:
        history = s.scalars(select(AnswerHistory)).all()
        status = s.scalar(select(Interview.status).join(Council).where(Council.code == FIFE))
    assert [(h.old_value, h.new_value, h.changed_by) for h in history] == [
        (None, "older_people", "interviewer")
    ]
    assert status == "in_progress"


def test_routing_shows_the_follow_up_only_while_it_applies(app_db: Engine) -> None:
    at = open_interview()
    assert not on_screen(at, "q1_other_specify")
    widget(at, "radio", "q1_most_involved").set_value("other").run()
    assert on_screen(at, "q1_other_specify")
    widget(at, "text_area", "q1_other_specify").input("Carers of people with dementia").run()
    widget(at, "radio", "q1_most_involved").set_value("older_people").run()
    assert not on_screen(at, "q1_other_specify")
    assert any("is skipped" in c.value for c in at.caption), "kept answer is not mentioned"
    kept = stored(app_db, "q1_other_specify")
    assert kept is not None and kept.value == "Carers of people with dementia"


def test_did_not_answer_is_recorded_distinct_from_blank(app_db: Engine) -> None:
    at = open_interview()
    widget(at, "radio", "q2_strategy_involvement").set_value("yes").run()
    widget(at, "pills", "q2_strategy_involvement").set_value("no_answer").run()
    assert stored(app_db, "q2_strategy_involvement").value == "no_answer"
    assert widget(at, "radio", "q2_strategy_involvement").value is None
    widget(at, "pills", "q2_strategy_involvement").set_value(None).run()
    cleared = stored(app_db, "q2_strategy_involvement")
    assert cleared.value is None and cleared.version == 3


def test_note_per_question_is_saved(app_db: Engine) -> None:
    at = open_interview()
    widget(at, "text_input", "q3_monitoring_involvement").input("Asked twice; hesitant").run()
    assert stored(app_db, "q3_monitoring_involvement").note == "Asked twice; hesitant"


def test_percent_input__refusal_explained_in_words_and_nothing_saved(app_db: Engine) -> None:
    at = open_interview(part="G")
    widget(at, "text_input", "q24_inhouse_pct").input("30:60").run()
    assert any("30:60 adds up to 90, not 100" in e.value for e in at.error)
    assert stored(app_db, "q24_inhouse_pct") is None
    assert widget(at, "text_input", "q24_inhouse_pct").value == "30:60", "typed text was lost"
    widget(at, "text_input", "q24_inhouse_pct").input("150").run()
    assert any("150 is more than 100" in e.value for e in at.error)
    widget(at, "text_input", "q24_inhouse_pct").input("30/70").run()
    assert stored(app_db, "q24_inhouse_pct").value == "30"
    assert not at.error
    assert any("30% in-house, 70% external" in c.value for c in at.caption)


def test_refresh_page_switch_and_council_switch_keep_every_answer(app_db: Engine) -> None:
    at = open_interview()
    widget(at, "radio", "q1_most_involved").set_value("learning_disabilities").run()
    widget(at, "text_area", "q2_explain").input("Through the LD partnership board").run()

    refreshed = open_interview()
    assert widget(refreshed, "radio", "q1_most_involved").value == "learning_disabilities"
    assert widget(refreshed, "text_area", "q2_explain").value == "Through the LD partnership board"

    refreshed.switch_page("app_pages/fieldwork.py").run()
    refreshed.switch_page("app_pages/interview.py").run()
    assert widget(refreshed, "radio", "q1_most_involved").value == "learning_disabilities"

    refreshed.selectbox(key="council").select("S12000033").run()
    assert widget(refreshed, "radio", "q1_most_involved").value is None
    refreshed.selectbox(key="council").select(FIFE).run()
    assert widget(refreshed, "text_area", "q2_explain").value == "Through the LD partnership board"


def test_complete_interview__lists_what_is_unrecorded_and_refuses(app_db: Engine) -> None:
    at = open_interview()
    widget(at, "radio", "q1_most_involved").set_value("older_people").run()
    complete = next(b for b in at.button if b.label == "Complete interview")
    complete.click().run()
    message = " ".join(e.value for e in at.error)
    assert "Not completed" in message
    assert "respondent's role" in message and "interview date" in message
    assert "Q2 " in message and "Q11 " in message
    assert "Q1 " not in message
    with Session(app_db) as s:
        status = s.scalar(select(Interview.status).join(Council).where(Council.code == FIFE))
    assert status == "in_progress"
    assert stored(app_db, "q1_most_involved").value == "older_people"


def test_someone_elses_change_is_a_conflict_not_a_silent_overwrite(app_db: Engine) -> None:
    mine = open_interview()
    theirs = open_interview()
    widget(theirs, "radio", "q5_least_involved").set_value("children_families").run()
    widget(mine, "radio", "q5_least_involved").set_value("older_people").run()
    assert stored(app_db, "q5_least_involved").value == "children_families"
    warning = " ".join(w.value for w in mine.warning)
    assert "Someone else changed this answer" in warning
    assert "Children and families" in warning and "Older people" in warning
    next(b for b in mine.button if b.label == "Keep mine").click().run()
    assert stored(app_db, "q5_least_involved").value == "older_people"


def test_complete_interview__succeeds_once_everything_applicable_is_recorded(
    app_db: Engine,
) -> None:
    with Session(app_db) as s:
        fife = s.scalar(select(Interview.id).join(Council).where(Council.code == FIFE))
    with Session(app_db) as s:
        answer_everything(s, INTERVIEWER, fife)
    at = open_interview()
    at.selectbox(key=f"detail:{fife}:respondent_role").select("director_of_social_work").run()
    at.date_input(key=f"detail:{fife}:interview_date").set_value(dt.date(2011, 9, 20)).run()
    at.text_input(key=f"detail:{fife}:respondent_name").input("A. Director").run()
    next(b for b in at.button if b.label == "Complete interview").click().run()
    assert any("This interview is complete" in s.value for s in at.success), [
        e.value for e in at.error
    ]
    with Session(app_db) as s:
        done = s.get(Interview, fife)
    assert (done.status, done.respondent_role, done.interview_date, done.respondent_name) == (
        "completed",
        "director_of_social_work",
        dt.date(2011, 9, 20),
        "A. Director",
    )
    # Clearing a required answer afterwards moves it back to in progress, and says so.
    widget(at, "pills", "q2_strategy_involvement").set_value("no_answer").run()
    widget(at, "pills", "q2_strategy_involvement").set_value(None).run()
    assert any("moved back to in progress" in w.value for w in at.warning)
    with Session(app_db) as s:
        assert s.get(Interview, fife).status == "in_progress"
