"""The Interview page through Streamlit's AppTest: what the keying panel is given, and what
each change the interviewer keys does to the database.

The panel's keys, focus and routing on screen run in the browser (tests/browser/); here the
page is driven as keying.js drives it, change by change through its outbox.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from app_pages.keying.panel import panel_key
from db.models import Answer, AnswerHistory, AuditEvent, Council, Interview
from services.fieldwork import record_contact
from services.review import validate_submission
from tests.answering import answer_everything, complete_whole_interview
from tests.conftest import INTERVIEWER, interview_id_of
from tests.keying import change, detail, key, panel_data, question, send
from tests.signing import account, app_as

pytestmark = pytest.mark.sqlite_only

FIFE = "S12000047"
ANGUS = "S12000041"


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


def stored(engine: Engine, variable: str, council: str = FIFE) -> Answer | None:
    with Session(engine) as s:
        return s.scalar(
            select(Answer)
            .join(Interview, Interview.id == Answer.interview_id)
            .join(Council, Council.id == Interview.council_id)
            .where(Council.code == council, Answer.variable_id == variable)
        )


def history_rows(engine: Engine, variable: str) -> int:
    with Session(engine) as s:
        return s.scalar(
            select(func.count())
            .select_from(AnswerHistory)
            .where(AnswerHistory.variable_id == variable)
        )  # type: ignore[return-value]


def test_the_panel_shows_the_part_with_its_wording_choices_and_keys(app_db: Engine) -> None:
    at = open_interview()
    data = panel_data(at)
    assert data["part"] == "A" and data["next_part"] == "B"
    assert data["next_label"].startswith("Next: Part B, ")
    q1 = question(at, "q1_most_involved")
    assert q1["number"] == "Q1" and q1["type"] == "single"
    assert q1["choices"][0] == ["older_people", "Older people"]
    assert q1["value"] is None and q1["version"] == 0 and q1["status"] is None
    assert [label for _, label in data["reserved"]] == ["Did not answer", "Don't know"]
    assert data["routing"]["q1_other_specify"] == [[["q1_most_involved", "other"]]]
    assert "councils never see them" in data["notes_private"]


def test_choosing_an_answer_saves_it_at_once_and_says_saved(app_db: Engine) -> None:
    at = open_interview()
    key(at, "q1_most_involved", "older_people")
    answer = stored(app_db, "q1_most_involved")
    assert answer is not None and answer.value == "older_people" and answer.version == 1
    q1 = question(at, "q1_most_involved")
    now = dt.datetime.now(ZoneInfo("Europe/London"))
    assert q1["value"] == "older_people" and q1["version"] == 1
    assert q1["status"]["state"] == "saved"
    assert abs(int(q1["status"]["at"][:2]) * 60 + int(q1["status"]["at"][3:]) -
               (now.hour * 60 + now.minute)) <= 1  # fmt: skip
    with Session(app_db) as s:
        history = s.scalars(select(AnswerHistory)).all()
        status = s.scalar(select(Interview.status).join(Council).where(Council.code == FIFE))
    assert [(h.old_value, h.new_value, h.changed_by) for h in history] == [
        (None, "older_people", "interviewer")
    ]
    assert status == "in_progress"
    assert at.selectbox(key="council").format_func(FIFE) == "Fife · In progress"


def test_a_change_sent_again_is_saved_once(app_db: Engine) -> None:
    """The browser resends its outbox until told a change is done; a resend is no new save."""
    at = open_interview()
    first = change(at, "q2_strategy_involvement", "yes")
    send(at, first)
    send(at, first)
    at.run()
    assert stored(app_db, "q2_strategy_involvement").version == 1
    assert history_rows(app_db, "q2_strategy_involvement") == 1
    assert first["id"] in panel_data(at)["acked"]


def test_quick_changes_from_one_screen_build_on_each_other(app_db: Engine) -> None:
    """Keys faster than the page reruns: each change carries the version the screen showed,
    and the later ones are not mistaken for someone else's conflicting change."""
    at = open_interview()
    shown = question(at, "q2_explain")["version"]
    send(
        at,
        change(at, "q2_explain", "We", based_on=shown),
        change(at, "q2_explain", "We asked", based_on=shown),
        change(at, "q2_explain", "We asked carers", based_on=shown),
    )
    answer = stored(app_db, "q2_explain")
    assert (answer.value, answer.version) == ("We asked carers", 3)
    assert question(at, "q2_explain")["status"]["state"] == "saved"


