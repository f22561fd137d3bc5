"""A site's operation as pure array functions: volume, revenue, product cost, payroll, running costs.

``x`` is a dict of input arrays with a leading trials axis (see :meth:`ModelInputs.batch`).
Shapes: (T, S) per site, (T, S, L) per service line, (T, S, R) per role, (T, S, K) per running
cost; the months axis M is appended last.  Each operating option passes *levers* (volume
uplifts, purchasing discount, which card-processing rate applies) and then asks for payroll and
running costs *weighted* by role or cost item (who pays what share): escalators change only
once a year, so those are computed per project year and summed over roles/items before being
spread over months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from msomodel import timeline as tl


@dataclass
class Operation:
    """Gross monthly amounts of every site under one option's levers [USD/month]."""

    horizon: int
    open: np.ndarray            # (T, S, M) 1.0 while the site operates
    volume: np.ndarray          # (T, S, L, M) units sold
    revenue_lines: np.ndarray   # (T, S, L, M)
    revenue: np.ndarray         # (T, S, M)
    product_cost: np.ndarray    # (T, S, M) after any purchasing discount
    pay_year: np.ndarray        # (T, S, R, Y) loaded hourly + salaried pay per month, by year
    commission_rate: np.ndarray  # (T, S, R, L) loaded commission on each line's revenue
    opex_year: np.ndarray       # (T, S, K, Y) fixed running cost per month, by year
    opex_pct: np.ndarray        # (T, S, K) share of revenue

    def payroll(self, weights: np.ndarray) -> np.ndarray:
        """Payroll (T, S, M) with each role counted at ``weights`` (T, S, R) (1 = fully paid)."""
        fixed = tl.to_months(np.einsum("tsr,tsry->tsy", weights, self.pay_year), self.horizon)
        rate = np.einsum("tsr,tsrl->tsl", weights, self.commission_rate)
        return fixed * self.open + np.einsum("tsl,tslm->tsm", rate, self.revenue_lines)

    def opex(self, weights: np.ndarray) -> np.ndarray:
        """Running costs (T, S, M) with each item counted at ``weights`` (broadcast to (T, S, K))."""
        w = np.broadcast_to(weights, self.opex_pct.shape)
        fixed = tl.to_months(np.einsum("tsk,tsky->tsy", w, self.opex_year), self.horizon)
        return fixed * self.open + (w * self.opex_pct).sum(axis=-1)[..., None] * self.revenue


@dataclass
class Shared:
    """What every option's operation has in common, computed once per engine run."""

    open: np.ndarray           # (T, S, M)
    volume_shape: np.ndarray   # (T, S, L, M) ramp x volume growth (multiplied by steady volume)
    price: np.ndarray          # (T, S, L, M) price per unit
    unit_cost: np.ndarray      # (T, S, L, M) product cost per unit before discounts
    pay_year: np.ndarray       # (T, S, R, Y)
    commission_rate: np.ndarray  # (T, S, R, L)
    opex_year: np.ndarray      # (T, S, K, Y)
    opex_pct: np.ndarray       # (T, S, K)


def prepare(x: dict, horizon: int) -> Shared:
    """The option-independent arrays of :func:`operate`."""
    ramp = tl.ramp(x["open_month"], x["ramp_months"], x["ramp_start"], horizon)
    shape = tl.escalate(x["volume_growth"], horizon) * ramp[:, :, None, :]
    price_year = prices_per_year(x, horizon)
    pay_year, commission = pay(x, horizon)
    opex_year, opex_pct = running_costs(x, horizon)
    return Shared(tl.operating(x["open_month"], horizon), shape,
                  tl.to_months(price_year, horizon),
                  tl.to_months(unit_costs_per_year(x, price_year, horizon), horizon),
                  pay_year, commission, opex_year, opex_pct)


