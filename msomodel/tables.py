"""Presentation of a :class:`~msomodel.compare.Comparison` as formatted tables (no model logic).

Functions return pandas DataFrames of strings, ready for the terminal (``to_string``) or for
HTML (:func:`to_html`) in the report.
"""

from __future__ import annotations

import pandas as pd

from msomodel.compare import Comparison
from msomodel.formatting import irr, missing, money, month, multiple, pct  # noqa: F401 (re-exported)
from msomodel.scenario import OPTIONS

LINE_LABELS = {
    "revenue": "Revenue", "product_cost": "Product cost", "staff_clinical": "Clinical staff",
    "staff_admin": "Administrative staff", "opex": "Running costs", "mso_fee": "MSO fee",
    "software_fee": "Software fees", "structuring": "PC structure (MD agreement, admin)",
    "conditions": "Licence conditions", "overhead": "Your MSO's corporate overhead", "ebitda": "EBITDA",
    "ebitda_margin": "EBITDA margin", "one_time": "One-time fees", "capex": "Capital spend",
    "working_capital_change": "Working capital tied up", "loan_fee": "Loan guaranty fee",
    "exit_tax": "Tax on the sale (in the exit value)",
    "pc_retained": "PC cash kept by its physician owner",
    "loan_draw": "Loan drawn", "interest": "Interest", "principal_repaid": "Loan principal repaid",
    "tax": "Tax", "exit_value": "Exit value (net of debt and tax)", "net_cash_flow": "Net cash flow",
    "management_fee": "Management fee", "staff_clinical_pc": "Clinical staff",
}
STATUS = {"feasible": "Feasible", "feasible_with_conditions": "Feasible with conditions",
          "contested": "Contested: consult counsel", "infeasible": "Not permitted",
          "unknown": "Unknown: consult counsel"}
VERDICTS = {"recommended": "Recommended", "too_close": "Too close to call",
            "none_pays": "No option pays", "too_short": "Horizon too short to judge",
            "no_lawful_option": "No lawful option"}


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
    """Headline figures, formatted; rows are figures, columns are options.

    Incremental rows follow README's rules: the payback of the switch only beside a positive
    incremental NPV, the incremental IRR only where the difference changes sign once (else
    "not meaningful"), IRRs beyond the display bound as "> 1,000%".
    """
    year3 = min(3, (result.horizon + 11) // 12)
    d = result.decision
    cols = {}
    for option in OPTIONS:
        m, a = result.metrics[option], result.annual(option)
        inc = result.incremental.get(option)
        note = result.incremental_note(option) if inc is not None else {}
        prob = (d.probability_best or {}).get(option)
        p10 = (d.p10_npv or {}).get(option)
        cols[result.label(option)] = {
            "Feasibility": STATUS[result.feasibility[option].status],
            f"NPV ({result.horizon} months)": money(m["npv"]),
            "Probability best": "—" if prob is None else pct(prob, 0),
            "Downside NPV (P10)": money(p10),
            "NPV without the exit": money(m["npv_without_exit"]),
            "Share of NPV from the exit": (pct(m["pv_exit"] / m["npv"], 0) if m["npv"] > 0
                                           else "—"),
            "Equity IRR (levered, with exit)": irr(m["irr_annual"]),
            "Project IRR (unlevered, with exit)": irr(m["project_irr_annual"]),
            "Equity multiple (MOIC)": multiple(m["moic"]),
            "Payback": month(m["payback_month"]),
            "Peak funding need": money(m["peak_funding"]),
            f"Year {year3} EBITDA": money(a.loc[year3, "ebitda"]),
            f"Year {year3} EBITDA margin": pct(a.loc[year3, "ebitda_margin"]),
            "Exit value (net of debt and tax)": money(m["exit_value"]),
            "NPV vs self-managed": "—" if inc is None else money(inc["npv"]),
            "Payback of the switch": "—" if inc is None else (
                "—" if note.get("payback_month") else month(inc["payback_month"])),
            "IRR of the switch": "—" if inc is None else (
                "not meaningful" if note.get("irr_annual") else irr(inc["irr_annual"])),
        }
    return pd.DataFrame(cols)


def flips(result: Comparison) -> pd.DataFrame:
    """What would flip the decision: one row per input, with the value where the lead changes."""
    from msomodel.decision import input_value  # one formatter for values of every input

    d = result.decision
    rows = []
    for f in d.flips:
        rows.append({
            "Input": f.label,
            "Assumed": input_value(f, f.current, result.inputs),
            "Flips at": "no value in range" if f.value is None else input_value(f, f.value, result.inputs),
            "Leader stays ahead": "—" if f.value is None else f"{f.stays_ahead} it",
            "Then best": "—" if f.taker is None else result.label(f.taker),
            "Searched": (f"{input_value(f, f.searched[0], result.inputs)} to "
                         f"{input_value(f, f.searched[1], result.inputs)}"),
        })
    return pd.DataFrame(rows)


def asymmetries(result: Comparison) -> pd.DataFrame:
    """Inputs that favour one option only, their source, and the answer with them equalised."""
    d = result.decision
    rows = []
    for a in [*d.asymmetries, *([d.all_equal] if d.all_equal else [])]:
        rows.append({
            "Input": a.label,
            "Favours": result.label(a.option) if a.option else "—",
            "Value": "—" if not a.paths else _plain(a.paths[0], a.value),
            "Set equal to": "—" if not a.paths else _plain(a.paths[0], a.equal_value),
            "Source": a.source or "—",
            "Best when equal": result.label(a.recommended_when_equal) if a.recommended_when_equal else "—",
            "Lead when equal": money(a.margin_when_equal),
        })
    return pd.DataFrame(rows)


def _plain(path: str, v: float) -> str:
    return f"{v:.2f}x" if "multiple" in path else pct(v)


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
            frame.loc["Your MSO's corporate overhead"] = -overhead
            frame.loc["Consolidated"] = result.annual(option)["ebitda"]
    frame.columns = [f"Year {y}" for y in frame.columns]
    return frame.map(money)


def summary_text(result: Comparison) -> str:
    """Structure, recommendation and break-even fees as plain sentences."""
    be = result.breakeven
    found = result.compliance.structures.get(result.structure)
    lines = [f"Structure: {result.structure_label}"
             + (f" ({STATUS.get(found.status, found.status).lower()}; chosen by the "
                f"{result.compliance.structure_chosen_by})" if found else "")]
    lines.append(f"Recommendation: {result.decision.sentence}")
    lines.append(f"Break-even third-party MSO fee: {fee_level(be.level, be.unit)} "
                 f"(scenario: {fee_level(be.current, be.unit)}).")
    pc = result.pc_breakeven
    if pc is not None:
        lines.append(f"Management fee at which the PC breaks even: {fee_level(pc.level, pc.unit)} "
                     f"(scenario: {fee_level(pc.current, pc.unit)}).")
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
