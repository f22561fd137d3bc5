"""Run every benchmark: ``python -m benchmarks [name ...]`` (names: engine, compare, irr, montecarlo,
report, explorer, dask). Results are also written to benchmarks/results/latest.json."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

ALL = ("engine", "compare", "irr", "montecarlo", "explorer", "report", "dask")


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
        results[name] = module.main()
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    tmp = out / "latest.json.tmp"
    tmp.write_text(json.dumps(results, indent=2, default=float))
    tmp.replace(out / "latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