def volumes(x: dict, shared: Shared, treatment_uplift: np.ndarray,
            all_uplift: np.ndarray) -> np.ndarray:
    """Units sold per line and month (T, S, L, M), with the provider-capacity cap.

    ``treatment_uplift`` (T, S) adds to treatment volume, ``all_uplift`` (T,) multiplies all.
    """
    uplift = (1.0 + x["is_treatment"] * treatment_uplift[:, :, None]) * all_uplift[:, None, None]
    steady = x["volume"] * x["vol_mult"][:, None, None] * uplift
    vol = steady[..., None] * shared.volume_shape
    demand = np.einsum("tslm,tsl->tsm", vol, x["hours_per_unit"])
    capacity = x["providers"] * x["provider_hours"] * x["utilisation"]
    capacity = np.where(x["has_capacity"] > 0, capacity, np.inf)[..., None]
    if np.any(demand > capacity):
        scale = np.where(demand > capacity, capacity / np.where(demand > 0, demand, 1.0), 1.0)
        vol = np.where(x["hours_per_unit"][..., None] > 0, vol * scale[:, :, None, :], vol)
    return vol


def prices_per_year(x: dict, horizon: int) -> np.ndarray:
    """Price per unit by line and project year, shape (T, S, L, Y)."""
    base = x["price"] * x["price_mult"][:, None, None]
    return base[..., None] * tl.yearly(x["price_growth"], horizon)


def unit_costs_per_year(x: dict, price_year: np.ndarray, horizon: int) -> np.ndarray:
    """Product cost per unit before discounts by line and project year, shape (T, S, L, Y)."""
    return x["cost_frac"][..., None] * price_year + x["cost_unit"][..., None] * tl.yearly(
        x["cost_growth"], horizon)


def pay(x: dict, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Loaded fixed pay per role and year (T, S, R, Y): (hourly x hours + salary / 12) x FTE,
    raised yearly; and the loaded commission rate per role and line (T, S, R, L)."""
    load = 1.0 + x["load"]
    base = (x["hourly"] * x["hours"] + x["salary"] / 12.0) * x["fte"] * x["wage_mult"][:, None, None]
    pay_year = (base * load)[..., None] * tl.yearly(x["raise"], horizon)
    commission = (x["comm_rate"] * x["prod_share"] * load)[..., None] * x["comm_mask"]
    return pay_year, commission


def running_costs(x: dict, horizon: int):
    """Fixed part per item and year (T, S, K, Y), escalated; and the share of revenue (T, S, K)."""
    fixed = (x["opex_monthly"] * x["opex_mult"][:, None, None])[..., None] * tl.yearly(
        x["opex_esc"], horizon)
    return fixed, x["opex_pct"]


def with_card_rate(x: dict, pct: np.ndarray, card_rate: np.ndarray) -> np.ndarray:
    """``card_rate`` (T,) replaces the share of the ``card_processing`` item where >= 0."""
    use = (x["is_card_processing"][:, None, :] > 0) & (card_rate[:, None, None] >= 0)
    return np.where(use, card_rate[:, None, None], pct)


def operate(x: dict, horizon: int, *, shared: Shared | None = None,
            treatment_uplift: np.ndarray | None = None, all_uplift: np.ndarray | None = None,
            discount: np.ndarray | None = None, card_rate: np.ndarray | None = None) -> Operation:
    """All gross amounts for one option's levers (defaults: self-managed, no levers).
    ``shared`` is :func:`prepare`'s result, computed here when not given."""
    T, S = x["open_month"].shape
    shared = shared if shared is not None else prepare(x, horizon)
    vol = volumes(x, shared, np.zeros((T, S)) if treatment_uplift is None else treatment_uplift,
                  np.ones(T) if all_uplift is None else all_uplift)
    revenue_lines = vol * shared.price
    cost_lines = vol * shared.unit_cost
    product_cost = cost_lines.sum(axis=2)
    if discount is not None:  # (T, M): applies to discountable lines only
        discountable = np.einsum("tslm,tsl->tsm", cost_lines, x["discountable"])
        product_cost = product_cost - discount[:, None, :] * discountable
    pct = shared.opex_pct if card_rate is None else with_card_rate(x, shared.opex_pct, card_rate)
    return Operation(horizon, shared.open, vol, revenue_lines, revenue_lines.sum(axis=2),
                     product_cost, shared.pay_year, shared.commission_rate, shared.opex_year, pct)
