"""Assemble the workbook: Read me, Summary, Inputs, one sheet per option, Capital, Statements and
Engine values; written to a temporary file in the target folder, then renamed into place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from msomodel import timeline as tl
from msomodel.atomic import replacing
from msomodel.compare import ANNUAL_LINES, Comparison, compare
from msomodel.export import capital_sheet, option_sheet, statement_rows, summary_sheets
from msomodel.export.grid import FIRST_COL, MonthSheet, cached, col
from msomodel.export.inputs_sheet import InputsSheet
from msomodel.scenario import OPTIONS, Scenario

#: Worksheet name of each option.
SHEET_NAMES = {"self_managed": "Self-managed", "software_only": "Software",
               "mso": "Third-party MSO"}
ANNUAL_LABELS = {"revenue": "Revenue", "product_cost": "Product cost",
                 "staff_clinical": "Staff: clinical", "staff_admin": "Staff: administrative",
                 "opex": "Running costs", "mso_fee": "Third-party MSO fee",
                 "software_fee": "Software subscription", "structuring": "Friendly-PC costs",
                 "conditions": "License-condition costs", "overhead": "Owner's MSO overhead",
                 "ebitda": "EBITDA", "ebitda_margin": "EBITDA margin",
                 "one_time": "One-time costs", "capex": "Capital spend",
                 "working_capital_change": "Working capital tied up", "loan_draw": "Loan drawn",
                 "loan_fee": "Loan fee", "interest": "Interest",
                 "principal_repaid": "Principal repaid", "tax": "Tax",
                 "pc_retained": "PC cash kept by its physician owner", "exit_tax": "Exit tax",
                 "exit_value": "Exit value", "net_cash_flow": "Net cash flow"}


def _formats(wb: xlsxwriter.Workbook) -> dict:
    add = wb.add_format
    return {
        "title": add({"bold": True, "font_size": 14}),
        "heading": add({"bold": True, "font_color": "#1F4E79", "top": 1}),
        "header": add({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
        "text": add({}),
        "bold": add({"bold": True}),
        "wrap": add({"text_wrap": True, "valign": "top"}),
        "how": add({"font_color": "#7F7F7F", "italic": True}),
        "how_wrap": add({"font_color": "#7F7F7F", "italic": True, "text_wrap": True,
                         "valign": "top"}),
        "path": add({"font_color": "#7F7F7F", "font_size": 8}),
        "input": add({"bg_color": "#FFF2CC", "num_format": "#,##0.00####"}),
        "input_none": add({"bg_color": "#FFF2CC", "num_format": '[>=1E+299]"none";#,##0.00####'}),
        # a documented input no formula reads: no input fill, numbers and words aligned alike
        "documented": add({"align": "right", "num_format": "#,##0.00####"}),
        "money": add({"num_format": "#,##0;[Red]-#,##0"}),
        "number": add({"num_format": "#,##0.00"}),
        "integer": add({"num_format": "0"}),
        "pct": add({"num_format": "0.0%"}),
        "pct6": add({"num_format": "0.0000%"}),
        "multiple": add({"num_format": "0.00\"x\""}),
        "date": add({"num_format": "mmm yyyy", "bold": True, "bg_color": "#DDEBF7"}),
        "total": add({"num_format": "#,##0;[Red]-#,##0", "bold": True}),
    }


def _month_sheet(wb, name: str, title: str, result: Comparison, f: dict) -> MonthSheet:
    ws = wb.add_worksheet(name)
    H = result.horizon
    ws.set_column(0, 0, 62)
    ws.set_column(1, 1, 12)
    ws.set_column(FIRST_COL, FIRST_COL + H, 11)
    ws.write(0, 0, title, f["title"])
    ws.write(1, 0, "Month index (0 = start)", f["bold"])
    ws.write(2, 0, "Month", f["bold"])
    ws.write(3, 0, "Project year", f["bold"])
    start = result.scenario.finance.start_date
    for m in range(H + 1):
        ws.write_number(1, FIRST_COL + m, m, f["header"])
        month = (start.month - 1 + max(m - 1, 0))
        day = dt.datetime(start.year + month // 12, month % 12 + 1, 1)
        if m == 0:
            ws.write(2, FIRST_COL, "start", f["header"])
        else:  # follows the Inputs sheet's start month (Excel's date serial as the cached value)
            ws.write_formula(2, FIRST_COL + m, f"=EDATE(StartDate,{m - 1})", f["date"],
                             (day - dt.datetime(1899, 12, 30)).days)
        ws.write_formula(3, FIRST_COL + m, f"=INT(MAX({col(m)}$2-1,0)/12)+1", f["header"],
                         int(tl.project_year(H)[m]) + 1)
    ws.freeze_panes(4, FIRST_COL)
    return MonthSheet(ws, name, H, f)


def _annual(sheet: option_sheet.OptionSheet, result: Comparison, f: dict) -> dict[str, str]:
    """Annual totals (SUMIF by project year) below the monthly lines; returns
    {"line|year": cell} for the tests."""
    ms = sheet.sheet
    frame = result.annual(sheet.option)
    years = list(frame.index)
    ms.next_row += 1
    head = ms.next_row
    ms.ws.write(head, 0, "Annual totals (project years; year 1 includes index 0)", f["heading"])
    for j, y in enumerate(years):
        ms.ws.write(head, FIRST_COL + j, f"Year {int(y)}", f["header"])
    ms.next_row += 1
    cells: dict[str, str] = {}
    line_rows: dict[str, int] = {}
    year_span = ms.span(3)
    for line in ANNUAL_LINES:
        if line not in frame.columns:
            continue
        row = ms.next_row
        ms.ws.write(row, 0, ANNUAL_LABELS[line], f["text"])
        ms.ws.write(row, 1, "formula", f["how"])
        for j, y in enumerate(years):
            value = frame.loc[y, line]
            if line == "ebitda_margin":
                rev = xl_rowcol_to_cell(line_rows["revenue"], FIRST_COL + j)
                ebit = xl_rowcol_to_cell(line_rows["ebitda"], FIRST_COL + j)
                formula = f'=IF({rev}<>0,{ebit}/{rev},"")'
                style = f["pct"]
            else:
                src = ms.span(sheet.rows[line])
                formula = f"=SUMIF({year_span},{int(y)},{src})"
                style = f["money"]
            ms.ws.write_formula(row, FIRST_COL + j, formula, style,
                                cached(value) if np.isfinite(value) else "")
            cells[f"{line}|{int(y)}"] = xl_rowcol_to_cell(row, FIRST_COL + j)
        line_rows[line] = row
        ms.next_row += 1
    # Debt service coverage per year (the lender's view, README "Financial statements").
    debt = result.financials(sheet.option).debt
    ds_row, dscr_row = ms.next_row, ms.next_row + 1
    ms.ws.write(ds_row, 0, "Debt service (interest + principal)", f["text"])
    ms.ws.write(dscr_row, 0, "DSCR = EBITDA / debt service", f["text"])
    for row in (ds_row, dscr_row):
        ms.ws.write(row, 1, "formula", f["how"])
    for j, y in enumerate(years):
        c = FIRST_COL + j
        interest = xl_rowcol_to_cell(line_rows["interest"], c)
        principal = xl_rowcol_to_cell(line_rows["principal_repaid"], c)
        ebitda = xl_rowcol_to_cell(line_rows["ebitda"], c)
        ds = xl_rowcol_to_cell(ds_row, c)
        ms.ws.write_formula(ds_row, c, f"={interest}+{principal}", f["money"],
                            cached(debt.loc[y, "debt_service"]))
        v = debt.loc[y, "dscr"]
        ms.ws.write_formula(dscr_row, c, f'=IF({ds}>0.005,{ebitda}/{ds},"—")', f["multiple"],
                            cached(v) if np.isfinite(v) else "—")
        cells[f"dscr|{int(y)}"] = xl_rowcol_to_cell(dscr_row, c)
    ms.next_row += 2
    # Revenue and EBITDA by site.
    for s, (rev, ebit) in enumerate(sheet.sites):
        site = result.inputs.sites[s]
        for what, src, line in (("revenue", rev, "revenue"), ("EBITDA", ebit, "ebitda")):
            row = ms.next_row
            frame = result.annual_by_site(sheet.option, line)
            ms.ws.write(row, 0, f"{site}: {what}", f["text"])
            ms.ws.write(row, 1, "formula", f["how"])
            for j, y in enumerate(years):
                ms.ws.write_formula(row, FIRST_COL + j,
                                    f"=SUMIF({year_span},{int(y)},{ms.span(src)})", f["money"],
                                    cached(frame.loc[y, site]))
            ms.next_row += 1
    ms.next_row += 1
    frames = result.financials(sheet.option).annual
    for entity, rows in sheet.statements.items():
        statement_rows.annual(ms, entity, rows, [int(y) for y in years], result.horizon, f,
                              frames[entity])
    return cells


def build(result: Comparison, path: str | Path) -> Path:
    """Write ``result`` as a workbook at ``path`` (atomically); returns the path."""
    path = Path(path)
    with replacing(path, prefix=f".{path.stem}-", suffix=".xlsx") as tmp:
        _write(result, tmp)
    return path


def _write(result: Comparison, filename: str) -> None:
    wb = xlsxwriter.Workbook(filename, {"nan_inf_to_errors": True})
    wb.set_calc_mode("auto")
    wb.set_properties({"title": f"msomodel: {result.scenario.name}", "author": "msomodel"})
    f = _formats(wb)
    read = wb.add_worksheet("Read me")
    summ = wb.add_worksheet("Summary")
    inp = InputsSheet(wb, result.scenario, result.inputs, f)
    option_ms = {o: _month_sheet(wb, SHEET_NAMES[o], f"{result.label(o)} — "
                                 f"{result.structure_label} (USD per month)", result, f)
                 for o in OPTIONS}
    cap_ms = _month_sheet(wb, capital_sheet.SHEET, "Capital, loan and depreciation (every option)",
                          result, f)
    stat = wb.add_worksheet("Statements")
    eng_ms = _month_sheet(wb, "Engine values", "Engine values: msomodel's own figures, as values, "
                          "for comparison (they do not follow edited inputs)", result, f)
    engine = option_sheet.EngineValues(eng_ms)
    capital = capital_sheet.write(cap_ms, inp, result.inputs)
    sheets = {}
    for o in OPTIONS:
        sheets[o] = option_sheet.write(option_ms[o], inp, result.inputs, result.projections[o],
                                       result.label(o), capital, engine)
        _annual(sheets[o], result, f)
    summary_sheets.summary(summ, result, sheets, f)
    summary_sheets.statements(stat, result, f)
    summary_sheets.readme(read, result, sheets, f, SHEET_NAMES)
    inp.finish()
    for ws in (read, summ, inp.ws, stat):
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_paper(9)  # A4; Letter users print fine too (fit to width)
    for ms in [*option_ms.values(), cap_ms, eng_ms]:
        ms.ws.set_landscape()
        ms.ws.repeat_rows(0, 3)
        ms.ws.repeat_columns(0, 1)
        ms.ws.set_print_scale(45)
    summ.activate()
    wb.close()


def export(scenario: Scenario, path: str | Path, *, trials: int | None = None,
           seed: int | None = None) -> Path:
    """Compare ``scenario`` and write its workbook to ``path``."""
    kwargs = {k: v for k, v in (("trials", trials), ("seed", seed)) if v is not None}
    return build(compare(scenario, **kwargs), path)
