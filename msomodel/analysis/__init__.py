"""Uncertainty analysis on the vectorized engine: tornado, two-way grids and Monte Carlo.

>>> from msomodel.analysis import tornado, grid, simulate
>>> tornado(scenario).table                      # one batched engine call, 2 x k trials
>>> grid(scenario, "mso.fee.level", fees, "mso.purchasing_discount", discounts).table
>>> simulate(scenario, spec, trials=10_000, seed=1).percentiles()

Inputs are named by dotted scenario paths (:attr:`msomodel.inputs.ModelInputs.paths`) plus the
pseudo-paths ``mso.fee.level`` and ``sites.count`` (:mod:`.paths`).  The ``uncertainty:``
section is described in :mod:`.spec`.  Names are imported lazily, so that
``msomodel.scenario`` can import :mod:`msomodel.analysis.spec` without a cycle.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "UncertaintySpec": "spec", "parse_spec": "spec",
    "SamplingPlan": "distributions", "compile_plan": "distributions", "sample": "distributions",
    "BLOCK_SIZE": "montecarlo", "BlockResult": "montecarlo", "MonteCarloProblem": "montecarlo",
    "SimulationResult": "montecarlo", "prepare": "montecarlo", "reduce_blocks": "montecarlo",
    "run_block": "montecarlo", "simulate": "montecarlo",
    "TornadoResult": "sensitivity", "tornado": "sensitivity",
    "GridResult": "grid", "grid": "grid",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"msomodel.analysis.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'msomodel.analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
