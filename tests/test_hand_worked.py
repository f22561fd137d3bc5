"""A case worked by hand, month by month, asserted to the cent.

Self-managed, month 1 (ramp 50 %: 50 units at $200):
  revenue 10,000.00; product 25 % = 2,500.00; admin 20 $/h x 160 h x 1.10 load = 3,520.00;
  injector (24,000 / 12 + 20 % x 10,000) x 1.10 = 4,400.00; rent 3,000 + card 3 % = 3,300.00;
  EBITDA = 10,000 - 2,500 - 3,520 - 4,400 - 3,300 = -3,720.00
Month 2 (75 %): 15,000 - 3,750 - 3,520 - 5,500 - 3,450 = -1,220.00
Months 3-12 (100 %): 20,000 - 5,000 - 3,520 - 6,600 - 3,600 = 1,280.00
Months 13-24 (price +10 % -> 220; admin +5 %; rent +3 %):
  22,000 - 5,500 - 3,696 - 7,040 - (3,090 + 660) = 2,014.00
Start-up 10,000 at index 0; no loan, tax or exit.

Third-party MSO (flat 1,000/month, onboarding 500, admin and rent taken over, 10 % discount):
  m1: 10,000 - 2,250 - 4,400 - 300 - 1,000 = 2,050.00;  m2: 15,000 - 3,375 - 5,500 - 450 - 1,000
  = 4,675.00;  m3-12: 20,000 - 4,500 - 6,600 - 600 - 1,000 = 7,300.00;
  m13-24: 22,000 - 4,950 - 7,040 - 660 - 1,000 = 8,350.00;  index 0: -10,500.00
Software only (300/month, half the admin hours saved):
  m1: -3,720 + 1,760 - 300 = -2,260.00; m2: 240.00; m3-12: 2,740.00;
  m13-24: 2,014 + 1,848 - 300 = 3,562.00
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest

import msomodel
from tests.conftest import CASES

SELF = [-10000.0, -3720.0, -1220.0] + [1280.0] * 10 + [2014.0] * 12
MSO = [-10500.0, 2050.0, 4675.0] + [7300.0] * 10 + [8350.0] * 12
SOFT = [-10000.0, -2260.0, 240.0] + [2740.0] * 10 + [3562.0] * 12
R_MONTHLY = 1.12 ** (1 / 12) - 1


@pytest.fixture(scope="module")
def result():
    return msomodel.compare(msomodel.load_scenario(CASES / "hand_worked.yaml"))


def _hand_npv(flows: list[float]) -> float:
    return sum(cf / (1 + R_MONTHLY) ** m for m, cf in enumerate(flows))


@pytest.mark.parametrize("option,flows", [("self_managed", SELF), ("mso", MSO), ("software_only", SOFT)])
def test_monthly_cash_flow_to_the_cent(result, option, flows):
    got = result.projections[option].net_cash_flow[0]
    np.testing.assert_allclose(got, flows, rtol=0, atol=0.005)


def test_monthly_lines_self_managed(result):
    m = result.monthly("self_managed")
    np.testing.assert_allclose(m.loc[1, ["revenue", "product_cost", "staff_admin", "staff_clinical", "opex"]],
                               [10000.0, 2500.0, 3520.0, 4400.0, 3300.0], atol=0.005)
    np.testing.assert_allclose(m.loc[13, ["revenue", "product_cost", "staff_admin", "staff_clinical", "opex"]],
                               [22000.0, 5500.0, 3696.0, 7040.0, 3750.0], atol=0.005)
    assert m.loc[0, "capex"] == 10000.0


@pytest.mark.parametrize("option,flows", [("self_managed", SELF), ("mso", MSO), ("software_only", SOFT)])
def test_npv_matches_hand_sum_and_numpy_financial(result, option, flows):
    npv = result.metrics[option]["npv"]
    assert npv == pytest.approx(_hand_npv(flows), abs=0.005)
    assert npv == pytest.approx(npf.npv(R_MONTHLY, flows), rel=1e-12)


def test_irr_and_payback(result):
    irr_m = npf.irr(SELF)
    assert result.metrics["self_managed"]["irr_annual"] == pytest.approx((1 + irr_m) ** 12 - 1, rel=1e-9)
    # cumulative: -10,000, -13,720, -14,940, then +1,280/month: -14,940 + 10 x 1,280 = -2,140 at
    # month 12, then +2,014/month: month 13 -126, month 14 +1,888 -> payback month 14
    assert result.metrics["self_managed"]["payback_month"] == 14
    assert result.metrics["self_managed"]["peak_funding"] == pytest.approx(14940.0, abs=0.005)


def test_breakeven_flat_fee_closed_form(result):
    # MSO minus self-managed is linear in the flat fee f: d(f) = -500 + sum_m (g_m - f) v^m with
    # g = 6,770 (m1), 6,895 (m2), 7,020 (m3-12), 7,336 (m13-24) at f = 0.
    g = [6770.0, 6895.0] + [7020.0] * 10 + [7336.0] * 12
    v = [(1 + R_MONTHLY) ** -m for m in range(1, 25)]
    expected = (-500.0 + sum(gi * vi for gi, vi in zip(g, v, strict=True))) / sum(v)
    assert result.breakeven.level == pytest.approx(expected, rel=1e-9)
    assert result.breakeven.current == 1000.0


def test_incremental(result):
    inc = result.incremental["mso"]
    assert inc["npv"] == pytest.approx(_hand_npv(MSO) - _hand_npv(SELF), abs=0.01)
    # incremental flows: -500 at index 0, then +6,770 in month 1 -> payback month 1
    assert inc["payback_month"] == 1
    assert result.recommendation["option"] == "mso"


def test_annual_table(result):
    a = result.annual("self_managed")
    assert a.loc[1, "ebitda"] == pytest.approx(-3720 - 1220 + 1280 * 10, abs=0.005)
    assert a.loc[2, "ebitda"] == pytest.approx(2014 * 12, abs=0.005)
    assert a.loc[2, "ebitda_margin"] == pytest.approx(2014 / 22000, rel=1e-12)
    # year 1 includes the index-0 start-up flow
    assert a.loc[1, "net_cash_flow"] == pytest.approx(sum(SELF[:13]), abs=0.005)
