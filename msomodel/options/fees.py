"""Fee structures, per site and month (T, S, M) [USD/month]: a third-party MSO's fee and the
friendly PC's management fee to the owner's MSO use the same shapes.

- flat: ``per_site_monthly`` for each open site;
- percentage: ``percent`` x the site's collections (= revenue; med spas are paid up front);
- cost_plus: (the MSO's cost base + ``overhead_per_site_monthly``) x (1 + ``markup``); the cost base
  is what the MSO takes over (third-party) or bears (the owner's MSO serving a friendly PC):
  administrative payroll and running costs (and, for the owner's MSO, software or a third-party
  MSO's fee);
- tiered: marginal percentages on bands of the site's monthly collections (like tax brackets);
- hybrid: ``base_per_site_monthly`` + ``percent`` x collections.
Fixed amounts (flat fee, base, overhead, floor, cap) grow by ``escalator_annual`` each project
year.  The floor and cap bound each open site's monthly fee.  The agreement renews every
``term_months`` from month 1; at each renewal the whole fee changes by ``renewal_change``
(month m pays ``(1 + renewal_change) ** ((m - 1) // term_months)`` times the fee).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from msomodel import timeline as tl

#: An array, or a function computing it when needed.
Lazy = np.ndarray | Callable[[], np.ndarray]


def _value(a: Lazy | None) -> np.ndarray:
    return a() if callable(a) else a


def mso_fee(x: dict, fee_type: str, revenue: np.ndarray, cost_base: Lazy,
            is_open: np.ndarray, horizon: int, prefix: str = "fee",
            profit_before: Lazy | None = None) -> np.ndarray:
    """The fee of each site and month (T, S, M); ``prefix`` names the fee's arrays: ``fee``
    for the third-party MSO's fee, ``mf`` for the friendly PC's management fee.  ``sweep``
    (management fee only) takes ``profit_before`` (the PC's EBITDA before the fee) less the
    target margin x revenue, month by month; the floor and cap still bound it.
    ``cost_base`` and ``profit_before`` may be given as functions that compute them, called
    only by the fee types that use them.  A flat fee depends on the fee's inputs and the
    openings alone: it is computed once for all trials when none of them varies."""
    if fee_type == "flat":
        names = [f"{prefix}_{k}" for k in _FLAT_INPUTS]

        def flat(on: np.ndarray, *values: np.ndarray) -> np.ndarray:
            return _fee(dict(zip(names, values, strict=True)), "flat", revenue, cost_base, on,
                        horizon, prefix, profit_before)

        return tl.once_for_all_trials(flat, is_open, *(x[n] for n in names))
    return _fee(x, fee_type, revenue, cost_base, is_open, horizon, prefix, profit_before)


#: What a flat fee reads (with the prefix): the amount, escalator, floor, cap and renewals.
_FLAT_INPUTS = ("flat", "esc", "floor", "cap", "term", "renewal")


def _fee(x: dict, fee_type: str, revenue: np.ndarray, cost_base: Lazy, is_open: np.ndarray,
         horizon: int, prefix: str, profit_before: Lazy | None) -> np.ndarray:
    esc = tl.once_for_all_trials(lambda rate: tl.escalate(rate, horizon),
                                 x[f"{prefix}_esc"])[:, None, :]  # (T, 1, M)

    def per_t(name: str) -> np.ndarray:
        return x[f"{prefix}_{name}"][:, None, None]

    if fee_type == "flat":
        fee = per_t("flat") * esc * is_open
    elif fee_type == "percentage":
        fee = per_t("pct") * revenue
    elif fee_type == "cost_plus":
        fee = (_value(cost_base) + per_t("overhead") * esc * is_open) * (1.0 + per_t("markup"))
    elif fee_type == "tiered":
        hi = x[f"{prefix}_tier_edges"][:, None, None, :]           # (T, 1, 1, B)
        lo = np.concatenate([np.zeros_like(hi[..., :1]), hi[..., :-1]], axis=-1)
        band = np.clip(revenue[..., None] - lo, 0.0, hi - lo)
        rates = (x[f"{prefix}_tier_rates"] * x[f"{prefix}_tier_scale"][:, None])[:, None, None, :]
        fee = (band * rates).sum(axis=-1)
    elif fee_type == "sweep":
        fee = _value(profit_before) - per_t("target") * revenue
    elif fee_type == "hybrid":
        fee = per_t("base") * esc * is_open + per_t("pct") * revenue
    else:  # pragma: no cover - the schema admits only the types above
        raise ValueError(f"unknown fee type {fee_type!r}")
    floor = per_t("floor") * esc if fee_type != "sweep" or x[f"{prefix}_floor"].any() else -np.inf
    bounded = np.maximum(fee, floor)  # the floor, then the cap (np.clip's order), in place
    np.minimum(bounded, per_t("cap") * esc, out=bounded)
    bounded *= is_open
    bounded *= tl.once_for_all_trials(lambda term, change: _renewals(term, change, horizon),
                                      x[f"{prefix}_term"], x[f"{prefix}_renewal"])
    return bounded


def _renewals(term: np.ndarray, change: np.ndarray, horizon: int) -> np.ndarray:
    """The renewal factor ``(1 + change) ** renewals`` of each month (T, 1, M)."""
    renewals = np.maximum(tl.months(horizon) - 1.0, 0.0) // term[:, None, None]
    return (1.0 + change[:, None, None]) ** renewals


def purchasing_discount(x: dict, is_open: np.ndarray) -> np.ndarray:
    """Discount on discountable product cost (T, M), growing with the number of open sites."""
    n_open = tl.site_sum(is_open)
    grown = x["disc"][:, None] + x["disc_per_site"][:, None] * np.maximum(n_open - 1.0, 0.0)
    return np.minimum(grown, np.maximum(x["disc_max"], x["disc"])[:, None])
