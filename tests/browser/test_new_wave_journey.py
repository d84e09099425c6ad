"""A new wave in a real browser: an administrator creates it on the Waves page by uploading a
revised schedule (one question of 2011 dropped, one added), an interviewer keys two interviews
in it, and an auditor compares it with wave 2011 on the Dashboard.

Wave 2011's answers are imported from a flat file through the CLI before the app is used;
the two interviews' other answers are saved through the services, and what the comparison
turns on (a question both waves ask, and the added one) is keyed in the browser."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import survey_cli
from aggregation.counts import closed_variables
from db.models import Council, Interview, Wave
from instrument.loader import instrument_named, parse_instrument
from instrument.schedule import Instrument
from instrument.types import Counting, question_type
from tests.answering import all_but_completion
from tests.browser.conftest import (
    add_account,
    choose,
    idle,
    press_complete,
    question,
    shoot,
    sign_in,
    sign_out,
    wait_for_saved,
)
from tests.conftest import INTERVIEWER, REPO, cli_on
from tests.wave_builder import build_wave, columns, csv_bytes

pytestmark = pytest.mark.browser

REVISED = REPO / "tests" / "data" / "schedule_revised.yaml"
WAVE, TITLE = "2026", "Commissioning social care follow-up 2026"
SHARED = "q2_strategy_involvement"  # asked in 2011 and 2026 alike
ADDED = "q7a_independent_review"  # asked only in 2026
DROPPED = "q19_room_for_improvement"  # asked only in 2011
PERCENT = "q24_inhouse_pct"  # a figure: never compared code by code
# What the two councils say to the questions keyed in the browser.
KEYED = {"Fife": {SHARED: "yes", ADDED: "yes"}, "Highland": {SHARED: "yes", ADDED: "no"}}
SAID = {"yes": "Yes", "no": "No"}


@pytest.fixture
def wave_2011(
    app_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, str]]:
    """Wave 2011 answered by every council that took part, imported as a flat file; its rows."""
    schedule = instrument_named("schedule_2011")
    rows = build_wave(schedule)
    flat = tmp_path / "2011.csv"
    flat.write_bytes(csv_bytes(rows, columns(schedule)))
    with cli_on(str(app_engine.url), monkeypatch):
        assert survey_cli.main(["import", str(flat), "--wave", "2011"]) == 0
    return rows


def tallied(schedule: Instrument) -> dict[str, tuple[str | None, bool]]:
    """What the report counts, in its order: variable id -> (label, counted in codes)."""
    out: dict[str, tuple[str | None, bool]] = {}
    for variable in closed_variables(schedule):
        out[variable.id] = (variable.label, question_type(variable).counting != Counting.NUMERIC)
        if variable.bands:  # a figure's bands are codes
            out[variable.bands.id] = (variable.bands.label, True)
    return out


def interview_in(engine: Engine, wave: str, council: str) -> int:
    with Session(engine) as s:
        found = s.scalar(
            select(Interview.id)
            .join(Wave)
            .join(Council)
            .where(Wave.key == wave, Council.name == council)
        )
    assert found is not None, f"no interview for {council} in wave {wave}"
    return found


def test_a_wave_from_a_revised_schedule__keyed__and_compared_with_2011(  # type: ignore[no-untyped-def]
    page, wave_2011: list[dict[str, str]], app_url: str, app_engine: Engine, tmp_path: Path
) -> None:
    for username, role in [("ada", "admin"), ("ilona", "interviewer"), ("audrey", "auditor")]:
        add_account(app_engine, username, role)

    # 1. The administrator creates the wave from a copy of the revised schedule.
    upload = tmp_path / REVISED.name
    shutil.copyfile(REVISED, upload)
    sign_in(page, app_url, "ada")
    page.get_by_role("link", name="Waves").click()
    page.get_by_role("heading", name="Waves").wait_for()
    idle(page)
    form = page.get_by_test_id("stForm").filter(
        has=page.get_by_role("button", name="Create the wave")
    )
    form.get_by_role("textbox", name="Key").fill(WAVE)
    form.get_by_role("textbox", name="Title").fill(TITLE)
    choose(page, "Schedule", "A schedule file of your own")
    expect(page.get_by_role("combobox", name="Schedule", exact=True)).to_have_value(
        re.compile("^A schedule file of your own")
    )
    form.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(upload)
    expect(form.get_by_role("button", name=f"Remove {REVISED.name}")).to_be_visible()  # sent
    shoot(page, "new-wave-01-create")
    form.get_by_role("button", name="Create the wave").click()
    page.get_by_text(f"Wave {WAVE} created with schedule {REVISED.stem}.").wait_for()
    shoot(page, "new-wave-02-created")
    sign_out(page)

    # The wave keeps the schedule as uploaded: the file may change or go from now on.
    with Session(app_engine) as s:
        wave = s.scalar(select(Wave).where(Wave.key == WAVE))
        assert wave is not None and wave.title == TITLE and wave.frame == "councils"
        assert wave.instrument_text == REVISED.read_text(encoding="utf-8")
    shutil.copyfile(REPO / "instrument" / "schedule_2011.yaml", upload)  # the file edited since
    revised = parse_instrument(REVISED.read_text(encoding="utf-8"))
    assert revised.has_variable(ADDED) and not revised.has_variable(DROPPED)

    # 2. Two interviews in the new wave: everything but two questions saved beforehand, those
    #    two keyed in the browser, and each interview completed there.
    for council, keyed in KEYED.items():
        all_but_completion(
            app_engine, INTERVIEWER, interview_in(app_engine, WAVE, council), leaving=set(keyed)
        )
    sign_in(page, app_url, "ilona")
    for council, keyed in KEYED.items():
        interview = interview_in(app_engine, WAVE, council)
        with Session(app_engine) as s:
            code = s.scalar(select(Council.code).where(Council.name == council))
        page.goto(f"{app_url}/interview?wave={WAVE}&council={code}&part=A")
        page.get_by_role("heading", name=re.compile(r"^Part A: ")).wait_for()
        idle(page)
        expect(question(page, ADDED)).to_contain_text("Independent Review of Adult Social Care")
        for variable, value in keyed.items():
            box = question(page, variable)
            box.get_by_role("radio", name=SAID[value], exact=True).click()
            saved = wait_for_saved(app_engine, interview, variable, {"value": value})
            box.get_by_role("button", name=f"History ({saved.version})").wait_for()
            expect(box.get_by_role("radio", name=SAID[value], exact=True)).to_be_checked()
        page.get_by_text("Everything that applies is recorded.").wait_for()
        idle(page)
        shoot(page, f"new-wave-03-interview-{council.lower()}")
        press_complete(page)
    page.get_by_role("radiogroup", name="Part", exact=True).get_by_role(
        "radio", name=re.compile(r"^E · ")
    ).click()
    page.get_by_role("heading", name=re.compile(r"^Part E: ")).wait_for()
    idle(page)
    expect(question(page, "q19_sustainability")).to_be_visible()
    expect(question(page, DROPPED)).to_have_count(0)
    sign_out(page)

    # 3. The auditor: the new wave's own figures, then the comparison with 2011. Two councils
    #    interviewed, neither validated: the published view counts nobody, so the auditor
    #    reads the draft.
    sign_in(page, app_url, "audrey")
    page.get_by_role("heading", name="Dashboard").wait_for()
    choose(page, "Survey wave", WAVE)
    page.get_by_text("Draft view (unvalidated councils too)").click()
    page.get_by_text("Not for publication.").first.wait_for()
    completed = len(KEYED)
    page.get_by_role(
        "heading", name=f"{completed} of 32 councils interviewed ({completed / 32 * 100:.1f}%)"
    ).wait_for()
    said = [keyed[ADDED] for keyed in KEYED.values()]
    assert said.count("yes") == said.count("no") == 1
    page.get_by_text(  # the added question, counted in the new wave
        "One respondent said their council had changed how it involves users and carers in "
        "commissioning since the Independent Review of Adult Social Care and one said it had not."
    ).wait_for()
    choose(page, "Compare with wave", "2011")
    section = page.get_by_test_id("stMain")
    caption = section.get_by_text(re.compile(r"^\d+ questions compared; \d+ not compared"))
    caption.wait_for()
    listed = section.get_by_test_id("stExpander").filter(has_text="Not compared with wave 2011")
    listed.wait_for()  # drawn last
    idle(page)
    shoot(page, "new-wave-04-compared-with-2011")

    # Every question both schedules count in codes is compared, in schedule order, each under
    # its own heading: not the added one, nor the dropped one, nor a figure.
    before = tallied(instrument_named("schedule_2011"))
    counted = tallied(revised)
    shared = [label for vid, (label, coded) in counted.items() if coded and vid in before]
    expect(caption).to_contain_text(f"{len(shared)} questions compared;")
    compared = page.locator(
        "xpath=//h2[normalize-space()='Compared with another wave']/following::h3"
    )
    expect(compared).to_have_text(shared)

    # The question both waves asked, in the report's words, with both waves' counts.
    took_part = [r for r in wave_2011 if r["status"] == "completed"]
    then = sum(r[SHARED] == "yes" for r in took_part)
    now = sum(keyed[SHARED] == "yes" for keyed in KEYED.values())
    assert now == 2 < then
    expect(
        section.get_by_text(
            f"Two councils now answered 'Yes' on users involved in strategy, down from {then} "
            f"in 2011 (bases {completed} and {len(took_part)})."
        )
    ).to_be_visible()

    # What is not compared, and why; and what wave 2011 asked that 2026 dropped.
    listed.get_by_text("Not compared with wave 2011").click()
    expect(listed).to_contain_text(f"{revised.variable(ADDED).label}: not asked in wave 2011")
    expect(listed).to_contain_text(
        f"{revised.variable(PERCENT).label}: a figure, not codes: compare the medians"
    )
    dropped = section.get_by_test_id("stExpander").filter(
        has_text="Asked in wave 2011, not in wave 2026"
    )
    dropped.get_by_text("Asked in wave 2011, not in wave 2026").click()
    expect(dropped).to_contain_text(instrument_named("schedule_2011").variable(DROPPED).label or "")
    expect(caption).to_contain_text("1 asked in wave 2011 only")
    shoot(page, "new-wave-05-not-compared")

    # The wave chosen stays chosen on the next page (a page link carries no query parameters).
    page.get_by_role("link", name="Council summaries").click()
    page.get_by_role("heading", name="Council summaries", level=1).wait_for()
    expect(page.get_by_role("combobox", name="Survey wave", exact=True)).to_have_value(
        re.compile(f"^{WAVE} · ")
    )
