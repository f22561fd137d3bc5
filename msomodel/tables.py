"""Presentation of a :class:`~msomodel.compare.Comparison` as formatted tables (no model logic).

Functions return pandas DataFrames of strings, ready for the terminal (``to_string``) or for
HTML (:func:`to_html`) in the report.  Each is built from a :class:`Table` (``*_table``: plain
lists of strings that print as pandas' ``to_string`` would), which the CLI prints without
importing pandas.

Amounts are to the dollar by default (the terminal, the explorer); the report passes
``amounts=formatting.amount`` so that every report table follows its one $k/$m rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from msomodel.compare import Comparison
from msomodel.decision import share
from msomodel.formatting import (  # noqa: F401 (re-exported)
    VERDICTS,
    amount,
    irr,
    missing,
    money,
    month,
    multiple,
    pct,
)
from msomodel.scenario import OPTIONS

if TYPE_CHECKING:
    import pandas as pd
else:
    from msomodel import lazy

    pd = lazy.module("pandas")

LINE_LABELS = {
    "revenue": "Revenue", "product_cost": "Product cost", "staff_clinical": "Clinical staff",
    "staff_admin": "Administrative staff", "opex": "Running costs", "mso_fee": "MSO fee",
    "software_fee": "Software fees", "structuring": "PC structure (MD agreement, admin)",
    "conditions": "License conditions", "overhead": "Your MSO's corporate overhead", "ebitda": "EBITDA",
    "ebitda_margin": "EBITDA margin", "one_time": "One-time fees", "capex": "Capital spend",
    "working_capital_change": "Working capital tied up", "loan_fee": "Loan guaranty fee",
    "exit_tax": "Tax on the sale (in the exit value)",
    "pc_retained": "PC cash kept by its physician owner",
    "cash_reserve": "Cash reserve put in (returned in the exit value)",
    "loan_draw": "Loan drawn", "interest": "Interest", "principal_repaid": "Loan principal repaid",
    "tax": "Tax", "exit_value": "Exit value (net of debt and tax)", "net_cash_flow": "Net cash flow",
    "management_fee": "Management fee", "staff_clinical_pc": "Clinical staff",
}
STATUS = {"feasible": "Feasible", "feasible_with_conditions": "Feasible with conditions",
          "contested": "Contested: consult counsel", "infeasible": "Not permitted",
          "unknown": "Unknown: consult counsel"}


@dataclass
class Table:
    """A table of strings: ``rows[i][j]`` is row ``index[i]``, column ``columns[j]``;
    ``index=None`` for a table without row labels (a DataFrame's default 0, 1, ...)."""

    columns: list[str]
    rows: list[list[str]]
    index: list[str] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self) -> pd.DataFrame:
        """The DataFrame of strings (pandas imported here)."""
        if not self.rows:
            return pd.DataFrame([])
        return pd.DataFrame(self.rows, columns=self.columns, index=self.index)

    def to_string(self, index: bool = True) -> str:
        """The text ``self.frame().to_string(index=index)`` prints: each column right-aligned
        to its widest cell, the row labels left-aligned, one space between columns (and one
        before each cell when the row labels are shown)."""
        lead = " " if index else ""
        parts: list[list[str]] = []
        if index:
            labels = [str(x) for x in (self.index if self.index is not None
                                       else range(len(self.rows)))]
            width = max(map(len, labels), default=0)
            parts.append([" " * width] + [x.ljust(width) for x in labels])
        for j, name in enumerate(self.columns):
            cells = [lead + row[j] for row in self.rows]
            width = max(len(name), *map(len, cells))
            parts.append([name.rjust(width)] + [c.rjust(width) for c in cells])
        return "\n".join(" ".join(line) for line in zip(*parts, strict=True))


def _records(rows: list[dict[str, str]]) -> Table:
    return Table(list(rows[0]) if rows else [], [list(r.values()) for r in rows])


def fee_level(value: float | None, unit: str) -> str:
    if value is None:
        return "none in range"
    if unit.startswith("USD"):
        return f"{money(value)} per site per month"
    if unit.startswith("multiple"):
        return f"{value:.2f}x the tier rates"
    if unit.startswith("markup"):
        return f"{value * 100:.1f}% markup"
    if unit.startswith("the PC's margin"):  # a sweep: its level is what the PC keeps
        return f"a sweep leaving the PC {value * 100:.2f}% of collections"
    return f"{value * 100:.2f}% of collections"


Amounts = Callable[[Any], str]

