"""The Capital sheet: each site's capital spend, loan (PMT/IPMT/PPMT) and depreciation, the same
for every option; the option sheets read its totals.

- spend at index ``open_month - 1``: build-out (``startup_cost``) and equipment;
- loan: ``LoanShare`` of the spend, drawn then, repaid as a level annuity at ``LoanRate / 12``
  over ``LoanTerm`` months; an SBA 7(a) loan's guaranty fee is paid at the draw;
- depreciation straight-line from the opening month over the life of each asset class.
"""

# Row formulas are lambdas of the month index that MonthSheet.line evaluates at once, inside
# the loop iteration that defines them, so late binding of loop variables cannot bite.
# ruff: noqa: B023

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from msomodel import finance
from msomodel import timeline as tl
from msomodel.export.grid import MonthSheet, col
from msomodel.export.inputs_sheet import InputsSheet
from msomodel.inputs import ModelInputs

SHEET = "Capital"
TOTALS = ("capex", "capex_buildout", "capex_equipment", "loan_draw", "loan_fee", "interest",
          "principal_repaid", "loan_balance", "depreciation")
LABELS = {"capex": "Capital spend", "capex_buildout": "Build-out spend",
          "capex_equipment": "Equipment spend", "loan_draw": "Loan drawn",
          "loan_fee": "Loan fee (SBA guaranty)", "interest": "Interest",
          "principal_repaid": "Principal repaid", "loan_balance": "Loan balance (month end)",
          "depreciation": "Depreciation"}


@dataclass
class Capital:
    sheet: MonthSheet
    rows: dict[str, int]   # total line -> row
    values: dict[str, np.ndarray]

    def ref(self, line: str, m: int) -> str:
        return self.sheet.cell(self.rows[line], m, sheet=True)


def write(ms: MonthSheet, inp: InputsSheet, inputs: ModelInputs) -> Capital:
    x = {k: np.asarray(v, dtype=float) for k, v in inputs.arrays.items()}
    H = inputs.horizon
    m = np.arange(H + 1)
    R = inp.ref
    E = x["equipment"].shape[1]
    per_site: dict[str, list[int]] = {k: [] for k in TOTALS}
    vals: dict[str, list[np.ndarray]] = {k: [] for k in TOTALS}
    for s, site in enumerate(inputs.sites):
        ms.heading(f"{site}")
        open_ = R("open_month", s)
        when = x["open_month"][s] - 1.0
        build, equip = x["startup"][s], x["equipment"][s].sum()
        equip_terms = "+".join(R("equipment", s, e) for e in range(E))
        at_open = f"{{c}}$2={open_}-1"

        def put(key: str, label: str, f, v, fmt: str = "money") -> int:
            row = ms.line(f"{site}: {label}", f, v, fmt=fmt)
            if key:
                per_site[key].append(row)
                vals[key].append(np.asarray(v, dtype=float))
            return row


        put("capex_buildout", "build-out spend",
            lambda k: f"IF({at_open.format(c=col(k))},{R('startup', s)},0)", (m == when) * build)
        put("capex_equipment", "equipment spend",
            lambda k: f"IF({at_open.format(c=col(k))},{equip_terms},0)", (m == when) * equip)
        put("capex", "capital spend",
            lambda k: f"{ms.cell(ms.next_row - 2, k)}+{ms.cell(ms.next_row - 1, k)}",
            (m == when) * (build + equip))
        borrowed = (build + equip) * x["loan_frac"]
        amount = ms.scalar(f"{site}: amount borrowed",
                           f"({R('startup', s)}+{equip_terms})*LoanShare", borrowed)
        guaranteed = ms.scalar(f"{site}: SBA-guaranteed share of the loan",
                               f"{amount}*IF({amount}<=150000,0.85,0.75)",
                               borrowed * (0.85 if borrowed <= 150_000 else 0.75))
        fee = float(finance.sba_guaranty_fee(borrowed)) * x["loan_sba"]
        fee_cell = ms.scalar(
            f"{site}: SBA 7(a) guaranty fee (FY2026 schedule; 0 unless program sba_7a)",
            f"{R('loan_sba')}*IF({amount}<=0,0,IF({amount}>1000000,"
            f"({guaranteed}-MAX({guaranteed}-1000000,0))*0.035+MAX({guaranteed}-1000000,0)*0.0375,"
            f"{guaranteed}*IF({amount}<=150000,0.02,IF({amount}<=700000,0.03,0.035))))", fee)
        loan = finance.loan_schedule(borrowed, x["loan_rate"], x["loan_term"], when, H + 1)
        put("loan_draw", "loan drawn",
            lambda k: f"IF({at_open.format(c=col(k))},{amount},0)", loan.draw)
        put("loan_fee", "loan fee", lambda k: f"IF({at_open.format(c=col(k))},{fee_cell},0)",
            (m == when) * fee)
        per_row = ms.line(f"{site}: payment number (0 = the draw)",
                          lambda k: f"{col(k)}$2-({open_}-1)", m - when, fmt="number")
        rate = "LoanRate/12"
        paying = "AND({p}>=1,{p}<=LoanTerm)"
        put("interest", "interest",
            lambda k: (f"IF({paying.format(p=ms.cell(per_row, k))},"
                       f"-IPMT({rate},{ms.cell(per_row, k)},LoanTerm,{amount}),0)"), loan.interest)
        put("principal_repaid", "principal repaid",
            lambda k: (f"IF({paying.format(p=ms.cell(per_row, k))},"
                       f"-PPMT({rate},{ms.cell(per_row, k)},LoanTerm,{amount}),0)"),
            loan.principal_repaid)
        put("loan_balance", "loan balance (month end)",
            lambda k: (f"IF(AND({ms.cell(per_row, k)}>=0,{ms.cell(per_row, k)}<LoanTerm),"
                       f"-FV({rate},{ms.cell(per_row, k)},PMT({rate},LoanTerm,{amount}),{amount}),0)"),
            loan.balance)
        n_build, n_equip = "MAX(DepreciationMonths,1)", "MAX(EquipmentDepreciationMonths,1)"
        dep = (tl.straight_line(np.asarray(build), x["open_month"][s], x["dep_months"], H)
               + tl.straight_line(np.asarray(equip), x["open_month"][s], x["dep_equip_months"], H))
        put("depreciation", "depreciation",
            lambda k: (f"IF(AND({col(k)}$2>={open_},{col(k)}$2<{open_}+{n_build}),"
                       f"{R('startup', s)}/{n_build},0)"
                       f"+IF(AND({col(k)}$2>={open_},{col(k)}$2<{open_}+{n_equip}),"
                       f"({equip_terms})/{n_equip},0)"), dep)
    ms.heading("All sites")
    rows, totals = {}, {}
    for key in TOTALS:
        total = np.sum(vals[key], axis=0)
        rows[key] = ms.line(LABELS[key], lambda k, key=key: "+".join(
            ms.cell(r, k) for r in per_site[key]), total, fmt="total")
        totals[key] = total
    return Capital(ms, rows, totals)
