"""What drives the answer: the tornado of the current settings, labelled for the page.

:func:`drivers` runs :func:`msomodel.analysis.tornado` on a comparison's scenario and returns
:class:`Drivers` (one :class:`DriverRow` per input, widest swing first); :func:`drivers_html`
writes the sentence under the chart.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import Any

from msomodel import tables
from msomodel.compare import Comparison

#: Plain-English names of the tornado's inputs (unknown paths are shown as their path).
DRIVER_LABELS: dict[str, str] = {
    "adjustments.volume_multiplier": "Visits per month (volume multiplier)",
    "adjustments.price_multiplier": "Average ticket (price multiplier)",
    "adjustments.wage_multiplier": "Wages (multiplier)",
    "adjustments.opex_multiplier": "Running costs (multiplier)",
    "mso.fee.level": "MSO fee",
    "mso.fee.per_site_monthly": "MSO fee",
    "mso.fee.percent": "MSO fee",
    "mso.fee.markup": "MSO fee (markup)",
    "mso.fee.base_per_site_monthly": "MSO base fee",
    "mso.purchasing_discount": "Purchasing discount",
    "mso.revenue_uplift": "Extra visits the MSO brings",
    "mso.exit_multiple": "Sale value (MSO exit multiple)",
    "software.no_show_reduction": "No-show reduction (software)",
    "software.admin_hours_saved": "Admin time saved (software)",
    "software.per_location_monthly": "Software price",
    "site_defaults.no_show_rate": "No-show rate",
    "site_defaults.opex.rent.monthly": "Rent",
    "finance.discount_rate_annual": "Discount rate",
    "finance.exit_multiple": "Sale value (exit multiple)",
    "sites.count": "Number of sites",
}
#: How each input's values are written: ``pct`` (fractions and multipliers), ``money``, ``x``.
DRIVER_UNITS: dict[str, str] = {
    "adjustments.volume_multiplier": "pct", "adjustments.price_multiplier": "pct",
    "adjustments.wage_multiplier": "pct", "adjustments.opex_multiplier": "pct",
    "mso.fee.per_site_monthly": "money", "mso.fee.percent": "pct", "mso.fee.markup": "pct",
    "mso.fee.base_per_site_monthly": "money", "mso.purchasing_discount": "pct",
    "mso.revenue_uplift": "pct", "mso.exit_multiple": "x", "software.no_show_reduction": "pct",
    "software.admin_hours_saved": "pct", "software.per_location_monthly": "money",
    "site_defaults.no_show_rate": "pct", "site_defaults.opex.rent.monthly": "money",
    "finance.discount_rate_annual": "pct", "finance.exit_multiple": "x", "sites.count": "count",
}
FEE_LEVEL_UNITS = {"flat": "money", "percentage": "pct", "cost_plus": "pct", "hybrid": "pct",
                   "tiered": "x"}
DRIVER_OUTCOMES = ("mso", "software_only")
DRIVER_ROWS = 10


def driver_label(path: str) -> str:
    """``"mso.purchasing_discount"`` -> ``"Purchasing discount"``; an unknown path stays as is."""
    return DRIVER_LABELS.get(path, path)


def driver_value(value: float, path: str, fee_type: str | None = None) -> str:
    """An input's value as the page writes it: 80%, $9,600, 4.5x, 3."""
    unit = FEE_LEVEL_UNITS.get(fee_type or "", "") if path == "mso.fee.level" else DRIVER_UNITS.get(path)
    if unit == "money":
        return tables.money(value)
    if unit == "pct":
        v = 100 * value
        return f"{v:.0f}%" if abs(v - round(v)) < 0.05 else f"{v:.1f}%"
    if unit == "x":
        return f"{value:.2f}x" if path == "mso.fee.level" else f"{value:.1f}x"
    if unit == "count":
        return f"{value:.0f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


@dataclass
class DriverRow:
    """One input of the tornado: its range and the incremental NPV at each end [USD]."""

    path: str
    label: str
    low_value: float
    high_value: float
    low_text: str
    high_text: str
    low_npv: float
    high_npv: float

    @property
    def swing(self) -> float:
        return abs(self.high_npv - self.low_npv)

    @property
    def crosses_zero(self) -> bool:
        return min(self.low_npv, self.high_npv) < 0 < max(self.low_npv, self.high_npv)


