"""Sheet layout shared by the workbook's monthly sheets: one row per line, months as columns.

Column A holds the line's label, column B how it is computed ("formula", "engine value",
"input"), column C is index 0 (the start: set-up flows) and the next columns months 1..H.
Every formula is written with its cached value (what msomodel computes), so a viewer that does
not recalculate still shows numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

FIRST_COL = 2  # column C: index 0
LABEL_COL, HOW_COL = 0, 1
MONTH_ROW, DATE_ROW, YEAR_ROW = 1, 2, 3  # 0-based rows of the header


def col(m: int) -> str:
    """Column letter of month index ``m``."""
    return xl_col_to_name(FIRST_COL + m)


def quote(sheet: str) -> str:
    """A sheet name as formulas spell it."""
    return f"'{sheet}'" if not sheet.isalnum() else sheet


def cached(value: float) -> float | str:
    """A cached value XlsxWriter can store (non-finite numbers become an empty string)."""
    v = float(value)
    return v if np.isfinite(v) else ""


@dataclass
class MonthSheet:
    """A worksheet laid out by month index 0..horizon; rows are 0-based."""

    ws: Worksheet
    name: str
    horizon: int
    formats: dict
    next_row: int = 5
    kinds: dict[int, str] = field(default_factory=dict)

    @property
    def months(self) -> range:
        return range(self.horizon + 1)

    def cell(self, row: int, m: int, *, absolute: bool = False, sheet: bool = False) -> str:
        ref = xl_rowcol_to_cell(row, FIRST_COL + m, row_abs=absolute, col_abs=absolute)
        return f"{quote(self.name)}!{ref}" if sheet else ref

    def span(self, row: int, *, sheet: bool = False) -> str:
        """The row's whole month range (absolute), e.g. ``$C$10:$BK$10``."""
        a = xl_rowcol_to_cell(row, FIRST_COL, row_abs=True, col_abs=True)
        b = xl_rowcol_to_cell(row, FIRST_COL + self.horizon, row_abs=True, col_abs=True)
        return f"{quote(self.name)}!{a}:{b}" if sheet else f"{a}:{b}"

    def spread(self, row: int, k_ref: str, m: int) -> str:
        """Month ``m``'s part of ``row``'s amounts when each is spread evenly over its month and
        the k - 1 after it (:func:`msomodel.operations.spread`; k in cell ``k_ref``, rounded, at
        least 1): the sum of the last k months / k."""
        kk = f"MAX(ROUND({k_ref},0),1)"
        span = self.span(row)
        return f"SUM(INDEX({span},1,MAX(1,{m + 2}-{kk})):INDEX({span},1,{m + 1}))/{kk}"

    def heading(self, text: str) -> int:
        self.next_row += 1
        row = self.next_row
        self.ws.write(row, LABEL_COL, text, self.formats["heading"])
        self.next_row += 1
        return row

    def line(self, label: str, formula: Callable[[int], str], values: Sequence[float] | np.ndarray,
             *, how: str = "formula", fmt: str = "money") -> int:
        """Write one line: ``formula(m)`` (without '=') in every month, cached ``values[m]``."""
        row = self.next_row
        self.ws.write(row, LABEL_COL, label, self.formats.get("bold" if fmt == "total" else "text"))
        self.ws.write(row, HOW_COL, how, self.formats["how"])
        style = self.formats["money" if fmt == "total" else fmt]
        for m in self.months:
            self.ws.write_formula(row, FIRST_COL + m, "=" + formula(m), style, cached(values[m]))
        self.kinds[row] = how
        self.next_row += 1
        return row

    def scalar(self, label: str, formula: str, value: float, *, how: str = "formula",
               fmt: str = "money") -> str:
        """A single-cell parameter in column C; returns its absolute address."""
        row = self.next_row
        self.ws.write(row, LABEL_COL, label, self.formats["text"])
        self.ws.write(row, HOW_COL, how, self.formats["how"])
        self.ws.write_formula(row, FIRST_COL, "=" + formula, self.formats[fmt], cached(value))
        self.next_row += 1
        return xl_rowcol_to_cell(row, FIRST_COL, row_abs=True, col_abs=True)
