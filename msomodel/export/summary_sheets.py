"""Summary (NPV, IRR, payback, peak funding, MOIC as formulas; the break-even fee, Monte Carlo
figures and the recommendation as msomodel's values), Statements (values from
``Comparison.financials``) and Read me."""

from __future__ import annotations

import math

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from msomodel import finance
from msomodel.compare import CONVENTIONS, Comparison
from msomodel.export.grid import cached, quote
from msomodel.export.option_sheet import OptionSheet
from msomodel.export.statement_rows import entity_title, line_label
from msomodel.formatting import heading
from msomodel.options.statements import INTERCOMPANY
from msomodel.scenario import OPTIONS
from msomodel.tables import (
    DEBT_LABELS,
    SOURCE_LABELS,
    STATEMENT_LABELS,
    STATEMENT_TITLES,
    STATEMENT_TOTALS,
    STATUS,
    USE_LABELS,
    VERDICTS,
)

#: Summary rows (metric key -> label), one column per option.
METRICS = {
    "npv": "NPV (equity cash flow, with the exit)",
    "pv_exit": "Present value of the exit",
    "npv_without_exit": "NPV without the exit",
    "irr_annual": "Equity IRR (levered, annualized)",
    "project_irr_annual": "Project IRR (unlevered, annualized)",
    "payback_month": "Payback month (index; \"never\" if it never recovers)",
    "peak_funding": "Peak funding need",
    "moic": "Equity multiple (MOIC)",
    "exit_value": "Exit value to the owner (net of the loan)",
    "incremental_npv": "NPV less self-managed's",
}
FORMATS = {"irr_annual": "pct", "project_irr_annual": "pct", "payback_month": "integer",
           "moic": "multiple"}