def test_routing_rules_and_a_kept_answer_on_a_skipped_question(app_db: Engine) -> None:
    at = open_interview()
    key(at, "q1_most_involved", "other")
    key(at, "q1_other_specify", "Carers of people with dementia")
    key(at, "q1_most_involved", "older_people")
    data = panel_data(at)
    assert data["values"]["q1_most_involved"] == "older_people"
    specify = question(at, "q1_other_specify")
    assert specify["value"] == "Carers of people with dementia"
    assert "is skipped (asked only if q1_most_involved = other)" in specify["skipped_text"]
    assert "kept but not counted" in specify["skipped_text"]


def test_an_answer_on_a_question_routing_skips_is_refused_in_words(app_db: Engine) -> None:
    at = open_interview()
    key(at, "q1_other_specify", "Typed before choosing Other")
    assert stored(app_db, "q1_other_specify") is None
    status = question(at, "q1_other_specify")["status"]
    assert status["state"] == "problem" and "asked only if" in status["message"]


def test_did_not_answer_is_recorded_distinct_from_blank(app_db: Engine) -> None:
    at = open_interview()
    key(at, "q2_strategy_involvement", "yes")
    key(at, "q2_strategy_involvement", "no_answer")
    assert stored(app_db, "q2_strategy_involvement").value == "no_answer"
    key(at, "q2_strategy_involvement", None)
    cleared = stored(app_db, "q2_strategy_involvement")
    assert cleared.value is None and cleared.version == 3


def test_a_multiple_choice_stores_exactly_the_codes_chosen(app_db: Engine) -> None:
    at = open_interview(part="B")
    key(at, "q8b_specific_groups", "yes")
    key(at, "q8b_groups", "learning_disabilities;children_families;other")
    assert stored(app_db, "q8b_groups").value == "learning_disabilities;children_families;other"


def test_note_per_question_is_saved_and_kept_apart_from_the_answer(app_db: Engine) -> None:
    at = open_interview()
    key(at, "q3_monitoring_involvement", "yes")
    key(at, "q3_monitoring_involvement", "Asked twice; hesitant", field="note")
    answer = stored(app_db, "q3_monitoring_involvement")
    assert (answer.value, answer.note) == ("yes", "Asked twice; hesitant")
    assert question(at, "q3_monitoring_involvement")["note"] == "Asked twice; hesitant"


def test_percent__refusal_in_words_the_stored_value_stays_then_a_good_share_saves(
    app_db: Engine,
) -> None:
    at = open_interview(part="G")
    key(at, "q24_inhouse_pct", "30:60")
    q24 = question(at, "q24_inhouse_pct")
    assert q24["status"] == {
        "state": "problem", "message": "30:60 adds up to 90, not 100", "field": "value",
    }  # fmt: skip
    assert q24["value"] is None and stored(app_db, "q24_inhouse_pct") is None
    key(at, "q24_inhouse_pct", "150")
    assert "150 is more than 100" in question(at, "q24_inhouse_pct")["status"]["message"]
    key(at, "q24_inhouse_pct", "30/70")
    assert stored(app_db, "q24_inhouse_pct").value == "30"
    assert question(at, "q24_inhouse_pct")["status"]["state"] == "saved"


