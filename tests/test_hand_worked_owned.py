"""The hand-worked case (tests/cases/hand_worked.yaml) under an owned MSO with a friendly PC.

Owned MSO: flat management fee 5,000/month; the PC bears product cost, the injector, card
processing (owned_mso_entity: pc), MD agreement 200 + PC administration 100 per month; the MSO
bears the admin role, rent and corporate overhead 300/month; legal structuring 1,000 at index 0.

Months 3-12:  PC  = 20,000 - 5,000 - 6,600 - 600 - 300 - 5,000 = 2,500.00
              MSO = 5,000 - 3,520 - 3,000 - 300                 = -1,820.00
              consolidated = 680.00 (= self-managed 1,280 - 300 structuring - 300 overhead)
Month 1:      PC  = 10,000 - 2,500 - 4,400 - 300 - 300 - 5,000  = -2,500.00; MSO -1,820.00
Month 2:      PC  = 15,000 - 3,750 - 5,500 - 450 - 300 - 5,000  = 0.00;      MSO -1,820.00
Months 13-24: PC  = 22,000 - 5,500 - 7,040 - 660 - 300 - 5,000  = 3,500.00
              MSO = 5,000 - 3,696 - 3,090 - 300                 = -2,086.00
PC break-even fee: PC EBITDA at a zero fee sums to 2,500 + 5,000 + 10 x 7,500 + 12 x 8,500
= 184,500 over 24 months, so the fee is 184,500 / 24 = 7,687.50 per month.
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
    data["mso"] = {"kind": "owned", "fee": {"type": "flat", "per_site_monthly": 5000},
                   "medical_director_agreement_monthly": 200, "pc_administration_monthly": 100,
                   "mso_overhead_monthly": 300, "structuring_legal_one_time": 1000}
    return msomodel.compare(build(data))


def test_pc_mso_and_consolidated_months(result):
    ent = result.projections["mso"].entities
    pc, mso = ent["pc"]["ebitda"][0], ent["mso"]["ebitda"][0]
    np.testing.assert_allclose(pc, [0, -2500, 0] + [2500] * 10 + [3500] * 12, atol=0.005)
    np.testing.assert_allclose(mso, [0] + [-1820] * 12 + [-2086] * 12, atol=0.005)
    consolidated = result.projections["mso"].company["ebitda"][0]
    np.testing.assert_allclose(consolidated, [0, -4320, -1820] + [680] * 10 + [1414] * 12, atol=0.005)


def test_cash_flow_and_entity_tables(result):
    cf = result.projections["mso"].net_cash_flow[0]
    np.testing.assert_allclose(cf, [-11000, -4320, -1820] + [680] * 10 + [1414] * 12, atol=0.005)
    tables = result.entity_annual()
    assert tables["pc"].loc[2, "management_fee"] == pytest.approx(60000)
    assert tables["mso"].loc[2, "ebitda"] == pytest.approx(-2086 * 12, abs=0.005)


def test_pc_breakeven_fee(result):
    be = result.breakeven
    assert be.target == "pc_breaks_even"
    assert be.level == pytest.approx(184500 / 24, rel=1e-9)
    assert be.current == 5000
