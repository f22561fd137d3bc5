"""Benchmark: vectorized ``msomodel.finance.irr`` vs per-series loops.

Times, on 10,000 seeded monthly series of 61 values (index 0 = set-up cost):
(a) ``msomodel.finance.irr`` on the whole (10000, 61) array at once,
(b) ``numpy_financial.irr`` in a Python loop,
(c) ``pyxirr.irr`` in a Python loop (skipped with a message if pyxirr is missing),
checks that the results agree and prints a small table.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_irr``.
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


def sign_changes(cf: np.ndarray) -> np.ndarray:
    """Number of sign changes along the last axis, zeros ignored (Descartes' rule)."""
    sign = np.sign(cf)
    last = np.maximum.accumulate(np.where(sign != 0, np.arange(cf.shape[-1]), 0), axis=-1)
    filled = np.take_along_axis(sign, last, axis=-1)
    return (filled[..., 1:] * filled[..., :-1] < 0).sum(axis=-1)


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


def main(n: int = N_SERIES, repeat: int = 5) -> dict[str, float]:
    """Run the benchmark, print a table and return the figures (seconds and ratios)."""
    cf = make_series(n)
    irr(cf[:10])  # warm-up (grid cache, BLAS)
    t_ours, ours = _time(lambda: irr(cf), repeat)
    t_npf, ref_npf = _time(lambda: np.array([npf.irr(row) for row in cf]), 1)
    unique = sign_changes(cf) == 1  # exactly one root (Descartes)
    figures = {"n_series": float(n), "n_months": float(cf.shape[1]),
               "n_unique_root": float(unique.sum()), "ours_s": t_ours,
               "npf_loop_s": t_npf, "npf_over_ours": t_npf / t_ours,
               "nan_ours": float(np.isnan(ours).sum()), "nan_npf": float(np.isnan(ref_npf).sum())}
    figures |= _agreement("npf", ours, ref_npf, unique)
    try:
        import pyxirr
    except ImportError:
        print("pyxirr is not installed: skipping the pyxirr loop")
    else:
        t_pyx, ref_pyx = _time(lambda: _pyxirr_loop(cf, pyxirr), repeat)
        figures |= {"pyxirr_loop_s": t_pyx, "pyxirr_over_ours": t_pyx / t_ours,
                    "nan_pyxirr": float(np.isnan(ref_pyx).sum())}
        figures |= _agreement("pyxirr", ours, ref_pyx, unique)

    print(f"IRR of {n:,} monthly series x {cf.shape[1]} values (best of {repeat})")
    print(f"  {figures['n_unique_root']:.0f} series have one sign change (a unique root)")
    print(f"{'method':<26}{'time [ms]':>10}{'/ ours':>8}{'NaN':>6}"
          f"{'max|diff| unique':>18}{'max|diff| all':>15}{'other root':>12}")
    print(f"{'msomodel.finance.irr':<26}{t_ours * 1e3:>10.1f}{1.0:>8.1f}"
          f"{figures['nan_ours']:>6.0f}")
    rows = [("numpy_financial.irr loop", "npf"), ("pyxirr.irr loop", "pyxirr")]
    for label, key in rows:
        if f"{key}_loop_s" in figures:
            print(f"{label:<26}{figures[f'{key}_loop_s'] * 1e3:>10.1f}"
                  f"{figures[f'{key}_over_ours']:>8.1f}{figures[f'nan_{key}']:>6.0f}"
                  f"{figures[f'max_abs_diff_{key}_unique']:>18.1e}"
                  f"{figures[f'max_abs_diff_{key}']:>15.1e}"
                  f"{figures[f'n_other_root_{key}']:>12.0f}")
    print("  (max|diff| over rows where both are defined; 'other root' = rows where a series\n"
          "   with several roots got a different root: ours returns the one nearest zero)")
    return figures


def _agreement(key: str, ours: np.ndarray, ref: np.ndarray, unique: np.ndarray) -> dict:
    both = ~np.isnan(ours) & ~np.isnan(ref)
    diff = np.abs(ours - ref)
    return {f"max_abs_diff_{key}_unique": float(diff[both & unique].max()),
            f"max_abs_diff_{key}": float(diff[both].max()),
            f"n_other_root_{key}": float((diff[both] > 1e-9).sum())}


if __name__ == "__main__":
    main()
