"""The 2011 schedule implements every variable of the codebook, in order, with its routing."""

from __future__ import annotations

import re

import pytest

from instrument.loader import load_instrument

PARTS = [
    ("A", "Involving users and carers over the last 18 months or so"),
    ("B", "Self-directed support"),
    ("C", "Scottish Government support and scrutiny"),
    ("D", "Skills and capacity / benchmarking"),
    ("E", "Working in partnership with voluntary and private providers"),
    ("F", "Procuring services from voluntary and private providers"),
    ("G", "Costs of home care provision"),
    ("H", "Impact of budget reductions"),
]

TYPES = {
    # Part A
    "q1_most_involved": "single",
    "q1_other_specify": "text",
    "q2_strategy_involvement": "yesno",
    "q2_explain": "text",
    "q3_monitoring_involvement": "yesno",
    "q3_how": "text",
    "q4_influence_example": "text",
    "q5_least_involved": "single",
    "q5_other_specify": "text",
    "q6_why_least": "text",
    "q7_plans_to_change": "yesno",
    "q7_explain": "text",
    # Part B
    "q8a_options": "text",
    "q8b_specific_groups": "yesno",
    "q8b_groups": "multi",
    "q8c_availability": "single",
    "q8d_individual_budgets": "yesno",
    "q8d_groups": "multi",
    "q8d_system": "text",
    "q9a_support_type": "text",
    "q9b_support_provider": "single",
    "q9b_who": "text",
    "q9c_support_duration": "text",
    "q10_bill_impact": "text",
    "q10_fundamental_shift": "yesno",
    "b_sds_stage": "single",
    # Part C
    "q11_swia_used": "yesno",
    "q11a_swia_usefulness": "single",
    "q11b_swia_why_not": "text",
    "q12_sg_used": "yesno",
    "q12a_sg_usefulness": "single",
    "q12b_sg_why_not": "text",
    "q13_guidance_use": "text",
    "q14_further_guidance": "text",
    "q14_needs": "multi",
    # Part D
    "q15_skills_capacity": "text",
    "q15_external_training": "yesno",
    "q16_benchmarking": "yesno",
    "q16_methods": "multi",
    "q16_explain": "text",
    "q17_collaborative": "yesno",
    "q17a_groups_services": "text",
    "q17b_benefits": "multi",
    "q17b_explain": "text",
    "q17c_problems": "text",
    # Part E
    "q18a_determine_services": "text",
    "q18b_develop_capacity": "text",
    "q18c_improve_quality": "text",
    "q18c_contract_monitoring": "yesno",
    "q19_sustainability": "yesno",
    "q19_steps": "text",
    "q19_room_for_improvement": "yesno",
    # Part F
    "q20_last_tender": "text",
    "q20_tendered_recently": "yesno",
    "q21_change_of_provider": "single",
    "q22_viability_measures": "multi",
    "q22_explain": "text",
    "q23_capacity_measures": "text",
    # Part G
    "q24_inhouse_pct": "percent",
    "q24_note": "text",
    # Part H
    "q25_reduction_2011_12": "yesno",
    "q25_reduction_2012_13": "yesno",
    "q26a_service_provision": "text",
    "q26b_commissioning_plans": "text",
    "q26c_people": "text",
    "q26c_risk_to_users": "yesno",
    "q26c_contingency": "text",
    "q26_impacts": "multi",
    "anything_else": "text",
}

