"""Cost of administrative roles scaled by volume and of membership credit redeemed over months.

One 10-site scenario (``bench_engine.ten_site_dict``), 1,000 trials through the trials axis
(fee and volume sampled, as in ``bench_engine``).  Baseline (named, same run): the scenario as
bundled (neither feature).  Candidates: memberships redeemed over 3 months; ``front_desk``
scaled by visits; both; both with half the providers (the cap binds: compare with "neither,
capacity binding"); and both with the new inputs themselves sampled per trial (the
redemption period then makes the per-line arrays per trial, as sampling a price does: that
case is shown for context).  Rounds are interleaved (each
round runs every case once, starting one case later each round); each case's time is divided
by the baseline's in the same round and the median of those ratios is reported with their
range, so load from other processes that drifts between rounds cancels.  Times are CPU time
of this process (``time.process_time``), less sensitive than wall time to a shared machine.
Run: ``python -m benchmarks.bench_econ``.
"""

from __future__ import annotations

import copy
import time

import numpy as np

from benchmarks.bench_engine import ten_site_dict
from msomodel import engine
from msomodel.inputs import compile_inputs
from msomodel.loader import scenario_from_dict

SCALES = {"visits_per_fte": 250, "step_fte": 0.5, "max_fte": 5}
REDEEM = "site_defaults.service_lines.memberships.redemption_months"
PRICE = "site_defaults.service_lines.neurotoxin.price"
VISITS = "site_defaults.staffing.roles.front_desk.scales_with.visits_per_fte"


def _variant(redeem: bool, scale: bool, tight: bool = False):
    data = copy.deepcopy(ten_site_dict())
    if tight:  # half the providers: the capacity cap binds (members admitted by their window)
        data["site_defaults"]["capacity"]["providers"] *= 0.5
    for line in data["site_defaults"]["service_lines"]:
        if redeem and line.get("kind") == "membership":
            line["redemption_months"] = 3
    for role in data["site_defaults"]["staffing"]["roles"]:
        if scale and role["name"] == "front_desk":
            role["scales_with"] = dict(SCALES)
    return compile_inputs(scenario_from_dict(data))


def main(n_trials: int = 1000, rounds: int = 5) -> dict:
    rng = np.random.default_rng(1)
    base_values = {"mso.fee.per_site_monthly": rng.uniform(40000, 90000, n_trials),
                   "adjustments.volume_multiplier": rng.uniform(0.8, 1.2, n_trials)}
    sampled = {**base_values, REDEEM: rng.integers(1, 7, n_trials).astype(float),
               VISITS: rng.uniform(150, 400, n_trials)}
    cases = {"baseline (neither)": (_variant(False, False), base_values),
             "redemption_months 3": (_variant(True, False), base_values),
             "front_desk scales_with": (_variant(False, True), base_values),
             "both": (_variant(True, True), base_values),
             "neither, capacity binding": (_variant(False, False, True), base_values),
             "both, capacity binding": (_variant(True, True, True), base_values),
             "both, sampled per trial": (_variant(True, True), sampled),
             # context: sampling any per-line input (here a price) also makes them per trial
             "neither, a price sampled per trial": (_variant(False, False), {
                 **base_values, PRICE: rng.uniform(0.9, 1.1, n_trials) * 430.0})}
    times = {name: [] for name in cases}
    names = list(cases)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:  # rotate who goes first
            inputs, values = cases[name]
            t = time.process_time()
            engine.run(inputs, n_trials, values=values)
            times[name].append(time.process_time() - t)
    base = np.array(times["baseline (neither)"])
    figures: dict = {"trials": n_trials, "rounds": rounds, "baseline_median_cpu_s": float(np.median(base))}
    for name in names[1:]:  # each round's ratio to the baseline of the same round
        ratio = np.array(times[name]) / base
        figures[f"ratio {name}"] = (float(np.median(ratio)), float(ratio.min()), float(ratio.max()))
    for key, value in figures.items():
        if isinstance(value, tuple):
            print(f"{key:40s} median {value[0]:6.2f}  (rounds {value[1]:.2f}-{value[2]:.2f})")
        else:
            print(f"{key:40s} {value}")
    return figures


if __name__ == "__main__":
    main()