def test_refresh_page_switch_and_council_switch_keep_every_answer(app_db: Engine) -> None:
    at = open_interview()
    key(at, "q1_most_involved", "learning_disabilities")
    key(at, "q2_explain", "Through the LD partnership board")

    refreshed = open_interview()
    assert question(refreshed, "q1_most_involved")["value"] == "learning_disabilities"
    assert question(refreshed, "q2_explain")["value"] == "Through the LD partnership board"

    refreshed.switch_page("app_pages/fieldwork.py").run()
    refreshed.switch_page("app_pages/interview.py").run()
    assert question(refreshed, "q1_most_involved")["value"] == "learning_disabilities"

    refreshed.selectbox(key="council").select(ANGUS).run()
    assert question(refreshed, "q1_most_involved")["value"] is None
    refreshed.selectbox(key="council").select(FIFE).run()
    assert question(refreshed, "q2_explain")["value"] == "Through the LD partnership board"


def test_next_part_by_key_moves_to_the_part_and_asks_for_focus(app_db: Engine) -> None:
    at = open_interview()
    before = panel_data(at)["focus"]
    pending = change(at, "q7_plans_to_change", "no")
    send(at, pending, go="B")
    data = panel_data(at)
    assert data["part"] == "B" and data["focus"] == before + 1
    assert at.segmented_control(key="part").value == "B"
    assert stored(app_db, "q7_plans_to_change").value == "no", "the change sent with it"


def test_details__suggested_interviewer_and_today_and_a_uk_date(app_db: Engine) -> None:
    at = open_interview()
    today = dt.datetime.now(ZoneInfo("Europe/London")).date()
    assert detail(at, "interviewer")["suggested"] == "Test interviewer"
    assert detail(at, "interview_date")["suggested"] == f"{today:%d/%m/%Y}"
    assert detail(at, "interview_date")["stored"] is None
    send(at, change(at, "interview_date", "20/09/2011", target="detail"))
    send(at, change(at, "respondent_role", "director_of_social_work", target="detail"))
    with Session(app_db) as s:
        fife = s.get(Interview, interview_id_of(app_db, FIFE))
    assert (fife.interview_date, fife.respondent_role) == (
        dt.date(2011, 9, 20),
        "director_of_social_work",
    )
    assert detail(at, "interview_date")["stored"] == "20/09/2011"
    assert detail(at, "interview_date")["status"]["state"] == "saved"


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("31/02/2011", "February 2011 has 28 days"),
        ("2011/09/20", "type it as dd/mm/yyyy"),
        ("01/01/1999", "before 2000"),
    ],
)
def test_details__a_date_that_cannot_be_is_refused_in_words(
    app_db: Engine, typed: str, said: str
) -> None:
    at = open_interview()
    send(at, change(at, "interview_date", typed, target="detail"))
    status = detail(at, "interview_date")["status"]
    assert status["state"] == "problem" and said in status["message"]
    with Session(app_db) as s:
        assert s.get(Interview, interview_id_of(app_db, FIFE)).interview_date is None


def test_what_the_browser_sends_that_is_not_a_change_is_ignored(app_db: Engine) -> None:
    at = open_interview()
    send(at, {"id": "x"}, {"nonsense": True}, "text", change(at, "q1_most_involved", "other"))
    assert stored(app_db, "q1_most_involved").value == "other"
    send(at, change(at, "no_such_question", "yes", based_on=0))
    assert not at.exception
    assert stored(app_db, "no_such_question") is None


def test_complete_interview__lists_what_is_unrecorded_and_refuses(app_db: Engine) -> None:
    at = open_interview()
    key(at, "q1_most_involved", "older_people")
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


def test_someone_elses_change_is_a_conflict_not_a_silent_overwrite(app_db: Engine) -> None:
    mine = open_interview()
    theirs = open_interview()
    key(theirs, "q5_least_involved", "children_families")
    stale = change(mine, "q5_least_involved", "older_people")  # my screen still shows version 0
    send(mine, stale)
    assert stored(app_db, "q5_least_involved").value == "children_families"
    status = question(mine, "q5_least_involved")["status"]
    assert status["state"] == "conflict"
    assert "Children and families" in status["message"] and "Older people" in status["message"]
    assert status["retry"] == "older_people" and status["theirs_by"] == "interviewer"
    key(mine, "q5_least_involved", "older_people")  # Keep mine: based on their version now
    assert stored(app_db, "q5_least_involved").value == "older_people"


