"""From site EBITDA to the owner's monthly net cash flow, the same for every option.

Per company and month (index 0..H, see :mod:`msomodel.timeline`):

- capital: each site's ``startup_cost`` + equipment is spent at index ``open_month - 1``;
  a share ``loan.financed_fraction`` is borrowed then and repaid as a level annuity
  (:func:`msomodel.finance.loan_schedule`); depreciation is straight-line from the opening month;
- one-time costs (onboarding, implementation, structuring) fall where incurred, below EBITDA;
- tax = ``tax_rate`` x taxable income, taxable = EBITDA - interest - depreciation - one-time
  costs, with losses carried forward without limit (no carry-back); cumulative tax paid is
  ``rate * running max(0, cumulative taxable)``.  Entities (owned MSO: PC and MSO) are taxed
  separately.
- exit at the horizon: ``multiple x max(0, EBITDA of the last 12 months)``, less the loan balance
  still outstanding, any termination fee and the deferred revenue still owed, plus the cash
  reserve, less tax on the gain (``exit_tax_rate`` x (price - fixed assets net - inventory +
  payables), when positive).  Deferred revenue includes membership dues billed whose credit is
  not yet redeemed (``redemption_months`` > 1): the buyer assumes that credit, so the price is
  reduced by the balance, like prepaid treatments.
- friendly PC: the owner's value is the MSO's. The PC's own cash (EBITDA - its one-time costs -
  its tax - its working capital) belongs to its physician owner (``pc_retained``), except that
  the owner's MSO funds the PC's shortfalls and is repaid first; the exit sells the MSO, valued on
  the MSO's trailing EBITDA less any trailing loss of the PC (which the MSO funds), basis its
  fixed assets (an advance still owed at the end is not
  counted).
- working capital (inventory, payables, deferred revenue; all zero by default): its increase
  over the month is cash tied up; the cash reserve is put in at index 0.
- net cash flow = EBITDA - one-time - capex - working-capital increase + loan draw - loan fee -
  loan payment - tax + net exit (- cash reserve at index 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from msomodel import finance
from msomodel import timeline as tl
from msomodel.operations import Operation
from msomodel.scenario import OPTIONS

#: Site-level lines of every projection, shape (T, S, M) [USD/month]; costs are positive.
SITE_LINES = ("revenue", "product_cost", "staff_clinical", "staff_admin", "opex",
              "mso_fee", "software_fee", "structuring", "conditions", "ebitda")


@dataclass
class Projection:
    """One option's monthly projection for T trials.

    ``site`` holds the :data:`SITE_LINES` by site; ``company`` holds company-level lines of
    shape (T, M): ``overhead`` (not attributable to a site), ``ebitda`` (= sum of sites' EBITDA
    - overhead), ``one_time``, ``capex``, ``loan_draw``, ``interest``, ``principal_repaid``,
    ``depreciation``, ``tax``, ``exit_value`` (net of loan balance and termination fee) and
    ``net_cash_flow``.  ``entities`` holds the PC and MSO statements of an owned MSO.
    """

    option: str
    site: dict[str, np.ndarray]
    company: dict[str, np.ndarray]
    entities: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    #: Month-end balances (T, M): ``loan_balance``, ``inventory``, ``payables``,
    #: ``deferred_revenue``; ``cash_reserve`` (T,); see :mod:`msomodel.options.statements`.
    balances: dict[str, np.ndarray] = field(default_factory=dict)
    #: Tax (T, M) of each entity: [company] or [PC, MSO].
    entity_tax: list[np.ndarray] = field(default_factory=list)

    @property
    def net_cash_flow(self) -> np.ndarray:
        return self.company["net_cash_flow"]


def tax_paid(taxable: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Monthly tax with unlimited loss carry-forward; taxable shape (T, M), rate (T,)."""
    taxed = np.cumsum(taxable, axis=-1)
    np.maximum(taxed, 0.0, out=taxed)
    np.maximum.accumulate(taxed, axis=-1, out=taxed)
    return rate[:, None] * tl.increase(taxed)


