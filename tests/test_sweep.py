"""A management fee that sweeps the friendly PC to a target margin, worked by hand.

tests/cases/hand_worked.yaml under the friendly PC (as in test_hand_worked_owned.py), the fee a
sweep to a 5 % PC margin: the PC's EBITDA before the fee in months 3-12 is 20,000 - 5,000 -
6,600 - 600 - 300 = 7,500, so the fee is 7,500 - 5 % x 20,000 = 6,500 and the PC keeps 1,000.
Month 1: 10,000 - 2,500 - 4,400 - 300 - 300 = 2,500 before the fee; fee 2,000, PC keeps 500.
"""

from __future__ import annotations

import numpy as np
import pytest

import msomodel
from tests.conftest import ROOT, build, raw


def _friendly(fee: dict, name: str = "hand_worked.yaml"):
    data = raw(name)
    data["site_defaults"]["opex"]["card_processing"]["owned_mso_entity"] = "pc"
    data["structure"] = {"type": "friendly_pc", "friendly_pc": {
        "management_fee": fee, "medical_director_agreement_monthly": 200,
        "pc_administration_monthly": 100, "mso_overhead_monthly": 300,
        "structuring_legal_one_time": 1000}}
    return msomodel.compare(build(data), trials=0)


def test_sweep_fee_to_the_cent():
    c = _friendly({"type": "sweep", "target_margin": 0.05})
    pc = c.projections["self_managed"].entities["pc"]
    assert pc["management_fee"][0, 3] == pytest.approx(6500.0, abs=0.005)
    assert pc["ebitda"][0, 3] == pytest.approx(1000.0, abs=0.005)
    assert pc["management_fee"][0, 1] == pytest.approx(2000.0, abs=0.005)
    assert c.pc_breakeven.level == 0.0


@pytest.mark.parametrize("target", [0.0, 0.02, 0.08])
def test_the_sweep_leaves_the_pc_at_its_target_every_year(target):
    data = raw("texas_rn_single_site.yaml")
    data["structure"]["friendly_pc"]["management_fee"] = {"type": "sweep", "target_margin": target}
    c = msomodel.compare(build(data), trials=0)
    for option in msomodel.OPTIONS:
        pc = c.entity_annual(option)["pc"]
        np.testing.assert_allclose(pc["ebitda"], target * pc["revenue"], atol=1e-6)


def test_a_sweep_is_checked_like_a_revenue_share_fee():
    data = raw("florida_entrepreneur_five_sites.yaml")
    data["structure"]["friendly_pc"]["management_fee"] = {"type": "sweep", "target_margin": 0.02}
    c = msomodel.compare(build(data), trials=0)
    mine = [w for w in c.warnings if w["applies_to"] == "Management fee (PC to your MSO)"]
    revenue_share = [w for w in mine if w["code"] in {"percentage_fee_splitting_risk",
                                                       "percentage_fee_rules_unknown"}]
    assert revenue_share
    # the founder agreed to a sweep, so the warning names a sweep, not a "percentage fee"
    for w in revenue_share:
        assert "A sweep fee (the PC's profit above its target margin)" in w["message"]
        assert "percentage fee" not in w["message"]
    assert (ROOT / "scenarios").is_dir()


def test_cost_plus_cost_base_includes_the_msos_own_costs_as_stated():
    # months 3-12: admin 3,520 + rent 3,000 (the MSO's) = 6,520; with the 300 corporate overhead
    # in the cost base 6,820; x 1.1 = 7,502.00 (7,172.00 without)
    with_overhead = _friendly({"type": "cost_plus", "markup": 0.1,
                               "cost_base_includes": ["overhead"]})
    plain = _friendly({"type": "cost_plus", "markup": 0.1})
    fee = with_overhead.projections["self_managed"].entities["pc"]["management_fee"][0]
    assert fee[3] == pytest.approx(7502.0, abs=0.005)
    assert plain.projections["self_managed"].entities["pc"]["management_fee"][0][3] == pytest.approx(
        7172.0, abs=0.005)
    # depreciation: 10,000 start-up over 84 months, all on the one site
    dep = _friendly({"type": "cost_plus", "markup": 0.1, "cost_base_includes": ["depreciation"]})
    assert dep.projections["self_managed"].entities["pc"]["management_fee"][0][3] == pytest.approx(
        (6520.0 + 10000.0 / 84) * 1.1, abs=0.005)


def test_only_the_management_fee_takes_the_msos_own_costs():
    from msomodel.errors import ScenarioError

    data = raw("hand_worked.yaml")
    data["mso"]["fee"] = {"type": "cost_plus", "markup": 0.2, "cost_base_includes": ["overhead"]}
    with pytest.raises(ScenarioError, match="management fee only"):
        build(data)
