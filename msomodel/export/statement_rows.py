"""The three statements as formulas on an option sheet, monthly per entity (``company``, or
``pc``, ``mso`` and ``consolidated`` under the friendly PC), with their annual view: flows summed
per project year, balances at the year's last month.  The rules are msomodel's
(:mod:`msomodel.options.statements`): the business keeps the cash reserve, distributes every
month's surplus and is given every shortfall, so the balance sheet balances every month
(``check`` = 0).  Cached values are the engine's own statements.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from msomodel.export.grid import FIRST_COL, MonthSheet
from msomodel.financials import STATEMENTS
from msomodel.options.statements import BALANCE_LINES

#: Every line once, in statement order.
LINES = list(dict.fromkeys(line for lines in STATEMENTS.values() for line in lines))
Src = Callable[[int], str]


def entity(ms: MonthSheet, name: str, src: dict[str, Src | None],
           values: dict[str, np.ndarray]) -> dict[str, int]:
    """Write one entity's monthly lines; ``src`` gives the formula of each input line at month k
    (revenue, ebitda, one_time, tax, depreciation, interest, capex, loan_draw, principal,
    loan_balance, reserve, inventory, payables, deferred_revenue; None = zero)."""
    ms.heading(f"Statements, {name} (monthly)")
    rows: dict[str, int] = {}

    def s(key: str, k: int) -> str:
        f = src.get(key)
        return "0" if f is None else f(k)

    def c(line: str, k: int) -> str:
        return ms.cell(rows[line], k)

    def own(k: int) -> str:  # the row being written, previous month (running totals)
        return f"+{ms.cell(ms.next_row, k - 1)}" if k > 0 else ""

    def change(key: str, k: int, sign: str) -> str:
        now = f"({s(key, k)})"
        before = f"-({s(key, k - 1)})" if k > 0 else ""
        return f"{sign}({now}{before})"

    formulas: dict[str, Src] = {
        "revenue": lambda k: s("revenue", k),
        "operating_costs": lambda k: f"{c('revenue', k)}-({s('ebitda', k)})",
        "ebitda": lambda k: s("ebitda", k),
        "one_time": lambda k: s("one_time", k),
        "depreciation": lambda k: s("depreciation", k),
        "interest": lambda k: s("interest", k),
        "tax": lambda k: s("tax", k),
        "net_income": lambda k: (f"{c('ebitda', k)}-{c('one_time', k)}-{c('depreciation', k)}-"
                                 f"{c('interest', k)}-{c('tax', k)}"),
        "change_inventory": lambda k: change("inventory", k, "-"),
        "change_payables": lambda k: change("payables", k, "+"),
        "change_deferred_revenue": lambda k: change("deferred_revenue", k, "+"),
        "operating": lambda k: (f"{c('net_income', k)}+{c('depreciation', k)}+"
                                f"{c('change_inventory', k)}+{c('change_payables', k)}+"
                                f"{c('change_deferred_revenue', k)}"),
        "capex": lambda k: s("capex", k),
        "investing": lambda k: f"-{c('capex', k)}",
        "loan_draw": lambda k: s("loan_draw", k),
        "loan_repaid": lambda k: f"-({s('principal', k)})",
        "contributions": lambda k: (f"MAX(-({c('operating', k)}+{c('investing', k)}+"
                                    f"{c('loan_draw', k)}+{c('loan_repaid', k)}),0)"
                                    + (f"+{s('reserve', k)}" if k == 0 else "")),
        "distributions": lambda k: (f"-MAX({c('operating', k)}+{c('investing', k)}+"
                                    f"{c('loan_draw', k)}+{c('loan_repaid', k)},0)"),
        "financing": lambda k: (f"{c('loan_draw', k)}+{c('loan_repaid', k)}+"
                                f"{c('contributions', k)}+{c('distributions', k)}"),
        "net_change": lambda k: f"{c('operating', k)}+{c('investing', k)}+{c('financing', k)}",
        "cash": lambda k: f"{c('net_change', k)}{own(k)}",
        "inventory": lambda k: s("inventory", k),
        "fixed_assets": lambda k: f"{c('capex', k)}-{c('depreciation', k)}{own(k)}",
        "total_assets": lambda k: f"{c('cash', k)}+{c('inventory', k)}+{c('fixed_assets', k)}",
        "loan_balance": lambda k: s("loan_balance", k),
        "payables": lambda k: s("payables", k),
        "deferred_revenue": lambda k: s("deferred_revenue", k),
        "total_liabilities": lambda k: (f"{c('loan_balance', k)}+{c('payables', k)}+"
                                        f"{c('deferred_revenue', k)}"),
        "paid_in_capital": lambda k: f"{c('contributions', k)}{own(k)}",
        "retained_earnings": lambda k: f"{c('net_income', k)}{own(k)}",
        "distributions_to_date": lambda k: f"{c('distributions', k)}{own(k)}",
        "total_equity": lambda k: (f"{c('paid_in_capital', k)}+{c('retained_earnings', k)}+"
                                   f"{c('distributions_to_date', k)}"),
        "check": lambda k: (f"{c('total_assets', k)}-{c('total_liabilities', k)}-"
                            f"{c('total_equity', k)}"),
    }
    for line in LINES:
        rows[line] = ms.line(f"{name}: {line.replace('_', ' ')}", formulas[line], values[line],
                             fmt="total" if line in ("net_income", "cash", "check") else "money")
    return rows


def consolidated(ms: MonthSheet, parts: list[dict[str, int]], revenue_row: int,
                 values: dict[str, np.ndarray]) -> dict[str, int]:
    """Consolidated = PC + MSO line by line; revenue is the group's (the management fee drops
    out of revenue and operating costs)."""
    ms.heading("Statements, consolidated (monthly; the management fee eliminated)")
    rows: dict[str, int] = {}
    for line in LINES:
        if line == "revenue":
            def f(k: int) -> str:
                return ms.cell(revenue_row, k)
        elif line == "operating_costs":
            def f(k: int) -> str:
                ebitda = "+".join(ms.cell(p["ebitda"], k) for p in parts)
                return f"{ms.cell(rows['revenue'], k)}-({ebitda})"
        else:
            def f(k: int, line: str = line) -> str:
                return "+".join(ms.cell(p[line], k) for p in parts)
        rows[line] = ms.line(f"consolidated: {line.replace('_', ' ')}", f, values[line],
                             fmt="total" if line in ("net_income", "cash", "check") else "money")
    return rows


def annual(ms: MonthSheet, name: str, rows: dict[str, int], years: list[int], horizon: int,
           formats: dict, frames: dict) -> None:
    """The entity's annual statements below: flows by SUMIF on the project year, balances at
    the year's last month (index min(12 y, H))."""
    year_span = ms.span(3)
    for statement, lines in STATEMENTS.items():
        head = ms.next_row
        ms.ws.write(head, 0, f"{name}: {statement.replace('_', ' ')} (annual)", formats["heading"])
        for j, y in enumerate(years):
            ms.ws.write(head, FIRST_COL + j, f"Year {y}", formats["header"])
        ms.next_row += 1
        frame = frames[statement]
        for line in lines:
            row = ms.next_row
            ms.ws.write(row, 0, f"{name}: {statement.replace('_', ' ')}: "
                        f"{line.replace('_', ' ')}", formats["text"])
            ms.ws.write(row, 1, "formula", formats["how"])
            for j, y in enumerate(years):
                if line in BALANCE_LINES:
                    formula = "=" + ms.cell(rows[line], min(12 * y, horizon))
                else:
                    formula = f"=SUMIF({year_span},{y},{ms.span(rows[line])})"
                v = float(frame.loc[y, line])
                ms.ws.write_formula(row, FIRST_COL + j, formula, formats["money"], v)
            ms.next_row += 1
        ms.next_row += 1
