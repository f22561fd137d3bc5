"""Tests of msomodel.rules: the bundled data, the seed's statements, lookups, structures,
conditional routes and fee rules. Dates: tests/test_rules_dates.py; loader and overlays:
tests/test_rules_loader.py; CLI and map: tests/test_rules_cli.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msomodel.rules import (
    DISCLAIMER,
    LICENCES,
    OPTIONS,
    STATE_NAMES,
    OwnershipShare,
    assess_feasibility,
    assess_structures,
    condition_costs,
    deal_warnings,
    fee_policy,
    format_rules,
    known_condition_ids,
    load_rulebook,
    lookup,
)
from msomodel.rules.loader import DEFAULT_PATH

SEED = "Pabau blog"
DAY = dt.date(2026, 12, 2)
OFFICIAL_OR_LAW = {"official", "law_firm"}


def codes(warnings) -> set[str]:
    return {w.code for w in warnings}


def cites_seed(rule) -> bool:
    return any(s.citation.startswith(SEED) for s in rule.sources)


def seed_says(rule) -> str:
    return " ".join(s.says for s in rule.sources if s.citation.startswith(SEED))


# --- the bundled data -----------------------------------------------------------------


def test_every_jurisdiction_and_licence_has_records_with_sources_confidence_and_reason():
    book = load_rulebook()
    assert set(book.states) == set(STATE_NAMES) and len(book.states) == 51
    for state in STATE_NAMES:
        for lic in LICENCES:
            periods = book.periods[(state, lic)]
            assert periods, (state, lic)
            for rule in periods:
                assert rule.sources and all(s.says for s in rule.sources), (state, lic)
                assert rule.confidence in {"high", "medium", "low"}
                assert rule.confidence_reason.strip(), (state, lic)
                assert rule.last_checked is not None and rule.last_checked <= DAY


@settings(max_examples=200, deadline=None)
@given(
    state=st.sampled_from(sorted(STATE_NAMES)),
    licence=st.sampled_from(LICENCES),
    on=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)),
)
def test_property_every_state_licence_and_date_answers_with_source_confidence_reason(
    state, licence, on
):
    rule = lookup(state, licence, on=on)
    assert rule.in_data and rule.in_force(on)
    assert rule.sources and rule.confidence in {"high", "medium", "low"}
    assert rule.confidence_reason
    found = assess_structures(state, licence, on=on)
    assert set(found) == {"direct", "friendly_pc"}
    for f in found.values():
        assert f.status in {"feasible", "feasible_with_conditions", "contested", "unknown",
                            "infeasible"}
        assert f.sources and f.reasons
    # contested or low confidence is never shown as plain feasible
    if rule.ownership == "contested" or rule.confidence == "low":
        assert found["direct"].status not in {"feasible", "feasible_with_conditions"}


def test_load_is_cached_and_default_path_is_the_data_directory():
    assert load_rulebook() is load_rulebook()
    assert load_rulebook(DEFAULT_PATH) is load_rulebook()
    assert DEFAULT_PATH.is_dir() and (DEFAULT_PATH / "common.yaml").exists()
    assert len(list((DEFAULT_PATH / "states").glob("*.yaml"))) == 51


def test_physicians_may_own_everywhere_for_every_option():
    for state in load_rulebook().states:
        for kind in ("owned", "third_party"):
            result = assess_feasibility(state, "physician", mso_kind=kind, on=DAY)
            assert {v.status for v in result.values()} <= {"feasible", "feasible_with_conditions"}
    # only Rhode Island's facility license adds a condition for a physician today
    assert assess_structures("RI", "physician", on=DAY)["direct"].conditions[0].id == (
        "ri_medspa_facility_licence")
    assert assess_structures("TX", "physician", on=DAY)["direct"].status == "feasible"


def test_contested_records_keep_every_side():
    contested = [r for r in load_rulebook().all_rules() if r.ownership == "contested"]
    assert len(contested) >= 40
    for rule in contested:
        assert len({s.citation for s in rule.sources}) >= 2
        assert len(set(rule.readings)) >= 2
        assert rule.confidence in {"medium", "low"} and rule.mso_required is None


def test_many_states_cite_an_official_or_law_firm_source_and_two_independent_sources():
    book = load_rulebook()
    strong = {s for (s, _), rules in book.periods.items()
              if any(src.kind in OFFICIAL_OR_LAW for r in rules for src in r.sources)}
    assert len(strong) >= 40
    two = [(s, lic) for (s, lic), rules in book.periods.items()
           if all(len({src.citation for src in r.sources}) >= 2 for r in rules)]
    assert len(two) >= 0.8 * len(book.periods)


def test_practice_authority_is_kept_apart_from_ownership():
    # Full practice authority for NPs in DC and Washington, yet ownership goes through an MSO
    # (DC) or is contested (WA): the two answers do not follow each other.
    dc = lookup("DC", "np", on=DAY)
    assert dc.practice_authority.value == "full" and dc.ownership == "mso_required"
    # Restricted practice in Florida, yet an NP may own with the clinic license.
    fl = lookup("FL", "np", on=DAY)
    assert fl.practice_authority.value == "restricted" and fl.ownership == "with_licence"
    assert lookup("FL", "rn", on=DAY).practice_authority is None


def test_to_dict_is_json_ready():
    text = json.dumps(load_rulebook().to_dict())
    assert '"effective_from": "2026-07-01"' in text
    json.dumps({k: v.to_dict() for k, v in assess_structures("OH", "np", on=DAY).items()})


def test_known_condition_ids_include_every_period_and_the_structures():
    ids = known_condition_ids()
    assert {"pa_supervision", "np_collaboration", "physician_medical_director", "friendly_pc",
            "fl_clinic_licence", "ma_dph_clinic_licence", "az_health_services_licence",
            "ri_medspa_facility_licence", "or_sb951_admin_only_msa",
            "vt_act133_admin_only_msa"} <= ids


def test_every_condition_cost_has_provenance():
    for c in load_rulebook().conditions.values():
        if c.default_cost_usd_per_month is not None or c.default_cost_usd_one_time is not None:
            assert c.cost_source or (c.cost_is_assumption and c.cost_rationale), c.id


# --- one test per statement the seed makes -------------------------------------------


@pytest.mark.parametrize("state", ["WA", "MI", "TX", "PA", "CA", "AZ"])
@pytest.mark.parametrize("licence", ["np", "pa", "rn", "none"])
def test_seed_mso_required_states_keep_the_seed(state, licence):
    """Seed: WA, MI, TX, PA, CA and AZ require an MSO for non-physician owners."""
    rule = lookup(state, licence, on=DAY)
    direct = assess_structures(state, licence, on=DAY)["direct"]
    if rule.ownership == "contested":
        assert cites_seed(rule), "a contested record must keep the seed as one side"
        assert "MSO" in seed_says(rule) and "mso_required" in rule.readings
        assert direct.status == "contested"
    else:
        assert rule.ownership in {"mso_required", "minority_share"}
        assert rule.mso_required is True
        assert direct.status in {"infeasible", "contested"}
        if cites_seed(rule):
            assert "MSO" in seed_says(rule)


@pytest.mark.parametrize("state", ["IL", "NC"])
def test_seed_rn_needs_mso_in_illinois_and_north_carolina(state):
    rule = lookup(state, "rn", on=DAY)
    assert rule.ownership == "mso_required" and rule.mso_required is True
    assert cites_seed(rule)
    assert assess_structures(state, "rn", on=DAY)["direct"].status == "infeasible"


@pytest.mark.parametrize("licence", ["np", "pa"])
def test_seed_np_pa_need_no_mso_in_north_carolina_but_co_own_with_a_physician(licence):
    rule = lookup("NC", licence, on=DAY)
    assert rule.mso_required is False and cites_seed(rule)
    assert rule.ownership == "co_own"
    direct = assess_structures("NC", licence, on=DAY)["direct"]
    assert direct.status == "feasible_with_conditions"
    assert "co-own with physicians" in direct.reasons[0]
    alone = assess_structures("NC", licence, ownership=[{"licence": licence, "share": 1.0}],
                              on=DAY)["direct"]
    assert alone.status == "infeasible"


@pytest.mark.parametrize("licence", ["np", "pa"])
def test_seed_np_pa_need_no_mso_in_illinois_but_strict_reading_disagrees(licence):
    rule = lookup("IL", licence, on=DAY)
    assert rule.ownership == "contested"
    citations = [s.citation for s in rule.sources]
    assert any(c.startswith(SEED) for c in citations)
    assert any("Medical Corporation Act" in c for c in citations)
    assert assess_structures("IL", licence, on=DAY)["direct"].status == "contested"


def test_seed_ohio_rn_needs_no_mso():
    rule = lookup("OH", "rn", on=DAY)
    assert (rule.ownership, rule.mso_required, rule.conditions) == ("yes", False, ())
    assert cites_seed(rule)
    assert assess_structures("OH", "rn", on=DAY)["direct"].status == "feasible"


def test_seed_ohio_pa_needs_supervision_agreement():
    rule = lookup("OH", "pa", on=DAY)
    assert rule.mso_required is False and cites_seed(rule)
    assert [c.id for c in rule.conditions] == ["pa_supervision"]
    direct = assess_structures("OH", "pa", on=DAY)["direct"]
    assert direct.status == "feasible_with_conditions"
    assert direct.monthly_cost_usd > 0 and direct.conditions[0].kind == "supervision_agreement"
    feas = assess_feasibility("OH", "pa", mso_kind="owned", on=DAY)
    for option in OPTIONS:
        assert [c.kind for c in feas[option].conditions] == ["supervision_agreement"]


def test_seed_ohio_np_needs_collaboration_agreement():
    rule = lookup("OH", "np", on=DAY)
    assert rule.mso_required is False and cites_seed(rule)
    assert [c.id for c in rule.conditions] == ["np_collaboration"]
    direct = assess_structures("OH", "np", on=DAY)["direct"]
    assert direct.status == "feasible_with_conditions"
    assert direct.conditions[0].kind == "collaboration_agreement"


# --- lookup -------------------------------------------------------------------------------


def test_lookup_is_case_insensitive_and_accepts_full_names():
    assert lookup("oh", "NP", on=DAY) == lookup("Ohio", "nurse practitioner", on=DAY)
    assert lookup("texas", "RN", on=DAY) == lookup("TX", "registered nurse", on=DAY)
    assert lookup("District of Columbia", "lay owner", on=DAY).state == "DC"
    assert lookup("new york", "Physician Assistant", on=DAY).licence == "pa"


def test_unknown_licence_and_state_raise():
    with pytest.raises(ValueError, match="physician, np, pa, rn, none"):
        lookup("OH", "dentist")
    with pytest.raises(ValueError, match="unknown state"):
        lookup("XX", "np")


# --- structures ---------------------------------------------------------------------------


def test_texas_rn_must_use_owned_mso_and_friendly_pc():
    found = assess_structures("TX", "rn", on=DAY)
    assert found["direct"].status == "infeasible"
    assert "must use owned MSO + friendly PC" in found["direct"].reasons[0]
    fpc = found["friendly_pc"]
    assert fpc.status == "feasible_with_conditions"
    assert {"friendly_pc", "msa_fair_market_value"} <= {c.kind for c in fpc.conditions}


def test_minority_stake_only_checks_the_split_against_min_physician_share():
    assert assess_structures("CA", "np", on=DAY)["direct"].status == "infeasible"
    assert "minority stake only" in assess_structures("CA", "np", on=DAY)["direct"].reasons[0]
    majority = [{"licence": "physician", "share": 0.51}, {"licence": "np", "share": 0.49}]
    ok = assess_structures("CA", "np", ownership=majority, on=DAY)["direct"]
    assert ok.status == "feasible_with_conditions" and ok.conditions[0].kind == "physician_majority"
    half = [OwnershipShare("physician", 0.5), OwnershipShare("np", 0.5)]
    assert assess_structures("CA", "np", ownership=half, on=DAY)["direct"].status == "infeasible"
    # Texas records no explicit floor: "more than half" applies, so 50% is not enough.
    tx_half = [OwnershipShare("physician", 0.5), OwnershipShare("pa", 0.5)]
    assert assess_structures("TX", "pa", ownership=tx_half, on=DAY)["direct"].status == "infeasible"


def test_bad_ownership_split_raises():
    with pytest.raises(ValueError, match="more than 1"):
        assess_structures("CA", "np", ownership=[OwnershipShare("physician", 0.8),
                                                  OwnershipShare("np", 0.4)])


@pytest.mark.parametrize(("state", "licence"), [("AZ", "none"), ("IL", "np"), ("PA", "np")])
def test_contested_reads_contested_and_names_every_source(state, licence):
    rule = lookup(state, licence, on=DAY)
    found = assess_structures(state, licence, on=DAY)
    assert found["direct"].status == "contested"
    assert "contested: consult counsel" in found["direct"].reasons[-1]
    for source in rule.sources:
        assert source.citation in found["direct"].reasons[0]
    assert found["friendly_pc"].status == "feasible_with_conditions"


def test_low_confidence_permissive_answer_reads_contested_not_feasible():
    rule = lookup("WY", "none", on=DAY)
    assert rule.ownership == "yes" and rule.confidence == "low"
    found = assess_structures("WY", "none", on=DAY)["direct"]
    assert found.status == "contested" and "confidence is low" in found.reasons[-1]


def test_friendly_pc_never_infeasible_and_direct_follows_the_record():
    book = load_rulebook()
    for (state, lic), rule in book.rules.items():
        found = assess_structures(state, lic, rulebook=book)
        assert found["friendly_pc"].status == "feasible_with_conditions", (state, lic)
        infeasible = found["direct"].status == "infeasible"
        assert infeasible == (rule.ownership in {"mso_required", "minority_share"}), (state, lic)


def test_assess_feasibility_still_works_for_its_last_caller():
    feas = assess_feasibility("TX", "rn", mso_kind="owned", on=DAY)
    assert feas["self_managed"].status == "infeasible"
    assert feas["mso"].status == "feasible_with_conditions"
    assert assess_feasibility("TX", "rn", mso_kind="third_party", on=DAY)["mso"].status == (
        "infeasible"
    )
    with pytest.raises(ValueError, match="owned, third_party"):
        assess_feasibility("OH", "np", mso_kind="franchise")


# --- conditional routes (one test each) ---------------------------------------------------


def _route(state, licence):
    found = assess_structures(state, licence, on=DAY)["direct"]
    return lookup(state, licence, on=DAY), found


def test_route_florida_lay_owner_needs_ahca_clinic_licence_and_director():
    rule, found = _route("FL", "none")
    assert rule.ownership == "with_licence" and rule.mso_required is False
    assert [c.id for c in rule.conditions] == ["fl_clinic_licence", "fl_clinic_director"]
    assert found.status == "feasible_with_conditions"
    costs = condition_costs(found.conditions)
    assert costs.monthly_usd == 100 + 3000 and costs.one_time_usd == 2500
    assert set(costs.assumed) == {"fl_clinic_licence", "fl_clinic_director"}


def test_route_massachusetts_lay_owner_needs_dph_clinic_licence():
    rule, found = _route("MA", "none")
    assert rule.ownership == "with_licence" and rule.confidence == "high"
    assert "ma_dph_clinic_licence" in {c.id for c in found.conditions}
    assert any("mass.gov" in (s.url or "") for s in rule.sources)
    # an independent-practice NP owns without the clinic license (per DPH counsel's opinion)
    assert lookup("MA", "np", on=DAY).ownership == "yes"


def test_route_arizona_unlicensed_owner_needs_adhs_licence_but_is_contested():
    rule, found = _route("AZ", "none")
    assert set(rule.readings) == {"mso_required", "with_licence"}
    assert "az_health_services_licence" in {c.id for c in found.conditions}
    assert found.status == "contested"


def test_route_rhode_island_facility_licence_after_the_act():
    before = lookup("RI", "none", on=dt.date(2026, 6, 30))
    after = lookup("RI", "none", on=dt.date(2026, 7, 1))
    assert "ri_medspa_facility_licence" not in {c.id for c in before.conditions}
    assert "ri_medspa_facility_licence" in {c.id for c in after.conditions}
    assert "with_licence" in after.readings


def test_route_ohio_lay_owner_needs_a_physician_medical_director():
    rule, found = _route("OH", "none")
    assert rule.ownership == "yes"
    assert [c.id for c in found.conditions] == ["physician_medical_director"]
    assert found.monthly_cost_usd == 3000


def test_route_connecticut_statute_requires_a_clinician_condition():
    rule, found = _route("CT", "none")
    assert "ct_medspa_clinician" in {c.id for c in rule.conditions}
    assert found.status == "contested"


def test_route_tennessee_pa_co_owns_a_pc_with_physicians():
    rule, found = _route("TN", "pa")
    assert rule.ownership == "co_own"
    assert {"physician_co_owner", "pa_supervision"} <= {c.id for c in found.conditions}


def test_route_oregon_friendly_pc_carries_sb951_condition():
    found = assess_structures("OR", "none", on=DAY)["friendly_pc"]
    assert "or_sb951_admin_only_msa" in {c.id for c in found.conditions}
    assert any("limits what the MSO may control" in r for r in found.reasons)


# --- fee rules (one test each) and the generic deal checks --------------------------------


def _state_rule_warnings(state, fee_type, on=DAY):
    return [w for w in deal_warnings(state=state, fee_type=fee_type, on=on)
            if w.code == "state_fee_rule"]


@pytest.mark.parametrize("fee_type", ["percentage", "tiered", "hybrid"])
def test_fee_rule_new_york_bars_percentage_of_billings(fee_type):
    (w,) = _state_rule_warnings("NY", fee_type)
    assert w.rule == "ny_percentage_of_billings" and w.severity == "high"
    assert "6530(19)" in w.message and "New York" in w.message
    assert any("6530(19)" in s.says for s in w.sources)
    assert _state_rule_warnings("NY", "fixed") == []


def test_fee_rule_florida_percentage_management_fee_is_a_split_fee():
    (w,) = _state_rule_warnings("FL", "percentage")
    assert w.rule == "fl_percentage_management_fee" and w.severity == "high"
    assert any("Novick" in s.citation for s in w.sources)
    general = deal_warnings(state="FL", fee_type="percentage", percent=0.12, on=DAY)
    assert "percentage_fee_splitting_risk" in codes(general)
    assert _state_rule_warnings("FL", "cost_plus") == []


def test_fee_rule_oregon_sb951_flat_fee_from_2026():
    (w,) = _state_rule_warnings("OR", "cost_plus", on=dt.date(2026, 1, 1))
    assert w.rule == "or_sb951_flat_fmv_fee" and "SB 951" in w.message
    assert _state_rule_warnings("OR", "percentage", on=dt.date(2025, 12, 31)) == []
    assert _state_rule_warnings("OR", "fixed", on=dt.date(2026, 1, 1)) == []


def test_fee_rule_illinois_percentage_only_within_the_billing_exception():
    (w,) = _state_rule_warnings("IL", "hybrid")
    assert w.rule == "il_22_2_percentage" and w.severity == "warning"
    assert "billing" in w.message


def test_florida_fixed_fee_is_clean_and_commission_is_high():
    assert deal_warnings(state="FL", fee_type="fixed", term_months=36, on=DAY) == []
    fl = deal_warnings(state="FL", fee_type="fixed", commission_on_medical_services=True, on=DAY)
    assert [(w.code, w.severity) for w in fl] == [("commission_fee_splitting_risk", "high")]


def test_percentage_fee_in_state_without_fee_rule_is_info():
    warnings = deal_warnings(state="OH", fee_type="percentage", percent=0.12, on=DAY)
    assert [(w.code, w.severity) for w in warnings] == [("percentage_fee_rules_unknown", "info")]


def test_generic_deal_checks():
    assert codes(deal_warnings(state="OH", fee_type="fixed", term_months=11)) == {"term_too_short"}
    assert deal_warnings(state="OH", fee_type="fixed", term_months=12) == []
    assert codes(deal_warnings(state="OH", fee_type="fixed", fee_changes_per_year=2)) == {
        "fee_changes_too_often"}
    assert codes(deal_warnings(state="TX", fee_type="fixed", percent=0.25)) == {
        "percent_outside_fmv_band"}
    assert codes(deal_warnings(state="TX", fee_type="fixed", owned_mso_pc_margin=0.2)) == {
        "pc_margin_not_break_even"}
    oh = deal_warnings(state="OH", fee_type="fixed", commission_on_medical_services=True)
    assert [(w.code, w.severity) for w in oh] == [("commission_fee_splitting_risk", "warning")]
    with pytest.raises(ValueError, match="fraction"):
        deal_warnings(state="OH", fee_type="percentage", percent=12)
    with pytest.raises(ValueError, match="fee_type"):
        deal_warnings(state="OH", fee_type="percent")


def test_fee_policy_records_sources_where_not_unknown():
    for code in STATE_NAMES:
        policy = fee_policy(code)
        if policy.fee_splitting != "unknown":
            assert policy.sources
    assert fee_policy("NY").fee_splitting == "strict"


# --- text ---------------------------------------------------------------------------------


def test_format_rules_ohio_has_everything_an_answer_needs():
    text = format_rules("OH", on=DAY)
    assert text.rstrip().endswith(DISCLAIMER)
    assert "not legal advice" in DISCLAIMER and "not been reviewed by counsel" in DISCLAIMER
    assert "last checked: 2026-12-02" in text and "confidence reason:" in text
    assert "source (vendor): Pabau blog" in text and "Thompson Hine" in text
    assert "<https://www.thompsonhine.com/" in text
    assert "practice authority (separate from ownership): reduced" in text
    assert "supervision_agreement" in text and "collaboration_agreement" in text
    for label in ("physician (MD/DO)", "nurse practitioner", "registered nurse", "lay owner"):
        assert label in text


def test_format_rules_contested_and_dated_changes():
    text = format_rules("VT", "none", on=DAY)
    assert "contested: consult counsel" in text
    assert "dated change 2026-07-01" in text
    one = format_rules("oh", "pa", on=DAY)
    assert "physician assistant" in one and "nurse practitioner:" not in one
