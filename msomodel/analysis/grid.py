"""Two-way grids of the incremental NPV over any two inputs, with the break-even contour.

All ``len(x_values) * len(y_values)`` cases go through the engine as one batched call (in
chunks of ``chunk_size`` trials for very large grids).  Axes are scenario paths or the
pseudo-paths ``mso.fee.level`` and ``sites.count`` (see :mod:`.paths`).

Break-even: along each row (fixed y) the x where the incremental NPV crosses zero, by linear
interpolation between the two neighboring grid points (the first crossing from the low end).
Where the NPV is linear in x between those points (e.g. a flat fee with no floor, cap or
tax-loss kink in between) this is exact; otherwise the error shrinks with the grid spacing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from msomodel.analysis import paths as P
from msomodel.analysis.evaluate import check_pair, gap_key, npv_by_path
from msomodel.inputs import compile_inputs
from msomodel.scenario import Scenario
from msomodel.scenario.spelling import canonical_path


@dataclass
class GridResult:
    """NPV [USD] of ``outcome`` less ``baseline``'s on a y-by-x grid."""

    scenario: str
    outcome: str
    x_path: str
    y_path: str
    x_values: np.ndarray
    y_values: np.ndarray
    values: np.ndarray            # (len(y_values), len(x_values))
    base_point: tuple[float, float]
    base_value: float
    baseline: str = "self_managed"

    @property
    def table(self) -> pd.DataFrame:
        """Rows: y values; columns: x values; cells: incremental NPV [USD]."""
        return pd.DataFrame(self.values, index=pd.Index(self.y_values, name=self.y_path),
                            columns=pd.Index(self.x_values, name=self.x_path))

    def breakeven(self) -> pd.DataFrame:
        """For each y value, the x value where the incremental NPV is zero (NaN: none in range)."""
        return pd.DataFrame({self.y_path: self.y_values,
                             self.x_path: [crossing(self.x_values, row) for row in self.values]})

    def to_dict(self) -> dict[str, Any]:
        def num(v: float) -> float | None:
            return float(v) if np.isfinite(v) else None

        return {"scenario": self.scenario, "outcome": self.outcome, "baseline": self.baseline,
                "x": {"path": self.x_path, "values": [float(v) for v in self.x_values]},
                "y": {"path": self.y_path, "values": [float(v) for v in self.y_values]},
                "incremental_npv": [[num(v) for v in row] for row in self.values],
                "breakeven_x": [num(v) for v in self.breakeven()[self.x_path]],
                "base": {"x": self.base_point[0], "y": self.base_point[1],
                         "incremental_npv": num(self.base_value)}}


def crossing(x: np.ndarray, f: np.ndarray) -> float:
    """First x where ``f`` (sampled at increasing ``x``) reaches zero, linearly interpolated."""
    zero = np.flatnonzero(f == 0)
    change = np.flatnonzero(np.sign(f[:-1]) * np.sign(f[1:]) < 0)
    first = min([*zero[:1], *(change[:1] + 0.5)], default=None)
    if first is None:
        return float("nan")
    if first == int(first):
        return float(x[int(first)])
    k = int(first)
    return float(x[k] + (x[k + 1] - x[k]) * f[k] / (f[k] - f[k + 1]))


def _axis(scenario: Scenario, inputs, path: str, values: Any, name: str) -> np.ndarray:
    msg = P.check_path(inputs, path)
    if msg:
        raise ValueError(f"{name}: {msg}")
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError(f"{name} values: expected a non-empty list of finite numbers")
    if np.any(np.diff(v) <= 0):
        raise ValueError(f"{name} values: expected increasing values")
    b = P.bounds(scenario, path)
    bad = v[(v < b.lower) | (v > b.upper) | (b.integer & (v != np.rint(v)))]
    if bad.size:
        kind = "whole numbers " if b.integer else "values "
        raise ValueError(f"{name} values for {path}: expected {kind}{b.describe()}, found {bad[0]:g}")
    return v


def grid(scenario: Scenario, x_path: str, x_values: Any, y_path: str, y_values: Any,
         outcome: str = "mso", *, chunk_size: int = 4000, baseline: str = "self_managed",
         inputs: Any = None) -> GridResult:
    """NPV of ``outcome`` over ``baseline`` (any two options) for every (x, y) pair, e.g.
    ``grid(s, "mso.fee.level", fees, "mso.purchasing_discount", ds)``.

    Raises ValueError naming the axis for an unknown path, values outside the field's schema
    bounds or not increasing.  A path may spell its keys the US way (``capacity.utilization``).
    """
    check_pair(outcome, baseline)
    x_path, y_path = canonical_path(x_path), canonical_path(y_path)
    if x_path == y_path:
        raise ValueError(f"y: expected a different input from x, found '{y_path}' twice")
    inputs = inputs if inputs is not None else compile_inputs(scenario)
    x = _axis(scenario, inputs, x_path, x_values, "x")
    y = _axis(scenario, inputs, y_path, y_values, "y")
    xx, yy = np.meshgrid(x, y)  # (ny, nx)
    n = xx.size
    res = npv_by_path(inputs, {x_path: xx.ravel(), y_path: yy.ravel()}, n, chunk_size)
    values = res[gap_key(outcome, baseline)].reshape(xx.shape)
    base = npv_by_path(inputs, {}, 1)[gap_key(outcome, baseline)][0]
    return GridResult(scenario.name, outcome, x_path, y_path, x, y, values,
                      (P.base_value(inputs, x_path), P.base_value(inputs, y_path)), float(base),
                      baseline)
