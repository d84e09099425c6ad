"""An interviewer in a real browser, keyboard only: a whole interview keyed from the details
to Complete, a refresh halfway, and every stored value compared with what was meant."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Account, Answer, Council, Interview
from instrument.loader import instrument_named
from instrument.schedule import Instrument
from services.answers import save_answer
from services.review import validate_submission
from tests.answering import complete_whole_interview
from tests.browser.conftest import add_account, question, settle, shoot, sign_in, wait_for_saved
from tests.conftest import INTERVIEWER
from tests.signing import account

pytestmark = pytest.mark.browser
FIFE = "S12000047"

# What the respondent says, where it is not the first option: a routed skip (Q11 no skips
# Q11a), an "Other" that opens its follow-up, a multiple choice with three codes, reserved
# codes on a closed and on a verbatim question, and Q24 typed as a ratio.
MEANT: dict[str, str] = {
    "q1_most_involved": "other",
    "q3_monitoring_involvement": "no_answer",
    "q8b_specific_groups": "yes",
    "q8b_groups": "learning_disabilities;children_families;other",
    "q11_swia_used": "no",
    "q13_guidance_use": "dont_know",
    "q24_inhouse_pct": "30",
}
TYPED_AS = {"q24_inhouse_pct": "30:70"}
SLOW_TEXT = "q4_influence_example"  # typed with a pause in the middle: saved, then finished


@dataclass
class Keyboard:
    """The page's keyboard, counting the keys that are not text.

    `ends_text` marks the Tab that leaves a typed verbatim answer: counted, and reported
    apart, since it is the one key a typed answer needs whatever the screen.
    """

    page: object
    pressed: list[str] = field(default_factory=list)
    ending_text: int = 0

    def press(self, key: str, *, ends_text: bool = False) -> None:
        self.pressed.append(key)
        self.ending_text += ends_text
        self.page.keyboard.press(key)  # type: ignore[attr-defined]

    def type(self, text: str) -> None:
        self.page.keyboard.type(text, delay=5)  # type: ignore[attr-defined]


def meant_value(instrument: Instrument, variable_id: str) -> str:
    if variable_id in MEANT:
        return MEANT[variable_id]
    variable = instrument.variable(variable_id)
    if variable.is_closed and variable.type != "percent":
        return instrument.choices(variable)[0].code
    return f"Said at {variable_id}: 'we asked carers first', £2m & <b>not bold</b>"


def key_answer(board: Keyboard, instrument: Instrument, variable_id: str, value: str) -> None:
    """Key one answer the way the keys legend says, ending on the next question."""
    variable = instrument.variable(variable_id)
    codes = [c.code for c in instrument.choices(variable)] if variable.is_closed else []
    if value in ("no_answer", "dont_know"):
        letter = "n" if value == "no_answer" else "d"
        if variable.type == "text":
            board.press(f"Alt+Shift+{letter.upper()}")
            board.press("Tab", ends_text=True)
        else:
            board.press(letter)  # a single answer: the cursor moves on by itself
    elif variable.type in ("yesno", "single"):
        board.press(str(codes.index(value) + 1))
    elif variable.type == "multi":
        for code in value.split(";"):
            board.press(str(codes.index(code) + 1))
        board.press("Enter")
    elif variable.type == "percent":
        board.type(TYPED_AS.get(variable_id, value))
        board.press("Enter")
    else:
        if variable_id == SLOW_TEXT:
            board.type(value[:20])
            board.page.wait_for_timeout(1200)  # type: ignore[attr-defined]  # the autosave runs
            board.type(value[20:])
        else:
            board.type(value)
        board.press("Tab", ends_text=True)


def stored_answers(engine: Engine, interview_id: int) -> dict[str, str | None]:
    with Session(engine) as s:
        rows = s.scalars(select(Answer).where(Answer.interview_id == interview_id)).all()
    return {a.variable_id: a.value for a in rows}


def test_a_whole_interview_keyed_by_keyboard_alone_stores_exactly_what_was_meant(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    instrument = instrument_named("schedule_2011")
    with Session(app_engine) as s:
        fife = s.scalar(select(Interview.id).join(Council).where(Council.code == FIFE))
    add_account(app_engine, "ilona", "interviewer")
    sign_in(page, app_url, "ilona")
    page.goto(f"{app_url}/interview?council={FIFE}")
    board = Keyboard(page)

    # The cursor starts in the first empty field: the respondent's name.
    name = page.get_by_role("textbox", name="Respondent's name")
    expect(name).to_be_focused()
    board.type("Morag Black")
    board.press("Tab", ends_text=True)
    board.press("1")  # Director of Social Work, and on to the interviewer
    board.press("Tab")  # the interviewer and today's date are filled in already
    board.press("Tab")

    meant: dict[str, str] = {}
    closed = 0
    parts = [p.id for p in instrument.parts]
    for number, part in enumerate(instrument.parts):
        first = True
        for variable in part.variables:
            value = meant_value(instrument, variable.id)
            if not instrument.applies(variable.id, {**meant, variable.id: value}):
                continue
            if not instrument.applies(variable.id, meant):
                continue
            if first:  # the cursor is on the Part's first question, scrolled into view
                expect(question(page, variable.id).locator("[tabindex='0']")).to_be_focused()
                first = False
            key_answer(board, instrument, variable.id, value)
            meant[variable.id] = value
            closed += variable.is_closed
        if part.id == "D":  # halfway: the page is refreshed, and keying goes on
            wait_for_saved(app_engine, fife, "q17c_problems", {"value": meant["q17c_problems"]})
            page.reload()
            settle(page)
            shoot(page, "interview-01-after-refresh")
            q15 = question(page, "q15_skills_capacity").locator("textarea.verbatim")
            expect(q15).to_have_value(meant["q15_skills_capacity"])
        if number + 1 < len(parts):
            board.press("Alt+PageDown")
            page.get_by_role("heading", name=f"Part {parts[number + 1]}:").wait_for()

    shoot(page, "interview-02-part-h-keyed")
    # Summary, then Complete, still from the keyboard.
    summary = page.get_by_role("textbox", name="Summary of the interview for auditors")
    expect(summary).to_be_focused()
    board.type("Director interviewed; open and detailed.")
    board.press("Tab", ends_text=True)
    expect(page.get_by_role("button", name="Complete interview")).to_be_focused()
    board.press("Enter")
    page.get_by_text("This interview is complete").wait_for()
    shoot(page, "interview-03-completed")

    stored = stored_answers(app_engine, fife)
    expected = {k: v for k, v in meant.items()}
    assert {k: stored.get(k) for k in expected} == expected
    assert stored.get("q11a_swia_usefulness") is None, "the routed skip was not skipped"
    assert not {k for k, v in stored.items() if v is not None} - set(expected), "extra answers"
    with Session(app_engine) as s:
        done = s.get(Interview, fife)
    today = dt.datetime.now(ZoneInfo("Europe/London")).date()
    assert (done.status, done.respondent_name, done.respondent_role, done.interview_date) == (
        "completed", "Morag Black", "director_of_social_work", today,
    )  # fmt: skip
    with Session(app_engine) as s:
        ilona = s.scalar(select(Account).where(Account.username == "ilona"))
    assert done.interviewer == (ilona.display_name or "ilona")
    keys = len(board.pressed)
    per_closed = (keys - board.ending_text) / closed
    print(
        f"\n{keys} keys that are not text: {board.ending_text} Tabs ending typed answers, "
        f"{keys - board.ending_text} for {closed} closed questions, moving and completing "
        f"({per_closed:.2f} per closed question; {keys / closed:.2f} with the Tabs)"
    )
    assert per_closed <= 2, board.pressed


def open_part(page, app_url: str, app_engine: Engine, part: str) -> int:  # type: ignore[no-untyped-def]
    """Signed in as an interviewer, on Fife's interview at `part`; Fife's interview id."""
    with Session(app_engine) as s:
        fife = s.scalar(select(Interview.id).join(Council).where(Council.code == FIFE))
    add_account(app_engine, "ilona", "interviewer")
    sign_in(page, app_url, "ilona")
    page.goto(f"{app_url}/interview?council={FIFE}&part={part}")
    page.locator(".keying .question").first.wait_for()
    return fife  # type: ignore[return-value]


def test_a_refused_share_shows_why_and_the_stored_value_beside_the_question(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    fife = open_part(page, app_url, app_engine, "G")
    q24 = question(page, "q24_inhouse_pct")
    box = q24.get_by_role("textbox", name="Q24", exact=False).first
    box.focus()
    page.keyboard.type("30:60")
    page.keyboard.press("Enter")
    expect(q24.get_by_text("Not saved: 30:60 adds up to 90, not 100")).to_be_visible()
    expect(box).to_have_value("")  # the stored value (none) is on screen again
    box.focus()
    page.keyboard.type("30/70")
    page.keyboard.press("Enter")
    wait_for_saved(app_engine, fife, "q24_inhouse_pct", {"value": "30"})
    expect(q24.get_by_text("Recorded: 30% in-house, 70% external")).to_be_visible()
    expect(q24.get_by_role("status")).to_contain_text("Saved")
    shoot(page, "interview-04-percent")


def test_arrow_keys_move_without_saving_and_keys_choose_exactly_what_is_pressed(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    fife = open_part(page, app_url, app_engine, "B")
    question(page, "q8b_specific_groups").get_by_role("radiogroup").focus()
    page.keyboard.press("1")  # Yes: Q8b's groups open, and the cursor moves there
    groups = question(page, "q8b_groups").get_by_role("listbox")
    expect(groups).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.wait_for_timeout(1000)
    assert "q8b_groups" not in stored_answers(app_engine, fife), "arrow keys saved something"
    page.keyboard.press(" ")  # the highlighted fourth option, and nothing else
    wait_for_saved(app_engine, fife, "q8b_groups", {"value": "children_families", "version": 1})
    page.keyboard.press("2")
    page.keyboard.press("4")  # toggles the fourth off again
    wait_for_saved(app_engine, fife, "q8b_groups", {"value": "learning_disabilities"})
    expect(groups.get_by_role("option", selected=True)).to_have_count(1)
    expect(groups.get_by_role("option", selected=True)).to_contain_text("learning")


def test_routing_in_the_browser_agrees_with_the_instrument_on_random_answers(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    """The panel hides and shows questions by its own copy of the routing rules; on 300 random
    sets of answers (reserved codes, blanks and multiple choices among them) it decides
    exactly as Instrument.applies does, for every question of the schedule."""
    instrument = instrument_named("schedule_2011")
    open_part(page, app_url, app_engine, "A")
    chance = random.Random(2011)
    cases = []
    for _ in range(300):
        values: dict[str, str] = {}
        for variable in instrument.closed_questions:
            codes = [c.code for c in instrument.choices(variable)] if variable.choices else []
            pick = chance.random()
            if pick < 0.15 or not codes:
                continue  # blank
            if pick < 0.25:
                values[variable.id] = chance.choice(["no_answer", "dont_know"])
            elif variable.type == "multi":
                values[variable.id] = (
                    ";".join(c for c in codes if chance.random() < 0.4) or codes[0]
                )
            else:
                values[variable.id] = chance.choice(codes)
        cases.append(values)
    ids = [v.id for v in instrument.questions]
    in_browser = page.evaluate(
        """([cases, ids]) => {
          const panel = document.querySelector(".keying").parentNode.__keyingPanel;
          return cases.map((values) => ids.map((id) => panel.applies(id, values)));
        }""",
        [cases, ids],
    )
    for values, decided in zip(cases, in_browser, strict=True):
        expected = [instrument.applies(i, values) for i in ids]
        assert decided == expected, {
            i: (e, d) for i, e, d in zip(ids, expected, decided, strict=True) if e != d
        }


def test_a_validated_answer_asks_for_its_reason_beside_the_question(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    with Session(app_engine) as s:
        fife = s.scalar(select(Interview.id).join(Council).where(Council.code == FIFE))
    complete_whole_interview(app_engine, INTERVIEWER, fife)
    council = account(app_engine, "council", council=FIFE)
    with Session(app_engine) as s:
        validate_submission(s, actor=council, interview_id=fife)
    open_part(page, app_url, app_engine, "A")
    q1 = question(page, "q1_most_involved")
    q1.get_by_role("radiogroup").focus()
    page.keyboard.press("4")  # Children and families
    expect(q1.get_by_text("give a reason", exact=False)).to_be_visible()
    # The stored answer is on screen again, and nothing changed in the database.
    expect(q1.get_by_role("radio", name="Older people")).to_be_checked()
    expect(q1.get_by_role("radio", name="Children and families")).not_to_be_checked()
    assert stored_answers(app_engine, fife)["q1_most_involved"] == "older_people"
    reason = q1.get_by_role("textbox", name="Reason for changing Q1", exact=False)
    reason.focus()
    page.keyboard.type("The council emailed on 3 May")
    page.keyboard.press("Enter")
    wait_for_saved(app_engine, fife, "q1_most_involved", {"value": "children_families"})
    expect(q1.get_by_role("radio", name="Children and families")).to_be_checked()
    expect(q1.get_by_role("status")).to_contain_text("Saved")
    shoot(page, "interview-05-reason-beside-the-question")


def test_someone_elses_save_meanwhile__keep_mine_or_take_theirs_in_the_browser(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    fife = open_part(page, app_url, app_engine, "A")
    q5 = question(page, "q5_least_involved")
    q5.get_by_role("radiogroup").wait_for()
    with Session(app_engine) as s:  # another interviewer, on another screen
        save_answer(
            s, actor=INTERVIEWER, interview_id=fife, variable_id="q5_least_involved",
            value="children_families",
        )  # fmt: skip
    q5.get_by_role("radiogroup").focus()
    page.keyboard.press("1")  # Older people, on a screen that still shows no answer
    said = q5.get_by_text("Not saved: ilona saved Children and families after you loaded")
    expect(said).to_be_visible()
    expect(q5.get_by_role("radio", name="Children and families")).to_be_checked()
    q5.get_by_role("button", name="Keep mine").click()
    wait_for_saved(app_engine, fife, "q5_least_involved", {"value": "older_people"})
    expect(q5.get_by_role("radio", name="Older people")).to_be_checked()


def test_a_refused_share_that_is_markdown_is_shown_as_typed_and_fetches_nothing(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if ":9/" in r.url else None)
    open_part(page, app_url, app_engine, "G")
    q24 = question(page, "q24_inhouse_pct")
    q24.get_by_role("textbox").first.focus()
    page.keyboard.type("![i](http://127.0.0.1:9/t.png)")
    page.keyboard.press("Enter")
    expect(
        q24.get_by_text("Not saved: '![i](http://127.0.0.1:9/t.png)'", exact=False)
    ).to_be_visible()
    expect(page.locator("img[src*='127.0.0.1:9']")).to_have_count(0)
    page.wait_for_timeout(500)
    assert not fetched, fetched


def test_text_typed_and_at_once_refreshed_is_kept(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    """No pause, no Tab: the page is reloaded straight after the last key, and the text is
    saved all the same (kept in the browser's outbox as the page goes, sent when it is back)."""
    fife = open_part(page, app_url, app_engine, "A")
    box = question(page, "q4_influence_example").locator("textarea.verbatim")
    box.focus()
    page.keyboard.type("Day centre kept open after the carers' consultation")
    page.reload()
    wait_for_saved(
        app_engine, fife, "q4_influence_example",
        {"value": "Day centre kept open after the carers' consultation"},
    )  # fmt: skip
    expect(box).to_have_value("Day centre kept open after the carers' consultation")


def test_keys_pressed_while_the_panel_is_redrawn_are_kept(
    page, app_url: str, app_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    """Streamlit can draw the panel afresh between two keystrokes. Here the panel goes while the
    cursor is in a verbatim answer and comes back only on the next run: text, a Tab, a digit and
    more text typed in between all land where they would have without the redraw."""
    instrument = instrument_named("schedule_2011")
    second = instrument.choices(instrument.variable("q5_least_involved"))[1].code
    fife = open_part(page, app_url, app_engine, "A")
    box = question(page, "q4_influence_example").locator("textarea.verbatim")
    box.focus()
    page.keyboard.type("Day centre kept", delay=5)
    wait_for_saved(app_engine, fife, "q4_influence_example", {"value": "Day centre kept"})
    settle(page)
    # The panel goes as Streamlit's redraw takes it away; the next run draws the new one.
    page.evaluate(
        """() => {
          const host = document.querySelector('.keying').parentElement;
          const panel = host.__keyingPanel;
          window.__nextRun = () => panel.send('outbox', []);
          panel.destroy();
          host.__keyingPanel = null;
        }"""
    )
    assert page.locator(".keying").count() == 0
    page.keyboard.type(" open", delay=5)
    page.keyboard.press("Tab")
    page.keyboard.press("2")  # q5: the second option, and on to q6
    page.keyboard.type("Cost", delay=5)
    page.evaluate("window.__nextRun()")

    expect(box).to_have_value("Day centre kept open")
    q6 = question(page, "q6_why_least").locator("textarea.verbatim")
    expect(q6).to_be_focused()
    expect(q6).to_have_value("Cost")
    wait_for_saved(app_engine, fife, "q4_influence_example", {"value": "Day centre kept open"})
    wait_for_saved(app_engine, fife, "q5_least_involved", {"value": second})
    wait_for_saved(app_engine, fife, "q6_why_least", {"value": "Cost"})
