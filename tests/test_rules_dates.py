"""Dated rules: one test per dated change (before and after its date) and rule_changes()."""

from __future__ import annotations

import datetime as dt

import pytest

from msomodel.rules import assess_structures, deal_warnings, lookup, rule_changes

D = dt.date


def direct(state, licence, on):
    return assess_structures(state, licence, on=on)["direct"]


def test_vermont_act_133_lay_owner_before_and_after_2026_07_01():
    before = lookup("VT", "none", on=D(2026, 6, 30))
    after = lookup("VT", "none", on=D(2026, 7, 1))
    assert before.ownership == "yes" and before.effective_to == D(2026, 6, 30)
    assert after.ownership == "contested" and after.effective_from == D(2026, 7, 1)
    assert set(after.readings) == {"minority_share", "mso_required"}
    assert direct("VT", "none", D(2026, 6, 30)).status == "feasible_with_conditions"
    assert direct("VT", "none", D(2026, 7, 1)).status == "contested"
    fpc = assess_structures("VT", "none", on=D(2026, 7, 1))["friendly_pc"]
    assert "vt_act133_admin_only_msa" in {c.id for c in fpc.conditions}
    pre = assess_structures("VT", "none", on=D(2026, 6, 30))["friendly_pc"]
    assert "vt_act133_admin_only_msa" not in {c.id for c in pre.conditions}


def test_wisconsin_act_17_np_practice_authority_before_and_after_2026_09_01():
    before = lookup("WI", "np", on=D(2026, 8, 31))
    after = lookup("WI", "np", on=D(2026, 9, 1))
    assert before.practice_authority.value == "reduced"
    assert after.practice_authority.value == "full"
    # practice authority changes; ownership does not
    assert before.ownership == after.ownership == "mso_required"
    assert direct("WI", "np", D(2026, 9, 1)).status == "infeasible"


def test_oregon_sb_951_friendly_pc_before_and_after_2026_01_01():
    before = assess_structures("OR", "rn", on=D(2025, 12, 31))["friendly_pc"]
    after = assess_structures("OR", "rn", on=D(2026, 1, 1))["friendly_pc"]
    assert "or_sb951_admin_only_msa" not in {c.id for c in before.conditions}
    assert "or_sb951_admin_only_msa" in {c.id for c in after.conditions}
    assert after.one_time_cost_usd > before.one_time_cost_usd
    assert lookup("OR", "rn", on=D(2025, 12, 31)).ownership == "mso_required"


def test_oregon_sb_951_fee_rule_before_and_after_2026_01_01():
    def rules(on):
        return [w.rule for w in deal_warnings(state="OR", fee_type="percentage", on=on)
                if w.code == "state_fee_rule"]
    assert rules(D(2025, 12, 31)) == []
    assert rules(D(2026, 1, 1)) == ["or_sb951_flat_fmv_fee"]


def test_rhode_island_facility_licensing_before_and_after_2026_07_01():
    assert direct("RI", "rn", D(2026, 6, 30)).status == "infeasible"
    after = direct("RI", "rn", D(2026, 7, 1))
    assert after.status == "contested"
    assert "ri_medspa_facility_licence" in {c.id for c in after.conditions}


def test_tennessee_medspa_registration_before_and_after_2016_01_01():
    before = assess_structures("TN", "rn", on=D(2015, 12, 31))["friendly_pc"]
    after = assess_structures("TN", "rn", on=D(2016, 1, 1))["friendly_pc"]
    assert "tn_medspa_registration" not in {c.id for c in before.conditions}
    assert "tn_medspa_registration" in {c.id for c in after.conditions}
    assert lookup("TN", "rn", on=D(2016, 1, 1)).ownership == "mso_required"
    doc = direct("TN", "physician", D(2016, 1, 1))
    assert "tn_medspa_registration" in {c.id for c in doc.conditions}
    assert "tn_medspa_registration" not in {
        c.id for c in direct("TN", "physician", D(2015, 12, 31)).conditions}


def test_california_ab_890_np_practice_authority_before_and_after_2026_01_01():
    assert lookup("CA", "np", on=D(2022, 12, 31)).practice_authority.value == "restricted"
    assert lookup("CA", "np", on=D(2023, 1, 1)).practice_authority.value == "restricted"
    before = lookup("CA", "np", on=D(2025, 12, 31))
    after = lookup("CA", "np", on=D(2026, 1, 1))
    assert before.practice_authority.value == "restricted"
    assert after.practice_authority.value == "full"
    # AB 890 is practice authority only: an NP still holds a minority of a medical corporation
    assert before.ownership == after.ownership == "minority_share"
    (change,) = rule_changes("CA", "np", D(2022, 1, 1), D(2027, 1, 1))
    assert change.kind == "practice_authority" and change.date == D(2026, 1, 1)


def test_rule_changes_vermont_lay_owner_within_a_horizon():
    (change,) = rule_changes("VT", "none", D(2026, 1, 1), D(2027, 12, 31))
    assert change.date == D(2026, 7, 1) and change.kind == "ownership"
    assert change.before == "owns outright"
    assert change.after.startswith("contested: consult counsel")
    assert (change.before_status, change.after_status) == ("feasible_with_conditions",
                                                           "contested")
    assert change.sources and "2026-07-01" in change.summary


def test_rule_changes_window_is_after_start_and_up_to_end():
    assert rule_changes("VT", "none", D(2026, 7, 1), D(2027, 1, 1)) == []  # strictly after start
    assert len(rule_changes("VT", "none", D(2026, 6, 30), D(2026, 7, 1))) == 1  # end inclusive
    assert rule_changes("VT", "none", D(2025, 1, 1), D(2026, 6, 30)) == []


def test_rule_changes_practice_authority_says_ownership_unchanged():
    (change,) = rule_changes("wisconsin", "nurse practitioner", D(2026, 1, 1), D(2027, 1, 1))
    assert change.kind == "practice_authority" and change.date == D(2026, 9, 1)
    assert (change.before, change.after) == ("practice authority reduced",
                                             "practice authority full")
    assert "does not by itself change who may own" in change.summary


def test_rule_changes_oregon_lists_the_friendly_pc_change_and_the_fee_rule():
    found = rule_changes("OR", "none", D(2025, 6, 1), D(2026, 6, 1))
    kinds = sorted(c.kind for c in found)
    assert kinds == ["fee_rule", "ownership"]
    own = next(c for c in found if c.kind == "ownership")
    assert "or_sb951_admin_only_msa" in own.summary


def test_rule_changes_none_for_a_state_without_dated_records():
    assert rule_changes("TX", "rn", D(2000, 1, 1), D(2100, 1, 1)) == []


def test_rule_changes_rejects_end_before_start():
    with pytest.raises(ValueError, match="before start"):
        rule_changes("TX", "rn", D(2027, 1, 1), D(2026, 1, 1))
