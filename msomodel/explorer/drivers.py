"""What drives the answer: the tornado of the current settings, labeled for the page.

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
from msomodel.formatting import lower_first

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
    "software.online_booking_uplift": "Extra visits from online booking (software)",
    "structure.friendly_pc.management_fee.level": "Management fee (PC to your MSO)",
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
#: The options a tornado can show (any of them can lead).
DRIVER_OUTCOMES = ("self_managed", "mso", "software_only")
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
    """The tornado of the current settings: the leader's NPV advantage over each other option
    (one engine call, with the runner-up as the tornado's baseline).

    ``leader`` is the highest-NPV lawful option; ``versus`` the options it is compared with,
    the runner-up first.  ``rows[v]`` holds the inputs with an effect on the leader's advantage
    over ``v``, widest swing first; ``base[v]`` that advantage at the settings as they are.
    """

    base: dict[str, float]
    rows: dict[str, list[DriverRow]]
    labels: dict[str, str]
    allowed: dict[str, bool]
    declared: bool
    note: str
    skipped: list[str]
    result: Any  # msomodel.analysis.TornadoResult
    leader: str = "mso"
    versus: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)

    def ranking(self, versus: str | None = None) -> list[str]:
        return [r.path for r in self.rows[versus or self.versus[0]]]


def pair(result: Comparison) -> tuple[str, list[str]]:
    """The leader and the options it is compared with (runner-up first): lawful ones first,
    then, for reference, the others."""
    d = result.decision
    leader = d.leader or "self_managed"
    ranked = sorted((o for o in result.metrics if o != leader),
                    key=lambda o: (not result.feasibility[o].allowed, o != d.runner_up,
                                   -result.metrics[o]["npv"]))
    return leader, ranked


def drivers(result: Comparison) -> Drivers:
    """``msomodel.analysis.tornado`` of the comparison's scenario, labeled for the page: the
    leader against the runner-up (``baseline=``), and, from the same trials, against the third.

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
    leader, versus = pair(result)
    runner = versus[0]
    try:
        tr = tornado(scenario, inputs=result.inputs, outcome=leader, baseline=runner)
    except ScenarioError:
        if not declared:
            raise
        tr = tornado(scenario, spec={}, inputs=result.inputs, outcome=leader, baseline=runner)
        declared = False
        note = ("The scenario's own sensitivity ranges do not fit the current settings; "
                "each input is moved 20% either way instead.")
    fee_type = result.inputs.fee_type
    t = tr.table
    rows: dict[str, list[DriverRow]] = {}
    base: dict[str, float] = {}
    for v in versus:
        if v == runner:
            low, high, b = t[f"{leader}_low"], t[f"{leader}_high"], tr.base[leader]
        else:  # leader over v = (leader over the runner-up) - (v over the runner-up)
            low = t[f"{leader}_low"] - t[f"{v}_low"]
            high = t[f"{leader}_high"] - t[f"{v}_high"]
            b = tr.base[leader] - tr.base[v]
        base[v] = float(b)
        swing = (high - low).abs()
        order = swing.sort_values(ascending=False, kind="stable").index
        rows[v] = [
            DriverRow(t.at[i, "path"], driver_label(t.at[i, "path"]), float(t.at[i, "low_value"]),
                      float(t.at[i, "high_value"]),
                      driver_value(t.at[i, "low_value"], t.at[i, "path"], fee_type),
                      driver_value(t.at[i, "high_value"], t.at[i, "path"], fee_type),
                      float(low[i]), float(high[i]))
            for i in order if swing[i] > 0]
    out = Drivers(base, rows, {o: result.label(o) for o in result.metrics},
                  {o: result.feasibility[o].allowed for o in result.metrics}, declared, note,
                  [driver_label(p) for p in tr.skipped], tr, leader, tuple(versus))
    out.timings_ms["tornado"] = (time.perf_counter() - t0) * 1e3
    return out


def drivers_html(d: Drivers, versus: str | None = None) -> str:
    """The sentence under the tornado: how to read it and what stands out."""
    esc = html.escape
    versus = versus or d.versus[0]
    who, other = d.labels[d.leader], lower_first(d.labels[versus])
    how = ("Each bar moves one assumption across the range the scenario declares for it"
           if d.declared else "Each bar moves one assumption 20% below and above its current value")
    base = d.base[versus]
    standing = (f"{esc(who)} ahead of {esc(other)} by {esc(tables.money(base))}" if base >= 0
                else f"{esc(who)} behind {esc(other)} by {esc(tables.money(-base))}")
    parts = [f"{how}, the others as set. The line marks the current settings: {standing} "
             "of NPV."]
    rows = d.rows[versus]
    if rows:
        top = rows[0]
        parts.append(f"It depends most on <b>{esc(top.label)}</b>: at {esc(top.low_text)} the "
                     f"advantage is {esc(tables.money(top.low_npv))}, at {esc(top.high_text)} "
                     f"it is {esc(tables.money(top.high_npv))}.")
        flips = [r.label for r in rows if r.crosses_zero]
        if flips:
            ahead = esc(other) if base > 0 else esc(who)
            parts.append(f"At one end of its range, {ahead} would come out ahead: "
                         f"{esc(', '.join(flips))}.")
    else:
        parts.append("None of the varied inputs changes it.")
    if not d.allowed[versus]:
        parts.append(f"{esc(d.labels[versus])} is not permitted for this owner; shown for "
                     "reference.")
    if d.note:
        parts.append(esc(d.note))
    return f"<div class='mx-drivers-text'>{' '.join(parts)}</div>"
