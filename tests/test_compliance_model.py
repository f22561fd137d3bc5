"""State rules inside the comparison: feasibility, condition costs, warnings, never recommending
an option the owner may not use."""

from __future__ import annotations

import numpy as np
import pytest

import msomodel
from tests.conftest import ROOT, build, raw


def _compare(name: str, **changes):
    data = raw(name)
    for key, value in changes.items():
        data[key] = value
    return msomodel.compare(build(data))


def test_texas_rn_gets_three_feasible_options_under_the_friendly_pc():
    r = _compare("texas_rn_single_site.yaml")
    # direct ownership is not lawful for an RN in Texas: the rules choose the friendly PC ...
    assert r.compliance.structures["direct"].status == "infeasible"
    assert r.structure == "friendly_pc" and r.compliance.structure_chosen_by == "rules"
    # ... and every management option is open under it
    assert {o: f.status for o, f in r.feasibility.items()} == dict.fromkeys(
        msomodel.OPTIONS, "feasible_with_conditions")
    d = r.to_dict()
    assert d["structure"]["id"] == "friendly_pc"
    assert d["structure"]["alternatives"]["direct"]["status"] == "infeasible"
    assert all(d["options"][o]["feasible"] for o in msomodel.OPTIONS)
    # every option has the two-entity P&L of the structure
    assert all(set(r.projections[o].entities) == {"pc", "mso"} for o in msomodel.OPTIONS)


@pytest.mark.parametrize("name", ["texas_rn_single_site.yaml", "california_np_three_sites.yaml",
                                  "florida_entrepreneur_five_sites.yaml"])
def test_bundled_non_physician_owners_get_three_comparable_options(name):
    r = _compare(name)
    assert r.structure == "friendly_pc"
    assert all(f.allowed for f in r.feasibility.values())
    assert r.decision.verdict in ("recommended", "too_close")
    assert r.decision.runner_up is not None


def test_no_lawful_structure_makes_every_option_infeasible_and_says_why(monkeypatch):
    from msomodel import rules
    from msomodel.rules.records import Feasibility

    def nowhere(*_, **__):
        return {"direct": Feasibility("infeasible", ["not here"]),
                "friendly_pc": Feasibility("infeasible", ["nor here"])}

    monkeypatch.setattr(rules, "assess_structures", nowhere)
    r = _compare("texas_rn_single_site.yaml")
    assert {f.status for f in r.feasibility.values()} == {"infeasible"}
    assert "No structure the state rules allow" in r.feasibility["mso"].reasons[0]
    assert r.decision.verdict == "no_lawful_option" and r.recommendation["option"] is None


def test_never_recommends_infeasible_option_even_if_best():
    data = raw("ohio_physician_single_site.yaml")
    data["infeasible"] = {"mso": {"reason": "the MSO will not take clients in this county"}}
    r = msomodel.compare(build(data))
    assert r.feasibility["mso"].status == "infeasible"
    assert r.recommendation["option"] != "mso"
    assert "Marked infeasible in the scenario" in r.feasibility["mso"].reasons[0]


def test_ohio_pa_owner_pays_for_supervision_agreement():
    base = _compare("ohio_physician_single_site.yaml")
    pa = _compare("ohio_physician_single_site.yaml", owner={"state": "OH", "licence": "pa"})
    cond = pa.compliance.options["self_managed"].conditions
    assert [c.id for c in cond] == ["pa_supervision"]
    monthly, once = cond[0].monthly, cond[0].one_time
    assert monthly > 0
    line = pa.monthly("self_managed")["conditions"]
    assert line.iloc[1:].to_numpy() == pytest.approx(np.full(60, monthly))
    assert pa.monthly("self_managed")["one_time"].iloc[0] == pytest.approx(once)
    # nothing else changes: EBITDA falls by exactly the condition cost
    diff = base.monthly("self_managed")["ebitda"] - pa.monthly("self_managed")["ebitda"]
    assert diff.iloc[1:].to_numpy() == pytest.approx(np.full(60, monthly))


def test_condition_cost_override_and_exclusion():
    over = _compare("ohio_physician_single_site.yaml", owner={"state": "OH", "licence": "np"},
                    compliance={"condition_costs": {"np_collaboration": {"monthly": 2222, "one_time": 0}}})
    c = over.compliance.options["self_managed"].conditions[0]
    assert (c.id, c.monthly, c.one_time, c.basis) == ("np_collaboration", 2222, 0, "scenario")
    off = _compare("ohio_physician_single_site.yaml", owner={"state": "OH", "licence": "np"},
                   compliance={"include_condition_costs": False})
    assert off.monthly("self_managed")["conditions"].sum() == 0


def test_friendly_pc_structure_costs_not_double_counted():
    r = _compare("texas_rn_single_site.yaml")
    for option in msomodel.OPTIONS:
        ids = [c.id for c in r.compliance.options[option].conditions]
        assert "friendly_pc" not in ids and "physician_medical_director" not in ids
    # in-house and software pay the MD agreement and PC administration themselves ...
    for option, implementation in (("self_managed", 0), ("software_only", 2500)):
        assert r.monthly(option)["structuring"].iloc[1] == pytest.approx(2000 + 750)
        assert r.monthly(option)["one_time"].iloc[0] == pytest.approx(25000 + implementation)
    # ... a third-party MSO that supplies the PC covers them with its fee
    assert r.monthly("mso")["structuring"].sum() == 0
    assert r.monthly("mso")["one_time"].iloc[0] == pytest.approx(10000)  # its onboarding only


