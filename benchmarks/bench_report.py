"""Report rendering: msomodel's warm-worker batch against the naive chain of three CLIs.

The naive chain is what a user would script by hand, serially per scenario::

    papermill notebooks/report.ipynb x.ipynb -p scenario_path x.yaml
    jupyter nbconvert --to html --no-input x.ipynb
    weasyprint x.html x.pdf

against ``msomodel report ... -j 2`` (run here as ``render_batch`` in a fresh process, so both
sides pay their process start-ups), with msomodel's default PDF engine (headless Chromium when
one is installed, else WeasyPrint; ``--pdf-engine`` to choose). Issue 17's rows:

- single report latency, msomodel (one job) / the naive chain, the same scenario: goal <= 0.5;
- batch of 10 and of 20 (the bundled scenarios in turn), ``-j 2``: throughput, the naive
  chain's time / msomodel's: goals >= 4x and >= 5x.

Every figure is measured in ``--rounds`` interleaved rounds (default 3) and printed as the
median and range of the rounds' ratios. The naive chain is serial, so its batch time is the sum
of its reports' times: by default (``--naive cycle``) each round runs it once over the distinct
scenarios of the batch (the bundled five), timing each report on its own, half of them before
msomodel's runs and half after (see :func:`one_round`), and scales that to the batch (10 =
twice the cycle, 20 = four times); the single-report baseline is that round's naive time of
the first scenario (timed on both sides). ``--naive full`` runs the naive chain over every
report of every batch instead, before or after msomodel's runs by turns (slower; the same
figure up to noise). On a shared machine the wall times are noisy: read the range.

Run: ``.venv/bin/python benchmarks/bench_report.py [--reports 10,20] [--jobs 2] [--rounds 3]``
or ``python -m benchmarks report``. The result (also ``benchmarks/results/report.json``) keeps
the keys ``benchmarks/bench_goals.py`` reads: ``single_ratio``, ``reports`` and
``batch_throughput_ratio`` (of the largest batch), and every batch under ``batches``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = ROOT / "notebooks" / "report.ipynb"
STANDIN = ROOT / "tests" / "fixtures" / "report" / "standin.ipynb"
GOALS = {"single": 0.5, 10: 4.0, 20: 5.0}


def scenario_pool() -> tuple[list[Path], Path]:
    """The bundled scenarios (or the stand-in fixtures without the model), and their notebook."""
    bundled = sorted((ROOT / "scenarios").glob("*.yaml"))
    try:
        import msomodel

        core = hasattr(msomodel, "compare")
    except ImportError:
        core = False
    if bundled and core:
        return bundled, NOTEBOOK
    return sorted((ROOT / "tests" / "fixtures" / "report").glob("[ab]*.yaml")), STANDIN


def scenario_paths(count: int) -> tuple[list[Path], Path]:
    """``count`` scenarios cycling through the pool, and the notebook that goes with them."""
    pool, notebook = scenario_pool()
    return list(itertools.islice(itertools.cycle(pool), count)), notebook


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, env=env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def naive_chain(paths: list[Path], notebook: Path, out: Path) -> list[float]:
    """The three CLIs per scenario, one scenario after the other; each report's seconds."""
    seconds = []
    for i, path in enumerate(paths):
        started = time.perf_counter()
        stem = f"{i:02d}_{path.stem}"
        run([str(BIN / "papermill"), str(notebook), f"{stem}.ipynb", "-p", "scenario_path", str(path),
             "--no-progress-bar"], out)
        run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", f"{stem}.ipynb"], out)
        run([str(BIN / "weasyprint"), f"{stem}.html", f"{stem}.pdf"], out)
        seconds.append(time.perf_counter() - started)
    return seconds


