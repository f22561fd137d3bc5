"""Vectorized cash-flow mathematics for monthly projections (NPV, IRR, payback, loans).

Conventions
-----------
- Cash-flow arrays have months on the LAST axis; any leading axes (trials, sites) are
  batch axes and every function is vectorized over them (no Python loop over months or
  over batch rows; only solver iterations are looped).
- Index 0 is the start (time 0: set-up costs, onboarding fees); index m is the end of
  month m.
- Monthly rate from an annual effective rate: ``(1 + r_annual) ** (1/12) - 1``; back:
  ``(1 + r_monthly) ** 12 - 1``.
- NPV = sum_m cf[m] / (1 + r_monthly) ** m (index 0 undiscounted, like numpy-financial's
  ``npv``, unlike Excel's ``NPV``).
- IRR is solved as a monthly rate; ``irr_annual`` reports ``(1 + irr_monthly) ** 12 - 1``.
- Payback month: the first index m at which the cumulative cash flow is >= 0 after having
  been negative, or 0 if the cumulative cash flow is never negative; NaN ("never") when it
  never gets back to >= 0.  Later dips below zero do not move it (see ``peak_funding``).
- Loans quote a nominal APR compounded monthly: the loan's monthly rate is
  ``rate_annual_nominal / 12``, which differs from the discounting convention above.

Amounts are in the model's currency; rates are fractions (0.05 = 5 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import numpy_financial as npf

__all__ = ["LoanSchedule", "annual_rate", "compounding", "cumulative", "discount_factors", "irr",
           "irr_annual", "loan_schedule", "moic", "monthly_rate", "npv", "payback_month",
           "peak_funding"]

FloatArray = npt.NDArray[np.float64]
#: Batch results: an array of shape ``values.shape[:-1]``, or a numpy float for 1-D input.
FloatResult = FloatArray | np.float64

_GRID_SCALE = 0.01  # log(1 + r) grid: about linear below 1 %, logarithmic above
_GRID_NEG, _GRID_POS = 96, 160  # grid points on each side of r = 0


def _values(values: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        raise ValueError("cash flows need at least one axis (months on the last axis)")
    return arr


def _result(arr: FloatArray) -> FloatResult:
    return arr[()]


def monthly_rate(rate_annual: npt.ArrayLike) -> FloatResult:
    """Monthly rate equivalent to an annual effective rate.

    ``rate_annual``: annual effective rate (fraction per year), any shape.  Returns the
    monthly rate (fraction per month), ``(1 + rate_annual) ** (1/12) - 1``.
    """
    return _result(np.expm1(np.log1p(np.asarray(rate_annual, dtype=np.float64)) / 12.0))


def annual_rate(rate_monthly: npt.ArrayLike) -> FloatResult:
    """Annual effective rate (fraction per year) from a monthly rate: ``(1 + r) ** 12 - 1``.

    ``rate_monthly``: fraction per month, any shape; NaN propagates.
    """
    return _result(np.expm1(12.0 * np.log1p(np.asarray(rate_monthly, dtype=np.float64))))


def discount_factors(rate_monthly: npt.ArrayLike, n_periods: int) -> FloatArray:
    """Discount factors ``1 / (1 + r) ** m`` for m = 0 .. n_periods - 1.

    Parameters
    ----------
    rate_monthly : array_like
        Monthly discount rate (fraction per month), any shape.
    n_periods : int
        Number of month indices (index 0 = start).

    Returns
    -------
    Array of shape ``rate_monthly.shape + (n_periods,)`` (dimensionless).
    """
    r = np.asarray(rate_monthly, dtype=np.float64)[..., None]
    return 1.0 / (1.0 + r) ** np.arange(n_periods)


def compounding(rate_monthly: npt.ArrayLike, n_periods: int) -> FloatArray:
    """``(1 + r) ** m`` for m = 0 .. n_periods - 1, shape ``rate.shape + (n_periods,)``: what
    :func:`npv` divides each month's cash flow by (give it as ``compounded`` to reuse it)."""
    r = np.asarray(rate_monthly, dtype=np.float64)[..., None]
    return (1.0 + r) ** np.arange(n_periods)


