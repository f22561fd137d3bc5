"""Sums and last values by project year without pandas, equal to the last bit to pandas'
``groupby(year).sum()`` and ``.last()`` (the tables of :mod:`msomodel.compare` and
:mod:`msomodel.financials` are built on them, and ``msomodel compare`` prints them without
importing pandas).

The rule is pandas' (3.1): labels in ascending order and no NaN, each column's groups are
summed by ``np.add.reduceat`` along the rows of the (columns, rows) array pandas holds (numpy's
pairwise summation); otherwise with Kahan's compensated summation, row by row, NaN skipped.
Labels are the project years of the indices (:func:`msomodel.timeline.project_year` plus one),
ascending.  Older pandas (< 3.1) always used the compensated sum: the figures then agree to
about 1e-16 relative, not to the bit.
"""

from __future__ import annotations

import numpy as np


def groups(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct labels, sorted, and each row's group number: ``np.unique(labels,
    return_inverse=True)`` for labels without NaN, without the import of ``numpy.ma`` that
    ``np.unique`` makes (9 ms of every ``msomodel compare``)."""
    flat = np.asarray(labels).reshape(-1)
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    codes = np.empty(len(flat), dtype=np.intp)
    codes[order] = np.cumsum(first) - 1
    return ordered[first], codes


def distinct(labels: np.ndarray) -> np.ndarray:
    """The distinct labels, sorted (``np.unique`` for labels without NaN)."""
    return groups(labels)[0]


def group_sum(values: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, sums)``: ``values`` (rows, ...) summed over the rows of each label, NaN skipped
    (an all-NaN group sums to 0), with pandas' compensated summation; ``sums`` is
    (len(keys), ...)."""
    values = np.asarray(values, dtype=float)
    keys, codes = groups(labels)
    if values.ndim == 2 and not np.isnan(values).any() and np.all(np.diff(codes) >= 0):
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        block = np.ascontiguousarray(values.T)  # (columns, rows), as a pandas block
        return keys, np.add.reduceat(block, starts, axis=1).T
    total = np.zeros((len(keys), *values.shape[1:]))
    comp = np.zeros_like(total)
    with np.errstate(invalid="ignore"):
        _kahan(values, codes, total, comp)
    return keys, total


def _kahan(values: np.ndarray, codes: np.ndarray, total: np.ndarray, comp: np.ndarray) -> None:
    for i, g in enumerate(codes):
        v = values[i]
        ok = ~np.isnan(v)
        y = v - comp[g]
        t = total[g] + y
        c = t - total[g] - y
        c = np.where(np.isnan(c), 0.0, c)  # an infinite value: keep the infinity (pandas GH#53606)
        total[g] = np.where(ok, t, total[g])
        comp[g] = np.where(ok, c, comp[g])


def group_last(values: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, last)``: the last value of each label's rows that is not NaN (NaN if none)."""
    values = np.asarray(values, dtype=float)
    keys, codes = groups(labels)
    last = np.full((len(keys), *values.shape[1:]), np.nan)
    for i, g in enumerate(codes):
        v = values[i]
        last[g] = np.where(np.isnan(v), last[g], v)
    return keys, last
