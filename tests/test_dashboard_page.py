"""The Dashboard page through AppTest: response, a chart per closed variable, filter, freshness."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from app_pages.common import DRAFTS_KEY
from instrument import load_instrument
from services.actor import Actor
from services.answers import save_answer
from services.review import validated_elsewhere
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER, interview_id_of
from tests.signing import app_as

pytestmark = pytest.mark.sqlite_only

SCHEDULE = load_instrument()
ABERDEEN, ABERDEENSHIRE, ANGUS, ARGYLL = "S12000033", "S12000034", "S12000041", "S12000035"
Q2 = "Q2 Users involved in strategy"


def answer(engine: Engine, code: str, variable_id: str, value: str) -> None:
    with Session(engine) as s:
        save_answer(
            s,
            actor=INTERVIEWER,
            interview_id=interview_id_of(engine, code),
            variable_id=variable_id,
            value=value,
        )


@pytest.fixture
def wave(app_db: Engine) -> Engine:
    """Three completed interviews by three roles with different Q2 answers; one still open."""
    for code, role in (
        (ABERDEEN, "director_of_social_work"),
        (ABERDEENSHIRE, "head_of_service"),
        (ANGUS, "other"),
    ):
        complete_whole_interview(app_db, INTERVIEWER, interview_id_of(app_db, code), role=role)
    answer(app_db, ABERDEENSHIRE, "q2_strategy_involvement", "no")
    answer(app_db, ANGUS, "q2_strategy_involvement", "dont_know")
    answer(app_db, ARGYLL, "q2_strategy_involvement", "yes")  # in progress: not in the tallies
    return app_db


def open_dashboard(*, draft: bool = True) -> AppTest:
    """The Dashboard as an auditor sees it; in the draft view unless asked otherwise, since
    the councils here have not validated (the published view is tested on its own below)."""
    at = app_as(timeout=60)
    at.session_state[DRAFTS_KEY] = draft
    at.run()
    at.switch_page("app_pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Dashboard"
    return at


def in_order(node):  # type: ignore[no-untyped-def]
    """Every element under `node`, in page order."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from in_order(child)


def table_under(at: AppTest, heading: str) -> pd.DataFrame:
    """The table beside the chart headed `heading`: the first after it on the page (an
    exhibit whose figures are withheld has none, so count nothing by position)."""
    nodes = list(in_order(at.main))
    start = next(i for i, n in enumerate(nodes)
                 if n.type == "subheader" and n.value == heading)  # fmt: skip
    for node in nodes[start + 1 :]:
        if node.type == "subheader":
            raise AssertionError(f"no table under {heading}: {withheld_under(at, heading)}")
        if node.type == "dataframe":
            return node.value
    raise AssertionError(f"no table under {heading}")


def withheld_under(at: AppTest, heading: str) -> str | None:
    """What an exhibit says instead of figures, if they are withheld."""
    nodes = list(in_order(at.main))
    start = next(i for i, n in enumerate(nodes)
                 if n.type == "subheader" and n.value == heading)  # fmt: skip
    for node in nodes[start + 1 :]:
        if node.type == "subheader":
            return None
        if type(node).__name__ == "Info":
            return str(node.value)
    return None


def counts(table: pd.DataFrame) -> dict[str, int]:
    return dict(zip(table["Answer"], table["n"], strict=True))


def test_headline_counts_and_open_interviews(wave: Engine) -> None:
    at = open_dashboard()
    assert at.subheader[0].value == "3 of 32 councils interviewed (9.4%)"
    assert any(
        "**1 interview still open.** The tallies below count completed interviews only." in m.value
        for m in at.markdown
    )
    response = at.dataframe[0].value
    assert dict(zip(response["Status"], response["Councils"], strict=True)) == {
        "Completed": 3, "In progress": 1, "Scheduled": 0, "Not contacted": 28, "Declined": 0,
    }  # fmt: skip
    assert any(c.value.startswith("Showing 3 of the 3 completed interviews") for c in at.caption)


