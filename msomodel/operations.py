"""A site's operation as pure array functions: volume, revenue, product cost, payroll, running costs.

``x`` is a dict of input arrays with a leading trials axis (see :meth:`ModelInputs.batch`).
Shapes: (T, S) per site, (T, S, L) per service line, (T, S, R) per role, (T, S, K) per running
cost; the months axis M is appended last.  Each operating option passes *levers* (volume
uplifts, purchasing discount, which card-processing rate applies) and then asks for payroll and
running costs *weighted* by role or cost item (who pays what share): escalators change only
once a year, so those are computed per project year and summed over roles/items before being
spread over months.  Two volume-driven refinements, both off unless a scenario states them:
membership credit redeemed over ``redemption_months`` (:class:`Late`: recognition and
redemption spread over months by cumulative sums, the dues not yet recognized kept as
``deferred_dues``), and administrative roles whose FTE follows the treatment visits delivered
(:func:`_scale_admin`, paid like hires in their role).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from msomodel import timeline as tl


def collapse(weights: np.ndarray, per_line: np.ndarray) -> np.ndarray:
    """Sum over the service-line axis: ``weights`` (T, S, L) x ``per_line`` (T, S, L, M) ->
    (T, S, M), as one batched matrix product (no (T, S, L, M) temporary)."""
    return np.matmul(weights[:, :, None, :], per_line)[:, :, 0, :]


@dataclass
class Operation:
    """Gross monthly amounts of every site under one option's levers [USD/month].

    Per-line amounts are never materialised: a line's units sold in month m are
    ``steady[l] x shape[l, m] x scale[m]`` for capacity-capped lines (``capped``) and
    ``steady[l] x shape[l, m]`` for the others, so any sum over lines is two
    :func:`collapse` products against the shared ``shape x price`` (or ``x cost``) arrays.
    """

    horizon: int
    open: np.ndarray            # (T, S, M) 1.0 while the site operates
    steady: np.ndarray          # (T, S, L) steady units per month with this option's uplifts
    capped: np.ndarray          # (T, S, L) 1.0 for lines that use provider time
    scale: np.ndarray | None    # (T, S, M) capacity cap on capped lines (None: never binds)
    shared: Shared
    revenue: np.ndarray         # (T, S, M)
    product_cost: np.ndarray    # (T, S, M) after any purchasing discount
    pay_year: np.ndarray        # (T, S, R, Y) loaded hourly + salaried pay per month, by year
    commission_rate: np.ndarray  # (T, S, R, L) loaded commission on each line's revenue
    opex_year: np.ndarray       # (T, S, K, Y) fixed running cost per month, by year
    opex_pct: np.ndarray        # (T, S, K) share of revenue
    hired: np.ndarray | None = None      # (T, S, M) providers hired by demand [FTE]
    hired_pay: np.ndarray | None = None  # (T, S, M) their loaded pay
    hire_role: np.ndarray | None = None  # (T, S, R) one-hot: the role they are hired into
    #: Deferred membership lines under a binding cap: each per-line array of ``shared.late``
    #: spread after the cap's admission share, (T, S, D, M) by key (price, cost_frac, ...).
    late: dict[str, np.ndarray] | None = None
    deferred_dues: np.ndarray | None = None  # (T, S, M) dues billed, not yet recognized
    scaled_fte: np.ndarray | None = None  # (T, S, A, M) FTE above `fte` of the scaled roles
    scaled_pay: np.ndarray | None = None  # (T, S, A, M) their loaded pay
    scaled_roles: np.ndarray | None = None  # (A,) role indices of the administrative roles scaled

    def lines_total(self, weights: np.ndarray, per_line: np.ndarray,
                    key: str | None = None) -> np.ndarray:
        """Sum over lines of ``weights`` (T, S, L) x units x ``per_line`` ((T or 1, S, L, M):
        shape x price or shape x cost per unit) [USD/month], the capacity cap applied to
        capped lines.  ``key`` names ``per_line`` among the deferred membership lines' arrays
        (``price``, ``cost_frac``, ``cost_unit``, ``hours``): under a binding cap those lines are
        summed from :attr:`late` (None: ``per_line`` as it is)."""
        w = weights * self.steady
        if self.scale is None:
            return collapse(w, per_line)
        extra = 0.0
        if self.late is not None and key is not None:
            idx = self.shared.late.idx
            extra = collapse(w[:, :, idx], self.late[key])
            w = w * self.shared.late.not_late
        return collapse(w * self.capped, per_line) * self.scale + collapse(
            w * (1.0 - self.capped), per_line) + extra

    def sales(self, weights: np.ndarray) -> np.ndarray:
        """Revenue (T, S, M) of the lines counted at ``weights`` (T, S, L)."""
        return self.shared.price_mult * self.lines_total(weights, self.shared.shape_price,
                                                         "price")

    def cost(self, weights: np.ndarray) -> np.ndarray:
        """Product cost (T, S, M) before discounts of the lines counted at ``weights``."""
        sh = self.shared
        return sh.price_mult * self.lines_total(weights, sh.shape_cost_frac,
                                                "cost_frac") + self.lines_total(
            weights, sh.shape_cost_unit, "cost_unit")

    def payroll(self, weights: np.ndarray) -> np.ndarray:
        """Payroll (T, S, M) with each role counted at ``weights`` (T, S, R) (1 = fully paid);
        providers hired by demand count in their role, and an administrative role scaled by
        volume counts its FTE above ``fte`` at the same weight."""
        out = tl.monthly(np.einsum("tsr,tsry->tsy", weights, self.pay_year), self.horizon)
        out *= self.open
        rate = (np.einsum("tsr,tsrl->tsl", weights, self.commission_rate)
                if self.shared.commission else None)
        if rate is not None and rate.any():
            out += self.sales(rate)
        else:  # no commission on these roles' lines: the sales it would add are +0.0
            out += 0.0
        if self.hired_pay is not None:
            w = np.einsum("tsr,tsr->ts", np.broadcast_to(weights, self.hire_role.shape),
                          self.hire_role)
            out = out + w[..., None] * self.hired_pay
        if self.scaled_pay is not None:
            w = np.broadcast_to(weights, self.pay_year.shape[:3])[:, :, self.scaled_roles]
            out = out + np.einsum("tsa,tsam->tsm", w, self.scaled_pay)
        return out

    def opex(self, weights: np.ndarray) -> np.ndarray:
        """Running costs (T, S, M) with each item counted at ``weights`` (broadcast to (T, S, K))."""
        w = np.broadcast_to(weights, self.opex_pct.shape)
        if tl.same_for_all_trials(self.opex_year, self.open) and _rows_equal(w):
            fixed = np.broadcast_to(self._fixed_opex(w[:1], self.opex_year[:1], self.open[:1]),
                                    self.open.shape)  # the fixed part, once for all trials
            return fixed + (w * self.opex_pct).sum(axis=-1)[..., None] * self.revenue
        out = self._fixed_opex(w, self.opex_year, self.open)
        out += (w * self.opex_pct).sum(axis=-1)[..., None] * self.revenue
        return out

    def _fixed_opex(self, w: np.ndarray, opex_year: np.ndarray, is_open: np.ndarray) -> np.ndarray:
        """The fixed part of :meth:`opex` (T, S, M): by year, spread onto the open months."""
        out = tl.monthly(np.einsum("tsk,tsky->tsy", w, opex_year), self.horizon)
        out *= is_open
        return out


@dataclass
class Shared:
    """What every option's operation has in common, computed once per engine run.

    Arrays derived only from inputs that no trial varies may be one trial's values broadcast
    (read-only, stride 0 on the trials axis): read them, never write into them.

    The per-line arrays have a leading axis of T, or of 1 when none of their inputs varies
    across trials (the usual Monte Carlo case: multipliers vary, line data do not); the price
    multiplier is kept apart so that it never forces a per-trial copy.
    """

    open: np.ndarray           # (T, S, M); one trial's, broadcast read-only, when no trial moves
                               # an opening (timeline.once_for_all_trials)
    price_mult: np.ndarray     # (T, 1, 1) the scenario-wide price multiplier
    shape_price: np.ndarray    # (T|1, S, L, M) ramp x volume growth x price per unit (before it)
    shape_cost_frac: np.ndarray  # (T|1, S, L, M) the same x cost as a share of price
    shape_cost_unit: np.ndarray  # (T|1, S, L, M) ramp x volume growth x cost per unit
    shape_hours: np.ndarray | None  # (T|1, S, L, M) ramp x volume growth x provider hours per unit
    pay_year: np.ndarray       # (T, S, R, Y)
    commission_rate: np.ndarray  # (T, S, R, L)
    opex_year: np.ndarray      # (T, S, K, Y)
    opex_pct: np.ndarray       # (T, S, K)
    late: Late | None = None   # membership lines whose credit is redeemed over months
    shape_units: np.ndarray | None = None  # (T|1, S, L, M) ramp x volume growth (units)
    commission: bool = True    # any role earns commission on any line (False: payroll skips it)


@dataclass
class Late:
    """Membership lines whose credit is redeemed over ``redemption_months`` k > 1.

    The dues billed in month m buy credit redeemed evenly in months m .. m+k-1; revenue is
    recognized as it is redeemed (breakage in proportion).  :class:`Shared`'s per-line arrays
    hold these lines spread that way (recognition month); ``raw`` keeps them by billing month.
    """

    idx: np.ndarray            # (D,) indices of the lines (union over sites and trials)
    k: np.ndarray              # (T|1, S, D) months over which a month's credit is redeemed
    not_late: np.ndarray       # (L,) 0.0 on these lines, 1.0 elsewhere
    raw: dict[str, np.ndarray]  # price, cost_frac, cost_unit, hours: (T|1, S, D, M) as billed


_LINE_INPUTS = ("open_month", "ramp_months", "ramp_start", "volume_growth", "price",
                "price_growth", "cost_frac", "cost_unit", "cost_growth", "hours_per_unit",
                "redeem_share", "redeem_on")


def line_arrays(x: dict, horizon: int) -> tuple[np.ndarray, ...]:
    """shape x price, shape x cost share x price, shape x cost per unit, shape x hours and the
    shape (ramp x volume growth) itself, each (T or 1, S, L, M); computed for one trial when
    none of their inputs varies (once per process for the same values: read-only)."""
    if tl.same_for_all_trials(*(x[k] for k in _LINE_INPUTS)):
        return tl.remembered(_line_arrays, {k: x[k][:1] for k in _LINE_INPUTS}, horizon)
    return _line_arrays(x, horizon)


def _line_arrays(x: dict, horizon: int) -> tuple[np.ndarray, ...]:
    ramp = tl.ramp(x["open_month"], x["ramp_months"], x["ramp_start"], horizon)
    shape = tl.escalate(x["volume_growth"], horizon) * ramp[:, :, None, :]
    per_unit = tl.to_months(x["price"][..., None] * tl.yearly(x["price_growth"], horizon), horizon)
    unit_cost = tl.to_months(x["cost_unit"][..., None] * tl.yearly(x["cost_growth"], horizon),
                             horizon)
    price, unit = shape * per_unit, shape * unit_cost
    cost_frac = price * x["cost_frac"][..., None]
    hours = shape * x["hours_per_unit"][..., None]
    if np.any(x["redeem_share"] > 0):
        cost_frac, unit, hours = _redeemed(x, shape, per_unit, unit_cost, cost_frac, unit, hours)
    return price, cost_frac, unit, hours, shape


def spread(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Each month's amount of ``a`` (..., M) spread evenly over that month and the k - 1 after
    it: ``out[m] = sum_{j < k} a[m - j] / k`` (what falls past the last month is not in it);
    ``k`` (...) whole months >= 1.  A moving sum by cumulative sums (no loop over months)."""
    c = np.cumsum(a, axis=-1)
    M = a.shape[-1]
    if k.size and np.all(k == k.flat[0]):  # one window for all (the usual case): slices
        n = int(k.flat[0])
        if n == 1:
            return a.copy()
        out = c.copy()
        out[..., n:] -= c[..., :-n]
        return out / n
    kk = np.broadcast_to(k[..., None], c.shape)
    lag = (np.arange(M) - kk).astype(np.intp)
    before = np.take_along_axis(c, np.maximum(lag, 0), axis=-1)
    out = (c - np.where(lag >= 0, before, 0.0)) / kk
    return np.where(kk == 1, a, out)


