"""Command line: ``msomodel validate | compare | schema | rules | report | sensitivity | grid |
simulate | explore``.

Errors in input are printed as ``FILE: dotted.path: expected ..., found ...`` with exit code 2
and never a traceback.  Output files are written to a temporary name and then renamed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable, Sequence

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


def _load(path: str):
    from msomodel.loader import load_scenario

    return load_scenario(path)


def cmd_validate(args: argparse.Namespace) -> int:
    from msomodel.loader import ScenarioError

    bad = 0
    for path in args.scenarios:
        try:
            s = _load(path)
        except ScenarioError as exc:
            bad += 1
            print(exc, file=sys.stderr)
        else:
            print(f"{path}: ok ({s.name}, {len(s.sites)} site(s))")
    return EXIT_INPUT if bad else EXIT_OK


def _csv(result) -> str:
    """Tidy CSV: option, metric, year (blank for whole-horizon figures), value."""
    from msomodel.scenario import OPTIONS

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["option", "metric", "year", "value"])
    for option in OPTIONS:
        for metric, value in result.metrics[option].items():
            w.writerow([option, metric, "", repr(float(value))])
        for metric, value in result.incremental.get(option, {}).items():
            w.writerow([option, f"incremental_{metric}", "", repr(float(value))])
        for year, row in result.annual(option).iterrows():
            for metric, value in row.items():
                w.writerow([option, metric, year, repr(float(value))])
    be = result.breakeven
    w.writerow(["mso", f"breakeven_{be.target}", "", "" if be.level is None else repr(be.level)])
    return buf.getvalue()


def cmd_compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from msomodel import tables
    from msomodel.compare import compare

    result = compare(_load(args.scenario))
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    elif args.format == "csv":
        sys.stdout.write(_csv(result))
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 20,
                               "display.max_colwidth", 40):
            s = result.scenario
            print(f"== {s.name} ({s.source_path}) ==")
            print(tables.key_figures(result).to_string())
            print()
            print("EBITDA by year")
            print(tables.ebitda_by_year(result).to_string())
            print()
            if len(result.inputs.sites) > 1:
                best = result.recommendation["option"] or "self_managed"
                print(f"Site EBITDA by year ({result.label(best)})")
                print(tables.by_site(result, best).to_string())
                print()
            print(tables.summary_text(result))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from msomodel.scenario import Scenario

    if args.markdown:
        from msomodel.reference import markdown

        print(markdown())
        return EXIT_OK
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "msomodel scenario"
    print(json.dumps(schema, indent=2))
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from msomodel import rules

    try:
        print(rules.format_rules(args.state, args.licence))
    except ValueError as exc:
        print(f"msomodel rules: {exc}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from msomodel.report.cli import run_from_args

    return run_from_args(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="msomodel",
        description="Compare self-managed, MSO and software-only operation of a medical spa.",
    )
    from msomodel import __version__

    parser.add_argument("--version", action="version", version=f"msomodel {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check scenario files")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("compare", help="compare the options of one scenario")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("schema", help="print the JSON Schema of a scenario file")
    p.add_argument("--markdown", action="store_true", help="the field reference as Markdown")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("rules", help="what the state-rules data says for a state")
    p.add_argument("state", metavar="STATE")
    p.add_argument("--licence", "--license", dest="licence", default=None,
                   choices=("physician", "np", "pa", "rn", "none"))
    p.set_defaults(func=cmd_rules)

    from msomodel.report.cli import build_parser as report_arguments

    p = sub.add_parser("report", help="render reports (executed notebook, HTML, PDF) and their "
                                      "index")
    report_arguments(p)
    p.set_defaults(func=cmd_report)

    for register in _extra_commands():
        register(sub)
    return parser


#: Modules that add their own sub-commands with ``register(subparsers)``.
EXTRA_COMMAND_MODULES = ("msomodel.analysis.cli", "msomodel.explorer_cli")


def _extra_commands() -> list[Callable[[argparse._SubParsersAction], None]]:
    import importlib

    found = []
    for module in EXTRA_COMMAND_MODULES:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if not exc.name or not module.startswith(exc.name):
                raise
            continue
        found.append(mod.register)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    from msomodel.loader import ScenarioError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    except ValueError as exc:  # a value the model cannot use, found after validation
        print(f"msomodel {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # e.g. `msomodel schema | head`
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