def npv(rate_monthly: npt.ArrayLike, values: npt.ArrayLike, *,
        compounded: FloatArray | None = None) -> FloatResult:
    """Net present value at time 0 (index 0 undiscounted), as ``numpy_financial.npv``.

    Parameters
    ----------
    rate_monthly : array_like
        Monthly discount rate (fraction per month): a scalar or an array broadcastable
        to ``values.shape[:-1]``.
    values : array_like, shape (..., M)
        Cash flows (currency) at indices 0 .. M - 1.
    compounded : array, optional
        :func:`compounding` of ``rate_monthly`` over M months, when already at hand (the
        same numbers; ``rate_monthly`` is then not read).

    Returns
    -------
    NPV in currency, shape ``broadcast(rate.shape, values.shape[:-1])``.
    """
    cf = _values(values)
    if compounded is None:
        compounded = compounding(rate_monthly, cf.shape[-1])
    return _result((cf / compounded).sum(axis=-1))


@lru_cache(maxsize=32)
def _grid(n_months: int) -> tuple[FloatArray, FloatArray, int]:
    """Grid of g = log(1 + r) and the scaled NPV weights for series of ``n_months`` values.

    Weights are ``x**m / max(1, x)**(n_months - 1)`` with x = exp(-g), so grid NPVs never
    overflow and have the sign of the true NPV.  The range is r in [-0.99, 1e4], narrowed
    for long series so that no weight underflows.  Returns (g, weights (K, M), index of g=0).
    """
    span = 700.0 / max(n_months - 1, 1)
    g_min, g_max = max(np.log(0.01), -span), min(np.log1p(1e4), span)
    t_neg = np.linspace(0.0, np.arcsinh(-g_min / _GRID_SCALE), _GRID_NEG)
    t_pos = np.linspace(0.0, np.arcsinh(g_max / _GRID_SCALE), _GRID_POS)
    g = _GRID_SCALE * np.concatenate([-np.sinh(t_neg[:0:-1]), np.sinh(t_pos)])
    m = np.arange(n_months)
    weights = np.exp(-np.outer(g, m) - (n_months - 1) * np.maximum(-g, 0.0)[:, None])
    g.flags.writeable = weights.flags.writeable = False
    return g, weights, _GRID_NEG - 1


def _powers(x: FloatArray, n: int) -> FloatArray:
    pw = np.empty((x.size, n))
    pw[:, 0] = 1.0
    pw[:, 1:] = x[:, None]
    return np.cumprod(pw, axis=1, out=pw)


def _solve_in_bracket(cf, xa, xb, sa, x, tol, maxiter):
    """Safeguarded Newton on P(x) = sum cf[m] x**m inside [xa, xb] (sign(P(xa)) = sa).

    Newton steps that leave the bracket (or are not finite) are replaced by bisection.  A
    row has converged when the step is below ``tol * x``, or when the step is small and the
    error predicted after it (P''/2P' step**2) is below ``1e-4 * tol * x``; rows not
    converged after ``maxiter`` iterations stay NaN.
    """
    out = np.full(x.size, np.nan)
    idx = np.arange(x.size)
    m = np.arange(cf.shape[1], dtype=np.float64)
    moments = np.stack([np.ones_like(m), m, m * (m - 1)], axis=1)  # -> P, x P', x**2 P''
    for _ in range(maxiter):
        if idx.size == 0:
            break
        p, xdp, x2d2p = ((cf * _powers(x, cf.shape[1])) @ moments).T
        left = np.sign(p) == sa
        xa, xb = np.where(left, x, xa), np.where(left, xb, x)
        step = np.where(p == 0, 0.0, x * p / xdp)
        err = np.abs(x2d2p / (2.0 * x * xdp)) * step**2  # error left after a Newton step
        small = (np.abs(step) <= 1e-4 * x) & (err <= 1e-4 * tol * x)  # well below tol
        converged = (np.abs(step) <= tol * x) | small
        xn = x - step
        bisect = ~np.isfinite(xn) | (xn < xa) | (xn > xb)
        xn = np.where(bisect & ~converged, 0.5 * (xa + xb), xn)
        done = converged | (xb - xa <= tol * x)
        out[idx[done]] = xn[done]
        keep = ~done & np.isfinite(p)
        if not keep.all():
            idx, cf, x, xa, xb, sa = (a[keep] for a in (idx, cf, xn, xa, xb, sa))
        else:
            x = xn
    return out


