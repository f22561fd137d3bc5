"""The three financial statements of a projection, monthly, per entity, for every trial.

Built from a :class:`~msomodel.options.finish.Projection` (no second model): each line has shape
(T, M), index 0..H as everywhere (see :mod:`msomodel.timeline`).  Entities: ``company`` under
direct ownership; ``pc``, ``mso`` and ``consolidated`` (= PC + MSO, the management fee
eliminated, and the loan between them) under the friendly-PC structure.  The PC holds the working capital (it sells the
treatments and buys the product); the MSO, or the company, holds the capital, the loan and the
cash reserve.

Conventions (stated once, README "Financial statements"):

- income statement: net income = EBITDA - one-time costs (incl. a loan's upfront fee) -
  depreciation - interest - tax; tax is paid in the month it is due (no tax payable);
- cash flow: operating = net income + depreciation - increase of inventory + increase of
  payables + increase of deferred revenue; investing = - capex; financing = loan draw -
  principal repaid + advances between PC and MSO + owner's contributions - owner's
  distributions;
- cash policy: the owner puts in the cash reserve at index 0; every later month's surplus is
  distributed and every shortfall contributed, so cash stays at the reserve.  Distributions
  minus contributions are the owner's net cash flow before the exit (the PC's go to its
  physician owner);
- friendly PC: the owner's MSO funds the PC while the PC's cumulative cash is below zero and is
  repaid first (:mod:`msomodel.options.finish`).  That balance is a loan between them, not
  equity: ``due_to_mso`` in the PC's balance sheet and ``due_from_pc`` in the MSO's, its monthly
  change ``advances_from_mso`` / ``advances_to_pc`` in their financing.  So the MSO's
  distributions less contributions are exactly the owner's cash flow before the exit, and the
  PC's are its physician owner's.  Consolidation eliminates both;
- balance sheet at month end: cash, due from the PC, inventory, fixed assets (cost less
  depreciation) = loan balance + payables + deferred revenue + due to the MSO + paid-in capital
  + retained earnings - distributions.
  ``check`` (assets - liabilities - equity) is zero every month (tested to the cent).
- the exit is the owner's sale of the business, outside the business's own statements.
"""

from __future__ import annotations

import numpy as np

from msomodel.options.finish import Projection

INCOME = ("revenue", "operating_costs", "ebitda", "one_time", "depreciation", "interest", "tax",
          "net_income")
CASH_FLOW = ("net_income", "depreciation", "change_inventory", "change_payables",
             "change_deferred_revenue", "operating", "capex", "investing", "loan_draw",
             "loan_repaid", "advances_from_mso", "advances_to_pc", "contributions",
             "distributions", "financing", "net_change", "cash")
BALANCE = ("cash", "due_from_pc", "inventory", "fixed_assets", "total_assets", "loan_balance",
           "payables", "deferred_revenue", "due_to_mso", "total_liabilities", "paid_in_capital",
           "retained_earnings", "distributions_to_date", "total_equity", "check")
#: The lines between the PC and the MSO (zero for a company; eliminated in consolidation).
INTERCOMPANY = ("advances_from_mso", "advances_to_pc", "due_from_pc", "due_to_mso")
#: Lines that are month-end balances (an annual view takes the year's last month), not flows.
BALANCE_LINES = frozenset(BALANCE) | {"cash"}


def statements(p: Projection) -> dict[str, dict[str, np.ndarray]]:
    """Every entity's lines: income statement, cash flow and balance sheet in one dict each."""
    c, b = p.company, p.balances
    zero = np.zeros_like(c["ebitda"])
    reserve = np.broadcast_to(np.asarray(b["cash_reserve"], dtype=float), zero.shape[:1])
    capital = {"depreciation": c["depreciation"], "interest": c["interest"],
               "capex": c["capex"], "loan_draw": c["loan_draw"],
               "principal_repaid": c["principal_repaid"], "loan_balance": b["loan_balance"],
               "reserve": reserve}
    working = {k: b[k] for k in ("inventory", "payables", "deferred_revenue")}
    none_capital = {**{k: zero for k in capital}, "reserve": np.zeros_like(reserve)}
    none_working = {k: zero for k in working}
    revenue = p.site["revenue"].sum(axis=1)
    if not p.entities:
        company = _entity(revenue, c["ebitda"], c["one_time"] + c["loan_fee"], p.entity_tax[0],
                          **capital, **working)
        return {"company": company}
    pc, mso = p.entities["pc"], p.entities["mso"]
    own_once = b["capital_entity_one_time"]
    out = {"pc": _entity(pc["revenue"], pc["ebitda"], c["one_time"] - own_once, p.entity_tax[0],
                         **none_capital, **working, funded_by_mso=True)}
    out["mso"] = _entity(mso["management_fee"], mso["ebitda"], own_once + c["loan_fee"],
                         p.entity_tax[1], **capital, **none_working,
                         advances_to_pc=-out["pc"]["advances_from_mso"])
    out["consolidated"] = _consolidate(out["pc"], out["mso"], revenue)
    return out


