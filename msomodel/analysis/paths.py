"""Scenario paths as analysis inputs: schema bounds, pseudo-paths and batched values.

A *path* is a dotted scenario path of a numeric input (:attr:`ModelInputs.paths`).  Two
pseudo-paths are added for analysis:

- ``mso.fee.level``: the level of the scenario's fee structure, whatever its type (the
  array :data:`msomodel.inputs.FEE_LEVEL` names: flat fee [USD/month per site], percent
  [fraction], markup [fraction] or a multiple of the tier rates [x]).
- ``sites.count``: the number of sites that open, taking the first N sites in file order.
  Sites beyond N get ``open_month = horizon + 2`` in the input arrays, which the engine
  treats as never opening: no operation, and their capital (spent at ``open_month - 1``),
  loan and depreciation also fall past the horizon.  (``horizon + 1`` would not do: the
  capital would still be spent at the last index.)  Scenario validation forbids such
  months in a file; the arrays accept them.

Bounds come from the pydantic field metadata of the schema (``ge``/``le``), plus
``open_month <= horizon`` from the scenario's validator; integer fields are sampled as
integers.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from typing import Any, Union

import annotated_types
import numpy as np
from pydantic import BaseModel

from msomodel.inputs import FEE_LEVEL, ModelInputs
from msomodel.scenario import Scenario, Site, SiteAssumptions
from msomodel.scenario.base import unwrap_annotation

FEE_LEVEL_PATH = "mso.fee.level"
SITES_COUNT_PATH = "sites.count"
PSEUDO_PATHS = (FEE_LEVEL_PATH, SITES_COUNT_PATH)


@dataclass(frozen=True)
class Bounds:
    """Admissible values of an input: ``lower <= value <= upper``; ``integer`` if whole.
    ``lower_open`` / ``upper_open``: the schema excludes that bound itself (``gt`` / ``lt``);
    :meth:`clip` and the analyses' checks treat every bound as closed (validation rejects the
    bound itself), the workbook's data validation does not."""

    lower: float = -np.inf
    upper: float = np.inf
    integer: bool = False
    lower_open: bool = False
    upper_open: bool = False

    def clip(self, values: np.ndarray) -> tuple[np.ndarray, int]:
        """Values rounded (integers) and clipped to the bounds, and how many were clipped."""
        v = np.rint(values) if self.integer else np.asarray(values, dtype=float)
        out = np.clip(v, self.lower, self.upper)
        return out, int(np.count_nonzero(out != v))

    def describe(self) -> str:
        lo = "" if np.isinf(self.lower) else f">= {self.lower:g}"
        hi = "" if np.isinf(self.upper) else f"<= {self.upper:g}"
        return " and ".join(p for p in (lo, hi) if p) or "any number"


def known_paths(inputs: ModelInputs) -> list[str]:
    """Every path an analysis may vary: the scenario's numeric inputs and the pseudo-paths."""
    return sorted(inputs.paths) + list(PSEUDO_PATHS)


def check_path(inputs: ModelInputs, path: str) -> str | None:
    """None if ``path`` can be varied, else an ``expected ..., found ...`` message."""
    if path in inputs.paths or path in PSEUDO_PATHS:
        return None
    hint = difflib.get_close_matches(path, known_paths(inputs), n=1, cutoff=0.6)
    extra = f" (did you mean '{hint[0]}'?)" if hint else ""
    return f"expected a numeric input of this scenario{extra}, found '{path}'"


def base_value(inputs: ModelInputs, path: str) -> float:
    """The scenario's value at ``path`` (for ``sites.count``: the number of sites)."""
    if path == SITES_COUNT_PATH:
        return float(len(inputs.sites))
    if path == FEE_LEVEL_PATH:
        return float(inputs.arrays[FEE_LEVEL[inputs.fee_type][0]])
    return inputs.path_value(path)


