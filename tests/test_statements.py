"""The three statements: identities for every bundled scenario, and a case worked by hand.

Hand-worked case: tests/cases/hand_worked.yaml (see test_hand_worked.py for its EBITDA) with
working capital and a cash reserve.  A month is 365/12 days, so 73 days = 2.4 months and
36.5 days = 1.2 months.

Self-managed.  inventory = 2.4 x product cost; payables = 1.2 x product cost; deferred revenue
= 0.25 prepaid x 2.4 months x revenue = 0.6 x revenue.
  product cost 2,500 / 3,750 / 5,000 / 5,500 (m1 / m2 / m3-12 / m13-24), revenue 10,000 / 15,000
  / 20,000 / 22,000:
  m1: inventory 6,000, payables 3,000, deferred 6,000 -> net working capital -3,000
  m2: 9,000 / 4,500 / 9,000 -> -4,500;  m3-12: 12,000 / 6,000 / 12,000 -> -6,000;
  m13-24: 13,200 / 6,600 / 13,200 -> -6,600
  So prepayments release cash: +3,000 (m1), +1,500 (m2), +1,500 (m3), +600 (m13).
Cash reserve 5,000 put in at index 0 and taken back at the exit; the exit (multiple 0) is less
the deferred revenue still owed, 13,200:
  index 0: -10,000 - 5,000 = -15,000;  m1: -3,720 + 3,000 = -720;  m2: -1,220 + 1,500 = 280;
  m3: 1,280 + 1,500 = 2,780;  m4-12: 1,280;  m13: 2,014 + 600 = 2,614;  m14-23: 2,014;
  m24: 2,014 - 13,200 + 5,000 = -6,186.
Balance sheet at month 13: cash 5,000 + inventory 13,200 + fixed assets 10,000 - 13 x 10,000/84
= 8,452.38 -> assets 26,652.38; payables 6,600 + deferred 13,200 = 19,800; equity 6,852.38 =
retained earnings (9,874 EBITDA - 1,547.62 depreciation = 8,326.38) - 1,474 (the owner's net
take so far: -15,000 - 720 + 280 + 2,780 + 9 x 1,280 + 2,614 = 1,474).
Sources and uses, through month 1 (the owner's lowest cumulative position, -15,720): uses
build-out 10,000 + reserve 5,000 + operating loss 3,720 = 18,720; sources owner 15,720 +
working capital released 3,000.

SBA loan (separate case): half the 10,000 borrowed, 12 % APR, 12 months: payment
pmt(1 %, 12, 5,000) = 444.244... a month at indices 1-12; guaranty fee 5,000 x 85 % x 2 % = 85.00
at index 0.  Year-1 EBITDA -3,720 - 1,220 + 10 x 1,280 = 7,860; DSCR = 7,860 / (12 x 444.24).
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
import yaml

import msomodel
from msomodel import engine
from msomodel import timeline as tl
from msomodel.errors import ScenarioError
from msomodel.finance import sba_guaranty_fee
from msomodel.inputs import compile_inputs
from msomodel.options.statements import debt_service, sources_and_uses, statements
from tests.conftest import CASES, ROOT

BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
SELF = ([-15000.0, -720.0, 280.0, 2780.0] + [1280.0] * 9 + [2614.0] + [2014.0] * 10
        + [-6186.0])


def _case(tmp_path, **finance):
    data = yaml.safe_load((CASES / "hand_worked.yaml").read_text())
    data["finance"].update(finance)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    return msomodel.compare(msomodel.load_scenario(path), trials=50)


@pytest.fixture()
def worked(tmp_path):
    return _case(tmp_path, cash_reserve=5000, working_capital={
        "inventory_days": 73, "payables_days": 36.5, "prepaid_share": 0.25, "prepaid_days": 73})


def test_working_capital_and_reserve_cash_flow_to_the_cent(worked):
    got = worked.projections["self_managed"].net_cash_flow[0]
    np.testing.assert_allclose(got, SELF, rtol=0, atol=0.005)
    assert worked.metrics["self_managed"]["npv"] == pytest.approx(
        npf.npv(1.12 ** (1 / 12) - 1, SELF), abs=0.005)


def test_balance_sheet_at_month_13_to_the_cent(worked):
    bs = worked.financials("self_managed").monthly["company"].loc[13]
    expected = {"cash": 5000.0, "inventory": 13200.0, "fixed_assets": 10000 - 13 * 10000 / 84,
                "payables": 6600.0, "deferred_revenue": 13200.0, "loan_balance": 0.0,
                "retained_earnings": 9874.0 - 13 * 10000 / 84,
                "paid_in_capital": 15000.0 + 720.0,
                "distributions_to_date": -(280 + 2780 + 9 * 1280 + 2614.0)}
    for line, value in expected.items():
        assert bs[line] == pytest.approx(value, abs=0.005), line
    assert bs["total_equity"] == pytest.approx(6852.38, abs=0.005)
    assert bs["check"] == pytest.approx(0.0, abs=0.005)


def test_sources_and_uses_worked_by_hand(worked):
    su = worked.financials("self_managed").sources_uses
    assert su["through"] == 1
    assert su["uses"] == pytest.approx({"buildout": 10000.0, "equipment": 0.0, "one_time": 0.0,
                                        "working_capital": 0.0, "cash_reserve": 5000.0,
                                        "operating_losses": 3720.0, "loan_repaid": 0.0,
                                        "pc_owner_distributions": 0.0}, abs=0.005)
    assert su["sources"] == pytest.approx({"loans": 0.0, "owner_equity": 15720.0,
                                           "pc_owner_equity": 0.0, "operating_cash": 0.0,
                                           "working_capital_released": 3000.0}, abs=0.005)
    assert su["total_uses"] == pytest.approx(18720.0, abs=0.005) == su["total_sources"]


def test_sba_loan_fee_and_dscr_to_the_cent(tmp_path):
    c = _case(tmp_path, loan={"financed_fraction": 0.5, "rate_annual_nominal": 0.12,
                              "term_months": 12, "program": "sba_7a"})
    payment = -npf.pmt(0.01, 12, 5000.0)
    f = c.financials("self_managed")
    assert f.monthly["company"].loc[0, "one_time"] == pytest.approx(85.0, abs=0.005)
    year1 = f.debt.loc[1]
    assert year1["debt_service"] == pytest.approx(12 * payment, abs=0.005)
    assert year1["dscr"] == pytest.approx(7860.0 / (12 * payment), rel=1e-12)
    assert f.covenant == 1.15 and not year1["below_covenant"]
    assert np.isnan(f.debt.loc[2, "dscr"]) and not f.debt.loc[2, "below_covenant"]
    # the loan is repaid within the horizon: nothing left on the balance sheet
    assert f.monthly["company"].loc[12:, "loan_balance"].abs().max() < 0.005
    # the fee is paid from the proceeds: index 0 = -10,000 + 5,000 - 85
    flows = c.projections["self_managed"].net_cash_flow[0]
    assert flows[0] == pytest.approx(-5085.0, abs=0.005)
    assert flows[1] == pytest.approx(-3720.0 - payment, abs=0.005)


@pytest.mark.parametrize("amount,fee", [(100_000, 1700.0), (250_000, 5625.0),
                                        (800_000, 21000.0), (1_500_000, 39687.5), (0, 0.0)])
def test_sba_guaranty_fee_schedule(amount, fee):
    # The published FY2026 examples (Liminal Lending) and 800k: 600k guaranteed x 3.5 %.
    assert float(sba_guaranty_fee(amount)) == pytest.approx(fee, abs=0.005)


def test_sba_maturity_over_ten_years_is_refused(tmp_path):
    with pytest.raises(ScenarioError) as err:
        _case(tmp_path, loan={"financed_fraction": 0.5, "rate_annual_nominal": 0.1,
                              "term_months": 180, "program": "sba_7a"})
    assert "120 months" in str(err.value) and "finance.loan" in str(err.value)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_identities_for_every_bundled_scenario_option_and_trial(path):
    inputs = compile_inputs(msomodel.load_scenario(path))
    T = 4
    values = {"finance.working_capital.inventory_days": np.array([0.0, 30, 45, 90]),
              "finance.working_capital.payables_days": np.array([0.0, 15, 30, 60]),
              "finance.working_capital.prepaid_share": np.array([0.0, 0.1, 0.3, 0.5]),
              "finance.working_capital.prepaid_days": np.array([0.0, 30, 60, 180]),
              "finance.cash_reserve": np.array([0.0, 1e4, 5e4, 2e5]),
              "finance.tax_rate": np.array([0.0, 0.21, 0.25, 0.4])}
    year = tl.project_year(inputs.horizon)
    for option, p in engine.run(inputs, T, values=values).items():
        lines = statements(p)
        for entity, s in lines.items():
            assert np.abs(s["check"]).max() < 0.005, (option, entity)  # assets = L + E
            np.testing.assert_allclose(s["cash"], np.cumsum(s["net_change"], axis=-1), atol=1e-6)
            np.testing.assert_allclose(s["loan_balance"],
                                       np.cumsum(s["loan_draw"] + s["loan_repaid"], axis=-1),
                                       atol=0.005)
            held = 0.0 if entity == "pc" else values["finance.cash_reserve"][:, None]
            np.testing.assert_allclose(s["cash"][:, 1:], np.broadcast_to(held, s["cash"][:, 1:].shape),
                                       atol=1e-6)
        top = lines.get("consolidated", lines.get("company"))
        # the owner's net cash flow = distributions - contributions + the exit (under the
        # friendly PC less what the PC's physician owner keeps)
        owner = (-(top["contributions"] + top["distributions"]) + p.company["exit_value"]
                 - p.company["pc_retained"])
        np.testing.assert_allclose(owner, p.net_cash_flow, atol=1e-6)
        if "consolidated" in lines:  # the loan between PC and MSO: each side's owners exactly
            pc, mso = lines["pc"], lines["mso"]
            np.testing.assert_allclose(-(mso["contributions"] + mso["distributions"])
                                       + p.company["exit_value"], p.net_cash_flow, atol=1e-6)
            np.testing.assert_allclose(-(pc["contributions"] + pc["distributions"]),
                                       p.company["pc_retained"], atol=1e-6)
            np.testing.assert_array_equal(pc["due_to_mso"], mso["due_from_pc"])
            assert (pc["due_to_mso"] >= 0).all()
            for line in ("advances_from_mso", "advances_to_pc", "due_from_pc", "due_to_mso"):
                assert not top[line].any(), line  # eliminated
        if "consolidated" in lines:  # the management fee eliminates
            np.testing.assert_allclose(top["ebitda"], p.company["ebitda"], atol=1e-6)
            np.testing.assert_allclose(top["net_income"],
                                       lines["pc"]["net_income"] + lines["mso"]["net_income"])
        su = sources_and_uses(top, p.company["capex_buildout"], p.company["capex_equipment"],
                              p.balances["cash_reserve"], owner=lines.get("mso", top))
        np.testing.assert_allclose(su["total_uses"], su["total_sources"], atol=1e-6)
        # the owner's equity in sources and uses is the peak funding need of the key figures
        np.testing.assert_allclose(su["sources"]["owner_equity"], np.maximum(
            0.0, -np.cumsum(p.net_cash_flow - p.company["exit_value"], axis=-1).min(axis=-1)),
            atol=1e-6)
        assert (su["total_uses"] > 0).all()
        ds = debt_service(top, year)
        assert np.all(np.isnan(ds["dscr"]) | np.isfinite(ds["dscr"]))


def test_json_statements_match_the_engine():
    c = msomodel.compare(msomodel.load_scenario(BUNDLED[0]), trials=50)
    d = c.to_dict()
    for option in msomodel.OPTIONS:
        st = d["options"][option]["statements"]
        main = "consolidated" if "consolidated" in st["entities"] else "company"
        bs = st["entities"][main]["balance_sheet"]
        assert [r["year"] for r in bs] == list(range(1, 6))
        assert all(abs(r["check"]) < 0.01 for r in bs)
        income = st["entities"][main]["income_statement"]
        assert sum(r["revenue"] for r in income) == pytest.approx(
            d["options"][option]["annual"][0]["revenue"] + sum(
                r["revenue"] for r in d["options"][option]["annual"][1:]), abs=0.05)
        su = st["sources_and_uses"]
        assert sum(su["uses"].values()) == pytest.approx(su["total"], abs=0.05)
        assert sum(su["sources"].values()) == pytest.approx(su["total"], abs=0.05)


def test_exit_tax_on_the_gain_over_the_basis_to_the_cent(tmp_path):
    # Exit 2x trailing EBITDA 12 x 2,014 = 48,336; basis = fixed assets 10,000 - 24 x 10,000/84
    # = 7,142.86; tax 20 % x 41,193.14 = 8,238.63; the exit nets 40,097.37.
    c = _case(tmp_path, exit_multiple=2.0, exit_tax_rate=0.2)
    p = c.projections["self_managed"]
    basis = 10000 - 24 * 10000 / 84
    tax = 0.2 * (48336.0 - basis)
    assert p.company["exit_tax"][0, -1] == pytest.approx(tax, abs=0.005)
    assert tax == pytest.approx(8238.63, abs=0.005)
    assert p.net_cash_flow[0, -1] == pytest.approx(2014.0 + 48336.0 - tax, abs=0.005)
    assert p.company["exit_tax"][0, :-1].sum() == 0.0
    # no gain, no tax
    c0 = _case(tmp_path, exit_multiple=0.1, exit_tax_rate=0.2)
    assert c0.projections["self_managed"].company["exit_tax"][0, -1] == 0.0


@pytest.mark.parametrize("name", ["california_np_three_sites", "texas_rn_single_site"])
def test_the_monthly_appendix_shows_every_line_its_balance_needs(name):
    """A reader adding the appendix's columns gets its Check column: no balance line with a
    value is left out (supplier payables were)."""
    import html
    import re

    from msomodel.report.sections.statements import MONTHLY, entity_option, monthly_appendix

    c = msomodel.compare(msomodel.load_scenario(ROOT / "scenarios" / f"{name}.yaml"), trials=0)
    f = c.financials(entity_option(c))
    m = f.monthly[f.main]
    assert m["payables"].abs().max() > 1  # the case that was missing
    head = monthly_appendix(c).split("</thead>")[0]
    columns = {html.unescape(re.sub("<[^>]+>", "", t)).strip()
               for t in re.findall(r"<th[^>]*>(.*?)</th>", head, flags=re.S)}
    shown = {k for k, label in MONTHLY.items() if label in columns}
    assert {"cash", "total_equity", "check"} <= shown
    assets = sum(m[k] for k in ("cash", "inventory", "fixed_assets") if k in shown)
    claims = sum(m[k] for k in ("loan_balance", "payables", "deferred_revenue", "total_equity")
                 if k in shown)
    assert np.allclose(assets - claims, m["check"], atol=0.01)


def test_the_loan_between_pc_and_mso_worked_by_hand():
    # The PC's cash before its owners, by month: -100, -50, 80, 100, -30.  Cumulated: -100, -150,
    # -70, 30, 0, so the MSO is owed 100, 150, 70, 0, 0 and advances 100, 50, then is repaid 80
    # and 70.  The physician owner takes 30 in month 4 and (the model's rule: the MSO funds only
    # a cumulative shortfall) puts 30 back in month 5.  The MSO earns 200, 10, 10, 10, 10: after
    # its advances 100, -40, 90, 80, 10, so the owner takes 100, puts in 40, takes 90, 80, 10.
    from msomodel.options.statements import _consolidate, _entity

    z = np.zeros((1, 5))

    def entity(ebitda, **kw):
        return _entity(z, np.array([ebitda], dtype=float), z, z, depreciation=z, interest=z,
                       capex=z, loan_draw=z, principal_repaid=z, loan_balance=z,
                       reserve=np.zeros(1), inventory=z, payables=z, deferred_revenue=z, **kw)

    pc = entity([-100, -50, 80, 100, -30], funded_by_mso=True)
    mso = entity([200, 10, 10, 10, 10], advances_to_pc=-pc["advances_from_mso"])
    assert pc["advances_from_mso"][0].tolist() == [100, 50, -80, -70, 0]
    assert pc["due_to_mso"][0].tolist() == [100, 150, 70, 0, 0]
    assert mso["due_from_pc"][0].tolist() == [100, 150, 70, 0, 0]
    assert pc["distributions"][0].tolist() == [0, 0, 0, -30, 0]
    assert pc["contributions"][0].tolist() == [0, 0, 0, 0, 30]
    assert mso["distributions"][0].tolist() == [-100, 0, -90, -80, -10]
    assert mso["contributions"][0].tolist() == [0, 40, 0, 0, 0]
    assert pc["cash"][0].tolist() == mso["cash"][0].tolist() == [0] * 5
    group = _consolidate(pc, mso, z)
    for s in (pc, mso, group):
        assert np.abs(s["check"]).max() < 1e-9
    # month 2: the MSO holds a 150 receivable and its equity is 150 (210 earned, 100 taken, 40
    # put in); the PC owes 150 and its equity is -150; the group nets the loan out
    assert mso["total_assets"][0, 1] == 150 and mso["total_equity"][0, 1] == 150
    assert pc["total_liabilities"][0, 1] == 150 and pc["total_equity"][0, 1] == -150
    assert group["total_assets"][0, 1] == 0 and group["total_liabilities"][0, 1] == 0
    assert group["financing"][0].tolist() == (pc["financing"] + mso["financing"])[0].tolist()
