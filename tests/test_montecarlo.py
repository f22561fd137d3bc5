"""Monte Carlo: sampling moments, rank correlation, seeding, chunking, degenerate case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import msomodel
from msomodel.analysis import distributions as D
from msomodel.analysis.montecarlo import (
    MonteCarloProblem,
    prepare,
    reduce_blocks,
    run_block,
    simulate,
)
from msomodel.analysis.spec import parse_spec
from msomodel.inputs import compile_inputs

OHIO = "scenarios/ohio_physician_single_site.yaml"

SPEC = {
    "distributions": [
        {"path": "mso.purchasing_discount", "dist": "triangular", "low": 0.03, "mode": 0.08,
         "high": 0.15},
        {"path": "adjustments.volume_multiplier", "dist": "pert", "low": 0.75, "mode": 1.0,
         "high": 1.15},
        {"path": "adjustments.price_multiplier", "dist": "normal", "mean": 1.0, "sd": 0.05},
        {"path": "mso.fee.level", "dist": "uniform", "low": 9000, "high": 16000},
    ],
    "correlations": [
        {"paths": ["adjustments.volume_multiplier", "adjustments.price_multiplier"],
         "rank_correlation": -0.3},
    ],
}


@pytest.fixture(scope="module")
def ohio():
    return msomodel.load_scenario(OHIO)


@pytest.fixture(scope="module")
def result(ohio):
    return simulate(ohio, SPEC, 2500, seed=11, chunk_size=1000)


# --------------------------------------------------------------------------- sampling
N = 200_000


@pytest.mark.parametrize("dist", [
    {"dist": "uniform", "low": 2.0, "high": 5.0},
    {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0},
    {"dist": "pert", "low": 1.0, "mode": 2.0, "high": 6.0},
    {"dist": "pert", "low": 0.0, "mode": 0.9, "high": 1.0, "lamb": 6},
    {"dist": "normal", "mean": 3.0, "sd": 0.7},
    {"dist": "lognormal", "mean": 2.0, "sd": 0.5},
    {"dist": "lognormal", "mu": 0.1, "sigma": 0.3},
])
def test_sampling_matches_moments(dist):
    """Mean within 4 standard errors, sd within 2 % (N = 200,000)."""
    d = parse_spec({"distributions": [{"path": "x", **dist}]}).distributions[0]
    x = D.draw(d, np.random.default_rng(5), N)
    mean, sd = D.mean_of(d), D.sd_of(d)
    assert abs(x.mean() - mean) < 4 * sd / np.sqrt(N)
    assert x.std() == pytest.approx(sd, rel=0.02)
    if dist["dist"] in ("uniform", "triangular", "pert"):
        assert x.min() >= dist["low"] and x.max() <= dist["high"]


def test_lognormal_mean_sd_parameterisation():
    d = parse_spec({"distributions": [{"path": "x", "dist": "lognormal", "mean": 2.0,
                                       "sd": 0.5}]}).distributions[0]
    assert D.mean_of(d) == pytest.approx(2.0) and D.sd_of(d) == pytest.approx(0.5)


def test_rank_correlation_applied(ohio):
    spec = {"distributions": SPEC["distributions"][1:3] + [
        {"path": "adjustments.wage_multiplier", "dist": "uniform", "low": 0.9, "high": 1.1}],
        "correlations": [{"paths": ["adjustments.volume_multiplier", "adjustments.price_multiplier",
                                    "adjustments.wage_multiplier"], "rank_correlation": 0.6}]}
    plan = D.compile_plan(spec, ohio, compile_inputs(ohio))
    values, _ = D.sample(plan, np.random.default_rng(2), 20_000)
    rho = pd.DataFrame(values).corr(method="spearman").to_numpy()
    off = rho[~np.eye(3, dtype=bool)]
    assert np.all(np.abs(off - 0.6) < 0.03)
    # marginals are untouched by the reordering
    indep, _ = D.sample(D.compile_plan({"distributions": spec["distributions"]}, ohio,
                                       compile_inputs(ohio)), np.random.default_rng(2), 20_000)
    for p in values:
        np.testing.assert_array_equal(np.sort(values[p]), np.sort(indep[p]))


def test_negative_correlation_in_simulation(result):
    rho = result.samples[["adjustments.volume_multiplier", "adjustments.price_multiplier"]].corr(
        method="spearman").iloc[0, 1]
    assert rho == pytest.approx(-0.3, abs=0.05)


def test_impossible_correlations_are_an_error(ohio):
    dists = [{"path": p, "dist": "uniform", "low": 0.9, "high": 1.1} for p in
             ("adjustments.volume_multiplier", "adjustments.price_multiplier",
              "adjustments.wage_multiplier")]
    spec = {"distributions": dists, "correlations": [
        {"paths": [dists[0]["path"], dists[1]["path"]], "rank_correlation": 0.95},
        {"paths": [dists[1]["path"], dists[2]["path"]], "rank_correlation": 0.95},
        {"paths": [dists[0]["path"], dists[2]["path"]], "rank_correlation": -0.95}]}
    with pytest.raises(msomodel.ScenarioError, match="uncertainty.correlations"):
        D.compile_plan(spec, ohio, compile_inputs(ohio))


def test_clipping_to_schema_bounds_is_counted(ohio):
    spec = {"distributions": [
        {"path": "mso.purchasing_discount", "dist": "normal", "mean": 0.0, "sd": 0.05},
        {"path": "sites.Columbus.open_month", "dist": "normal", "mean": 55.0, "sd": 10.0}]}
    r = simulate(ohio, spec, 400, seed=1)
    disc = r.samples["mso.purchasing_discount"]
    assert disc.min() == 0.0 and r.clipped["mso.purchasing_discount"] == int((disc == 0).sum())
    assert 150 < r.clipped["mso.purchasing_discount"] < 250  # about half
    months = r.samples["sites.Columbus.open_month"]
    assert months.between(1, ohio.finance.horizon_months).all()
    assert (months == np.rint(months)).all()
    assert r.clipped["sites.Columbus.open_month"] > 0


# --------------------------------------------------------------------------- seeding
def test_same_seed_identical_different_seed_different(ohio, result):
    again = simulate(ohio, SPEC, 2500, seed=11, chunk_size=1000)
    pd.testing.assert_frame_equal(result.outcomes, again.outcomes)
    pd.testing.assert_frame_equal(result.samples, again.samples)
    other = simulate(ohio, SPEC, 2500, seed=12, chunk_size=1000)
    assert not np.allclose(result.outcomes["mso.npv"], other.outcomes["mso.npv"])
    assert result.to_dict() != other.to_dict()


@pytest.mark.parametrize("chunk_size", [64, 333, 2000, 5000])
def test_chunk_size_does_not_change_results(ohio, result, chunk_size):
    other = simulate(ohio, SPEC, 2500, seed=11, chunk_size=chunk_size)
    pd.testing.assert_frame_equal(result.outcomes, other.outcomes, check_exact=True)
    assert result.to_dict() == other.to_dict()


def test_blocks_evaluated_anywhere_reduce_to_the_same_result(ohio, result):
    """The Dask contract: run_block is pure; blocks in any order reduce to the local result."""
    import pickle

    problem = prepare(ohio, SPEC, 2500, seed=11)
    assert isinstance(problem, MonteCarloProblem) and problem.n_blocks == 3
    problem = pickle.loads(pickle.dumps(problem))
    blocks = [run_block(problem, b, chunk_size=700) for b in (2, 0, 1)]
    reduced = reduce_blocks(problem, blocks, scenario_name=result.scenario,
                            feasible=result.feasible, labels=result.labels, base=result.base)
    pd.testing.assert_frame_equal(result.outcomes, reduced.outcomes, check_exact=True)
    assert reduced.to_dict() == result.to_dict()
    with pytest.raises(ValueError, match="every block"):
        reduce_blocks(problem, blocks[:2], scenario_name="x", feasible={}, labels={})


# --------------------------------------------------------------------------- degenerate
def test_degenerate_distributions_reproduce_compare(ohio):
    cmp = msomodel.compare(ohio)
    spec = {"distributions": [
        {"path": "mso.purchasing_discount", "dist": "uniform", "low": 0.08, "high": 0.08},
        {"path": "adjustments.volume_multiplier", "dist": "normal", "mean": 1.0, "sd": 0.0},
        {"path": "mso.fee.level", "dist": "pert", "low": 12000, "mode": 12000, "high": 12000},
        {"path": "adjustments.price_multiplier", "dist": "triangular", "low": 1, "mode": 1,
         "high": 1}]}
    r = simulate(ohio, spec, 30, seed=3)
    for option in msomodel.OPTIONS:
        npv = r.outcomes[f"{option}.npv"].to_numpy()
        np.testing.assert_allclose(npv, cmp.metrics[option]["npv"], rtol=1e-9, atol=0)
        np.testing.assert_allclose(r.outcomes[f"{option}.irr_annual"],
                                   cmp.metrics[option]["irr_annual"], rtol=1e-9)
        np.testing.assert_array_equal(r.outcomes[f"{option}.payback_month"],
                                      cmp.metrics[option]["payback_month"])
    for option in ("mso", "software_only"):
        np.testing.assert_allclose(r.outcomes[f"incremental.{option}.npv"],
                                   cmp.incremental[option]["npv"], rtol=1e-9)
    assert all(c == 0 for c in r.clipped.values())


# --------------------------------------------------------------------------- summaries
def test_summaries(result):
    pct = result.percentiles()
    for option in msomodel.OPTIONS:
        row = pct.loc[(option, "npv")]
        assert row["P5"] <= row["P50"] <= row["P95"]
    probs = result.probabilities()
    assert sum(probs["best"].values()) == pytest.approx(1.0)
    inc = result.outcomes["incremental.mso.npv"]
    assert probs["mso_beats_self_managed"] == pytest.approx((inc > 0).mean())
    drivers = result.drivers("mso")
    assert drivers.iloc[0]["path"] == "mso.fee.level" and drivers.iloc[0]["spearman"] < -0.5
    disc = drivers.set_index("path").loc["mso.purchasing_discount", "spearman"]
    assert disc > 0
    # the vectorized Spearman agrees with pandas
    both = result.samples.assign(_inc=inc.to_numpy())
    expected = both.corr(method="spearman")["_inc"].drop("_inc")
    np.testing.assert_allclose(drivers.set_index("path")["spearman"][expected.index], expected,
                               atol=1e-12)
    hist = result.histogram(bins=25)
    assert hist["count"].sum() == result.trials and len(hist) == 25
    cdf = result.cdf(points=11)
    assert cdf["value"].is_monotonic_increasing
    d = result.to_dict()
    assert set(d) >= {"options", "probabilities", "drivers", "clipped", "trials", "seed"}
    assert set(d["options"]["mso"]) >= {"npv", "irr_annual", "payback_month", "incremental_npv"}


def test_best_only_among_feasible_options():
    s = msomodel.load_scenario("scenarios/texas_rn_single_site.yaml")
    spec = {"distributions": [{"path": "adjustments.volume_multiplier", "dist": "uniform",
                               "low": 0.8, "high": 1.2}]}
    r = simulate(s, spec, 200, seed=1)
    probs = r.probabilities()["best"]
    for option, allowed in r.feasible.items():
        if not allowed:
            assert probs[option] == 0.0
    assert sum(probs.values()) == pytest.approx(1.0)


def test_bad_arguments(ohio):
    with pytest.raises(msomodel.ScenarioError, match="uncertainty.distributions"):
        simulate(ohio, {}, 10, seed=1)
    with pytest.raises(ValueError, match="trials"):
        simulate(ohio, SPEC, 0, seed=1)
    with pytest.raises(ValueError, match="chunk_size"):
        simulate(ohio, SPEC, 10, seed=1, chunk_size=0)


def test_a_distribution_follows_its_input_by_ratio_or_by_difference():
    from msomodel.analysis.paths import bounds
    from tests.conftest import ROOT

    data = msomodel.load_scenario(ROOT / OHIO).model_dump(mode="json", exclude_none=True)
    data["mso"]["revenue_uplift"] = 0.0
    base = msomodel.scenario_from_dict(data)
    start = compile_inputs(base)
    a = start.path_value("finance.discount_rate_annual")
    data["finance"]["discount_rate_annual"] = 2 * a
    data["mso"]["revenue_uplift"] = 0.05          # from 0: no ratio, a shift of +0.05
    data["adjustments"] = {"price_multiplier": 1.2}
    now = compile_inputs(msomodel.scenario_from_dict(data))
    assert start.path_value("mso.revenue_uplift") == 0.0
    spec = parse_spec({"distributions": [
        {"path": "finance.discount_rate_annual", "dist": "normal", "mean": a, "sd": 0.02},
        {"path": "mso.revenue_uplift", "dist": "triangular", "low": 0.0, "mode": 0.0, "high": 0.04},
        {"path": "adjustments.price_multiplier", "dist": "lognormal", "mu": 0.0, "sigma": 0.1},
        {"path": "adjustments.volume_multiplier", "dist": "uniform", "low": 0.8, "high": 1.1}]})
    out, paths = D.follow(spec, base, start, now)
    assert paths == ["finance.discount_rate_annual", "mso.revenue_uplift",
                     "adjustments.price_multiplier"]
    rate, uplift, price, volume = out.distributions
    assert (rate.mean, rate.sd) == pytest.approx((2 * a, 0.04))
    assert (uplift.low, uplift.mode, uplift.high) == pytest.approx((0.05, 0.05, 0.09))
    assert price.mu == pytest.approx(np.log(1.2)) and price.sigma == 0.1
    assert volume == spec.distributions[3]  # its input did not move
    # a moved range stays within the input's bounds (the uplift cannot pass 1)
    top = bounds(base, "mso.revenue_uplift").upper
    data["mso"]["revenue_uplift"] = top - 0.01
    out, _ = D.follow(spec, base, start, compile_inputs(msomodel.scenario_from_dict(data)))
    assert out.distributions[1].high == top


def test_a_moved_lognormal_keeps_its_centre_within_the_inputs_bounds():
    from msomodel.analysis.paths import bounds
    from tests.conftest import ROOT

    data = msomodel.load_scenario(ROOT / OHIO).model_dump(mode="json", exclude_none=True)
    data["mso"]["purchasing_discount"] = 0.3
    data["mso"]["purchasing_discount_max"] = 1.0
    base = msomodel.scenario_from_dict(data)
    start = compile_inputs(base)
    data["mso"]["purchasing_discount"] = 0.8
    moved = msomodel.scenario_from_dict(data)
    now = compile_inputs(moved)
    top = bounds(base, "mso.purchasing_discount").upper
    for dist in ({"dist": "lognormal", "mean": 0.4, "sd": 0.1},
                 {"dist": "lognormal", "mu": float(np.log(0.4)), "sigma": 0.2}):
        spec = parse_spec({"distributions": [{"path": "mso.purchasing_discount", **dist}]})
        out, paths = D.follow(spec, base, start, now)
        assert paths == ["mso.purchasing_discount"]
        d = out.distributions[0]
        assert (d.mean if d.mean is not None else float(np.exp(d.mu))) == pytest.approx(top)
        D.compile_plan(out, moved, now)  # a plan the Monte Carlo accepts
