"""The refusal cases of a flat file, each with the lines a person is shown: a bad cell, a bad
header, an unreadable file. The import tests (tests/test_flatfile.py) put each through the
database, proving nothing is written; tests/test_file_checks.py puts each through the checks
alone, on csv and xlsx."""

from __future__ import annotations

import pytest

CLIENT_GROUPS = "older_people, learning_disabilities, physical_sensory, children_families, other"
GUIDANCE_NEEDS = (
    "market_development, outcomes_based_examples, planning_tools, best_practice_examples, "
    "alternatives_to_tendering, other"
)
ROLES = (
    "director_of_social_work, head_of_service, commissioning_contracts_manager, "
    "senior_manager_strategy_planning, other"
)
STATUSES = "not_contacted, scheduled, in_progress, completed, declined"
BLANK_CLOSED = (
    "blank, but a completed interview records every question that applies "
    "(no_answer or dont_know where the respondent gave none)"
)
NOT_UTF8_ADVICE = "in Excel choose Save As › 'CSV UTF-8 (Comma delimited)'"


CELL_CASES = [
    pytest.param(
        {"Fife": {"q1_most_involved": "carers"}},
        [
            "row 15, Fife, column q1_most_involved, value 'carers': "
            f"'carers' is not one of the codes: {CLIENT_GROUPS}"
        ],
        id="unknown-single-code",
    ),
    pytest.param(
        {"Fife": {"q3_monitoring_involvement": "Yes"}},
        [
            "row 15, Fife, column q3_monitoring_involvement, value 'Yes': "
            "'Yes' is not one of the codes: yes, no"
        ],
        id="yesno-code-in-capitals",
    ),
    pytest.param(
        {"Fife": {"q14_needs": "planning_tools;tea_and_biscuits"}},
        [
            "row 15, Fife, column q14_needs, value 'planning_tools;tea_and_biscuits': "
            f"'tea_and_biscuits' is not a code (codes: {GUIDANCE_NEEDS})"
        ],
        id="unknown-multi-code",
    ),
    pytest.param(
        {"Fife": {"q14_needs": "tea;biscuits"}},
        [
            "row 15, Fife, column q14_needs, value 'tea;biscuits': "
            f"'tea', 'biscuits' are not codes (codes: {GUIDANCE_NEEDS})"
        ],
        id="two-unknown-multi-codes",
    ),
    pytest.param(
        {"Fife": {"q14_needs": "planning_tools;planning_tools"}},
        [
            "row 15, Fife, column q14_needs, value 'planning_tools;planning_tools': "
            "'planning_tools' given more than once"
        ],
        id="multi-code-twice",
    ),
    pytest.param(
        {"Fife": {"q24_inhouse_pct": "150"}},
        ["row 15, Fife, column q24_inhouse_pct, value '150': 150 is more than 100"],
        id="percent-over-100",
    ),
    pytest.param(
        {"Fife": {"q24_inhouse_pct": "30:60"}},
        ["row 15, Fife, column q24_inhouse_pct, value '30:60': 30:60 adds up to 90, not 100"],
        id="ratio-not-100",
    ),
    pytest.param(
        {"Fife": {"q24_inhouse_pct": "-5"}},
        ["row 15, Fife, column q24_inhouse_pct, value '-5': -5 is less than 0"],
        id="percent-negative",
    ),
    pytest.param(
        {"Fife": {"q24_inhouse_pct": "30.5"}},
        [
            "row 15, Fife, column q24_inhouse_pct, value '30.5': "
            "30.5 is not a whole number of per cent"
        ],
        id="percent-fraction",
    ),
    pytest.param(
        {"Fife": {"q24_inhouse_pct": "about a third"}},
        [
            "row 15, Fife, column q24_inhouse_pct, value 'about a third': "
            "'about a third' is not a share: type the in-house share as 30, 30%, 30:70 or 30/70"
        ],
        id="percent-words",
    ),
    pytest.param(
        {"Fife": {"interview_date": "2011-02-30"}},
        [
            "row 15, Fife, column interview_date, value '2011-02-30': "
            "2011-02-30 is not a real date: February 2011 has 28 days"
        ],
        id="impossible-date",
    ),
    pytest.param(
        {"Fife": {"interview_date": "30/03/2011"}},
        [
            "row 15, Fife, column interview_date, value '30/03/2011': "
            "'30/03/2011' is not a date in the form YYYY-MM-DD"
        ],
        id="date-day-first",
    ),
    pytest.param(
        {"Fife": {"interview_date": "2099-01-01"}},
        [
            "row 15, Fife, column interview_date, value '2099-01-01': "
            "the interview date is in the future"
        ],
        id="date-in-future",
    ),
    pytest.param(
        {"Fife": {"interview_date": ""}},
        [
            "row 15, Fife, column interview_date, value '': "
            "a completed interview needs its interview date"
        ],
        id="completed-without-date",
    ),
    pytest.param(
        {"Fife": {"respondent_role": "chief_executive"}},
        [
            "row 15, Fife, column respondent_role, value 'chief_executive': "
            f"unknown respondent role; use one of {ROLES}"
        ],
        id="unknown-role",
    ),
    pytest.param(
        {"Fife": {"respondent_role": ""}},
        [
            "row 15, Fife, column respondent_role, value '': "
            "a completed interview needs the respondent's role"
        ],
        id="completed-without-role",
    ),
    pytest.param(
        {"Fife": {"status": "done"}},
        [f"row 15, Fife, column status, value 'done': unknown status; use one of {STATUSES}"],
        id="unknown-status",
    ),
    pytest.param(
        {"Fife": {"status": "Completed"}},
        [f"row 15, Fife, column status, value 'Completed': unknown status; use one of {STATUSES}"],
        id="status-in-capitals",
    ),
    pytest.param(
        {"Fife": {"status": ""}},
        [f"row 15, Fife, column status, value '': unknown status; use one of {STATUSES}"],
        id="blank-status",
    ),
    pytest.param(
        {"Fife": {"q1_most_involved": "older_people", "q1_other_specify": "Carers' forum"}},
        [
            'row 15, Fife, column q1_other_specify, value "Carers\' forum": routing skips this '
            "question (asked only if q1_most_involved = other); leave it blank or write "
            "not_applicable"
        ],
        id="value-on-routed-out-question",
    ),
    pytest.param(
        {
            "Fife": {
                "q11_swia_used": "no",
                "q11a_swia_usefulness": "not_applicable",
                "q11b_swia_why_not": "Never heard of it",
                "q12_sg_used": "no_answer",
                "q12a_sg_usefulness": "",
                "q12b_sg_why_not": "",
                "q13_guidance_use": "For training",
            }
        },
        [
            "row 15, Fife, column q13_guidance_use, value 'For training': routing skips this "
            "question (asked only if q11_swia_used = yes or q12_sg_used = yes); leave it blank "
            "or write not_applicable"
        ],
        id="value-on-question-skipped-by-an-or-rule",
    ),
    pytest.param(
        {"Highland": {"q11_swia_used": "dont_know", "q11a_swia_usefulness": "very_useful"}},
        [
            "row 17, Highland, column q11a_swia_usefulness, value 'very_useful': routing skips "
            "this question (asked only if q11_swia_used = yes); leave it blank or write "
            "not_applicable"
        ],
        id="value-on-question-whose-parent-is-dont-know",
    ),
    pytest.param(
        {"Moray": {"q8b_specific_groups": "no", "q8b_groups": "older_people"}},
        [
            "row 20, Moray, column q8b_groups, value 'older_people': routing skips this question "
            "(asked only if q8b_specific_groups = yes); leave it blank or write not_applicable"
        ],
        id="value-on-routed-out-question-in-progress",
    ),
    pytest.param(
        {"Fife": {"q1_most_involved": "other", "q1_other_specify": "not_applicable"}},
        [
            "row 15, Fife, column q1_other_specify, value 'not_applicable': "
            "not_applicable, but the question applies (asked if q1_most_involved = other)"
        ],
        id="not-applicable-on-routed-in-question",
    ),
    pytest.param(
        {"Fife": {"q2_strategy_involvement": "not_applicable"}},
        [
            "row 15, Fife, column q2_strategy_involvement, value 'not_applicable': "
            "not_applicable, but the question applies"
        ],
        id="not-applicable-on-question-always-asked",
    ),
    pytest.param(
        {"Moray": {"q2_explain": "not_applicable"}},
        [
            "row 20, Moray, column q2_explain, value 'not_applicable': "
            "not_applicable, but the question applies"
        ],
        id="not-applicable-in-progress",
    ),
    pytest.param(
        {"Fife": {"q3_monitoring_involvement": ""}},
        [f"row 15, Fife, column q3_monitoring_involvement, value '': {BLANK_CLOSED}"],
        id="completed-blank-yesno",
    ),
    pytest.param(
        {"Fife": {"q14_needs": "  "}},
        [f"row 15, Fife, column q14_needs, value '': {BLANK_CLOSED}"],
        id="completed-blank-multi",
    ),
    pytest.param(
        {"Fife": {"q24_inhouse_pct": ""}},
        [f"row 15, Fife, column q24_inhouse_pct, value '': {BLANK_CLOSED}"],
        id="completed-blank-percent",
    ),
    pytest.param(
        {
            "Fife": {"q1_most_involved": "other", "q1_other_specify": "Carers"},
            "Stirling": {
                "q11_swia_used": "yes",
                "q11a_swia_usefulness": "",
                "q11b_swia_why_not": "",
            },
        },
        [f"row 31, Stirling, column q11a_swia_usefulness, value '': {BLANK_CLOSED}"],
        id="completed-blank-routed-in-question",
    ),
    pytest.param(
        {"Argyll and Bute": {"nonresponse_reason": ""}},
        [
            "row 5, Argyll and Bute, column nonresponse_reason, value '': "
            "a declined council needs the reason it gave"
        ],
        id="declined-without-reason",
    ),
    pytest.param(
        {"Argyll and Bute": {"nonresponse_reason": "   "}},
        [
            "row 5, Argyll and Bute, column nonresponse_reason, value '   ': "
            "a declined council needs the reason it gave"
        ],
        id="declined-with-blank-reason",
    ),
    pytest.param(
        {"Argyll and Bute": {"q2_explain": "They did talk, a bit", "q24_inhouse_pct": "40"}},
        [
            "row 5, Argyll and Bute, column q2_explain, value 'They did talk, a bit': a council "
            "whose status is declined cannot have answers; found answers in q2_explain, "
            "q24_inhouse_pct"
        ],
        id="answers-on-declined-council",
    ),
    pytest.param(
        {"Inverclyde": {"q1_other_specify": "not_applicable"}},
        [
            "row 18, Inverclyde, column q1_other_specify, value 'not_applicable': a council whose "
            "status is declined cannot have answers; found answers in q1_other_specify"
        ],
        id="not-applicable-on-declined-council",
    ),
    pytest.param(
        {"Orkney Islands": {"q2_strategy_involvement": "yes"}},
        [
            "row 24, Orkney Islands, column q2_strategy_involvement, value 'yes': a council whose "
            "status is not_contacted cannot have answers; found answers in q2_strategy_involvement"
        ],
        id="answers-on-council-not-contacted",
    ),
    pytest.param(
        {"Fife": {"nonresponse_reason": "n/a"}},
        [
            "row 15, Fife, column nonresponse_reason, value 'n/a': "
            "a reason for non-response is only for declined councils"
        ],
        id="reason-on-completed-council",
    ),
    pytest.param(
        {"Fife": {"council_code": "S12999999"}},
        [
            "row 15, column council_code, value 'S12999999': "
            "unknown council (not a GSS code or known name)"
        ],
        id="unknown-council-code",
    ),
    pytest.param(
        {"Fife": {"council_code": "Fyfe"}},
        [
            "row 15, column council_code, value 'Fyfe': "
            "unknown council (not a GSS code or known name)"
        ],
        id="unknown-council-name",
    ),
    pytest.param(
        {"Fife": {"council_code": " "}},
        ["row 15, column council_code, value '': the council code is blank"],
        id="blank-council-code",
    ),
    pytest.param(
        {"Falkirk": {"council_code": "S12000015"}},
        [
            "row 14, Fife, column council_name, value 'Falkirk': the council code S12000015 is "
            "Fife's, but the name is Falkirk's; has one column been sorted on its own?",
            "row 15, Fife, column council_code, value 'S12000047': Fife also appears on row 14",
        ],
        id="duplicate-council-names-both-rows",
    ),
    pytest.param(
        {"Fife": {"q2_explain": "x" * 20_001}},
        [
            f"row 15, Fife, column q2_explain, value {'x' * 60 + '…'!r}: "
            "is 20,001 characters long; the limit is 20,000"
        ],
        id="text-too-long",
    ),
]


