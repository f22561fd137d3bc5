"""Tests of msomodel.rules: the state-rules data, its loader, feasibility and deal warnings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from msomodel.rules import (
    DISCLAIMER,
    LICENCES,
    OPTIONS,
    OwnershipShare,
    RulesDataError,
    assess_feasibility,
    condition_costs,
    deal_warnings,
    fee_policy,
    format_rules,
    load_rulebook,
    lookup,
    read_rulebook,
)
from msomodel.rules.codes import DEAL_CHECK_CODES
from msomodel.rules.loader import DEFAULT_PATH

SEED = "Pabau blog"
REFERENCE_TABLE_STATES = "CA TX WA MI PA IL NC NJ NY CO AZ OH FL GA NV".split()
CHECKED = dt.date(2026, 11, 29)


def codes(warnings) -> set[str]:
    return {w.code for w in warnings}


def cites_seed(rule) -> bool:
    return any(s.citation.startswith(SEED) for s in rule.sources)


# --- the bundled data -----------------------------------------------------------------


def test_bundled_data_loads_and_covers_every_reference_state_and_licence():
    book = load_rulebook()
    assert set(REFERENCE_TABLE_STATES) <= set(book.states)
    for state in book.states:
        for lic in LICENCES:
            rule = book.rules[(state, lic)]
            assert rule.sources, (state, lic)
            assert rule.last_checked == CHECKED
            assert rule.confidence in {"high", "medium", "low"}


def test_load_is_cached():
    assert load_rulebook() is load_rulebook()
    assert load_rulebook(DEFAULT_PATH) is load_rulebook()


def test_physicians_may_own_everywhere_in_the_data_for_every_option():
    for state in load_rulebook().states:
        for kind in ("owned", "third_party"):
            result = assess_feasibility(state, "physician", mso_kind=kind)
            assert {k: v.status for k, v in result.items()} == dict.fromkeys(OPTIONS, "feasible")


def test_contested_records_have_two_sources_and_at_most_medium_confidence():
    contested = [r for r in load_rulebook().rules.values() if r.ownership == "contested"]
    assert {(r.state, r.licence) for r in contested} >= {
        ("IL", "np"),
        ("IL", "pa"),
        ("AZ", "none"),
        ("PA", "np"),
        ("NY", "np"),
        ("NV", "none"),
    }
    for rule in contested:
        assert len({s.citation for s in rule.sources}) >= 2
        assert rule.confidence in {"medium", "low"}
        assert rule.mso_required is None


def test_to_dict_is_json_ready():
    text = json.dumps(load_rulebook().to_dict())
    assert '"last_checked": "2026-11-29"' in text
    feas = assess_feasibility("OH", "np", mso_kind="owned")
    json.dumps({k: v.to_dict() for k, v in feas.items()})


# --- one test per statement the seed makes -------------------------------------------


@pytest.mark.parametrize("state", ["WA", "MI", "TX", "PA", "CA", "AZ"])
@pytest.mark.parametrize("licence", ["np", "pa", "rn", "none"])
def test_seed_mso_required_states_keep_the_seed_and_never_allow_plain_ownership(state, licence):
    """Seed: WA, MI, TX, PA, CA and AZ require an MSO for non-physician owners."""
    rule = lookup(state, licence)
    if rule.ownership == "contested":
        assert cites_seed(rule), "a contested record must keep the seed as one side"
        says = " ".join(s.says for s in rule.sources if s.citation.startswith(SEED))
        assert "MSO" in says
    elif cites_seed(rule):
        assert rule.mso_required is True
        assert rule.ownership in {"mso_required", "minority_share"}
    else:  # the seed is silent for this cell only when another source carries it
        assert rule.ownership in {"mso_required", "minority_share"}


@pytest.mark.parametrize("state", ["IL", "NC"])
def test_seed_rn_needs_mso_in_illinois_and_north_carolina(state):
    rule = lookup(state, "rn")
    assert rule.ownership == "mso_required" and rule.mso_required is True
    assert cites_seed(rule)


@pytest.mark.parametrize("licence", ["np", "pa"])
def test_seed_np_pa_need_no_mso_in_north_carolina(licence):
    rule = lookup("NC", licence)
    assert rule.mso_required is False
    assert cites_seed(rule)
    assert assess_feasibility("NC", licence, mso_kind="owned")["self_managed"].status == (
        "feasible_with_conditions"
    )


@pytest.mark.parametrize("licence", ["np", "pa"])
def test_seed_np_pa_need_no_mso_in_illinois_but_strict_reading_disagrees(licence):
    rule = lookup("IL", licence)
    assert rule.ownership == "contested"
    citations = [s.citation for s in rule.sources]
    assert any(c.startswith(SEED) for c in citations)
    assert any("Medical Corporation Act" in c for c in citations)


def test_seed_ohio_rn_needs_no_mso():
    rule = lookup("OH", "rn")
    assert (rule.ownership, rule.mso_required, rule.conditions) == ("yes", False, ())
    assert cites_seed(rule)
    feas = assess_feasibility("OH", "rn", mso_kind="third_party")
    assert {v.status for v in feas.values()} == {"feasible"}


def test_seed_ohio_pa_needs_supervision_agreement():
    rule = lookup("OH", "pa")
    assert rule.mso_required is False and cites_seed(rule)
    assert [c.kind for c in rule.conditions] == ["supervision_agreement"]
    feas = assess_feasibility("OH", "pa", mso_kind="owned")
    for option in OPTIONS:  # the PA owns the practice in every option here
        assert feas[option].status == "feasible_with_conditions"
        assert [c.kind for c in feas[option].conditions] == ["supervision_agreement"]


def test_seed_ohio_np_needs_collaboration_agreement():
    rule = lookup("OH", "np")
    assert rule.mso_required is False and cites_seed(rule)
    assert [c.kind for c in rule.conditions] == ["collaboration_agreement"]
    feas = assess_feasibility("OH", "np", mso_kind="third_party")
    assert feas["self_managed"].status == "feasible_with_conditions"
    assert feas["self_managed"].conditions[0].kind == "collaboration_agreement"


# --- lookup -------------------------------------------------------------------------------


def test_lookup_is_case_insensitive_and_accepts_names():
    assert lookup("oh", "NP") is lookup("OH", "np") is lookup("Ohio", "np")


def test_unknown_state_gives_synthetic_unknown_record_not_an_error():
    rule = lookup("WY", "rn")
    assert (rule.ownership, rule.confidence, rule.in_data) == ("unknown", "low", False)
    assert "unknown: consult counsel" in rule.notes
    feas = assess_feasibility("wy", "none", mso_kind="owned")
    assert {v.status for v in feas.values()} == {"unknown"}
    assert fee_policy("WY").fee_splitting == "unknown"


def test_unknown_licence_raises_with_allowed_values():
    with pytest.raises(ValueError, match="physician, np, pa, rn, none"):
        lookup("OH", "dentist")


def test_text_that_is_not_a_state_raises():
    with pytest.raises(ValueError, match="unknown state"):
        lookup("XX", "np")


def test_unknown_cell_in_known_state_is_unknown():
    feas = assess_feasibility("GA", "np", mso_kind="owned")
    assert feas["self_managed"].status == "unknown"
    assert "consult counsel" in feas["self_managed"].reasons[0]


# --- feasibility -------------------------------------------------------------------------


def test_texas_rn_self_managed_infeasible_owned_mso_with_conditions():
    feas = assess_feasibility("TX", "rn", mso_kind="owned")
    assert feas["self_managed"].status == "infeasible"
    assert feas["software_only"].status == "infeasible"
    mso = feas["mso"]
    assert mso.status == "feasible_with_conditions"
    assert {"friendly_pc", "msa_fair_market_value"} <= {c.kind for c in mso.conditions}


def test_third_party_mso_without_friendly_pc_does_not_fix_ownership():
    feas = assess_feasibility("TX", "rn", mso_kind="third_party")
    assert feas["mso"].status == "infeasible"
    with_pc = assess_feasibility("TX", "rn", mso_kind="third_party", mso_provides_friendly_pc=True)
    assert with_pc["mso"].status == "feasible_with_conditions"
    assert "friendly_pc" in {c.kind for c in with_pc["mso"].conditions}


@pytest.mark.parametrize(("state", "licence"), [("IL", "np"), ("AZ", "none"), ("NV", "none")])
def test_contested_gives_feasible_with_conditions_and_a_warning_naming_both_sources(state, licence):
    rule = lookup(state, licence)
    feas = assess_feasibility(state, licence, mso_kind="owned")
    self_managed = feas["self_managed"]
    assert self_managed.status == "feasible_with_conditions"
    warning = self_managed.reasons[0]
    assert warning.startswith("Warning: sources disagree")
    for source in rule.sources:
        assert source.citation in warning
    assert feas["mso"].status == "feasible_with_conditions"
    assert any(r.startswith("Warning") for r in feas["mso"].reasons)


def test_minority_share_needs_a_physician_majority_in_the_split():
    no_split = assess_feasibility("CA", "np", mso_kind="owned")
    assert no_split["self_managed"].status == "infeasible"
    majority = [{"licence": "physician", "share": 0.51}, {"licence": "np", "share": 0.49}]
    ok = assess_feasibility("CA", "np", ownership=majority, mso_kind="owned")
    assert ok["self_managed"].status == "feasible_with_conditions"
    assert ok["self_managed"].conditions[0].kind == "physician_majority"
    minority = [OwnershipShare("physician", 0.5), OwnershipShare("np", 0.5)]
    assert (
        assess_feasibility("CA", "np", ownership=minority, mso_kind="owned")["self_managed"].status
        == "infeasible"
    )
    # Texas records no explicit floor: "more than half" applies, so 50% is not enough.
    half = [OwnershipShare("physician", 0.5), OwnershipShare("pa", 0.5)]
    tx = assess_feasibility("TX", "pa", ownership=half, mso_kind="owned")
    assert tx["self_managed"].status == "infeasible"


def test_bad_ownership_split_raises():
    with pytest.raises(ValueError, match="more than 1"):
        assess_feasibility(
            "CA",
            "np",
            ownership=[OwnershipShare("physician", 0.8), OwnershipShare("np", 0.4)],
            mso_kind="owned",
        )


def test_florida_licence_route_and_condition_costs():
    feas = assess_feasibility("FL", "none", mso_kind="third_party")
    sm = feas["self_managed"]
    assert sm.status == "feasible_with_conditions"
    assert "clinic_licence" in {c.kind for c in sm.conditions}
    costs = condition_costs(sm.conditions)
    assert costs.monthly_usd == 100 + 3000
    assert costs.one_time_usd == 2500
    assert set(costs.assumed) == {c.id for c in sm.conditions}
    assert sm.monthly_cost_usd == costs.monthly_usd


def test_unknown_mso_kind_raises():
    with pytest.raises(ValueError, match="owned, third_party"):
        assess_feasibility("OH", "np", mso_kind="franchise")


def test_every_condition_cost_has_provenance():
    book = load_rulebook()
    conds = [c for r in book.rules.values() for c in r.conditions]
    conds += [c for s in book.structures.values() for c in s.conditions]
    for c in conds:
        if c.default_cost_usd_per_month is not None or c.default_cost_usd_one_time is not None:
            assert c.cost_source or (c.cost_is_assumption and c.cost_rationale), c.id


# --- deal warnings -----------------------------------------------------------------------


def test_florida_percentage_fee_warns():
    warnings = deal_warnings(state="FL", fee_type="percentage", percent=0.12)
    assert codes(warnings) == {"percentage_fee_splitting_risk"}
    assert warnings[0].severity == "high"
    assert warnings[0].sources


@pytest.mark.parametrize("fee_type", ["tiered", "hybrid"])
def test_florida_tiered_and_hybrid_fees_warn_too(fee_type):
    assert "percentage_fee_splitting_risk" in codes(deal_warnings(state="fl", fee_type=fee_type))


def test_florida_fixed_fee_is_clean():
    assert deal_warnings(state="FL", fee_type="fixed", term_months=36) == []


def test_percentage_fee_in_state_without_fee_rule_is_info():
    warnings = deal_warnings(state="OH", fee_type="percentage", percent=0.12)
    assert [(w.code, w.severity) for w in warnings] == [("percentage_fee_rules_unknown", "info")]


def test_term_under_twelve_months_warns():
    assert codes(deal_warnings(state="OH", fee_type="fixed", term_months=11)) == {"term_too_short"}
    assert deal_warnings(state="OH", fee_type="fixed", term_months=12) == []


def test_fee_changes_more_than_yearly_warn():
    assert codes(deal_warnings(state="OH", fee_type="fixed", fee_changes_per_year=2)) == {
        "fee_changes_too_often"
    }


def test_percent_above_band_asks_for_fair_market_value():
    warnings = deal_warnings(state="TX", fee_type="fixed", percent=0.25)
    assert codes(warnings) == {"percent_outside_fmv_band"}
    assert "fair market value" in warnings[0].message
    low = deal_warnings(state="TX", fee_type="fixed", percent=0.05)
    assert "below" in low[0].message
    assert deal_warnings(state="TX", fee_type="fixed", percent=0.18) == []


def test_pc_margin_far_from_break_even_warns():
    assert codes(deal_warnings(state="TX", fee_type="fixed", owned_mso_pc_margin=0.2)) == {
        "pc_margin_not_break_even"
    }
    assert codes(deal_warnings(state="TX", fee_type="fixed", owned_mso_pc_margin=-0.03)) == {
        "pc_margin_not_break_even"
    }
    assert deal_warnings(state="TX", fee_type="fixed", owned_mso_pc_margin=0.05) == []


def test_commission_warns_where_true_or_unknown():
    fl = deal_warnings(state="FL", fee_type="fixed", commission_on_medical_services=True)
    assert [(w.code, w.severity) for w in fl] == [("commission_fee_splitting_risk", "high")]
    oh = deal_warnings(state="OH", fee_type="fixed", commission_on_medical_services=True)
    assert [(w.code, w.severity) for w in oh] == [("commission_fee_splitting_risk", "warning")]


def test_deal_warnings_reject_bad_inputs():
    with pytest.raises(ValueError, match="fraction"):
        deal_warnings(state="OH", fee_type="percentage", percent=12)
    with pytest.raises(ValueError, match="fee_type"):
        deal_warnings(state="OH", fee_type="percent")


# --- text ---------------------------------------------------------------------------------


def test_format_rules_ohio_has_disclaimer_sources_and_dates():
    text = format_rules("OH")
    assert text.rstrip().endswith(DISCLAIMER)
    assert "not legal advice" in DISCLAIMER and "licensed in the state" in DISCLAIMER
    assert "last checked: 2026-11-29" in text
    assert "source: Pabau blog" in text and "source: Thompson Hine" in text
    assert "supervision_agreement" in text and "collaboration_agreement" in text
    for label in ("physician (MD/DO)", "nurse practitioner", "registered nurse", "lay owner"):
        assert label in text


def test_format_rules_one_licence_and_unknown_state():
    one = format_rules("oh", "pa")
    assert "physician assistant" in one and "nurse practitioner" not in one
    assert "consult counsel" in format_rules("WY") and DISCLAIMER in format_rules("WY")


# --- broken data files ------------------------------------------------------------------


def _minimal() -> dict:
    record = {
        "ownership": "yes",
        "mso_required": False,
        "sources": [{"ref": "src", "says": "Anyone may own."}],
        "confidence": "low",
        "last_checked": "2026-11-29",
    }
    return {
        "schema_version": 1,
        "bibliography": {"src": {"citation": "A source"}},
        "conditions": {
            "c": {
                "kind": "friendly_pc",
                "description": "PC",
                "default_cost_usd_one_time": 1,
                "cost_is_assumption": True,
                "cost_rationale": "test",
            },
        },
        "structures": {
            "owned_mso_friendly_pc": {
                "description": "owned MSO",
                "conditions": ["c"],
                "sources": [{"ref": "src", "says": "x"}],
            }
        },
        "deal_checks": {
            code: {"sources": [{"ref": "src", "says": "x"}]}
            for code in DEAL_CHECK_CODES
        },
        "states": {
            "OH": {
                "name": "Ohio",
                "fee_splitting": "unknown",
                "licences": {lic: dict(record) for lic in LICENCES},
            }
        },
    }


def _write(tmp_path: Path, data: dict, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_minimal_file_loads_through_the_path_entry_point(tmp_path):
    book = load_rulebook(_write(tmp_path, _minimal()))
    assert lookup("OH", "rn", rulebook=book).ownership == "yes"


def test_unknown_key_names_file_and_field_path(tmp_path):
    data = _minimal()
    data["states"]["OH"]["licences"]["np"]["ownr"] = "yes"
    path = _write(tmp_path, data)
    with pytest.raises(RulesDataError) as err:
        load_rulebook(path)
    assert str(path) in str(err.value)
    assert "states.OH.licences.np.ownr" in str(err.value)


def test_missing_source_names_file_and_field_path(tmp_path):
    data = _minimal()
    data["states"]["OH"]["licences"]["pa"]["sources"] = []
    path = _write(tmp_path, data)
    with pytest.raises(RulesDataError, match=r"states\.OH\.licences\.pa\.sources") as err:
        read_rulebook(path)
    assert str(path) in str(err.value)


def test_bad_state_code_names_file_and_field_path(tmp_path):
    data = _minimal()
    data["states"]["ZZ"] = data["states"].pop("OH")
    path = _write(tmp_path, data)
    with pytest.raises(RulesDataError, match=r"states\.ZZ: unknown state code 'ZZ'") as err:
        read_rulebook(path)
    assert str(path) in str(err.value)


def test_dangling_source_ref_is_reported(tmp_path):
    data = _minimal()
    data["states"]["OH"]["licences"]["rn"]["sources"][0]["ref"] = "nope"
    with pytest.raises(RulesDataError, match=r"states\.OH\.licences\.rn\.sources\.0\.ref"):
        read_rulebook(_write(tmp_path, data))


def test_contested_record_with_one_source_is_rejected(tmp_path):
    data = _minimal()
    data["states"]["OH"]["licences"]["np"].update(ownership="contested", mso_required=None)
    with pytest.raises(RulesDataError, match="at least two different sources"):
        read_rulebook(_write(tmp_path, data))


def test_bad_date_and_confidence_are_rejected(tmp_path):
    data = _minimal()
    data["states"]["OH"]["licences"]["np"]["last_checked"] = "2026-13-01"
    data["states"]["OH"]["licences"]["pa"]["confidence"] = "certain"
    with pytest.raises(RulesDataError) as err:
        read_rulebook(_write(tmp_path, data))
    assert "states.OH.licences.np.last_checked" in str(err.value)
    assert "states.OH.licences.pa.confidence" in str(err.value)


def test_duplicate_keys_are_rejected(tmp_path):
    path = tmp_path / "dup.yaml"
    text = yaml.safe_dump(_minimal(), sort_keys=False)
    path.write_text(text.replace("schema_version: 1\n", "schema_version: 1\nschema_version: 1\n"))
    with pytest.raises(RulesDataError, match="duplicate key 'schema_version'") as err:
        read_rulebook(path)
    assert str(path) in str(err.value)


def test_cost_without_provenance_is_rejected(tmp_path):
    data = _minimal()
    data["conditions"]["c"].pop("cost_is_assumption")
    with pytest.raises(RulesDataError, match=r"conditions\.c: a default cost needs cost_source"):
        read_rulebook(_write(tmp_path, data))


def test_owned_mso_is_never_infeasible_and_self_managed_follows_the_record():
    """Across all data: the owned MSO + friendly PC route is open wherever anything is known,
    and self-managed is infeasible exactly where the record says an MSO is required."""
    for (state, lic), rule in load_rulebook().rules.items():
        feas = assess_feasibility(state, lic, mso_kind="owned")
        assert feas["mso"].status != "infeasible", (state, lic)
        assert (feas["mso"].status == "unknown") == (rule.ownership == "unknown")
        infeasible = feas["self_managed"].status == "infeasible"
        assert infeasible == (rule.ownership in {"mso_required", "minority_share"}), (state, lic)
        assert feas["software_only"] == feas["self_managed"]
