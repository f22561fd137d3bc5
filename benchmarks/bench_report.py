"""Report rendering: msomodel's warm-worker batch against the naive chain of three CLIs.

The naive chain is what a user would script by hand, serially per scenario::

    papermill notebooks/report.ipynb x.ipynb -p scenario_path x.yaml
    jupyter nbconvert --to html --no-input x.ipynb
    weasyprint x.html x.pdf

against ``msomodel report ... -j 2`` (run here as ``python -m msomodel.report.cli``, so both sides
pay their process start-ups). Goals (issue 4): batch throughput >= 3x the naive chain for 20
scenarios; a single report no slower than 1.2x the naive chain.

Run: ``.venv/bin/python benchmarks/bench_report.py [--reports 20] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = ROOT / "notebooks" / "report.ipynb"
STANDIN = ROOT / "tests" / "fixtures" / "report" / "standin.ipynb"


def scenario_paths(count: int) -> tuple[list[Path], Path]:
    """``count`` scenarios cycling through the bundled ones (or the stand-in fixtures), and the
    notebook that goes with them."""
    bundled = sorted((ROOT / "scenarios").glob("*.yaml"))
    try:
        import msomodel

        core = hasattr(msomodel, "compare")
    except ImportError:
        core = False
    if bundled and core:
        pool, notebook = bundled, NOTEBOOK
    else:
        pool = sorted((ROOT / "tests" / "fixtures" / "report").glob("[ab]*.yaml"))
        notebook = STANDIN
    return list(itertools.islice(itertools.cycle(pool), count)), notebook


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, env=env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def naive_chain(paths: list[Path], notebook: Path, out: Path) -> float:
    started = time.perf_counter()
    for i, path in enumerate(paths):
        stem = f"{i:02d}_{path.stem}"
        run([str(BIN / "papermill"), str(notebook), f"{stem}.ipynb", "-p", "scenario_path", str(path),
             "--no-progress-bar"], out)
        run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", f"{stem}.ipynb"], out)
        run([str(BIN / "weasyprint"), f"{stem}.html", f"{stem}.pdf"], out)
    return time.perf_counter() - started


def msomodel_report(paths: list[Path], notebook: Path, out: Path, jobs: int) -> float:
    """``msomodel report`` as a fresh process (the notebook is passed through for the stand-in)."""
    code = (
        "import sys\nfrom msomodel.report.batch import render_batch\n"
        f"b = render_batch(sys.argv[1:], {str(out)!r}, jobs={jobs}, progress=False,"
        f" notebook={str(notebook)!r})\nsys.exit(b.exit_code)\n"
    )
    started = time.perf_counter()
    run([sys.executable, "-c", code, *map(str, paths)], out)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the benchmark; returns the figures (also written to benchmarks/results/report.json).

    ``argv`` defaults to no arguments, so ``python -m benchmarks`` can call ``main()``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=20, help="batch size (default 20)")
    parser.add_argument("--jobs", type=int, default=2, help="workers for msomodel (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the output folders")
    args = parser.parse_args(argv or [])

    paths, notebook = scenario_paths(args.reports)
    work = Path(tempfile.mkdtemp(prefix="msomodel-bench-"))
    print(f"{len(paths)} reports of {notebook.relative_to(ROOT)} on {os.cpu_count()} CPUs; "
          f"output in {work}", flush=True)
    folders = {name: work / name for name in ("naive1", "ours1", "naiveN", "oursN")}
    for folder in folders.values():
        folder.mkdir()
    try:
        single_naive = naive_chain(paths[:1], notebook, folders["naive1"])
        single_ours = msomodel_report(paths[:1], notebook, folders["ours1"], jobs=1)
        print(f"single report: naive {single_naive:6.1f} s   msomodel {single_ours:6.1f} s   "
              f"ratio {single_ours / single_naive:.2f} (goal <= 1.2)", flush=True)
        batch_naive = naive_chain(paths, notebook, folders["naiveN"])
        batch_ours = msomodel_report(paths, notebook, folders["oursN"], jobs=args.jobs)
        speedup = batch_naive / batch_ours
        print(f"batch of {len(paths)}: naive {batch_naive:6.1f} s ({batch_naive / len(paths):.2f} s/report)   "
              f"msomodel -j {args.jobs} {batch_ours:6.1f} s ({batch_ours / len(paths):.2f} s/report)   "
              f"throughput x{speedup:.2f} (goal >= 3)")
        results = {
            "reports": len(paths), "jobs": args.jobs, "cpus": os.cpu_count(),
            "notebook": str(notebook.relative_to(ROOT)),
            "single_naive_s": round(single_naive, 2), "single_msomodel_s": round(single_ours, 2),
            "single_ratio": round(single_ours / single_naive, 3),
            "batch_naive_s": round(batch_naive, 2), "batch_msomodel_s": round(batch_ours, 2),
            "batch_throughput_ratio": round(speedup, 3),
        }
        target = ROOT / "benchmarks" / "results"
        target.mkdir(exist_ok=True)
        (target / "report.json").write_text(json.dumps(results, indent=2) + "\n")
        return results
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
