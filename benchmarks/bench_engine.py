"""Engine speed: one 10-site scenario, and 1,000 variants at once vs one at a time.

Baseline (named, same run): 1,000 single evaluations in a Python loop, each one a full
``compile_inputs`` + ``engine.run`` + metrics for a scenario rebuilt with that variant's values
(what a user scripting variants by hand would do).  Candidate: the same 1,000 variants as one
call through the trials axis.  Run: ``python -m benchmarks.bench_engine``.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np

from msomodel import engine, metrics
from msomodel.compare import compare
from msomodel.inputs import compile_inputs
from msomodel.loader import _load_tree, scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent


def ten_site_dict() -> dict:
    data = copy.deepcopy(_load_tree(ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml"))
    data["sites"] = [{"name": f"Site {i + 1}", "open_month": 1 + 4 * i} for i in range(10)]
    data["name"] = "Ten-site benchmark"
    return data


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(n_variants: int = 1000, loop_sample: int = 200) -> dict:
    data = ten_site_dict()
    scenario = scenario_from_dict(data)
    inputs = compile_inputs(scenario)
    t_compare = _best(lambda: compare(scenario))
    t_engine = _best(lambda: engine.run(inputs))

    rng = np.random.default_rng(1)
    fees = rng.uniform(40000, 90000, n_variants)
    vols = rng.uniform(0.8, 1.2, n_variants)
    values = {"mso.fee.per_site_monthly": fees, "adjustments.volume_multiplier": vols}

    def batched():
        p = engine.run(inputs, n_variants, values=values)
        rate = np.full(n_variants, scenario.finance.discount_rate_annual)
        return {o: metrics.option_metrics(v, rate)["npv"] for o, v in p.items()}

    t_batch = _best(batched, 3)
    got = batched()

    def one(i: int):
        d = copy.deepcopy(data)
        d["mso"]["fee"]["per_site_monthly"] = float(fees[i])
        d["adjustments"] = {"volume_multiplier": float(vols[i])}
        inp = compile_inputs(scenario_from_dict(d))
        p = engine.run(inp)
        rate = np.array([scenario.finance.discount_rate_annual])
        return {o: metrics.option_metrics(v, rate)["npv"][0] for o, v in p.items()}

    sample = min(loop_sample, n_variants)
    t = time.perf_counter()
    looped = [one(i) for i in range(sample)]
    t_loop = (time.perf_counter() - t) * n_variants / sample
    err = max(abs(looped[i][o] - got[o][i]) for i in range(sample) for o in got)

    figures = {
        "compare_10_sites_s": t_compare,
        "engine_10_sites_s": t_engine,
        "variants": n_variants,
        "batched_s": t_batch,
        "loop_s_extrapolated": t_loop,
        "loop_sample": sample,
        "speedup": t_loop / t_batch,
        "max_abs_npv_diff": err,
    }
    print("Engine benchmark (10 sites, 60 months, 3 options)")
    print(f"  compare() of one 10-site scenario     {t_compare * 1e3:8.1f} ms (incl. break-even solve)")
    print(f"  engine.run() of one 10-site scenario  {t_engine * 1e3:8.1f} ms")
    print(f"  {n_variants} variants, trials axis        {t_batch * 1e3:8.1f} ms")
    print(f"  {n_variants} variants, loop (baseline)    {t_loop * 1e3:8.1f} ms "
          f"(timed {sample}, scaled linearly)")
    print(f"  speed-up vs loop                      {t_loop / t_batch:8.1f} x   "
          f"(max NPV difference {err:.2e} USD)")
    return figures


if __name__ == "__main__":
    main()
