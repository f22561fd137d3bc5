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
from msomodel.formatting import heading
from msomodel.options.statements import BALANCE_LINES, INTERCOMPANY
from msomodel.tables import ENTITY_TITLES, STATEMENT_LABELS, STATEMENT_TITLES

#: Every line once, in statement order.
LINES = list(dict.fromkeys(line for lines in STATEMENTS.values() for line in lines))
Src = Callable[[int], str]
#: Lines the report folds into another (capex is all of investing) but the sheets list.
_UNLISTED = {"capex": "Capital spending (build-out and equipment)"}
#: Consolidated totals less the loan between PC and MSO (the receivable is the payable).
_LESS_INTERCOMPANY = {"total_assets": "due_from_pc", "total_liabilities": "due_to_mso"}


def entity_title(name: str) -> str:
    """The entity as the report names it: "Friendly PC (physician-owned practice)", ..."""
    return ENTITY_TITLES.get(name, heading(name))


def line_label(line: str, statement: str | None = None) -> str:
    """A statement line in words, the report's (a month-end balance before a flow's label)."""
    order = [statement] if statement else ["balance_sheet", "income_statement", "cash_flow"]
    for st in order:
        label = STATEMENT_LABELS[st].get(line)
        if label:
            return label
    return _UNLISTED.get(line) or heading(line)


def entity(ms: MonthSheet, name: str, src: dict[str, Src | None],
           values: dict[str, np.ndarray], *, funded: bool = False) -> dict[str, int]:
    """Write one entity's monthly lines; ``src`` gives the formula of each input line at month k
    (revenue, ebitda, one_time, tax, depreciation, interest, capex, loan_draw, principal,
    loan_balance, reserve, inventory, payables, deferred_revenue, advances_to_pc; None = zero).
    ``funded``: the PC, whose cumulative shortfall its MSO lends it."""
    ms.heading(f"Statements, {name} (monthly)")
    rows: dict[str, int] = {}

    def s(key: str, k: int) -> str:
        f = src.get(key)
        return "0" if f is None else f(k)

    def c(line: str, k: int) -> str:
        return ms.cell(rows[line], k)

    def own(k: int) -> str:  # the row being written, previous month (running totals)
        return f"+{ms.cell(ms.next_row, k - 1)}" if k > 0 else ""

    def to_date(k: int) -> str:  # the cash before the owners, cumulated to month k
        return "+".join(f"SUM({ms.cell(rows[line], 0, absolute=True)}:{ms.cell(rows[line], k)})"
                        for line in ("operating", "investing", "loan_draw", "loan_repaid"))

    def due(k: int) -> str:  # the PC's cumulative shortfall, which the MSO lends it
        return f"MAX(-({to_date(k)}),0)"

    def before_owners(k: int) -> str:
        return (f"{c('operating', k)}+{c('investing', k)}+{c('loan_draw', k)}+"
                f"{c('loan_repaid', k)}+{c('advances_from_mso', k)}+{c('advances_to_pc', k)}")

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
        "advances_from_mso": lambda k: ("0" if not funded else
                                        due(k) + (f"-{due(k - 1)}" if k > 0 else "")),
        "advances_to_pc": lambda k: s("advances_to_pc", k),
        "contributions": lambda k: (f"MAX(-({before_owners(k)}),0)"
                                    + (f"+{s('reserve', k)}" if k == 0 else "")),
        "distributions": lambda k: f"-MAX({before_owners(k)},0)",
        "financing": lambda k: (f"{c('loan_draw', k)}+{c('loan_repaid', k)}+"
                                f"{c('advances_from_mso', k)}+{c('advances_to_pc', k)}+"
                                f"{c('contributions', k)}+{c('distributions', k)}"),
        "net_change": lambda k: f"{c('operating', k)}+{c('investing', k)}+{c('financing', k)}",
        "cash": lambda k: f"{c('net_change', k)}{own(k)}",
        "inventory": lambda k: s("inventory", k),
        "fixed_assets": lambda k: f"{c('capex', k)}-{c('depreciation', k)}{own(k)}",
        "due_from_pc": lambda k: f"-{c('advances_to_pc', k)}{own(k)}",
        "total_assets": lambda k: (f"{c('cash', k)}+{c('due_from_pc', k)}+{c('inventory', k)}+"
                                   f"{c('fixed_assets', k)}"),
        "loan_balance": lambda k: s("loan_balance", k),
        "payables": lambda k: s("payables", k),
        "deferred_revenue": lambda k: s("deferred_revenue", k),
        "due_to_mso": lambda k: f"{c('advances_from_mso', k)}{own(k)}",
        "total_liabilities": lambda k: (f"{c('loan_balance', k)}+{c('payables', k)}+"
                                        f"{c('deferred_revenue', k)}+{c('due_to_mso', k)}"),
        "paid_in_capital": lambda k: f"{c('contributions', k)}{own(k)}",
        "retained_earnings": lambda k: f"{c('net_income', k)}{own(k)}",
        "distributions_to_date": lambda k: f"{c('distributions', k)}{own(k)}",
        "total_equity": lambda k: (f"{c('paid_in_capital', k)}+{c('retained_earnings', k)}+"
                                   f"{c('distributions_to_date', k)}"),
        "check": lambda k: (f"{c('total_assets', k)}-{c('total_liabilities', k)}-"
                            f"{c('total_equity', k)}"),
    }
    for line in LINES:
        rows[line] = ms.line(f"{entity_title(name)}: {line_label(line)}", formulas[line], values[line],
                             fmt="total" if line in ("net_income", "cash", "check") else "money")
    return rows


