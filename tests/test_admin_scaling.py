"""Administrative roles whose headcount follows treatment visits, worked by hand on
tests/cases/hand_worked.yaml.

The admin role (1 FTE, 20 $/h x 160 h, payroll load 10 %: 3,520 a month per FTE in year 1,
raised 5 % to 3,696 in year 2) scales with 60 visits a month per FTE in steps of 0.5 FTE, at
most 2 FTE.  Treatment visits: 50 / 75 / 100 (ramp 50 % / 75 % / 100 %), then 100 a month.
  m1: 0.5 x ceil(50 / 30) = 1.0 FTE (no more than the roster's 1)
  m2: 0.5 x ceil(75 / 30) = 1.5 FTE -> 0.5 more: 1,760
  m3 on: 0.5 x ceil(100 / 30) = 2.0 FTE -> 1 more: 3,520 (year 1), 3,696 (year 2)
Self-managed net cash flow: m1 -3,720; m2 -1,220 - 1,760 = -2,980; m3-12 1,280 - 3,520 = -2,240;
m13-24 2,014 - 3,696 = -1,682.
Software (admin hours saved 50 %) pays half the scaled admin payroll; the MSO absorbs the role,
scaled or not (its flat fee does not change; a cost-plus fee bills the scaled payroll).
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import msomodel
from msomodel import engine
from msomodel.errors import ScenarioError
from msomodel.export.cli import main as export_main
from msomodel.inputs import compile_inputs
from msomodel.options.statements import statements
from tests.conftest import CASES, ROOT, build, raw

SELF = [-10000.0, -3720.0, -2980.0] + [-2240.0] * 10 + [-1682.0] * 12
ADMIN = [0.0, 3520.0, 5280.0] + [7040.0] * 10 + [7392.0] * 12
SCALES = {"visits_per_fte": 60, "step_fte": 0.5, "max_fte": 2}
PATH = "site_defaults.staffing.roles.admin.scales_with.visits_per_fte"


def _data(scales=SCALES, capacity: float | None = None, **treatment) -> dict:
    data = yaml.safe_load((CASES / "hand_worked.yaml").read_text())
    if scales is not None:
        data["site_defaults"]["staffing"]["roles"][0]["scales_with"] = scales
    data["site_defaults"]["service_lines"][0].update(treatment)
    if capacity is not None:
        data["site_defaults"]["service_lines"][0]["provider_hours_per_unit"] = 1.0
        data["site_defaults"]["capacity"] = {"providers": 1, "hours_per_provider_month": capacity,
                                             "utilisation": 1.0}
    return data


def _compare(tmp_path, data: dict, name: str = "case.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return msomodel.compare(msomodel.load_scenario(path), trials=0)


def test_admin_follows_visits_to_the_cent(tmp_path):
    c = _compare(tmp_path, _data())
    np.testing.assert_allclose(c.projections["self_managed"].net_cash_flow[0], SELF, atol=0.005)
    np.testing.assert_allclose(c.monthly("self_managed")["staff_admin"], ADMIN, atol=0.005)
    # software's admin-hour saving applies to the scaled FTE too
    np.testing.assert_allclose(c.monthly("software_only")["staff_admin"],
                               0.5 * np.array(ADMIN), atol=0.005)


def test_threshold_never_reached_equals_the_fixed_role(tmp_path):
    fixed = _compare(tmp_path, _data(scales=None), "fixed.yaml")
    never = _compare(tmp_path, _data({**SCALES, "visits_per_fte": 1000}), "never.yaml")
    for option, p in fixed.projections.items():
        np.testing.assert_array_equal(p.net_cash_flow, never.projections[option].net_cash_flow)
        for line in p.site:
            np.testing.assert_array_equal(p.site[line], never.projections[option].site[line])


def test_mso_absorbs_the_scaled_role(tmp_path):
    fixed = _compare(tmp_path, _data(scales=None), "fixed.yaml")
    scaled = _compare(tmp_path, _data(), "scaled.yaml")
    np.testing.assert_array_equal(fixed.projections["mso"].net_cash_flow,
                                  scaled.projections["mso"].net_cash_flow)
    assert not scaled.monthly("mso")["staff_admin"].any()
    # a cost-plus MSO bills the payroll it took over, scaled: (1 + 10 %) x the extra FTE's pay
    fees = []
    for data, name in ((_data(scales=None), "f.yaml"), (_data(), "s.yaml")):
        data["mso"]["fee"] = {"type": "cost_plus", "markup": 0.1}
        fees.append(_compare(tmp_path, data, name).monthly("mso")["mso_fee"].to_numpy())
    extra = np.array(ADMIN) - np.array([0.0] + [3520.0] * 12 + [3696.0] * 12)
    np.testing.assert_allclose(fees[1] - fees[0], 1.1 * extra, atol=0.005)


def test_never_lets_go_and_stops_at_max(tmp_path):
    # volume halves in year 2 (50 visits: 1 FTE needed) but the role keeps its 2 FTE
    shrink = _compare(tmp_path, _data(volume_growth_annual=-0.5)).monthly("self_managed")
    np.testing.assert_allclose(shrink["staff_admin"], ADMIN, atol=0.005)
    # at most 1.5 FTE: 1,760 more from month 2 on (1,848 in year 2)
    capped = _compare(tmp_path, _data({**SCALES, "max_fte": 1.5}), "max.yaml")
    np.testing.assert_allclose(capped.monthly("self_managed")["staff_admin"],
                               [0.0, 3520.0] + [5280.0] * 11 + [5544.0] * 12, atol=0.005)


def test_visits_are_those_delivered_under_the_cap(tmp_path):
    # 60 provider hours: 60 visits a month from month 2 on -> 0.5 x ceil(60 / 30) = 1 FTE: no more
    m = _compare(tmp_path, _data(capacity=60.0)).monthly("self_managed")
    np.testing.assert_allclose(m["staff_admin"], [0.0] + [3520.0] * 12 + [3696.0] * 12,
                               atol=0.005)


def test_each_site_scales_on_its_own_visits(tmp_path):
    data = _data()
    data["sites"].append({"name": "Late", "open_month": 13, "ramp_months": 0,
                          "overrides": {"service_lines": [{"name": "treatment",
                                                           "volume_per_month": 30}]}})
    c = _compare(tmp_path, data)
    admin = c.projections["self_managed"].site["staff_admin"][0]
    np.testing.assert_allclose(admin[0], ADMIN, atol=0.005)
    # 30 visits: 0.5 x ceil(30 / 30) = 0.5 FTE, below the roster's 1: the fixed role from month 13
    np.testing.assert_allclose(admin[1], [0.0] * 13 + [3696.0] * 12, atol=0.005)


def test_trials_sample_the_scaling_like_separate_runs():
    inputs = compile_inputs(build(_data()))
    assert PATH in inputs.paths and PATH.replace("visits_per_fte", "max_fte") in inputs.paths
    batched = engine.run(inputs, 3, values={PATH: np.array([60.0, 40.0, 1000.0])})
    for t, v in enumerate((60.0, 40.0, 1000.0)):
        alone = engine.run(compile_inputs(build(_data({**SCALES, "visits_per_fte": v}))))
        for option, p in alone.items():
            np.testing.assert_allclose(batched[option].net_cash_flow[t], p.net_cash_flow[0],
                                       rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml")))
def test_balance_sheet_balances_with_scaled_admin(name):
    data = raw(name)
    for role in data["site_defaults"]["staffing"]["roles"]:
        if role["name"] == "front_desk":
            role["scales_with"] = {"visits_per_fte": 250, "step_fte": 0.5, "max_fte": 5}
    inputs = compile_inputs(build(data))
    path = "site_defaults.staffing.roles.front_desk.scales_with.visits_per_fte"
    values = {path: np.array([100.0, 250.0, 1e5]),
              "finance.working_capital.prepaid_share": np.array([0.0, 0.2, 0.5]),
              "finance.working_capital.prepaid_days": np.array([0.0, 30, 90])}
    for option, p in engine.run(inputs, 3, values=values).items():
        for entity, s in statements(p).items():
            assert np.abs(s["check"]).max() < 0.005, (option, entity)
        admin = p.site["staff_admin"].sum(axis=(1, 2))
        if option != "mso":
            assert admin[0] >= admin[1] >= admin[2] and admin[0] > admin[2]  # more visits per FTE: fewer staff


def test_bundled_scenarios_do_not_opt_in():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert not compile_inputs(msomodel.load_scenario(path)).arrays["scale_on"].any()


def test_scaling_is_for_administrative_roles_with_room(tmp_path):
    data = _data(scales=None)
    data["site_defaults"]["staffing"]["roles"][1]["scales_with"] = SCALES
    with pytest.raises(ScenarioError, match="expected an administrative role"):
        _compare(tmp_path, data)
    with pytest.raises(ScenarioError, match="max_fte") as err:
        _compare(tmp_path, _data({**SCALES, "max_fte": 0.5}))
    assert "case.yaml" in str(err.value)
    for bad in ({**SCALES, "visits_per_fte": 0}, {**SCALES, "step_fte": 0},
                {"visits_per_fte": 60}):
        with pytest.raises(ScenarioError, match="scales_with"):
            _compare(tmp_path, _data(bad))


def test_the_workbook_scales_the_role_by_formula_to_the_cent(tmp_path, capsys):
    """The export writes the visits, the FTE needed so far and the role's FTE as formulas;
    LibreOffice's recalculation gives the hand-worked payroll and every figure of the engine."""
    from tests.test_export import check, need_soffice, read_figures, recalculate

    need_soffice()
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(_data()))
    out = tmp_path / "out.xlsx"
    assert export_main([str(path), "-o", str(out), "--trials", "0"]) == 0, capsys.readouterr()
    recalculated = recalculate(out, tmp_path)
    doc = msomodel.compare(msomodel.load_scenario(path), trials=0).to_dict()
    check(read_figures(recalculated), doc)
    import openpyxl

    ws = openpyxl.load_workbook(recalculated, data_only=True)["Self-managed"]
    [row] = [r for r in ws.iter_rows() if r[0].value and r[0].value.endswith(
        ": staff, administrative")]
    np.testing.assert_allclose([c.value for c in row[2:2 + len(ADMIN)]], ADMIN, atol=0.005)
    [fte] = [r for r in ws.iter_rows() if r[0].value and "admin FTE (at least" in r[0].value]
    assert [c.value for c in fte[3:6]] == [1.0, 1.5, 2.0]


def test_monte_carlo_samples_the_scaling(tmp_path):
    data = _data()
    data["uncertainty"] = {"distributions": [
        {"path": PATH, "dist": "uniform", "low": 40.0, "high": 80.0},
        {"path": PATH.replace("visits_per_fte", "max_fte"), "dist": "uniform", "low": 1.5,
         "high": 3.0}]}
    path = tmp_path / "mc.yaml"
    path.write_text(yaml.safe_dump(data))
    msomodel.compare(msomodel.load_scenario(path), trials=200, seed=1)  # runs, no error