def summary(ws: Worksheet, result: Comparison, sheets: dict[str, OptionSheet], f: dict) -> dict:
    """Write the Summary sheet; returns {(metric, option): cell} for the tests and Read me."""
    ws.set_column(0, 0, 62)
    ws.set_column(1, 3, 24)
    ws.set_column(4, 4, 75)
    s = result.scenario
    ws.write(0, 0, f"{s.name}: comparison of the management options", f["title"])
    ws.write(1, 0, f"Legal structure: {result.structure_label}", f["text"])
    ws.write(2, 0, "Monthly discount rate = (1 + DiscountRate)^(1/12) - 1", f["text"])
    rate_m = float(finance.monthly_rate(s.finance.discount_rate_annual))
    ws.write_formula(2, 1, "=(1+DiscountRate)^(1/12)-1", f["pct6"], rate_m)
    npv_note = ("NPV = cf[0] + NPV(monthly rate, cf[1..H]): index 0 undiscounted, like "
                "numpy-financial's npv (Excel's NPV alone would discount index 0 too).")
    ws.write(2, 4, npv_note, f["how_wrap"])
    ws.set_row(2, wrapped_height(npv_note, 80))
    rm = "Summary!$B$3"
    header = 4
    ws.write(header, 0, "Metric", f["header"])
    cells: dict = {}
    for j, option in enumerate(OPTIONS):
        ws.write(header, 1 + j, result.label(option), f["header"])
    ws.write(header, 4, "How", f["header"])
    for i, (key, text) in enumerate(METRICS.items()):
        row = header + 1 + i
        ws.write(row, 0, text, f["text"])
        for j, option in enumerate(OPTIONS):
            formula, value = _metric(key, option, result, sheets, rm, cells)
            ws.write_formula(row, 1 + j, "=" + formula, f[FORMATS.get(key, "money")], value)
            cells[(key, option)] = "Summary!" + xl_rowcol_to_cell(row, 1 + j, row_abs=True,
                                                                  col_abs=True)
        ws.write(row, 4, "formula (recalculates)", f["how"])
    row = header + 2 + len(METRICS)
    ws.write(row, 0, "Values from msomodel (not formulas)", f["heading"])
    row += 1
    prob = result.decision.probability_best or {}
    p10 = result.decision.p10_npv or {}
    for text, getter, fmt in (
            ("Feasibility under the structure",
             lambda o: STATUS.get(result.feasibility[o].status, result.feasibility[o].status),
             "text"),
            ("Probability of being best (Monte Carlo; value)", lambda o: prob.get(o), "pct"),
            ("P10 NPV (Monte Carlo; value)", lambda o: p10.get(o), "money")):
        ws.write(row, 0, text, f["text"])
        for j, option in enumerate(OPTIONS):
            v = getter(option)
            if v is None:
                ws.write(row, 1 + j, "—", f["text"])
            elif isinstance(v, str):
                ws.write(row, 1 + j, v, f["text"])
            else:
                ws.write_number(row, 1 + j, float(v), f[fmt])
        ws.write(row, 4, "value from msomodel", f["how"])
        row += 1
    row += 1
    ws.write(row, 0, "Break-even fees (values from msomodel's solver)", f["heading"])
    ws.write_row(row + 1, 0, ["Fee", "Break-even", "In the scenario"], f["header"])
    row += 2
    for be in (result.breakeven, result.pc_breakeven):
        if be is None:
            continue
        what = ("Third-party MSO fee at which it equals self-managed"
                if be.target == "mso_vs_self_managed"
                else "Management fee at which the PC breaks even")
        ws.write(row, 0, f"{what} ({be.unit})", f["text"])
        if be.level is None:
            ws.write(row, 1, "none in range", f["text"])
        else:
            ws.write_number(row, 1, be.level, f["number"])
        ws.write_number(row, 2, be.current, f["number"])
        note = f"value from msomodel's solver (a spreadsheet has no formula for it): {be.note}"
        ws.write(row, 4, note, f["how_wrap"])
        ws.set_row(row, wrapped_height(note, 80))
        row += 1
    rec = result.recommendation
    row += 1
    ws.write(row, 0, "Recommendation", f["heading"])
    ws.write(row + 1, 0, "Verdict", f["text"])
    ws.write(row + 1, 1, VERDICTS.get(rec.get("verdict"), str(rec.get("verdict"))), f["bold"])
    for i, (label, text) in enumerate((
            ("Why", str(rec.get("reason"))),
            ("Note", "The recommendation is msomodel's text for the scenario as given; it does not "
                     "change when an input is edited here."),
            ("Conventions", CONVENTIONS))):
        r = row + 2 + i
        ws.write(r, 0, label, f["wrap"])
        ws.merge_range(r, 1, r, 4, text, f["wrap"])
        ws.set_row(r, wrapped_height(text, 140))
    return cells


def wrapped_height(text: str, chars_per_line: int) -> float:
    """Row height [points] for ``text`` wrapped at about ``chars_per_line`` characters (no
    spreadsheet autofits row heights on load)."""
    return 15.0 * max(1, math.ceil(len(text) / chars_per_line))