def ahead_min(scale: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The least of ``scale`` (T, S, M) over months m .. m+k-1 (clipped at the last month), for
    each window length ``k`` (T|1, S, D): (T, S, D, M).  A sparse table of minima over 1, 2, 4,
    ... months (log2 of the longest window levels, no loop over months)."""
    M = scale.shape[-1]
    m = np.arange(M)
    levels, span = [scale], 1
    while 2 * span <= int(k.max()):
        prev = levels[-1]
        levels.append(np.minimum(prev, prev[..., np.minimum(m + span, M - 1)]))
        span *= 2
    table = np.stack(levels)                                           # (J, T, S, M)
    T, S = scale.shape[:2]
    kk = np.broadcast_to(k, (T, S, k.shape[-1])).astype(int)
    j = np.floor(np.log2(kk)).astype(int)[..., None]                  # (T, S, D, 1)
    t, s = np.arange(T)[:, None, None, None], np.arange(S)[None, :, None, None]
    second = np.minimum(m + kk[..., None] - 2 ** j, M - 1)
    return np.minimum(table[j, t, s, m], table[j, t, s, second])


def _deferred(x: dict, arrays: list[np.ndarray]) -> tuple[Late, list[np.ndarray]]:
    """Membership lines redeemed over k > 1 months: their arrays spread by :func:`spread`.
    The line arrays themselves do not depend on k, so a k sampled by trial makes only these
    copies per trial (not :func:`line_arrays`)."""
    months = x["redeem_months"]                                             # (T, S, L)
    months = np.maximum(np.rint(months[:1] if tl.same_for_all_trials(months) else months), 1.0)
    n = max(months.shape[0], arrays[0].shape[0])  # per trial only if either varies by trial
    idx = np.flatnonzero((months > 1).any(axis=(0, 1)))
    k = months[:, :, idx]
    raw = {key: a[:, :, idx] for key, a in zip(("price", "cost_frac", "cost_unit", "hours"),
                                                 arrays, strict=True)}
    out = []
    for a in arrays:
        a = np.broadcast_to(a, (n, *a.shape[1:])).copy()
        a[:, :, idx] = spread(a[:, :, idx], np.broadcast_to(k, (n, *k.shape[1:])))
        out.append(a)
    not_late = np.ones(arrays[0].shape[2])
    not_late[idx] = 0.0
    return Late(idx, k, not_late, raw), out


def _redeemed(x: dict, shape, per_unit, unit_cost, cost_frac, unit, hours):
    """Membership credit: a share ``redeem_share`` of each line's dues buys treatments of the
    line ``redeem_on`` at that month's price, costing its product (share of price and per unit)
    and provider time but earning nothing more.  Per member-month: credit units = share x dues /
    target price.  Their provider hours count against capacity like any treatment's: a binding
    cap scales the membership line down with the treatments (no more members than the providers
    can serve)."""
    share = x["redeem_share"][..., None]                                   # (T, S, L, 1)
    pick = x["redeem_on"]                                                  # (T, S, L, L)
    target_price = np.einsum("tslk,tskm->tslm", pick, per_unit)
    credit_units = np.divide(share * per_unit, target_price,
                             out=np.zeros(np.broadcast_shapes(per_unit.shape, target_price.shape)),
                             where=target_price > 0)                        # per member-month
    target = {k: np.einsum("tslk,tsk->tsl", pick, x[k])[..., None]
              for k in ("cost_frac", "hours_per_unit")}
    cost_frac = cost_frac + shape * per_unit * share * target["cost_frac"]
    unit = unit + shape * credit_units * np.einsum("tslk,tskm->tslm", pick, unit_cost)
    hours = hours + shape * credit_units * target["hours_per_unit"]
    return cost_frac, unit, hours


def prepare(x: dict, horizon: int) -> Shared:
    """The option-independent arrays of :func:`operate`."""
    price, cost_frac, cost_unit, hours, shape = line_arrays(x, horizon)
    late = None
    if np.any(x["redeem_months"] > 1):
        late, (price, cost_frac, cost_unit, hours) = _deferred(
            x, [price, cost_frac, cost_unit, hours])
    pay_year, commission = pay(x, horizon)
    opex_year, opex_pct = running_costs(x, horizon)
    capped = hours if np.any(x["has_capacity"] > 0) else None
    is_open = tl.once_for_all_trials(lambda first: tl.operating(first, horizon), x["open_month"])
    return Shared(is_open, x["price_mult"][:, None, None], price,
                  cost_frac, cost_unit, capped, pay_year, commission, opex_year, opex_pct,
                  late, shape if np.any(x["scale_on"] > 0) else None, bool(commission.any()))


def volumes(x: dict, shared: Shared, treatment_uplift: np.ndarray,
            all_uplift: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Steady units per line (T, S, L), which lines are capacity-capped, and the cap's scale
    on them (T, S, M) or None where provider capacity never binds.

    ``treatment_uplift`` (T, S) adds to treatment volume, ``all_uplift`` (T,) multiplies all.
    Demand for provider hours above capacity (providers x hours x utilization) scales the
    capped lines down in proportion.
    """
    uplift = (1.0 + x["is_treatment"] * treatment_uplift[:, :, None]) * all_uplift[:, None, None]
    steady = x["volume"] * x["vol_mult"][:, None, None] * uplift
    capped = ((x["hours_per_unit"] > 0) | (x["redeem_share"] > 0)).astype(float)
    if shared.shape_hours is None:
        return steady, capped, None, None
    demand = collapse(steady, shared.shape_hours)
    per_provider = (x["provider_hours"] * x["utilisation"])[..., None]        # (T, S, 1)
    hired, productive = hires(x, demand, per_provider)
    capacity = (x["providers"][..., None] + productive) * per_provider
    capacity = np.where(x["has_capacity"][..., None] > 0, capacity, np.inf)
    if not np.any(demand > capacity):
        return steady, capped, None, hired
    with np.errstate(over="ignore"):  # only where a tiny demand is far below capacity: unused
        ratio = capacity / np.where(demand > 0, demand, 1.0)
    scale = np.where(demand > capacity, ratio, 1.0)
    return steady, capped, scale, hired


def hires(x: dict, demand: np.ndarray, per_provider: np.ndarray):
    """Providers hired by demand (T, S, M) [FTE] and their productive capacity [FTE].

    In month m the site needs ``ceil(demand / (per-provider hours x trigger) / step) x step``
    providers; it hires up to that (never letting go, at most ``max_providers``), pays each hire
    from the month of hire and gains their capacity over ``ramp_months`` (1/ramp in the month of
    hire, full after ramp months).  None where no site hires."""
    if not np.any(x["hire_on"] > 0):
        return None, 0.0
    on = (x["hire_on"] > 0)[..., None]
    step = np.where(on, x["hire_step"][..., None], 1.0)
    trigger = np.where(on, x["hire_trigger"][..., None], 1.0)
    need = np.ceil(demand / (per_provider * trigger) / step - 1e-9) * step
    room = (x["hire_max"] - x["providers"])[..., None]
    hired = np.clip(np.maximum.accumulate(need - x["providers"][..., None], axis=-1), 0.0, room)
    hired = np.where(on, hired, 0.0)
    new = tl.increase(hired)                                            # FTE hired in month k
    M = demand.shape[-1]
    ramp = np.where(on, x["hire_ramp"][..., None], 1.0)                  # (T, S, 1)
    age = np.arange(M)[:, None] - np.arange(M)[None, :] + 1.0           # (m, k): months since hire
    # productive[m] = sum_k new[k] x min(1, (m - k + 1) / ramp), for k <= m
    weight = np.clip(age[None, None] / ramp[..., None], 0.0, 1.0)       # (T, S, m, k)
    productive = np.einsum("tsmk,tsk->tsm", weight, new)
    return hired, productive


def pay(x: dict, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Loaded fixed pay per role and year (T, S, R, Y): (hourly x hours + salary / 12) x FTE,
    raised yearly; and the loaded commission rate per role and line (T, S, R, L)."""
    load = 1.0 + x["load"]
    base = (x["hourly"] * x["hours"] + x["salary"] / 12.0) * x["fte"] * x["wage_mult"][:, None, None]
    pay_year = (base * load)[..., None] * _raises(x, horizon)
    commission = (x["comm_rate"] * x["prod_share"] * load)[..., None] * x["comm_mask"]
    return pay_year, commission


def running_costs(x: dict, horizon: int):
    """Fixed part per item and year (T, S, K, Y), escalated; and the share of revenue (T, S, K)."""
    fixed = tl.once_for_all_trials(
        lambda monthly, mult, esc: (monthly * mult[:, None, None])[..., None] * tl.yearly(
            esc, horizon), x["opex_monthly"], x["opex_mult"], x["opex_esc"])
    return fixed, x["opex_pct"]


def _rows_equal(a: np.ndarray) -> bool:
    """Every trial's row of a small array (T, ...) is the first one's."""
    return tl.same_for_all_trials(a) or bool(np.array_equal(a, np.broadcast_to(a[:1], a.shape)))


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
    steady, capped, scale, hired = volumes(
        x, shared, np.zeros((T, S)) if treatment_uplift is None else treatment_uplift,
        np.ones(T) if all_uplift is None else all_uplift)
    pct = shared.opex_pct if card_rate is None else with_card_rate(x, shared.opex_pct, card_rate)
    op = Operation(horizon, shared.open, steady, capped, scale, shared, np.empty(0), np.empty(0),
                   shared.pay_year, shared.commission_rate, shared.opex_year, pct)
    if shared.late is not None:
        _late_lines(op, shared.late)
    if hired is not None:  # each hire is paid as one FTE of the hiring role
        per_fte = np.einsum("tsr,tsry->tsy", x["hire_role"], pay_per_fte(x, horizon))
        op.hired, op.hire_role = hired, x["hire_role"]
        op.hired_pay = hired * tl.to_months(per_fte, horizon) * shared.open
    if shared.shape_units is not None:
        _scale_admin(op, x, horizon)
    ones = np.ones_like(steady)
    op.revenue = op.sales(ones)
    op.product_cost = op.cost(ones)
    if discount is not None:  # (T, M): applies to discountable lines only
        discountable = op.cost(np.broadcast_to(x["discountable"], steady.shape))
        op.product_cost = op.product_cost - discount[:, None, :] * discountable
    return op


def pay_per_fte(x: dict, horizon: int) -> np.ndarray:
    """Loaded hourly + salaried pay of one FTE per role and year (T, S, R, Y)."""
    return ((x["hourly"] * x["hours"] + x["salary"] / 12.0) * x["wage_mult"][:, None, None]
            * (1.0 + x["load"]))[..., None] * _raises(x, horizon)


def _raises(x: dict, horizon: int) -> np.ndarray:
    """Each role's yearly raise factor (T, S, R, Y), computed once when no trial varies it."""
    return tl.once_for_all_trials(lambda rate: tl.yearly(rate, horizon), x["raise"])


def _late_lines(op: Operation, late: Late) -> None:
    """Deferred membership lines under this option's cap, and the dues not yet recognized.

    A binding cap admits the members who join in month m in the share ``sigma[m]`` = the least
    cap scale over the months m .. m+k-1 their credit is redeemed in, so redeemed hours never
    exceed any month's capacity (k = 1: the month's own scale, as for any capped line).  Their
    redemptions and recognized dues are then spread from the admitted billing.  The deferred
    revenue balance is the cumulative dues billed less recognized [USD]."""
    sh = op.shared
    billed, recognised = late.raw["price"], sh.shape_price[:, :, late.idx]
    if op.scale is not None:
        sigma = np.where(op.capped[:, :, late.idx, None] > 0, ahead_min(op.scale, late.k), 1.0)
        op.late = {key: spread(a * sigma, late.k) for key, a in late.raw.items()}
        billed, recognised = billed * sigma, op.late["price"]
    w = op.steady[:, :, late.idx]
    op.deferred_dues = sh.price_mult * np.cumsum(collapse(w, billed - recognised), axis=-1)


def _scale_admin(op: Operation, x: dict, horizon: int) -> None:
    """Administrative roles that follow volume: per site and month, the treatment visits
    delivered (units of treatment lines after the cap and the option's volume effects) need
    ``step x ceil(visits / (visits_per_fte x step))`` FTE; the role holds the most needed so far,
    at least ``fte`` and at most ``max_fte``.  The FTE above ``fte`` is paid at the role's
    loaded pay per FTE while the site is open (commission is not FTE-based: unchanged)."""
    on_any = (x["scale_on"] > 0).any(axis=(0, 1))
    idx = np.flatnonzero(on_any)
    on = (x["scale_on"][:, :, idx] > 0)[..., None]                         # (T, S, A, 1)
    treatment = np.broadcast_to(x["is_treatment"], op.steady.shape)
    visits = op.lines_total(treatment, op.shared.shape_units)[:, :, None, :]  # (T, S, 1, M)
    step = np.where(on, x["scale_step"][:, :, idx, None], 1.0)
    per = np.where(on, x["scale_visits"][:, :, idx, None], 1.0)
    with np.errstate(over="ignore"):  # a tiny step or visits per FTE: no end but max_fte
        need = np.maximum.accumulate(np.ceil(visits / per / step - 1e-9) * step, axis=-1)
    fte = x["fte"][:, :, idx, None]
    extra = np.where(on, np.maximum(np.minimum(need, x["scale_max"][:, :, idx, None]) - fte, 0.0),
                     0.0)
    per_fte = tl.to_months(pay_per_fte(x, horizon)[:, :, idx], horizon)       # (T, S, A, M)
    op.scaled_roles, op.scaled_fte = idx, extra
    op.scaled_pay = extra * per_fte * op.open[:, :, None, :]