_CAPITAL_INPUTS = ("startup", "equipment", "open_month", "loan_frac", "loan_rate", "loan_term",
                   "dep_months", "dep_equip_months", "loan_sba")


def capital(x: dict, horizon: int) -> dict[str, np.ndarray]:
    """Capex, loan and depreciation lines, summed over sites, shape (T, M).

    Build-out (``startup``) and equipment are depreciated straight-line over their own lives.
    ``loan_fee`` is an SBA 7(a) loan's upfront guaranty fee, paid from the proceeds when drawn.
    The same for every option; when no capital input varies across trials it is computed for
    one trial (once per process for the same values, :func:`msomodel.timeline.remembered`) and
    broadcast (read-only) to all.
    """
    T = x["open_month"].shape[0]
    if T > 1 and all(tl.same_for_all_trials(x[k])
                     or np.array_equal(x[k], np.broadcast_to(x[k][:1], x[k].shape))
                     for k in _CAPITAL_INPUTS):  # once per process for these values
        one = tl.remembered(capital, {k: x[k][:1] for k in _CAPITAL_INPUTS}, horizon)
        return {k: tl.for_all_trials(v, T) for k, v in one.items()}
    buildout, equipment = x["startup"], x["equipment"].sum(axis=-1)  # (T, S)
    spend = buildout + equipment
    when = x["open_month"] - 1.0
    borrowed = spend * x["loan_frac"][:, None]
    loan = finance.loan_schedule(borrowed, x["loan_rate"][:, None],
                                 x["loan_term"][:, None], when, horizon + 1)
    fee = finance.sba_guaranty_fee(borrowed) * x["loan_sba"][:, None]
    dep = (tl.straight_line(buildout, x["open_month"], x["dep_months"][:, None], horizon)
           + tl.straight_line(equipment, x["open_month"], x["dep_equip_months"][:, None], horizon))
    return {
        "capex": tl.at_index(spend, when, horizon).sum(axis=1),
        "capex_buildout": tl.at_index(buildout, when, horizon).sum(axis=1),
        "capex_equipment": tl.at_index(equipment, when, horizon).sum(axis=1),
        "loan_draw": loan.draw.sum(axis=1),
        "loan_fee": tl.at_index(fee, when, horizon).sum(axis=1),
        "interest": loan.interest.sum(axis=1),
        "principal_repaid": loan.principal_repaid.sum(axis=1),
        "loan_balance": loan.balance.sum(axis=1),
        "loan_balance_end": loan.balance[..., -1].sum(axis=1),
        "depreciation": dep.sum(axis=1),
    }


#: Month-end balances of the working capital (T, M), from the days inputs; a month is 365/12 days.
DAYS_PER_MONTH = 365.0 / 12.0


