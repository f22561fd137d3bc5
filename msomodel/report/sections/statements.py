"""The three financial statements, sources and uses, and debt service, for the option the
decision shows (recommended, else the leader); monthly statements in an appendix."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from msomodel.compare import Comparison
from msomodel.financials import Financials
from msomodel.formatting import amount
from msomodel.report.sections.common import ENTITY_TITLES, _e, block, frame_html
from msomodel.report.sections.financials import entity_option
from msomodel.tables import (  # noqa: F401 (the statements' labels, shared with the workbook)
    BALANCE_LABELS,
    CASH_LABELS,
    INCOME_LABELS,
    SOURCE_LABELS,
    STATEMENT_TOTALS,
    USE_LABELS,
)

TOTALS = STATEMENT_TOTALS
CONVENTION = (
    "How to read these statements. The business keeps its cash reserve; every month's surplus "
    "is paid out to the owners and every shortfall put in by them, so distributions less "
    "contributions are the owner's cash flow before the sale. Tax is paid in the month it is "
    "due. Inventory and supplier credit follow product cost, deferred revenue the prepaid "
    "share of sales. The sale at the end is the owner's, outside the business's own accounts. "
    "The balance sheet balances every month (the last line is zero).")
#: Added under the friendly PC, where the group's owners are two (CONVENTION's "the owners").
PC_OWNERS = (
    "Under the friendly PC the group has two owners: your MSO's distributions are your cash "
    "flow, and what the PC pays out beyond repaying your MSO's advances is its physician "
    "owner's (the P&L's \"PC cash kept by its physician owner\"), not yours. Your MSO lends "
    "the PC what it runs short and is repaid first: a balance due from the PC in your MSO's "
    "books and due to your MSO in the PC's, which cancel in the group's statements.")


def calendar(result: Comparison, index: int) -> str:
    """'Mar 2027' for projection index ``index`` (index m = end of month m; 0 = the start)."""
    start = result.scenario.finance.start_date
    if index <= 0:
        return "Start"
    months = start.month - 1 + index - 1
    return f"{dt.date(start.year + months // 12, months % 12 + 1, 1):%b %Y}"


def statement_table(frame: pd.DataFrame, labels: dict[str, str | None]) -> str:
    lines = [c for c, label in labels.items() if label and c in frame.columns
             and (frame[c].abs().max() > 0.005 or c in TOTALS or c in ("check", "revenue", "cash"))]
    table = pd.DataFrame(index=[labels[c] for c in lines])
    for year, row in frame.iterrows():
        table[f"Year {year}"] = [amount(row[c] if c != "check" else round(row[c], 2) + 0.0)
                                 for c in lines]
    rows = ["strong" if c in TOTALS else ("italic" if c == "check" else "") for c in lines]
    return frame_html(table, classes="pl", column_classes=["num"] * table.shape[1], row_classes=rows)


def sources_uses_block(result: Comparison, f: Financials) -> str:
    su = f.sources_uses
    uses = [(USE_LABELS[k], v) for k, v in su["uses"].items() if abs(v) > 0.005]
    sources = [(SOURCE_LABELS[k], v) for k, v in su["sources"].items() if abs(v) > 0.005]
    n = max(len(uses), len(sources))
    uses += [("", None)] * (n - len(uses))
    sources += [("", None)] * (n - len(sources))
    table = pd.DataFrame({"Uses": [u[0] for u in uses],
                          "Amount": [amount(u[1]) if u[1] is not None else "" for u in uses],
                          "Sources": [s[0] for s in sources],
                          "Amount ": [amount(s[1]) if s[1] is not None else "" for s in sources]})
    table.loc[n] = ["Total", amount(su["total_uses"]), "Total", amount(su["total_sources"])]
    table.index = [""] * len(table)
    through = calendar(result, su["through"])
    return block("<h3>Sources and uses of funds</h3>",
                 f"<p>From the start to the owner's low point ({_e(through)}, the month of peak "
                 "funding): what the money is for and where it comes from. The two sides are "
                 "equal by construction.</p>",
                 frame_html(table, classes="pl sources-uses", column_classes=["", "num", "", "num"],
                            row_classes=[""] * n + ["strong"]))


def debt_block(result: Comparison, f: Financials) -> str:
    loan = result.scenario.finance.loan
    if loan is None or f.debt["debt_service"].sum() < 0.005:
        return block("<h3>Debt service</h3>", "<p>The scenario borrows nothing.</p>")
    d = f.debt
    tax = np.asarray(f.annual_lines[f.main]["income_statement"]["tax"], dtype=float)
    service = d["debt_service"].to_numpy()
    after_tax = np.divide(d["ebitda"].to_numpy() - tax, service, out=np.full(len(d), np.nan),
                          where=service > 0.005)
    table = pd.DataFrame(index=["EBITDA", "Tax paid", "Debt service (interest + principal)",
                                "Coverage (DSCR): EBITDA / debt service",
                                "Coverage after tax: (EBITDA - tax) / debt service",
                                f"Covenant {f.covenant:.2f}x (on the DSCR)"])
    for i, (year, row) in enumerate(d.iterrows()):
        met = ("—" if np.isnan(row["dscr"]) else ("below" if row["below_covenant"] else "met"))
        table[f"Year {year}"] = [amount(row["ebitda"]), amount(tax[i]),
                                 amount(row["debt_service"]), coverage(row["dscr"]),
                                 coverage(after_tax[i]), met]
    breached = [int(y) for y, r in d.iterrows() if r["below_covenant"]]
    program = ("an SBA 7(a) loan" if loan.program == "sba_7a" else "a conventional term loan")
    source = ("SBA SOP 50 10 asks for at least 1.15x" if loan.program == "sba_7a"
              else "banks commonly ask for 1.25x or more")
    years = (f"year {breached[0]}" if len(breached) == 1
             else "years " + ", ".join(map(str, breached[:-1])) + f" and {breached[-1]}")
    those = "that year" if len(breached) == 1 else "those years"
    note = (f"Coverage falls below the covenant in {years}: a lender would want {those} funded "
            "(an interest-only period, a reserve or more equity)."
            if breached else "Coverage meets the covenant in every year with debt service.")
    note += (" A lender that deducts tax first reads the after-tax line; one that also deducts "
             "distributions or capital spending gets less again (this projection spends capital "
             "only on opening each site: no equipment replacement is modeled).")
    return block("<h3>Debt service</h3>",
                 f"<p>The scenario finances {loan.financed_fraction:.0%} of each site's capital "
                 f"with {program} at {loan.rate_annual_nominal:.2%} over {loan.term_months} "
                 f"months. Coverage is EBITDA divided by interest and principal due in the "
                 f"year; the covenant is {f.covenant:.2f}x ({source}). {note} "
                 f"{_e(liquidity(result, f))}</p>",
                 frame_html(table, classes="pl", column_classes=["num"] * table.shape[1],
                            row_classes=["", "", "", "strong", "", "italic"]))


def coverage(ratio: float) -> str:
    """A coverage ratio as printed: "1.87x"; "negative" where EBITDA (or what is left after
    tax) is below zero, "—" in a year without debt service."""
    if np.isnan(ratio):
        return "—"
    return "negative" if ratio < 0 else f"{ratio:.2f}x"


def liquidity(result: Comparison, f: Financials) -> str:
    """What the cash line says: by the cash policy it stays at the reserve, so the money at risk
    is the peak funding need (the lowest balance only where cash does move)."""
    cash = f.monthly[f.main]["cash"]
    reserve = float(result.scenario.finance.cash_reserve)
    su = f.sources_uses
    peak = (f"the money at risk is your peak funding need, {amount(su['sources']['owner_equity'])}"
            f" by {calendar(result, su['through'])}")
    if cash.size > 1 and np.allclose(cash[1:], reserve, atol=0.005):
        return (f"Cash stays at the {amount(reserve)} reserve every month (each surplus is paid "
                f"out and each shortfall put in), so {peak}.")
    low, month = f.lowest_cash
    return f"The lowest cash balance is {amount(low)} ({calendar(result, month)}); {peak}."


def statements_parts(result: Comparison, option: str | None = None) -> list[str]:
    """Sources and uses, the three annual statements of the group (or company), the PC's and
    the MSO's balance sheets under the friendly-PC structure, and debt service."""
    option = option or entity_option(result)
    f = result.financials(option)
    main = f.annual[f.main]
    who = "the group (PC and your MSO combined)" if f.main == "consolidated" else "the business"
    convention = CONVENTION + (f" {PC_OWNERS}" if f.main == "consolidated" else "")
    parts = [block(f"<p>Statements for <strong>{_e(result.label(option))}</strong>, {who}, "
                   f"by year; monthly in the appendix. {_e(convention)}</p>"),
             sources_uses_block(result, f),
             block("<h3>Income statement</h3>", statement_table(main["income_statement"], INCOME_LABELS)),
             block("<h3>Cash flow statement</h3>", statement_table(main["cash_flow"], CASH_LABELS)),
             block("<h3>Balance sheet (year end)</h3>",
                   statement_table(main["balance_sheet"], BALANCE_LABELS))]
    for entity in ("pc", "mso"):
        if entity in f.annual:
            parts.append(block(f"<h3>{_e(ENTITY_TITLES[entity])}: balance sheet and net income</h3>",
                               statement_table(_condensed(f.annual[entity]), CONDENSED)))
    parts.append(debt_block(result, f))
    return parts