#: Line labels of the three statements and of sources and uses (report and workbook).
INCOME_LABELS = {"revenue": "Revenue", "operating_costs": "Operating costs", "ebitda": "EBITDA",
                 "one_time": "One-time costs", "depreciation": "Depreciation",
                 "interest": "Interest", "tax": "Tax", "net_income": "Net income"}
CASH_LABELS = {"net_income": "Net income", "depreciation": "Add back depreciation",
               "change_inventory": "Inventory (increase)", "change_payables": "Supplier credit",
               "change_deferred_revenue": "Prepaid by clients (deferred revenue)",
               "operating": "Operating cash flow", "capex": None,
               "investing": "Investing: build-out and equipment", "loan_draw": "Loan drawn",
               "loan_repaid": "Loan repaid",
               "advances_from_mso": "Advances from your MSO, net of repayments",
               "advances_to_pc": "Advances to the PC, net of repayments",
               "contributions": "Owner's contributions",
               "distributions": "Distributions to owners", "financing": "Financing cash flow",
               "net_change": "Net change in cash", "cash": "Cash at year end"}
BALANCE_LABELS = {"cash": "Cash", "due_from_pc": "Due from the PC (your MSO's advances)",
                  "inventory": "Inventory", "fixed_assets": "Fixed assets, net",
                  "total_assets": "Total assets", "loan_balance": "Loan",
                  "payables": "Supplier payables", "deferred_revenue": "Deferred revenue",
                  "due_to_mso": "Due to your MSO (its advances)",
                  "total_liabilities": "Total liabilities",
                  "paid_in_capital": "Owner's contributions to date",
                  "retained_earnings": "Retained earnings",
                  "distributions_to_date": "Distributions to date",
                  "total_equity": "Total equity", "check": "Assets - liabilities - equity"}
USE_LABELS = {"buildout": "Build-out", "equipment": "Equipment", "one_time": "One-time and set-up costs",
              "working_capital": "Working capital built up", "cash_reserve": "Cash reserve",
              "operating_losses": "Operating losses until the low point",
              "loan_repaid": "Loan repaid in the period",
              "pc_owner_distributions": "Paid out to the PC's physician owner"}
SOURCE_LABELS = {"loans": "Loans", "owner_equity": "Your equity (net): the peak funding need",
                 "pc_owner_equity": "Put in by the PC's physician owner",
                 "operating_cash": "Cash from operations", "working_capital_released":
                 "Prepayments and supplier credit"}
#: Each statement's line labels, and the lines shown as totals (report and workbook).
STATEMENT_LABELS = {"income_statement": INCOME_LABELS, "cash_flow": CASH_LABELS,
                    "balance_sheet": BALANCE_LABELS}
STATEMENT_TOTALS = frozenset({"ebitda", "net_income", "operating", "investing", "financing",
                              "net_change", "total_assets", "total_liabilities", "total_equity"})
#: Titles of the entities whose statements are shown (the friendly-PC structure).
ENTITY_TITLES = {"pc": "Friendly PC (physician-owned practice)", "mso": "Your MSO (owned by you)",
                 "consolidated": "Consolidated", "company": "The company"}
#: Names of the statements.
STATEMENT_TITLES = {"income_statement": "Income statement", "cash_flow": "Cash flow statement",
                    "balance_sheet": "Balance sheet"}
#: Debt-service lines.
DEBT_LABELS = {"ebitda": "EBITDA", "debt_service": "Debt service (interest and principal)",
               "dscr": "Debt-service coverage (DSCR)", "below_covenant": "Against the covenant"}


def key_figures(result: Comparison, *, amounts: Amounts = money) -> pd.DataFrame:
    """Headline figures, formatted; rows are figures, columns are options (see
    :func:`key_figures_table`)."""
    return key_figures_table(result, amounts=amounts).frame()


