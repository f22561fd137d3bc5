"""``msomodel export SCENARIO -o client.xlsx``: the scenario's workbook with live formulas.

``add_parser(subparsers)`` registers the subcommand on msomodel's CLI; ``run(args)`` executes it
(exit 0 written, 2 bad input: ``FILE: field: expected ..., found ...``).  Standalone:
``python -m msomodel.export.cli SCENARIO -o out.xlsx``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from msomodel import arguments
from msomodel.arguments import trials_count

EXIT_OK, EXIT_INPUT = 0, 2


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``export`` subcommand to an ``argparse`` subparsers object."""
    p = subparsers.add_parser(
        "export", help="write an Excel workbook with live formulas (recalculates to msomodel's figures)",
        description="Write SCENARIO's comparison as an .xlsx workbook: Inputs, one monthly sheet "
                    "per option, Capital, Summary (NPV/IRR formulas), Statements, Engine values "
                    "and a Read me saying which lines are formulas and which are values.",
        epilog="example: msomodel export scenarios/texas_rn_single_site.yaml -o texas.xlsx")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
    p.add_argument("--trials", type=trials_count, default=None,
                   help="Monte Carlo trials for the recommendation (default 2000; 0: none)")
    p.add_argument("--seed", type=arguments.seed, default=None, help="Monte Carlo seed (default 1)")
    p.add_argument("--structure", choices=("auto", "direct", "friendly_pc"), default="auto",
                   help="legal structure (default: the rules' or the scenario's choice)")
    p.set_defaults(func=run, command="export")
    return p


def register(subparsers) -> None:
    """``msomodel.cli``'s hook for modules that add a sub-command."""
    add_parser(subparsers)


def _check_output(path: Path) -> str | None:
    if path.suffix.lower() != ".xlsx":
        return f"{path}: -o: expected a file name ending in .xlsx, found {path.suffix or 'none'!r}"
    if path.is_dir():
        return f"{path}: -o: expected a file, found a folder"
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        return f"{path}: -o: expected a folder for the file, found a file {parent}"
    return None


def run(args: argparse.Namespace) -> int:
    """Load, compare and write; bad input is reported on stderr with exit code 2."""
    from msomodel.compare import compare
    from msomodel.errors import ScenarioError
    from msomodel.export.workbook import build
    from msomodel.loader import load_scenario

    out = Path(args.output)
    problem = _check_output(out)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_INPUT
    if not Path(args.scenario).is_file():
        print(f"{args.scenario}: expected a scenario file, found nothing there", file=sys.stderr)
        return EXIT_INPUT
    kwargs = {k: v for k, v in (("trials", args.trials), ("seed", args.seed)) if v is not None}
    if getattr(args, "structure", "auto") != "auto":
        kwargs["structure"] = args.structure
    try:
        result = compare(load_scenario(args.scenario), **kwargs)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    except ValueError as exc:
        print(f"{args.scenario}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    try:
        build(result, out)
    except OSError as exc:
        print(f"{out}: could not write the workbook: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    print(f"wrote {out}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msomodel")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    args = parser.parse_args(["export", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
