"""Uncertainty analysis on the vectorised engine: tornado, two-way grids and Monte Carlo.

>>> from msomodel.analysis import tornado, grid, simulate
>>> tornado(scenario).table                      # one batched engine call, 2 x k trials
>>> grid(scenario, "mso.fee.level", fees, "mso.purchasing_discount", discounts).table
>>> simulate(scenario, spec, trials=10_000, seed=1).percentiles()

Inputs are named by dotted scenario paths (:attr:`msomodel.inputs.ModelInputs.paths`) plus the
pseudo-paths ``mso.fee.level`` and ``sites.count`` (:mod:`.paths`).  The ``uncertainty:``
section is described in :mod:`.spec`.
"""

from msomodel.analysis.distributions import SamplingPlan, compile_plan, sample
from msomodel.analysis.montecarlo import (
    BLOCK_SIZE,
    BlockResult,
    MonteCarloProblem,
    SimulationResult,
    prepare,
    reduce_blocks,
    run_block,
    simulate,
)
from msomodel.analysis.spec import UncertaintySpec, parse_spec

__all__ = [
    "BLOCK_SIZE",
    "BlockResult",
    "MonteCarloProblem",
    "SamplingPlan",
    "SimulationResult",
    "UncertaintySpec",
    "compile_plan",
    "parse_spec",
    "prepare",
    "reduce_blocks",
    "run_block",
    "sample",
    "simulate",
]
