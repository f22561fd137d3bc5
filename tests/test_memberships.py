"""Memberships as service credit, worked by hand on tests/cases/hand_worked.yaml.

10 members x $100 dues, 60 % redeemed on the treatment line (price $200 in year 1, $220 in year
2; product 25 % of price; card processing 3 % of revenue; no commission on dues):
  month 3 (ramp done): dues 1,000; credit 600 buys 3 treatments costing 150; card 30
    -> self-managed 1,280 + 1,000 - 150 - 30 = 2,100.00
  month 1 (ramp 50 %): 500 - 75 - 15 = +410 -> -3,720 + 410 = -3,310.00
  month 2 (ramp 75 %): 750 - 112.50 - 22.50 = +615 -> -1,220 + 615 = -605.00
  month 13: credit 600 buys 600 / 220 treatments, still costing 25 % x 600 = 150
    -> 2,014 + 1,000 - 150 - 30 = 2,834.00
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import msomodel
from msomodel.errors import ScenarioError
from tests.conftest import CASES

SELF = ([-10000.0, -3310.0, -605.0] + [2100.0] * 10 + [2834.0] * 12)


def _case(tmp_path, **line):
    data = yaml.safe_load((CASES / "hand_worked.yaml").read_text())
    data["site_defaults"]["service_lines"].append(
        {"name": "members", "kind": "membership", "volume_per_month": 10, "price": 100, **line})
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    return msomodel.compare(msomodel.load_scenario(path), trials=0)


def test_redeemed_credit_costs_the_treatments_product_to_the_cent(tmp_path):
    c = _case(tmp_path, redemption_share=0.6, redeemed_on="treatment")
    np.testing.assert_allclose(c.projections["self_managed"].net_cash_flow[0], SELF, atol=0.005)
    m = c.monthly("self_managed")
    assert m.loc[3, "product_cost"] == pytest.approx(5000.0 + 150.0, abs=0.005)


def test_credit_uses_provider_time(tmp_path):
    # 1 provider-hour per treatment: month 3 needs 100 + 3 credit treatments = 103 hours; with
    # 51.5 hours of capacity every capped line (treatments and memberships) is halved
    data = yaml.safe_load((CASES / "hand_worked.yaml").read_text())
    data["site_defaults"]["service_lines"][0]["provider_hours_per_unit"] = 1.0
    data["site_defaults"]["service_lines"].append(
        {"name": "members", "kind": "membership", "volume_per_month": 10, "price": 100,
         "redemption_share": 0.6, "redeemed_on": "treatment"})
    data["site_defaults"]["capacity"] = {"providers": 1, "hours_per_provider_month": 51.5,
                                         "utilisation": 1.0}
    path = tmp_path / "capped.yaml"
    path.write_text(yaml.safe_dump(data))
    m = msomodel.compare(msomodel.load_scenario(path), trials=0).monthly("self_managed")
    assert m.loc[3, "revenue"] == pytest.approx(0.5 * (20000.0 + 1000.0), abs=0.005)
    assert m.loc[3, "product_cost"] == pytest.approx(0.5 * (5000.0 + 150.0), abs=0.005)


def test_zero_redemption_is_dues_without_cost_stated_explicitly(tmp_path):
    c = _case(tmp_path, redemption_share=0.0)
    flows = c.projections["self_managed"].net_cash_flow[0]
    # dues 1,000 less card processing 30, nothing else (month 3)
    assert flows[3] == pytest.approx(1280.0 + 970.0, abs=0.005)


def test_a_membership_line_must_say_what_its_dues_buy(tmp_path):
    with pytest.raises(ScenarioError, match="redemption_share"):
        _case(tmp_path)
    with pytest.raises(ScenarioError, match="redeemed_on"):
        _case(tmp_path, redemption_share=0.5)
    with pytest.raises(ScenarioError, match="treatment lines"):
        _case(tmp_path, redemption_share=0.5, redeemed_on="members")