def msomodel_report(paths: list[Path], notebook: Path, out: Path, jobs: int) -> float:
    """``msomodel report`` as a fresh process (the notebook is passed through for the stand-in)."""
    code = (
        "import sys\nfrom msomodel.report.batch import render_batch\n"
        f"b = render_batch(sys.argv[1:], {str(out)!r}, jobs={jobs}, progress=False,"
        f" notebook={str(notebook)!r})\nsys.exit(b.exit_code)\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *map(str, paths)], cwd=out, env=env(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        kept = _keep_failure(out)
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"msomodel report of {len(paths)} scenario(s) exited with "
                           f"{done.returncode}; its output is kept in {kept}; it said:\n{tail}")
    return seconds


def _keep_failure(out: Path) -> Path:
    """A copy of a failed batch's output folder (the failed notebooks and the index say which
    report failed and why) under ``benchmarks/results/``, which the run would otherwise delete."""
    target = ROOT / "benchmarks" / "results" / f"report-failure-{out.name}-{int(time.time())}"
    shutil.copytree(out, target, dirs_exist_ok=True)
    return target


def _fresh(work: Path, name: str) -> Path:
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def one_round(k: int, sizes: list[int], jobs: int, naive: str, work: Path) -> dict[str, Any]:
    """One round: the naive chain and msomodel on the single report and every batch.
    Seconds: ``{"single": (naive, ours), N: (naive, ours)}``.

    With ``naive="cycle"`` msomodel's runs are sandwiched between two halves of the naive
    cycle (every other scenario before, the rest after, the first scenario on both sides; the
    halves swap from round to round), so a load that drifts during the round weighs on both
    sides alike; a scenario timed twice counts with its mean. With ``"full"`` the two sides
    run one after the other, the order alternating with the round."""
    pool, notebook = scenario_pool()
    cycle = pool[:max(sizes)]

    def candidate() -> dict[Any, float]:
        out = {"single": msomodel_report(cycle[:1], notebook, _fresh(work, f"ours1-{k}"), jobs=1)}
        for n in sizes:
            out[n] = msomodel_report(scenario_paths(n)[0], notebook, _fresh(work, f"ours{n}-{k}"),
                                     jobs=jobs)
        return out

    if naive == "cycle":
        halves = [cycle[0::2], cycle[1::2] + cycle[:1]]
        if k % 2:
            halves.reverse()
        before = naive_chain(halves[0], notebook, _fresh(work, f"naive-a-{k}"))
        ours = candidate()
        after = naive_chain(halves[1], notebook, _fresh(work, f"naive-b-{k}"))
        timed: dict[Path, list[float]] = {}
        for path, seconds in zip(halves[0] + halves[1], before + after, strict=True):
            timed.setdefault(path, []).append(seconds)
        per_report = [statistics.mean(timed[path]) for path in cycle]
        theirs = {"single": per_report[0],
                  **{n: sum(itertools.islice(itertools.cycle(per_report), n)) for n in sizes}}
        return {key: (theirs[key], ours[key]) for key in ours}

    def baseline() -> dict[Any, float]:
        single = naive_chain(cycle[:1], notebook, _fresh(work, f"naive1-{k}"))[0]
        return {"single": single, **{n: sum(naive_chain(scenario_paths(n)[0], notebook,
                                                        _fresh(work, f"naive{n}-{k}")))
                                     for n in sizes}}

    if k % 2:
        ours, theirs = candidate(), baseline()
    else:
        theirs, ours = baseline(), candidate()
    return {key: (theirs[key], ours[key]) for key in ours}