def _metric(key: str, option: str, result: Comparison, sheets: dict[str, OptionSheet], rm: str,
            cells: dict) -> tuple[str, float | str]:
    sh = sheets[option].sheet
    net = sheets[option].net
    m = result.metrics[option]
    H = result.horizon
    first, rest = sh.cell(net, 0, sheet=True), sh.span(net, sheet=True).replace(
        xl_rowcol_to_cell(net, 2, row_abs=True, col_abs=True),
        xl_rowcol_to_cell(net, 3, row_abs=True, col_abs=True))
    exit_row = sheets[option].exit_row
    if key == "npv":
        return f"{first}+NPV({rm},{rest})", float(m["npv"])
    if key == "pv_exit":
        return (f"{sh.cell(exit_row, 0, sheet=True)}+NPV({rm},"
                f"{quote(sh.name)}!{sh.cell(exit_row, 1, absolute=True)}:"
                f"{sh.cell(exit_row, H, absolute=True)})"), float(m["pv_exit"])
    if key == "npv_without_exit":
        return (f"{cells[('npv', option)]}-{cells[('pv_exit', option)]}",
                float(m["npv_without_exit"]))
    if key in ("irr_annual", "project_irr_annual"):
        row = net if key == "irr_annual" else sheets[option].unlevered
        v = float(m[key])
        guess = (1.0 + v) ** (1 / 12) - 1 if math.isfinite(v) else 0.01
        return (f"IFERROR((1+IRR({sh.span(row, sheet=True)},{guess!r}))^12-1,\"—\")",
                cached(v) if math.isfinite(v) else "—")
    if key == "payback_month":
        v = float(m["payback_month"])
        neg, back = sheets[option].rows["negative"], sheets[option].rows["paid_back"]
        return (f"IF(MAX({sh.span(neg, sheet=True)})=0,0,"
                f"IFERROR(MATCH(1,{sh.span(back, sheet=True)},0)-1,\"never\"))",
                v if math.isfinite(v) else "never")
    if key == "peak_funding":
        return (f"MAX(0,-MIN({sh.span(sheets[option].rows['cumulative'], sheet=True)}))",
                float(m["peak_funding"]))
    if key == "moic":
        span = sh.span(net, sheet=True)
        v = float(m["moic"])
        return (f"IFERROR(SUMIF({span},\">0\")/-SUMIF({span},\"<0\"),\"—\")",
                v if math.isfinite(v) else "—")
    if key == "exit_value":
        return sh.cell(exit_row, H, sheet=True), float(m["exit_value"])
    if key == "incremental_npv":
        base = float(result.metrics["self_managed"]["npv"])
        return (f"{cells[('npv', option)]}-{cells[('npv', 'self_managed')]}",
                float(m["npv"]) - base)
    raise KeyError(key)


def statements(ws: Worksheet, result: Comparison, f: dict) -> None:
    """Annual statements per option and entity, sources and uses and DSCR (values)."""
    ws.set_column(0, 0, 44)
    ws.set_column(1, 12, 15)
    ws.write(0, 0, "Financial statements (values from msomodel's engine, by project year; flows "
             "summed, balances at year end)", f["title"])
    row = 2
    for option in OPTIONS:
        fin = result.financials(option)
        ws.write(row, 0, result.label(option), f["title"])
        row += 1
        for entity, st in fin.annual.items():
            for name, frame in st.items():
                ws.write(row, 0, f"{entity_title(entity)}: {STATEMENT_TITLES[name].lower()}",
                         f["heading"])
                for j, year in enumerate(frame.index):
                    ws.write(row, 1 + j, f"Year {int(year)}", f["header"])
                row += 1
                labels = STATEMENT_LABELS[name]
                for line in frame.columns:
                    if line in labels and labels[line] is None:
                        continue  # the same as the next line (capex is all of investing)
                    if line in INTERCOMPANY and not frame[line].any():
                        continue  # no loan between PC and MSO here (or eliminated)
                    ws.write(row, 0, line_label(line, name),
                             f["bold" if line in STATEMENT_TOTALS else "text"])
                    for j, v in enumerate(frame[line]):
                        ws.write_number(row, 1 + j, float(v), f["money"])
                    row += 1
                row += 1
        su = fin.sources_uses
        ws.write(row, 0, f"Sources and uses, start to month {su['through']} (peak funding)",
                 f["heading"])
        row += 1
        for side, labels in (("uses", USE_LABELS), ("sources", SOURCE_LABELS)):
            for k, v in su[side].items():
                ws.write(row, 0, f"{side.capitalize()}: {labels.get(k) or heading(k)}", f["text"])
                ws.write_number(row, 1, float(v), f["money"])
                row += 1
        ws.write(row, 0, "Total", f["bold"])
        ws.write_number(row, 1, float(su["total_uses"]), f["money"])
        row += 2
        ws.write(row, 0, f"Debt service coverage (covenant {fin.covenant:.2f}x)", f["heading"])
        row += 1
        for j, col in enumerate(("ebitda", "debt_service", "dscr", "below_covenant")):
            ws.write(row + j, 0, DEBT_LABELS[col], f["text"])
            for k, v in enumerate(fin.debt[col]):
                if col == "below_covenant":
                    ws.write(row + j, 1 + k, "below" if v else "ok", f["text"])
                elif np.isfinite(v):
                    ws.write_number(row + j, 1 + k, float(v),
                                    f["multiple" if col == "dscr" else "money"])
                else:
                    ws.write(row + j, 1 + k, "—", f["text"])
        row += 6


