"""The financial statements of one option as tables: monthly and annual, per entity, plus what a
lender reads off them (sources and uses, debt-service coverage, the lowest cash).

The numbers come from :mod:`msomodel.options.statements` (trial 0, the base case); this module
only shapes them.  Annual views sum the flows of each project year (year 1 also holds index 0)
and take balances at the year's last month.  Amounts in USD, unrounded.

The statements are kept as arrays (summed by year with :mod:`msomodel.yearly`); the DataFrames
(``monthly``, ``annual``, ``debt``) are built, with pandas, on first use, and :meth:`to_dict`
needs none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

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
from msomodel.yearly import distinct, group_last, group_sum

if TYPE_CHECKING:
    import pandas as pd
else:
    from msomodel import lazy

    pd = lazy.module("pandas")

STATEMENTS = {"income_statement": INCOME, "cash_flow": CASH_FLOW, "balance_sheet": BALANCE}


@dataclass
class Financials:
    """One option's statements (trial 0) with the lender's figures; see :func:`financials`."""

    lines: dict[str, dict[str, np.ndarray]]  # entity -> every line by month (index 0..H)
    years: np.ndarray                         # the project years 1, 2, ...
    annual_lines: dict[str, dict[str, dict[str, np.ndarray]]]  # entity -> statement -> line
    sources_uses: dict[str, Any]
    debt_lines: dict[str, np.ndarray]         # by year: ebitda, debt_service, dscr, below_covenant
    covenant: float
    lowest_cash: tuple[float, int]            # (amount, month index) of the group's cash
    main: str                                 # "company" or "consolidated"

    @cached_property
    def monthly(self) -> dict[str, pd.DataFrame]:
        """Entity -> every line by month (index 0..H)."""
        return {e: pd.DataFrame(s).rename_axis("month") for e, s in self.lines.items()}

    @cached_property
    def annual(self) -> dict[str, dict[str, pd.DataFrame]]:
        """Entity -> statement -> lines by year."""
        index = pd.Index(self.years, name="year")
        return {e: {name: pd.DataFrame(cols, index=index) for name, cols in st.items()}
                for e, st in self.annual_lines.items()}

    @cached_property
    def debt(self) -> pd.DataFrame:
        """By year: ebitda, debt_service, dscr, below_covenant."""
        return pd.DataFrame(self.debt_lines,
                            index=pd.RangeIndex(1, len(self.debt_lines["dscr"]) + 1, name="year"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: annual statements per entity (USD), sources and uses, debt service."""
        def rows(cols: dict[str, np.ndarray]) -> list[dict[str, Any]]:
            return [{"year": int(y), **{k: _num(v[i]) for k, v in cols.items()}}
                    for i, y in enumerate(self.years)]
        su, d = self.sources_uses, self.debt_lines
        return {
            "entities": {e: {name: rows(cols) for name, cols in st.items()}
                         for e, st in self.annual_lines.items()},
            "balance_check_max_abs": _num(max(_abs_max(m["check"]) for m in self.lines.values())),
            "sources_and_uses": {"through_month": int(su["through"]),
                                 "uses": {k: _num(v) for k, v in su["uses"].items()},
                                 "sources": {k: _num(v) for k, v in su["sources"].items()},
                                 "total": _num(su["total_uses"])},
            "debt_service": {"covenant": self.covenant,
                             "years": [{"year": i + 1, "ebitda": _num(d["ebitda"][i]),
                                        "debt_service": _num(d["debt_service"][i]),
                                        "dscr": _num(d["dscr"][i]),
                                        "below_covenant": bool(d["below_covenant"][i])}
                                       for i in range(len(d["dscr"]))]},
            "lowest_cash": {"amount": _num(self.lowest_cash[0]), "month": self.lowest_cash[1]},
        }


def _num(v: Any) -> float | None:
    v = float(v)
    return None if not np.isfinite(v) else round(v, 2) + 0.0  # (+ 0.0: no -0.0)


def _abs_max(values: np.ndarray) -> float:
    """Largest absolute value, NaN skipped (NaN if there is none), as pandas' ``max``."""
    a = np.abs(values[~np.isnan(values)])
    return float(a.max()) if a.size else float("nan")


def financials(p: Projection, horizon: int, covenant: float) -> Financials:
    """Statements of ``p`` for trial 0: monthly lines, annual statements, sources and uses,
    DSCR by year against ``covenant``."""
    lines = statements(p)
    year0 = tl.project_year(horizon)
    monthly = {e: {k: v[0] for k, v in s.items()} for e, s in lines.items()}
    years = distinct(year0 + 1)
    annual = {e: _annual(m, year0 + 1) for e, m in monthly.items()}
    main = "consolidated" if "consolidated" in lines else "company"
    top = lines[main]
    su = sources_and_uses(top, p.company["capex_buildout"], p.company["capex_equipment"],
                          p.balances["cash_reserve"], owner=lines.get("mso", top))
    su = {"uses": {k: float(su["uses"][k][0]) for k in USES},
          "sources": {k: float(su["sources"][k][0]) for k in SOURCES},
          "total_uses": float(su["total_uses"][0]), "total_sources": float(su["total_sources"][0]),
          "through": int(su["through"][0])}
    ds = debt_service(top, year0)
    debt = {k: v[0] for k, v in ds.items()}
    debt["below_covenant"] = debt["dscr"] < covenant  # NaN (no debt service) compares False
    cash = monthly[main]["cash"]
    first = int(np.argmin(cash[1:]) + 1) if cash.size > 1 else 0
    return Financials(monthly, years, annual, su, debt, covenant, (float(cash[first]), first),
                      main)


def _annual(m: dict[str, np.ndarray], year: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    names = list(m)
    values = np.column_stack([m[n] for n in names])
    flows = dict(zip(names, group_sum(values, year)[1].T, strict=True))
    ends = dict(zip(names, group_last(values, year)[1].T, strict=True))
    return {name: {c: np.ascontiguousarray(ends[c] if c in BALANCE_LINES else flows[c])
                   for c in cols}
            for name, cols in STATEMENTS.items()}