def summary(rounds: list[dict[str, Any]], key: Any) -> dict[str, Any]:
    """Median and range over the rounds: seconds of each side and the ratio (single: ours /
    naive, lower is better; batch: naive / ours, the throughput gain)."""
    naive = [r[key][0] for r in rounds]
    ours = [r[key][1] for r in rounds]
    if key == "single":
        ratios = [o / n for n, o in zip(naive, ours, strict=True)]
    else:
        ratios = [n / o for n, o in zip(naive, ours, strict=True)]
    return {"naive_s": round(statistics.median(naive), 2),
            "msomodel_s": round(statistics.median(ours), 2),
            "ratio": round(statistics.median(ratios), 3),
            "ratio_range": [round(min(ratios), 3), round(max(ratios), 3)],
            "rounds_naive_s": [round(x, 2) for x in naive],
            "rounds_msomodel_s": [round(x, 2) for x in ours]}


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the benchmark; returns the figures (also written to benchmarks/results/report.json).

    ``argv`` defaults to no arguments, so ``python -m benchmarks`` can call ``main()``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", default="10,20",
                        help="batch sizes, comma-separated (default 10,20)")
    parser.add_argument("--jobs", type=int, default=2, help="workers for msomodel (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--naive", choices=("cycle", "full"), default="cycle",
                        help="naive batches: one cycle of the distinct scenarios per round, "
                             "scaled (default), or every report")
    parser.add_argument("--pdf-engine", choices=("auto", "chromium", "weasyprint"), default=None,
                        help="msomodel's PDF engine (MSOMODEL_PDF_ENGINE; default: auto, "
                             "Chromium when installed); the naive chain always uses WeasyPrint")
    parser.add_argument("--keep", action="store_true", help="keep the output folders")
    args = parser.parse_args(argv or [])
    if args.pdf_engine:
        os.environ["MSOMODEL_PDF_ENGINE"] = args.pdf_engine  # read by msomodel's processes
    from msomodel.report.convert import pdf_engine

    engine, executable = pdf_engine()
    sizes = sorted({int(n) for n in str(args.reports).split(",") if n.strip()})

    pool, notebook = scenario_pool()
    work = Path(tempfile.mkdtemp(prefix="msomodel-bench-"))
    print(f"report benchmark: single report and batches of {', '.join(map(str, sizes))} "
          f"(-j {args.jobs}) of {notebook.relative_to(ROOT)} over {len(pool)} scenarios, "
          f"{args.rounds} interleaved rounds, naive batches: {args.naive}; msomodel's PDF "
          f"engine: {engine}{f' ({executable})' if executable else ''}; {os.cpu_count()} "
          f"CPUs; output in {work}", flush=True)
    rounds = []
    try:
        for k in range(args.rounds):
            rounds.append(one_round(k, sizes, args.jobs, args.naive, work))
            shown = "   ".join(f"{key}: naive {n:.1f} s, msomodel {o:.1f} s"
                               for key, (n, o) in rounds[-1].items())
            print(f"  round {k + 1}: {shown}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    single = summary(rounds, "single")
    batches = {str(n): summary(rounds, n) for n in sizes}
    print(f"single report: naive {single['naive_s']:.1f} s, msomodel {single['msomodel_s']:.1f} s:"
          f" ratio {single['ratio']:.2f} (range {single['ratio_range'][0]:.2f}-"
          f"{single['ratio_range'][1]:.2f}; goal <= {GOALS['single']})")
    for n in sizes:
        b = batches[str(n)]
        goal = f"; goal >= {GOALS[n]}x" if n in GOALS else ""
        print(f"batch of {n}, -j {args.jobs}: naive {b['naive_s']:.1f} s, msomodel "
              f"{b['msomodel_s']:.1f} s: throughput x{b['ratio']:.2f} (range "
              f"{b['ratio_range'][0]:.2f}-{b['ratio_range'][1]:.2f}{goal})")
    largest = batches[str(sizes[-1])]
    results: dict[str, Any] = {
        "jobs": args.jobs, "cpus": os.cpu_count(), "rounds": args.rounds, "naive": args.naive,
        "pdf_engine": engine,
        "notebook": str(notebook.relative_to(ROOT)),
        "single": single, "single_ratio": single["ratio"],
        "single_naive_s": single["naive_s"], "single_msomodel_s": single["msomodel_s"],
        "batches": batches,
        # bench_goals reads one batch: ``reports`` and its ``batch_throughput_ratio``.
        "reports": sizes[-1], "batch_throughput_ratio": largest["ratio"],
        "batch_naive_s": largest["naive_s"], "batch_msomodel_s": largest["msomodel_s"],
    }
    target = ROOT / "benchmarks" / "results"
    target.mkdir(exist_ok=True)
    (target / "report.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