def test_every_closed_variable_has_a_chart_a_table_and_downloads(wave: Engine) -> None:
    at = open_dashboard()
    headings = [s.value for s in at.subheader][1:]
    labels = [v.label for v in (*SCHEDULE.record_variables, *SCHEDULE.closed_questions)]
    labels.append("Balance of home care provision")  # Q24's bands
    missing = [label for label in labels if not any(label in h for h in headings)]
    assert not missing, missing
    charts = at.get("vega_lite_chart")
    assert len(charts) == len(at.dataframe) - 1 == len(headings) + 1  # response chart; crosstab
    assert [h.value for h in at.header] == [
        "Response",
        *(f"Part {p.id}: {p.title}" for p in SCHEDULE.parts),
        "Cross-tabulation",
        "Compared with another wave",
    ]
    menus = [b for b in at.get("popover") if b.proto.popover.label == "Download"]
    assert len(menus) == len(charts)
    extra = ("dashboard:supplement", "dashboard:json", "dashboard:everything",
             "dashboard:crosstab:csv",
             *(f"analysis_files:{f}" for f in ("sav", "dta", "datapackage", "xlsform",
                                               "codebook")))  # fmt: skip
    assert not [d for d in at.get("download_button") if d.key not in extra]  # menus closed
    at.session_state["dashboard:q2_strategy_involvement:downloads"] = True
    at.run()
    opened = [d for d in at.get("download_button") if d.key not in extra]
    assert [d.label for d in opened] == ["CSV table", "PNG image", "SVG image"]
    assert [d.key for d in opened] == [
        f"dashboard:q2_strategy_involvement:{kind}" for kind in ("csv", "png", "svg")
    ]
    assert "Draft report supplement (Word)" in [d.label for d in at.get("download_button")]
    assert "National results (JSON)" in [d.label for d in at.get("download_button")]
    assert counts(table_under(at, Q2)) == {"Yes": 1, "No": 1, "Did not answer": 0, "Don't know": 1}
    assert list(table_under(at, Q2)["% of base"]) == [33, 33, 0, 33]


def test_role_filter_narrows_the_tables_but_not_the_response(wave: Engine) -> None:
    at = open_dashboard()
    at.pills(key="dashboard_roles:2011").set_value(["head_of_service"]).run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "3 of 32 councils interviewed (9.4%)"
    assert counts(table_under(at, Q2)) == {"Yes": 0, "No": 1, "Did not answer": 0, "Don't know": 0}
    assert list(table_under(at, Q2)["% of base"]) == [0, 100, 0, 0]
    assert any(c.value.startswith("Showing 1 of the 3 completed interviews") for c in at.caption)
    roles = counts(table_under(at, "Respondent's role"))
    assert roles["Head of Service"] == 1 and roles["Director of Social Work"] == 0

    at.pills(key="dashboard_roles:2011").set_value([]).run()
    assert any("Choose at least one respondent role" in w.value for w in at.warning)
    assert len(at.get("vega_lite_chart")) == 1  # the response only


def test_a_changed_answer_shows_on_the_next_run(wave: Engine) -> None:
    at = open_dashboard()
    assert counts(table_under(at, Q2))["Yes"] == 1
    answer(wave, ANGUS, "q2_strategy_involvement", "yes")
    at.run()
    assert counts(table_under(at, Q2)) == {"Yes": 2, "No": 1, "Did not answer": 0, "Don't know": 0}


def test_a_completed_interview_counts_on_the_next_run(wave: Engine) -> None:
    at = open_dashboard()
    complete_whole_interview(wave, INTERVIEWER, interview_id_of(wave, ARGYLL))
    at.run()
    assert at.subheader[0].value == "4 of 32 councils interviewed (12.5%)"
    assert counts(table_under(at, Q2))["Yes"] == 2


def test_a_wave_with_no_interviews_yet_shows_empty_charts(app_db: Engine) -> None:
    at = open_dashboard()
    assert at.subheader[0].value == "0 of 32 councils interviewed (0.0%)"
    assert counts(table_under(at, Q2)) == {"Yes": 0, "No": 0, "Did not answer": 0, "Don't know": 0}
    assert len(at.get("vega_lite_chart")) == len(at.dataframe) - 1  # the cross-tabulation


