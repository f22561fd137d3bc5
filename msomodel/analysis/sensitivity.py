"""Tornado: vary each key input one at a time and rank by the swing of the incremental NPV.

All ``2 k`` one-at-a-time cases (plus the base case) go through the engine as ONE batched
call.  Ranges come from ``uncertainty.sensitivity`` when given, else +-20 % of the base
value of each of :data:`DEFAULT_INPUTS` that exists in the scenario (clipped to the
field's schema bounds; inputs whose base value is 0 have no +-20 % range and are listed in
``skipped``).  Outcomes: the incremental NPV [USD] of the MSO and of software over
self-managed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from msomodel.analysis import paths as P
from msomodel.analysis.evaluate import check_pair, gap_key, npv_by_path
from msomodel.analysis.spec import UncertaintySpec, parse_spec
from msomodel.errors import Problem, ScenarioError
from msomodel.inputs import ModelInputs, compile_inputs
from msomodel.scenario import OPTIONS, Scenario

if TYPE_CHECKING:
    import pandas as pd
else:
    from msomodel import lazy

    pd = lazy.module("pandas")

#: Key inputs of the default tornado, with labels (used when they exist in the scenario).
DEFAULT_INPUTS: dict[str, str] = {
    "adjustments.volume_multiplier": "Volume (multiplier)",
    "adjustments.price_multiplier": "Prices (multiplier)",
    "adjustments.wage_multiplier": "Wages (multiplier)",
    "adjustments.opex_multiplier": "Running costs (multiplier)",
    "mso.fee.level": "MSO fee level",
    "mso.purchasing_discount": "MSO purchasing discount",
    "mso.revenue_uplift": "MSO revenue uplift",
    "software.no_show_reduction": "Software no-show reduction",
    "software.admin_hours_saved": "Software admin hours saved",
    "software.per_location_monthly": "Software subscription",
    "site_defaults.no_show_rate": "No-show rate",
    "site_defaults.opex.rent.monthly": "Rent",
    "finance.discount_rate_annual": "Discount rate",
    "finance.exit_multiple": "Exit multiple",
}
#: Labels of other common axes (grids).
OTHER_LABELS: dict[str, str] = {
    "sites.count": "Number of sites",
    "mso.fee.per_site_monthly": "MSO fee (per site per month)",
    "mso.fee.percent": "MSO fee (share of collections)",
    "software.online_booking_uplift": "Software online-booking uplift",
    "mso.exit_multiple": "MSO's exit multiple",
    "software.exit_multiple": "Software option's exit multiple",
    "structure.friendly_pc.management_fee.per_site_monthly":
        "Management fee, PC to your MSO",
    "structure.friendly_pc.management_fee.percent":
        "Management fee, PC to your MSO (share of collections)",
    "structure.friendly_pc.management_fee.markup": "Management fee, PC to your MSO (markup)",
    "structure.friendly_pc.management_fee.target_margin":
        "Management fee, PC to your MSO (margin left to the PC)",
}
DEFAULT_RANGE = 0.20


def label(path: str) -> str:
    """Readable name of an input path."""
    return DEFAULT_INPUTS.get(path) or OTHER_LABELS.get(path, path)


@dataclass
class TornadoResult:
    """One row per input: its range and the incremental NPVs at each end [USD].

    ``table`` columns: ``path``, ``label``, ``base_value``, ``low_value``, ``high_value`` [unit
    of the input], then for ``mso`` and ``software_only``: ``{o}_low``, ``{o}_high`` (incremental
    NPV with the input at its low / high value) and ``{o}_swing`` (``|high - low|``); sorted by
    the swing of ``outcome``.  ``base`` holds the base-case incremental NPVs.
    """

    scenario: str
    outcome: str
    base: dict[str, float]
    table: pd.DataFrame
    skipped: list[str] = field(default_factory=list)
    baseline: str = "self_managed"
    fee_type: str | None = None  # the third-party MSO's fee structure (the unit of its fee level)

    def to_dict(self) -> dict[str, Any]:
        rows = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                for r in self.table.to_dict(orient="records")]
        return {"scenario": self.scenario, "outcome": self.outcome, "baseline": self.baseline,
                "base_incremental_npv": dict(self.base), "inputs": rows,
                "skipped": list(self.skipped),
                "conventions": f"Incremental NPV [USD] of each option over {self.baseline}; one "
                               "input at a time at its low and high value, all others at base."}


def ranges(scenario: Scenario, spec: UncertaintySpec | dict | None = None, *,
           default_range: float = DEFAULT_RANGE, source: str | None = None,
           inputs: ModelInputs | None = None) -> tuple[list[tuple[str, float, float]], list[str]]:
    """(path, low, high) per input, and the default inputs skipped for a zero range.
    ``inputs``: the scenario's compiled inputs, if already at hand."""
    source = source or scenario.source_path or "<uncertainty>"
    if spec is None:  # the scenario's own uncertainty: section
        spec = scenario.uncertainty
    spec = parse_spec(spec, source)
    inputs = inputs if inputs is not None else compile_inputs(scenario)
    if spec.sensitivity is not None:
        out, problems = [], []
        for i, r in enumerate(spec.sensitivity):
            msg = P.check_path(inputs, r.path)
            if msg is None:
                b = P.bounds(scenario, r.path)
                for end, v in (("low", r.low), ("high", r.high)):
                    if not b.lower <= v <= b.upper:
                        problems.append(Problem(source, f"uncertainty.sensitivity.{i}.{end}",
                                                f"expected a value {b.describe()}, found {v:g}"))
            else:
                problems.append(Problem(source, f"uncertainty.sensitivity.{i}.path", msg))
            out.append((r.path, r.low, r.high))
        if problems:
            raise ScenarioError(problems)
        return out, []
    out, skipped = [], []
    for path in DEFAULT_INPUTS:
        if P.check_path(inputs, path) is not None:
            continue
        base = P.base_value(inputs, path)
        (lo, hi), _ = P.bounds(scenario, path).clip(
            np.array([base * (1 - default_range), base * (1 + default_range)]))
        lo, hi = min(lo, hi), max(lo, hi)
        if lo == hi:
            skipped.append(path)
        else:
            out.append((path, float(lo), float(hi)))
    return out, skipped


