"""``msomodel report``: the command-line entry the package CLI delegates to."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from msomodel.arguments import positive_int as _jobs
from msomodel.distributed import ClusterError, parse_scheduler, require_dask

from .batch import render_batch
from .files import OutputDirError, check_output_dir
from .render import ALL_FORMATS, FORMATS
from .sources import dedupe, expand_paths

DEFAULT_OUTPUT = "reports"

DESCRIPTION = """\
Render one report per scenario: the executed notebook, an HTML page and a PDF, named after the
scenario file, plus an index of every report in the output folder (index.html, index.csv,
index.json). Rendering into a folder that already holds reports updates their index: each
client keeps one row, re-rendered clients are replaced, and a report whose scenario has
changed since is marked stale. A scenario that fails leaves its partial notebook in
OUTPUT/failed/ and the others still render.
"""

EPILOG = """\
examples:
  msomodel report scenarios/ohio_physician_single_site.yaml
  msomodel report clients/ -o portfolio/ --formats pdf
  msomodel report a.yaml b.yaml -j 2 --no-progress
  msomodel report clients/ --scheduler tcp://10.0.0.5:8786
  msomodel report acme.yaml --prepared-by "Jane Doe, Example Advisory LLC" --logo firm.png

The cover names the client (the scenario's report.prepared_for, else its name), the preparer,
the date and, optionally, a logo; --prepared-for, --prepared-by, --logo and --date override the
scenario's `report:` settings for every scenario of the run.

exit status: 0 all rendered; 1 some failed (or the index could not be written);
2 bad arguments or an unusable output folder; 130 interrupted.
"""


def run_report_command(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    jobs: int | None = None,
    formats: Sequence[str] = FORMATS,
    progress: bool = True,
    scheduler: str | None = None,
    notebook: str | os.PathLike[str] | None = None,
    prepared_for: str | None = None,
    prepared_by: str | None = None,
    logo: str | os.PathLike[str] | None = None,
    date: str | None = None,
    pdf_engine: str | None = None,
) -> int:
    """Render ``paths`` (files, or folders of scenarios) into ``out_dir``, print a summary.

    0 if all rendered, 1 if any failed, 2 for bad arguments (or an unusable ``out_dir`` or
    ``scheduler``), 130 if interrupted. ``scheduler``: render on Dask (``tcp://HOST:PORT`` or
    ``local[:N]``) instead of the local pool. ``notebook``: another report notebook (tests).
    ``prepared_for``, ``prepared_by``, ``logo`` (a PNG or JPEG file, checked here and embedded)
    and ``date`` (YYYY-MM-DD) go on every report's cover, over the scenarios' ``report:``.
    ``pdf_engine`` (``auto``, ``chromium``, ``weasyprint``) sets ``MSOMODEL_PDF_ENGINE`` while
    the batch runs (its workers and a cluster's tasks read it); the engine is checked before
    anything renders (on a remote cluster only its name: the workers find their own Chromium).
    """
    unknown = sorted(set(formats) - set(ALL_FORMATS))
    if unknown or not formats:
        print(f"msomodel report: unknown format(s) {unknown}; choose from "
              f"{','.join(ALL_FORMATS)}", file=sys.stderr)
        return 2
    if jobs is not None and jobs < 1:
        print(f"msomodel report: --jobs must be 1 or more, found {jobs}", file=sys.stderr)
        return 2
    if "pdf" in formats:
        from .convert import PdfEngineError
        from .convert import pdf_engine as resolve_engine

        remote = scheduler is not None and not str(scheduler).startswith("local")
        try:  # a remote cluster's workers find their own Chromium: check only the name
            resolve_engine(pdf_engine, here=not remote)
        except PdfEngineError as exc:
            print(f"msomodel report: {exc}", file=sys.stderr)
            return 2
    bases: list[tuple[Path, Path]] = []
    files, missing, empty = expand_paths(paths, bases)
    if not paths or empty or (missing and not files):
        problems = ([f"no such scenario file or folder: {p}" for p in missing]
                    + [f"no scenario files (*.yaml) in folder: {p}" for p in empty]
                    or ["no scenario given"])
        for problem in problems:
            print(f"msomodel report: {problem}", file=sys.stderr)
        return 2
    # a missing file among others is one bad scenario: it fails in the batch (and the index),
    # the others render
    files = [*files, *(Path(p) for p in missing)]
    for base, client in bases:
        print(f"msomodel report: skipping {base}: a base ({client.name} extends it); "
              "name the file to render it", file=sys.stderr)
    try:
        check_output_dir(out_dir, create=False)  # made only once there is something to render
    except OutputDirError as exc:
        print(f"msomodel report: -o: {exc}", file=sys.stderr)
        return 2
    try:
        cover = cover_parameters(prepared_for=prepared_for, prepared_by=prepared_by, logo=logo,
                                 date=date)
    except ValueError as exc:
        print(f"msomodel report: {exc}", file=sys.stderr)
        return 2
    options: dict[str, object] = {"notebook": notebook} if notebook is not None else {}
    if cover:
        options["parameters"] = cover
    if scheduler is not None:
        try:
            parse_scheduler(scheduler)
            require_dask()
        except ClusterError as exc:
            print(f"msomodel report: {exc}", file=sys.stderr)
            return 2
        options["scheduler"] = scheduler
    try:
        with _environment("MSOMODEL_PDF_ENGINE", pdf_engine):  # workers and bundles read it
            batch = render_batch(dedupe(files), out_dir, jobs=jobs, formats=formats,
                                 progress=progress, **options)
    except KeyboardInterrupt:
        print("msomodel report: interrupted; finished reports kept, nothing half-written.",
              file=sys.stderr)
        return 130
    except (ClusterError, OutputDirError) as exc:
        print(f"msomodel report: {exc}", file=sys.stderr)
        return 2
    ok = len(batch.results) - len(batch.failed)
    stale = sum(r["status"] == "stale" for r in batch.rows)
    index = batch.index.get("html", "(not written)")
    print(f"{ok} of {len(batch.results)} reports rendered into {batch.out_dir} "
          f"in {batch.duration_s:.1f} s; index of {len(batch.rows)} client(s)"
          f"{f', {stale} stale' if stale else ''}: {index}", flush=True)
    for result in batch.failed:
        print(f"FAILED {result.error}", file=sys.stderr)
        if result.failed_notebook:
            print(f"       partial notebook: {result.failed_notebook}", file=sys.stderr)
    if batch.index_error:
        print(f"msomodel report: {batch.index_error}", file=sys.stderr)
    return batch.exit_code


@contextlib.contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    """``os.environ[name] = value`` while the block runs (nothing if ``value`` is None)."""
    if value is None:
        yield
        return
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def cover_parameters(*, prepared_for: str | None = None, prepared_by: str | None = None,
                     logo: str | os.PathLike[str] | None = None,
                     date: str | None = None) -> dict[str, str]:
    """The cover's notebook parameters from the command line, checked: the logo read once and
    passed as a data URI (the PDF embeds it; Dask workers need no access to the file). Raises
    ``ValueError`` (e.g. :class:`~.sections.cover.LogoError`) saying which flag is wrong."""
    import datetime

    out: dict[str, str] = {}
    for flag, key, value in (("--prepared-for", "prepared_for", prepared_for),
                             ("--prepared-by", "prepared_by", prepared_by)):
        if value is None:
            continue
        text = " ".join(str(value).split())
        if not text or len(text) > 200:
            raise ValueError(f"{flag}: expected 1 to 200 characters, found {len(text)}")
        out[key] = text
    if logo is not None:
        from .sections.cover import logo_data_uri

        out["logo"] = logo_data_uri(os.fspath(logo), what="--logo")
    if date is not None:
        try:
            out["report_date"] = datetime.date.fromisoformat(date).isoformat()
        except ValueError:
            raise ValueError(f"--date: expected a date as YYYY-MM-DD, found {date!r}") from None
    return out


def _formats(text: str) -> list[str]:
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in ALL_FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"invalid choice: {text!r} (choose one or more of {', '.join(ALL_FORMATS)}, "
            "comma-separated)")
    return chosen


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Add the ``report`` arguments to ``parser`` (e.g. a sub-command parser)."""
    parser = parser or argparse.ArgumentParser(prog="msomodel report")
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "paths", nargs="+", metavar="SCENARIO",
        help="scenario files (YAML), or folders: every *.yaml/*.yml in a folder and its "
             "subfolders, except shared bases (files other scenarios extend, and files under "
             "common/)")
    parser.add_argument(
        "-o", "--output", default=DEFAULT_OUTPUT, metavar="DIR",
        help=f"output folder, created if missing (default: {DEFAULT_OUTPUT}/)")
    parser.add_argument(
        "-j", "--jobs", type=_jobs, default=None, metavar="N",
        help="reports rendered in parallel, one worker process each (default: number of CPUs)")
    parser.add_argument(
        "--formats", type=_formats, default=list(FORMATS), metavar="LIST",
        help=f"comma-separated, any of: {', '.join(ALL_FORMATS)} (default: "
             f"{','.join(FORMATS)}); xlsx adds the comparison as an Excel workbook of live "
             "formulas, as msomodel export writes it")
    parser.add_argument(
        "--pdf-engine", choices=("auto", "chromium", "weasyprint"), default=None,
        help="what prints the PDFs: auto (default, or MSOMODEL_PDF_ENGINE): headless Chromium "
             "when installed, else WeasyPrint; both use the same print stylesheet")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (default: shown on stderr)")
    parser.add_argument(
        "--scheduler", default=None, metavar="ADDR",
        help="render on Dask instead: tcp://HOST:8786 for a running scheduler, or local[:N] for "
             "a local cluster of N workers (default: local worker processes; needs "
             "msomodel[dask])")
    cover = parser.add_argument_group("cover", "who the report is for and from (default: the "
                                                "scenario's report: settings)")
    cover.add_argument("--prepared-for", default=None, metavar="CLIENT",
                       help="client named on the cover (default: report.prepared_for, else the "
                            "scenario's name)")
    cover.add_argument("--prepared-by", default=None, metavar="NAME",
                       help='who prepared it, e.g. "Jane Doe, Example Advisory LLC" '
                            "(default: report.prepared_by)")
    cover.add_argument("--logo", default=None, metavar="FILE",
                       help="PNG or JPEG logo for the cover, embedded in the PDF "
                            "(default: report.logo)")
    cover.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                       help="date on the cover (default: today)")
    return parser


def main_report(argv: Sequence[str] | None = None) -> int:
    """``msomodel report SCENARIO... [-o DIR] [-j N] [--formats ipynb,html,pdf]``."""
    return run_from_args(build_parser().parse_args(argv))


def run_from_args(args: argparse.Namespace) -> int:
    """Run the command for arguments parsed by :func:`build_parser`."""
    options = {"scheduler": args.scheduler} if args.scheduler else {}
    return run_report_command(args.paths, args.output, jobs=args.jobs, formats=args.formats,
                              progress=not args.no_progress, prepared_for=args.prepared_for,
                              prepared_by=args.prepared_by, logo=args.logo, date=args.date,
                              pdf_engine=args.pdf_engine, **options)


if __name__ == "__main__":
    sys.exit(main_report())
