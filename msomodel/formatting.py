"""Number formatting shared by tables, the CLI, the report and the recommendation sentence."""

from __future__ import annotations

import math
from typing import Any


def missing(value: Any) -> bool:
    """None or a non-finite float (NaN, inf): shown as a dash or "never"."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def money(value: Any, *, cents: bool = False) -> str:
    """``$1,234`` / ``-$1,234``; an em dash for missing values."""
    if missing(value):
        return "—"
    v = float(value)
    text = f"${abs(v):,.2f}" if cents else f"${abs(v):,.0f}"
    return f"-{text}" if v < 0 and text.strip("$0.,") else text


def pct(value: Any, digits: int = 1) -> str:
    if missing(value):
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def month(value: Any) -> str:
    if missing(value):
        return "never"
    return f"month {int(value)}"


def multiple(value: Any) -> str:
    if missing(value):
        return "—"
    return f"{float(value):.1f}x"