def readme(ws: Worksheet, result: Comparison, sheets: dict[str, OptionSheet], f: dict,
           option_names: dict[str, str]) -> None:
    ws.set_column(0, 0, 100)
    text = [
        (f"{result.scenario.name}: msomodel workbook", "title"),
        ("Nothing here is legal or financial advice. Every figure on the option sheets and the "
         "Capital sheet, and the NPVs, IRRs and other metrics on Summary, are formulas that "
         "recalculate from the Inputs sheet to msomodel's own figures; the few values are listed "
         "below.", "wrap"),
        ("", "text"),
        ("Sheets", "heading"),
        ("Summary: NPV, PV of the exit, both IRRs, payback, peak funding, MOIC and exit value "
         "per option (formulas); break-even fee, Monte Carlo figures and the recommendation "
         "(values from msomodel).", "wrap"),
        ("Inputs: every input after extends: and site overrides, with label, unit and source; "
         "the formulas reference column B. Defined names: StartDate, " + ", ".join(
             ["DiscountRate", "TaxRate", "ExitMultiple", "LoanShare", "LoanRate", "LoanTerm",
              "DepreciationMonths", "EquipmentDepreciationMonths", "InventoryDays",
              "PayablesDays", "PrepaidShare", "PrepaidDays", "ExitTaxRate", "CashReserve",
              "VolumeMultiplier", "PriceMultiplier", "WageMultiplier", "OpexMultiplier"]) + ".",
         "wrap"),
        ("Option sheets (" + ", ".join(option_names[o] for o in OPTIONS) + "): one column per "
         "month index (0 = the start; month m's flows at its end), calendar month and project "
         "year in the header; column B says how each line is computed.", "wrap"),
        ("Capital: per site, build-out and equipment spend, the loan (PMT/IPMT/PPMT/FV), the SBA "
         "guaranty fee and depreciation (formulas); the same for every option.", "wrap"),
        ("Statements: msomodel's annual income statement, cash flow and balance sheet per "
         "entity, sources and uses, DSCR (values from Comparison.financials); the same "
         "statements as formulas are at the bottom of each option sheet.", "wrap"),
        ("Engine values: msomodel's own EBITDA and net cash flow per option (values, for "
         "comparison).", "wrap"),
        ("", "text"),
        ("Live formulas (every line from volumes down to NPV and IRR)", "heading"),
        ("- Volumes: operating flag, linear ramp, units = volume x volume multiplier x option "
         "uplift (the MSO's revenue uplift; software's no-show and online-booking uplift on "
         "treatments) x (1 + volume growth)^(year - 1) x ramp; provider hours demanded, hours "
         "available and the capacity scale on the lines that use provider time.", "wrap"),
        ("- Revenue by site and service line = units x price x price multiplier x (1 + price "
         "growth)^(year - 1); site and total revenue.", "wrap"),
        ("- Product cost by line (share of price, cost per unit with its growth), less the MSO's "
         "purchasing discount (growing with the number of sites operating, capped) on "
         "discountable lines.", "wrap"),
        ("- Staff by site and role: (hourly x hours + salary/12) x FTE x wage multiplier x (1 + "
         "payroll load) x (1 + raise)^(year - 1), plus commission on the lines it is paid on; "
         "clinical and administrative totals; roles the MSO takes over leave the payroll; "
         "software's admin-hours saving.", "wrap"),
        ("- Running costs by site and item: monthly x running-cost multiplier x (1 + "
         "escalator)^(year - 1) + share of revenue (software's card rate where set), less the "
         "MSO's absorbed share or the tools software replaces; the PC's share under the friendly "
         "PC.", "wrap"),
        ("- Software subscription; third-party MSO fee and the friendly PC's management fee: "
         "flat, percentage, cost-plus on the cost base, tiered bands, hybrid, and the sweep of "
         "the PC's profit above its target margin; escalator, floor, cap, renewal changes every "
         "term.", "wrap"),
        ("- Memberships: the dues members redeem as credit buy the named treatment at that "
         "month's price; its product cost and provider hours are added to the membership line.",
         "wrap"),
        ("- Friendly-PC costs (medical director, PC administration; none where the MSO supplies "
         "the PC), license conditions, the owner's MSO overhead, one-time costs (onboarding, "
         "implementation, structuring, conditions).", "wrap"),
        ("- EBITDA; under the friendly PC the PC's and the owner's MSO's EBITDA.", "wrap"),
        ("- Capital (Capital sheet): spend, loan draw, SBA guaranty fee, interest (IPMT), "
         "principal (PPMT), balance (FV of PMT), depreciation.", "wrap"),
        ("- Tax with losses carried forward without limit (PC and MSO separately under the "
         "friendly PC), levered and unlevered.", "wrap"),
        ("- Working capital: inventory, payables, deferred revenue and the cash tied up.", "wrap"),
        ("- Exit: trailing 12-month EBITDA x exit multiple, less any termination fee and the "
         "deferred revenue owed, tax on the gain over the tax basis, less the loan balance, plus "
         "the cash reserve. Under the friendly PC the owner sells the MSO: its trailing EBITDA "
         "less any PC loss, basis its fixed assets; the PC's cash is its physician owner's "
         "except what repays the owner's MSO for the shortfalls it funded (the 'PC cash kept' "
         "line, taken off the owner's cash flow).", "wrap"),
        ("- The three statements per entity (company; or PC, owner's MSO and consolidated), "
         "monthly and annual, at the bottom of each option sheet: income statement, cash flow "
         "(operating, investing, financing; the reserve kept, surpluses distributed, shortfalls "
         "contributed) and balance sheet with its check line (0 every month).", "wrap"),
        ("- Net (equity) and project (unlevered) cash flow, cumulative cash flow, payback flags; "
         "annual totals (SUMIF by project year), debt service and DSCR per year, revenue and EBITDA by site and year on each option sheet; on Summary NPV, PV of the "
         "exit, both IRRs, payback, peak funding, MOIC, exit value, NPV less self-managed's.",
         "wrap"),
        ("", "text"),
        ("Values (do NOT follow an edited input)", "heading"),
        ("- Summary: the break-even fee (msomodel's solver), feasibility, the Monte Carlo "
         "probability of being best and P10 NPV, the recommendation.", "wrap"),
        ("- Statements sheet: msomodel's own annual statements, sources and uses and DSCR "
         "(Comparison.financials), for comparison with the live statements on the option "
         "sheets; sources and uses is only here.", "wrap"),
        ("- Engine values: msomodel's EBITDA and net cash flow per option, for comparison with "
         "the formulas (equal until an input is edited).", "wrap"),
        ("- Structural choices are read from the scenario when the workbook is written: which "
         "lines and roles a site has, a line's kind (treatment, discountable), which lines a "
         "commission is paid on, which roles the MSO absorbs, which running costs the PC bears, "
         "the fee type, which site opens first (software's first-location price). To change "
         "those, edit the scenario and export again.", "wrap"),
        ("", "text"),
        ("Conventions", "heading"),
        (CONVENTIONS, "wrap"),
    ]
    for i, (line, style) in enumerate(text):
        ws.write(i, 0, line, f[style])
        if style == "wrap":
            ws.set_row(i, wrapped_height(line, 95))
