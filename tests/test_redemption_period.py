"""Membership credit redeemed over ``redemption_months``, worked by hand on
tests/cases/hand_worked.yaml (see test_memberships.py for the same line redeemed at once).

10 members x $100 dues, 60 % redeemed on the treatment line (product 25 % of price), k = 3:
the dues billed in month m are recognized (and their credit redeemed) a third each in months
m, m+1, m+2.  Ramp 50 % / 75 % / 100 %: billed 500 / 750 / 1,000 / 1,000 ...
  recognised: m1 500/3 = 166.67; m2 1,250/3 = 416.67; m3 2,250/3 = 750; m4 2,750/3 = 916.67;
    m5 on 1,000
  credit product cost (0.6 x 25 % = 15 % of the dues billed, spread the same way):
    m1 25; m2 62.50; m3 112.50; m4 137.50; m5 on 150
  card processing 3 % of recognized revenue: m1 5; m2 12.50; m3 22.50; m4 27.50; m5 on 30
  deferred revenue (billed - recognized, cumulated): 333.33 / 666.67 / 916.67 / 1,000 ...
Cash = billed dues - the credit's cost - card (the deferral's increase is cash received):
  m1 -3,720 + 500 - 25 - 5 = -3,250.00;  m2 -1,220 + 750 - 62.50 - 12.50 = -545.00;
  m3 1,280 + 1,000 - 112.50 - 22.50 = 2,145.00;  m4 1,280 + 1,000 - 137.50 - 27.50 = 2,115.00;
  m5-12 2,100.00;  m13-23 2,014 + 1,000 - 150 - 30 = 2,834.00;
  m24: 2,834 less the 1,000 of credit still owed, which the buyer assumes (the sale price,
  0 x EBITDA here, is reduced by the deferred revenue): 1,834.00.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import msomodel
from msomodel import engine
from msomodel.errors import ScenarioError
from msomodel.export.cli import main as export_main
from msomodel.inputs import compile_inputs
from msomodel.operations import operate
from msomodel.options.statements import statements
from tests.conftest import CASES, ROOT, build, raw

SELF = ([-10000.0, -3250.0, -545.0, 2145.0, 2115.0] + [2100.0] * 8 + [2834.0] * 11
        + [1834.0])
MEMBERS = {"name": "members", "kind": "membership", "volume_per_month": 10, "price": 100,
           "redemption_share": 0.6, "redeemed_on": "treatment"}
PATH = "site_defaults.service_lines.members.redemption_months"


def _data(capacity: float | None = None, **line) -> dict:
    data = yaml.safe_load((CASES / "hand_worked.yaml").read_text())
    data["site_defaults"]["service_lines"].append({**MEMBERS, **line})
    if capacity is not None:
        data["site_defaults"]["service_lines"][0]["provider_hours_per_unit"] = 1.0
        data["site_defaults"]["capacity"] = {"providers": 1, "hours_per_provider_month": capacity,
                                             "utilisation": 1.0}
    return data


def _compare(tmp_path, data: dict):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    return msomodel.compare(msomodel.load_scenario(path), trials=0)


def test_credit_redeemed_over_three_months_to_the_cent(tmp_path):
    c = _compare(tmp_path, _data(redemption_months=3))
    p = c.projections["self_managed"]
    np.testing.assert_allclose(p.net_cash_flow[0], SELF, atol=0.005)
    m = c.monthly("self_managed")
    for month, revenue, cost in ((1, 500 / 3, 25.0), (2, 1250 / 3, 62.5), (3, 750.0, 112.5),
                                 (4, 2750 / 3, 137.5), (5, 1000.0, 150.0)):
        ramp = min(0.5 + 0.25 * (month - 1), 1.0)
        assert m.loc[month, "revenue"] == pytest.approx(20000 * ramp + revenue, abs=0.005)
        assert m.loc[month, "product_cost"] == pytest.approx(5000 * ramp + cost, abs=0.005)
    deferred = p.balances["deferred_revenue"][0]
    np.testing.assert_allclose(deferred[1:6], [1000 / 3, 2000 / 3, 2750 / 3, 1000, 1000],
                               atol=0.005)
    assert deferred[-1] == pytest.approx(1000.0, abs=0.005)


def test_one_month_is_todays_behaviour_exactly(tmp_path):
    today = _compare(tmp_path, _data())
    stated = _compare(tmp_path, _data(redemption_months=1))
    for option, p in today.projections.items():
        q = stated.projections[option]
        np.testing.assert_array_equal(p.net_cash_flow, q.net_cash_flow)
        for line in p.site:
            np.testing.assert_array_equal(p.site[line], q.site[line])
        assert not q.balances["deferred_revenue"].any()


def test_the_buyer_assumes_the_unredeemed_credit(tmp_path):
    # exit at 5 x EBITDA: trailing EBITDA is the same (steady dues recognized in full), so the
    # sale price differs only by the 1,000 of credit still owed
    at_once, spread = _data(), _data(redemption_months=3)
    for data in (at_once, spread):
        data["finance"]["exit_multiple"] = 5.0
    a = _compare(tmp_path, at_once).projections["self_managed"].company["exit_value"][0, -1]
    b = _compare(tmp_path, spread).projections["self_managed"].company["exit_value"][0, -1]
    assert a - b == pytest.approx(1000.0, abs=0.005)


def test_trials_sample_the_period_like_separate_runs(tmp_path):
    inputs = compile_inputs(build(_data(capacity=51.5)))
    assert PATH in inputs.paths
    batched = engine.run(inputs, 3, values={PATH: np.array([1.0, 3.0, 6.0])})
    for t, k in enumerate((1, 3, 6)):
        alone = engine.run(compile_inputs(build(_data(capacity=51.5, redemption_months=k))))
        for option, p in alone.items():
            np.testing.assert_allclose(batched[option].net_cash_flow[t], p.net_cash_flow[0],
                                       rtol=1e-10, atol=1e-6)
            np.testing.assert_allclose(batched[option].balances["deferred_revenue"][t],
                                       p.balances["deferred_revenue"][0], atol=1e-6)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.integers(1, 12), hours=st.floats(20.0, 120.0), share=st.floats(0.0, 1.0))
def test_redemptions_respect_capacity_and_dues_add_up(k, hours, share):
    line = {"redemption_months": k, "redemption_share": share}
    inputs = compile_inputs(build(_data(capacity=hours, **line)))
    x = inputs.batch()
    for uplift in (None, np.array([0.3])):
        op = operate(x, inputs.horizon, all_uplift=uplift)
        used = op.lines_total(np.ones_like(op.steady), op.shared.shape_hours, "hours")
        assert np.all(used <= hours * (1 + 1e-9) + 1e-9)  # the cap holds when credit is used
        members = np.zeros_like(op.steady)
        members[..., inputs.lines.index("members")] = 1.0
        recognised = op.sales(members)
        if op.deferred_dues is None:  # k = 1: recognized when billed
            assert k == 1
            continue
        deferred = op.deferred_dues
        billed = np.diff(np.cumsum(recognised, axis=-1) + deferred, axis=-1, prepend=0.0)
        assert np.all(billed >= -1e-9) and np.all(deferred >= -1e-9)
        # what is still owed is at most the unredeemed part of the last k - 1 months' billing
        assert deferred[0, 0, -1] <= 1300.0 * (k - 1) / 2 + 1e-6


def _bundled_opted_in(name: str) -> dict:
    data = raw(name)
    for line in data["site_defaults"]["service_lines"]:
        if line.get("kind") == "membership":
            line["redemption_months"] = 3
    return data


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml")))
def test_balance_sheet_balances_for_every_option_entity_and_trial(name):
    inputs = compile_inputs(build(_bundled_opted_in(name)))
    path = next(p for p in inputs.paths if p.endswith(".redemption_months"))
    values = {path: np.array([1.0, 2.0, 3.0, 12.0]),
              "finance.working_capital.prepaid_share": np.array([0.0, 0.1, 0.3, 0.5]),
              "finance.working_capital.prepaid_days": np.array([0.0, 30, 60, 180]),
              "finance.cash_reserve": np.array([0.0, 1e4, 5e4, 2e5]),
              "finance.tax_rate": np.array([0.0, 0.21, 0.25, 0.4])}
    for option, p in engine.run(inputs, 4, values=values).items():
        lines = statements(p)
        for entity, s in lines.items():
            assert np.abs(s["check"]).max() < 0.005, (option, entity)
        top = lines.get("consolidated", lines.get("company"))
        owner = (-(top["contributions"] + top["distributions"]) + p.company["exit_value"]
                 - p.company["pc_retained"])
        np.testing.assert_allclose(owner, p.net_cash_flow, atol=1e-6)
        assert p.balances["deferred_revenue"][3, -1] > p.balances["deferred_revenue"][1, -1]


def test_bundled_scenarios_do_not_opt_in():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        x = compile_inputs(msomodel.load_scenario(path)).arrays
        assert not np.any(x["redeem_months"] > 1), path.name


def test_period_is_for_memberships_and_whole_months(tmp_path):
    data = yaml.safe_load((CASES / "hand_worked.yaml").read_text())
    data["site_defaults"]["service_lines"][0]["redemption_months"] = 3
    with pytest.raises(ScenarioError, match="redemption_months is for membership lines only"):
        _compare(tmp_path, data)
    for bad in (0, 25, 1.5):
        with pytest.raises(ScenarioError, match="redemption_months") as err:
            _compare(tmp_path, _data(redemption_months=bad))
        assert "case.yaml" in str(err.value)


@pytest.mark.parametrize("capacity", [None, 60.0, 75.0])
def test_the_workbook_spreads_the_credit_by_formula_to_the_cent(tmp_path, capsys, capacity):
    """Dues billed, revenue and the credit's cost recognized over the redemption months, the
    dues not yet recognized in deferred revenue, and under a binding cap the members admitted
    by the tightest redemption month: formulas that LibreOffice recalculates to the hand-worked
    cash flow (no cap) and to every figure of the engine (each case)."""
    import openpyxl

    from tests.test_export import check, need_soffice, read_figures, recalculate

    need_soffice()
    data = _data(capacity=capacity, redemption_months=3)
    c = _compare(tmp_path, data)
    path, out = tmp_path / "case.yaml", tmp_path / "out.xlsx"
    assert export_main([str(path), "-o", str(out), "--trials", "0"]) == 0, capsys.readouterr()
    recalculated = recalculate(out, tmp_path)
    check(read_figures(recalculated), c.to_dict())
    ws = openpyxl.load_workbook(recalculated, data_only=True)["Self-managed"]
    rows = {r[0].value: [v.value for v in r[2:]] for r in ws.iter_rows() if r[0].value}
    if capacity is None:
        np.testing.assert_allclose(rows["Net cash flow to the owner (equity)"][:len(SELF)], SELF,
                                   atol=0.005)
        [recognised] = [v for k, v in rows.items() if k.startswith("Only: members revenue (")]
        np.testing.assert_allclose(recognised[1:6], [500 / 3, 1250 / 3, 750, 2750 / 3, 1000],
                                   atol=0.005)
        [owed] = [v for k, v in rows.items() if "members dues billed, not yet" in k]
        np.testing.assert_allclose(owed[1:6], [1000 / 3, 2000 / 3, 2750 / 3, 1000, 1000],
                                   atol=0.005)
    else:  # the cap binds: fewer members admitted in the months before a tight one
        [admitted] = [v for k, v in rows.items() if "share admitted (least scale" in k]
        assert min(admitted[1:]) < 1


def test_monte_carlo_samples_the_period(tmp_path):
    # sampled values are rounded to whole months (at least 1)
    data = _data(capacity=60.0, redemption_months=3)
    data["uncertainty"] = {"distributions": [
        {"path": PATH, "dist": "uniform", "low": 1.0, "high": 6.0}]}
    path = tmp_path / "mc.yaml"
    path.write_text(yaml.safe_dump(data))
    c = msomodel.compare(msomodel.load_scenario(path), trials=200, seed=1)
    inputs = compile_inputs(build(data))
    half = engine.run(inputs, 2, values={PATH: np.array([2.6, 3.0])})["self_managed"]
    np.testing.assert_array_equal(half.net_cash_flow[0], half.net_cash_flow[1])
    assert c.projections["self_managed"].net_cash_flow.shape[0] == 1


@settings(max_examples=40, deadline=None)
@given(a=st.lists(st.floats(0.0, 1e6), min_size=1, max_size=30),
       ks=st.lists(st.integers(1, 24), min_size=2, max_size=2))
def test_spread_and_ahead_min_equal_their_definitions(a, ks):
    from msomodel.operations import ahead_min, spread

    a = np.array(a)
    M = len(a)
    k = np.array(ks, dtype=float)
    out = spread(np.broadcast_to(a, (1, 2, M)).copy(), k[None, :])
    low = ahead_min(np.broadcast_to(a, (1, 1, M)).copy(), k[None, None, :])  # as a "scale"
    for i, kk in enumerate(ks):
        naive = [sum(a[m - j] for j in range(kk) if m - j >= 0) / kk for m in range(M)]
        np.testing.assert_allclose(out[0, i], naive, rtol=1e-9, atol=1e-6)
        np.testing.assert_array_equal(low[0, 0, i], [a[m:m + kk].min() for m in range(M)])