def working_capital(x: dict, revenue: np.ndarray, product_cost: np.ndarray,
                    deferred_dues: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Inventory and payables on the month's product cost, deferred revenue on its revenue:
    balance = flow of the month x days / (365/12); ``change`` is the increase of
    inventory - payables - deferred revenue over the month before (cash tied up).
    ``deferred_dues`` (T, M): membership dues billed but not yet recognized (credit redeemed
    over ``redemption_months``), added to deferred revenue."""
    per_day = 1.0 / DAYS_PER_MONTH
    inventory = product_cost * (x["inventory_days"] * per_day)[:, None]
    payables = product_cost * (x["payables_days"] * per_day)[:, None]
    deferred = revenue * (x["prepaid_share"] * x["prepaid_days"] * per_day)[:, None]
    if deferred_dues is not None:
        deferred = deferred + deferred_dues
    net = inventory - payables - deferred
    return {"inventory": inventory, "payables": payables, "deferred_revenue": deferred,
            "change": tl.increase(net)}


@dataclass
class Managed:
    """One management option's operation, before the legal structure is applied.

    ``opex_weights`` (broadcast to (T, S, K)) is the share of each running cost the business
    still pays; ``mso_fee`` / ``software_fee`` (T, S, M) are the third-party MSO's fee and the
    subscription (None when the option has none); ``one_time`` (T, M) its onboarding or
    implementation fees; ``covers_pc`` (T,) is 1 where a third-party MSO supplies the
    physician-owned PC (its fee then covers the friendly-PC structure's own costs).
    """

    option: str
    op: Operation
    clinical: np.ndarray
    admin: np.ndarray
    opex_weights: np.ndarray | float
    mso_fee: np.ndarray | None
    software_fee: np.ndarray | None
    one_time: np.ndarray
    exit_multiple: np.ndarray
    termination_fee: np.ndarray | None = None
    covers_pc: np.ndarray | None = None


def option_exit_multiple(x: dict, name: str) -> np.ndarray:
    """An option's own exit multiple where the scenario sets one (>= 0), else the finance one."""
    return np.where(x[name] >= 0, x[name], x["exit_multiple"])


def finish(option: str, x: dict, horizon: int, site: dict[str, np.ndarray], *,
           overhead: np.ndarray, one_time: np.ndarray, exit_multiple: np.ndarray,
           termination_fee: np.ndarray | None = None,
           taxable_parts: list[np.ndarray] | None = None,
           entities: dict | None = None, cap: dict[str, np.ndarray] | None = None,
           capital_entity_one_time: np.ndarray | None = None,
           deferred_dues: np.ndarray | None = None, cash_only: bool = False,
           site_totals: dict[str, np.ndarray] | None = None) -> Projection:
    """Assemble the company view and the net cash flow (see the module docstring).

    ``taxable_parts``: per-entity taxable income; interest, depreciation, the loan fee and the
    one-time costs of the entity that owns the capital (``capital_entity_one_time``, default all
    one-time costs) are taken off the last part.  Default: one entity.  Working capital sits with
    the first part's entity (the clinical one, which sells and buys product).

    ``deferred_dues`` (T, M): membership dues billed ahead of their recognition (see
    :func:`working_capital`).

    Also the *unlevered* (project) cash flow: the same without the loan (no draw, fee, interest
    or repayment; tax without the interest and fee deduction; the exit before repaying the loan).

    ``cash_only``: the projection holds ``site`` and the company's ``net_cash_flow`` only (what
    a Monte Carlo trial needs; the same numbers).  ``site_totals``: revenue and product cost
    already summed over sites (T, M), when at hand.
    """
    cap = cap if cap is not None else capital(x, horizon)
    ebitda = site["ebitda"].sum(axis=1) - overhead
    own_once = one_time if capital_entity_one_time is None else capital_entity_one_time
    parts = taxable_parts or [ebitda]
    before = parts[-1] - cap["depreciation"] - own_once
    taxes = [tax_paid(p, x["tax_rate"]) for p in
             [*parts[:-1], before - cap["interest"] - cap["loan_fee"]]]
    tax = sum(taxes)
    totals = site_totals or {k: site[k].sum(axis=1) for k in ("revenue", "product_cost")}
    wc = working_capital(x, totals["revenue"], totals["product_cost"], deferred_dues)
    reserve = x["cash_reserve"]
    pc = len(parts) > 1  # friendly PC: the owner owns the MSO, a physician the PC
    # What the owner sells: the business, or under the friendly PC the MSO (valued on its own
    # EBITDA; the PC, its working capital and its prepaid obligations stay with the physician).
    trailing = (parts[-1] if pc else ebitda)[:, -12:].sum(axis=-1)
    if pc:  # a PC running at a loss cannot pay the fee: the owner's MSO funds the shortfall
        trailing = trailing + np.minimum(parts[0][:, -12:].sum(axis=-1), 0.0)
    gross_exit = exit_multiple * np.maximum(trailing, 0.0)
    if termination_fee is not None:
        gross_exit = gross_exit - termination_fee
    # The buyer takes the business cash-free and debt-free: the seller repays the loan and keeps
    # the reserve; prepaid treatments still owed (deferred revenue) are debt-like.
    fixed_assets = (cap["capex"] - cap["depreciation"]).sum(axis=-1)
    if not pc:
        gross_exit = gross_exit - wc["deferred_revenue"][:, -1]
    # The gain over the tax basis of what is sold is taxed at the exit rate (no recapture).
    basis = fixed_assets if pc else (fixed_assets + wc["inventory"][:, -1] - wc["payables"][:, -1])
    exit_tax = np.zeros_like(ebitda)
    exit_tax[:, -1] = x["exit_tax_rate"] * np.maximum(gross_exit - basis, 0.0)
    gross_exit = gross_exit - exit_tax[:, -1]
    exit_value = np.zeros_like(ebitda)
    exit_value[:, -1] = gross_exit - cap["loan_balance_end"] + reserve
    payment = cap["interest"] + cap["principal_repaid"]
    operating = ebitda - one_time - cap["capex"] - wc["change"]
    operating[:, 0] -= reserve
    retained = np.zeros_like(ebitda)
    if pc:  # the PC's cash is its physician owner's, except that the owner's MSO funds its
        # shortfalls and is repaid first: the owner's share is the PC's cumulative cash below 0
        pc_cash = parts[0] - taxes[0] - wc["change"]
        to_owner = tl.increase(np.minimum(np.cumsum(pc_cash, axis=-1), 0.0))
        retained = pc_cash - to_owner
    cash = operating + cap["loan_draw"] - cap["loan_fee"] - payment - tax + exit_value - retained
    if cash_only:
        return Projection(option, site, {"net_cash_flow": cash})
    tax_unlevered = sum(tax_paid(p, x["tax_rate"]) for p in [*parts[:-1], before])
    unlevered = operating - tax_unlevered - retained
    unlevered[:, -1] += gross_exit + reserve
    company = {"overhead": overhead, "ebitda": ebitda, "one_time": one_time,
               **{k: v for k, v in cap.items() if k != "loan_balance"},
               "working_capital_change": wc["change"], "tax": tax, "pc_retained": retained,
               "exit_tax": exit_tax,
               "exit_value": exit_value, "net_cash_flow": cash, "unlevered_cash_flow": unlevered}
    balances = {"loan_balance": cap["loan_balance"], "inventory": wc["inventory"],
                "payables": wc["payables"], "deferred_revenue": wc["deferred_revenue"],
                "cash_reserve": reserve, "capital_entity_one_time": own_once}
    return Projection(option, site, company, entities or {}, balances=balances,
                      entity_tax=taxes)


def conditions(x: dict, option: str, is_open: np.ndarray, horizon: int):
    """License-condition costs of ``option``: monthly per open site (T, S, M) and one-time per
    site before it opens, summed over sites (T, M); see :mod:`msomodel.compliance`."""
    o = OPTIONS.index(option)
    monthly = tl.once_for_all_trials(lambda cost, on: cost[:, None, None] * on,
                                     x["cond_monthly"][:, o], is_open)
    return monthly, tl.per_site_once(x["cond_once"][:, o], x["open_month"], horizon)


def site_lines(**lines: np.ndarray) -> dict[str, np.ndarray]:
    """Complete a site-line dict: missing lines are zero, EBITDA = revenue - all costs."""
    shape = lines["revenue"].shape
    out = {name: lines[name] if name in lines else np.zeros(shape) for name in SITE_LINES[:-1]}
    # revenue - (0 + cost + cost ...) in the lines' order, summed in place; a missing line is
    # zero and adds nothing after the first addition (which turns -0.0 into 0.0), so it is skipped
    given = [lines[name] for name in SITE_LINES[1:-1] if name in lines]
    costs = np.add(given[0], 0.0, out=np.empty(shape)) if given else np.zeros(shape)
    for cost in given[1:]:
        costs += cost
    out["ebitda"] = np.subtract(out["revenue"], costs, out=costs)
    return out
