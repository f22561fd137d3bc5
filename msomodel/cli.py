"""Command line: ``msomodel validate | compare | schema | rules | report | sensitivity | grid |
simulate | explore``.

Errors in input are printed as ``FILE: dotted.path: expected ..., found ...`` with exit code 2
and never a traceback.  Output files are written to a temporary name and then renamed.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import errno
import io
import json
import sys
from collections.abc import Callable, Iterable, Sequence

from msomodel import arguments
from msomodel.arguments import positive_int as _positive_int
from msomodel.arguments import trials_count as _trials

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


def _load(path: str):
    from msomodel.loader import load_scenario

    return load_scenario(path)


def _load_all(paths: list[str]) -> list:
    """Every scenario of ``paths``; a ScenarioError with the problems of every bad file (each
    problem names its file), not only of the first."""
    return _each(_load, paths)


def _each(fn: Callable[[object], object], items: Iterable) -> list:
    """``[fn(item) for item in items]``, but a ScenarioError only after every item is tried,
    with all their problems (each names its file)."""
    from msomodel.loader import ScenarioError

    done, problems = [], []
    for item in items:
        try:
            done.append(fn(item))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return done


def _check_uncertainty(scenario, source: str) -> None:
    """The uncertainty section's paths, ranges and distribution parameters; raises
    ScenarioError with every problem."""
    from msomodel.analysis.distributions import compile_plan, excluded_values
    from msomodel.analysis.sensitivity import ranges
    from msomodel.errors import ScenarioError, locate
    from msomodel.inputs import compile_inputs

    inputs = compile_inputs(scenario)
    problems = []
    for check in (lambda: compile_plan(scenario.uncertainty, scenario, inputs, source),
                  lambda: ranges(scenario, inputs=inputs, source=source)):
        try:
            check()
        except ScenarioError as exc:
            problems += exc.problems
    problems += excluded_values(scenario.uncertainty, scenario, inputs, source)
    if problems:
        raise ScenarioError(locate(problems, source, scenario._marks))


def cmd_validate(args: argparse.Namespace) -> int:
    """Check every scenario named (files, or folders of them); every problem of every file."""
    from pathlib import Path

    from msomodel.loader import Problem, ScenarioError
    from msomodel.loading import folders
    from msomodel.loading.validate import load_scenario

    cache: dict = {}  # each file (and a base shared by many) is parsed once per run
    bad = 0

    def check(path: Path, bases_of: list[Path] | None = None) -> None:
        nonlocal bad
        try:
            s = load_scenario(path, cache=cache)
            if s.uncertainty is not None:  # paths and parameters against the scenario's inputs
                _check_uncertainty(s, str(path))
        except ScenarioError as exc:
            if bases_of:  # only a base: its problems show through the files extending it
                names = ", ".join(p.name for p in bases_of)
                print(f"{path}: skipped, a base of {names} (not a scenario on its own)")
                return
            bad += 1
            print(exc, file=sys.stderr)
        else:
            print(f"{path}: ok ({s.name}, {len(s.sites)} site(s))")

    for arg in args.scenarios:
        path = Path(arg)
        if not path.is_dir():
            check(path)
            continue
        found = folders.scan(path, cache)
        if not found.files:
            bad += 1
            print(Problem(arg, "", "expected a folder with *.yaml scenario files, found none"),
                  file=sys.stderr)
        for file in found.files:
            check(file, found.base_of(file))
    return EXIT_INPUT if bad else EXIT_OK


def _csv(result, structure: str | None = None) -> str:
    """Tidy CSV: option, metric, year (blank for whole-horizon figures), value (and the
    structure first when both structures are compared)."""
    from msomodel.scenario import OPTIONS

    buf = io.StringIO()
    raw = csv.writer(buf, lineterminator="\n")

    class _W:
        @staticmethod
        def writerow(row):
            raw.writerow(([structure] if structure else []) + list(row))

    w = _W()
    if structure is None or structure == result.compliance.structure and buf.tell() == 0:
        w.writerow(["option", "metric", "year", "value"]) if structure is None else raw.writerow(
            ["structure", "option", "metric", "year", "value"])
    for option in OPTIONS:
        for metric, value in result.metrics[option].items():
            w.writerow([option, metric, "", repr(float(value))])
        for metric, value in result.incremental.get(option, {}).items():
            w.writerow([option, f"incremental_{metric}", "", repr(float(value))])
        lines = result.annual_lines(option)
        for i, year in enumerate(result.years):
            for metric, values in lines.items():
                w.writerow([option, metric, int(year), repr(float(values[i]))])
    be = result.breakeven
    w.writerow(["mso", f"breakeven_{be.target}", "", "" if be.level is None else repr(be.level)])
    if result.pc_breakeven is not None:
        pc = result.pc_breakeven
        w.writerow(["self_managed", "breakeven_pc_breaks_even", "",
                    "" if pc.level is None else repr(pc.level)])
    d = result.decision
    for option, p in (d.probability_best or {}).items():
        w.writerow([option, "probability_best", "", repr(p)])
    for option, p in (d.p10_npv or {}).items():
        w.writerow([option, "p10_npv", "", repr(p)])
    return buf.getvalue()


def _structure_override(scenario, structure: str | None):
    if structure is None:
        return scenario
    s = scenario.model_copy(deep=True)
    s.structure.type = structure
    return s


def cmd_compare(args: argparse.Namespace) -> int:
    """Every format is written from plain lists and arrays: pandas is not imported."""
    from msomodel import tables
    from msomodel.compare import SCHEMA_VERSION, compare_structures

    scenario = _structure_override(_load(args.scenario), args.structure)
    from msomodel.parallel import available_cpus

    results = compare_structures(scenario, trials=args.trials, seed=args.seed,
                                 workers=args.jobs or available_cpus())
    if args.format == "json":
        dicts = [r.to_dict() for r in results.values()]
        out = dicts[0] if len(dicts) == 1 else {"schema_version": SCHEMA_VERSION,
                                                "structures": dicts}
        print(json.dumps(out, indent=2, allow_nan=False))
        return EXIT_OK
    if args.format == "csv":
        for structure, result in results.items():
            sys.stdout.write(_csv(result, structure if len(results) > 1 else None))
        return EXIT_OK
    for result in results.values():
        s = result.scenario
        print(f"== {s.name} ({s.source_path}) — {result.structure_label} ==")
        print(tables.key_figures_table(result).to_string())
        print()
        print("EBITDA by year")
        print(tables.ebitda_by_year_table(result).to_string())
        print()
        if len(result.inputs.sites) > 1:
            best = result.decision.leader or "self_managed"
            print(f"Site EBITDA by year ({result.label(best)})")
            print(tables.by_site_table(result, best).to_string())
            print()
        flips = tables.flips_table(result)
        if len(flips):
            print(f"What would flip it (base case, one input at a time; leader: "
                  f"{result.label(result.decision.leader)})")
            print(flips.to_string(index=False))
            print()
        asym = tables.asymmetries_table(result)
        if len(asym):
            print("Inputs that favor one option, and the answer with them set equal")
            print(asym.to_string(index=False))
            print()
        print(tables.summary_text(result))
        print()
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from msomodel import init

    asked = {"state": args.state, "licence": args.licence, "sites": args.sites}
    missing = [k for k, v in asked.items() if v is None]
    if missing and not sys.stdin.isatty():
        print(f"msomodel init: expected --{' --'.join(missing)} (or run it in a terminal to be "
              "asked)", file=sys.stderr)
        return EXIT_INPUT
    prompts = {"state": "State (e.g. AZ or Arizona): ",
               "licence": "Owner's license (physician, np, pa, rn, none): ",
               "sites": "Number of sites [1]: "}
    try:
        for key in missing:
            reply = input(prompts[key]).strip()
            asked[key] = reply or ("1" if key == "sites" else reply)
        if args.name is None and missing:
            args.name = input("Client name (Enter for a default): ").strip() or None
        sites = int(asked["sites"])
        found = init.answers(asked["state"], asked["licence"], sites, args.name, args.spacing,
                             args.start)
        path = init.write(found, Path(args.folder), force=args.force)
    except (ValueError, FileExistsError, OSError, EOFError) as exc:
        print(f"msomodel init: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if found.sites > 1 and found.spacing_months != args.spacing:
        print(f"msomodel init: --spacing {args.spacing} would open the last site after the "
              f"projection's first 60 months; the sites open {found.spacing_months} months apart",
              file=sys.stderr)
    print(f"wrote {path} ({found.name}); it validates. Replace first:")
    for field, what in init.REPLACE_FIRST:
        print(f"  {field}: {what}")
    print(f"then: msomodel compare {path}")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    import pandas as pd

    from msomodel.diff import diff
    from msomodel.parallel import available_cpus

    paths = [args.before, args.after]
    scenarios = _load_all(paths)
    if args.trials:  # the Monte Carlo's problems of both files, before either is simulated
        _each(lambda pair: _check_uncertainty(*pair), zip(scenarios, paths, strict=True))
    found = diff(*scenarios, trials=args.trials, seed=args.seed,
                 workers=args.jobs or available_cpus())
    if args.format == "json":
        print(json.dumps(found.to_dict(), indent=2, allow_nan=False, default=str))
        return EXIT_OK
    a, b = found.a.scenario, found.b.scenario
    print(f"== {a.name} ({args.before}) -> {b.name} ({args.after}) ==")
    with pd.option_context("display.width", 200, "display.max_colwidth", 64):
        if found.changes:
            print(f"{len(found.changes)} input(s) differ (after extends: is merged):")
            print(found.inputs().to_string(index=False))
        else:
            print("No input differs.")
        print()
        print("NPV by option")
        print(found.effect().to_string(index=False))
    rec = found.recommendation()
    print()
    print(f"Before: {rec['before']}")
    print(f"After:  {rec['after']}")
    print("The recommendation changed." if rec["changed"] else "The recommendation is the same.")
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
    """``msomodel rules [STATE] [--license L] [--all] [--format F] [--on DATE] [--map PNG]``."""
    import datetime as dt

    from msomodel import rules
    from msomodel.rules import text as rules_text

    def fail(message: str) -> int:
        print(f"msomodel rules: {message}", file=sys.stderr)
        print(rules.DISCLAIMER, file=sys.stderr)
        return EXIT_INPUT

    try:
        on = dt.date.fromisoformat(args.on) if args.on else None
    except ValueError:
        return fail(f"--on expects a date YYYY-MM-DD; found {args.on!r}")
    try:
        book = rules.load_rulebook(overlays=rules.overlays_from_env())
        state = rules.normalise_state(args.state) if args.state else None
        licence = rules.normalise_licence(args.licence) if args.licence else None
        highlight = rules.normalise_state(args.highlight) if args.highlight else state
        if args.map:
            from msomodel.atomic import write_error
            from msomodel.charts.usmap import save_tile_map

            try:
                path = save_tile_map(args.map, licence or "none", highlight=highlight, on=on,
                                     rulebook=book)
            except OSError as exc:
                raise write_error("--map", args.map, exc) from None
            print(f"wrote {path} (licence: {licence or 'none'}"
                  f"{', highlight: ' + highlight if highlight else ''})")
            print(rules.DISCLAIMER)
            if not (args.all or state):
                return EXIT_OK
        if args.all or state is None:
            if state is None and not args.all:
                return fail("give a STATE (code or name), or --all for every jurisdiction")
            rows = rules_text.rules_matrix(on=on, rulebook=book)
            if licence is not None:
                rows = [r for r in rows if r["licence"] == licence]
            print(rules_text.format_matrix(rows, args.format))
            return EXIT_OK
        if args.format == "json":
            print(json.dumps(rules_text.state_json(state, licence, on=on, rulebook=book),
                             indent=2))
        elif args.format == "csv":
            rows = rules_text.rules_matrix(on=on, states=(state,), rulebook=book)
            if licence is not None:
                rows = [r for r in rows if r["licence"] == licence]
            sys.stdout.write(rules_text.format_matrix(rows, "csv"))
        else:
            print(rules.format_rules(state, licence, on=on, rulebook=book))
    except rules.RulesDataError as exc:  # every problem, each with its field path
        return fail(str(exc))
    except BrokenPipeError:
        raise
    except (ValueError, OSError) as exc:
        return fail(str(exc))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from msomodel.report.cli import run_from_args

    return run_from_args(args)


#: Help of the SCENARIO argument, shared by the commands that take one scenario file.
SCENARIO_HELP = (
    "a scenario file (YAML, e.g. scenarios/ohio_physician_single_site.yaml); its `extends:` "
    "base, relative to the file's folder or msomodel:NAME for a packaged base, is merged in"
)

_VALIDATE_DESCRIPTION = """\
Check scenario files and report every problem of every file at once, one per line:

  FILE: [extends BASE: ]field.path: expected ..., found ... (line L, column C)

