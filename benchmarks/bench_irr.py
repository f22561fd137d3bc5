"""Benchmark: vectorised ``msomodel.finance.irr`` vs per-series loops.

Times, on 10,000 seeded monthly series of 61 values (index 0 = set-up cost):
(a) ``msomodel.finance.irr`` on the whole (10000, 61) array at once,
(b) ``numpy_financial.irr`` in a Python loop,
(c) ``pyxirr.irr`` in a Python loop (skipped with a message if pyxirr is missing),
checks that the results agree and prints a small table.

Run: ``.venv/bin/python -m benchmarks.bench_irr`` (or ``python benchmarks/bench_irr.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import numpy_financial as npf

from msomodel.finance import irr

N_SERIES, N_MONTHS, SEED = 10_000, 61, 20240601


def make_series(n: int = N_SERIES, months: int = N_MONTHS, seed: int = SEED) -> np.ndarray:
    """Realistic med-spa monthly cash flows (currency), shape (n, months).

    Set-up cost at index 0, a few loss-making ramp-up months, then mostly positive
    monthly profits with occasional loss months (equipment, seasonality); 2 % of the
    series never turn positive (no sign change: IRR undefined).
    """
    rng = np.random.default_rng(seed)
    m = np.arange(months)
    ramp = rng.integers(2, 13, n)[:, None]
    steady = rng.uniform(3_000.0, 25_000.0, n)[:, None]
    growth = steady * np.minimum(1.0, (m + 1) / (ramp + 6))
    cf = growth * rng.normal(1.0, 0.35, (n, months)) - np.where(m < ramp, steady * 0.8, 0.0)
    shock = rng.random((n, months)) < 0.03  # occasional one-off loss month
    cf = np.where(shock, -rng.uniform(5_000.0, 40_000.0, (n, months)), cf)
    cf[:, 0] = -rng.uniform(80_000.0, 600_000.0, n)
    losers = rng.random(n) < 0.02
    cf[losers] = -np.abs(cf[losers])
    return cf


def _time(fn: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _pyxirr_loop(cf: np.ndarray, pyxirr) -> np.ndarray:
    out = [pyxirr.irr(row, silent=True) for row in cf]
    return np.array([np.nan if v is None else v for v in out], dtype=float)


def main(n: int = N_SERIES, repeat: int = 3) -> dict[str, float]:
    """Run the benchmark, print a table and return the figures (seconds and ratios)."""
    cf = make_series(n)
    irr(cf[:10])  # warm-up (grid cache, BLAS)
    t_ours, ours = _time(lambda: irr(cf), repeat)
    t_npf, ref_npf = _time(lambda: np.array([npf.irr(row) for row in cf]), 1)
    figures = {"n_series": float(n), "n_months": float(cf.shape[1]), "ours_s": t_ours,
               "npf_loop_s": t_npf, "npf_over_ours": t_npf / t_ours,
               "nan_ours": float(np.isnan(ours).sum()), "nan_npf": float(np.isnan(ref_npf).sum())}
    both = ~np.isnan(ours) & ~np.isnan(ref_npf)
    figures["max_abs_diff_npf"] = float(np.abs(ours - ref_npf)[both].max())
    try:
        import pyxirr
    except ImportError:
        print("pyxirr is not installed: skipping the pyxirr loop")
    else:
        t_pyx, ref_pyx = _time(lambda: _pyxirr_loop(cf, pyxirr), repeat)
        both = ~np.isnan(ours) & ~np.isnan(ref_pyx)
        figures |= {"pyxirr_loop_s": t_pyx, "pyxirr_over_ours": t_pyx / t_ours,
                     "nan_pyxirr": float(np.isnan(ref_pyx).sum()),
                     "max_abs_diff_pyxirr": float(np.abs(ours - ref_pyx)[both].max())}

    print(f"IRR of {n:,} monthly series x {cf.shape[1]} values (best of {repeat})")
    print(f"{'method':<28}{'time [ms]':>12}{'vs ours':>10}{'NaN rows':>10}{'max |diff|':>12}")
    print(f"{'msomodel.finance.irr':<28}{t_ours * 1e3:>12.1f}{1.0:>10.1f}"
          f"{figures['nan_ours']:>10.0f}{'':>12}")
    print(f"{'numpy_financial.irr loop':<28}{t_npf * 1e3:>12.1f}{t_npf / t_ours:>10.1f}"
          f"{figures['nan_npf']:>10.0f}{figures['max_abs_diff_npf']:>12.1e}")
    if "pyxirr_loop_s" in figures:
        print(f"{'pyxirr.irr loop':<28}{figures['pyxirr_loop_s'] * 1e3:>12.1f}"
              f"{figures['pyxirr_over_ours']:>10.1f}{figures['nan_pyxirr']:>10.0f}"
              f"{figures['max_abs_diff_pyxirr']:>12.1e}")
    return figures


if __name__ == "__main__":
    main()
