"""Benchmark: Monte Carlo through the engine's trials axis vs one scenario at a time.

Scenario: the bundled Ohio single-site scenario grown to 5 sites (opening in months 1, 4, 7,
10 and 13), 60 months, all three options; 7 inputs sampled (fee, purchasing discount,
volume, price and wage multipliers, software no-show reduction, rent), two of them
rank-correlated.

Times (one run, same machine, same samples):
(a) ``msomodel.analysis.simulate`` of 10,000 trials (chunks of 250 trials per engine call;
    NPV, IRR and payback of every option, incremental NPVs, Spearman drivers included);
(b) the single-scenario API: for each sample the scenario is rebuilt from the raw mapping
    (``scenario_from_dict``) and ``msomodel.compare`` is run -- timed on the first
    ``SUBSET`` samples and extrapolated LINEARLY to 10,000;
(c) a leaner one-at-a-time loop (rebuild + ``compile_inputs`` + ``engine.run`` with one trial
    + NPV/IRR/payback), i.e. without ``compare``'s break-even solve and tables -- same subset
    and extrapolation.
The subset's per-sample NPVs are checked against the vectorized ones (rel. 1e-9).

Every timing is the best of ``REPEAT`` runs.

Memory: 100,000 trials in chunks of 250 in a fresh subprocess; peak traced by tracemalloc
(numpy reports its buffers to it) and the growth of the process's peak RSS (ru_maxrss).

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_montecarlo``.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import msomodel
from msomodel import engine, finance
from msomodel.analysis import paths as P
from msomodel.analysis.montecarlo import simulate
from msomodel.inputs import compile_inputs
from msomodel.loader import _load_tree

ROOT = Path(__file__).resolve().parent.parent
OHIO = ROOT / "scenarios" / "ohio_physician_single_site.yaml"
TRIALS, SUBSET, MEMORY_TRIALS, CHUNK, SEED = 10_000, 200, 100_000, 250, 20240601
REPEAT = 2  # best of REPEAT for every timing (the machine is shared)
GOAL_RATIO, MEMORY_LIMIT = 50.0, 2 * 1024**3

SPEC: dict[str, Any] = {
    "distributions": [
        {"path": "mso.fee.per_site_monthly", "dist": "triangular", "low": 9000, "mode": 12000,
         "high": 16000},
        {"path": "mso.purchasing_discount", "dist": "triangular", "low": 0.03, "mode": 0.08,
         "high": 0.15},
        {"path": "adjustments.volume_multiplier", "dist": "pert", "low": 0.7, "mode": 1.0,
         "high": 1.2},
        {"path": "adjustments.price_multiplier", "dist": "normal", "mean": 1.0, "sd": 0.06},
        {"path": "adjustments.wage_multiplier", "dist": "uniform", "low": 0.9, "high": 1.15},
        {"path": "software.no_show_reduction", "dist": "pert", "low": 0.1, "mode": 0.23,
         "high": 0.35},
        {"path": "site_defaults.opex.rent.monthly", "dist": "lognormal", "mean": 9000, "sd": 1500},
    ],
    "correlations": [{"paths": ["adjustments.volume_multiplier", "adjustments.price_multiplier"],
                      "rank_correlation": -0.3}],
}


def five_site_raw() -> dict[str, Any]:
    """Raw mapping of the 5-site scenario (the Ohio one with four more sites)."""
    raw = _load_tree(OHIO)
    first = raw["sites"][0]
    raw["name"] = "Ohio physician, five sites (benchmark)"
    raw["sites"] = [first] + [{**first, "name": f"Site{i + 2}", "open_month": 1 + 3 * (i + 1)}
                              for i in range(4)]
    return raw


def _one_at_a_time(raw: dict[str, Any], samples, lean: bool) -> tuple[float, np.ndarray]:
    """Seconds for the samples one by one, and each one's MSO NPV."""
    npv = np.empty(len(samples))
    t0 = time.perf_counter()
    for i, row in enumerate(samples.itertuples(index=False)):
        data = copy.deepcopy(raw)
        for path, value in zip(samples.columns, row, strict=True):
            P.set_path(data, path, float(value))
        scenario = msomodel.scenario_from_dict(data)
        if lean:
            inputs = compile_inputs(scenario)
            projections = engine.run(inputs)
            rate = finance.monthly_rate(inputs.arrays["discount_rate"])
            for p in projections.values():
                finance.npv(rate, p.net_cash_flow)
                finance.irr_annual(p.net_cash_flow)
                finance.payback_month(p.net_cash_flow)
            npv[i] = finance.npv(rate, projections["mso"].net_cash_flow)[0]
        else:
            npv[i] = msomodel.compare(scenario).metrics["mso"]["npv"]
    return time.perf_counter() - t0, npv


