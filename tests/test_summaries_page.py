"""The Council summaries page through AppTest: validated councils only unless the draft view
is on, verbatim answers only for auditors granted them, and a CSV of what is shown."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from app_pages.common import DRAFTS_KEY
from services.answers import save_answer
from services.interviews import update_summary
from services.review import validate_submission
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER, interview_id_of
from tests.signing import Download, account, app_as, downloads

pytestmark = pytest.mark.sqlite_only

FIFE, ANGUS = "S12000047", "S12000041"
PAYLOAD = "<img src=x onerror=alert(1)> [click](javascript:alert(1))"
VERBATIM = "Verbatim answer to q2_explain, with a comma and a £ sign"
WITHHELD = (
    "Verbatim answers and interviewers' notes are not shown to auditors unless an "
    "administrator grants it."
)
DRAFT = "Draft view: figures count councils that have not yet validated their submission"


def completed(engine: Engine, code: str, summary: str) -> int:
    found = interview_id_of(engine, code)
    complete_whole_interview(engine, INTERVIEWER, found)
    with Session(engine) as s:
        update_summary(s, actor=INTERVIEWER, interview_id=found, summary=summary)
    return found


@pytest.fixture
def wave(app_db: Engine) -> Engine:
    """Fife completed and validated by the council; Angus completed, not yet validated."""
    fife = completed(app_db, FIFE, f"Fife involves carers early. {PAYLOAD}")
    with Session(app_db) as s:
        validate_submission(s, actor=account(app_db, "council", council=FIFE), interview_id=fife)
    completed(app_db, ANGUS, "Angus is reorganising.")
    return app_db


def open_summaries(**kwargs: object) -> AppTest:
    at = app_as("auditor", timeout=60, **kwargs)
    at.run()
    at.switch_page("app_pages/summaries.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Council summaries"]
    return at


def councils_listed(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["Council"])


def draft_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith(DRAFT)]


def answers_shown(at: AppTest) -> list[str]:
    """Every answer in the chosen council's part tables."""
    return [a for table in at.dataframe[1:] for a in table.value["Answer"]]


def csv_of(at: AppTest, files: dict[str, Download]) -> pd.DataFrame:
    (button,) = at.get("download_button")
    data = files[button.proto.url].data
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)


def test_no_council_validated__says_so_and_shows_no_table(app_db: Engine) -> None:
    completed(app_db, ANGUS, "Angus is reorganising.")
    at = open_summaries()
    assert [c.value for c in at.main.caption] == [
        "0 councils that have validated their submission."
    ]
    assert [i.value for i in at.info] == [
        "No council has validated its submission yet. Councils appear here once they have; "
        "switch on the draft view in the sidebar to read unvalidated ones."
    ]
    assert not at.dataframe and not at.get("download_button")
    assert not draft_warnings(at)


def test_auditor_sees_only_validated_councils__verbatim_withheld(
    wave: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = downloads(monkeypatch)
    at = open_summaries()
    assert at.main.caption[0].value == "1 council that has validated its submission."
    overview = at.dataframe[0].value
    assert councils_listed(at) == ["Fife"]
    assert list(overview["Council review"]) == ["Validated by council"]
    assert list(overview["Summary"]) == [f"Fife involves carers early. {PAYLOAD}"]
    assert not draft_warnings(at)

    assert [s.value for s in at.header] == ["Fife"]
    assert WITHHELD in [c.value for c in at.main.caption]
    assert f"Fife involves carers early. {PAYLOAD}" in [t.value for t in at.text]
    shown = answers_shown(at)
    assert "Older people" in shown and "40% in-house" in shown
    assert not any(a.startswith("Verbatim answer") for a in shown)
    for element in (*at.markdown, *at.main.caption):
        assert "<img" not in element.value and "](javascript" not in element.value

    table = csv_of(at, files)
    assert files[at.get("download_button")[0].proto.url].file_name == "council-answers-2011.csv"
    assert list(table["council_name"]) == ["Fife"]
    assert list(table["council_review"]) == ["Validated by council"]
    assert "q1_most_involved" in table.columns and "q2_explain" not in table.columns
    assert not table.apply(lambda col: col.str.startswith("Verbatim", na=False)).any().any()


def test_auditor_granted_verbatim_reads_it(wave: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    files = downloads(monkeypatch)
    at = open_summaries(username="audrey", verbatim=True)
    assert WITHHELD not in [c.value for c in at.main.caption]
    assert VERBATIM in answers_shown(at)
    assert list(csv_of(at, files)["q2_explain"]) == [VERBATIM]


def test_draft_view__shows_unvalidated_councils_under_a_warning(
    wave: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = downloads(monkeypatch)
    at = open_summaries()
    at.sidebar.toggle(key=DRAFTS_KEY).set_value(True).run()
    assert not at.exception, at.exception
    assert len(draft_warnings(at)) == 1
    assert at.main.caption[0].value == "2 completed interviews."
    assert councils_listed(at) == ["Angus", "Fife"]
    assert list(at.dataframe[0].value["Council review"]) == [
        "Awaiting council review",
        "Validated by council",
    ]
    (button,) = at.get("download_button")
    assert files[button.proto.url].file_name == "council-answers-2011-DRAFT.csv"
    assert list(csv_of(at, files)["council_name"]) == ["Angus", "Fife"]

    at.selectbox(key="summary_council").select(ANGUS).run()
    assert [s.value for s in at.header] == ["Angus"]
    assert "Angus is reorganising." in [t.value for t in at.text]

    at.switch_page("app_pages/dashboard.py").run()  # the warning follows to every page
    assert [t.value for t in at.title] == ["Dashboard"]
    assert len(draft_warnings(at)) == 1

    at.sidebar.toggle(key=DRAFTS_KEY).set_value(False).run()
    assert not draft_warnings(at)


def test_an_answer_routing_now_skips_is_not_shown_as_the_councils_answer(
    app_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fife = completed(app_db, FIFE, "Fife uses its own guidance.")
    with Session(app_db) as s:  # Q11 corrected to No: Q11a (Very useful) no longer applies
        save_answer(
            s, actor=INTERVIEWER, interview_id=fife, variable_id="q11_swia_used", value="no"
        )
    with Session(app_db) as s:
        validate_submission(s, actor=account(app_db, "council", council=FIFE), interview_id=fife)
    files = downloads(monkeypatch)
    at = open_summaries()
    part_c = next(
        t.value for t in at.dataframe[1:] if "Q11 Used SWIA guide" in set(t.value["Question"])
    )
    assert "Q11a SWIA guidance" not in set(part_c["Question"])
    skipped = csv_of(at, files).get("q11a_swia_usefulness")  # as the export: not_applicable
    assert skipped is None or list(skipped.fillna("")) in (["not_applicable"], [""])