def test_a_contents_list_links_to_every_part_and_question(wave: Engine) -> None:
    at = open_dashboard()
    [contents] = [e for e in at.expander if e.label.startswith("Contents")]
    links = "\n".join(m.value for m in contents.markdown)
    assert "- [Part B: Self\\-directed support](#part-b-self-directed-support)" in links
    assert "    - [Q2 Users involved in strategy](#q2-users-involved-in-strategy)" in links
    headings = {h.proto.anchor for h in at.subheader} | {h.proto.anchor for h in at.header}
    targets = set(re.findall(r"\(#([a-z0-9-]+)\)", links))
    assert targets <= headings  # every link lands on a heading


def test_draft_report_text_stands_beside_the_figures(wave: Engine) -> None:
    at = open_dashboard()
    text = " ".join(m.value for m in at.markdown)
    assert "Thirty\\-two councils were eligible for the survey and three were interviewed" in text
    # Q2: one yes (Aberdeen City), one no (Aberdeenshire), one don't know (Angus).
    assert "One respondent said the council and its partners had involved users" in text
    assert "One respondent did not know\\." in text
    said = next(m.value for m in at.markdown if "One respondent did not know" in m.value)
    assert said.startswith("> ") and "background" not in said  # quoted draft, not a highlight
    captions = [c.value for c in at.caption]
    assert any("Asked only of those who answered “Yes” to Q11 Used SWIA guide" in c
               for c in captions)  # fmt: skip
    assert not any("asked if" in c or "q11_swia_used" in c for c in captions)


def test_cross_tabulation_of_any_closed_variable_by_another(wave: Engine) -> None:
    at = open_dashboard()
    at.selectbox(key="xtab_rows").select("q2_strategy_involvement").run()
    at.selectbox(key="xtab_columns").select("respondent_role").run()
    table = at.dataframe[-1].value
    assert table.loc["Yes", "Director of Social Work"] == 1
    assert table.loc["No", "Head of Service"] == 1
    assert table.loc["Don't know", "Other"] == 1
    assert table.loc["Yes", "Other"] == 0
    assert table.loc["Total", "Total"] == 3
    at.segmented_control(key="xtab_view").set_value("Column %").run()
    shares = at.dataframe[-1].value
    assert shares.loc["Yes", "Director of Social Work"] == 100.0
    assert shares.loc["Total", "Total"] == 100.0


# --- the published view: validated councils only, small groups withheld ---------------------

ADMIN = Actor("ada", "admin")
SEVEN = ("S12000033", "S12000034", "S12000041", "S12000035", "S12000036", "S12000005",
         "S12000006")  # fmt: skip
SEVEN_ROLES = ["director_of_social_work", *["head_of_service"] * 5, "other"]
SEVEN_Q2 = ["yes", "yes", "yes", "no", "no", "dont_know", "yes"]  # the last: not validated


def validate(engine: Engine, *codes: str) -> None:
    with Session(engine) as s:
        validated_elsewhere(s, actor=ADMIN, wave_key="2011", evidence="checked by phone",
                            councils=list(codes))  # fmt: skip


@pytest.fixture
def six_validated(app_db: Engine) -> Engine:
    """Seven completed interviews, the first six validated: Q2 yes 3, no 2, don't know 1."""
    for code, role, q2 in zip(SEVEN, SEVEN_ROLES, SEVEN_Q2, strict=True):
        complete_whole_interview(app_db, INTERVIEWER, interview_id_of(app_db, code), role=role)
        answer(app_db, code, "q2_strategy_involvement", q2)
    validate(app_db, *SEVEN[:6])
    return app_db


def test_published_view__one_validated_council__every_figure_withheld(wave: Engine) -> None:
    validate(wave, ABERDEEN)
    at = open_dashboard(draft=False)
    text = " ".join(m.value for m in at.markdown)
    assert ("Figures count the 1 council that has validated its submission; 2 more interviewed "
            "are left out until they validate. With fewer than 5 councils counted, no figure is "
            "published yet.") in text.replace("\\", "")  # fmt: skip
    withheld = "Withheld: fewer than 5 councils, so not published."
    assert withheld_under(at, Q2) == withheld
    assert "Fewer than five councils were counted for users involved in strategy" in text
    assert "One respondent" not in text  # no sentence reads Aberdeen City's answers
    assert withheld_under(at, "Respondent's role") == withheld
    assert len(at.get("vega_lite_chart")) == 1  # the response: no chart of withheld figures
    assert not [w for w in at.warning if "Draft view" in w.value]


