"""Metrics of projections: per option, incremental against self-managed, break-even fees.

Conventions are those of :mod:`msomodel.finance` (index 0 = start, index m = end of month m;
monthly rate ``(1 + r_annual) ** (1/12) - 1``; IRR reported annualized).  All functions are
vectorized over the trials axis: they return arrays of shape (T,).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from msomodel import engine, finance
from msomodel.inputs import FEE_LEVEL, ModelInputs, fee_level
from msomodel.options import Projection


def option_metrics(proj: Projection, rate_annual: np.ndarray) -> dict[str, np.ndarray]:
    """Per option, each (T,):

    - ``npv`` of the owner's (equity) net cash flow; ``pv_exit`` the present value of its exit
      line and ``npv_without_exit`` the rest;
    - ``irr_annual`` the *equity* IRR (levered: after the loan's draw and debt service, exit
      net of the loan balance) and ``project_irr_annual`` the *project* IRR (unlevered: as if
      all capital were the owner's, tax without the interest deduction, gross exit);
    - ``payback_month``, ``peak_funding``, ``moic`` (the equity multiple: inflows / outflows of
      the equity cash flow), ``exit_value`` (net of the loan), totals and ``pv_fees``.
    """
    cf = proj.net_cash_flow
    rate = finance.monthly_rate(rate_annual)
    revenue = proj.site["revenue"].sum(axis=(1, 2))
    ebitda = proj.company["ebitda"].sum(axis=-1)
    fees = (proj.site["mso_fee"] + proj.site["software_fee"]).sum(axis=1)
    npv = finance.npv(rate, cf)
    pv_exit = finance.npv(rate, proj.company["exit_value"])
    return {
        "npv": npv,
        "pv_exit": pv_exit,
        "npv_without_exit": npv - pv_exit,
        "irr_annual": finance.irr_annual(cf),
        "project_irr_annual": finance.irr_annual(proj.company["unlevered_cash_flow"]),
        "payback_month": finance.payback_month(cf),
        "peak_funding": finance.peak_funding(cf),
        "moic": finance.moic(cf),
        "exit_value": proj.company["exit_value"][:, -1],
        "total_revenue": revenue,
        "total_ebitda": ebitda,
        "ebitda_margin": np.divide(ebitda, revenue, out=np.full_like(ebitda, np.nan),
                                   where=revenue != 0),
        "pv_fees": finance.npv(rate, fees),
    }


def incremental_metrics(option: Projection, base: Projection,
                        rate_annual: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics of the difference in net cash flow (option - base), each (T,).

    Rules that keep the figures from misleading (README, "Incremental figures"):

    - ``payback_month``: the month after which the cumulative difference stays >= 0
      (:func:`msomodel.finance.sustained_payback_month`), and only where ``npv`` > 0 (NaN
      otherwise: a switch that destroys value has no payback);
    - ``irr_annual``: only where the difference changes sign exactly once (``sign_changes``);
      NaN otherwise (no unique rate: "not meaningful");
    - ``fee_roi``: incremental NPV per dollar of present value of fees (NaN without fees).
    """
    diff = option.net_cash_flow - base.net_cash_flow
    rate = finance.monthly_rate(rate_annual)
    fees = (option.site["mso_fee"] + option.site["software_fee"]).sum(axis=1)
    pv_fees = finance.npv(rate, fees)
    d_npv = finance.npv(rate, diff)
    changes = finance.sign_changes(diff)
    irr = np.where(changes == 1, finance.irr_annual(diff), np.nan)
    return {
        "npv": d_npv,
        "irr_annual": irr,
        "sign_changes": changes,
        "payback_month": np.where(d_npv > 0, finance.sustained_payback_month(diff), np.nan),
        "fee_roi": np.divide(d_npv, pv_fees, out=np.full_like(d_npv, np.nan), where=pv_fees > 0),
    }


@dataclass(frozen=True)
class Breakeven:
    """A fee level solved for; ``level`` is None when no level in [0, upper] solves it."""

    target: str          # "mso_vs_self_managed" or "pc_breaks_even"
    level: float | None
    current: float
    unit: str
    field: str | None    # scenario path of the level (None for a tier-rate multiplier)
    note: str

    def to_dict(self) -> dict:
        return {"target": self.target, "level": self.level, "current": self.current,
                "unit": self.unit, "field": self.field, "note": self.note}


def _upper(inputs: ModelInputs, name: str, site_revenue_max: float | None = None) -> float:
    """Top of the searched fee range: twice the largest monthly site revenue for a flat fee."""
    if name.endswith("_flat"):
        if site_revenue_max is None:
            run = engine.run(inputs, options=("self_managed",))["self_managed"]
            site_revenue_max = float(run.site["revenue"].max())
        return max(site_revenue_max, 1.0) * 2.0
    if name.endswith("_markup"):
        return 10.0
    if name.endswith("_tier_scale"):
        top = float(inputs.arrays[name.replace("_scale", "_rates")].max())
        return 1.0 / top if top > 0 else 1.0
    return 1.0


def solve_level(inputs: ModelInputs, objective, name: str, *, points: int = 17,
                rounds: int = 6, upper: float | None = None,
                option: str = "mso") -> float | None:
    """Root of a decreasing ``objective(projection) -> (T,)`` in fee level ``name``.

    Each round evaluates ``points`` levels as one batched engine call (trials axis), keeps the
    bracket where the sign changes, and the last bracket is closed by linear interpolation
    (exact where the objective is linear in the fee, i.e. no floor or cap binds inside it).
    """
    top = upper if upper is not None else _upper(inputs, name)
    lo, hi = 0.0, top
    for _ in range(rounds):
        levels = np.linspace(lo, hi, points)
        values = objective(engine.run(inputs, points, arrays={name: levels}, options=(option,))[option])
        if values[0] < 0 or values[-1] > 0:
            if lo == 0.0 and hi == top:
                return None
            break
        k = int(np.argmax(values <= 0))  # first level at or past the root
        if values[k] == 0:
            return float(levels[k])
        lo, hi, f_lo, f_hi = levels[k - 1], levels[k], values[k - 1], values[k]
        if _linear_near(levels, values, k):
            break  # no floor, cap or tax kink around the root: interpolation is exact
    return float(lo + (hi - lo) * f_lo / (f_lo - f_hi))


def _linear_near(levels: np.ndarray, values: np.ndarray, k: int) -> bool:
    """Whether the four points around the bracket lie on one straight line (then a kink
    cannot sit between them, so the bracket's linear interpolation is exact)."""
    x, y = levels[max(k - 2, 0):k + 2], values[max(k - 2, 0):k + 2]
    if x.size < 4:
        return False
    fit = y[0] + (y[-1] - y[0]) / (x[-1] - x[0]) * (x - x[0])
    return bool(np.all(np.abs(y - fit) <= 1e-9 * max(float(np.abs(y).max()), 1.0)))


def _pc_ebitda_total(p: Projection) -> np.ndarray:
    return p.entities["pc"]["ebitda"].sum(axis=-1)


def _npv_gap(inputs: ModelInputs, base_npv: float):
    rate = finance.monthly_rate(inputs.arrays["discount_rate"])
    return lambda p: finance.npv(rate, p.net_cash_flow) - base_npv


@dataclass(frozen=True)
class FeeSweep:
    """The break-even objective over a range of fee levels, ready to plot."""

    levels: np.ndarray      # fee levels in the fee structure's units
    values: np.ndarray      # MSO NPV minus self-managed NPV, or the PC's EBITDA total [USD]
    scale: float            # display factor for levels (100 for shares and markups)
    xlabel: str
    ylabel: str
    title: str


def _level(inputs: ModelInputs, target: str) -> tuple[str, str | None, str, str]:
    """(array, scenario path, unit, option) of the fee a break-even target solves for."""
    if target == "pc_breaks_even":
        name, path, unit = fee_level(inputs.mgmt_fee_type, "mf", "structure.friendly_pc.management_fee")
        return name, path, unit, "self_managed"
    name, path, unit = FEE_LEVEL[inputs.fee_type]
    return name, path, unit, "mso"


def fee_sweep(inputs: ModelInputs, be: Breakeven, base_npv: float, points: int = 41) -> FeeSweep:
    """Evaluate the objective of :func:`breakeven` (or :func:`pc_breakeven`) at ``points`` fee
    levels from zero to 1.6x the larger of the scenario's fee and the break-even fee (one
    batched engine call)."""
    name, _, _, option = _level(inputs, be.target)
    top = max(be.current, be.level or 0.0) * 1.6 or 1.0
    levels = np.linspace(0.0, top, points)
    proj = engine.run(inputs, points, arrays={name: levels}, options=(option,))[option]
    if be.target == "pc_breaks_even":
        values = _pc_ebitda_total(proj)
        ylabel, title = "PC EBITDA over the horizon", "Management fee that lets the PC break even"
        what = "Management fee"
    else:
        values = _npv_gap(inputs, base_npv)(proj)
        ylabel, title = "MSO NPV minus self-managed NPV", "Break-even MSO fee"
        what = "MSO fee"
    if be.unit.startswith("USD"):
        scale, xlabel = 1.0, f"{what} [USD per site per month]"
    elif be.unit.startswith("multiple"):
        scale, xlabel = 1.0, "Fee as a multiple of the scenario's tier rates [x]"
    elif be.unit.startswith("markup"):
        scale, xlabel = 100.0, f"{what}: markup on the MSO's cost base [%]"
    else:
        scale, xlabel = 100.0, f"{what} [{be.unit}, %]"
    return FeeSweep(levels, np.asarray(values, dtype=float), scale, xlabel, ylabel, title)


def breakeven(inputs: ModelInputs, base_npv: float,
              site_revenue_max: float | None = None) -> Breakeven:
    """The third-party MSO's fee level at which its NPV equals self-managed's (under the same
    structure).  ``site_revenue_max`` (largest monthly site revenue) saves a projection."""
    name, field, unit, _ = _level(inputs, "mso_vs_self_managed")
    top = _upper(inputs, name, site_revenue_max)
    current = float(inputs.arrays[name])
    gap = _npv_gap(inputs, base_npv)
    level = solve_level(inputs, gap, name, upper=top)
    if level is None:
        at_zero = gap(engine.run(inputs, 1, arrays={name: 0.0}, options=("mso",))["mso"])[0]
        if at_zero < 0:
            note = "Even at a zero fee the MSO's NPV is below self-managed's: no fee breaks even."
        else:
            note = ("The MSO's NPV stays above self-managed's at every fee level searched "
                    f"(up to {top:g}; a cap may bind): no break-even.")
    else:
        note = "Above this fee level self-managed has the higher NPV; below it the MSO does."
    return Breakeven("mso_vs_self_managed", level, current, unit, field, note)


def pc_breakeven(inputs: ModelInputs, site_revenue_max: float | None = None) -> Breakeven | None:
    """Friendly-PC structure only: the management fee level at which the PC's EBITDA over the
    horizon is zero, under in-house management (None under direct ownership)."""
    if inputs.structure != "friendly_pc":
        return None
    name, field, unit, option = _level(inputs, "pc_breaks_even")
    if inputs.mgmt_fee_type == "sweep":  # the PC keeps target x revenue: zero at a zero target
        level = 0.0 if not np.any(inputs.arrays["mf_floor"]) and np.isinf(
            inputs.arrays["mf_cap"]).all() else None
    else:
        level = solve_level(inputs, _pc_ebitda_total, name, option=option,
                            upper=_upper(inputs, name, site_revenue_max))
    note = ("Management fee at which the friendly PC's EBITDA over the horizon is zero (in-house "
            "management). The fee moves profit between the PC (its physician owner's) and your "
            "MSO (yours): a higher fee raises your value, within fair market value.")
    return Breakeven("pc_breaks_even", level, float(inputs.arrays[name]), unit, field, note)