def _memory_child() -> None:
    """Run in a fresh process: 100,000 trials in chunks, print the memory figures as JSON."""
    import resource
    import tracemalloc

    scenario = msomodel.scenario_from_dict(five_site_raw())
    simulate(scenario, SPEC, 1000, SEED, chunk_size=CHUNK)  # warm up imports and caches
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    t0 = time.perf_counter()
    result = simulate(scenario, SPEC, MEMORY_TRIALS, SEED, chunk_size=CHUNK)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"trials": MEMORY_TRIALS, "chunk_size": CHUNK, "seconds_traced": seconds,
                      "tracemalloc_peak_bytes": peak, "maxrss_bytes": rss1,
                      "maxrss_growth_bytes": rss1 - rss0,
                      "p_mso_beats": result.probabilities()["mso_beats_self_managed"]}))


def main() -> dict[str, Any]:
    raw = five_site_raw()
    scenario = msomodel.scenario_from_dict(raw)
    simulate(scenario, SPEC, 500, SEED)  # warm-up

    vectorised = np.inf
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        result = simulate(scenario, SPEC, TRIALS, SEED, chunk_size=CHUNK)
        vectorised = min(vectorised, time.perf_counter() - t0)

    subset = result.samples.iloc[:SUBSET]
    runs = [_one_at_a_time(raw, subset, lean=False) for _ in range(REPEAT)]
    t_compare, npv_compare = min(r[0] for r in runs), runs[0][1]
    runs = [_one_at_a_time(raw, subset, lean=True) for _ in range(REPEAT)]
    t_lean, npv_lean = min(r[0] for r in runs), runs[0][1]
    expected = result.outcomes["mso.npv"].to_numpy()[:SUBSET]
    agree = bool(np.allclose(npv_compare, expected, rtol=1e-9, atol=0)
                 and np.allclose(npv_lean, expected, rtol=1e-9, atol=0))
    scale = TRIALS / SUBSET
    loop_compare, loop_lean = t_compare * scale, t_lean * scale

    child = subprocess.run([sys.executable, "-c",
                            "from benchmarks.bench_montecarlo import _memory_child; _memory_child()"],
                           cwd=ROOT, capture_output=True, text=True, check=True)
    memory = json.loads(child.stdout.strip().splitlines()[-1])

    out = {
        "trials": TRIALS, "sites": len(scenario.sites), "months": scenario.finance.horizon_months,
        "sampled_inputs": len(SPEC["distributions"]), "chunk_size": CHUNK,
        "vectorised_seconds": vectorised,
        "per_trial_ms_vectorised": vectorised / TRIALS * 1e3,
        "subset": SUBSET,
        "compare_loop_subset_seconds": t_compare,
        "compare_loop_extrapolated_seconds": loop_compare,
        "lean_loop_subset_seconds": t_lean,
        "lean_loop_extrapolated_seconds": loop_lean,
        "speedup_vs_compare": loop_compare / vectorised,
        "speedup_vs_lean_loop": loop_lean / vectorised,
        "goal_speedup": GOAL_RATIO,
        "results_agree": agree,
        "memory": memory,
        "memory_under_2GiB": memory["tracemalloc_peak_bytes"] < MEMORY_LIMIT
        and memory["maxrss_bytes"] < MEMORY_LIMIT,
    }
    _print(out)
    return out


def _print(r: dict[str, Any]) -> None:
    mib = 1024**2
    m = r["memory"]
    print(f"Monte Carlo, {r['trials']:,} trials, {r['sites']} sites x {r['months']} months, "
          f"all options, {r['sampled_inputs']} sampled inputs")
    print(f"{'method':<58}{'seconds':>10}{'speed-up':>10}")
    print(f"{'trials axis (msomodel.analysis.simulate)':<58}{r['vectorised_seconds']:>10.2f}{'1x':>10}")
    print(f"{'scenario rebuilt + msomodel.compare, one at a time *':<58}"
          f"{r['compare_loop_extrapolated_seconds']:>10.1f}{r['speedup_vs_compare']:>9.0f}x")
    print(f"{'scenario rebuilt + engine.run(1 trial) + metrics *':<58}"
          f"{r['lean_loop_extrapolated_seconds']:>10.1f}{r['speedup_vs_lean_loop']:>9.0f}x")
    print(f"* timed on the first {r['subset']} samples ({r['compare_loop_subset_seconds']:.2f} s and "
          f"{r['lean_loop_subset_seconds']:.2f} s) and extrapolated linearly to {r['trials']:,}")
    print(f"goal >= {r['goal_speedup']:.0f}x; per-sample NPVs agree with the vectorized ones: "
          f"{r['results_agree']}")
    print(f"memory, {m['trials']:,} trials in chunks of {m['chunk_size']:,}: tracemalloc peak "
          f"{m['tracemalloc_peak_bytes'] / mib:,.0f} MiB, process peak RSS "
          f"{m['maxrss_bytes'] / mib:,.0f} MiB (growth {m['maxrss_growth_bytes'] / mib:,.0f} MiB); "
          f"under 2 GiB: {r['memory_under_2GiB']}  ({m['seconds_traced']:.1f} s with tracing)")


if __name__ == "__main__":
    main()
