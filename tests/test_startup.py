"""What short commands import, the package's lazy public names, and the pandas-free tables
(msomodel.yearly, tables.Table) against pandas itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import msomodel
from msomodel import tables, yearly

ROOT = Path(__file__).resolve().parent.parent
FLORIDA = "scenarios/florida_entrepreneur_five_sites.yaml"

_PROBE = """
import contextlib, io, json, sys
from msomodel.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules
                  if m.split(".")[0] in ("pandas", "matplotlib", "jsonschema", "xlsxwriter")
                  or m in ("msomodel.rules.schema", "numpy.ma"))}))
"""


def _imports(*argv: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, *argv], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [
    ("validate", "scenarios/"),
    ("compare", FLORIDA, "--trials", "50"),
    ("compare", FLORIDA, "--trials", "50", "--format", "json"),
    ("compare", FLORIDA, "--trials", "50", "--format", "csv"),
], ids=["validate", "compare-table", "compare-json", "compare-csv"])
def test_validate_and_compare_import_neither_pandas_nor_plotting(argv):
    found = _imports(*argv)
    assert found["code"] == 0
    # the rules schema is skipped too once the validated rule book is in the cache (a warm-up
    # run above); pandas, matplotlib and friends are never needed
    assert [m for m in found["loaded"] if m != "msomodel.rules.schema"] == []


def test_import_msomodel_imports_nothing_heavy():
    code = ("import sys, msomodel; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pandas', 'numpy', 'pydantic') or m.startswith('msomodel.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_are_lazy_and_the_same_objects():
    from msomodel.compare import Comparison, compare, compare_structures
    from msomodel.loader import Problem, ScenarioError, load_scenario, scenario_from_dict
    from msomodel.scenario import OPTIONS, Scenario

    expected = {"OPTIONS": OPTIONS, "Comparison": Comparison, "Problem": Problem,
                "Scenario": Scenario, "ScenarioError": ScenarioError, "compare": compare,
                "compare_structures": compare_structures, "load_scenario": load_scenario,
                "scenario_from_dict": scenario_from_dict}
    assert set(msomodel.__all__) == {*expected, "__version__"}
    for name, obj in expected.items():
        assert getattr(msomodel, name) is obj, name
    assert set(msomodel.__all__) <= set(dir(msomodel))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        msomodel.nope  # noqa: B018


def test_importing_the_compare_module_first_keeps_msomodel_compare_the_function():
    code = ("import msomodel.compare, msomodel; from msomodel import compare; "
            "print(callable(compare) and compare is msomodel.compare "
            "and compare.__module__ == 'msomodel.compare')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"


# --------------------------------------------------------------------------- pandas' figures
@pytest.mark.skipif(tuple(int(x) for x in pd.__version__.split(".")[:2]) < (3, 1),
                    reason="pandas < 3.1 sums every group with Kahan's rule (equal to ~1e-16)")
def test_group_sums_equal_pandas_to_the_bit():
    rng = np.random.default_rng(7)
    for trial in range(200):
        rows, cols = int(rng.integers(1, 130)), int(rng.integers(1, 20))
        values = (rng.standard_normal((rows, cols)) * 10.0 ** rng.integers(-3, 12, size=cols)
                  * rng.choice([1, 1e-8, 1e8], size=(rows, 1)))
        if trial % 4 == 0:
            values[rng.random((rows, cols)) < 0.1] = np.nan
        if trial % 9 == 0:
            values[rng.random((rows, cols)) < 0.05] = np.inf
        labels = np.sort(rng.integers(1, 8, size=rows))
        frame = pd.DataFrame({f"c{j}": values[:, j] for j in range(cols)})
        keys, sums = yearly.group_sum(values, labels)
        _, last = yearly.group_last(values, labels)
        assert np.array_equal(keys, np.unique(labels))
        assert np.array_equal(frame.groupby(labels).sum().to_numpy(), sums, equal_nan=True)
        assert np.array_equal(frame.groupby(labels).last().to_numpy(), last, equal_nan=True)


def test_groups_are_np_unique_with_its_inverse():
    rng = np.random.default_rng(11)
    for trial in range(300):
        n = int(rng.integers(0, 90))
        labels = rng.integers(-3, int(rng.integers(1, 12)), size=n)
        if trial % 3 == 0:
            labels = np.sort(labels)
        if trial % 5 == 0:
            labels = labels * 0.5  # float labels
        keys, codes = yearly.groups(labels)
        want_keys, want_codes = np.unique(labels, return_inverse=True)
        assert keys.dtype == want_keys.dtype
        assert np.array_equal(keys, want_keys)
        assert np.array_equal(codes, want_codes.reshape(-1))
        assert np.array_equal(yearly.distinct(labels), want_keys)


@pytest.fixture(scope="module")
def florida():
    return msomodel.compare(msomodel.load_scenario(ROOT / FLORIDA), trials=200)


def test_the_annual_tables_equal_pandas_groupby(florida):
    years = florida._years
    for option in florida.projections:
        monthly = florida.monthly(option)
        old = monthly.groupby(years).sum()
        new = florida.annual(option)
        for line in old.columns.intersection(new.columns):
            assert np.array_equal(old[line].to_numpy(), new[line].to_numpy()), line
        site = florida.projections[option].site["ebitda"][0]
        assert_frame_equal(pd.DataFrame(site.T, columns=florida.inputs.sites).groupby(years)
                           .sum().rename_axis("year"), florida.annual_by_site(option, "ebitda"),
                           check_exact=True)


def test_plain_tables_print_as_pandas_does(florida):
    for table in (tables.key_figures_table(florida), tables.ebitda_by_year_table(florida),
                  tables.by_site_table(florida, "mso"), tables.flips_table(florida),
                  tables.asymmetries_table(florida)):
        frame = table.frame()
        assert table.to_string() == frame.to_string()
        assert table.to_string(index=False) == frame.to_string(index=False)
    rng = np.random.default_rng(3)
    words = ["", "a", "—", "$1,234", "-$5", "Feasible with conditions", "x" * 40]
    for _ in range(100):
        n, k = int(rng.integers(1, 6)), int(rng.integers(1, 5))
        rows = [[str(rng.choice(words)) for _ in range(k)] for _ in range(n)]
        table = tables.Table([str(rng.choice(words[1:])) + str(j) for j in range(k)], rows,
                             [str(rng.choice(words[1:])) for _ in range(n)])
        frame = table.frame()
        assert table.to_string() == frame.to_string()
        assert table.to_string(index=False) == frame.to_string(index=False)


def test_the_sources_read_with_the_c_parser_are_the_pure_parsers(monkeypatch):
    import yaml

    from msomodel import assumptions

    assert assumptions.COMPOSER is yaml.CSafeLoader
    files = [*sorted((ROOT / "scenarios").glob("*.yaml")),
             *sorted((ROOT / "msomodel" / "bases").rglob("*.yaml")),
             *sorted((ROOT / "tests" / "cases").glob("*.yaml"))]
    for path in files:
        fast = assumptions.file_sources(path)
        with monkeypatch.context() as m:
            m.setattr(assumptions, "COMPOSER", yaml.SafeLoader)
            assert assumptions.file_sources(path) == fast, path