def irr(values: npt.ArrayLike, *, tol: float = 1e-12, maxiter: int = 100) -> FloatResult:
    """Monthly internal rate of return, vectorized over all leading axes.

    The IRR solves ``npv(r, values) == 0``, i.e. P(x) = sum_m values[m] x**m = 0 with the
    discount factor x = 1 / (1 + r) > 0.  For every row the scaled NPV is evaluated on a
    fixed grid of rates in [-0.99, 1e4] (one matrix product), the sign change selected by
    the rule below gives a bracket, and a safeguarded Newton iteration in x (bisection
    whenever a Newton step leaves the bracket) solves all rows at once.  No polynomial
    companion matrix (``np.roots``) is used.

    Multiple-root rule: when the NPV has several roots, the root closest to zero (smallest
    ``abs(r)``) is returned -- the same choice as ``numpy_financial.irr``.  Only sign
    changes of the NPV on the grid are seen: roots of even multiplicity, pairs of roots
    closer than the grid spacing (about 0.05 % of 1 + r near r = 0, 0.5 % at 10 %/month)
    and roots outside [-0.99, 1e4] are not found.  A series with a single sign change has
    exactly one root (Descartes' rule of signs).

    Failure policy: never raises on bad rows; returns NaN for rows with no sign change
    (all-zero rows included), with non-finite values, with no root found in the grid
    range, or not converged within ``maxiter`` iterations.

    Parameters
    ----------
    values : array_like, shape (..., M)
        Cash flows (currency) at month indices 0 .. M - 1.
    tol : float
        Relative convergence tolerance on the discount factor 1 / (1 + r).
    maxiter : int
        Maximum number of solver iterations.

    Returns
    -------
    Monthly IRR (fraction per month), shape ``values.shape[:-1]``.
    """
    cf = _values(values)
    batch, n = cf.shape[:-1], cf.shape[-1]
    cf = cf.reshape(-1, n)
    out = np.full(cf.shape[0], np.nan)
    with np.errstate(all="ignore"):
        hi, lo = cf.max(axis=1, initial=-np.inf), cf.min(axis=1, initial=np.inf)
        ok = (hi > 0) & (lo < 0) & np.isfinite(hi) & np.isfinite(lo)  # NaN fails too
        rows = np.flatnonzero(ok)
        if rows.size:
            out[rows] = _irr_rows(cf[rows], tol, maxiter)
    return _result(out.reshape(batch))


def _irr_rows(cf: FloatArray, tol: float, maxiter: int) -> FloatArray:
    g, weights, k0 = _grid(cf.shape[1])
    v = cf @ weights.T  # (rows, K): scaled NPV on the rate grid
    pos, neg = v > 0, v < 0
    zero = ~(pos | neg)  # root exactly at grid point k
    change = (pos[:, :-1] & neg[:, 1:]) | (neg[:, :-1] & pos[:, 1:])  # root inside cell k
    rows = np.arange(cf.shape[0])
    # Nearest event at or above g = 0 (scanning up: point k, then cell k) ...
    evt_up = zero[:, k0:].copy()
    evt_up[:, :-1] |= change[:, k0:]
    k_up = k0 + np.argmax(evt_up, axis=1)
    cell_up = change[rows, np.minimum(k_up, len(g) - 2)] & ~zero[rows, k_up]
    # ... and below g = 0 (scanning down: cell k, which ends at point k + 1, then point k).
    evt_dn = zero[:, :k0] | change[:, :k0]
    k_dn = k0 - 1 - np.argmax(evt_dn[:, ::-1], axis=1)
    cell_dn = change[rows, k_dn]
    has = np.stack([evt_up.any(axis=1), evt_dn.any(axis=1)])
    k, cell = np.stack([k_up, k_dn]), np.stack([cell_up, cell_dn]) & has
    r = np.where(has & ~cell, np.expm1(g[k]), np.nan)  # (2, rows): roots above / below
    side, c = np.nonzero(cell)
    if c.size:  # one batch of bracketed solves for both sides
        kc = k[side, c]
        ga, gb = g[kc], g[kc + 1]  # x = exp(-g) lies in [exp(-gb), exp(-ga)]
        fa, fb = v[c, kc + 1], v[c, kc]  # scaled NPV at gb and at ga
        g0 = gb - fa * (gb - ga) / (fa - fb)  # regula falsi start
        x = _solve_in_bracket(cf[c], np.exp(-gb), np.exp(-ga), np.sign(fa), np.exp(-g0),
                              tol, maxiter)
        r[side, c] = 1.0 / x - 1.0
    use_dn = np.isnan(r[0]) | (np.abs(r[1]) < np.abs(r[0]))  # root nearest to zero
    return np.where(use_dn, r[1], r[0])


