"""``msomodel compare`` prints the same outputs as before, in every format, for every bundled scenario.

The outputs are in ``tests/data/compare_outputs.json.gz``.  The table must be the same bytes.
The JSON and the CSV must have the same structure, the same text and the same numbers to
1e-9 relative (issue 17's bound; 1e-6 absolute for amounts that are zero up to rounding, such as
a swept PC's EBITDA): the last bits of a float differ between CPUs, because BLAS kernels
(OpenBLAS picks one per CPU: Haswell, SkylakeX, ...) add the terms of a matrix product in
different orders, so a byte hash of full-precision floats holds only on the machine that wrote it.
Optimizations must leave the outputs as they are; a change that means to alter the results (new
economics, a new field) regenerates the file and says so in its commit::

    .venv/bin/python -m tests.test_outputs_identical      # rewrites tests/data/compare_outputs.json.gz
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).resolve().parent / "data" / "compare_outputs.json.gz"
FORMATS = ("json", "table", "csv")
REL, ABS = 1e-9, 1e-6


def outputs() -> dict[str, str]:
    """``{"scenarios/x.yaml --format F": output}`` of every bundled scenario and format (run from
    the repository's root, as the paths in the output are the ones given)."""
    import msomodel.compare  # noqa: F401  (the module, in sys.modules)
    from msomodel import cli

    comparisons = sys.modules["msomodel.compare"]
    real = comparisons.compare_structures
    done: dict[tuple[int, int, int], object] = {}

    def memo(s, trials, seed):  # one comparison per scenario for its three formats
        key = (id(s), trials, seed)
        if key not in done:
            done[key] = real(s, trials=trials, seed=seed)
        return done[key]

    found = {}
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        comparisons.compare_structures = lambda s, **kw: memo(s, kw["trials"], kw["seed"])
        for path in sorted((ROOT / "scenarios").glob("*.yaml")):
            scenario = cli._load(f"scenarios/{path.name}")
            for fmt in FORMATS:
                buf = io.StringIO()
                with contextlib.redirect_stdout(buf), \
                        _same(cli, f"scenarios/{path.name}", scenario):
                    assert cli.main(["compare", f"scenarios/{path.name}", "--format", fmt]) == 0
                found[f"scenarios/{path.name} --format {fmt}"] = buf.getvalue()
    finally:
        comparisons.compare_structures = real
        os.chdir(here)
    return found


@contextlib.contextmanager
def _same(cli, name: str, scenario):
    """The CLI loads the scenario once per scenario (the same object: the memo above hits)."""
    real = cli._load
    cli._load = lambda path: scenario if path == name else real(path)
    try:
        yield
    finally:
        cli._load = real


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):  # "nan" in the CSV: the same cell must be nan
        return math.isnan(a) and math.isnan(b)
    return a == b or (math.isfinite(a) and math.isfinite(b)
                      and abs(a - b) <= max(REL * max(abs(a), abs(b)), ABS))


def differences(a: object, b: object, at: str = "") -> list[str]:
    """Where two parsed JSON documents differ beyond float rounding (paths, first ones first)."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        return [] if a == b and type(a) is type(b) else [f"{at}: {a!r} != {b!r}"]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return [] if _close(float(a), float(b)) else [f"{at}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{at}: keys {sorted(set(a) ^ set(b))} or their order differ"]
        return [d for k in a for d in differences(a[k], b[k], f"{at}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{at}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{at}[{i}]")]
    return [f"{at}: {type(a).__name__} != {type(b).__name__}"]


def _csv(text: str) -> list[list[object]]:
    def cell(c: str) -> object:
        try:
            return float(c)
        except ValueError:
            return c
    return [[cell(c) for c in row] for row in csv.reader(io.StringIO(text))]


def changes(expected: dict[str, str], found: dict[str, str]) -> dict[str, list[str]]:
    """Per output, what changed: the table byte for byte, JSON and CSV to float rounding."""
    out = {}
    for key, text in found.items():
        old = expected[key]
        if key.endswith("json"):
            diff = differences(json.loads(old), json.loads(text))
        elif key.endswith("csv"):
            diff = differences(_csv(old), _csv(text))
        else:
            diff = [] if old == text else ["the table's text differs"]
        if diff:
            out[key] = diff[:5]
    return out


def read_expected() -> dict[str, str]:
    return json.loads(gzip.decompress(EXPECTED.read_bytes()).decode("utf-8"))


def test_compare_output_is_unchanged_for_every_bundled_scenario():
    expected = read_expected()
    found = outputs()
    assert set(found) == set(expected), "regenerate: python -m tests.test_outputs_identical"
    changed = changes(expected, found)
    assert not changed, (f"output changed: {changed}; if intended, regenerate with "
                         "python -m tests.test_outputs_identical and say so in the commit")


def test_the_outputs_are_in_american_english():
    """Every text the CLI prints (the table, the JSON's and the CSV's texts) reads as a US
    client writes it; the outputs above are these, so this holds for what ``compare`` prints."""
    from tests.spelling import british

    found = {name: british(text) for name, text in read_expected().items()}
    assert not any(found.values()), {k: v[:3] for k, v in found.items() if v}


def test_the_comparison_tells_rounding_from_a_change():
    """The tolerance takes float rounding and nothing more: a relative 1e-12 or a zero of
    1e-10 passes; 1e-8 relative, a changed text or a missing item fails."""
    doc = {"npv": 2089356.554027251, "pc": [0.0, 2.9e-11], "label": "Self-managed", "ok": True}
    same = {"npv": 2089356.5540272503, "pc": [-1.4e-10, -8.7e-11], "label": "Self-managed",
            "ok": True}
    assert differences(doc, same) == []
    assert differences(doc, {**doc, "npv": doc["npv"] * (1 + 1e-8)})
    assert differences(doc, {**doc, "label": "Self managed"})
    assert differences(doc, {**doc, "pc": [0.0]})
    assert differences(doc, {**doc, "ok": 1})
    assert differences(_csv("a,1.0\n"), _csv("a,1.0000000001\n")) == []
    assert differences(_csv("a,1.0\n"), _csv("a,1.01\n"))
    assert differences(_csv("a,nan\n"), _csv("a,nan\n")) == []
    assert differences(_csv("a,nan\n"), _csv("a,0.0\n"))


if __name__ == "__main__":
    EXPECTED.write_bytes(gzip.compress(json.dumps(outputs(), indent=0, sort_keys=True).encode(),
                                       mtime=0))
    print(f"wrote {EXPECTED}")
