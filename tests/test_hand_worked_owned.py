"""The hand-worked case (tests/cases/hand_worked.yaml) under the friendly-PC structure.

The owner's MSO manages a physician-owned PC for a flat management fee of 5,000/month; the PC
bears product cost, the injector, card processing (owned_mso_entity: pc), MD agreement 200 +
PC administration 100 per month; the MSO bears the admin role, rent and corporate overhead
300/month; legal structuring 1,000 at index 0.

In-house management (self-managed):
Months 3-12:  PC  = 20,000 - 5,000 - 6,600 - 600 - 300 - 5,000 = 2,500.00
              MSO = 5,000 - 3,520 - 3,000 - 300                 = -1,820.00
              consolidated = 680.00 (= direct self-managed 1,280 - 300 structuring - 300 overhead)
Month 1:      PC  = 10,000 - 2,500 - 4,400 - 300 - 300 - 5,000  = -2,500.00; MSO -1,820.00
Month 2:      PC  = 15,000 - 3,750 - 5,500 - 450 - 300 - 5,000  = 0.00;      MSO -1,820.00
Months 13-24: PC  = 22,000 - 5,500 - 7,040 - 660 - 300 - 5,000  = 3,500.00
              MSO = 5,000 - 3,696 - 3,090 - 300                 = -2,086.00
PC break-even fee: PC EBITDA at a zero fee sums to 2,500 + 5,000 + 10 x 7,500 + 12 x 8,500
= 184,500 over 24 months, so the fee is 184,500 / 24 = 7,687.50 per month.

Third-party MSO under the same structure (flat 1,000/month, onboarding 500 at index 0, takes
over the admin role and rent, 10 % purchasing discount; it does not supply the PC):
Months 3-12:  PC  = 20,000 - 4,500 - 6,600 - 600 - 300 - 5,000 = 3,000.00
              MSO = 5,000 - 1,000 (third-party fee) - 300       = 3,700.00
              consolidated = 6,700.00 (= direct third-party MSO 7,300 - 300 - 300)
Month 1:      PC  = 10,000 - 2,250 - 4,400 - 300 - 300 - 5,000  = -2,250.00; MSO 3,700.00
Months 13-24: PC  = 22,000 - 4,950 - 7,040 - 660 - 300 - 5,000  = 4,050.00; MSO 3,700.00
Index 0: -10,000 start-up - 1,000 structuring - 500 onboarding = -11,500.00

The owner's value is the MSO's: the PC's cash belongs to its physician owner, except that the
owner's MSO funds the PC's shortfalls and is repaid first (the PC's cumulative cash below zero).
In-house: PC cash -2,500 (m1), 0 (m2), 2,500 (m3-12), 3,500 (m13-24); cumulative -2,500, -2,500,
0, ... so the owner funds 2,500 in m1 and is repaid 2,500 in m3; from m4 the PC keeps its cash:
  owner: -11,000, -4,320, -1,820, 680, then -1,820 (m4-12) and -2,086 (m13-24): the MSO's EBITDA.
Third-party MSO: PC cash -2,250, 375, 3,000 ...; cumulative -2,250, -1,875, 1,125: the owner
funds 2,250, is repaid 375 (m2) and 1,875 (m3), then the PC keeps its cash:
  owner: -11,500, 1,450, 4,075, 6,700 - 1,125 = 5,575, then 3,700 a month (the MSO's EBITDA).

Self-managed + software (300/month, half the admin hours saved) under the same structure:
Months 3-12:  PC = 2,500.00 (as in-house); MSO = 5,000 - 1,760 - 3,000 - 300 (software) - 300
              = -360.00; consolidated 2,140.00 (= direct software 2,740 - 300 - 300)
"""

from __future__ import annotations

import numpy as np
import pytest

import msomodel
from tests.conftest import build, raw


