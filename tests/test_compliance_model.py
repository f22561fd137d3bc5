"""State rules inside the comparison: feasibility, condition costs, warnings, never recommending
an option the owner may not use."""

from __future__ import annotations

import numpy as np
import pytest

import msomodel
from tests.conftest import build, raw


def _compare(name: str, **changes):
    data = raw(name)
    for key, value in changes.items():
        data[key] = value
    return msomodel.compare(build(data))


def test_texas_rn_cannot_self_manage_and_owned_mso_is_recommended():
    r = _compare("texas_rn_single_site.yaml")
    assert r.feasibility["self_managed"].status == "infeasible"
    assert r.feasibility["software_only"].status == "infeasible"
    assert r.feasibility["mso"].status == "feasible_with_conditions"
    # self-managed has the higher NPV, but it is not open to an RN in Texas
    assert r.metrics["self_managed"]["npv"] > r.metrics["mso"]["npv"]
    assert r.recommendation["option"] == "mso"
    d = r.to_dict()
    assert d["options"]["self_managed"]["feasible"] is False
    assert d["compliance"]["options"]["self_managed"]["status"] == "infeasible"


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


def test_owned_mso_structure_not_double_counted():
    r = _compare("texas_rn_single_site.yaml")
    ids = [c.id for c in r.compliance.options["mso"].conditions]
    assert "friendly_pc" not in ids and "physician_medical_director" not in ids
    assert r.monthly("mso")["structuring"].iloc[1] == pytest.approx(2000 + 750)


def test_florida_percentage_fee_and_commission_warnings():
    data = raw("florida_entrepreneur_five_sites.yaml")
    data["mso"]["fee"] = {"type": "percentage", "percent": 0.25, "term_months": 6}
    data["site_defaults"]["staffing"]["roles"][3]["commission_rate"] = 0.1  # aesthetician
    r = msomodel.compare(build(data))
    codes = {w["code"] for w in r.warnings}
    assert {"percentage_fee_splitting_risk", "term_too_short", "percent_outside_fmv_band",
            "commission_fee_splitting_risk"} <= codes, codes
    assert all(w["sources"] for w in r.warnings)


def test_owned_mso_pc_margin_warning():
    data = raw("florida_entrepreneur_five_sites.yaml")
    data["mso"]["fee"]["per_site_monthly"] = 20000  # far below the PC's break-even fee
    r = msomodel.compare(build(data))
    assert "pc_margin_not_break_even" in {w["code"] for w in r.warnings}
    ok = msomodel.compare(build(raw("florida_entrepreneur_five_sites.yaml")))
    assert "pc_margin_not_break_even" not in {w["code"] for w in ok.warnings}


def test_no_owner_means_rules_not_checked():
    r = msomodel.compare(msomodel.load_scenario("tests/cases/hand_worked.yaml"))
    assert r.compliance.checked is False
    assert all(f.status == "feasible" for f in r.feasibility.values())


def test_unknown_state_is_unknown_not_error():
    r = _compare("ohio_physician_single_site.yaml", owner={"state": "WY", "licence": "rn"})
    assert {f.status for f in r.feasibility.values()} == {"unknown"}
    assert r.recommendation["option"] is not None  # unknown is not a ban: counsel decides


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