def consolidated(ms: MonthSheet, parts: list[dict[str, int]], revenue_row: int,
                 values: dict[str, np.ndarray]) -> dict[str, int]:
    """Consolidated = PC + MSO line by line; revenue is the group's (the management fee drops
    out of revenue and operating costs)."""
    ms.heading("Statements, consolidated (monthly; the management fee and the loan between PC "
               "and MSO eliminated)")
    rows: dict[str, int] = {}
    for line in LINES:
        if line == "revenue":
            def f(k: int) -> str:
                return ms.cell(revenue_row, k)
        elif line == "operating_costs":
            def f(k: int) -> str:
                ebitda = "+".join(ms.cell(p["ebitda"], k) for p in parts)
                return f"{ms.cell(rows['revenue'], k)}-({ebitda})"
        elif line in INTERCOMPANY:  # the loan between PC and MSO cancels
            def f(k: int) -> str:
                return "0"
        elif line in _LESS_INTERCOMPANY:
            def f(k: int, line: str = line) -> str:
                gross = "+".join(ms.cell(p[line], k) for p in parts)
                inner = "+".join(ms.cell(p[_LESS_INTERCOMPANY[line]], k) for p in parts)
                return f"{gross}-({inner})"
        else:
            def f(k: int, line: str = line) -> str:
                return "+".join(ms.cell(p[line], k) for p in parts)
        rows[line] = ms.line(f"Consolidated: {line_label(line)}", f, values[line],
                             fmt="total" if line in ("net_income", "cash", "check") else "money")
    return rows


def annual(ms: MonthSheet, name: str, rows: dict[str, int], years: list[int], horizon: int,
           formats: dict, frames: dict) -> None:
    """The entity's annual statements below: flows by SUMIF on the project year, balances at
    the year's last month (index min(12 y, H))."""
    year_span = ms.span(3)
    for statement, lines in STATEMENTS.items():
        head = ms.next_row
        ms.ws.write(head, 0, f"{entity_title(name)}: {STATEMENT_TITLES[statement].lower()} (annual)",
                    formats["heading"])
        for j, y in enumerate(years):
            ms.ws.write(head, FIRST_COL + j, f"Year {y}", formats["header"])
        ms.next_row += 1
        frame = frames[statement]
        for line in lines:
            row = ms.next_row
            ms.ws.write(row, 0, f"{entity_title(name)}: {STATEMENT_TITLES[statement].lower()}: "
                        f"{line_label(line, statement)}", formats["text"])
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
