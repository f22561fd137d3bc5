"""A site's operation as pure array functions: volume, revenue, product cost, payroll, running costs.

``x`` is a dict of input arrays with a leading trials axis (see :meth:`ModelInputs.batch`).
Shapes: (T, S) per site, (T, S, L) per service line, (T, S, R) per role, (T, S, K) per running
cost; the months axis M is appended last.  Each operating option passes *levers* (volume
uplifts, purchasing discount, which card-processing rate applies); the functions return
gross amounts and the options decide who pays them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from msomodel import timeline as tl


@dataclass
class Operation:
    """Gross monthly amounts of every site under one option's levers [USD/month]."""

    open: np.ndarray            # (T, S, M) 1.0 while the site operates
    volume: np.ndarray          # (T, S, L, M) units sold
    revenue_lines: np.ndarray   # (T, S, L, M)
    revenue: np.ndarray         # (T, S, M)
    product_cost: np.ndarray    # (T, S, M) after any purchasing discount
    payroll: np.ndarray         # (T, S, R, M) pay + commission, loaded with benefits/taxes
    opex: np.ndarray            # (T, S, K, M) running costs before any option's reductions


def volumes(x: dict, horizon: int, treatment_uplift: np.ndarray,
            all_uplift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units sold per line and month, with the provider-capacity cap; also the open mask.

    ``treatment_uplift`` (T, S) adds to treatment volume, ``all_uplift`` (T,) multiplies all.
    """
    ramp = tl.ramp(x["open_month"], x["ramp_months"], x["ramp_start"], horizon)
    growth = tl.escalate(x["volume_growth"], horizon)
    uplift = (1.0 + x["is_treatment"] * treatment_uplift[:, :, None]) * all_uplift[:, None, None]
    vol = (x["volume"] * x["vol_mult"][:, None, None] * uplift)[..., None] * growth * ramp[:, :, None, :]
    demand = np.einsum("tslm,tsl->tsm", vol, x["hours_per_unit"])
    capacity = x["providers"] * x["provider_hours"] * x["utilisation"]
    capacity = np.where(x["has_capacity"] > 0, capacity, np.inf)[..., None]
    scale = np.where(demand > capacity, capacity / np.where(demand > 0, demand, 1.0), 1.0)
    capped = np.where(x["hours_per_unit"][..., None] > 0, vol * scale[:, :, None, :], vol)
    return capped, tl.operating(x["open_month"], horizon)


def prices(x: dict, horizon: int) -> np.ndarray:
    """Price per unit by line and month, shape (T, S, L, M)."""
    return (x["price"] * x["price_mult"][:, None, None])[..., None] * tl.escalate(x["price_growth"], horizon)


def unit_costs(x: dict, price: np.ndarray, horizon: int) -> np.ndarray:
    """Product cost per unit before discounts, shape (T, S, L, M)."""
    return x["cost_frac"][..., None] * price + x["cost_unit"][..., None] * tl.escalate(
        x["cost_growth"], horizon)


def payroll(x: dict, revenue_lines: np.ndarray, is_open: np.ndarray, horizon: int) -> np.ndarray:
    """Loaded pay per role: (hourly x hours + salary / 12) x FTE, raised yearly, plus commission."""
    base = (x["hourly"] * x["hours"] + x["salary"] / 12.0) * x["fte"] * x["wage_mult"][:, None, None]
    pay = base[..., None] * tl.escalate(x["raise"], horizon) * is_open[:, :, None, :]
    production = np.einsum("tsrl,tslm->tsrm", x["comm_mask"], revenue_lines)
    commission = (x["comm_rate"] * x["prod_share"])[..., None] * production
    return (pay + commission) * (1.0 + x["load"][..., None])


def running_costs(x: dict, revenue: np.ndarray, is_open: np.ndarray, horizon: int,
                  card_rate: np.ndarray | None = None) -> np.ndarray:
    """Fixed part (escalated) plus share of revenue, per item; ``card_rate`` replaces the
    share of the ``card_processing`` item when given (shape (T,))."""
    fixed = (x["opex_monthly"] * x["opex_mult"][:, None, None])[..., None] * tl.escalate(
        x["opex_esc"], horizon)
    pct = x["opex_pct"]
    if card_rate is not None:
        use = (x["is_card_processing"][:, None, :] > 0) & (card_rate[:, None, None] >= 0)
        pct = np.where(use, card_rate[:, None, None], pct)
    return fixed * is_open[:, :, None, :] + pct[..., None] * revenue[:, :, None, :]


def operate(x: dict, horizon: int, *, treatment_uplift: np.ndarray | None = None,
            all_uplift: np.ndarray | None = None, discount: np.ndarray | None = None,
            card_rate: np.ndarray | None = None) -> Operation:
    """All gross amounts for one option's levers (defaults: self-managed, no levers)."""
    T, S = x["open_month"].shape
    zero, one = np.zeros((T, S)), np.ones(T)
    vol, is_open = volumes(x, horizon, zero if treatment_uplift is None else treatment_uplift,
                           one if all_uplift is None else all_uplift)
    price = prices(x, horizon)
    revenue_lines = vol * price
    revenue = revenue_lines.sum(axis=2)
    cost = vol * unit_costs(x, price, horizon)
    if discount is not None:  # (T, M): applies to discountable lines only
        cost = cost * (1.0 - x["discountable"][..., None] * discount[:, None, None, :])
    return Operation(
        open=is_open, volume=vol, revenue_lines=revenue_lines, revenue=revenue,
        product_cost=cost.sum(axis=2),
        payroll=payroll(x, revenue_lines, is_open, horizon),
        opex=running_costs(x, revenue, is_open, horizon, card_rate),
    )
