"""Data validation of the Inputs sheet: each input cell takes only what the scenario schema
allows (its bounds, whole numbers where the field is an integer), so a typed-in value can never
leave the model's domain: no loan term or contract term of 0 months, no fractional month
count (the model and the workbook would round 2.5 differently), no negative price."""

from __future__ import annotations

import math

from msomodel.analysis.paths import Bounds

#: A whole number with no schema bound: Excel's whole-number range.
_WHOLE = (-2147483647.0, 2147483647.0)


def _num(v: float) -> str:
    return f"{v:.15g}"


#: Bounds this far out are the schema's guard against absurd input (e.g. amounts up to 1e12),
#: not limits a reader needs told: they are validated but not named.
_UNSAID = 1e12


def describe(b: Bounds) -> str:
    """The admissible values in words, e.g. "a whole number from 1 to 600", "a number, above 0
    and at most 1", "a number, at least 0" (a bound of a trillion or more goes unsaid)."""
    kind = "a whole number" if b.integer else "a number"
    lo, hi = abs(b.lower) < _UNSAID, abs(b.upper) < _UNSAID
    if lo and hi and not (b.lower_open or b.upper_open):
        return f"{kind} from {_num(b.lower)} to {_num(b.upper)}"
    parts = []
    if lo:
        parts.append(f"{'above' if b.lower_open else 'at least'} {_num(b.lower)}")
    if hi:
        parts.append(f"{'below' if b.upper_open else 'at most'} {_num(b.upper)}")
    return f"{kind}, {' and '.join(parts)}" if parts else kind


def rule(b: Bounds, cell: str, label: str, unit: str) -> dict | None:
    """XlsxWriter ``data_validation`` options for the input cell ``cell`` (e.g. ``B7``), or
    None for a number the schema does not bound."""
    lo, hi = math.isfinite(b.lower), math.isfinite(b.upper)
    if not (lo or hi or b.integer):
        return None
    kind = "integer" if b.integer else "decimal"
    if b.lower_open or b.upper_open:  # Excel's criteria are closed: a formula says it
        tests = ([f"{cell}{'>' if b.lower_open else '>='}{_num(b.lower)}"] if lo else []) + (
            [f"{cell}{'<' if b.upper_open else '<='}{_num(b.upper)}"] if hi else [])
        if b.integer:
            tests.append(f"INT({cell})={cell}")
        options: dict = {"validate": "custom", "value": f"=AND({','.join(tests)})"}
    elif lo and hi:
        options = {"validate": kind, "criteria": "between", "minimum": b.lower,
                   "maximum": b.upper}
    elif lo:
        options = {"validate": kind, "criteria": ">=", "value": b.lower}
    elif hi:
        options = {"validate": kind, "criteria": "<=", "value": b.upper}
    else:
        options = {"validate": kind, "criteria": "between", "minimum": _WHOLE[0],
                   "maximum": _WHOLE[1]}
    allowed = describe(b) + (f" ({unit})" if unit else "")
    message = f"{label}: {allowed}, as msomodel's scenario schema allows."
    if len(message) > 255:  # Excel's limit
        message = f"Expected {allowed}, as msomodel's scenario schema allows."[:255]
    options.update(error_type="stop", error_title="Outside the model's range",
                   error_message=message)
    return options

