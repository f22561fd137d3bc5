"""One batched engine call and the per-trial outcomes every analysis needs.

Outcome keys (each an array of shape (T,)):

- ``{option}.npv`` [USD], ``{option}.irr_annual`` [fraction/year, NaN = undefined],
  ``{option}.payback_month`` [month index, NaN = never] for every option;
- ``incremental.{option}.npv`` [USD]: NPV of (option - self-managed) net cash flow, for
  ``mso`` and ``software_only``;
- ``gap.{a}.{b}.npv`` [USD]: NPV of (a - b) net cash flow for every ordered pair of options
  (the baseline of a comparison is any option: the decision's runner-up, say).

NPVs use each trial's own discount rate, exactly as :func:`msomodel.metrics.option_metrics`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import lru_cache
from typing import Any

import numpy as np

from msomodel import engine, finance
from msomodel.inputs import ModelInputs
from msomodel.options import Projection
from msomodel.scenario import OPTIONS
from msomodel.timeline import once_for_all_trials

CHALLENGERS = ("mso", "software_only")


def one_blas_thread() -> AbstractContextManager[Any]:
    """numpy's BLAS on one thread for the ``with`` block (threadpoolctl): the engine's small
    matrix products and the IRR solver are faster without thread hand-offs, and the cores are
    left to other processes (a distributed run's workers, say)."""
    return _blas_controller().limit(limits=1, user_api="blas")


@lru_cache(maxsize=1)
def _blas_controller() -> Any:
    """threadpoolctl's view of the loaded thread pools, found once (numpy's BLAS is loaded
    with numpy): looking them up on every call took milliseconds."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def gap_key(option: str, baseline: str) -> str:
    """Outcome key of the NPV of ``option``'s net cash flow less ``baseline``'s."""
    if baseline == "self_managed":
        return f"incremental.{option}.npv"
    return f"gap.{option}.{baseline}.npv"


def check_pair(option: str, baseline: str) -> None:
    for name, value in (("outcome", option), ("baseline", baseline)):
        if value not in OPTIONS:
            raise ValueError(f"{name}: expected one of {', '.join(OPTIONS)}, found {value!r}")
    if option == baseline:
        raise ValueError(f"baseline: expected an option other than the outcome, found {baseline!r}")


def outcome_keys(options: tuple[str, ...] = OPTIONS) -> list[str]:
    keys = [f"{o}.{m}" for o in options for m in ("npv", "irr_annual", "payback_month")]
    return keys + [gap_key(a, b) for a in options for b in options
                   if a != b and (b != "self_managed" or a in CHALLENGERS)]


def project(inputs: ModelInputs, n: int, values: dict[str, Any] | None = None,
            arrays: dict[str, Any] | None = None, options: tuple[str, ...] = OPTIONS,
            cash_only: bool = False) -> tuple[dict[str, Projection], np.ndarray]:
    """:func:`msomodel.engine.run`, and each trial's annual discount rate (n,)."""
    values, arrays = values or {}, arrays or {}
    if "discount_rate" in arrays:
        rate = arrays["discount_rate"]
    else:
        rate = values.get("finance.discount_rate_annual", inputs.arrays["discount_rate"])
    rate = np.broadcast_to(np.asarray(rate, dtype=float), (n,))
    return engine.run(inputs, n, values=values, arrays=arrays, options=options,
                      cash_only=cash_only), rate


def outcomes(inputs: ModelInputs, n: int, values: dict[str, Any] | None = None,
             arrays: dict[str, Any] | None = None, options: tuple[str, ...] = OPTIONS,
             *, irr: bool = True) -> dict[str, np.ndarray]:
    """Per-trial outcomes (see the module docstring) of ``n`` trials in one engine call.

    ``irr=False`` skips IRR and payback (the tornado and grids only need NPVs).
    """
    out, flows = npv_outcomes(inputs, n, values, arrays, options)
    if irr:
        out.update(irr_outcomes(flows))
    return out


def npv_outcomes(inputs: ModelInputs, n: int, values: dict[str, Any] | None = None,
                 arrays: dict[str, Any] | None = None, options: tuple[str, ...] = OPTIONS,
                 *, gaps: bool = True) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """NPVs per option and incremental NPVs, and each option's net cash flow (T, M);
    ``gaps=False``: the options' NPVs only (no ``incremental.*`` and ``gap.*`` keys)."""
    projections, rate_annual = project(inputs, n, values, arrays, options, cash_only=True)
    out: dict[str, np.ndarray] = {}
    flows = {option: p.net_cash_flow for option, p in projections.items()}
    months = next(iter(flows.values())).shape[-1]
    compounded = once_for_all_trials(  # one rate for all trials unless it is sampled
        lambda r: finance.compounding(finance.monthly_rate(r), months), rate_annual)
    for option, cf in flows.items():
        out[f"{option}.npv"] = np.asarray(finance.npv(None, cf, compounded=compounded))
    for a in flows if gaps else ():
        for b in flows:
            if a != b and (b != "self_managed" or a in CHALLENGERS):
                out[gap_key(a, b)] = np.asarray(finance.npv(None, flows[a] - flows[b],
                                                            compounded=compounded))
    return out, flows


def irr_outcomes(flows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Annual IRR and payback month per option from net cash flows (T, M).

    The vectorized IRR solver is exact to its tolerance but its last bits can depend on
    which rows are solved together (BLAS blocking), so Monte Carlo calls this on fixed
    blocks of trials to stay bit-for-bit reproducible.
    """
    out: dict[str, np.ndarray] = {}
    for option, cf in flows.items():
        out[f"{option}.irr_annual"] = np.asarray(finance.irr_annual(cf))
        out[f"{option}.payback_month"] = np.asarray(finance.payback_month(cf))
    return out


def npv_by_path(inputs: ModelInputs, values: dict[str, np.ndarray], n: int,
                chunk_size: int = 4000, *, gaps: bool = True) -> dict[str, np.ndarray]:
    """NPV outcomes of ``n`` trials given ``{path: values (n,)}`` (pseudo-paths allowed),
    ``chunk_size`` trials per engine call, BLAS on one thread (``gaps=False``: the options'
    NPVs only, see :func:`npv_outcomes`)."""
    from msomodel.analysis.paths import batch_arguments

    parts = []
    with one_blas_thread():
        for lo in range(0, n, chunk_size):
            hi = min(lo + chunk_size, n)
            plain, arrays = batch_arguments(inputs, hi - lo,
                                            {p: v[lo:hi] for p, v in values.items()})
            parts.append(npv_outcomes(inputs, hi - lo, plain, arrays, gaps=gaps)[0])
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
