"""Run every benchmark: ``python -m benchmarks [name ...]`` (names: engine, compare, irr, montecarlo,
explorer, report, dask, goals). Results are also written to benchmarks/results/latest.json.

``goals`` (last) prints issue 17's goals table; it fills its report and explorer rows from those
benchmarks when they ran in the same invocation.  ``make bench`` runs ``goals`` alone (about two
minutes); ``make bench BENCH="report explorer goals"`` adds those rows."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

ALL = ("engine", "compare", "irr", "montecarlo", "explorer", "report", "dask", "goals")


def main(argv: list[str]) -> int:
    names = argv or list(ALL)
    results = {}
    for name in names:
        try:
            module = importlib.import_module(f"benchmarks.bench_{name}")
        except ModuleNotFoundError as exc:
            print(f"[{name}] skipped: {exc}")
            continue
        print(f"\n=== {name} ===")
        wants = getattr(module, "WANTS_RESULTS", False)
        results[name] = module.main(dict(results)) if wants else module.main()
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    tmp = out / "latest.json.tmp"
    tmp.write_text(json.dumps(results, indent=2, default=float))
    tmp.replace(out / "latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
