"""The administrator's Audit log page through AppTest: the newest rows first, a filter by kind,
and a download that is the whole log."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import AuditEvent
from services.accounts import add_account, disable_account
from services.actor import Actor
from services.audit import record
from services.audit_log import CSV_COLUMNS, export_csv
from tests.conftest import INTERVIEWER
from tests.signing import Download, app_as, downloads
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


def whole_log(at: AppTest, files: dict[str, Download]) -> Download:
    (button,) = at.get("download_button")
    assert button.label == "Download the whole log (CSV)"
    return files[button.proto.url]


def test_lists_the_newest_rows_first(history: Engine) -> None:
    at = open_audit_log()
    assert shown(at) == logged(history)
    assert shown(at)[:3] == [
        ("admin", "signin", "account admin"),
        ("admin", "account.disable", "account ilona"),
        ("admin", "account.add", "account ilona"),
    ]
    table = at.dataframe[0].value
    assert table["Reason"][1] == '=HYPERLINK("x")'
    assert at.main.caption[0].value.startswith(f"The newest {len(logged(history))} row(s).")


def test_the_filter_shows_one_kind_of_change(history: Engine) -> None:
    at = open_audit_log()
    at.selectbox(key="audit_kind").select("account").run()
    assert not at.exception, at.exception
    assert shown(at) == [
        ("admin", "account.disable", "account ilona"),
        ("admin", "account.add", "account ilona"),
    ]
    at.selectbox(key="audit_kind").select("sign").run()
    assert [what for _, what, _ in shown(at)] == ["signin"]


def test_the_download_is_the_whole_log_as_csv(
    history: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = downloads(monkeypatch)
    at = open_audit_log()
    at.selectbox(key="audit_kind").select("account").run()  # the filter narrows the screen only
    download = whole_log(at, files)
    assert download.file_name == "audit-log.csv"
    text = download.data.decode("utf-8-sig")
    with Session(history) as s:
        assert text == export_csv(s, actor=ADMIN)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r[2], r[4], r[5]) for r in rows[1:]] == list(reversed(logged(history)))
    disabled = next(r for r in rows if r[4] == "account.disable")
    assert disabled[8] == '\'=HYPERLINK("x")'  # a spreadsheet shows it, never runs it


def test_shows_the_newest_thousand_and_downloads_all(
    app_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(app_db) as s:
        for n in range(1005):
            record(s, actor=INTERVIEWER, action="answer.value", target=f"2011 S12000047 Fife q{n}",
                   new=str(n))  # fmt: skip
        s.commit()
        total = s.scalar(select(func.count()).select_from(AuditEvent))
    files = downloads(monkeypatch)
    at = open_audit_log()
    assert len(at.dataframe[0].value) == 1000
    assert at.main.caption[0].value.startswith("The newest 1000 row(s).")
    assert shown(at)[0] == ("admin", "signin", "account admin")
    assert shown(at)[-1][2] == "2011 S12000047 Fife q6"  # rows q0 to q5 are older
    text = whole_log(at, files).data.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + total + 1  # header; the sign-in


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
