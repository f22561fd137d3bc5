"""Months, ramps and escalators as arrays.

Index 0 is the start of the projection (one-time set-up flows only); index m >= 1 is month m,
whose flows fall at its end.  Project year y(m) = (m - 1) // 12, so months 1-12 are year 0.
Annual growth and escalators step up at the start of each project year: a value growing at g
is ``value * (1 + g) ** y(m)``.  A site "operates" from its ``open_month`` on; its volume ramps
linearly from ``ramp_start`` (opening month) to 1.0 after ``ramp_months`` months.
All functions take a leading trials axis T and sites axis S: shapes (T, S) -> (T, S, M).

Speed (the same numbers): :func:`once_for_all_trials` computes what depends only on inputs no
trial varies for one trial and broadcasts it; :func:`monthly` spreads years onto months in C
order (months last in memory), which keeps the engine's (T, S, M) arithmetic on contiguous
rows; :func:`increase` is ``np.diff(prepend=0)`` without the copy; :func:`remembered` computes
what one trial's inputs give once per process for the same values (a compare runs the engine
some twenty times on the same scenario: the Monte Carlo's chunks, the flip search's rounds).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np

R = TypeVar("R")


def months(horizon: int) -> np.ndarray:
    """Month indices 0..horizon, shape (M,)."""
    return np.arange(horizon + 1)


def project_year(horizon: int) -> np.ndarray:
    """Project year of each index (0 for index 0 and months 1-12), shape (M,)."""
    return np.maximum(months(horizon) - 1, 0) // 12


def n_years(horizon: int) -> int:
    return int(project_year(horizon)[-1]) + 1


def yearly(rate_annual: np.ndarray, horizon: int) -> np.ndarray:
    """Factor ``(1 + rate) ** y`` for each project year y, shape (..., Y)."""
    return (1.0 + np.asarray(rate_annual)[..., None]) ** np.arange(n_years(horizon))


def to_months(per_year: np.ndarray, horizon: int) -> np.ndarray:
    """Spread values per project year (..., Y) onto months (..., M) (a new array)."""
    return per_year[..., project_year(horizon)]


def monthly(per_year: np.ndarray, horizon: int) -> np.ndarray:
    """:func:`to_months` as a C-ordered array (months last in memory, like the other monthly
    arrays: elementwise work and sums over sites run on contiguous rows).  ``to_months``'
    fancy index lays the months axis out first, which the line arrays keep (their matrix
    products depend on it)."""
    return np.repeat(per_year, _months_per_year(horizon), axis=-1)


@lru_cache(maxsize=16)
def _months_per_year(horizon: int) -> tuple[int, ...]:
    """How many indices each project year has (year 0 also has index 0)."""
    return tuple(int(n) for n in np.bincount(project_year(horizon)))


def increase(a: np.ndarray) -> np.ndarray:
    """Change over the month before along the last axis, from 0 before index 0:
    ``np.diff(a, axis=-1, prepend=0.0)`` without the concatenated copy (the same numbers)."""
    out = np.empty(a.shape)
    np.subtract(a[..., :1], 0.0, out=out[..., :1])
    np.subtract(a[..., 1:], a[..., :-1], out=out[..., 1:])
    return out


def escalate(rate_annual: np.ndarray, horizon: int) -> np.ndarray:
    """Step factor ``(1 + rate) ** year`` with the months axis appended last."""
    return to_months(yearly(rate_annual, horizon), horizon)


def operating(open_month: np.ndarray, horizon: int) -> np.ndarray:
    """1.0 where a site is open (m >= open_month, m >= 1), else 0.0; shape (..., M)."""
    m = months(horizon)
    return ((m >= open_month[..., None]) & (m >= 1)).astype(float)


def ramp(open_month: np.ndarray, ramp_months: np.ndarray, ramp_start: np.ndarray,
         horizon: int) -> np.ndarray:
    """Share of steady volume reached in each month (0 before opening), shape (..., M)."""
    age = months(horizon) - open_month[..., None]  # 0 in the opening month
    span = np.maximum(ramp_months, 1.0)[..., None]
    progress = np.where(ramp_months[..., None] > 0, np.clip(age / span, 0.0, 1.0), 1.0)
    share = ramp_start[..., None] + (1.0 - ramp_start[..., None]) * progress
    return share * operating(open_month, horizon)


def at_index(amount: np.ndarray, index: np.ndarray, horizon: int) -> np.ndarray:
    """Place ``amount`` at month ``index`` (one flow per element), shape (..., M)."""
    return amount[..., None] * (months(horizon) == index[..., None])


def per_site_once(amount: np.ndarray, open_month: np.ndarray, horizon: int) -> np.ndarray:
    """A one-time amount (T,) per site paid at the index before each site opens
    (``open_month`` (T, S)), summed over sites (T, M); computed once for all trials when no
    trial varies either (:func:`once_for_all_trials`)."""
    def paid(amount: np.ndarray, open_month: np.ndarray) -> np.ndarray:
        each = np.broadcast_to(amount[:, None], open_month.shape)
        return at_index(each, open_month - 1.0, horizon).sum(axis=1)
    return once_for_all_trials(paid, amount, open_month)


def straight_line(amount: np.ndarray, first_month: np.ndarray, n_months: np.ndarray,
                  horizon: int) -> np.ndarray:
    """Spread ``amount`` evenly over ``n_months`` months starting at ``first_month``."""
    m = months(horizon)
    n = np.maximum(n_months, 1.0)[..., None]
    live = (m >= first_month[..., None]) & (m < first_month[..., None] + n)
    return amount[..., None] / n * live


def same_for_all_trials(*arrays: np.ndarray) -> bool:
    """Each of ``arrays`` holds one trial's values for every trial: a trials axis of length 1
    or stride 0 (what :meth:`msomodel.inputs.ModelInputs.batch` gives an input not sampled)."""
    return all(a.shape[0] == 1 or a.strides[0] == 0 for a in arrays)


def site_sum(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=1)``: a per-site array (T, S, ...) summed over sites, for the first trial
    only (broadcast, read-only) when it holds one trial's values for all
    (:func:`once_for_all_trials`: a flat fee, the openings)."""
    return once_for_all_trials(lambda v: v.sum(axis=1), a)


