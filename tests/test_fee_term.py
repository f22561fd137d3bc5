"""The MSO agreement's term is honoured: the fee reprices at each renewal as the scenario says.

Hand-worked on tests/cases/hand_worked.yaml (flat fee 1,000 per site per month): a 12-month
term with renewal_change +10 % pays 1,000 in months 1-12 and 1,100 in months 13-24, so the
MSO option's net cash flow in months 13-24 is 8,350 - 100 = 8,250.00 (test_hand_worked.py has
8,350.00 without the change).
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import msomodel
from msomodel.errors import ScenarioError
from tests.conftest import CASES

MSO = [-10500.0, 2050.0, 4675.0] + [7300.0] * 10 + [8250.0] * 12


def _case(tmp_path, **fee):
    data = yaml.safe_load((CASES / "hand_worked.yaml").read_text())
    data["mso"]["fee"].update(fee)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    return msomodel.compare(msomodel.load_scenario(path), trials=0)


def test_fee_reprices_at_renewal_to_the_cent(tmp_path):
    c = _case(tmp_path, term_months=12, renewal_change=0.10)
    fee = c.monthly("mso")["mso_fee"].to_numpy()
    np.testing.assert_allclose(fee[1:13], 1000.0, atol=0.005)
    np.testing.assert_allclose(fee[13:], 1100.0, atol=0.005)
    np.testing.assert_allclose(c.projections["mso"].net_cash_flow[0], MSO, atol=0.005)


def test_term_without_a_change_leaves_the_fee_alone(tmp_path):
    c = _case(tmp_path, term_months=6)
    np.testing.assert_allclose(c.monthly("mso")["mso_fee"].to_numpy()[1:], 1000.0, atol=0.005)


def test_each_renewal_compounds(tmp_path):
    c = _case(tmp_path, term_months=6, renewal_change=-0.05)
    fee = c.monthly("mso")["mso_fee"].to_numpy()
    for m in range(1, 25):
        assert fee[m] == pytest.approx(1000.0 * 0.95 ** ((m - 1) // 6), abs=0.005)


def test_a_renewal_change_beyond_its_range_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="renewal_change"):
        _case(tmp_path, renewal_change=5.0)
