"""Publication safety (`aggregation.disclosure`): what the published view counts, what it
withholds, and the filters it refuses; then every path a figure leaves by, on one wave where
only some councils have validated."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest
from docx import Document
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregation.charts import chart_png, response_chart
from aggregation.compare import compare_waves
from aggregation.counts import Tally
from aggregation.disclosure import (
    DRAFT,
    PUBLISHED,
    FilterRefused,
    View,
    refusal,
    view_sentence,
    withheld_lines,
    withhold,
)
from aggregation.exhibits import dashboard_sections
from aggregation.report import tally_dict
from aggregation.results import WaveReport, wave_results
from aggregation.supplement import supplement_docx
from aggregation.tally import crosstab, crosstab_view
from instrument.values import ValueProblem
from services.actor import Actor
from services.answers import save_answer
from services.export import export_wave
from services.permissions import PermissionDenied
from services.reports import everything, json_report, markdown_report, word_supplement
from services.results import load_report, load_results
from services.review import validated_elsewhere
from services.waves import WaveProblem, set_disclosure_threshold
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER, interview_id_of
from tests.test_charts import ANSWERS, INTERVIEWS, SCHEDULE

ADMIN, AUDITOR = Actor("ada", "admin"), Actor("aud", "auditor")


def tally(base: int, **counts: int) -> Tally:
    return Tally("q", "yesno", "Used the guide", base, counts, no_answer=0, dont_know=0,
                 not_applicable=31 - base, answered=sum(counts.values()))  # fmt: skip


# --- pure: the rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "withheld"), [(0, False), (1, True), (4, True), (5, False), (31, False)]
)
def test_a_base_of_one_to_four_is_withheld__nobody_and_five_are_not(
    base: int, withheld: bool
) -> None:
    shown = withhold({"q": tally(base, yes=base)}, PUBLISHED)["q"]
    assert (shown.withheld_below is not None) == withheld
    if withheld:  # nothing of it can be read: no count, no base, no routed-out figure
        assert (shown.base, shown.counts, shown.not_applicable) == (0, {"yes": 0}, 0)
        assert tally_dict(shown) == {"type": "yesno", "label": "Used the guide",
                                     "withheld": True, "fewer_than": 5, "base": None}  # fmt: skip
    else:
        assert shown.counts == {"yes": base}


def test_the_draft_view_withholds_nothing_and_the_threshold_is_the_waves() -> None:
    assert withhold({"q": tally(2, yes=2)}, DRAFT)["q"].counts == {"yes": 2}
    assert withhold({"q": tally(2, yes=2)}, View(threshold=2))["q"].withheld_below is None
    assert withhold({"q": tally(9, yes=9)}, View(threshold=10))["q"].withheld_below == 10


@pytest.mark.parametrize(
    ("kept", "counted", "refused"),
    [
        (3, 20, "would count 3 councils, fewer than 5"),
        (17, 20, "would leave out only 3 councils, fewer than 5"),
        (19, 20, "would leave out only 1 council, fewer than 5"),
        (5, 20, None),
        (15, 20, None),
        (20, 20, None),  # everyone: the national figures themselves
    ],
)
def test_a_filter_keeping_or_leaving_out_fewer_than_five_is_refused(
    kept: int, counted: int, refused: str | None
) -> None:
    reason = refusal(PUBLISHED, kept, counted, "Showing only Heads of Service")
    assert (reason is None) == (refused is None)
    if refused:
        assert reason is not None and reason.startswith(f"Showing only Heads of Service {refused}")
    assert refusal(DRAFT, kept, counted, "Showing only Heads of Service") is None


def test_a_cross_tabulation_withholds_small_lines_and_the_smallest_beside_a_lone_one() -> None:
    table = pd.DataFrame({"Director": [1, 0, 0], "Head": [9, 6, 2], "Other": [4, 3, 1]},
                         index=["Yes", "No", "Don't know"])  # fmt: skip
    rows, columns = withheld_lines(table, PUBLISHED)
    # Don't know (3) alone is small: No (9), the smallest other, goes too. Director (1) alone:
    # Other (8) goes too.
    assert (rows, columns) == (["No", "Don't know"], ["Director", "Other"])
    shown = crosstab_view(table, "Counts", (rows, columns))
    assert shown.loc["Yes", "Head"] == "9"
    assert shown.loc["Total", "Total"] == "26"  # the totals still count what is withheld
    assert shown.loc["No", "Total"] == shown.loc["Total", "Other"] == "withheld"
    # What is left cannot give a withheld cell: each withheld row and column has a partner.
    assert withheld_lines(table, DRAFT) == ([], [])


def test_what_the_figures_count_is_said() -> None:
    assert view_sentence(PUBLISHED, 20, 11) == (
        "Figures count the 20 councils that have validated their submission; 11 more "
        "interviewed are left out until they validate. A figure about fewer than 5 councils "
        "reads “fewer than 5” and is not shown."
    )
    assert view_sentence(PUBLISHED, 1, 1, "partnership").startswith(
        "Figures count the 1 partnership that has validated its submission; 1 more interviewed "
        "is left out until it validates. With fewer than 5 partnerships counted, no figure"
    )
    assert view_sentence(DRAFT, 31, 0) == (
        "Draft view, not for publication: figures count every completed interview (31), each "
        "validated."
    )
    assert view_sentence(DRAFT, 31, 4) == (
        "Draft view, not for publication: figures count every completed interview (31), 4 of "
        "them not yet validated by their councils."
    )
    assert view_sentence(DRAFT, 1, 1) == (
        "Draft view, not for publication: figures count every completed interview (1), not "
        "yet validated by its council."
    )


# --- every path a figure leaves by --------------------------------------------------------------

SIX = ("S12000033", "S12000034", "S12000041", "S12000035", "S12000036", "S12000005")
PENDING = "S12000006"  # Dumfries and Galloway: interviewed, not validated
SECRET_ROLE = "other"  # only the pending council answered as "other"


@pytest.fixture
def partly_validated(engine: Engine) -> Engine:
    """Seven completed interviews, six validated, two of which tendered recently (Q20 yes):
    the questions asked only of those have a base of two, too few to publish."""
    for code in (*SIX, PENDING):
        role = SECRET_ROLE if code == PENDING else "head_of_service"
        complete_whole_interview(engine, INTERVIEWER, interview_id_of(engine, code), role=role)
    with Session(engine) as s:
        for n, code in enumerate(SIX):
            save_answer(s, actor=INTERVIEWER, interview_id=interview_id_of(engine, code),
                        variable_id="q20_tendered_recently",
                        value="yes" if n < 2 else "no")  # fmt: skip
        validated_elsewhere(s, actor=ADMIN, wave_key="2011", evidence="test",
                            councils=list(SIX))  # fmt: skip
    return engine


def test_every_report_counts_validated_councils_and_withholds_small_bases(
    partly_validated: Engine,
) -> None:
    with Session(partly_validated) as s:
        report = json.loads(json_report(s, actor=AUDITOR, wave_key="2011"))
        draft = json.loads(json_report(s, actor=AUDITOR, wave_key="2011",
                                       include_unvalidated=True))  # fmt: skip
        markdown = markdown_report(s, actor=AUDITOR, wave_key="2011")
        docx = word_supplement(s, actor=AUDITOR, wave_key="2011")
        zipped = everything(s, actor=AUDITOR, wave_key="2011")
        answers = export_wave(s, actor=AUDITOR, wave_key="2011").decode()
    assert report["view"] == {"name": "published", "counted": 6, "threshold": 5,
                              "counts": "completed interviews whose council has validated its "
                              "submission"}  # fmt: skip
    assert report["variables"]["q20_tendered_recently"]["counts"]["yes"] == 2
    assert report["variables"]["q20_tendered_recently"]["base"] == 6
    routed = [v for v, t in report["variables"].items() if t.get("withheld")]
    assert routed and all(report["variables"][v]["base"] is None for v in routed)
    assert draft["view"]["name"] == "draft" and draft["view"]["counted"] == 7
    assert draft["variables"]["respondent_role"]["counts"][SECRET_ROLE] == 1
    assert report["variables"]["respondent_role"]["counts"][SECRET_ROLE] == 0
    assert "Figures count the 6 councils that have validated" in markdown
    assert "Base: fewer than 5 interviews: withheld." in markdown
    text = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert "Figures count the 6 councils that have validated" in text
    assert "Draft view" not in text
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        assert json.loads(archive.read("report_2011.json"))["view"]["counted"] == 6
    assert "Dumfries" not in answers  # the record-level file: validated councils only


def test_the_draft_is_marked_on_every_exhibit_of_the_word_supplement(
    partly_validated: Engine,
) -> None:
    with Session(partly_validated) as s:
        docx = word_supplement(s, actor=AUDITOR, wave_key="2011", include_unvalidated=True)
    paragraphs = [p.text for p in Document(io.BytesIO(docx)).paragraphs]
    exhibits = sum(1 for p in paragraphs if p.startswith("Base: "))
    marks = sum(1 for p in paragraphs if p.startswith("Draft view: counts councils"))
    assert exhibits and marks >= exhibits


def test_a_role_filter_in_the_report_is_refused_like_the_dashboards(
    partly_validated: Engine,
) -> None:
    with Session(partly_validated) as s:
        heads = load_report(s, actor=AUDITOR, wave_key="2011",
                            respondent_roles=["head_of_service"])  # fmt: skip
        assert heads.counted == 6  # every validated council: the national figures
        for load in (load_report, load_results):
            with pytest.raises(FilterRefused, match="role Other would count 0 councils"):
                load(s, actor=AUDITOR, wave_key="2011", respondent_roles=[SECRET_ROLE])
        assert load_results(s, actor=AUDITOR, wave_key="2011", respondent_roles=[SECRET_ROLE],
                            include_unvalidated=True).answers.count == 1  # fmt: skip


def test_validation_recorded_elsewhere_is_named_logged_and_checked(engine: Engine) -> None:
    complete_whole_interview(engine, INTERVIEWER, interview_id_of(engine, PENDING))
    with Session(engine) as s:
        with pytest.raises(ValueProblem, match="not a council of wave 2011: nowhere"):
            validated_elsewhere(s, actor=ADMIN, wave_key="2011", evidence="x",
                                councils=["nowhere"])  # fmt: skip
        with pytest.raises(ValueProblem, match="say how the councils validated"):
            validated_elsewhere(s, actor=ADMIN, wave_key="2011", evidence="  ")
        with pytest.raises(PermissionDenied):
            validated_elsewhere(s, actor=AUDITOR, wave_key="2011", evidence="x")
        named = validated_elsewhere(s, actor=ADMIN, wave_key="2011", evidence="in 2012")
        assert named == ["Dumfries and Galloway"]
        assert validated_elsewhere(s, actor=ADMIN, wave_key="2011", evidence="again") == []
        assert load_report(s, actor=AUDITOR, wave_key="2011").counted == 1


def test_the_threshold_is_set_within_bounds(engine: Engine) -> None:
    with Session(engine) as s:
        for wrong in (1, 0, 101):
            with pytest.raises(WaveProblem, match="from 2 to 100"):
                set_disclosure_threshold(s, actor=ADMIN, wave_key="2011", threshold=wrong)
        assert set_disclosure_threshold(s, actor=ADMIN, wave_key="2011",
                                        threshold=3).disclosure_threshold == 3  # fmt: skip
        assert load_report(s, actor=AUDITOR, wave_key="2011").view == View(threshold=3)


@pytest.mark.parametrize("threshold", [2, 3, 4, 5])
def test_every_exhibit_and_the_supplement_draw_whatever_is_withheld_beside_what_is_not(
    threshold: int,
) -> None:
    """Withheld and shown tallies side by side in one exhibit (the two guidance documents:
    SWIA asked of 2, SG/COSLA of 3) give whole tables, and the Word supplement builds."""
    interviews = INTERVIEWS.assign(validated=True)
    results = wave_results("2011", SCHEDULE, interviews, ANSWERS, view=View(threshold=threshold))
    withheld = {v for v, t in results.tallies.items() if t.withheld_below}
    assert ("q11a_swia_usefulness" in withheld) == (threshold > 2)
    assert ("q12a_sg_usefulness" in withheld) == (threshold > 3)
    for section in dashboard_sections(results):
        for exhibit in section.exhibits:
            lengths = {len(column) for column in exhibit.table.columns}
            assert len(lengths) == 1, exhibit.key
            shown = set(exhibit.variable_ids)
            assert bool(exhibit.withheld) == (bool(shown) and shown <= withheld)
    png = chart_png(response_chart(results.figures))
    document = Document(io.BytesIO(supplement_docx(results, "Test", render_png=lambda _: png)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert ("so what they said is not published" in text) == bool(withheld)


def test_a_question_withheld_in_either_wave_is_not_compared_and_says_why() -> None:
    interviews = INTERVIEWS.assign(validated=True)

    def report(key: str, view: View) -> WaveReport:
        r = wave_results(key, SCHEDULE, interviews, ANSWERS, view=view)
        return WaveReport(key, r.instrument, r.figures, r.tallies, r.view, r.counted)

    comparison = compare_waves(report("2026", View(threshold=3)), report("2011", DRAFT))
    assert comparison.not_compared["q11a_swia_usefulness"] == (
        "withheld in wave 2026: fewer than 3 counted"
    )
    assert "q12a_sg_usefulness" in {c.variable_id for c in comparison.compared}
    reverse = compare_waves(report("2026", DRAFT), report("2011", View(threshold=3)))
    assert reverse.not_compared["q11a_swia_usefulness"].startswith("withheld in wave 2011")


def twelve_councils() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six Heads of Service and six Directors, all validated. Five Heads and one Director
    used the SWIA guide, so Q11a (asked of those who did) has a base of 6 nationally: 5
    Heads and 1 Director."""
    interviews = pd.DataFrame(
        [(i, f"S{i:08d}", f"Council {i}", "completed",
          "head_of_service" if i <= 6 else "director_of_social_work", True)
         for i in range(1, 13)],
        columns=["interview_id", "council_code", "council_name", "status", "respondent_role",
                 "validated"],
    )  # fmt: skip
    used = {1, 2, 3, 4, 5, 7}
    answers = pd.DataFrame(
        [(i, "q11_swia_used", "yes" if i in used else "no") for i in range(1, 13)]
        + [(i, "q11a_swia_usefulness", "very_useful") for i in sorted(used)]
        + [(i, "q2_strategy_involvement", "yes" if i % 2 else "no") for i in range(1, 13)],
        columns=["interview_id", "variable_id", "value"],
    )
    return interviews, answers


