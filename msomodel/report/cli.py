"""``msomodel report``: the command-line entry the package CLI delegates to."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from msomodel.distributed import ClusterError, parse_scheduler, require_dask

from .batch import render_batch
from .render import FORMATS


def run_report_command(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    jobs: int | None = None,
    formats: Sequence[str] = FORMATS,
    progress: bool = True,
    scheduler: str | None = None,
) -> int:
    """Render ``paths`` into ``out_dir``, print a summary; 0 if all rendered, 1 if any failed,
    2 for bad arguments (or an unusable ``scheduler``), 130 if interrupted.

    ``scheduler``: render on Dask (``tcp://HOST:PORT`` or ``local[:N]``) instead of the local pool.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        print(f"msomodel report: unknown format(s) {unknown}; choose from {','.join(FORMATS)}",
              file=sys.stderr)
        return 2
    missing = [os.fspath(p) for p in paths if not os.path.isfile(p)]
    if not paths or missing:
        print(f"msomodel report: no such scenario file(s): {', '.join(missing) or '(none given)'}",
              file=sys.stderr)
        return 2
    options = {}
    if scheduler is not None:
        try:
            parse_scheduler(scheduler)
            require_dask()
        except ClusterError as exc:
            print(f"msomodel report: {exc}", file=sys.stderr)
            return 2
        options["scheduler"] = scheduler
    try:
        batch = render_batch(paths, out_dir, jobs=jobs, formats=formats, progress=progress,
                             **options)
    except KeyboardInterrupt:
        print("msomodel report: interrupted; finished reports kept, nothing half-written.",
              file=sys.stderr)
        return 130
    except ClusterError as exc:
        print(f"msomodel report: {exc}", file=sys.stderr)
        return 2
    ok = len(batch.results) - len(batch.failed)
    print(f"{ok} of {len(batch.results)} reports rendered into {batch.out_dir} "
          f"in {batch.duration_s:.1f} s; index: {batch.index.get('html', '')}")
    for result in batch.failed:
        print(f"FAILED {result.error}", file=sys.stderr)
        if result.failed_notebook:
            print(f"       partial notebook: {result.failed_notebook}", file=sys.stderr)
    return batch.exit_code


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Add the ``report`` arguments to ``parser`` (e.g. a sub-command parser)."""
    parser = parser or argparse.ArgumentParser(prog="msomodel report")
    parser.add_argument("paths", nargs="+", help="scenario files (YAML)")
    parser.add_argument("-o", "--output", default="reports", help="output folder (default: reports)")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="worker processes (default: number of CPUs)")
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help="comma-separated subset of ipynb,html,pdf (default: all)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="render on Dask: tcp://HOST:8786 or local[:N] (needs msomodel[dask])")
    return parser


def main_report(argv: Sequence[str] | None = None) -> int:
    """``msomodel report PATHS... [-o DIR] [-j N] [--formats ipynb,html,pdf]``."""
    args = build_parser().parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    options = {"scheduler": args.scheduler} if args.scheduler else {}
    return run_report_command(args.paths, args.output, jobs=args.jobs, formats=formats,
                              progress=not args.no_progress, **options)


if __name__ == "__main__":
    sys.exit(main_report())