IDS_BY_PART = {
    "A": [
        "q1_most_involved",
        "q1_other_specify",
        "q2_strategy_involvement",
        "q2_explain",
        "q3_monitoring_involvement",
        "q3_how",
        "q4_influence_example",
        "q5_least_involved",
        "q5_other_specify",
        "q6_why_least",
        "q7_plans_to_change",
        "q7_explain",
    ],
    "B": [
        "q8a_options",
        "q8b_specific_groups",
        "q8b_groups",
        "q8c_availability",
        "q8d_individual_budgets",
        "q8d_groups",
        "q8d_system",
        "q9a_support_type",
        "q9b_support_provider",
        "q9b_who",
        "q9c_support_duration",
        "q10_bill_impact",
        "q10_fundamental_shift",
        "b_sds_stage",
    ],
    "C": [
        "q11_swia_used",
        "q11a_swia_usefulness",
        "q11b_swia_why_not",
        "q12_sg_used",
        "q12a_sg_usefulness",
        "q12b_sg_why_not",
        "q13_guidance_use",
        "q14_further_guidance",
        "q14_needs",
    ],
    "D": [
        "q15_skills_capacity",
        "q15_external_training",
        "q16_benchmarking",
        "q16_methods",
        "q16_explain",
        "q17_collaborative",
        "q17a_groups_services",
        "q17b_benefits",
        "q17b_explain",
        "q17c_problems",
    ],
    "E": [
        "q18a_determine_services",
        "q18b_develop_capacity",
        "q18c_improve_quality",
        "q18c_contract_monitoring",
        "q19_sustainability",
        "q19_steps",
        "q19_room_for_improvement",
    ],
    "F": [
        "q20_last_tender",
        "q20_tendered_recently",
        "q21_change_of_provider",
        "q22_viability_measures",
        "q22_explain",
        "q23_capacity_measures",
    ],
    "G": ["q24_inhouse_pct", "q24_note"],
    "H": [
        "q25_reduction_2011_12",
        "q25_reduction_2012_13",
        "q26a_service_provision",
        "q26b_commissioning_plans",
        "q26c_people",
        "q26c_risk_to_users",
        "q26c_contingency",
        "q26_impacts",
        "anything_else",
    ],
}

ALL_IDS = [var_id for part_id, _ in PARTS for var_id in IDS_BY_PART[part_id]]

ASKED_IF = {
    "q1_other_specify": "q1_most_involved = other",
    "q5_other_specify": "q5_least_involved = other",
    "q8b_groups": "q8b_specific_groups = yes",
    "q8d_groups": "q8d_individual_budgets = yes",
    "q8d_system": "q8d_individual_budgets = yes",
    "q11a_swia_usefulness": "q11_swia_used = yes",
    "q11b_swia_why_not": "q11_swia_used = no",
    "q12a_sg_usefulness": "q12_sg_used = yes",
    "q12b_sg_why_not": "q12_sg_used = no",
    "q13_guidance_use": "q11_swia_used = yes or q12_sg_used = yes",
    "q16_methods": "q16_benchmarking = yes",
    "q17a_groups_services": "q17_collaborative = yes",
    "q17b_benefits": "q17_collaborative = yes",
    "q17b_explain": "q17_collaborative = yes",
    "q17c_problems": "q17_collaborative = yes",
    "q19_steps": "q19_sustainability = yes",
    "q21_change_of_provider": "q20_tendered_recently = yes",
    "q22_viability_measures": "q20_tendered_recently = yes",
    "q22_explain": "q20_tendered_recently = yes",
    "q23_capacity_measures": "q20_tendered_recently = yes",
}

CLIENT_GROUP = [
    "older_people",
    "learning_disabilities",
    "physical_sensory",
    "children_families",
    "other",
]
USEFULNESS = ["very_useful", "quite_useful", "not_useful"]

CHOICE_CODES = {
    "q1_most_involved": CLIENT_GROUP,
    "q5_least_involved": CLIENT_GROUP,
    "q8b_groups": CLIENT_GROUP,
    "q8c_availability": ["existing_and_new", "new_only", "existing_only"],
    "q8d_groups": CLIENT_GROUP,
    "q9b_support_provider": ["in_house", "external", "both"],
    "b_sds_stage": ["very_early", "developing", "established"],
    "q11a_swia_usefulness": USEFULNESS,
    "q12a_sg_usefulness": USEFULNESS,
    "q14_needs": [
        "market_development",
        "outcomes_based_examples",
        "planning_tools",
        "best_practice_examples",
        "alternatives_to_tendering",
        "other",
    ],
    "q16_methods": ["national_network", "regional_network", "similar_councils", "national_data"],
    "q17b_benefits": [
        "economies_of_scale",
        "consistency_of_practice",
        "new_services_small_groups",
        "less_duplication",
        "streamlined_for_providers",
        "other",
    ],
    "q21_change_of_provider": ["yes", "no", "not_completed"],
    "q22_viability_measures": [
        "pqq",
        "references",
        "site_visits",
        "market_reports",
        "credit_checks",
        "care_inspectorate",
        "other",
    ],
    "q26_impacts": [
        "new_eligibility_criteria",
        "new_or_increased_charges",
        "service_redesign_savings",
        "shared_services",
        "no_effect_on_current_services",
        "no_uplift_for_providers",
        "other",
    ],
}