def _entity(revenue, ebitda, one_time, tax, *, depreciation, interest, capex, loan_draw,
            principal_repaid, loan_balance, reserve, inventory, payables, deferred_revenue,
            funded_by_mso: bool = False,
            advances_to_pc: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """One entity's lines.  ``funded_by_mso``: the PC, whose cumulative shortfall the MSO
    lends it (and is repaid first); ``advances_to_pc``: the MSO's side of that loan."""
    s = {"revenue": revenue, "operating_costs": revenue - ebitda, "ebitda": ebitda,
         "one_time": one_time, "depreciation": depreciation, "interest": interest, "tax": tax}
    s["net_income"] = ebitda - one_time - depreciation - interest - tax
    s["change_inventory"] = -_increase(inventory)
    s["change_payables"] = _increase(payables)
    s["change_deferred_revenue"] = _increase(deferred_revenue)
    s["operating"] = (s["net_income"] + depreciation + s["change_inventory"]
                      + s["change_payables"] + s["change_deferred_revenue"])
    s["capex"] = capex
    s["investing"] = -capex
    s["loan_draw"], s["loan_repaid"] = loan_draw, -principal_repaid
    before_owner = s["operating"] + s["investing"] + loan_draw - principal_repaid
    zero = np.zeros_like(before_owner)
    due = np.maximum(-np.cumsum(before_owner, axis=-1), 0.0) if funded_by_mso else zero
    s["advances_from_mso"] = _increase(due) if funded_by_mso else zero
    s["advances_to_pc"] = zero if advances_to_pc is None else advances_to_pc
    before_owner = before_owner + s["advances_from_mso"] + s["advances_to_pc"]
    put_in = np.zeros_like(before_owner)
    put_in[:, 0] = reserve
    s["contributions"] = np.maximum(-before_owner, 0.0) + put_in
    s["distributions"] = -np.maximum(before_owner, 0.0)
    s["financing"] = (loan_draw - principal_repaid + s["advances_from_mso"] + s["advances_to_pc"]
                      + s["contributions"] + s["distributions"])
    s["net_change"] = s["operating"] + s["investing"] + s["financing"]
    s["cash"] = np.cumsum(s["net_change"], axis=-1)
    s["inventory"] = inventory
    s["fixed_assets"] = np.cumsum(capex - depreciation, axis=-1)
    s["due_from_pc"] = -np.cumsum(s["advances_to_pc"], axis=-1)
    s["total_assets"] = s["cash"] + s["due_from_pc"] + inventory + s["fixed_assets"]
    s["loan_balance"], s["payables"], s["deferred_revenue"] = loan_balance, payables, deferred_revenue
    s["due_to_mso"] = due
    s["total_liabilities"] = loan_balance + payables + deferred_revenue + due
    s["paid_in_capital"] = np.cumsum(s["contributions"], axis=-1)
    s["retained_earnings"] = np.cumsum(s["net_income"], axis=-1)
    s["distributions_to_date"] = np.cumsum(s["distributions"], axis=-1)
    s["total_equity"] = s["paid_in_capital"] + s["retained_earnings"] + s["distributions_to_date"]
    s["check"] = s["total_assets"] - s["total_liabilities"] - s["total_equity"]
    return s


def _increase(balance: np.ndarray) -> np.ndarray:
    return np.diff(balance, axis=-1, prepend=0.0)


def _consolidate(pc: dict, mso: dict, revenue: np.ndarray) -> dict[str, np.ndarray]:
    """PC + MSO line by line; the management fee is the MSO's revenue and the PC's cost, so it
    drops out of consolidated revenue and operating costs."""
    out = {k: pc[k] + mso[k] for k in pc}
    out["revenue"] = revenue
    out["operating_costs"] = revenue - out["ebitda"]
    # the loan between them: the MSO's receivable is the PC's payable, its flows cancel
    out["total_assets"] = out["total_assets"] - mso["due_from_pc"]
    out["total_liabilities"] = out["total_liabilities"] - pc["due_to_mso"]
    for line in INTERCOMPANY:
        out[line] = np.zeros_like(out[line])
    return out


# -- what lenders read off the statements --------------------------------------------------------

def debt_service(s: dict[str, np.ndarray], year: np.ndarray) -> dict[str, np.ndarray]:
    """Per project year (T, Y): EBITDA, debt service (interest + principal) and the coverage
    ``dscr`` = EBITDA / debt service (SBA's operating cash flow over debt service; NaN in a year
    without debt service).  ``year``: the 0-based year of each index."""
    ebitda, service = _by_year(s["ebitda"], year), _by_year(s["interest"] - s["loan_repaid"], year)
    dscr = np.divide(ebitda, service, out=np.full_like(ebitda, np.nan), where=service > 0.005)
    return {"ebitda": ebitda, "debt_service": service, "dscr": dscr}


def _by_year(a: np.ndarray, year: np.ndarray) -> np.ndarray:
    n = int(year.max()) + 1
    out = np.zeros((*a.shape[:-1], n))
    for y in range(n):  # a handful of years, not months or trials
        out[..., y] = a[..., year == y].sum(axis=-1)
    return out


USES = ("buildout", "equipment", "one_time", "working_capital", "cash_reserve", "operating_losses",
        "loan_repaid", "pc_owner_distributions")
SOURCES = ("loans", "owner_equity", "pc_owner_equity", "operating_cash",
           "working_capital_released")


def sources_and_uses(s: dict[str, np.ndarray], capex_buildout: np.ndarray,
                     capex_equipment: np.ndarray, reserve: np.ndarray,
                     owner: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Funding of the business ``s`` through the month of peak funding (the owner's lowest
    cumulative position before the exit), each (T,); ``through`` is that index.  ``owner`` is
    the entity whose contributions and distributions are the owner's (under the friendly PC
    the MSO, when ``s`` is the group; default ``s``).  Uses: build-out, equipment, one-time
    costs, working capital built up, the cash reserve, operating losses (EBITDA - interest -
    tax, when negative), loan repayments and what the PC paid its physician owner; sources:
    loans, the owner's net equity (contributions - distributions, so the peak funding need
    itself), what the physician owner put in, operating cash (when positive) and working
    capital released.  Sources = uses exactly (see the module docstring's identities)."""
    owner = s if owner is None else owner
    owner_flow = -(owner["contributions"] + owner["distributions"])  # before the exit
    through = np.argmin(np.cumsum(owner_flow, axis=-1), axis=-1)
    upto = np.arange(owner_flow.shape[-1]) <= through[:, None]

    def total(a: np.ndarray) -> np.ndarray:
        return np.where(upto, a, 0.0).sum(axis=-1)

    operating = total(s["ebitda"] - s["interest"] - s["tax"])
    tied = -total(s["change_inventory"] + s["change_payables"] + s["change_deferred_revenue"])
    yours = total(owner["contributions"] + owner["distributions"])
    others = total(s["contributions"] + s["distributions"]) - yours  # the PC's physician owner
    uses = {"buildout": total(capex_buildout), "equipment": total(capex_equipment),
            "one_time": total(s["one_time"]), "working_capital": np.maximum(tied, 0.0),
            "cash_reserve": np.asarray(reserve, dtype=float) + 0.0 * operating,
            "operating_losses": np.maximum(-operating, 0.0), "loan_repaid": -total(s["loan_repaid"]),
            "pc_owner_distributions": np.maximum(-others, 0.0)}
    sources = {"loans": total(s["loan_draw"]), "owner_equity": yours,
               "pc_owner_equity": np.maximum(others, 0.0),
               "operating_cash": np.maximum(operating, 0.0),
               "working_capital_released": np.maximum(-tied, 0.0)}
    return {"uses": uses, "sources": sources, "total_uses": sum(uses.values()),
            "total_sources": sum(sources.values()), "through": through}
