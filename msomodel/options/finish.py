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
  still outstanding and any termination fee.  No tax on the exit gain.
- net cash flow = EBITDA - one-time - capex + loan draw - loan payment - tax + net exit.
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

    @property
    def net_cash_flow(self) -> np.ndarray:
        return self.company["net_cash_flow"]


def tax_paid(taxable: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Monthly tax with unlimited loss carry-forward; taxable shape (T, M), rate (T,)."""
    taxed = np.maximum.accumulate(np.maximum(np.cumsum(taxable, axis=-1), 0.0), axis=-1)
    return rate[:, None] * np.diff(taxed, axis=-1, prepend=0.0)


_CAPITAL_INPUTS = ("startup", "equipment", "open_month", "loan_frac", "loan_rate", "loan_term",
                   "dep_months")


def capital(x: dict, horizon: int) -> dict[str, np.ndarray]:
    """Capex, loan and depreciation lines, summed over sites, shape (T, M).

    The same for every option; when no capital input varies across trials it is computed for
    one trial and broadcast (read-only) to all.
    """
    T = x["open_month"].shape[0]
    if T > 1 and all(np.array_equal(x[k], np.broadcast_to(x[k][:1], x[k].shape))
                     for k in _CAPITAL_INPUTS):
        one = capital({k: x[k][:1] for k in _CAPITAL_INPUTS}, horizon)
        return {k: np.broadcast_to(v, (T, *v.shape[1:])) for k, v in one.items()}
    spend = x["startup"] + x["equipment"].sum(axis=-1)  # (T, S)
    when = x["open_month"] - 1.0
    loan = finance.loan_schedule(spend * x["loan_frac"][:, None], x["loan_rate"][:, None],
                                 x["loan_term"][:, None], when, horizon + 1)
    dep = tl.straight_line(spend, x["open_month"], x["dep_months"][:, None], horizon)
    return {
        "capex": tl.at_index(spend, when, horizon).sum(axis=1),
        "loan_draw": loan.draw.sum(axis=1),
        "interest": loan.interest.sum(axis=1),
        "principal_repaid": loan.principal_repaid.sum(axis=1),
        "loan_balance_end": loan.balance[..., -1].sum(axis=1),
        "depreciation": dep.sum(axis=1),
    }


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
           capital_entity_one_time: np.ndarray | None = None) -> Projection:
    """Assemble the company view and the net cash flow (see the module docstring).

    ``taxable_parts``: per-entity taxable income; interest, depreciation and the one-time costs
    of the entity that owns the capital (``capital_entity_one_time``, default all one-time
    costs) are taken off the last part.  Default: one entity.

    Also the *unlevered* (project) cash flow: the same without the loan (no draw, interest or
    repayment; tax without the interest deduction; the exit before repaying the loan).
    """
    cap = cap if cap is not None else capital(x, horizon)
    ebitda = site["ebitda"].sum(axis=1) - overhead
    own_once = one_time if capital_entity_one_time is None else capital_entity_one_time
    parts = taxable_parts or [ebitda]
    before = parts[-1] - cap["depreciation"] - own_once
    tax = sum(tax_paid(p, x["tax_rate"]) for p in [*parts[:-1], before - cap["interest"]])
    tax_unlevered = sum(tax_paid(p, x["tax_rate"]) for p in [*parts[:-1], before])
    trailing = ebitda[:, -12:].sum(axis=-1)
    gross_exit = exit_multiple * np.maximum(trailing, 0.0)
    if termination_fee is not None:
        gross_exit = gross_exit - termination_fee
    exit_value = np.zeros_like(ebitda)
    exit_value[:, -1] = gross_exit - cap["loan_balance_end"]
    payment = cap["interest"] + cap["principal_repaid"]
    operating = ebitda - one_time - cap["capex"]
    cash = operating + cap["loan_draw"] - payment - tax + exit_value
    unlevered = operating - tax_unlevered
    unlevered[:, -1] += gross_exit
    company = {"overhead": overhead, "ebitda": ebitda, "one_time": one_time, **cap, "tax": tax,
               "exit_value": exit_value, "net_cash_flow": cash, "unlevered_cash_flow": unlevered}
    return Projection(option, site, company, entities or {})


def conditions(x: dict, option: str, is_open: np.ndarray, horizon: int):
    """Licence-condition costs of ``option``: monthly per open site (T, S, M) and one-time per
    site before it opens, summed over sites (T, M); see :mod:`msomodel.compliance`."""
    o = OPTIONS.index(option)
    monthly = x["cond_monthly"][:, o][:, None, None] * is_open
    once = np.broadcast_to(x["cond_once"][:, o][:, None], x["open_month"].shape)
    return monthly, tl.at_index(once, x["open_month"] - 1.0, horizon).sum(axis=1)


def site_lines(**lines: np.ndarray) -> dict[str, np.ndarray]:
    """Complete a site-line dict: missing lines are zero, EBITDA = revenue - all costs."""
    shape = lines["revenue"].shape
    out = {name: lines.get(name, np.zeros(shape)) for name in SITE_LINES[:-1]}
    out["ebitda"] = out["revenue"] - sum(out[n] for n in SITE_LINES[1:-1])
    return out