def key_figures_table(result: Comparison, *, amounts: Amounts = money) -> Table:
    """Headline figures, formatted; rows are figures, columns are options.

    Incremental rows follow README's rules: the payback of the switch only beside a positive
    incremental NPV, the incremental IRR only where the difference changes sign once (else
    "not meaningful"), IRRs beyond the display bound as "> 1,000%". ``amounts`` formats the
    amounts (default: to the dollar).
    """
    year3 = min(3, (result.horizon + 11) // 12)
    d = result.decision
    cols = {}
    for option in OPTIONS:
        m = result.metrics[option]
        inc = result.incremental.get(option)
        note = result.incremental_note(option) if inc is not None else {}
        prob = (d.probability_best or {}).get(option)
        p10 = (d.p10_npv or {}).get(option)
        cols[result.label(option)] = {
            "Feasibility": STATUS[result.feasibility[option].status],
            f"NPV ({result.horizon} months)": amounts(m["npv"]),
            "Probability best": "—" if prob is None else share(prob),
            "Downside NPV (P10)": amounts(p10),
            "NPV without the exit": amounts(m["npv_without_exit"]),
            "Share of NPV from the exit": (pct(m["pv_exit"] / m["npv"], 0) if m["npv"] > 0
                                           else "—"),
            "Equity IRR (levered, with exit)": irr(m["irr_annual"]),
            "Project IRR (unlevered, with exit)": irr(m["project_irr_annual"]),
            "Equity multiple (MOIC)": multiple(m["moic"]),
            "Payback": month(m["payback_month"]),
            "Peak funding need": amounts(m["peak_funding"]),
            f"Year {year3} EBITDA": amounts(result.at_year(option, "ebitda", year3)),
            f"Year {year3} EBITDA margin": pct(result.at_year(option, "ebitda_margin", year3)),
            "Exit value (net of debt and tax)": amounts(m["exit_value"]),
            "NPV vs self-managed": "—" if inc is None else amounts(inc["npv"]),
            "Payback of the switch": "—" if inc is None else (
                "—" if note.get("payback_month") else month(inc["payback_month"])),
            "IRR of the switch": "—" if inc is None else (
                "not meaningful" if note.get("irr_annual") else irr(inc["irr_annual"])),
        }
    names = list(cols)
    index = list(cols[names[0]])
    return Table(names, [[cols[c][r] for c in names] for r in index], index)


def flips(result: Comparison, *, amounts: Amounts = money) -> pd.DataFrame:
    """What would flip the decision (see :func:`flips_table`)."""
    return flips_table(result, amounts=amounts).frame()


def flips_table(result: Comparison, *, amounts: Amounts = money) -> Table:
    """What would flip the decision: one row per input, with the value where the lead changes.
    ``amounts`` formats the values of amount inputs (a flat fee, a cost)."""
    from msomodel.decision import input_value  # one formatter for values of every input

    d = result.decision

    def value(f: Any, v: float) -> str:
        text = input_value(f, v, result.inputs)
        if amounts is money or not text.startswith(("$", "-$")):
            return text
        plain = money(v)  # input_value writes amounts to the dollar: the same, in the table's rule
        return text.replace(plain, amounts(v), 1) if text.startswith(plain) else text

    rows = []
    for f in d.flips:
        rows.append({
            "Input": f.label,
            "Assumed": value(f, f.current),
            "Flips at": "no value in range" if f.value is None else value(f, f.value),
            "Leader stays ahead": "—" if f.value is None else f"{f.stays_ahead} it",
            "Then best": "—" if f.taker is None else result.label(f.taker),
            "Searched": f"{value(f, f.searched[0])} to {value(f, f.searched[1])}",
        })
    return _records(rows)


def asymmetries(result: Comparison, *, amounts: Amounts = money) -> pd.DataFrame:
    """Inputs that favor one option only (see :func:`asymmetries_table`)."""
    return asymmetries_table(result, amounts=amounts).frame()


def asymmetries_table(result: Comparison, *, amounts: Amounts = money) -> Table:
    """Inputs that favor one option only, their source, and the answer with them equalized."""
    d = result.decision
    rows = []
    for a in [*d.asymmetries, *([d.all_equal] if d.all_equal else [])]:
        rows.append({
            "Input": a.label,
            "Favors": result.label(a.option) if a.option else "—",
            "Value": "—" if not a.paths else _plain(a.paths[0], a.value),
            "Set equal to": "—" if not a.paths else _plain(a.paths[0], a.equal_value),
            "Source": a.source or "—",
            "Best when equal": result.label(a.recommended_when_equal) if a.recommended_when_equal else "—",
            "Lead when equal": amounts(a.margin_when_equal),
        })
    return _records(rows)


def _plain(path: str, v: float) -> str:
    return f"{v:.2f}x" if "multiple" in path else pct(v)


def annual_pl(result: Comparison, option: str, *, detail: bool = True,
              amounts: Amounts = money) -> pd.DataFrame:
    """Annual P&L of one option, formatted; rows are lines, columns are years.  With ``detail``,
    the lines add up to the net cash flow: the cash reserve put in at the start (returned in the
    exit value) has a row of its own."""
    frame = result.annual(option)
    if detail:
        reserve = float(result.projections[option].balances["cash_reserve"][0])
        at = list(frame.columns).index("exit_tax")
        frame.insert(at, "cash_reserve", [reserve] + [0.0] * (len(frame) - 1))
    lines = [c for c in frame.columns if detail or c in ("revenue", "ebitda", "net_cash_flow")]
    lines = [c for c in lines if c == "ebitda_margin" or frame[c].abs().sum() > 0.005]
    out = pd.DataFrame(index=[LINE_LABELS.get(c, c) for c in lines])
    for year, row in frame.iterrows():
        out[f"Year {year}"] = [pct(row[c]) if c == "ebitda_margin" else amounts(row[c])
                               for c in lines]
    return out


def ebitda_by_year(result: Comparison, *, amounts: Amounts = money) -> pd.DataFrame:
    """EBITDA by year (rows) and option (columns), formatted."""
    return ebitda_by_year_table(result, amounts=amounts).frame()


def ebitda_by_year_table(result: Comparison, *, amounts: Amounts = money) -> Table:
    """EBITDA by year (rows) and option (columns), formatted."""
    ebitda = {o: result.annual_lines(o)["ebitda"] for o in OPTIONS}
    return Table([result.label(o) for o in OPTIONS],
                 [[amounts(ebitda[o][i]) for o in OPTIONS] for i in range(len(result.years))],
                 [f"Year {y}" for y in result.years])


def by_site(result: Comparison, option: str, line: str = "ebitda", *,
            amounts: Amounts = money) -> pd.DataFrame:
    """One line by site (rows) and year (columns), formatted, with a consolidated total."""
    return by_site_table(result, option, line, amounts=amounts).frame()


def by_site_table(result: Comparison, option: str, line: str = "ebitda", *,
                  amounts: Amounts = money) -> Table:
    """One line by site (rows) and year (columns), formatted, with a consolidated total."""
    import numpy as np

    values = np.ascontiguousarray(result.site_annual(option, line))  # (year, site)
    rows = [list(values[:, s]) for s in range(values.shape[1])]
    index = list(result.inputs.sites)
    rows.append(list(values.sum(axis=1)))
    index.append("All sites")
    if line == "ebitda":
        annual = result.annual_lines(option)
        if np.abs(annual["overhead"]).sum() > 0:
            rows += [list(-annual["overhead"]), list(annual["ebitda"])]
            index += ["Your MSO's corporate overhead", "Consolidated"]
    return Table([f"Year {y}" for y in result.years], [[amounts(v) for v in r] for r in rows],
                 index)


def breakeven_lines(result: Comparison, given: str = "scenario", pc_name: str = "PC") -> list[str]:
    """The break-even third-party MSO fee and, under a friendly PC, the management fee's, as
    sentences; ``given`` names the fee as set ("scenario", or "chosen" in the explorer)."""
    be = result.breakeven
    lines = ["Break-even third-party MSO fee (against self-managed): "
             f"{fee_level(be.level, be.unit)} ({given}: {fee_level(be.current, be.unit)})."]
    pc = result.pc_breakeven
    if pc is not None and result.inputs.mgmt_fee_type == "sweep":
        lines.append(f"Management fee (PC to your MSO): {fee_level(pc.current, pc.unit)}; a "
                     "sweep has no break-even level (the PC keeps what the sweep leaves it).")
    elif pc is not None:
        lines.append(f"Management fee at which the {pc_name} breaks even: "
                     f"{fee_level(pc.level, pc.unit)} ({given}: {fee_level(pc.current, pc.unit)}).")
    return lines


def summary_text(result: Comparison) -> str:
    """Structure, recommendation and break-even fees as plain sentences."""
    found = result.compliance.structures.get(result.structure)
    lines = [f"Structure: {result.structure_label}"
             + (f" ({STATUS.get(found.status, found.status).lower()}; chosen by the "
                f"{result.compliance.structure_chosen_by})" if found else "")]
    lines.append(f"Recommendation: {result.decision.sentence}")
    lines += breakeven_lines(result)
    for option in OPTIONS:
        f = result.feasibility[option]
        if f.status != "feasible":
            lines.append(f"{result.label(option)}: {STATUS[f.status]} — {' '.join(f.reasons)}")
    for w in result.warnings:
        lines.append(f"Warning ({w['severity']}): {w['message']}")
    if result.compliance.checked:
        cited = result.compliance.citations()
        if cited:
            lines.append("Sources: " + "; ".join(f"[{i}] {c}" for i, c in enumerate(cited, 1)))
        lines.append(result.compliance.disclaimer)
    return "\n".join(lines)


def to_html(frame: pd.DataFrame, *, caption: str | None = None, classes: str = "table") -> str:
    """A formatted table as HTML (numbers right-aligned by the report stylesheet)."""
    styler = frame.style.set_table_attributes(f'class="{classes}"')
    if caption:
        styler = styler.set_caption(caption)
    return styler.to_html()