def irr_annual(values: npt.ArrayLike) -> FloatResult:
    """Annual effective IRR, ``(1 + irr(values)) ** 12 - 1`` (fraction per year)."""
    return annual_rate(irr(values))


def cumulative(values: npt.ArrayLike) -> FloatArray:
    """Cumulative cash flow (currency) along the month axis, shape ``values.shape``."""
    return np.cumsum(_values(values), axis=-1)


def payback_month(values: npt.ArrayLike) -> FloatResult:
    """Payback month index (float; NaN = never), per the rule in the module docstring.

    The first index m at which the cumulative cash flow is >= 0 after having been
    negative; 0 when the cumulative cash flow is never negative; NaN when it never gets
    back to >= 0.  Shape ``values.shape[:-1]``.
    """
    cum = cumulative(values)
    neg = cum < 0
    months = np.arange(cum.shape[-1])
    first_neg = np.where(neg.any(axis=-1), np.argmax(neg, axis=-1), cum.shape[-1])
    back = (cum >= 0) & (months > first_neg[..., None])
    out = np.where(back.any(axis=-1), np.argmax(back, axis=-1), np.nan)
    return _result(np.where(neg.any(axis=-1), out, 0.0))


def sustained_payback_month(values: npt.ArrayLike) -> FloatResult:
    """The month after which the cumulative cash flow stays >= 0 to the end (float).

    0 if it is never negative; NaN ("never") if it ends below zero.  This is the payback of a
    *switch* (an incremental series): unlike :func:`payback_month`, a later dip below zero
    moves it, so a switch that recovers and then loses again never reads as paid back.
    """
    cum = cumulative(values)
    negative = cum < 0
    n = cum.shape[-1]
    last_negative = n - 1 - np.argmax(negative[..., ::-1], axis=-1)  # index of the last dip
    out = np.where(negative.any(axis=-1), last_negative + 1.0, 0.0)
    return _result(np.where(negative[..., -1], np.nan, out))


def sign_changes(values: npt.ArrayLike) -> FloatResult:
    """How many times the series changes sign along the month axis, zeros skipped (float).

    An IRR is unique (and meaningful as a return) only with exactly one sign change.
    """
    v = _values(values)
    sign = np.sign(v)
    # carry the last non-zero sign forward over zeros, then count flips
    idx = np.where(sign != 0, np.arange(v.shape[-1]), 0)
    idx = np.maximum.accumulate(idx, axis=-1)
    carried = np.take_along_axis(sign, idx, axis=-1)
    flips = (carried[..., 1:] * carried[..., :-1]) < 0
    return _result(flips.sum(axis=-1).astype(float))


def peak_funding(values: npt.ArrayLike) -> FloatResult:
    """Largest cumulative shortfall ``max(0, -min(cumsum))`` (currency), shape ``[:-1]``."""
    return _result(np.maximum(0.0, -cumulative(values).min(axis=-1)))


