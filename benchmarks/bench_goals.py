"""The goals table of issue 17: each figure of its table that one run can measure, as a ratio
against its named baseline in the same run, beside its goal and pass/fail.

Rows measured here (Florida, the bundled five-site scenario, unless said otherwise; the
sampled inputs are :data:`SPEC`; every timing is the median of ``ROUNDS`` interleaved rounds):

- Monte Carlo vectorized (``simulate``, ``TRIALS`` trials) vs the same engine one trial at a
  time on the same compiled inputs (``outcomes(inputs, 1, ...)`` per sample, BLAS on one thread
  as well; timed on the first ``LOOP_TRIALS`` samples and extrapolated linearly); the loop's
  NPVs are checked against the vectorized ones (rel. 1e-9).
- Monte Carlo time per trial at 5 sites vs *today's code*: the tree of :data:`BASELINE_COMMIT`
  (the commit before issue 17's engine work, extracted with ``git archive``; it runs on its own
  copy of the scenario file), each side in a fresh process, in-process timing after a warm-up.
- Peak memory of ``simulate`` on a 100-site scenario (Florida's first site repeated, openings
  spread over two years; ``MEMORY_TRIALS`` trials; tracemalloc, fresh process) with the
  element-sized engine calls, and as a ratio to the fixed 250-trial calls of before.
- No slowdown at 5 sites (and at 1 site, Ohio): element-sized calls vs fixed 250-trial calls,
  same process.
- BLAS on one thread (threadpoolctl) vs numpy's default threads, same process.
- ``msomodel compare`` CLI wall time (Florida, default table output) vs ``python -c "import
  pandas"``: each a fresh process, ``CLI_ROUNDS`` interleaved rounds (the order rotating each
  round) after one warm-up run of each (file cache, bytecode, the rules cache); the ratio is the
  median of the rounds' ratios, with their range.  In the same rounds, for information: the CLI
  of :data:`CLI_BASELINE_COMMIT` (before issue 17's start-up work, from ``git archive``) and the
  CLI with the rules cache off (``MSOMODEL_CACHE_DIR=off``: what a first run pays), and the
  time of reading the state-rules data in a fresh process (cache hit).

The report and explorer rows are filled in only when ``bench_report`` / ``bench_explorer`` ran
in the same ``python -m benchmarks`` invocation (``make bench BENCH="report explorer goals"``).
Speed is never asserted in tests; this only prints.  Run: ``python -m benchmarks goals``.
"""

from __future__ import annotations

import compileall
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FLORIDA = "scenarios/florida_entrepreneur_five_sites.yaml"
OHIO = "scenarios/ohio_physician_single_site.yaml"
BASELINE_COMMIT = "5445e5f"  # before "Engine: no per-line (T, S, L, M) arrays per option"
TRIALS, LOOP_TRIALS, MEMORY_TRIALS, SEED, ROUNDS = 4000, 200, 500, 20240601, 3
IN_PROCESS = 7  # rounds of the cheap same-process comparisons
CLI_ROUNDS = 7  # rounds of the fresh-process CLI comparison (issue 17 asks for at least 5)
CLI_BASELINE_COMMIT = "ffaf624"  # main before the CLI start-up work (lazy imports, rules cache)
WANTS_RESULTS = True  # python -m benchmarks passes the other benchmarks' results

SPEC: dict[str, Any] = {"distributions": [
    {"path": "mso.fee.per_site_monthly", "dist": "triangular", "low": 9000, "mode": 12000,
     "high": 16000},
    {"path": "adjustments.volume_multiplier", "dist": "pert", "low": 0.7, "mode": 1.0,
     "high": 1.2},
    {"path": "adjustments.price_multiplier", "dist": "normal", "mean": 1.0, "sd": 0.06},
    {"path": "adjustments.wage_multiplier", "dist": "uniform", "low": 0.9, "high": 1.15},
]}

# Runs in a fresh process against whichever msomodel is on PYTHONPATH (today's or the
# candidate's): only APIs both have.  Prints milliseconds per trial.
_PER_TRIAL_CHILD = """
import json, sys, time
import msomodel
from msomodel.analysis.montecarlo import simulate
spec, trials, seed = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = msomodel.load_scenario(sys.argv[4])
simulate(s, spec, 500, seed)
t = time.perf_counter()
simulate(s, spec, trials, seed)
print((time.perf_counter() - t) / trials * 1e3)
"""

