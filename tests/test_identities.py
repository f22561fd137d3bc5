"""Identities and properties the model must satisfy (hypothesis where inputs vary)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import msomodel
from msomodel import engine, finance
from msomodel.inputs import compile_inputs
from tests.conftest import build, raw

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _neutral_mso(data: dict) -> dict:
    data["mso"] = {"fee": {"type": "flat", "per_site_monthly": 0.0}, "absorbed_roles": []}
    return data


@FAST
@given(vol=st.floats(0.2, 3.0), price=st.floats(0.5, 2.0), opens=st.lists(st.integers(1, 40), min_size=1, max_size=4),
       tax=st.floats(0.0, 0.4))
def test_zero_fee_zero_effect_mso_equals_self_managed(vol, price, opens, tax):
    data = _neutral_mso(raw("ohio_physician_single_site.yaml"))
    data["adjustments"] = {"volume_multiplier": vol, "price_multiplier": price}
    data["sites"] = [{"name": f"S{i}", "open_month": m} for i, m in enumerate(opens)]
    data["finance"]["tax_rate"] = tax
    data.pop("owner")
    p = engine.run(compile_inputs(build(data)))
    np.testing.assert_allclose(p["mso"].net_cash_flow, p["self_managed"].net_cash_flow, rtol=1e-12, atol=1e-6)


@FAST
@given(opens=st.lists(st.integers(1, 30), min_size=1, max_size=3))
def test_zero_price_zero_effect_software_equals_self_managed(opens):
    data = raw("ohio_physician_single_site.yaml")
    data["software"] = {"per_location_monthly": 0.0}
    data["sites"] = [{"name": f"S{i}", "open_month": m} for i, m in enumerate(opens)]
    p = engine.run(compile_inputs(build(data)))
    np.testing.assert_allclose(p["software_only"].net_cash_flow, p["self_managed"].net_cash_flow, rtol=1e-12, atol=1e-6)


def test_consolidated_equals_sum_of_single_site_runs():
    """Each site run alone gives the same site lines as in the group (self-managed and software,
    whose economics are per site; tax off because losses offset across sites)."""
    group = raw("california_np_three_sites.yaml")
    group["finance"]["tax_rate"] = 0.0
    group["software"]["extra_location_monthly"] = group["software"]["per_location_monthly"]
    whole = engine.run(compile_inputs(build(group)))
    for option in ("self_managed", "software_only"):
        total = {k: 0.0 for k in ("revenue", "ebitda", "product_cost", "opex")}
        for site in group["sites"]:
            alone = dict(group, sites=[site])
            p = engine.run(compile_inputs(build(alone)))[option]
            for k in total:
                total[k] = total[k] + p.site[k].sum(axis=1)
        for k, v in total.items():
            np.testing.assert_allclose(whole[option].site[k].sum(axis=1), v, rtol=1e-12, atol=1e-6)


@FAST
@given(fee=st.floats(0.0, 150000.0), option=st.sampled_from(msomodel.OPTIONS))
def test_friendly_pc_consolidated_is_pc_plus_mso_less_intercompany_fee(fee, option):
    inputs = compile_inputs(msomodel.load_scenario("scenarios/florida_entrepreneur_five_sites.yaml"))
    assert inputs.structure == "friendly_pc"
    p = engine.run(inputs, 2, arrays={"mf_flat": [fee, 0.0]}, options=(option,))[option]
    pc, ms = p.entities["pc"], p.entities["mso"]
    np.testing.assert_allclose(pc["ebitda"] + ms["ebitda"], p.company["ebitda"], rtol=1e-9, atol=1e-6)
    # the fee is intercompany: consolidated EBITDA does not depend on it
    np.testing.assert_allclose(p.company["ebitda"][0], p.company["ebitda"][1], rtol=1e-12, atol=1e-6)
    # the fee itself, from its definition: flat per open site, +3 % a year (the scenario's
    # escalator), months counted from each site's opening
    months = np.arange(inputs.horizon + 1)
    opens = np.array([1, 7, 13, 19, 25])
    open_site_months = (months[None, :] >= opens[:, None]) & (months[None, :] >= 1)
    esc = 1.03 ** (np.maximum(months - 1, 0) // 12)
    expected = fee * (open_site_months * esc).sum(axis=0)
    np.testing.assert_allclose(pc["management_fee"][0], expected, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(ms["management_fee"][1], 0.0)


def test_json_npv_recomputes_from_monthly_flows(bundled):
    d = msomodel.compare(msomodel.load_scenario(bundled)).to_dict()
    rate = (1 + d["assumptions"]["discount_rate_annual"]) ** (1 / 12) - 1
    for option, o in d["options"].items():
        flows = np.asarray(o["monthly_net_cash_flow"])
        assert len(flows) == d["assumptions"]["horizon_months"] + 1
        disc = (1 + rate) ** -np.arange(flows.size)
        assert float(flows @ disc) == pytest.approx(o["npv"], rel=1e-12, abs=1e-6), option


FEES = {
    "flat": {"type": "flat", "per_site_monthly": 12000},
    "percentage": {"type": "percentage", "percent": 0.12},
    "cost_plus": {"type": "cost_plus", "markup": 0.3, "overhead_per_site_monthly": 4000},
    "tiered": {"type": "tiered", "tiers": [{"up_to_monthly": 80000, "percent": 0.12}, {"percent": 0.08}]},
    "hybrid": {"type": "hybrid", "base_per_site_monthly": 5000, "percent": 0.05},
    "flat_with_floor_cap": {"type": "percentage", "percent": 0.1, "floor_per_site_monthly": 9000,
                            "cap_per_site_monthly": 30000},
}


@pytest.mark.parametrize("fee", FEES.values(), ids=FEES.keys())
def test_breakeven_fee_gives_equal_npvs(fee):
    data = raw("ohio_physician_single_site.yaml")
    data["mso"]["fee"] = fee
    result = msomodel.compare(build(data))
    be = result.breakeven
    assert be.level is not None
    from msomodel.inputs import FEE_LEVEL

    name = FEE_LEVEL[fee["type"]][0]
    p = engine.run(result.inputs, 1, arrays={name: be.level}, options=("mso",))["mso"]
    npv = finance.npv(finance.monthly_rate(0.15), p.net_cash_flow)[0]
    assert npv == pytest.approx(result.metrics["self_managed"]["npv"], abs=0.01)


@FAST
@given(a=st.floats(0.0, 0.3), b=st.floats(0.0, 0.3))
def test_mso_npv_falls_with_fee_and_rises_with_discount(a, b):
    inputs = compile_inputs(msomodel.load_scenario("scenarios/ohio_physician_percentage_fee.yaml"))
    lo, hi = sorted((a, b))
    rate = finance.monthly_rate(0.15)
    p = engine.run(inputs, 2, values={"mso.fee.percent": [lo, hi]}, options=("mso",))["mso"]
    npv = finance.npv(rate, p.net_cash_flow)
    assert npv[0] >= npv[1] - 1e-6
    d = engine.run(inputs, 2, values={"mso.purchasing_discount": [lo / 2, hi / 2]}, options=("mso",))["mso"]
    npv_d = finance.npv(rate, d.net_cash_flow)
    assert npv_d[1] >= npv_d[0] - 1e-6


PATHS = {
    "site_defaults.service_lines.filler.price": 780.0,
    "mso.fee.per_site_monthly": 9000.0,
    "sites.Columbus.open_month": 7,
    "adjustments.volume_multiplier": 1.3,
    "site_defaults.staffing.roles.front_desk.hourly_rate": 25.0,
    "finance.loan.rate_annual_nominal": 0.12,
}


def _set(data: dict, path: str, value) -> None:
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = next(x for x in node if x["name"] == part) if isinstance(node, list) else node.setdefault(part, {})
    node[parts[-1]] = value


@pytest.mark.parametrize("path,value", PATHS.items(), ids=PATHS.keys())
def test_trial_override_equals_rebuilt_scenario(path, value):
    data = raw("ohio_physician_single_site.yaml")
    base = compile_inputs(build(data))
    batched = engine.run(base, 2, values={path: [base.path_value(path), value]})
    _set(data, path, value)
    rebuilt = engine.run(compile_inputs(build(data)))
    original = engine.run(base)
    for option in rebuilt:
        np.testing.assert_allclose(batched[option].net_cash_flow[1], rebuilt[option].net_cash_flow[0], rtol=1e-12)
        np.testing.assert_allclose(batched[option].net_cash_flow[0], original[option].net_cash_flow[0], rtol=1e-12)


def test_capacity_caps_treatment_volume():
    data = raw("ohio_physician_single_site.yaml")
    data["site_defaults"]["capacity"]["providers"] = 0.5  # 60 bookable hours/month
    inputs = compile_inputs(build(data))
    from msomodel.operations import operate

    x = inputs.batch()
    op = operate(x, inputs.horizon)
    ones = np.ones_like(op.steady)
    used = op.lines_total(ones, op.shared.shape_hours, "hours")  # provider hours sold per site-month
    assert used.max() == pytest.approx(0.5 * 150 * 0.8, rel=1e-12)
    assert np.all(used[..., 1:] <= 0.5 * 150 * 0.8 * (1 + 1e-12))
    # retail uses no provider time: its sales are those of an uncapped site
    retail = np.zeros_like(ones)
    retail[..., inputs.lines.index("retail")] = 1.0
    uncapped = operate(compile_inputs(build(raw("ohio_physician_single_site.yaml"))).batch(),
                       inputs.horizon)
    np.testing.assert_allclose(op.sales(retail), uncapped.sales(retail), rtol=1e-12)
    assert op.sales(retail)[0, 0, 30] > 0
    assert op.revenue[0, 0, 30] < uncapped.revenue[0, 0, 30]  # the treatments were capped


def test_no_show_recovery_formula():
    data = raw("hand_worked.yaml")
    data["site_defaults"]["no_show_rate"] = 0.2
    data["software"]["no_show_reduction"] = 0.25
    data["software"]["admin_hours_saved"] = 0.0
    p = engine.run(compile_inputs(build(data)))
    # booked = 100 / 0.8 = 125; no-shows fall from 25 to 18.75 -> 106.25 realized at full ramp
    ratio = p["software_only"].site["revenue"][0, 0, 5] / p["self_managed"].site["revenue"][0, 0, 5]
    assert ratio == pytest.approx(106.25 / 100.0, rel=1e-12)


def test_tax_loss_carry_forward():
    from msomodel.options.finish import tax_paid

    taxable = np.array([[-100.0, 50.0, 80.0, -30.0, 40.0]])
    # cumulative -100, -50, 30, 0, 40 -> taxed cumulative 0, 0, 30, 30, 40
    np.testing.assert_allclose(tax_paid(taxable, np.array([0.5])), [[0, 0, 15, 0, 5]])


def test_breakeven_none_when_cap_keeps_fee_below_it():
    data = raw("ohio_physician_single_site.yaml")
    data["mso"]["fee"] = {"type": "percentage", "percent": 0.1, "cap_per_site_monthly": 14000}
    be = msomodel.compare(build(data)).breakeven
    assert be.level is None and "stays above" in be.note


def test_breakeven_none_when_mso_loses_at_zero_fee():
    data = raw("ohio_physician_single_site.yaml")
    data["mso"].update(absorbed_roles=[], absorbed_opex={}, purchasing_discount=0.0, revenue_uplift=0.0)
    data["mso"]["fee"]["onboarding_fee_per_site"] = 50000
    be = msomodel.compare(build(data)).breakeven
    assert be.level is None and "zero fee" in be.note


def test_json_sites_add_up_to_consolidated():
    d = msomodel.compare(msomodel.load_scenario("scenarios/california_np_three_sites.yaml")).to_dict()
    for o in d["options"].values():
        assert [s["name"] for s in o["sites"]] == ["Los Angeles", "Irvine", "San Diego"]
        for k, row in enumerate(o["annual"]):
            assert sum(s["annual"][k]["revenue"] for s in o["sites"]) == pytest.approx(row["revenue"], rel=1e-12)
            ebitda = sum(s["annual"][k]["ebitda"] for s in o["sites"]) - row["overhead"]
            assert ebitda == pytest.approx(row["ebitda"], rel=1e-9)


@pytest.mark.parametrize("option", msomodel.OPTIONS)
def test_friendly_pc_entities_are_taxed_separately_with_their_own_one_time_costs(option):
    """PC: tax on its EBITDA less its license conditions' one-time costs; MSO: tax on its
    EBITDA less interest, depreciation, the legal structuring and the option's onboarding or
    implementation fees (losses carried per entity)."""
    from msomodel.options.finish import tax_paid

    data = raw("florida_entrepreneur_five_sites.yaml")
    # a one-time license condition on the PC's side, so that both entities have one-time costs
    data["compliance"] = {"condition_costs": {}}
    inputs = compile_inputs(build(data))
    inputs.arrays["cond_once"] = np.full(3, 1800.0)
    p = engine.run(inputs, options=(option,))[option]
    rate = inputs.arrays["tax_rate"][None]
    opens = np.array([1, 7, 13, 19, 25])
    cond_once = np.zeros_like(p.company["one_time"])
    np.add.at(cond_once[0], opens - 1, 1800.0)
    mso_once = p.company["one_time"] - cond_once
    assert mso_once[0, 0] >= inputs.arrays["structuring"]  # the legal structuring sits with the MSO
    structuring = mso_once
    c = p.company
    expected = (tax_paid(p.entities["pc"]["ebitda"] - cond_once, rate)
                + tax_paid(p.entities["mso"]["ebitda"] - c["interest"] - c["depreciation"] - structuring, rate))
    assert not np.allclose(expected, tax_paid(c["ebitda"] - c["interest"] - c["depreciation"]
                                              - c["one_time"], rate))  # one entity would differ
    np.testing.assert_allclose(c["tax"], expected, rtol=1e-12, atol=1e-9)
    assert c["tax"].sum() > 0


#: Signs with which the detailed annual P&L's lines add up to its net cash flow (EBITDA stands
#: for the lines above it; the sale's tax is inside the exit value, shown for information).
CASH_SIGNS = {"ebitda": 1, "one_time": -1, "capex": -1, "working_capital_change": -1,
              "loan_draw": 1, "loan_fee": -1, "interest": -1, "principal_repaid": -1, "tax": -1,
              "pc_retained": -1, "cash_reserve": -1, "exit_value": 1}


def test_annual_pl_lines_add_up_to_the_net_cash_flow(bundled):
    """Every year of every option: the report's annual P&L, the cash reserve's row included
    (put in at the start, returned in the exit value), sums to its net cash flow to the cent;
    and EBITDA is revenue less the cost lines."""
    from msomodel import tables

    c = msomodel.compare(msomodel.load_scenario(bundled), trials=0)
    for option in c.projections:
        frame = c.annual(option)
        reserve = float(c.projections[option].balances["cash_reserve"][0])
        assert reserve > 0
        lines = {k: frame[k].to_numpy() for k in frame.columns}
        lines["cash_reserve"] = np.r_[reserve, np.zeros(len(frame) - 1)]
        total = sum(sign * lines.get(k, 0.0) for k, sign in CASH_SIGNS.items())
        np.testing.assert_allclose(total, lines["net_cash_flow"], rtol=0, atol=0.005)
        costs = [k for k in ("product_cost", "staff_clinical", "staff_admin", "opex", "mso_fee",
                             "software_fee", "structuring", "conditions", "overhead") if k in lines]
        np.testing.assert_allclose(lines["revenue"] - sum(lines[k] for k in costs),
                                   lines["ebitda"], rtol=0, atol=0.005)
        shown = tables.annual_pl(c, option, amounts=lambda v: f"{v:.2f}")
        row = shown.loc["Cash reserve put in (returned in the exit value)"]
        assert list(row) == [f"{reserve:.2f}"] + ["0.00"] * (len(frame) - 1)
        assert list(shown.index).index(row.name) < list(shown.index).index(
            "Exit value (net of debt and tax)")
