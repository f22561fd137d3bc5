"""The software option is credited only with what it does beyond the baseline's existing tool.

Hand-worked on tests/cases/hand_worked.yaml (admin payroll 3,520 in month 1; the offer saves
50 % of admin hours for 300 a month): with an existing tool already saving 20 %, the offer's
further saving is 1 - 0.5 / 0.8 = 37.5 %, i.e. 1,320 instead of 1,760, so software's month 1
is -3,720 + 1,320 - 300 = -2,700.00 (test_hand_worked.py has -2,260.00 without the tool).
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import msomodel
from msomodel.options.software import beyond
from tests.conftest import CASES


def _case(tmp_path, existing=None, software=None, opex=None, name="case.yaml"):
    data = yaml.safe_load((CASES / "hand_worked.yaml").read_text())
    if existing is not None:
        data["existing_software"] = existing
    data["software"].update(software or {})
    data["site_defaults"]["opex"].update(opex or {})
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return msomodel.compare(msomodel.load_scenario(path), trials=0)


def test_only_the_further_saving_counts_to_the_cent(tmp_path):
    c = _case(tmp_path, existing={"admin_hours_saved": 0.2})
    m1 = c.monthly("software_only").loc[1]
    assert m1["staff_admin"] == pytest.approx(3520.0 * 0.625, abs=0.005)
    assert c.projections["software_only"].net_cash_flow[0, 1] == pytest.approx(-2700.0, abs=0.005)


def test_an_offer_equal_to_the_existing_tool_equals_self_managed(tmp_path):
    # same effects, and its price replaces the tool's running cost one for one
    tool = {"opex_item": "booking_tool", "no_show_reduction": 0.3, "admin_hours_saved": 0.5,
            "online_booking_uplift": 0.02}
    c = _case(tmp_path, existing=tool,
              software={"per_location_monthly": 300, "no_show_reduction": 0.3,
                        "admin_hours_saved": 0.5, "online_booking_uplift": 0.02,
                        "replaces_opex": {"booking_tool": 1.0}},
              opex={"booking_tool": {"monthly": 300, "escalator_annual": 0.0}})
    np.testing.assert_allclose(c.projections["software_only"].net_cash_flow,
                               c.projections["self_managed"].net_cash_flow, atol=1e-6)
    assert c.incremental["software_only"]["npv"] == pytest.approx(0.0, abs=0.005)


def test_without_an_existing_tool_nothing_changes(tmp_path):
    c = _case(tmp_path)
    assert c.projections["software_only"].net_cash_flow[0, 1] == pytest.approx(-2260.0, abs=0.005)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 0.95), st.floats(0, 0.95))
def test_beyond_composes_back_to_the_offer(offer, existing):
    # (1 - existing) x (1 - further) = 1 - offer: the tool and the further effect make the offer
    further = beyond(np.array(offer), np.array(existing))
    assert (1 - existing) * (1 - further) == pytest.approx(1 - offer, abs=1e-12)
    assert (further >= 0) == (offer >= existing - 1e-15) or abs(offer - existing) < 1e-12
