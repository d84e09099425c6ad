"""A person's request: everything held about a named respondent or an account holder is found
across answers, notes, calls, accounts and the audit log, handed over as JSON and a readable
document, and erased or pseudonymised, with the audit log still verifying and no figure moved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.audit_chain import ERASED
from db.models import Account, AuditEvent
from services.accounts import add_account
from services.actor import Actor
from services.audit_log import verify_chain
from services.reports import json_report
from services.subject import SubjectRefused, erase_person, find_person, pseudonym_for
from tests.conftest import interview_id_of, table_checksums
from tests.test_retention import NAME, every_text, held

ADMIN, AUDITOR = Actor("ada", "admin"), Actor("audrey", "auditor")
__all__ = ["held"]  # the fixture: Fife's respondent named in every place a name can go


def report(engine: Engine) -> dict[str, object]:
    with Session(engine) as s:
        return json.loads(json_report(s, actor=AUDITOR, wave_key="2011",  # type: ignore[no-any-return]
                                      include_unvalidated=True))  # fmt: skip


def test_a_respondent_is_found_everywhere_and_handed_it_all(held: Engine) -> None:
    with Session(held) as s:
        found = find_person(s, actor=ADMIN, person="morag blackwood")  # any case
    places = {h.field.where for h in found.found}
    assert {"interview.respondent_name", "contact_attempt.note", "answer.value", "answer.note",
            "answer_history.new_value", "audit_event.new_value",
            "audit_event.reason"} <= places  # fmt: skip
    handed = json.loads(found.json_text())
    assert handed["person"] == "morag blackwood" and len(handed["held"]) == len(found.found)
    assert all(NAME.lower() in h["value"].lower() for h in handed["held"])
    assert {"where", "what", "why", "seen_by", "kept", "row", "value"} <= set(handed["held"][0])
    document = found.document()
    assert document.startswith("# What the survey holds about morag blackwood")
    assert "## The name of the person interviewed (interview.respondent_name)" in document


def test_erasing_a_respondent_leaves_no_trace_and_no_figure_moves(held: Engine) -> None:
    before = report(held)
    with Session(held) as s:
        erase_person(s, actor=ADMIN, person=NAME, reason="erasure requested on 2 March")
    assert NAME not in every_text(held)
    assert report(held)["variables"] == before["variables"]
    with Session(held) as s:
        assert verify_chain(s, actor=ADMIN).intact
        assert find_person(s, actor=ADMIN, person=NAME).found == ()
        note = s.scalars(select(AuditEvent.reason).where(
            AuditEvent.action == "fieldwork.contact")).one()  # fmt: skip
    assert note == ERASED  # the audit log allows only whole values to go


def test_an_account_holder_is_pseudonymised_alike_everywhere_and_can_no_longer_sign_in(
    held: Engine,
) -> None:
    with Session(held) as s:
        add_account(s, actor=ADMIN, username="ilona", role="interviewer",
                    password="a long test password", display_name="Ilona Kerr")  # fmt: skip
        found = find_person(s, actor=ADMIN, person="Ilona Kerr")
        assert found.searched_for == ("Ilona Kerr", "ilona")
        erase_person(s, actor=ADMIN, person="Ilona Kerr", reason="left the audit body",
                     pseudonymise=True)  # fmt: skip
    stand_in = pseudonym_for("Ilona Kerr")
    text = every_text(held)
    assert "Ilona Kerr" not in text and '"ilona"' not in text and stand_in in text
    with Session(held) as s:
        account = s.scalars(select(Account).where(Account.username == stand_in)).one()
        assert not account.active and account.display_name == stand_in
        assert verify_chain(s, actor=ADMIN).intact
        disabled = s.scalars(select(AuditEvent.target).where(
            AuditEvent.action == "account.disable")).one()  # fmt: skip
    assert stand_in in disabled  # logged per account, as any disabling, naming the stand-in


def test_the_last_active_administrator_is_not_erased_and_nothing_changes(held: Engine) -> None:
    with Session(held) as s:
        add_account(s, actor=ADMIN, username="ailsa", role="admin",
                    password="a long test password", display_name="Ailsa Grant")  # fmt: skip
        before = table_checksums(s)
        s.rollback()
        with pytest.raises(SubjectRefused, match="account is the last active administrator's"):
            erase_person(s, actor=ADMIN, person="Ailsa Grant", reason="left the audit body")
        assert table_checksums(s) == before


def test_a_reason_naming_the_person_is_refused_and_nothing_changes(held: Engine) -> None:
    with Session(held) as s:
        before = table_checksums(s)
        with pytest.raises(SubjectRefused, match="without naming the person"):
            erase_person(s, actor=ADMIN, person=NAME, reason=f"{NAME} asked")
        s.rollback()
        assert table_checksums(s) == before


def test_only_administrators_may_search_for_a_person(held: Engine) -> None:
    from services.permissions import PermissionDenied

    with Session(held) as s, pytest.raises(PermissionDenied):
        find_person(s, actor=AUDITOR, person=NAME)


def test_the_command_line_hands_over_both_files_and_erases_only_with_apply(
    held: Engine, cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from survey_cli import main

    out_json, out_doc = tmp_path / "held.json", tmp_path / "held.md"
    assert main(["privacy", "find", NAME, "--json", str(out_json),
                 "--document", str(out_doc)]) == 0  # fmt: skip
    assert json.loads(out_json.read_text())["person"] == NAME
    assert out_doc.read_text().startswith(f"# What the survey holds about {NAME}")
    assert main(["privacy", "erase", NAME]) == 0
    assert "A dry run: nothing was changed" in capsys.readouterr().out
    assert NAME in every_text(held)
    assert main(["privacy", "erase", NAME, "--reason", "asked in writing", "--apply"]) == 0
    assert NAME not in every_text(held)
    assert interview_id_of(held, "S12000047")  # the interview itself remains