Sites and other named list items are named by name (sites[Phoenix].open_month); a problem in
a base names the chain (client.yaml: extends common/base.yaml: ...); the line and column are
in the last file named.  Exit status: 0 if every file is valid, 2 if any is not (the others
are still checked).

A FOLDER stands for the *.yaml and *.yml files directly in it (subfolders such as common/ are
not searched: keep shared bases there).  A file of the folder that another file extends and
that is not a valid scenario on its own is only a base: it is skipped (its problems are
reported through the files that extend it).

Limits (environment variables): MSOMODEL_MAX_FILE_BYTES (default 2 MiB per file),
MSOMODEL_MAX_YAML_NODES (200000 values once aliases are expanded), MSOMODEL_MAX_YAML_DEPTH
(nesting, 50).
"""

_VALIDATE_EPILOG = """\
examples:
  msomodel validate scenarios/ohio_physician_single_site.yaml
  msomodel validate scenarios/              # every scenario of the folder
  msomodel validate clients/*.yaml && msomodel report clients/*.yaml
"""

_SCHEMA_DESCRIPTION = """\
Print the JSON Schema (draft 2020-12) of a scenario file on standard output, for editors and
other tools; with --markdown, print the field reference (docs/scenario-reference.md) instead.
The schema describes one merged scenario: `extends:` is read by the loader, not the schema.
"""

_SCHEMA_EPILOG = """\
examples:
  msomodel schema > scenario.schema.json    # e.g. for the YAML extension of an editor
  msomodel schema --markdown > docs/scenario-reference.md
"""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every sub-command; ``command``: the one about to run, if known, so that the
    arguments of the others that live in heavier modules (``report``) are not imported."""
    parser = argparse.ArgumentParser(
        prog="msomodel",
        description="Compare self-managed, MSO and software-only operation of a medical spa.",
    )
    from msomodel import __version__

    parser.add_argument("--version", action="version", version=f"msomodel {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check scenario files or folders (every problem at once)",
                       description=_VALIDATE_DESCRIPTION, epilog=_VALIDATE_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="a scenario file, or a folder of them (see above); one or more")
    p.set_defaults(func=cmd_validate, quick_exit=True)

    p = sub.add_parser(
        "compare", help="compare the management options of one scenario and decide",
        description="Project self-managed, self-managed + software and a third-party MSO under "
        "the legal structure the state rules allow the owner, and recommend one with how sure it "
        "is and what would flip it.",
        epilog="example: msomodel compare scenarios/texas_rn_single_site.yaml --trials 5000 "
        "--seed 7 --format json")
    p.add_argument("scenario", metavar="SCENARIO", help=SCENARIO_HELP)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="output format (default: table)")
    p.add_argument("--trials", type=_trials, default=2000,
                   help="Monte Carlo trials for the probability of being best (default: 2000; "
                   "0 skips it)")
    p.add_argument("--seed", type=arguments.seed, default=1, help="random seed (default: 1)")
    p.add_argument("--structure", choices=("auto", "direct", "friendly_pc", "both"), default=None,
                   help="legal structure to evaluate (default: the scenario's structure.type, "
                   "else auto: the one the state rules allow); 'both' side by side")
    p.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                   help="processes for the decision's Monte Carlo and its explanations; the "
                   "same result on any number (default: number of CPUs)")
    p.set_defaults(func=cmd_compare, quick_exit=True, forks=True)

    p = sub.add_parser(
        "init", help="write a commented client scenario that validates at once",
        description="Write FOLDER/<name>.yaml: a scenario that extends the packaged, sourced "
        "benchmark base, with the legal structure the state rules allow for the owner's "
        "license and the inputs to replace first. Missing flags are asked for in a terminal.",
        epilog="example: msomodel init clients/ --state AZ --license pa --sites 2 "
        "--name \"Arizona PA\"")
    p.add_argument("folder", metavar="FOLDER", nargs="?", default=".",
                   help="where to write the file (default: the current folder)")
    p.add_argument("--state", help="two-letter code or name (e.g. AZ, Arizona)")
    p.add_argument("--license", "--licence", dest="licence", metavar="LICENSE",
                   help="physician, np, pa, rn or none (full names accepted)")
    p.add_argument("--sites", type=int, help="number of sites, 1 to 20")
    p.add_argument("--name", help="client name (default: from state, license and sites)")
    p.add_argument("--spacing", type=arguments.positive_int, default=12,
                   help="months between site openings (default: 12)")
    p.add_argument("--start", type=arguments.month, default=None, help="first projection month YYYY-MM (default: next month)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser(
        "diff", help="the inputs that differ between two scenarios and their effect",
        description="List the inputs that differ between two scenario files (after extends: "
        "is merged) and the effect on each option's NPV and on the recommendation.",
        epilog="example: msomodel diff clients/smith-v1.yaml clients/smith-v2.yaml")
    p.add_argument("before", metavar="BEFORE", help="the earlier scenario file")
    p.add_argument("after", metavar="AFTER", help="the later scenario file")
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="output format (default: table)")
    p.add_argument("--trials", type=_trials, default=2000,
                   help="Monte Carlo trials for each recommendation (default: 2000; 0 skips it)")
    p.add_argument("--seed", type=arguments.seed, default=1, help="random seed (default: 1)")
    p.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                   help="processes for each Monte Carlo, as for compare (default: number of CPUs)")
    p.set_defaults(func=cmd_diff, forks=True)

    p = sub.add_parser("schema", help="print the JSON Schema of a scenario file",
                       description=_SCHEMA_DESCRIPTION, epilog=_SCHEMA_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--markdown", action="store_true",
                   help="print the field reference as Markdown instead (default: JSON Schema)")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser(
        "rules", help="what the state-rules data says for a state (or --all jurisdictions)",
        description="Who may own a med spa, by state and owner license. Not legal advice. "
        "Overlay files named in MSOMODEL_RULES_OVERLAY (os.pathsep-separated) are layered "
        "over the package data.",
        epilog="examples: msomodel rules Texas --license RN; msomodel rules --all --format csv; "
        "msomodel rules --map us.png --license np --highlight AZ")
    p.add_argument("state", metavar="STATE", nargs="?", default=None,
                   help="two-letter code or name, any case (e.g. TX, texas, 'New York')")
    p.add_argument("--license", "--licence", dest="licence", metavar="LICENSE", default=None,
                   help="physician, np, pa, rn or none (full names accepted, any case)")
    p.add_argument("--all", action="store_true", help="the jurisdiction x license matrix")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--on", default=None, metavar="YYYY-MM-DD",
                   help="the date whose rules apply (default: today)")
    p.add_argument("--map", default=None, metavar="PNG",
                   help="write the US tile map for --license (default: none = lay owner)")
    p.add_argument("--highlight", default=None, metavar="STATE",
                   help="state to outline on the map (default: STATE)")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("report", help="render reports (executed notebook, HTML, PDF) and their "
                                      "index")
    if command in (None, "report"):  # its arguments import the report package
        from msomodel.report.cli import build_parser as report_arguments

        report_arguments(p)
    p.set_defaults(func=cmd_report)

    for register in _extra_commands():
        register(sub)
    return parser


#: Modules that add their own sub-commands with ``register(subparsers)``.
EXTRA_COMMAND_MODULES = ("msomodel.analysis_cli", "msomodel.explorer_cli", "msomodel.export.cli")


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
    """Run one command; its exit code (see the module docstring)."""
    return execute(parse(argv))


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and not argv[0].startswith("-") else None
    return build_parser(command).parse_args(argv)


def run() -> None:
    """The ``msomodel`` program (its console script and ``python -m msomodel.cli``).

    - For the commands that fork for their Monte Carlo (``compare``, ``diff``), OpenBLAS is asked
      for one thread before numpy is imported (unless the user set ``OPENBLAS_NUM_THREADS``):
      the engine never uses more (it runs under
      :func:`msomodel.analysis.evaluate.one_blas_thread`), and only a process without a BLAS
      thread pool forks (:mod:`msomodel.parallel`).
    - ``validate`` and ``compare``, which leave no thread or process running when they return
      (compare's forked children have ended), end without the interpreter's teardown, which
      frees every module and object one by one (about 30 ms): exit handlers run and the output
      is flushed first, so nothing is lost (a profiler wrapping the program loses its report).
    """
    import os

    args = parse()
    if getattr(args, "forks", False):  # parse() imports no numpy: still in time
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    code = execute(args)
    if getattr(args, "quick_exit", False):
        import atexit

        atexit._run_exitfuncs()
        code = _flushed(code)
        os._exit(code)
    sys.exit(code)


def _flushed(code: int) -> int:
    """Flush stdout and stderr before a quick exit; the exit code (1 if the output could not be
    written, as when the disk is full; a reader that left, as `| head` does, is no error)."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # closed when the program started (`>&-`)
            continue
        try:
            stream.flush()
        except BrokenPipeError:
            pass
        except OSError as exc:
            if stream is sys.stdout:
                with contextlib.suppress(OSError):
                    print(f"msomodel: cannot write the output: {exc}", file=sys.stderr)
            code = code or EXIT_FAIL
    return code


#: errno values of output that cannot be written (other OSErrors are not hidden).
_WRITE_ERRORS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def execute(args: argparse.Namespace) -> int:
    """Run a parsed command; its exit code (input errors: 2 with the message, no traceback)."""
    from msomodel.loader import ScenarioError

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
    except OSError as exc:  # the machine, not the input: a full disk under the output, say
        if exc.errno not in _WRITE_ERRORS:
            raise
        with contextlib.suppress(OSError):
            print(f"msomodel {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    run()