@pytest.fixture(scope="module")
def result():
    data = raw("hand_worked.yaml")
    data["site_defaults"]["opex"]["card_processing"]["owned_mso_entity"] = "pc"
    data["structure"] = {"type": "friendly_pc", "friendly_pc": {
        "management_fee": {"type": "flat", "per_site_monthly": 5000},
        "medical_director_agreement_monthly": 200, "pc_administration_monthly": 100,
        "mso_overhead_monthly": 300, "structuring_legal_one_time": 1000}}
    return msomodel.compare(build(data), trials=0)


def test_structure_is_the_scenarios_choice(result):
    assert result.structure == "friendly_pc"
    assert result.compliance.structure_chosen_by == "scenario"


def test_pc_mso_and_consolidated_months(result):
    ent = result.projections["self_managed"].entities
    pc, mso = ent["pc"]["ebitda"][0], ent["mso"]["ebitda"][0]
    np.testing.assert_allclose(pc, [0, -2500, 0] + [2500] * 10 + [3500] * 12, atol=0.005)
    np.testing.assert_allclose(mso, [0] + [-1820] * 12 + [-2086] * 12, atol=0.005)
    consolidated = result.projections["self_managed"].company["ebitda"][0]
    np.testing.assert_allclose(consolidated, [0, -4320, -1820] + [680] * 10 + [1414] * 12, atol=0.005)


def test_cash_flow_and_entity_tables(result):
    cf = result.projections["self_managed"].net_cash_flow[0]
    np.testing.assert_allclose(cf, [-11000, -4320, -1820, 680] + [-1820] * 9 + [-2086] * 12,
                               atol=0.005)
    kept = result.projections["self_managed"].company["pc_retained"][0]
    np.testing.assert_allclose(kept, [0, 0, 0, 0] + [2500] * 9 + [3500] * 12, atol=0.005)
    tables = result.entity_annual("self_managed")
    assert tables["pc"].loc[2, "management_fee"] == pytest.approx(60000)
    assert tables["mso"].loc[2, "ebitda"] == pytest.approx(-2086 * 12, abs=0.005)


def test_third_party_mso_under_the_friendly_pc(result):
    ent = result.projections["mso"].entities
    np.testing.assert_allclose(ent["pc"]["ebitda"][0],
                               [0, -2250, 375] + [3000] * 10 + [4050] * 12, atol=0.005)
    np.testing.assert_allclose(ent["mso"]["ebitda"][0], [0] + [3700] * 24, atol=0.005)
    np.testing.assert_allclose(result.projections["mso"].net_cash_flow[0],
                               [-11500, 1450, 4075, 5575] + [3700] * 21, atol=0.005)


def test_software_under_the_friendly_pc(result):
    ent = result.projections["software_only"].entities
    np.testing.assert_allclose(ent["mso"]["ebitda"][0], [0] + [-360] * 12 + [-2086 + 1848 - 300] * 12,
                               atol=0.005)
    np.testing.assert_allclose(result.projections["software_only"].company["ebitda"][0, 3:13],
                               [2140] * 10, atol=0.005)


def test_pc_breakeven_fee(result):
    be = result.pc_breakeven
    assert be.target == "pc_breaks_even"
    assert be.level == pytest.approx(184500 / 24, rel=1e-9)
    assert be.current == 5000
    assert result.breakeven.target == "mso_vs_self_managed"  # the third-party fee's, as always


def test_the_owners_value_excludes_the_pcs_retained_profit(result):
    """Owner's NPV = the group's cash flow less what the PC's physician owner keeps."""
    from msomodel import finance

    p = result.projections["self_managed"]
    group = p.net_cash_flow[0] + p.company["pc_retained"][0]
    rate = finance.monthly_rate(0.12)
    kept = float(finance.npv(rate, p.company["pc_retained"][0]))
    assert kept > 0
    assert result.metrics["self_managed"]["npv"] == pytest.approx(
        float(finance.npv(rate, group)) - kept, abs=0.005)
    # the PC's cash is never the owner's beyond repaying what the MSO advanced
    pc = p.entities["pc"]["ebitda"][0]
    to_owner = pc - p.company["pc_retained"][0]
    assert to_owner.sum() == pytest.approx(0.0, abs=0.005) and to_owner.min() < 0
