"""``msomodel compare`` prints the same bytes as before, in every format, for every bundled scenario.

The SHA-256 of each output is in ``tests/data/compare_outputs.json``.  Optimisations must leave
them as they are; a change that means to alter the results (new economics, a new field)
regenerates the file and says so in its commit::

    .venv/bin/python -m tests.test_outputs_identical      # rewrites tests/data/compare_outputs.json
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).resolve().parent / "data" / "compare_outputs.json"
FORMATS = ("json", "table", "csv")


def outputs() -> dict[str, str]:
    """``{"scenarios/x.yaml --format F": sha256}`` of every bundled scenario and format (run from
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
                found[f"scenarios/{path.name} --format {fmt}"] = hashlib.sha256(
                    buf.getvalue().encode()).hexdigest()
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


def test_compare_output_is_byte_identical_for_every_bundled_scenario():
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    found = outputs()
    assert set(found) == set(expected), "regenerate: python -m tests.test_outputs_identical"
    changed = sorted(k for k in found if found[k] != expected[k])
    assert not changed, (f"output changed for {changed}; if intended, regenerate with "
                         "python -m tests.test_outputs_identical and say so in the commit")


if __name__ == "__main__":
    EXPECTED.write_text(json.dumps(outputs(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {EXPECTED}")
