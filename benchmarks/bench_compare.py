"""The decision's cost: ``compare`` with its default 2,000-trial Monte Carlo, five sites.

Baselines (named, same run, interleaved, best of 5):

- ``compare(trials=0)``: the same comparison without the Monte Carlo (projections, metrics,
  break-even fees, flip values and asymmetric inputs) — what a point-estimate ``compare`` costs;
- the Monte Carlo alone through ``msomodel.compare`` one trial at a time would take
  ``trials x`` the single compare, so it is reported as a ratio to that product.

Goal (issue 10): ``compare`` with 2,000 trials under 0.5 s in-process for the five-site
scenario.

Also where the wall time of ``msomodel compare`` (the CLI, issue 17) goes, phase by phase, in
fresh processes (median of ``STARTUP_ROUNDS``): the imports (numpy, pydantic, the scenario
models, the rest of msomodel), reading and validating the scenario, the state-rules data (the
cached validated rule book), the comparison itself and printing its tables; and whether pandas
was imported (it should not be).

And the CLI's wall time against ``python -c "import pandas"`` and against the CLI of
:data:`CLI_BASELINE` (``git archive``; ``--baseline COMMIT`` for another), fresh processes,
``CLI_ROUNDS`` rounds after a warm-up, the order rotating each round; each figure is the median
of the rounds' ratios, with their range.  Both trees read bytecode (``compileall`` first: a tree
without ``__pycache__`` would compile every module on every run, e.g. under
``PYTHONDONTWRITEBYTECODE=1``), and a rules cache folder of the benchmark's own.  Run: ``python -m benchmarks.bench_compare [--baseline COMMIT]
[--rounds N]``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import msomodel
from msomodel.decision import DEFAULT_TRIALS

ROOT = Path(__file__).resolve().parent.parent
FLORIDA = ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml"
STARTUP_ROUNDS = 5
CLI_ROUNDS = 9
CLI_BASELINE = "ccdd807"  # main before this round of start-up work

# One fresh process: the phases of `msomodel compare FLORIDA` (table output), in seconds.
_PHASES = """
import contextlib, io, json, sys, time
t = [time.perf_counter()]
def mark():
    t.append(time.perf_counter())
import numpy; mark()
import pydantic; mark()
import msomodel.scenario; mark()
import msomodel.compare, msomodel.loader, msomodel.tables, msomodel.cli; mark()
from msomodel.cli import _load
scenario = _load(sys.argv[1]); mark()
from msomodel.rules import load_rulebook
load_rulebook(); mark()
from msomodel.compare import compare_structures
results = compare_structures(scenario); mark()
from msomodel import cli
cli._load = lambda path: scenario
sys.modules["msomodel.compare"].compare_structures = lambda s, **kw: results
with contextlib.redirect_stdout(io.StringIO()):
    cli.main(["compare", sys.argv[1]])
mark()
names = ["numpy", "pydantic", "scenario_models", "msomodel_rest", "load_scenario", "rules_data",
         "compare", "print_tables"]
print(json.dumps({"phases": dict(zip(names, [b - a for a, b in zip(t, t[1:])])),
                  "pandas_imported": "pandas" in sys.modules}))
"""


def startup(rounds: int = STARTUP_ROUNDS) -> dict:
    """Median seconds of each phase of the CLI's ``compare`` over fresh processes."""
    runs = []
    for _ in range(rounds + 1):  # the first warms the file cache and the rules cache
        out = subprocess.run([sys.executable, "-c", _PHASES, str(FLORIDA)], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    runs = runs[1:]
    phases = {k: statistics.median(r["phases"][k] for r in runs) for k in runs[0]["phases"]}
    total = sum(phases.values())
    print(f"msomodel compare (CLI, fresh process), median of {rounds}: {total * 1000:.0f} ms")
    for k, v in phases.items():
        print(f"  {k:<16} {v * 1000:6.0f} ms  {v / total:5.1%}")
    pandas = any(r["pandas_imported"] for r in runs)
    print(f"  pandas imported: {'YES' if pandas else 'no'}")
    return {"phases_s": phases, "total_s": total, "pandas_imported": pandas, "rounds": rounds}


def _compiled(tree: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "msomodel")], env=env,
                   check=True, stdout=subprocess.DEVNULL)


def cli_vs_baseline(commit: str = CLI_BASELINE, rounds: int = CLI_ROUNDS) -> dict:
    """``msomodel compare FLORIDA`` (table) of this tree and of ``commit``, and ``import pandas``:
    fresh processes, rotated rounds; ratios per round (median and range)."""
    import tempfile

    from benchmarks.bench_goals import _baseline_tree, _ratio, _rotated, _wall

    cli = [sys.executable, "-m", "msomodel.cli", "compare", str(FLORIDA)]
    with _baseline_tree(commit) as before, tempfile.TemporaryDirectory() as rules_cache:
        # a rules cache of the benchmark's own: a shared folder keeps 8 rule books, and other
        # checkouts' runs could push a tree's out (a cold run, ~0.5 s more) between rounds
        cache = {"MSOMODEL_CACHE_DIR": rules_cache}
        if before is None:
            print(f"no tree for {commit}: the CLI against import pandas only")
        runs = {"compare": lambda: _wall(cli, ROOT, **cache),
                "import_pandas": lambda: _wall([sys.executable, "-c", "import pandas"], ROOT)}
        for tree in (ROOT, before):
            if tree is not None:
                _compiled(tree)
        if before is not None:
            runs["compare_baseline"] = lambda: _wall(cli, before, **cache)
        for run in runs.values():  # warm-up: file cache, the rules cache
            run()
        times = _rotated(runs, rounds)
    out = {f"{k}_s": statistics.median(v) for k, v in times.items()}
    out.update(rounds=rounds, times_s=times, vs_pandas=_ratio(times, "compare", "import_pandas"))
    lines = [f"msomodel compare (CLI, Florida, table), {rounds} rotated rounds: "
             f"{out['compare_s'] * 1000:.0f} ms; import pandas {out['import_pandas_s'] * 1000:.0f} ms",
             "  vs import pandas: {median:.2f} [{range[0]:.2f}-{range[1]:.2f}]".format(
                 **out["vs_pandas"])]
    if before is not None:
        out.update(baseline=commit, vs_baseline=_ratio(times, "compare", "compare_baseline"),
                   baseline_vs_pandas=_ratio(times, "compare_baseline", "import_pandas"))
        lines += ["  vs {c} ({ms:.0f} ms): {median:.3f} [{range[0]:.3f}-{range[1]:.3f}]".format(
                      c=commit, ms=out["compare_baseline_s"] * 1000, **out["vs_baseline"]),
                  "  {c} vs import pandas: {median:.2f} [{range[0]:.2f}-{range[1]:.2f}]".format(
                      c=commit, **out["baseline_vs_pandas"])]
    print("\n".join(lines))
    return out


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
            "speedup_vs_trial_loop": naive / f, "goal_s": 0.5, "cli_startup": startup(),
            "cli_vs_baseline": cli_vs_baseline(*_args())}


def _args() -> tuple[str, int]:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_compare")
    parser.add_argument("--baseline", default=CLI_BASELINE, help="commit of the baseline CLI")
    parser.add_argument("--rounds", type=int, default=CLI_ROUNDS)
    args, _ = parser.parse_known_args()
    return args.baseline, args.rounds


if __name__ == "__main__":
    main()
