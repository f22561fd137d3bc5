"""Uncertainty analysis: spec errors, path bounds, tornado, grids and break-even, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import msomodel
from msomodel.analysis import paths as P
from msomodel.analysis.distributions import compile_plan
from msomodel.analysis.evaluate import npv_by_path
from msomodel.analysis.grid import crossing, grid
from msomodel.analysis.sensitivity import tornado
from msomodel.analysis.spec import parse_spec
from msomodel.cli import main
from msomodel.inputs import compile_inputs
from msomodel.loader import _load_tree

OHIO = "scenarios/ohio_physician_single_site.yaml"
FLORIDA = "scenarios/florida_entrepreneur_five_sites.yaml"


@pytest.fixture(scope="module")
def ohio():
    return msomodel.load_scenario(OHIO)


def _with(path: str, value: float) -> msomodel.Scenario:
    raw = _load_tree(Path(OHIO))
    P.set_path(raw, path, value)
    return msomodel.scenario_from_dict(raw)


# --------------------------------------------------------------------------- spec errors
@pytest.mark.parametrize("dist, where, words", [
    ({"path": "mso.purchasing_discount", "dist": "gamma", "low": 0, "high": 1},
     "uncertainty.distributions.0.dist", "expected one of uniform"),
    ({"path": "mso.purchasing_discount", "dist": "uniform", "low": 0.2, "high": 0.1},
     "uncertainty.distributions.0.low", "expected a value <= high"),
    ({"path": "mso.purchasing_discount", "dist": "triangular", "low": 0, "mode": 2, "high": 1},
     "uncertainty.distributions.0.mode", "expected a value in [low, high]"),
    ({"path": "mso.purchasing_discount", "dist": "normal", "mean": 0, "sd": -1},
     "uncertainty.distributions.0.sd", "expected a value >= 0"),
    ({"path": "mso.purchasing_discount", "dist": "uniform", "low": 0, "hihg": 1},
     "uncertainty.distributions.0.hihg", "unknown field"),
    ({"path": "mso.purchasing_discount", "dist": "lognormal", "mean": 1, "sd": 0.1, "mu": 0},
     "uncertainty.distributions.0", "not both"),
])
def test_bad_distribution_spec_names_the_field(dist, where, words):
    with pytest.raises(msomodel.ScenarioError) as err:
        parse_spec({"distributions": [dist]}, "spec.yaml")
    text = str(err.value)
    line = next(t for t in text.splitlines() if t.startswith(f"spec.yaml: {where}:"))
    assert words in line


def test_unknown_path_names_the_field_and_suggests(ohio):
    spec = {"distributions": [
        {"path": "mso.purchasing_discount", "dist": "uniform", "low": 0, "high": 0.1},
        {"path": "mso.purchasing_discont", "dist": "uniform", "low": 0, "high": 0.1}]}
    with pytest.raises(msomodel.ScenarioError) as err:
        compile_plan(spec, ohio, compile_inputs(ohio), "s.yaml")
    assert "uncertainty.distributions.1.path" in str(err.value)
    assert "did you mean 'mso.purchasing_discount'" in str(err.value)


def test_correlation_needs_distributions():
    with pytest.raises(msomodel.ScenarioError, match=r"uncertainty.correlations.0.paths"):
        parse_spec({"correlations": [{"paths": ["a", "b"], "rank_correlation": 0.2}]})
    with pytest.raises(msomodel.ScenarioError, match="rank_correlation"):
        parse_spec({"distributions": [
            {"path": "a", "dist": "uniform", "low": 0, "high": 1},
            {"path": "b", "dist": "uniform", "low": 0, "high": 1}],
            "correlations": [{"paths": ["a", "b"], "rank_correlation": 1.5}]})


# --------------------------------------------------------------------------- paths
def test_every_input_path_has_schema_bounds(ohio):
    inputs = compile_inputs(ohio)
    for path in inputs.paths:
        tp, _ = P._field(path.split("."), ohio)
        assert tp in (int, float), path
        # every input with a schema limit gets it (a lookup that failed would give -inf..inf)
        b = P.bounds(ohio, path)
        assert np.isfinite(b.lower) or np.isfinite(b.upper), path
    assert P.bounds(ohio, "mso.purchasing_discount") == P.Bounds(0.0, 1.0, False)
    assert P.bounds(ohio, "finance.loan.term_months") == P.Bounds(1.0, 360.0, True)
    assert P.bounds(ohio, "sites.Columbus.open_month").upper == ohio.finance.horizon_months
    assert P.bounds(ohio, "mso.fee.per_site_monthly").lower == 0.0


def test_sites_count_equals_dropping_sites():
    """Sites beyond the count never open (open_month = horizon + 2: no capital either)."""
    s = msomodel.load_scenario(FLORIDA)
    raw = _load_tree(Path(FLORIDA))
    raw["sites"] = raw["sites"][:2]
    fewer = msomodel.compare(msomodel.scenario_from_dict(raw))
    out = npv_by_path(compile_inputs(s), {"sites.count": np.array([2.0, 5.0])}, 2)
    for option in msomodel.OPTIONS:
        assert out[f"{option}.npv"][0] == pytest.approx(fewer.metrics[option]["npv"], rel=1e-9)
    full = msomodel.compare(s)
    assert out["mso.npv"][1] == pytest.approx(full.metrics["mso"]["npv"], rel=1e-9)


# --------------------------------------------------------------------------- tornado
def test_tornado_default_inputs_and_direction(ohio):
    t = tornado(ohio)
    table = t.table.set_index("path")
    assert "mso.fee.level" in table.index and "adjustments.volume_multiplier" in table.index
    assert table["mso_swing"].is_monotonic_decreasing
    fee = table.loc["mso.fee.level"]
    assert fee["mso_high"] < t.base["mso"] < fee["mso_low"]  # a higher fee lowers the MSO's edge
    disc = table.loc["mso.purchasing_discount"]
    assert disc["mso_low"] < t.base["mso"] < disc["mso_high"]
    assert fee["low_value"] == pytest.approx(0.8 * 12000)
    assert t.base["mso"] == pytest.approx(msomodel.compare(ohio).incremental["mso"]["npv"], rel=1e-9)
    d = json.loads(json.dumps(t.to_dict(), allow_nan=False))
    assert d["inputs"][0]["path"] == t.table.iloc[0]["path"]


@pytest.mark.parametrize("path, direction", [
    ("mso.fee.level", -1), ("mso.purchasing_discount", +1), ("mso.revenue_uplift", +1)])
def test_tornado_bars_monotone_where_the_model_is(ohio, path, direction):
    """Across nested ranges the incremental NPV moves one way, and the swing grows."""
    base = P.base_value(compile_inputs(ohio), path)
    swings = []
    for width in (0.1, 0.3, 0.5):
        spec = {"sensitivity": [{"path": path, "low": base * (1 - width),
                                 "high": base * (1 + width)}]}
        row = tornado(ohio, spec).table.iloc[0]
        assert direction * (row["mso_high"] - row["mso_low"]) > 0
        swings.append(row["mso_swing"])
    assert swings == sorted(swings)


def test_tornado_spec_errors(ohio):
    with pytest.raises(msomodel.ScenarioError, match=r"uncertainty.sensitivity.0.path"):
        tornado(ohio, {"sensitivity": [{"path": "mso.nope", "low": 0, "high": 1}]})
    with pytest.raises(msomodel.ScenarioError, match=r"uncertainty.sensitivity.0.high: expected a value"):
        tornado(ohio, {"sensitivity": [{"path": "mso.purchasing_discount", "low": 0, "high": 2}]})


# --------------------------------------------------------------------------- grids
def test_grid_breakeven_matches_direct_breakeven(ohio):
    """Tolerance: $5 per month on the fee (grid spacing $500, linear interpolation)."""
    discounts = [0.0, 0.05, 0.12]
    g = grid(ohio, "mso.fee.level", np.arange(0, 40_001, 500), "mso.purchasing_discount", discounts)
    assert g.values.shape == (3, 81)
    contour = g.breakeven().set_index("mso.purchasing_discount")["mso.fee.level"]
    for d in discounts:
        direct = msomodel.compare(_with("mso.purchasing_discount", d)).breakeven.level
        assert contour[d] == pytest.approx(direct, abs=5.0)
    # the grid itself agrees with the deterministic model at a grid point
    s = _with("mso.purchasing_discount", 0.05)
    s2 = msomodel.scenario_from_dict({**_load_tree(Path(OHIO)),
                                      "mso": {**s.mso.model_dump(exclude_none=True),
                                              "fee": {**s.mso.fee.model_dump(exclude_none=True),
                                                      "per_site_monthly": 10_000}}})
    assert g.table.loc[0.05, 10_000.0] == pytest.approx(
        msomodel.compare(s2).incremental["mso"]["npv"], rel=1e-9)


def test_grid_sites_count_axis_and_errors():
    s = msomodel.load_scenario(FLORIDA)
    g = grid(s, "mso.purchasing_discount", [0.0, 0.1], "sites.count", [1, 3, 5])
    assert g.table.shape == (3, 2)
    with pytest.raises(ValueError, match="sites.count: expected whole numbers"):
        grid(s, "mso.purchasing_discount", [0.0, 0.1], "sites.count", [1, 6])
    with pytest.raises(ValueError, match="x: expected a numeric input"):
        grid(s, "mso.nope", [0.0, 0.1], "sites.count", [1, 2])
    with pytest.raises(ValueError, match="increasing"):
        grid(s, "mso.purchasing_discount", [0.1, 0.0], "sites.count", [1, 2])


def test_crossing():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    assert crossing(x, np.array([3.0, 1.0, -1.0, -3.0])) == pytest.approx(1.5)
    assert crossing(x, np.array([3.0, 0.0, -1.0, -3.0])) == 1.0
    assert np.isnan(crossing(x, np.array([3.0, 2.0, 1.0, 0.5])))


# --------------------------------------------------------------------------- charts
def test_charts_render(ohio, tmp_path):
    from msomodel.analysis.montecarlo import simulate
    from msomodel.charts.uncertainty import grid_heatmap, simulation_chart, tornado_chart

    spec = {"distributions": [{"path": "mso.fee.level", "dist": "uniform", "low": 9000,
                               "high": 20000}]}
    figs = [tornado_chart(tornado(ohio)),
            grid_heatmap(grid(ohio, "mso.fee.level", np.arange(0, 30_001, 3000),
                              "mso.purchasing_discount", [0.0, 0.05, 0.1, 0.15])),
            simulation_chart(simulate(ohio, spec, 300, seed=1))]
    for i, fig in enumerate(figs):
        fig.savefig(tmp_path / f"{i}.png")
        assert (tmp_path / f"{i}.png").stat().st_size > 10_000
    assert "P(the third-party MSO beats self-managed)" in figs[2].axes[0].get_title()
    pair = simulation_chart(simulate(ohio, spec, 300, seed=1), "mso", baseline="software_only")
    assert "P(the third-party MSO beats self-managed + software)" in pair.axes[0].get_title()


# --------------------------------------------------------------------------- CLI
SPEC_YAML = {"uncertainty": {
    "sensitivity": [{"path": "adjustments.volume_multiplier", "low": 0.8, "high": 1.2},
                    {"path": "mso.fee.level", "low": 10000, "high": 14000}],
    "distributions": [
        {"path": "mso.purchasing_discount", "dist": "triangular", "low": 0.03, "mode": 0.08,
         "high": 0.15},
        {"path": "adjustments.volume_multiplier", "dist": "pert", "low": 0.75, "mode": 1.0,
         "high": 1.15}],
    "correlations": []}}  # the bundled file's correlations name inputs this spec does not sample


@pytest.fixture()
def scenario_with_section(tmp_path):
    """A scenario file that carries its own uncertainty: section (extends the bundled one)."""
    path = tmp_path / "with_uncertainty.yaml"
    base = Path(OHIO).resolve()
    path.write_text(yaml.safe_dump({"extends": str(base), **SPEC_YAML}))
    return path


def test_cli_sensitivity(scenario_with_section, capsys, tmp_path):
    chart = tmp_path / "t.png"
    assert main(["sensitivity", str(scenario_with_section), "--format", "json",
                 "--chart", str(chart)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"scenario", "outcome", "base_incremental_npv", "inputs"} <= set(d)
    assert [r["path"] for r in d["inputs"]] == ["mso.fee.level", "adjustments.volume_multiplier"]
    assert chart.stat().st_size > 10_000
    assert main(["sensitivity", OHIO, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("path,label,base_value")
    assert main(["sensitivity", OHIO]) == 0
    assert "MSO fee level" in capsys.readouterr().out


def test_cli_simulate(scenario_with_section, capsys, tmp_path):
    chart = tmp_path / "m.png"
    args = ["simulate", str(scenario_with_section), "--trials", "300", "--seed", "4"]
    assert main([*args, "--format", "json", "--chart", str(chart)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert {"options", "probabilities", "drivers", "trials", "seed", "clipped"} <= set(first)
    assert set(first["probabilities"]) == {"best", "mso_beats_self_managed",
                                           "software_beats_self_managed"}
    assert set(first["options"]["mso"]["npv"]) == {"P5", "P50", "P95", "mean", "undefined_share"}
    assert chart.stat().st_size > 10_000
    assert main([*args, "--format", "json", "--chunk-size", "70"]) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert main(args) == 0
    assert "P(MSO beats self-managed)" in capsys.readouterr().out


def test_cli_spec_file_and_errors(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC_YAML))
    assert main(["simulate", OHIO, "--spec", str(spec), "--trials", "50"]) == 0
    capsys.readouterr()
    # a scenario without distributions (the hand-worked test case) cannot be simulated
    assert main(["simulate", "tests/cases/hand_worked.yaml", "--trials", "10"]) == 2
    assert "uncertainty.distributions" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"uncertainty": {"distributions": [
        {"path": "mso.purchasing_discount", "dist": "uniform", "low": 0.3, "high": 0.1}]}}))
    assert main(["simulate", OHIO, "--spec", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: uncertainty.distributions.0.low: expected" in err and "Traceback" not in err
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(yaml.safe_dump({"distributions": [
        {"path": "mso.nothing", "dist": "uniform", "low": 0.1, "high": 0.2}]}))
    assert main(["simulate", OHIO, "--spec", str(unknown)]) == 2
    assert "uncertainty.distributions.0.path" in capsys.readouterr().err
    assert main(["sensitivity", "no/such/file.yaml"]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["simulate", OHIO, "--trials", "-5"])
    assert exc.value.code == 2


def test_tornado_and_grid_compare_any_pair(ohio):
    r = msomodel.compare(ohio, trials=0)
    gap = r.metrics["mso"]["npv"] - r.metrics["software_only"]["npv"]
    t = tornado(ohio, outcome="mso", baseline="software_only")
    assert t.baseline == "software_only" and set(t.base) == {"mso", "self_managed"}
    assert t.base["mso"] == pytest.approx(gap, rel=1e-9)
    g = grid(ohio, "mso.fee.level", [9000, 12000], "adjustments.volume_multiplier", [1.0],
             baseline="software_only")
    assert g.values[0, 1] == pytest.approx(gap, rel=1e-9)
    with pytest.raises(ValueError, match="baseline: expected an option other than the outcome"):
        tornado(ohio, outcome="mso", baseline="mso")
