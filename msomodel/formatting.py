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


#: IRRs beyond this bound read "> 1,000%" (or "< -1,000%"): such rates carry no information.
IRR_DISPLAY_BOUND = 10.0


def irr(value: Any, digits: int = 1) -> str:
    """An annual IRR as a percentage, bounded for display (see :data:`IRR_DISPLAY_BOUND`)."""
    if missing(value):
        return "—"
    v = float(value)
    if v > IRR_DISPLAY_BOUND:
        return f"> {IRR_DISPLAY_BOUND * 100:,.0f}%"
    if v < -IRR_DISPLAY_BOUND:
        return f"< -{IRR_DISPLAY_BOUND * 100:,.0f}%"
    return pct(v, digits)


def lower_first(label: str) -> str:
    """'Third-party MSO' -> 'third-party MSO'; a leading acronym ('MSO ...') keeps its case."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label