# --------------------------------------------------------------------------- schema bounds
def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field(parts: list[str], scenario: Scenario) -> tuple[Any, list[Any]]:
    """Annotation and constraints of the field at ``parts`` (None if there is no such field)."""
    current: Any = type(scenario)
    value: Any = scenario  # the scenario's own value along the path, where it has one
    constraints: list[Any] = []
    for part in parts:
        origin = typing.get_origin(current)
        if origin in (list, dict):  # the part is a name, an index or a key
            current, constraints = unwrap_annotation(typing.get_args(current)[-1])
            value = None
            continue
        if origin in (Union, types.UnionType):  # the fee types: the scenario's own
            members = [a for a in typing.get_args(current) if _is_model(a)]
            current = type(value) if type(value) in members else next(
                (m for m in members if part in m.model_fields), None)
        if not _is_model(current) or part not in current.model_fields:
            return None, []
        if current is Site and part == "overrides":  # same shape as site_defaults
            current, constraints = SiteAssumptions, []
            continue
        info = current.model_fields[part]
        current, inner = unwrap_annotation(info.annotation)
        constraints = [*info.metadata, *inner]
        value = getattr(value, part, None)
    return current, constraints


def bounds(scenario: Scenario, path: str) -> Bounds:
    """Schema bounds of the input at ``path`` (pseudo-paths included)."""
    if path == SITES_COUNT_PATH:
        return Bounds(1.0, float(len(scenario.sites)), True)
    if path == FEE_LEVEL_PATH:
        field = FEE_LEVEL[scenario.mso.fee.type][1]
        return bounds(scenario, field) if field else Bounds(0.0, np.inf)
    tp, constraints = _field(path.split("."), scenario)
    lower, upper = (-np.inf, False), (np.inf, False)  # (bound, open)
    for c in constraints:
        if isinstance(c, annotated_types.Ge):
            lower = max(lower, (float(c.ge), False))
        elif isinstance(c, annotated_types.Gt):
            lower = max(lower, (float(c.gt), True))
        elif isinstance(c, annotated_types.Le):
            upper = min(upper, (float(c.le), False), key=lambda b: (b[0], not b[1]))
        elif isinstance(c, annotated_types.Lt):
            upper = min(upper, (float(c.lt), True), key=lambda b: (b[0], not b[1]))
    if path.startswith("sites.") and path.endswith(".open_month"):
        upper = min(upper, (float(scenario.finance.horizon_months), False),
                    key=lambda b: (b[0], not b[1]))
    return Bounds(lower[0], upper[0], tp is int, lower[1], upper[1])


# --------------------------------------------------------------------------- batched values
def batch_arguments(inputs: ModelInputs, n: int, values: dict[str, np.ndarray]
                    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Split ``{path: array(n)}`` into the ``values`` and ``arrays`` of :meth:`ModelInputs.batch`,
    translating the pseudo-paths into input arrays."""
    plain = {p: v for p, v in values.items() if p not in PSEUDO_PATHS}
    arrays: dict[str, np.ndarray] = {}
    if FEE_LEVEL_PATH in values:
        name, field, _ = FEE_LEVEL[inputs.fee_type]
        if field is not None and field in plain:
            raise ValueError(f"{FEE_LEVEL_PATH} and {field} name the same input; give only one")
        if field is not None and field in inputs.paths:
            plain[field] = values[FEE_LEVEL_PATH]
        else:
            arrays[name] = np.broadcast_to(values[FEE_LEVEL_PATH], (n,))
    if SITES_COUNT_PATH in values:
        opens = np.array(np.broadcast_to(inputs.arrays["open_month"], (n, len(inputs.sites))))
        for i, site in enumerate(inputs.sites):
            key = f"sites.{site}.open_month"
            if key in plain:
                opens[:, i] = plain.pop(key)
        count = np.broadcast_to(values[SITES_COUNT_PATH], (n,))
        closed = np.arange(len(inputs.sites))[None, :] >= np.rint(count)[:, None]
        arrays["open_month"] = np.where(closed, inputs.horizon + 2.0, opens)
    return plain, arrays


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in a raw scenario mapping (as read from YAML) in place.

    Named list items (service lines, roles, sites, equipment) are found by ``name``, other
    list items by index; missing mappings are created, missing lists are not (KeyError).
    For checks and benchmarks that rebuild a scenario per sample; no pseudo-paths.
    """
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        if isinstance(node, list):
            named = [item for item in node if isinstance(item, dict) and item.get("name") == part]
            if named:
                node = named[0]
            elif part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise KeyError(f"{path}: no list item named '{part}'")
        else:
            node = node.setdefault(part, {})
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value