HEADER_CASES = [
    pytest.param(
        lambda h: [*h, "q99_extra"], ["row 1: unknown column(s): q99_extra"], id="unknown-column"
    ),
    pytest.param(
        lambda h: [c.replace("q2_explain", "q2_explian") for c in h],
        ["row 1: unknown column(s): q2_explian", "row 1: missing column(s): q2_explain"],
        id="misspelt-column",
    ),
    pytest.param(
        lambda h: [c for c in h if c != "q24_note"],
        ["row 1: missing column(s): q24_note"],
        id="missing-question-column",
    ),
    pytest.param(
        lambda h: [c for c in h if c not in ("status", "q26_impacts")],
        ["row 1: missing column(s): status, q26_impacts"],
        id="missing-columns",
    ),
    pytest.param(
        lambda h: [c for c in h if c != "council_code"],
        ["row 1: missing column(s): council_code"],
        id="missing-council-code",
    ),
    pytest.param(
        lambda h: [*h, "q2_explain"],
        ["row 1: column 'q2_explain' appears 2 times (columns 11 and 77)"],
        id="duplicate-column",
    ),
    pytest.param(
        lambda h: [*h[:10], "", *h[10:]],
        ["row 1: column 11 has data but no name"],
        id="unnamed-column-with-data",
    ),
]