CONDENSED = {"net_income": "Net income", "due_from_pc": BALANCE_LABELS["due_from_pc"],
             "total_assets": "Total assets", "due_to_mso": BALANCE_LABELS["due_to_mso"],
             "total_liabilities": "Total liabilities", "total_equity": "Total equity",
             "distributions": "Distributions to owners", "check": "Assets - liabilities - equity"}


def _condensed(st: dict[str, pd.DataFrame]) -> pd.DataFrame:
    bs = st["balance_sheet"]
    return pd.DataFrame({"net_income": st["income_statement"]["net_income"],
                         "due_from_pc": bs["due_from_pc"], "total_assets": bs["total_assets"],
                         "due_to_mso": bs["due_to_mso"],
                         "total_liabilities": bs["total_liabilities"],
                         "total_equity": bs["total_equity"],
                         "distributions": st["cash_flow"]["distributions"],
                         "check": bs["check"]})


MONTHLY = {"revenue": "Revenue", "ebitda": "EBITDA", "net_income": "Net income",
           "operating": "Operating", "investing": "Investing", "financing": "Financing",
           "cash": "Cash", "inventory": "Inventory", "fixed_assets": "Fixed assets",
           "loan_balance": "Loan", "payables": "Payables", "deferred_revenue": "Deferred revenue",
           "total_equity": "Equity", "check": "Check"}


def monthly_appendix(result: Comparison, option: str | None = None) -> str:
    """Every month of the group's (or company's) statements, one row per month."""
    option = option or entity_option(result)
    f = result.financials(option)
    m = f.monthly[f.main]
    cols = [c for c in MONTHLY if c in m.columns and (m[c].abs().max() > 0.005 or c == "check")]
    table = pd.DataFrame({MONTHLY[c]: [amount(round(v, 2) + 0.0) for v in m[c]] for c in cols},
                         index=[calendar(result, i) for i in m.index])
    return block(f"<p>{_e(result.label(option))}: income, cash flow and balance sheet lines at "
                 "each month end. Operating, investing and financing are the month's cash flows; "
                 "the other balance lines are at the month's end.</p>",
                 frame_html(table, classes="pl monthly", column_classes=["num"] * len(cols)),
                 keep=False)
