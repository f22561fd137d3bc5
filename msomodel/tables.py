"""Presentation of a :class:`~msomodel.compare.Comparison` as formatted tables (no model logic).

Functions return pandas DataFrames of strings, ready for the terminal (``to_string``) or for
HTML (:func:`to_html`) in the report.
"""

from __future__ import annotations

import pandas as pd

from msomodel.compare import Comparison
from msomodel.formatting import missing, money, month, multiple, pct  # noqa: F401 (re-exported)
from msomodel.scenario import OPTIONS

LINE_LABELS = {
    "revenue": "Revenue", "product_cost": "Product cost", "staff_clinical": "Clinical staff",
    "staff_admin": "Administrative staff", "opex": "Running costs", "mso_fee": "MSO fee",
    "software_fee": "Software fees", "structuring": "PC structure (MD agreement, admin)",
    "conditions": "Licence conditions", "overhead": "MSO corporate overhead", "ebitda": "EBITDA",
    "ebitda_margin": "EBITDA margin", "one_time": "One-time fees", "capex": "Capital spend",
    "loan_draw": "Loan drawn", "interest": "Interest", "principal_repaid": "Loan principal repaid",
    "tax": "Tax", "exit_value": "Exit value (net of debt)", "net_cash_flow": "Net cash flow",
    "management_fee": "Management fee", "staff_clinical_pc": "Clinical staff",
}
STATUS = {"feasible": "Feasible", "feasible_with_conditions": "Feasible with conditions",
          "infeasible": "Not permitted", "unknown": "Unknown: consult counsel"}


def fee_level(value: float | None, unit: str) -> str:
    if value is None:
        return "none in range"
    if unit.startswith("USD"):
        return f"{money(value)} per site per month"
    if unit.startswith("multiple"):
        return f"{value:.2f} x the tier rates"
    if unit.startswith("markup"):
        return f"{value * 100:.1f}% markup"
    return f"{value * 100:.2f}% of collections"


def key_figures(result: Comparison) -> pd.DataFrame:
    """Headline figures, formatted; rows are figures, columns are options."""
    year3 = min(3, (result.horizon + 11) // 12)
    cols = {}
    for option in OPTIONS:
        m, a = result.metrics[option], result.annual(option)
        inc = result.incremental.get(option)
        cols[result.label(option)] = {
            "Feasibility": STATUS[result.feasibility[option].status],
            f"NPV ({result.horizon} months)": money(m["npv"]),
            "IRR (annual)": pct(m["irr_annual"]),
            "Payback": month(m["payback_month"]),
            "Peak funding need": money(m["peak_funding"]),
            "MOIC": multiple(m["moic"]),
            f"Year {year3} EBITDA": money(a.loc[year3, "ebitda"]),
            f"Year {year3} EBITDA margin": pct(a.loc[year3, "ebitda_margin"]),
            "Exit value (net of debt)": money(m["exit_value"]),
            "NPV vs self-managed": "—" if inc is None else money(inc["npv"]),
            "Payback of the switch": "—" if inc is None else month(inc["payback_month"]),
        }
    return pd.DataFrame(cols)


def annual_pl(result: Comparison, option: str, *, detail: bool = True) -> pd.DataFrame:
    """Annual P&L of one option, formatted; rows are lines, columns are years."""
    frame = result.annual(option)
    lines = [c for c in frame.columns if detail or c in ("revenue", "ebitda", "net_cash_flow")]
    lines = [c for c in lines if c == "ebitda_margin" or frame[c].abs().sum() > 0.005]
    out = pd.DataFrame(index=[LINE_LABELS.get(c, c) for c in lines])
    for year, row in frame.iterrows():
        out[f"Year {year}"] = [pct(row[c]) if c == "ebitda_margin" else money(row[c]) for c in lines]
    return out


def ebitda_by_year(result: Comparison) -> pd.DataFrame:
    """EBITDA by year (rows) and option (columns), formatted."""
    data = {result.label(o): result.annual(o)["ebitda"].map(money) for o in OPTIONS}
    frame = pd.DataFrame(data)
    frame.index = [f"Year {y}" for y in frame.index]
    return frame


def by_site(result: Comparison, option: str, line: str = "ebitda") -> pd.DataFrame:
    """One line by site (rows) and year (columns), formatted, with a consolidated total."""
    frame = result.annual_by_site(option, line).T
    frame.loc["All sites"] = frame.sum()
    if line == "ebitda":
        overhead = result.annual(option)["overhead"]
        if overhead.abs().sum() > 0:
            frame.loc["MSO corporate overhead"] = -overhead
            frame.loc["Consolidated"] = result.annual(option)["ebitda"]
    frame.columns = [f"Year {y}" for y in frame.columns]
    return frame.map(money)


def summary_text(result: Comparison) -> str:
    """Recommendation and break-even fee as plain sentences."""
    be = result.breakeven
    lines = [f"Recommendation: {result.recommendation['reason']}"]
    if be.target == "pc_breaks_even":
        lines.append(f"PC break-even fee: {fee_level(be.level, be.unit)} "
                     f"(scenario: {fee_level(be.current, be.unit)}).")
    else:
        lines.append(f"Break-even MSO fee: {fee_level(be.level, be.unit)} "
                     f"(scenario: {fee_level(be.current, be.unit)}).")
    for option in OPTIONS:
        f = result.feasibility[option]
        if f.status != "feasible":
            lines.append(f"{result.label(option)}: {STATUS[f.status]} — {'; '.join(f.reasons)}")
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
