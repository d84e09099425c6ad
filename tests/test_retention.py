"""Retention: past a wave's date, a respondent's name, the call notes, interviewers' notes and
verbatim answers are erased everywhere they were written, the audit log included, while its
chain still verifies and every figure stays the same; a dry run changes nothing; a second run
finds nothing; a value blanked behind the app's back breaks the chain."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from db.audit_chain import ERASED
from db.models import AuditEvent, Base
from services.actor import Actor
from services.answers import save_answer
from services.audit_log import verify_chain
from services.fieldwork import record_contact
from services.interviews import update_details
from services.reports import json_report
from services.retention import RetentionProblem, apply_retention, set_retention
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER, interview_id_of, table_checksums

ADMIN, AUDITOR = Actor("ada", "admin"), Actor("audrey", "auditor")
FIFE = "S12000047"
NAME = "Morag Blackwood"  # what must be gone from everywhere
TODAY = dt.date(2027, 6, 1)


@pytest.fixture
def held(engine: Engine) -> Engine:
    """Fife interviewed: the respondent named, a call noted, verbatim answers (one changed,
    so it has history) and a note, all naming her."""
    fife = interview_id_of(engine, FIFE)
    complete_whole_interview(engine, INTERVIEWER, fife)
    with Session(engine) as s:
        update_details(s, actor=INTERVIEWER, interview_id=fife, respondent_name=NAME)
        record_contact(s, actor=INTERVIEWER, interview_id=fife, outcome="spoke_to_council",
                       attempted_at=dt.datetime(2011, 9, 1, 10, 0),
                       note=f"spoke to PA, call back Tuesday for {NAME}")  # fmt: skip
        for value in (f"{NAME} runs the carers' forum", f"Through {NAME}'s forum"):
            save_answer(s, actor=INTERVIEWER, interview_id=fife, variable_id="q2_explain",
                        value=value, note=f"{NAME} asked to check this")  # fmt: skip
    return engine


def every_text(engine: Engine) -> str:
    """Every value of every table, as one text to search."""
    with engine.connect() as connection:
        rows = [connection.execute(t.select()).all() for t in Base.metadata.sorted_tables]
    return json.dumps([[list(map(str, r)) for r in table] for table in rows])


def test_past_its_date_a_waves_personal_data_is_erased_everywhere_and_the_chain_verifies(
    held: Engine,
) -> None:
    with Session(held) as s:
        set_retention(s, actor=ADMIN, wave_key="2011", retain_until=dt.date(2027, 5, 31))
        before = json.loads(json_report(s, actor=AUDITOR, wave_key="2011",
                                        include_unvalidated=True))  # fmt: skip
        checksums = table_checksums(s)
    assert NAME in every_text(held)

    with Session(held) as s:  # a dry run says what, and changes nothing
        [plan] = apply_retention(s, actor=ADMIN, today=TODAY)
        assert table_checksums(s) == checksums
    # Every verbatim answer of the interview goes (each free-text question was answered, and
    # saved once more for q2), the name once, the call's note, and the note on q2 with its
    # history; the audit log's copies of them all.
    names, calls, notes, verbatim, logged = plan.lines()
    assert (names, calls, notes) == ("1 respondents' names", "1 contact notes",
                                     "4 interviewers' notes")  # fmt: skip
    assert verbatim.endswith(" verbatim answers") and int(verbatim.split()[0]) > 30
    assert logged.endswith(" values in the audit log (its rows remain)")

    with Session(held) as s:
        apply_retention(s, actor=ADMIN, today=TODAY, dry_run=False)
    assert NAME not in every_text(held)
    with Session(held) as s:
        after = json.loads(json_report(s, actor=AUDITOR, wave_key="2011",
                                       include_unvalidated=True))  # fmt: skip
        assert after["variables"] == before["variables"]  # closed answers and counts remain
        chain = verify_chain(s, actor=ADMIN)
        assert chain.intact, chain.sentence()
        [erasure] = s.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase"))
        assert erasure.target == "wave 2011" and "retention" in (erasure.reason or "")
        [again] = apply_retention(s, actor=ADMIN, today=TODAY, dry_run=False)
        assert again.empty
        assert len(s.scalars(select(AuditEvent).where(
            AuditEvent.action == "privacy.erase")).all()) == 1  # fmt: skip


def test_a_value_blanked_without_an_erasure_record_breaks_the_chain(held: Engine) -> None:
    with held.begin() as connection:  # allowed by the database's trigger, but not recorded
        connection.execute(text(f"UPDATE audit_event SET reason = '{ERASED}' "
                                "WHERE action = 'fieldwork.contact'"))  # fmt: skip
    with Session(held) as s:
        chain = verify_chain(s, actor=ADMIN)
    assert not chain.intact and chain.broken is not None
    assert chain.broken.action == "fieldwork.contact"


def test_any_other_rewrite_of_the_log_is_still_refused(held: Engine) -> None:
    with pytest.raises(Exception, match="append-only"), held.begin() as connection:
        connection.execute(text("UPDATE audit_event SET reason = 'rewritten' "
                                "WHERE action = 'fieldwork.contact'"))  # fmt: skip


def test_a_retention_date_before_fieldwork_ends_is_refused(engine: Engine) -> None:
    from services.waves import set_fieldwork_dates

    with Session(engine) as s:
        set_fieldwork_dates(s, actor=ADMIN, wave_key="2011", start=dt.date(2011, 1, 1),
                            end=dt.date(2011, 6, 30))  # fmt: skip
        with pytest.raises(RetentionProblem, match="until fieldwork ends"):
            set_retention(s, actor=ADMIN, wave_key="2011", retain_until=dt.date(2011, 5, 1))


def test_accounts_unused_for_a_year_are_disabled_but_never_the_last_administrator(
    engine: Engine, cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.accounts import add_account
    from survey_cli import main

    with Session(engine) as s:
        for username, role in (("ada", "admin"), ("ilona", "interviewer"), ("una", "auditor")):
            add_account(s, actor=ADMIN, username=username, role=role,
                        password="a long test password")  # fmt: skip
        s.execute(text("UPDATE account SET last_sign_in = :at WHERE username = 'una'"),
                  {"at": dt.datetime(2027, 5, 1)})  # fmt: skip
        s.commit()
    later = ["privacy", "apply-retention", "--today", "2028-01-01"]

    assert main(later) == 0
    said = capsys.readouterr().out
    assert "Would disable 2 account(s) not signed in with for 365 days: ada, ilona." in said
    assert main([*later, "--apply"]) == 0
    said = capsys.readouterr().out
    assert "Disabled 1 account(s) not signed in with for 365 days: ilona." in said
    assert "Kept ada (ada is the last active administrator and cannot be disabled)." in said
    with Session(engine) as s:
        active = dict(s.execute(text("SELECT username, active FROM account")).all())
    assert active == {"ada": True, "ilona": False, "una": True}
