"""The administrator's Audit log page through AppTest: the newest rows first and in words,
filters by kind, action, person, role, council, dates and text, a page at a time, and the view
or the whole log as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import AuditEvent
from services.accounts import add_account, disable_account
from services.actor import Actor
from services.audit import record
from services.audit_log import CSV_COLUMNS, EVENTS, AuditFilter, export_csv
from tests.conftest import INTERVIEWER
from tests.signing import app_as
from tests.test_audit_chain import rewrite_behind_the_app

pytestmark = pytest.mark.sqlite_only

ADMIN = Actor("admin", "admin")
PASSWORD = "correct horse battery"


@pytest.fixture
def history(app_db: Engine) -> Engine:
    """A few account changes, then the administrator's own sign-in (app_as) comes last."""
    with Session(app_db) as s:
        add_account(s, actor=ADMIN, username="ilona", role="interviewer", password=PASSWORD)
    with Session(app_db) as s:
        disable_account(s, actor=ADMIN, username="ilona", reason='=HYPERLINK("x")')
    return app_db


def open_audit_log() -> AppTest:
    at = app_as("admin")
    at.run()
    at.switch_page("app_pages/audit_log.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Audit log"]
    return at


def logged(engine: Engine) -> list[tuple[str, str, str]]:
    """Every row, newest first, as (who, what, target)."""
    with Session(engine) as s:
        rows = s.execute(
            select(AuditEvent.username, AuditEvent.action, AuditEvent.target).order_by(
                AuditEvent.id.desc()
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def shown(at: AppTest) -> list[tuple[str, str, str]]:
    table = at.dataframe[0].value
    return list(zip(table["Who"], table["What"], table["Target"], strict=True))


def in_words(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [(who, EVENTS.get(what, what), target) for who, what, target in rows]


def test_lists_the_newest_rows_first__in_words(history: Engine) -> None:
    at = open_audit_log()
    assert shown(at) == in_words(logged(history))
    assert shown(at)[:3] == [
        ("admin", "Signed in", "account admin"),
        ("admin", "Account disabled", "account ilona"),
        ("admin", "Account added", "account ilona"),
    ]
    table = at.dataframe[0].value
    assert table["Reason"][1] == '=HYPERLINK("x")'
    assert at.main.caption[0].value.startswith(
        f"{len(logged(history))} rows found, newest first; page 1 of 1."
    )


def test_filters_by_kind__action__person__role__council__dates_and_text(history: Engine) -> None:
    with Session(history) as s:
        record(s, actor=INTERVIEWER, action="answer.value", target="2011 S12000047 Fife q2",
               old="no", new="yes", reason="The council rang back")  # fmt: skip
        s.commit()
    at = open_audit_log()
    at.selectbox(key="audit_kind").select("account").run()
    assert not at.exception, at.exception
    assert [w for _, w, _ in shown(at)] == ["Account disabled", "Account added"]
    at.selectbox(key="audit_action").select("account.add").run()
    assert [w for _, w, _ in shown(at)] == ["Account added"]
    at.selectbox(key="audit_kind").select("").run()
    at.selectbox(key="audit_action").select("").run()
    at.selectbox(key="audit_person").select(INTERVIEWER.username).run()
    assert shown(at) == [(INTERVIEWER.username, "Answer changed", "2011 S12000047 Fife q2")]
    at.selectbox(key="audit_person").select("").run()
    at.selectbox(key="audit_role").select("admin").run()
    assert {who for who, _, _ in shown(at)} == {"admin"}
    at.selectbox(key="audit_role").select("").run()
    at.selectbox(key="audit_council").select("S12000047").run()
    assert [w for _, w, _ in shown(at)] == ["Answer changed"]
    at.selectbox(key="audit_council").select("").run()
    at.text_input(key="audit_text").input("rang back").run()
    assert [w for _, w, _ in shown(at)] == ["Answer changed"]
    at.text_input(key="audit_text").input("").run()
    today = dt.datetime.now(dt.UTC).date()
    at.date_input(key="audit_days").set_value((today - dt.timedelta(days=3),
                                               today - dt.timedelta(days=1))).run()  # fmt: skip
    assert not at.dataframe[0].value.shape[0]
    assert at.main.caption[0].value.startswith("0 rows found")
    at.date_input(key="audit_days").set_value((today, today)).run()
    assert len(shown(at)) == len(logged(history))


def test_a_page_at_a_time__older_and_newer(app_db: Engine) -> None:
    with Session(app_db) as s:
        for n in range(205):
            record(s, actor=INTERVIEWER, action="answer.value", target=f"2011 S12000047 Fife q{n}",
                   new=str(n))  # fmt: skip
        s.commit()
        total = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
    at = open_audit_log()
    pages = -(-(total + 1) // 100)  # and the administrator's sign-in
    assert len(at.dataframe[0].value) == 100
    assert at.main.caption[0].value.startswith(f"{total + 1} rows found, newest first; page 1 "
                                               f"of {pages}.")  # fmt: skip
    assert shown(at)[0] == ("admin", "Signed in", "account admin")
    at.button(key="audit_older").click().run()
    assert shown(at)[0][2] == "2011 S12000047 Fife q105"
    for _ in range(pages - 2):
        at.button(key="audit_older").click().run()
    assert f"page {pages} of {pages}" in at.main.caption[0].value
    assert at.button(key="audit_older").disabled
    assert shown(at)[-1][2] == "2011 S12000047 Fife q0"  # the oldest row
    at.button(key="audit_newer").click().run()
    assert f"page {pages - 1} of {pages}" in at.main.caption[0].value
    at.selectbox(key="audit_kind").select("answer").run()  # a new filter starts at page 1
    assert "page 1 of 3" in at.main.caption[0].value


def test_the_view_and_the_whole_log_download_as_csv__words_beside_codes(history: Engine) -> None:
    at = open_audit_log()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download these rows (CSV)", "Download the whole log (CSV)"]
    with Session(history) as s:
        whole = export_csv(s, actor=ADMIN)
        accounts = export_csv(s, actor=ADMIN, where=AuditFilter(what="account"))
    rows = list(csv.reader(io.StringIO(whole)))
    assert tuple(rows[0]) == CSV_COLUMNS and rows[0][-1] == "what"
    assert [(r[2], r[4], r[5]) for r in rows[1:]] == list(reversed(logged(history)))
    disabled = next(r for r in rows if r[4] == "account.disable")
    assert disabled[8] == '\'=HYPERLINK("x")'  # a spreadsheet shows it, never runs it
    assert disabled[9] == "Account disabled"
    actions = [r[4] for r in list(csv.reader(io.StringIO(accounts)))[1:]]
    assert actions == ["account.add", "account.disable"]


def test_says_in_one_sentence_that_the_chain_verifies(history: Engine) -> None:
    at = open_audit_log()
    assert not at.error
    (sentence,) = at.success
    rows = len(logged(history))
    assert sentence.value == rf"Audit log verified: {rows} rows, chain intact\."


def test_names_the_first_row_that_does_not_verify(history: Engine) -> None:
    rewrite_behind_the_app(history, "UPDATE audit_event SET reason = 'moved on' WHERE id = 2")
    at = open_audit_log()
    assert not at.success
    (sentence,) = at.error
    assert sentence.value.startswith(r"Audit log chain broken at row 2 \(20")
    assert sentence.value.endswith(r"account\.disable\): its contents are not what was written\.")


@pytest.mark.parametrize("role", ["interviewer", "auditor", "council"])
def test_only_an_administrator_reaches_the_audit_log(app_db: Engine, role: str) -> None:
    at = app_as(role, council="S12000047" if role == "council" else None)
    at.run()
    assert not at.exception, at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/audit_log.py")