CHOICE_LIST_NAMES = {
    "q1_most_involved": "client_group",
    "q5_least_involved": "client_group",
    "q8b_groups": "client_group",
    "q8c_availability": "sds_availability",
    "q8d_groups": "client_group",
    "q9b_support_provider": "sds_support_provider",
    "b_sds_stage": "sds_stage",
    "q11a_swia_usefulness": "usefulness",
    "q12a_sg_usefulness": "usefulness",
    "q14_needs": "guidance_needs",
    "q16_methods": "benchmarking_method",
    "q17b_benefits": "collaboration_benefit",
    "q21_change_of_provider": "tender_outcome",
    "q22_viability_measures": "viability_measure",
    "q26_impacts": "budget_impact",
}


@pytest.fixture(scope="module")
def instrument():
    return load_instrument()


def test_question_ids_in_codebook_order(instrument):
    assert len(ALL_IDS) == 69
    assert [v.id for v in instrument.questions] == ALL_IDS


def test_parts_ids_titles_and_members(instrument):
    assert [(p.id, p.title) for p in instrument.parts] == PARTS
    for part in instrument.parts:
        assert [v.id for v in part.variables] == IDS_BY_PART[part.id], part.id


def test_types(instrument):
    assert list(TYPES) == ALL_IDS
    assert {v.id: v.type for v in instrument.questions} == TYPES


def test_routing(instrument):
    routed = {v.id: v.asked_if for v in instrument.questions if v.asked_if}
    assert routed == ASKED_IF


def test_choice_codes(instrument):
    with_lists = {v.id for v in instrument.questions if v.type in ("single", "multi")}
    assert with_lists == set(CHOICE_CODES)
    for var_id, codes in CHOICE_CODES.items():
        variable = instrument.variable(var_id)
        assert variable.choices == CHOICE_LIST_NAMES[var_id], var_id
        assert [c.code for c in instrument.choices(variable)] == codes, var_id


def test_tender_outcome_labels(instrument):
    labels = {c.code: c.label for c in instrument.choices("q21_change_of_provider")}
    assert labels == {"yes": "Yes", "no": "No", "not_completed": "Process not yet completed"}


def test_guidance_labels(instrument):
    assert instrument.variable("q11a_swia_usefulness").label == "SWIA guidance"
    assert instrument.variable("q12a_sg_usefulness").label == "SG/COSLA guidance"


def test_every_closed_variable_has_a_label(instrument):
    closed = [v for v in instrument.questions if v.is_closed]
    assert closed
    missing = [v.id for v in closed if not (v.label and v.label.strip())]
    assert missing == []


def test_numbers_run_1_to_26(instrument):
    leading = set()
    for v in instrument.questions:
        if v.number:
            match = re.fullmatch(r"(\d+)[a-z]?", v.number)
            assert match, (v.id, v.number)
            leading.add(int(match.group(1)))
    assert leading == set(range(1, 27))


def test_numbers_are_unique(instrument):
    numbers = [v.number for v in instrument.questions if v.number]
    assert len(numbers) == len(set(numbers))


def test_lead_ins(instrument):
    lead_ins = {v.id: v.lead_in for v in instrument.questions if v.lead_in}
    assert lead_ins == {
        "q2_strategy_involvement": "For this client group, over the last 18 months:",
        "q6_why_least": "For this client group, over the last 18 months:",
        "q21_change_of_provider": "Thinking about this last tendering exercise:",
    }


def test_in_house_share_help(instrument):
    assert instrument.variable("q24_inhouse_pct").help == (
        "Record the in-house share. Type 30:70, 30/70, 30% or 30; "
        "the two parts of a ratio must add up to 100."
    )
