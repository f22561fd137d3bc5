"""An Excel workbook with live formulas that recalculate to msomodel's own figures
(``msomodel export SCENARIO -o client.xlsx``); see the workbook's Read me sheet and README,
"Excel workbook".

The workbook code (and XlsxWriter) is imported on first use, so that registering the
``export`` sub-command costs the other commands nothing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SHEET_NAMES", "build", "export"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from msomodel.export import workbook

        return getattr(workbook, name)
    raise AttributeError(f"module 'msomodel.export' has no attribute {name!r}")