def tornado(scenario: Scenario, spec: UncertaintySpec | dict | None = None,
            outcome: str = "mso", *, default_range: float = DEFAULT_RANGE,
            source: str | None = None, inputs: ModelInputs | None = None,
            baseline: str = "self_managed") -> TornadoResult:
    """One-at-a-time sensitivity of the NPV of ``outcome`` over ``baseline`` (any two options;
    the decision uses the recommended option over the best other lawful one), in one batched
    engine call of ``2 k + 1`` trials.  The table has columns for every option other than the
    baseline.  ``inputs``: the scenario's compiled inputs (``Comparison.inputs``), if at hand."""
    check_pair(outcome, baseline)
    inputs = inputs if inputs is not None else compile_inputs(scenario)
    rows, skipped = ranges(scenario, spec, default_range=default_range, source=source,
                           inputs=inputs)
    n = 1 + 2 * len(rows)
    values = {}
    for j, (path, lo, hi) in enumerate(rows):
        v = np.full(n, P.base_value(inputs, path))
        v[1 + 2 * j], v[2 + 2 * j] = lo, hi
        values[path] = v
    res = npv_by_path(inputs, values, n, chunk_size=max(n, 1))
    table = pd.DataFrame({
        "path": [r[0] for r in rows],
        "label": [label(r[0]) for r in rows],
        "base_value": [P.base_value(inputs, r[0]) for r in rows],
        "low_value": [r[1] for r in rows],
        "high_value": [r[2] for r in rows],
    })
    others = [o for o in OPTIONS if o != baseline]
    for o in others:
        inc = res[gap_key(o, baseline)]
        table[f"{o}_low"], table[f"{o}_high"] = inc[1::2], inc[2::2]
        table[f"{o}_swing"] = np.abs(inc[2::2] - inc[1::2])
    table = table.sort_values(f"{outcome}_swing", ascending=False, kind="stable")
    base = {o: float(res[gap_key(o, baseline)][0]) for o in others}
    return TornadoResult(scenario.name, outcome, base, table.reset_index(drop=True), skipped,
                         baseline, inputs.fee_type)
