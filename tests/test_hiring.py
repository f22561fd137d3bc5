"""Providers hired as demand grows, worked by hand on tests/cases/hand_worked.yaml.

One provider-hour per treatment (100 a month at full ramp), 1 provider with 60 hours of
capacity, hiring into the injector role (salary 24,000 a year, payroll load 10 %: 2,200 a
month per FTE) when demand passes 100 % of capacity, 1 FTE at a time, ramp 2 months:
  month 1: demand 50 h <= 60 -> no hire
  month 2: demand 75 h > 60 -> need 2 providers -> 1 hired, productive 0.5 -> capacity 90 h
  month 3+: productive 1 -> capacity 120 h >= 100 h: nothing is capped
Self-managed net cash flow: m1 -3,720; m2 -1,220 - 2,200 = -3,420; m3-12 1,280 - 2,200 = -920;
m13-24 2,014 - 2,200 = -186.
With at most 1.5 providers the hire is 0.5 FTE (1,100 a month) and month 3 on is capped at
90 of 100 hours: 90 % of the volume.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import msomodel
from msomodel.errors import ScenarioError
from tests.conftest import CASES

SELF = [-10000.0, -3720.0, -3420.0] + [-920.0] * 10 + [-186.0] * 12


def _case(tmp_path, hiring=None, name="case.yaml"):
    data = yaml.safe_load((CASES / "hand_worked.yaml").read_text())
    data["site_defaults"]["service_lines"][0]["provider_hours_per_unit"] = 1.0
    data["site_defaults"]["capacity"] = {"providers": 1, "hours_per_provider_month": 60,
                                         "utilisation": 1.0}
    if hiring is not None:
        data["site_defaults"]["capacity"]["hiring"] = hiring
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return msomodel.compare(msomodel.load_scenario(path), trials=0)


HIRE = {"role": "injector", "trigger_utilisation": 1.0, "max_providers": 2, "ramp_months": 2}


def test_hiring_follows_demand_to_the_cent(tmp_path):
    c = _case(tmp_path, HIRE)
    np.testing.assert_allclose(c.projections["self_managed"].net_cash_flow[0], SELF, atol=0.005)
    m = c.monthly("self_managed")
    assert m.loc[3, "revenue"] == pytest.approx(20000.0, abs=0.005)  # nothing capped
    assert m.loc[2, "staff_clinical"] == pytest.approx(5500.0 + 2200.0, abs=0.005)


def test_without_hiring_the_cap_binds(tmp_path):
    m = _case(tmp_path).monthly("self_managed")
    assert m.loc[3, "revenue"] == pytest.approx(20000.0 * 60 / 100, abs=0.005)
    assert m.loc[2, "revenue"] == pytest.approx(15000.0 * 60 / 75, abs=0.005)


def test_hiring_stops_at_the_sites_room(tmp_path):
    c = _case(tmp_path, {**HIRE, "max_providers": 1.5})
    m = c.monthly("self_managed")
    assert m.loc[3, "revenue"] == pytest.approx(20000.0 * 0.9, abs=0.005)
    assert m.loc[5, "staff_clinical"] - _case(tmp_path, name="b.yaml").monthly(
        "self_managed").loc[5, "staff_clinical"] == pytest.approx(1100.0 + 0.2 * 1.1 * 6000.0,
                                                                    abs=0.005)


def test_hiring_needs_a_clinical_role_and_room(tmp_path):
    with pytest.raises(ScenarioError, match="clinical roles"):
        _case(tmp_path, {**HIRE, "role": "admin"})
    with pytest.raises(ScenarioError, match="max_providers"):
        _case(tmp_path, {**HIRE, "max_providers": 0.5})


@pytest.mark.parametrize("hiring", [HIRE, {**HIRE, "max_providers": 1.5, "ramp_months": 3,
                                           "trigger_utilisation": 0.8, "step_fte": 0.5}])
def test_the_workbook_hires_by_formula_to_the_cent(tmp_path, capsys, hiring):
    """The export writes the providers needed, hired so far, hired this month and their
    productive FTE as formulas; LibreOffice's recalculation gives the hand-worked cash flow
    (the first case) and every figure of the engine (both)."""
    import openpyxl

    from msomodel.export.cli import main as export_main
    from tests.test_export import check, need_soffice, read_figures, recalculate

    need_soffice()
    c = _case(tmp_path, hiring)
    path = tmp_path / "case.yaml"
    out = tmp_path / "out.xlsx"
    assert export_main([str(path), "-o", str(out), "--trials", "0"]) == 0, capsys.readouterr()
    recalculated = recalculate(out, tmp_path)
    check(read_figures(recalculated), c.to_dict())
    ws = openpyxl.load_workbook(recalculated, data_only=True)["Self-managed"]
    rows = {r[0].value: [v.value for v in r[2:]] for r in ws.iter_rows() if r[0].value}
    [hired] = [v for k, v in rows.items() if k.endswith("providers hired so far (never let go, "
                                                         "at most max_providers)")]
    [productive] = [v for k, v in rows.items() if k.endswith("hires' productive FTE (each "
                                                             "reaching full over ramp_months)")]
    if hiring is HIRE:
        assert hired[:4] == [0, 0, 1, 1] and productive[:4] == [0, 0, 0.5, 1]
        net = rows["Net cash flow to the owner (equity)"]
        np.testing.assert_allclose(net[:len(SELF)], SELF, atol=0.005)
    else:  # month 1: 50 h > 80 % of 60 h; 0.5 x ceil(50 / 48 / 0.5) = 1.5 needed, room 0.5
        assert hired[:4] == [0, 0.5, 0.5, 0.5]
        np.testing.assert_allclose(productive[:6], [0, 0.5 / 3, 1 / 3, 0.5, 0.5, 0.5])