def test_a_filtered_figure_is_withheld_where_the_national_one_less_it_shows_a_few() -> None:
    interviews, answers = twelve_councils()
    national = wave_results("2011", SCHEDULE, interviews, answers, view=PUBLISHED)
    assert national.tallies["q11a_swia_usefulness"].base == 6  # shown: six councils
    heads = wave_results("2011", SCHEDULE, interviews, answers, view=PUBLISHED,
                         respondent_roles=["head_of_service"])  # fmt: skip
    # Five Heads is enough by itself, but 6 less 5 would give the one Director's answer.
    assert heads.tallies["q11a_swia_usefulness"].withheld_below == 5
    assert heads.tallies["q11_swia_used"].counts == {"yes": 5, "no": 1}  # 6 and 6: shown
    directors = wave_results("2011", SCHEDULE, interviews, answers, view=PUBLISHED,
                             respondent_roles=["director_of_social_work"])  # fmt: skip
    assert directors.tallies["q11a_swia_usefulness"].withheld_below == 5
    draft = wave_results("2011", SCHEDULE, interviews, answers, view=DRAFT,
                         respondent_roles=["head_of_service"])  # fmt: skip
    assert draft.tallies["q11a_swia_usefulness"].counts["very_useful"] == 5


def test_a_cross_tabulation_under_a_filter_withholds_what_subtraction_would_show() -> None:
    interviews, answers = twelve_councils()
    heads = wave_results("2011", SCHEDULE, interviews, answers, view=PUBLISHED,
                         respondent_roles=["head_of_service"])  # fmt: skip
    groups = {g: crosstab(SCHEDULE, a, "q11_swia_used", "q2_strategy_involvement")
              for g, a in heads.partition.items()}  # fmt: skip
    table = groups[heads.group]
    # Heads: "yes" row 5, "no" row 1 (withheld, with "yes" beside it); nationally "no" is 6,
    # and 6 less the Heads' 1 leaves the Directors' 5, so no more is needed for that row.
    rows, _ = withheld_lines(table, PUBLISHED, groups, heads.group)
    assert set(rows) == {"yes", "no"}
    with pytest.raises(FilterRefused, match="one filter at a time"):
        wave_results("2011", SCHEDULE, interviews, answers, view=PUBLISHED,
                      respondent_roles=["head_of_service"],
                      answer_filter=("q2_strategy_involvement", "yes"))  # fmt: skip