@dataclass
class Drivers:
    """The tornado of the current settings, for the MSO and for software (one engine call).

    ``rows[outcome]`` holds the inputs with an effect on that outcome, widest swing first;
    ``base[outcome]`` the incremental NPV over self-managed of the settings as they are.
    """

    base: dict[str, float]
    rows: dict[str, list[DriverRow]]
    labels: dict[str, str]
    allowed: dict[str, bool]
    declared: bool
    note: str
    skipped: list[str]
    result: Any  # msomodel.analysis.TornadoResult
    timings_ms: dict[str, float] = field(default_factory=dict)

    def ranking(self, outcome: str = "mso") -> list[str]:
        return [r.path for r in self.rows[outcome]]


def drivers(result: Comparison) -> Drivers:
    """``msomodel.analysis.tornado`` of the comparison's scenario, labelled for the page.

    The ranges are the scenario's ``uncertainty.sensitivity`` when it declares them, else
    +-20 % of each input's current value.  Declared ranges that no longer fit the settings (e.g.
    a fee range in dollars after switching to a percentage fee) give way to the +-20 % ranges.
    """
    from msomodel.analysis.sensitivity import tornado
    from msomodel.loader import ScenarioError

    t0 = time.perf_counter()
    scenario = result.scenario
    spec = getattr(scenario, "uncertainty", None)
    declared = getattr(spec, "sensitivity", None) is not None
    note = ""
    try:
        tr = tornado(scenario, inputs=result.inputs)
    except ScenarioError:
        if not declared:
            raise
        tr = tornado(scenario, spec={}, inputs=result.inputs)
        declared = False
        note = ("The scenario's own sensitivity ranges do not fit the current settings; "
                "each input is moved 20% either way instead.")
    fee_type = result.inputs.fee_type
    rows: dict[str, list[DriverRow]] = {}
    for outcome in DRIVER_OUTCOMES:
        table = tr.table.sort_values(f"{outcome}_swing", ascending=False, kind="stable")
        rows[outcome] = [
            DriverRow(r.path, driver_label(r.path), float(r.low_value), float(r.high_value),
                      driver_value(r.low_value, r.path, fee_type),
                      driver_value(r.high_value, r.path, fee_type),
                      float(getattr(r, f"{outcome}_low")), float(getattr(r, f"{outcome}_high")))
            for r in table.itertuples() if getattr(r, f"{outcome}_swing") > 0]
    out = Drivers(dict(tr.base), rows, {o: result.label(o) for o in DRIVER_OUTCOMES},
                  {o: result.feasibility[o].allowed for o in DRIVER_OUTCOMES}, declared, note,
                  [driver_label(p) for p in tr.skipped], tr)
    out.timings_ms["tornado"] = (time.perf_counter() - t0) * 1e3
    return out


def drivers_html(d: Drivers, outcome: str) -> str:
    """The sentence under the tornado: how to read it and what stands out."""
    esc = html.escape
    who = d.labels[outcome]
    how = ("Each bar moves one assumption across the range the scenario declares for it"
           if d.declared else "Each bar moves one assumption 20% below and above its current value")
    base = d.base[outcome]
    standing = (f"{esc(who)} ahead of self-managed by {esc(tables.money(base))}" if base >= 0
                else f"{esc(who)} behind self-managed by {esc(tables.money(-base))}")
    parts = [f"{how}, the others as set. The line marks the current settings: {standing} "
             "of NPV."]
    rows = d.rows[outcome]
    if rows:
        top = rows[0]
        parts.append(f"It depends most on <b>{esc(top.label)}</b>: at {esc(top.low_text)} the "
                     f"advantage is {esc(tables.money(top.low_npv))}, at {esc(top.high_text)} "
                     f"it is {esc(tables.money(top.high_npv))}.")
        flips = [r.label for r in rows if r.crosses_zero]
        if flips:
            ahead = "self-managed" if d.base[outcome] > 0 else esc(who)
            parts.append(f"At one end of its range, {ahead} would come out ahead: "
                         f"{esc(', '.join(flips))}.")
    else:
        parts.append("None of the varied inputs changes it.")
    if not d.allowed[outcome]:
        parts.append(f"{esc(who)} is not permitted for this owner; shown for reference.")
    if d.note:
        parts.append(esc(d.note))
    return f"<div class='mx-drivers-text'>{' '.join(parts)}</div>"
