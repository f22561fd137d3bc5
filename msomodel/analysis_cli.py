"""Sub-commands ``msomodel sensitivity``, ``grid`` and ``simulate`` (registered by msomodel.cli).

The ``uncertainty:`` section is read from the scenario file (``extends:`` honored) or from
``--spec FILE`` (a YAML file holding an ``uncertainty:`` mapping, or the mapping itself).
Bad input prints ``FILE: dotted.path: expected ..., found ...`` and exits with code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from msomodel import arguments
from msomodel.arguments import positive_int as _positive
from msomodel.formatting import money

EXIT_OK, EXIT_INPUT = 0, 2


def load_with_spec(path: str, spec_path: str | None = None) -> tuple[Any, Any, str]:
    """The scenario, its ``uncertainty:`` section (raw mapping or None) and the spec's file.

    The section is taken out of the scenario mapping before validation, so that its problems
    are reported by :func:`~msomodel.analysis.spec.parse_spec` against the file it came from
    (the scenario, or ``--spec``).
    """
    return _load_with_spec(path, spec_path)[:3]


class _Located:
    """Re-raises a ScenarioError of the spec's file with each field's line and column."""

    def __init__(self, source: str, marks: dict) -> None:
        self.source, self.marks = source, marks

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        from msomodel.errors import locate
        from msomodel.loader import ScenarioError

        if isinstance(exc, ScenarioError):
            raise ScenarioError(locate(exc.problems, self.source, self.marks)) from None
        return False


def _load_with_spec(path: str, spec_path: str | None = None) -> tuple[Any, Any, str, _Located]:
    """:func:`load_with_spec`, and a context that locates the section's problems found later
    (by line and column, in the scenario or the ``--spec`` file)."""
    from msomodel.loader import Problem, ScenarioError
    from msomodel.loading.validate import load, not_a_file, validate
    from msomodel.loading.yamlio import parse_file

    file = Path(path)
    if not file.is_file():
        raise ScenarioError([Problem(path, "", f"expected a scenario file, found {not_a_file(file)}")])
    tree = load(file)
    data = dict(tree.data)
    section = data.pop("uncertainty", None)
    scenario = validate(data, source=path, sha256=tree.sha256, marks=tree.marks)
    scenario._marks = tree.marks
    source, marks = path, tree.marks
    if spec_path is not None:
        spec_file = Path(spec_path)
        if not spec_file.is_file():
            raise ScenarioError([Problem(spec_path, "", "expected a YAML file, found "
                                         f"{not_a_file(spec_file)}")])
        parsed = parse_file(spec_file)
        wrapped = "uncertainty" in parsed.data
        section = parsed.data["uncertainty"] if wrapped else parsed.data
        marks = {(p if wrapped else ("uncertainty", *p)): ((), m) for p, m in parsed.marks.items()}
        source = spec_path
    return scenario, section, source, _Located(source, marks)


def _save(fig, out: str) -> None:
    """Write a figure to ``out`` (atomically); a path that cannot be written is an input error
    naming ``--chart`` (exit 2), before any result is printed."""
    import matplotlib.pyplot as plt

    from msomodel.atomic import replacing, write_error

    try:
        with replacing(out, suffix=Path(out).suffix or ".png") as tmp:
            fig.savefig(tmp, format=Path(out).suffix.lstrip(".") or "png")
    except OSError as exc:
        raise write_error("--chart", out, exc) from None
    finally:  # main() may run in a long-lived process (tests, a notebook)
        plt.close(fig)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from msomodel.analysis.sensitivity import tornado

    scenario, section, source, located = _load_with_spec(args.scenario, args.spec)
    with located:
        result = tornado(scenario, section, args.outcome, source=source)
    if args.chart:  # first: a chart that cannot be written stops before any output
        from msomodel.charts.uncertainty import tornado_chart

        _save(tornado_chart(result), args.chart)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    elif args.format == "csv":
        sys.stdout.write(result.table.to_csv(index=False, float_format=repr))
    else:
        t = result.table
        name = {"mso": "MSO", "software_only": "Software"}
        rows = {"Input": t["label"], "Low": t["low_value"].map("{:,.6g}".format),
                "High": t["high_value"].map("{:,.6g}".format)}
        for o in ("mso", "software_only"):
            rows[f"{name[o]} @low"] = t[f"{o}_low"].map(money)
            rows[f"{name[o]} @high"] = t[f"{o}_high"].map(money)
            rows[f"{name[o]} swing"] = t[f"{o}_swing"].map(money)
        import pandas as pd

        print(f"== Tornado: {scenario.name} — incremental NPV over self-managed, "
              f"ranked by {name[result.outcome]} swing ==")
        print(f"Base: MSO {money(result.base['mso'])}, software {money(result.base['software_only'])}")
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(pd.DataFrame(rows).to_string(index=False))
        if result.skipped:
            print(f"Not varied (base value 0, no ±20% range): {', '.join(result.skipped)}")
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from msomodel.analysis.montecarlo import simulate

    scenario, section, source, located = _load_with_spec(args.scenario, args.spec)
    with located:
        if args.spec is None:  # the file's own ranges must include its own values (a --spec is a
            # what-if of the user's, as a spec passed to simulate() is)
            from msomodel.analysis.distributions import excluded_values
            from msomodel.inputs import compile_inputs
            from msomodel.loader import ScenarioError

            excluded = excluded_values(section, scenario, compile_inputs(scenario), source)
            if excluded:
                raise ScenarioError(excluded)
        if getattr(args, "scheduler", None):
            from msomodel.analysis.cluster import simulate_on_cluster
            from msomodel.distributed import ClusterError, parse_scheduler, require_dask

            try:
                parse_scheduler(args.scheduler)
                require_dask()
                result = simulate_on_cluster(scenario, section, args.trials, args.seed,
                                             args.scheduler, chunk_size=args.chunk_size,
                                             source=source, progress=sys.stderr.isatty())
            except ClusterError as exc:
                print(f"msomodel simulate: {exc}", file=sys.stderr)
                return EXIT_INPUT
        else:
            result = simulate(scenario, section, args.trials, args.seed, chunk_size=args.chunk_size,
                              source=source)
    if args.chart:  # first: a chart that cannot be written stops before any output
        from msomodel.charts.uncertainty import simulation_chart

        _save(simulation_chart(result, args.outcome), args.chart)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        import pandas as pd

        pct = result.percentiles()
        probs = result.probabilities()
        print(f"== Monte Carlo: {scenario.name} — {result.trials:,} trials, seed {result.seed} ==")
        with pd.option_context("display.width", 200, "display.max_columns", 20,
                               "display.float_format", "{:,.4g}".format):
            print(pct.to_string())
        print()
        print("P(best, among feasible options): " + ", ".join(
            f"{result.labels[o]} {p:.1%}" if p is not None else f"{result.labels[o]} n/a"
            for o, p in probs["best"].items()))
        print(f"P(MSO beats self-managed) = {probs['mso_beats_self_managed']:.1%}; "
              f"P(software beats self-managed) = {probs['software_beats_self_managed']:.1%}")
        print()
        print("Inputs most correlated with the MSO's incremental NPV (Spearman):")
        for row in result.drivers("mso", 8).itertuples():
            print(f"  {row.spearman:+.3f}  {row.path}")
        clipped = {p: c for p, c in result.clipped.items() if c}
        if clipped:
            print("Samples clipped to the schema bounds: "
                  + ", ".join(f"{p} {c:,}" for p, c in clipped.items()))
    return EXIT_OK


def _guard(func):
    """Turn API input errors (ValueError) into a message and exit code 2."""
    from msomodel.loader import ScenarioError

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ScenarioError:
            raise  # printed by msomodel.cli.main
        except (ValueError, KeyError) as exc:
            print(f"msomodel {args.command}: {exc}", file=sys.stderr)
            return EXIT_INPUT

    return run


def _values(text: str) -> list[float]:
    """``LOW:HIGH:N`` (N evenly spaced values) or a comma-separated list."""
    try:
        if ":" in text:
            low, high, n = text.split(":")
            count = int(n)
            if count < 2:
                raise ValueError
            step = (float(high) - float(low)) / (count - 1)
            return [float(low) + i * step for i in range(count)]
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LOW:HIGH:N (N >= 2) or a list like 0,0.05,0.1, found {text!r}") from None


def cmd_grid(args: argparse.Namespace) -> int:
    from msomodel.analysis.grid import grid

    scenario, _, _ = load_with_spec(args.scenario)
    found = grid(scenario, args.x, args.x_values, args.y, args.y_values, outcome=args.outcome)
    if args.chart:
        from msomodel.charts.uncertainty import grid_heatmap

        _save(grid_heatmap(found), args.chart)
    if args.format == "json":
        print(json.dumps(found.to_dict(), indent=2))
    elif args.format == "csv":
        sys.stdout.write(found.table.to_csv())
    else:
        table = found.table.map(money)
        print(f"== Incremental NPV of {args.outcome} over self-managed: {scenario.name} ==")
        print(f"rows: {args.y}; columns: {args.x}")
        print(table.to_string())
        print()
        print("Break-even (where the incremental NPV is zero):")
        print(found.breakeven().to_string(index=False))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sensitivity``, ``grid`` and ``simulate`` to the ``msomodel`` sub-commands."""
    p = sub.add_parser(
        "sensitivity", help="tornado: one input at a time, ranked by effect",
        description="Vary each input of the uncertainty section's sensitivity ranges (default: "
        "+-20 % of key inputs) one at a time, in one batched engine call, and rank them by the "
        "swing of an option's incremental NPV over self-managed.",
        epilog="example: msomodel sensitivity scenarios/ohio_physician_single_site.yaml "
        "--chart tornado.png")
    p.add_argument("scenario", metavar="SCENARIO", help="a scenario YAML file")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="output format (default: table)")
    p.add_argument("--chart", metavar="OUT.png", help="write the tornado chart")
    p.add_argument("--outcome", choices=("mso", "software_only"), default="mso",
                   help="rank by the swing of this option's incremental NPV (default: mso)")
    p.add_argument("--spec", metavar="FILE", help="YAML with an uncertainty: section")
    p.set_defaults(func=_guard(cmd_sensitivity))

    p = sub.add_parser(
        "grid", help="two-way table of the incremental NPV over two inputs",
        description="The incremental NPV of an option over self-managed for every pair of "
        "values of two inputs, with the break-even value per row.",
        epilog="example: msomodel grid scenarios/ohio_physician_single_site.yaml --x "
        "mso.fee.level --x-values 8000:24000:9 --y mso.purchasing_discount --y-values 0:0.15:4")
    p.add_argument("scenario", metavar="SCENARIO", help="a scenario YAML file")
    p.add_argument("--x", required=True, metavar="PATH", help="e.g. mso.fee.level")
    p.add_argument("--x-values", required=True, type=_values, metavar="LOW:HIGH:N")
    p.add_argument("--y", required=True, metavar="PATH", help="e.g. mso.purchasing_discount")
    p.add_argument("--y-values", required=True, type=_values, metavar="LOW:HIGH:N")
    p.add_argument("--outcome", choices=("mso", "software_only"), default="mso",
                   help="option whose incremental NPV is tabled (default: mso)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="output format (default: table)")
    p.add_argument("--chart", metavar="OUT.png", help="write the heatmap with the break-even line")
    p.set_defaults(func=_guard(cmd_grid))

    p = sub.add_parser(
        "simulate", help="Monte Carlo over the scenario's distributions",
        description="Seeded Monte Carlo of the uncertainty section: percentiles of NPV, IRR and "
        "payback per option, the probability each option is best, and the inputs that matter.",
        epilog="example: msomodel simulate scenarios/texas_rn_single_site.yaml --trials 10000 "
        "--seed 1 --chart mc.png")
    p.add_argument("scenario", metavar="SCENARIO", help="a scenario YAML file")
    p.add_argument("--trials", type=_positive, default=10_000, metavar="N",
                   help="number of trials (default: 10000)")
    p.add_argument("--seed", type=arguments.seed, default=0, metavar="S", help="random seed (default: 0)")
    p.add_argument("--chunk-size", type=_positive, default=None, metavar="N",
                   help="trials per engine call (memory; results do not depend on it; default: "
                   "as many as fit in 75,000 site-months)")
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="output format (default: table)")
    p.add_argument("--chart", metavar="OUT.png", help="write the histogram/CDF chart")
    p.add_argument("--outcome", choices=("mso", "software_only"), default="mso",
                   help="option whose incremental NPV the chart shows (default: mso)")
    p.add_argument("--spec", metavar="FILE", help="YAML with an uncertainty: section")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="evaluate the blocks on Dask: tcp://HOST:8786 or local[:N] "
                        "(needs msomodel[dask]; same numbers as without)")
    p.set_defaults(func=_guard(cmd_simulate))
