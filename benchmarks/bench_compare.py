"""The decision's cost: ``compare`` with its default 2,000-trial Monte Carlo, five sites.

Baselines (named, same run, interleaved, best of 5):

- ``compare(trials=0)``: the same comparison without the Monte Carlo (projections, metrics,
  break-even fees, flip values and asymmetric inputs) — what a point-estimate ``compare`` costs;
- the Monte Carlo alone through ``msomodel.compare`` one trial at a time would take
  ``trials x`` the single compare, so it is reported as a ratio to that product.

Goal (issue 10): ``compare`` with 2,000 trials under 0.5 s in-process for the five-site
scenario.  Run: ``python -m benchmarks.bench_compare``.
"""

from __future__ import annotations

import time
from pathlib import Path

import msomodel
from msomodel.decision import DEFAULT_TRIALS

ROOT = Path(__file__).resolve().parent.parent
FLORIDA = ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml"


def main() -> dict:
    scenario = msomodel.load_scenario(FLORIDA)
    msomodel.compare(scenario)  # warm caches (rules data, imports)
    full, point = [], []
    for _ in range(5):  # interleaved
        t = time.perf_counter()
        msomodel.compare(scenario)
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        msomodel.compare(scenario, trials=0)
        point.append(time.perf_counter() - t)
    f, p = min(full), min(point)
    naive = p * DEFAULT_TRIALS
    print(f"compare, 5 sites, {DEFAULT_TRIALS:,} trials: {f * 1000:.0f} ms (goal < 500 ms)")
    print(f"compare without the Monte Carlo:         {p * 1000:.0f} ms  -> the decision's "
          f"Monte Carlo adds {(f - p) * 1000:.0f} ms ({f / p:.2f}x)")
    print(f"vs {DEFAULT_TRIALS:,} point compares one at a time (~{naive:.0f} s): "
          f"{naive / f:.0f}x faster")
    return {"compare_2000_trials_s": f, "compare_no_mc_s": p, "ratio_to_point_compare": f / p,
            "speedup_vs_trial_loop": naive / f, "goal_s": 0.5}


if __name__ == "__main__":
    main()
