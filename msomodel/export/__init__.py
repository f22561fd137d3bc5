"""An Excel workbook with live formulas that recalculate to msomodel's own figures
(``msomodel export SCENARIO -o client.xlsx``); see the workbook's Read me sheet and README,
"Excel workbook"."""

from msomodel.export.workbook import SHEET_NAMES, build, export

__all__ = ["SHEET_NAMES", "build", "export"]