_MEMORY_CHILD = """
import json, sys, time, tracemalloc
import msomodel
from msomodel.analysis.montecarlo import simulate
from msomodel.loader import _load_tree
spec, trials, seed, sites = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
chunk = None if sys.argv[5] == "elements" else int(sys.argv[5])
raw = _load_tree(__import__("pathlib").Path(sys.argv[6]))
first = raw["sites"][0]
raw["name"] = f"{sites}-site benchmark"
raw["sites"] = [{**first, "name": f"Site {i + 1}", "open_month": 1 + i % 24} for i in range(sites)]
s = msomodel.scenario_from_dict(raw)
kw = {} if chunk is None else {"chunk_size": chunk}
simulate(s, spec, 50, seed, **kw)
tracemalloc.start()
t = time.perf_counter()
simulate(s, spec, trials, seed, **kw)
seconds = time.perf_counter() - t
print(json.dumps({"peak_bytes": tracemalloc.get_traced_memory()[1], "seconds": seconds}))
"""


# What compare spends reading the state-rules data (fresh process, imports excluded).
_RULES_CHILD = """
import time
from msomodel.rules import load_rulebook
t = time.perf_counter()
load_rulebook()
print(time.perf_counter() - t)
"""


def _env(tree: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process: ``tree`` first on the path, and Python's default of
    writing bytecode (a shell's ``PYTHONDONTWRITEBYTECODE`` would make every fresh process of
    a tree without ``__pycache__`` compile its modules again, which no user's run pays)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(tree), **extra}


def _child(code: str, tree: Path, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=tree, env=_env(tree),
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def _wall(argv: list[str], tree: Path, **extra: str) -> float:
    t = time.perf_counter()
    subprocess.run(argv, cwd=tree, env=_env(tree, **extra), stdout=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - t


def _rotated(runs: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each of ``runs`` once per round, the order rotating from round to round."""
    names = list(runs)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for n in names[r % len(names):] + names[:r % len(names)]:
            times[n].append(runs[n]())
    return times


def _ratio(times: dict[str, list[float]], a: str, b: str) -> dict[str, Any]:
    ratios = [x / y for x, y in zip(times[a], times[b], strict=True)]
    return {"median": statistics.median(ratios), "range": [min(ratios), max(ratios)]}


def _interleaved(candidate: Callable[[], float], baseline: Callable[[], float],
                 rounds: int = ROUNDS) -> tuple[float, float, list[float]]:
    """Medians of candidate and baseline over interleaved rounds (the order alternating), and
    each round's ratio; the ratio shown is the median of the rounds' (robust to load drift on
    a shared machine)."""
    c, b = [], []
    for i in range(rounds):
        if i % 2:
            b.append(baseline())
            c.append(candidate())
        else:
            c.append(candidate())
            b.append(baseline())
    return statistics.median(c), statistics.median(b), [x / y for x, y in zip(c, b, strict=True)]


def _timed(fn: Callable[[], Any]) -> Callable[[], float]:
    def run() -> float:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t
    return run


@contextlib.contextmanager
def _baseline_tree(commit: str = BASELINE_COMMIT):
    """Today's code (``commit``) extracted into a temporary folder, or None."""
    try:
        data = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="msomodel-baseline-") as folder:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(folder, **safe)  # our own repository's archive
        compileall.compile_dir(folder, quiet=1)  # bytecode, as an installed tree has
        yield Path(folder)


# --------------------------------------------------------------------------- the figures
def vectorised_vs_loop() -> dict[str, Any]:
    import msomodel
    from msomodel.analysis import paths as P
    from msomodel.analysis.evaluate import one_blas_thread, outcomes
    from msomodel.analysis.montecarlo import simulate
    from msomodel.inputs import compile_inputs

    scenario = msomodel.load_scenario(ROOT / FLORIDA)
    inputs = compile_inputs(scenario)
    result = simulate(scenario, SPEC, TRIALS, SEED, inputs=inputs)  # warm-up, and the samples
    samples = result.samples.iloc[:LOOP_TRIALS]
    npv = np.empty(len(samples))

    def loop() -> None:
        with one_blas_thread():
            for i in range(len(samples)):
                values = {p: samples[p].to_numpy()[i:i + 1] for p in samples.columns}
                plain, arrays = P.batch_arguments(inputs, 1, values)
                npv[i] = outcomes(inputs, 1, plain, arrays)["mso.npv"][0]

    vec, per_loop, ratios = _interleaved(_timed(lambda: simulate(scenario, SPEC, TRIALS, SEED,
                                                            inputs=inputs)), _timed(loop))
    extrapolated = per_loop * TRIALS / LOOP_TRIALS
    speedup = statistics.median(TRIALS / LOOP_TRIALS / r for r in ratios)
    agree = bool(np.allclose(npv, result.outcomes["mso.npv"].to_numpy()[:LOOP_TRIALS],
                             rtol=1e-9, atol=0))
    return {"vectorised_s": vec, "loop_s_extrapolated": extrapolated,
            "speedup": speedup, "npvs_agree": agree}


def per_trial_vs_today() -> dict[str, Any] | None:
    with _baseline_tree() as today:
        if today is None:
            return None
        args = (json.dumps(SPEC), str(TRIALS), str(SEED), FLORIDA)
        new, old, ratios = _interleaved(
            lambda: float(_child(_PER_TRIAL_CHILD, ROOT, *args)),
            lambda: float(_child(_PER_TRIAL_CHILD, today, *args)))
    return {"ms_per_trial": new, "today_ms_per_trial": old, "ratio": statistics.median(ratios),
            "ratio_range": [min(ratios), max(ratios)], "baseline": BASELINE_COMMIT}


def memory_100_sites() -> dict[str, Any]:
    args = (json.dumps(SPEC), str(MEMORY_TRIALS), str(SEED), "100")
    by_elements = json.loads(_child(_MEMORY_CHILD, ROOT, *args, "elements", FLORIDA))
    fixed = json.loads(_child(_MEMORY_CHILD, ROOT, *args, "250", FLORIDA))
    return {"peak_mib": by_elements["peak_bytes"] / 2**20,
            "fixed_250_peak_mib": fixed["peak_bytes"] / 2**20,
            "ratio": by_elements["peak_bytes"] / fixed["peak_bytes"],
            "seconds_traced": by_elements["seconds"], "fixed_250_seconds_traced": fixed["seconds"]}


def elements_vs_fixed(path: str = FLORIDA) -> dict[str, Any]:
    import msomodel
    from msomodel.analysis.montecarlo import chunk_trials, simulate
    from msomodel.inputs import compile_inputs

    scenario = msomodel.load_scenario(ROOT / path)
    inputs = compile_inputs(scenario)
    simulate(scenario, SPEC, 500, SEED, inputs=inputs)
    new, old, ratios = _interleaved(
        _timed(lambda: simulate(scenario, SPEC, TRIALS, SEED, inputs=inputs)),
        _timed(lambda: simulate(scenario, SPEC, TRIALS, SEED, 250, inputs=inputs)), IN_PROCESS)
    return {"ratio": statistics.median(ratios), "ratio_range": [min(ratios), max(ratios)],
            "trials_per_call": chunk_trials(inputs)}


def blas_one_thread() -> dict[str, Any]:
    import msomodel
    from msomodel.analysis import montecarlo as mc
    from msomodel.inputs import compile_inputs

    scenario = msomodel.load_scenario(ROOT / FLORIDA)
    inputs = compile_inputs(scenario)
    pinned = mc.one_blas_thread

    def unpinned() -> None:
        mc.one_blas_thread = contextlib.nullcontext
        try:
            mc.simulate(scenario, SPEC, TRIALS, SEED, inputs=inputs)
        finally:
            mc.one_blas_thread = pinned

    unpinned()
    new, old, ratios = _interleaved(
        _timed(lambda: mc.simulate(scenario, SPEC, TRIALS, SEED, inputs=inputs)), _timed(unpinned),
        IN_PROCESS)
    return {"ratio": statistics.median(ratios), "ratio_range": [min(ratios), max(ratios)]}


def cli_vs_import_pandas(rounds: int = CLI_ROUNDS) -> dict[str, Any]:
    cli = [sys.executable, "-m", "msomodel.cli", "compare", FLORIDA]
    pandas = [sys.executable, "-c", "import pandas"]
    with _baseline_tree(CLI_BASELINE_COMMIT) as before:
        runs = {"compare": lambda: _wall(cli, ROOT), "import_pandas": lambda: _wall(pandas, ROOT),
                "compare_one_process": lambda: _wall([*cli, "-j", "1"], ROOT),
                "compare_rules_cache_off": lambda: _wall(cli, ROOT, MSOMODEL_CACHE_DIR="off"),
                # the floor: what compare costs before its Monte Carlo, and before any comparison
                "compare_no_simulation": lambda: _wall([*cli, "--trials", "0"], ROOT),
                "validate": lambda: _wall([sys.executable, "-m", "msomodel.cli", "validate",
                                           FLORIDA], ROOT)}
        if before is not None:
            runs["compare_before"] = lambda: _wall(cli, before)
        for run in runs.values():  # warm-up: file cache, bytecode, the rules cache
            run()
        times = _rotated(runs, rounds)
    rules = float(_child(_RULES_CHILD, ROOT))
    out: dict[str, Any] = {f"{k}_s": statistics.median(v) for k, v in times.items()}
    out["times_s"] = times
    main_ratio = _ratio(times, "compare", "import_pandas")
    out.update(ratio=main_ratio["median"], ratio_range=main_ratio["range"], rounds=rounds,
               rules_data_s=rules, cold_ratio=_ratio(times, "compare_rules_cache_off",
                                                     "import_pandas"),
               one_process_ratio=_ratio(times, "compare_one_process", "import_pandas"),
               no_simulation_ratio=_ratio(times, "compare_no_simulation", "import_pandas"),
               validate_ratio=_ratio(times, "validate", "import_pandas"))
    if before is not None:
        out.update(baseline=CLI_BASELINE_COMMIT,
                   before_ratio=_ratio(times, "compare_before", "import_pandas"),
                   vs_before=_ratio(times, "compare", "compare_before"))
    return out


# --------------------------------------------------------------------------- the table
def _row(figure: str, value: float | None, shown: str, goal: str,
         ok: Callable[[float], bool] | None) -> dict[str, Any]:
    passed = None if value is None or ok is None else bool(ok(value))
    return {"figure": figure, "value": value, "shown": shown, "goal": goal, "pass": passed}


def main(previous: dict[str, Any] | None = None) -> dict[str, Any]:
    previous = previous or {}
    figures: dict[str, Any] = {}
    steps = [("vectorised_vs_loop", vectorised_vs_loop), ("per_trial", per_trial_vs_today),
             ("memory_100_sites", memory_100_sites),
             ("five_sites_elements", elements_vs_fixed),
             ("one_site_elements", lambda: elements_vs_fixed(OHIO)),
             ("blas_one_thread", blas_one_thread), ("cli_compare", cli_vs_import_pandas)]
    for key, step in steps:
        print(f"  measuring {key} ...", flush=True)
        figures[key] = step()

    v, p, m = figures["vectorised_vs_loop"], figures["per_trial"], figures["memory_100_sites"]
    f, b, c = figures["five_sites_elements"], figures["blas_one_thread"], figures["cli_compare"]
    o = figures["one_site_elements"]
    same_calls = f["trials_per_call"] == 250
    rows = [
        _row("Monte Carlo, Florida: vectorized vs the engine one trial at a time, same inputs",
             v["speedup"], f"{v['speedup']:.1f}x" + ("" if v["npvs_agree"] else " (NPVs DIFFER)"),
             ">= 20x", lambda x: x >= 20 and v["npvs_agree"]),
        _row(f"Monte Carlo time per trial, 5 sites, vs today's code ({BASELINE_COMMIT})",
             None if p is None else p["ratio"],
             "not measured (no git history)" if p is None else
             f"{p['ratio']:.2f} ({p['ms_per_trial']:.3f} vs {p['today_ms_per_trial']:.3f} ms)",
             "<= 0.5 (and <= 0.15 ms)", lambda x: x <= 0.5),
        _row("peak memory of simulate, 100 sites (tracemalloc)", m["peak_mib"],
             f"{m['peak_mib']:.0f} MiB ({m['ratio']:.2f} of fixed 250-trial calls: "
             f"{m['fixed_250_peak_mib']:.0f} MiB)", "<= 200 MiB", lambda x: x <= 200),
        _row(f"  ... no slowdown at 5 sites ({f['trials_per_call']} trials per call vs 250)",
             f["ratio"], f"{f['ratio']:.2f}" + (" (the same engine calls: machine noise)"
                                                if same_calls else ""),
             "<= 1.05", lambda x: same_calls or x <= 1.05),
        _row(f"  ... and at 1 site, Ohio ({o['trials_per_call']} trials per call vs 250)",
             o["ratio"], f"{o['ratio']:.2f}", "<= 1.05", lambda x: x <= 1.05),
        # not one of the goals: one process gains nothing from it, compare's fork does
        _row("  BLAS on one thread vs numpy's default threads (5 sites, one process)", b["ratio"],
             f"{b['ratio']:.2f}", "-", None),
        _row(f"msomodel compare (Florida) CLI wall time vs python -c 'import pandas' "
             f"({c['rounds']} rounds)", c["ratio"],
             f"{c['ratio']:.2f} [{c['ratio_range'][0]:.2f}-{c['ratio_range'][1]:.2f}] "
             f"({c['compare_s']:.2f} s vs {c['import_pandas_s']:.2f} s)", "<= 1",
             lambda x: x <= 1),
        *([_row(f"  ... the same CLI before the start-up work ({c['baseline']})",
                c["before_ratio"]["median"],
                f"{c['before_ratio']['median']:.2f} [{c['before_ratio']['range'][0]:.2f}-"
                f"{c['before_ratio']['range'][1]:.2f}] ({c['compare_before_s']:.2f} s); "
                f"now {c['vs_before']['median']:.2f} of it", "-", None)]
          if "baseline" in c else []),
        _row("  ... on one process (-j 1: no fork for the Monte Carlo)",
             c["one_process_ratio"]["median"],
             f"{c['one_process_ratio']['median']:.2f} [{c['one_process_ratio']['range'][0]:.2f}-"
             f"{c['one_process_ratio']['range'][1]:.2f}] ({c['compare_one_process_s']:.2f} s)",
             "-", None),
        *(_row(figure, c[key]["median"],
               f"{c[key]['median']:.2f} [{c[key]['range'][0]:.2f}-{c[key]['range'][1]:.2f}] "
               f"({c[name + '_s']:.2f} s)", "-", None)
          for figure, key, name in (
              ("  ... without its Monte Carlo (--trials 0: base case, flips, asymmetries)",
               "no_simulation_ratio", "compare_no_simulation"),
              ("  ... msomodel validate alone (imports, reading and validating the scenario)",
               "validate_ratio", "validate"))),
        _row("  ... with the rules cache off (a first run)", c["cold_ratio"]["median"],
             f"{c['cold_ratio']['median']:.2f} [{c['cold_ratio']['range'][0]:.2f}-"
             f"{c['cold_ratio']['range'][1]:.2f}] ({c['compare_rules_cache_off_s']:.2f} s)",
             "-", None),
        _row("  of which reading the state-rules data (validated rule book, cached), as a share",
             c["rules_data_s"] / c["compare_s"],
             f"{c['rules_data_s'] / c['compare_s']:.2f} ({c['rules_data_s']:.3f} s)", "-", None),
    ]
    report = previous.get("report")
    for n, goal, floor in ((10, ">= 4x", 4.0), (20, ">= 5x", 5.0)):
        batch = ((report or {}).get("batches") or {}).get(str(n))
        ratio = batch["ratio"] if batch else None
        shown = ("not run (BENCH=report)" if batch is None else
                 f"{ratio:.2f}x [{batch['ratio_range'][0]:.2f}-{batch['ratio_range'][1]:.2f}]")
        rows.append(_row(f"report batch of {n}, -j 2, throughput vs the naive chain", ratio,
                         shown, goal, lambda x, floor=floor: x >= floor))
    one = (report or {}).get("single")
    single = one["ratio"] if one else None
    rows.append(_row("single report latency vs the naive chain", single,
                     "not run (BENCH=report)" if one is None else
                     f"{single:.2f} [{one['ratio_range'][0]:.2f}-{one['ratio_range'][1]:.2f}]",
                     "<= 0.5", lambda x: x <= 0.5))
    explorer = previous.get("explorer")
    ms = explorer["widget_update_with_drawing"]["median_ms"] if explorer else None
    rows.append(_row("explorer: slider change to table and charts, 5 sites", ms,
                     "not run (BENCH=explorer)" if ms is None else f"{ms:.0f} ms", "<= 150 ms",
                     lambda x: x <= 150))

    print(f"\nGoals (issue 17), {os.cpu_count()} CPUs, medians of {ROUNDS} interleaved rounds:")
    width = max(len(r["figure"]) for r in rows)
    print(f"{'figure':<{width}}  {'measured':<52} {'goal':<24} result")
    for r in rows:
        verdict = "-" if r["pass"] is None else ("pass" if r["pass"] else "FAIL")
        print(f"{r['figure']:<{width}}  {r['shown']:<52} {r['goal']:<24} {verdict}")
    return {"figures": figures, "rows": rows}


if __name__ == "__main__":
    main()
