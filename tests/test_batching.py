"""Engine calls sized by array elements, BLAS on one thread, and the CLI's lazy imports.

Outcomes only (the same numbers whatever the batching); speed is measured by ``make bench``,
never asserted here.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import msomodel
from msomodel.analysis import montecarlo as mc
from msomodel.analysis.evaluate import one_blas_thread
from msomodel.inputs import compile_inputs
from msomodel.loader import _load_tree

OHIO = "scenarios/ohio_physician_single_site.yaml"
SPEC = {"distributions": [
    {"path": "adjustments.volume_multiplier", "dist": "pert", "low": 0.75, "mode": 1.0,
     "high": 1.15},
    {"path": "mso.fee.level", "dist": "uniform", "low": 9000, "high": 16000},
]}


def _with_sites(n: int):
    raw = _load_tree(__import__("pathlib").Path(OHIO))
    first = raw["sites"][0]
    raw["sites"] = [{**first, "name": f"Site {i + 1}", "open_month": 1 + i % 24} for i in range(n)]
    return msomodel.scenario_from_dict(raw)


def test_chunks_are_sized_by_sites_times_months():
    months = compile_inputs(msomodel.load_scenario(OHIO)).horizon
    per_site = mc.CHUNK_ELEMENTS // months  # the company-level arrays weigh COMPANY_SITES sites
    for sites, expected in ((1, per_site // (1 + mc.COMPANY_SITES)),
                            (5, per_site // (5 + mc.COMPANY_SITES)),
                            (100, per_site // (100 + mc.COMPANY_SITES))):
        inputs = compile_inputs(_with_sites(sites))
        assert mc.chunk_trials(inputs) == expected
        assert mc.chunk_trials(inputs, 7) == 7  # an explicit chunk size wins
    assert mc.chunk_trials(compile_inputs(_with_sites(5))) == 250  # the 250 of before
    assert mc.chunk_trials(inputs, elements=1) == 1  # never fewer than one trial


def test_default_chunks_give_the_numbers_of_fixed_250_trial_chunks():
    scenario = _with_sites(30)  # 30 sites: the default is far below 250 trials per call
    assert mc.chunk_trials(compile_inputs(scenario)) < 250
    a = mc.simulate(scenario, SPEC, 1100, seed=3)
    b = mc.simulate(scenario, SPEC, 1100, seed=3, chunk_size=250)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(a.samples, b.samples, check_exact=True)


def test_chunk_size_zero_is_still_refused():
    with pytest.raises(ValueError, match="chunk_size"):
        mc.simulate(msomodel.load_scenario(OHIO), SPEC, 10, seed=1, chunk_size=0)


def test_engine_calls_run_with_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []
    real = mc.npv_outcomes

    def spy(*args, **kwargs):
        seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        return real(*args, **kwargs)

    monkeypatch.setattr(mc, "npv_outcomes", spy)
    mc.simulate(msomodel.load_scenario(OHIO), SPEC, 300, seed=1)
    assert seen and set(seen) == {1}
    with one_blas_thread():
        pass
    assert np.ones((3, 3)) @ np.ones(3) @ np.ones(3) == 9.0  # numpy still works afterwards


HEAVY = ("msomodel.report", "matplotlib", "papermill", "nbconvert", "nbformat", "jupyter",
         "weasyprint", "ipywidgets", "voila")


def test_compare_does_not_import_the_report_package_or_notebook_tools():
    code = ("import sys, io, contextlib; from msomodel.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main(['compare', {OHIO!r}, '--trials', '0']) == 0\n"
            f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