FILE_CASES = [
    pytest.param(b"", "wave.csv", ["the file is empty"], id="empty"),
    pytest.param(b"\xef\xbb\xbf", "wave.csv", ["the file is empty"], id="bom-only"),
    pytest.param(b"\r\n \r\n", "wave.csv", ["the file is empty"], id="blank-lines-only"),
    pytest.param(b",,,\r\n,,\r\n", "wave.csv", ["the file is empty"], id="empty-cells-only"),
    pytest.param(
        b"\r\ncouncil_code,status\r\nS12000047,completed\r\n",
        "wave.csv",
        ["the first row is empty: it must hold the column names"],
        id="csv-blank-first-line",
    ),
    pytest.param(
        b"council_code,q2_explain\r\nS12000047,Budget \xa35m\r\n",
        "wave.csv",
        [
            "row 2, column q2_explain: the file is not UTF-8 text "
            f"(byte 0xA3 here, '£' in Windows-1252); {NOT_UTF8_ADVICE}"
        ],
        id="cp1252-pound-sign",
    ),
    pytest.param(
        b"This is not a workbook",
        "wave.xlsx",
        [
            "the file is named .xlsx but is not an Excel workbook: it is plain text, like a CSV "
            "file; give it a .csv name, or open it in Excel and save it as "
            "'Excel Workbook (*.xlsx)'"
        ],
        id="xlsx-not-a-zip",
    ),
]
