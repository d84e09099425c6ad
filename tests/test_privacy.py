"""The data inventory (issue 17, item 1): every column of the schema classified, each wave's
free-text questions flagged, who sees what from the permission rules, for administrators only,
from the command line and on the Personal data page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import survey_cli
from app_pages.navigation import ROLE_PAGES
from db.models import Base, Interview
from instrument.loader import instrument_named
from instrument.vocabulary import Role
from services.actor import Actor
from services.permissions import PermissionDenied
from services.privacy import (
    FIELDS,
    MAY_BE_PERSONAL,
    NOT_PERSONAL,
    PERSONAL,
    data_inventory,
)
from tests.signing import app_as, read

ADMIN = Actor("ada", "admin")
SCHEDULE = instrument_named("schedule_2011")


def test_every_column_of_the_schema_is_classified_once() -> None:
    """A new column fails here until someone says whether it holds personal data."""
    columns = {(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns}
    personal = [(f.table, f.column) for f in FIELDS]
    assert len(personal) == len(set(personal))
    assert set(personal).isdisjoint(NOT_PERSONAL)
    assert sorted(columns - set(personal) - NOT_PERSONAL) == []
    assert sorted((set(personal) | NOT_PERSONAL) - columns) == []  # nothing stale
    assert {f.kind for f in FIELDS} == {PERSONAL, MAY_BE_PERSONAL}
    for where in ("interview.respondent_name", "contact_attempt.note", "answer.note",
                  "account.display_name", "audit_event.username"):  # fmt: skip
        assert where in {f.where for f in FIELDS}


def test_each_waves_free_text_questions_are_flagged__for_administrators_only(
    engine: Engine,
) -> None:
    with Session(engine) as s:
        rows = data_inventory(s, actor=ADMIN)
        for role in ("auditor", "interviewer", "analyst"):
            with pytest.raises(PermissionDenied):
                data_inventory(s, actor=Actor(role, role))  # type: ignore[arg-type]
    texts = [r for r in rows if r.where.startswith("answer.value: ")]
    assert len(texts) == len(SCHEDULE.verbatim_ids)
    assert all(r.kind == MAY_BE_PERSONAL and r.where.endswith(", wave 2011") for r in texts)
    assert any("(q15_skills_capacity)" in r.where for r in texts)
    name = next(r for r in rows if r.where == "interview.respondent_name")
    assert name.kind == PERSONAL and "a council its own submission" in name.seen_by
    notes = next(r for r in rows if r.where == "answer.note")
    assert "council" not in notes.seen_by  # councils never get interviewers' notes back


def test_the_inventory_from_the_command_line__listed_or_as_csv(
    engine: Engine, cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert survey_cli.main(["privacy", "inventory"]) == 0
    listed = capsys.readouterr().out
    assert "interview.respondent_name [Personal data]" in listed
    assert "  How long: Kept with the wave for the life of the database" in listed
    out = tmp_path / "inventory.csv"
    assert survey_cli.main(["privacy", "inventory", "--out", str(out)]) == 0
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert table[0]["Where"] == "interview.respondent_name"
    assert {r["Personal data?"] for r in table} == {PERSONAL, MAY_BE_PERSONAL}
    assert survey_cli.main(["--as", "nobody", "privacy", "inventory"]) == 2


@pytest.mark.sqlite_only
def test_the_personal_data_page_for_administrators(app_db: Engine) -> None:
    assert "privacy" in ROLE_PAGES[Role.ADMIN]
    assert all("privacy" not in ROLE_PAGES[r] for r in Role if r != Role.ADMIN)
    at = app_as("admin")
    at.run()
    at.switch_page("app_pages/privacy.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Personal data"]
    table = at.table[0].value
    assert table.index[0] == "interview.respondent_name"
    everything = len(table)
    at.segmented_control(key="privacy_kind").set_value(PERSONAL).run()
    assert set(at.table[0].value["Personal data?"]) == {PERSONAL}
    assert len(at.table[0].value) < everything
    assert read(at.caption[0]).startswith(f"{everything} places: ")
    assert [b.label for b in at.get("download_button")] == ["The inventory (CSV)"]


def test_a_persons_data_found_handed_over_and_erased_from_the_page(app_db: Engine) -> None:
    from services.interviews import update_details
    from tests.conftest import INTERVIEWER, interview_id_of

    with Session(app_db) as s:
        update_details(s, actor=INTERVIEWER, interview_id=interview_id_of(app_db, "S12000047"),
                       respondent_name="Morag Blackwood")  # fmt: skip
    at = app_as("admin")
    at.run()
    at.switch_page("app_pages/privacy.py").run()
    finder = next(f for f in at.get("form") if f.proto.form.form_id == "privacy_find")
    finder.text_input[0].input("Morag Blackwood")
    finder.button[0].click()
    at.run()
    assert not at.exception, at.exception
    shown = at.dataframe[0].value
    assert "interview.respondent_name" in set(shown["Where"])
    assert set(shown["Value"]) >= {"Morag Blackwood"}
    assert [b.label for b in at.get("download_button")][1:] == [
        "All of it (JSON)", "All of it, to read (Markdown)"]  # fmt: skip

    eraser = next(f for f in at.get("form") if f.proto.form.form_id == "privacy_erase")
    eraser.text_input[0].input("asked in writing")
    eraser.button[0].click()
    at.run()
    assert [read(e) for e in at.error] == [
        "Check each value is this person's, then tick the box: nothing was changed."]
    eraser = next(f for f in at.get("form") if f.proto.form.form_id == "privacy_erase")
    eraser.checkbox[0].check()
    eraser.button[0].click()
    at.run()
    assert not at.exception, at.exception
    assert read(at.success[0]).endswith("were erased; the audit log still verifies.")
    with Session(app_db) as s:
        names = s.scalars(select(Interview.respondent_name).where(
            Interview.respondent_name.is_not(None))).all()  # fmt: skip
    assert names == ["[erased]"]