def test_florida_percentage_fee_and_commission_warnings():
    data = raw("florida_entrepreneur_five_sites.yaml")
    data["mso"]["fee"] = {"type": "percentage", "percent": 0.25, "term_months": 6}
    data["site_defaults"]["staffing"]["roles"][3]["commission_rate"] = 0.1  # aesthetician
    r = msomodel.compare(build(data))
    codes = {w["code"] for w in r.warnings}
    assert {"percentage_fee_splitting_risk", "term_too_short", "percent_outside_fmv_band",
            "commission_fee_splitting_risk"} <= codes, codes
    assert all(w["sources"] for w in r.warnings)


def test_friendly_pc_margin_warning_is_about_the_management_fee():
    data = raw("florida_entrepreneur_five_sites.yaml")
    data["structure"]["friendly_pc"]["management_fee"]["per_site_monthly"] = 20000  # far below break-even
    r = msomodel.compare(build(data), trials=0)
    found = [w for w in r.warnings if w["code"] == "pc_margin_not_break_even"]
    assert found and found[0]["applies_to"] == "Management fee (PC to your MSO)"
    ok = msomodel.compare(build(raw("florida_entrepreneur_five_sites.yaml")), trials=0)
    assert "pc_margin_not_break_even" not in {w["code"] for w in ok.warnings}


def test_percentage_management_fee_in_florida_is_flagged_as_the_management_fee():
    data = raw("florida_entrepreneur_five_sites.yaml")
    data["structure"]["friendly_pc"]["management_fee"] = {"type": "percentage", "percent": 0.2}
    r = msomodel.compare(build(data), trials=0)
    risky = [w for w in r.warnings if w["code"] == "percentage_fee_splitting_risk"]
    assert [w["applies_to"] for w in risky] == ["Management fee (PC to your MSO)"]
    assert risky[0]["message"].startswith("Management fee (PC to your MSO): ")


def test_no_owner_means_rules_not_checked():
    r = msomodel.compare(msomodel.load_scenario("tests/cases/hand_worked.yaml"))
    assert r.compliance.checked is False
    assert all(f.status == "feasible" for f in r.feasibility.values())


def test_unknown_rule_is_unknown_not_error(monkeypatch):
    from msomodel import rules
    from msomodel.rules.records import Feasibility

    def unknown(*_, **__):
        return {s: Feasibility("unknown", ["unknown: consult counsel"]) for s in rules.STRUCTURES}

    monkeypatch.setattr(rules, "assess_structures", unknown)
    r = _compare("ohio_physician_single_site.yaml", owner={"state": "WY", "licence": "rn"})
    assert r.structure == "direct"
    assert {f.status for f in r.feasibility.values()} == {"unknown"}
    assert r.decision.leader is not None  # unknown is not a ban: counsel decides


def test_outputs_with_legal_content_name_sources_and_disclaimer(capsys):
    from msomodel.cli import main
    from msomodel.explorer.model import feasibility_notes

    r = _compare("texas_rn_single_site.yaml")
    cited = r.compliance.citations()
    assert any("hchlawyers" in c for c in cited)
    assert main(["compare", "scenarios/texas_rn_single_site.yaml"]) == 0
    out = capsys.readouterr().out
    assert "Sources: [1] " in out and "hchlawyers" in out and "not legal advice" in out
    notes = dict((text.split(":")[0], kind) for kind, text in feasibility_notes(r))
    assert "Sources" in notes


def test_florida_lay_owner_direct_needs_the_clinic_licence_the_friendly_pc_does_not():
    direct = _compare("florida_entrepreneur_five_sites.yaml",
                      structure={"type": "direct"})
    assert direct.structure == "direct" and direct.compliance.structure_chosen_by == "scenario"
    ids = {c.id for c in direct.compliance.options["self_managed"].conditions}
    assert "fl_clinic_licence" in ids
    assert direct.monthly("self_managed")["conditions"].sum() > 0
    pc = _compare("florida_entrepreneur_five_sites.yaml")
    assert pc.structure == "friendly_pc"
    assert not {c.id for c in pc.compliance.options["self_managed"].conditions}


def test_a_rule_change_within_the_horizon_is_a_dated_warning():
    fin = raw("ohio_physician_single_site.yaml")["finance"]
    before = _compare("ohio_physician_single_site.yaml", owner={"state": "WI", "licence": "np"},
                      finance={**fin, "start": "2026-01"})
    changes = [w for w in before.warnings if w["code"].startswith("rule_change_")]
    assert changes and changes[0]["date"] == "2026-09-01"
    assert "From 01 Sep 2026 (projection month 9)" in changes[0]["message"]
    after = _compare("ohio_physician_single_site.yaml", owner={"state": "WI", "licence": "np"},
                     finance={**fin, "start": "2026-10"})
    assert not [w for w in after.warnings if w["code"].startswith("rule_change_")]


def test_no_bundled_friendly_pc_leaves_the_pc_losing_money():
    """Every bundled friendly-PC scenario sets its management fee at or under the PC's
    break-even fee, as its comment says (the fee must follow the bundled base when it changes)."""
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        r = msomodel.compare(msomodel.load_scenario(path), trials=0)
        if r.structure == "friendly_pc":
            assert "pc_margin_not_break_even" not in {w["code"] for w in r.warnings}, path.name