def once_for_all_trials(fn: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
    """``fn(*arrays)``, computed for the first trial only and broadcast (read-only) to all
    trials when none of ``arrays`` (leading trials axis) varies across trials: the same numbers
    as computing it for every trial, without the per-trial work."""
    T = max(a.shape[0] for a in arrays)
    if T == 1 or not same_for_all_trials(*arrays):
        return fn(*arrays)
    return for_all_trials(fn(*(a[:1] for a in arrays)), T)


def for_all_trials(one: np.ndarray, n: int) -> np.ndarray:
    """``np.broadcast_to(one, (n, *one.shape[1:]))`` of one trial's array (a trials axis of
    length 1): read-only, stride 0 on the trials axis; built directly for a contiguous array
    (a few times faster; an engine run makes dozens)."""
    if not one.flags.c_contiguous or one.shape[:1] != (1,):
        return np.broadcast_to(one, (n, *one.shape[1:]))
    out = np.ndarray((n, *one.shape[1:]), one.dtype, one, 0, (0, *one.strides[1:]))
    out.flags.writeable = False
    return out


def remembered(fn: Callable[..., R], x: dict[str, np.ndarray], *args: Any) -> R:
    """``fn(x, *args)``, remembered by the *values* of the arrays in ``x`` (and ``args``,
    hashable): the same values give the same (read-only) result object without calling ``fn``
    again.  For what depends only on inputs that no trial varies (``x`` then holds one trial's
    arrays), which every engine run of the same scenario recomputes otherwise.  ``fn`` sees
    read-only copies of the arrays; its result's arrays (a dict or tuple of them) are made
    read-only."""
    key = tuple((k, a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes())
                for k, a in x.items())
    return _remembered(fn, key, args)


@lru_cache(maxsize=32)
def _remembered(fn: Callable[..., Any], key: tuple, args: tuple) -> Any:
    x = {k: np.frombuffer(raw, dtype=dtype).reshape(shape) for k, dtype, shape, raw in key}
    out = fn(x, *args)
    for a in out.values() if isinstance(out, dict) else out:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return out
