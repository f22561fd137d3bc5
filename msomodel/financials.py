"""The financial statements of one option as tables: monthly and annual, per entity, plus what a
lender reads off them (sources and uses, debt-service coverage, the lowest cash).

The numbers come from :mod:`msomodel.options.statements` (trial 0, the base case); this module
only shapes them.  Annual views sum the flows of each project year (year 1 also holds index 0)
and take balances at the year's last month.  Amounts in USD, unrounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from msomodel import timeline as tl
from msomodel.options import Projection
from msomodel.options.statements import (
    BALANCE,
    BALANCE_LINES,
    CASH_FLOW,
    INCOME,
    SOURCES,
    USES,
    debt_service,
    sources_and_uses,
    statements,
)

STATEMENTS = {"income_statement": INCOME, "cash_flow": CASH_FLOW, "balance_sheet": BALANCE}


@dataclass
class Financials:
    """One option's statements (trial 0) with the lender's figures; see :func:`financials`."""

    monthly: dict[str, pd.DataFrame]        # entity -> every line by month (index 0..H)
    annual: dict[str, dict[str, pd.DataFrame]]  # entity -> statement -> lines by year
    sources_uses: dict[str, Any]
    debt: pd.DataFrame                      # by year: ebitda, debt_service, dscr, below_covenant
    covenant: float
    lowest_cash: tuple[float, int]          # (amount, month index) of the group's cash
    main: str                               # "company" or "consolidated"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: annual statements per entity (USD), sources and uses, debt service."""
        def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{"year": int(y), **{k: _num(v) for k, v in r.items()}}
                    for y, r in frame.iterrows()]
        su = self.sources_uses
        return {
            "entities": {e: {name: rows(f) for name, f in st.items()}
                         for e, st in self.annual.items()},
            "balance_check_max_abs": _num(max(float(np.abs(m["check"]).max())
                                              for m in self.monthly.values())),
            "sources_and_uses": {"through_month": int(su["through"]),
                                 "uses": {k: _num(v) for k, v in su["uses"].items()},
                                 "sources": {k: _num(v) for k, v in su["sources"].items()},
                                 "total": _num(su["total_uses"])},
            "debt_service": {"covenant": self.covenant,
                             "years": [{"year": int(y), "ebitda": _num(r["ebitda"]),
                                        "debt_service": _num(r["debt_service"]),
                                        "dscr": _num(r["dscr"]),
                                        "below_covenant": bool(r["below_covenant"])}
                                       for y, r in self.debt.iterrows()]},
            "lowest_cash": {"amount": _num(self.lowest_cash[0]), "month": self.lowest_cash[1]},
        }


def _num(v: Any) -> float | None:
    v = float(v)
    return None if not np.isfinite(v) else round(v, 2) + 0.0  # (+ 0.0: no -0.0)


def financials(p: Projection, horizon: int, covenant: float) -> Financials:
    """Statements of ``p`` for trial 0: monthly frames, annual statements, sources and uses,
    DSCR by year against ``covenant``."""
    lines = statements(p)
    year0 = tl.project_year(horizon)
    monthly = {e: pd.DataFrame({k: v[0] for k, v in s.items()}).rename_axis("month")
               for e, s in lines.items()}
    annual = {e: _annual(m, year0 + 1) for e, m in monthly.items()}
    main = "consolidated" if "consolidated" in lines else "company"
    top = lines[main]
    su = sources_and_uses(top, p.company["capex_buildout"], p.company["capex_equipment"],
                          p.balances["cash_reserve"])
    su = {"uses": {k: float(su["uses"][k][0]) for k in USES},
          "sources": {k: float(su["sources"][k][0]) for k in SOURCES},
          "total_uses": float(su["total_uses"][0]), "total_sources": float(su["total_sources"][0]),
          "through": int(su["through"][0])}
    ds = debt_service(top, year0)
    debt = pd.DataFrame({k: v[0] for k, v in ds.items()},
                        index=pd.RangeIndex(1, ds["dscr"].shape[-1] + 1, name="year"))
    debt["below_covenant"] = debt["dscr"] < covenant  # NaN (no debt service) compares False
    cash = monthly[main]["cash"].to_numpy()
    first = int(np.argmin(cash[1:]) + 1) if cash.size > 1 else 0
    return Financials(monthly, annual, su, debt, covenant, (float(cash[first]), first), main)


def _annual(m: pd.DataFrame, year: np.ndarray) -> dict[str, pd.DataFrame]:
    flows = m.groupby(year).sum()
    ends = m.groupby(year).last()
    out = {}
    for name, cols in STATEMENTS.items():
        frame = pd.DataFrame({c: (ends[c] if c in BALANCE_LINES else flows[c]) for c in cols})
        frame.index.name = "year"
        out[name] = frame
    return out