def test_a_validated_submission__a_change_needs_a_reason_beside_the_question(
    app_db: Engine,
) -> None:
    fife = interview_id_of(app_db, FIFE)
    complete_whole_interview(app_db, INTERVIEWER, fife)
    council = account(app_db, "council", council=FIFE)
    with Session(app_db) as s:
        validate_submission(s, actor=council, interview_id=fife)
    at = open_interview()
    before = stored(app_db, "q1_most_involved")
    key(at, "q1_most_involved", "children_families")
    status = question(at, "q1_most_involved")["status"]
    assert status["state"] == "reason" and "give a reason" in status["message"]
    assert status["retry"] == "children_families"
    assert question(at, "q1_most_involved")["value"] == before.value, "the stored value shows"
    assert stored(app_db, "q1_most_involved").version == before.version
    key(at, "q1_most_involved", "children_families", reason="Council emailed on 3 May")
    assert stored(app_db, "q1_most_involved").value == "children_families"
    with Session(app_db) as s:
        reasons = s.scalars(
            select(AuditEvent.reason).where(AuditEvent.action == "answer.value")
        ).all()
    assert "Council emailed on 3 May" in reasons


def test_complete_interview__succeeds_once_everything_applicable_is_recorded(
    app_db: Engine,
) -> None:
    fife = interview_id_of(app_db, FIFE)
    with Session(app_db) as s:
        answer_everything(s, INTERVIEWER, fife)
    at = open_interview()
    send(
        at,
        change(at, "respondent_role", "director_of_social_work", target="detail"),
        change(at, "interview_date", "20/09/2011", target="detail"),
        change(at, "respondent_name", "A. Director", target="detail"),
    )
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
    key(at, "q2_strategy_involvement", None)
    assert any("moved back to in progress" in w.value for w in at.warning)
    with Session(app_db) as s:
        assert s.get(Interview, fife).status == "in_progress"


def test_the_council_picker_names_calls_that_reached_nobody_and_follows_the_first_answer(
    app_db: Engine,
) -> None:
    angus = interview_id_of(app_db, ANGUS)
    with Session(app_db) as s:
        for hour in (9, 11):
            record_contact(
                s, actor=INTERVIEWER, interview_id=angus,
                attempted_at=dt.datetime(2011, 9, 1, hour), outcome="no_reply",
            )  # fmt: skip
    at = open_interview(ANGUS)
    picker = at.selectbox(key="council")
    assert picker.format_func(ANGUS) == "Angus · Attempted (2)"
    assert picker.format_func(FIFE) == "Fife · Not contacted"
    key(at, "q1_most_involved", "older_people")
    assert at.selectbox(key="council").format_func(ANGUS) == "Angus · In progress"


def test_a_change_sent_as_the_interviewer_switches_council_is_saved(app_db: Engine) -> None:
    at = open_interview()
    fife = panel_data(at)["interview"]
    last = change(at, "q2_explain", "Typed just before switching")
    at.session_state[panel_key(fife)] = {"outbox": [last], "go": None}
    at.selectbox(key="council").select(ANGUS).run()
    assert stored(app_db, "q2_explain").value == "Typed just before switching"
    assert panel_data(at)["interview"] == interview_id_of(app_db, ANGUS)


def test_a_database_that_does_not_answer__not_saved_with_a_retry_and_nothing_lost(
    app_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app_pages.keying.panel as panel

    at = open_interview()
    real = panel.save_answer
    calls = []

    def busy(*args: object, **kwargs: object) -> object:
        calls.append(kwargs["variable_id"])
        if len(calls) == 1:
            raise OperationalError("UPDATE answer", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(panel, "save_answer", busy)
    key(at, "q1_most_involved", "older_people")
    status = question(at, "q1_most_involved")["status"]
    assert status["state"] == "problem" and "did not answer in time" in status["message"]
    assert status["retry"] == "older_people", "the panel offers Retry with the same value"
    assert stored(app_db, "q1_most_involved") is None
    key(at, "q1_most_involved", status["retry"])  # Retry
    assert stored(app_db, "q1_most_involved").value == "older_people"