def test_published_view__counts_validated_councils_only(six_validated: Engine) -> None:
    at = open_dashboard(draft=False)
    assert counts(table_under(at, Q2)) == {"Yes": 3, "No": 2, "Did not answer": 0, "Don't know": 1}
    assert any(c.value.startswith("Showing 6 of the 6 validated submissions") for c in at.caption)
    draft = open_dashboard(draft=True)
    assert counts(table_under(draft, Q2)) == {
        "Yes": 4, "No": 2, "Did not answer": 0, "Don't know": 1
    }
    assert any("Draft view" in w.value for w in draft.warning)
    marks = [c.value for c in draft.caption if "Not for publication" in c.value]
    assert len(marks) == len(draft.get("vega_lite_chart"))  # said on every exhibit


def test_published_view__a_filter_about_too_few_councils_is_refused(six_validated: Engine) -> None:
    at = open_dashboard(draft=False)
    at.pills(key="dashboard_roles:2011").set_value(["director_of_social_work"]).run()
    assert not at.exception, at.exception
    [refused] = at.error
    assert refused.value == (
        "Showing only respondents in the role Director of Social Work would count 1 council, "
        "fewer than 5: figures about so few councils are not published. Choose a wider filter."
    )
    assert Q2 not in [s.value for s in at.subheader]
    # Heads of Service are 5 of 6: the national figures less theirs would give the Director's.
    at.pills(key="dashboard_roles:2011").set_value(["head_of_service"]).run()
    assert "would leave out only 1 council" in at.error[0].value
    at.pills(key="dashboard_roles:2011").set_value(
        ["director_of_social_work", "head_of_service"]
    ).run()
    assert "one role at a time, or for all" in at.error[0].value  # 6 of 6, yet refused
    at.pills(key="dashboard_roles:2011").set_value(
        [c.code for c in SCHEDULE.choices("respondent_role")]
    ).run()
    assert not at.error
    assert counts(table_under(at, Q2))["Yes"] == 3


def test_published_view__filter_by_an_answer__with_the_same_rule(six_validated: Engine) -> None:
    at = open_dashboard(draft=False)
    at.selectbox(key="dashboard_answer_question:2011").select("q2_strategy_involvement").run()
    at.selectbox(key="dashboard_answer_code:2011:q2_strategy_involvement").select("yes").run()
    assert not at.exception, at.exception
    assert "“Yes” to Q2 Users involved in strategy would count 3 councils" in at.error[0].value
    draft = open_dashboard(draft=True)
    draft.selectbox(key="dashboard_answer_question:2011").select("q2_strategy_involvement").run()
    draft.selectbox(key="dashboard_answer_code:2011:q2_strategy_involvement").select("yes").run()
    assert not draft.error
    assert counts(table_under(draft, Q2)) == {
        "Yes": 4, "No": 0, "Did not answer": 0, "Don't know": 0
    }
    assert any(c.value.startswith("Showing 4 of the 7 completed interviews, those the filters")
               for c in draft.caption)  # fmt: skip


def test_published_view__cross_tabulation_withholds_small_lines_and_one_beside(
    six_validated: Engine,
) -> None:
    at = open_dashboard(draft=False)
    at.selectbox(key="xtab_rows").select("q2_strategy_involvement").run()
    at.selectbox(key="xtab_columns").select("respondent_role").run()
    table = at.dataframe[-1].value
    # Every row is under 5 (3 yes, 2 no, 1 don't know): all withheld; the Director's column
    # (1) too, with the smallest other beside it so neither is the total less the rest.
    assert set(table.loc["Yes"]) == {"withheld"}
    assert table.loc["Total", "Total"] == "6"
    assert table.loc["Total", "Director of Social Work"] == "withheld"
    assert table.loc["Total", "Head of Service"] == "withheld"
    assert any("reads “withheld”" in c.value for c in at.caption)