def moic(values: npt.ArrayLike) -> FloatResult:
    """Multiple on invested capital: sum of inflows / sum of |outflows| (dimensionless).

    NaN where nothing is invested (no negative flow).  Shape ``values.shape[:-1]``.
    """
    cf = _values(values)
    invested = -np.where(cf < 0, cf, 0.0).sum(axis=-1)
    returned = np.where(cf > 0, cf, 0.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _result(np.where(invested > 0, returned / invested, np.nan))


@dataclass(frozen=True)
class LoanSchedule:
    """Monthly loan cash flows, each of shape (..., n_periods), in currency.

    Attributes
    ----------
    draw : cash received when the loan is drawn (positive, at ``start_index``).
    interest : interest part of each payment (positive).
    principal_repaid : principal part of each payment (positive).
    payment : total payment, ``interest + principal_repaid`` (positive).
    balance : principal outstanding at the end of each index, after that index's payment.
    """

    draw: FloatArray
    interest: FloatArray
    principal_repaid: FloatArray
    payment: FloatArray
    balance: FloatArray

    @property
    def cash_flow(self) -> FloatArray:
        """Net cash flow to the borrower, ``draw - payment``."""
        return self.draw - self.payment


def loan_schedule(
    principal: npt.ArrayLike,
    rate_annual_nominal: npt.ArrayLike,
    term_months: npt.ArrayLike,
    start_index: npt.ArrayLike,
    n_periods: int,
) -> LoanSchedule:
    """Level-annuity loan drawn at ``start_index`` and repaid over ``term_months``.

    Payments fall at indices start_index + 1 .. start_index + term_months at the monthly
    rate ``rate_annual_nominal / 12`` (nominal APR compounded monthly -- not the effective
    annual convention used for discounting).  Per-period amounts come from
    ``numpy_financial`` ``pmt``/``ipmt``/``ppmt``; a zero rate gives straight-line
    repayment.  Payments beyond ``n_periods`` are cut off: ``balance[..., -1]`` is what
    would still be repaid at exit.

    Parameters
    ----------
    principal : array_like
        Amount drawn (currency, >= 0).
    rate_annual_nominal : array_like
        Nominal APR (fraction per year, compounded monthly).
    term_months : array_like of int
        Number of monthly payments (>= 1).
    start_index : array_like of int
        Month index of the draw (>= 0).
    n_periods : int
        Length of the month axis of the result.

    All of principal, rate, term and start broadcast together to the batch shape B.

    Returns
    -------
    LoanSchedule with arrays of shape ``B + (n_periods,)``.
    """
    p, rate, term, start = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (principal, rate_annual_nominal,
                                                     term_months, start_index)))
    if np.any(term < 1) or np.any(start < 0) or np.any(term % 1) or np.any(start % 1):
        raise ValueError("term_months must be integers >= 1 and start_index integers >= 0")
    i = np.where(1.0 + rate / 12.0 == 1.0, 0.0, rate / 12.0)  # npf.pmt: 0/0 for tiny rates
    p, i, term, start = (a[..., None] for a in (p, i, term, start))
    per = np.arange(n_periods) - start  # payment number at each index (0 = the draw)
    paying, per_c = (per >= 1) & (per <= term), np.clip(per, 1, term)
    with np.errstate(divide="ignore", invalid="ignore"):  # npf.fv evaluates 0/0 at rate 0
        level = npf.pmt(i, term, p)  # negative: paid by the borrower
        interest = np.where(paying, -npf.ipmt(i, per_c, term, p), 0.0)
        repaid = np.where(paying, -npf.ppmt(i, per_c, term, p), 0.0)
        left = -npf.fv(i, np.clip(per, 0, term), level, p)  # balance after `per` payments
    balance = np.where((per >= 0) & (per < term), left, 0.0) + 0.0  # (+ 0.0: no -0.0)
    return LoanSchedule(draw=np.where(per == 0, p, 0.0), interest=interest,
                        principal_repaid=repaid, payment=np.where(paying, -level, 0.0),
                        balance=balance)


#: SBA 7(a) upfront guaranty fee, fiscal year 2026 (loans approved 2025-10-01 .. 2026-09-30,
#: maturity over 12 months), as a share of the *guaranteed* portion: (loan amount up to, rate on
#: the guaranteed portion). Above $1M, 3.5% on the first $1M guaranteed and 3.75% above it.
#: Sources: SBA, "Terms, conditions, and eligibility" (guaranty 85% up to $150,000, 75% above;
#: https://www.sba.gov/partners/lenders/7a-loan-program/terms-conditions-eligibility) and
#: Liminal Lending, "SBA Guarantee Fees - 2026 Schedule"
#: (https://www.liminallending.com/resources/articles/rate-updates/sba-guarantee-fees-2026).
SBA_7A_FEE_FY2026 = ((150_000.0, 0.02), (700_000.0, 0.03), (np.inf, 0.035))
SBA_7A_FEE_ABOVE_1M_GUARANTEED = 0.0375


def sba_guaranty_fee(amount: npt.ArrayLike) -> FloatArray:
    """SBA 7(a) upfront guaranty fee on a loan of ``amount`` (FY2026 schedule, see above).

    >>> float(sba_guaranty_fee(250_000))     # 75% guaranteed x 3%
    5625.0
    >>> float(sba_guaranty_fee(1_500_000))   # 1M x 3.5% + 125k x 3.75%
    39687.5
    """
    a = np.asarray(amount, dtype=np.float64)
    guaranteed = a * np.where(a <= 150_000.0, 0.85, 0.75)
    rate = np.select([a <= lim for lim, _ in SBA_7A_FEE_FY2026],
                     [r for _, r in SBA_7A_FEE_FY2026])
    over = np.maximum(guaranteed - 1_000_000.0, 0.0)
    fee = np.where(a > 1_000_000.0,
                   (guaranteed - over) * 0.035 + over * SBA_7A_FEE_ABOVE_1M_GUARANTEED,
                   guaranteed * rate)
    return np.where(a > 0, fee, 0.0)
