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


#: Words that a heading made from a field name writes in capitals.
ACRONYMS = {"pc": "PC", "mso": "MSO", "msa": "MSA", "irr": "IRR", "npv": "NPV",
            "ebitda": "EBITDA", "dscr": "DSCR", "fmv": "FMV", "sba": "SBA"}
#: A decision's verdict in words (:mod:`msomodel.decision`), for every table and page.
VERDICTS = {"recommended": "Recommended", "too_close": "Too close to call",
            "none_pays": "No option pays", "too_short": "Horizon too short to judge",
            "no_lawful_option": "No lawful option"}
#: Words of the scenario file's keys that keep a British spelling (``capacity.utilisation``,
#: ``owner.licence``), as a label writes them for a US reader.
US_SPELLING = {"utilisation": "utilization", "licence": "license", "licences": "licenses"}


def key_text(key: str) -> str:
    """A key in words, US spelling: "trigger_utilisation" -> "trigger utilization"."""
    return " ".join(US_SPELLING.get(w, w) for w in key.split("_") if w)


def heading(name: str) -> str:
    """A field name as a heading: "friendly_pc" -> "Friendly PC", "mso_fee" -> "MSO fee"."""
    text = " ".join(ACRONYMS.get(w) or US_SPELLING.get(w, w) for w in name.split("_") if w)
    return text[:1].upper() + text[1:]


def lower_first(label: str) -> str:
    """'Third-party MSO' -> 'third-party MSO'; a leading acronym ('MSO ...') keeps its case."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


#: The one rule for amounts in report tables, in words (stated once in the report).
AMOUNT_RULE = ("Amounts from $10,000 up are rounded to three significant figures and shown in "
               "thousands or millions ($71.6k = $71,600; $716k = $716,000; $7.16m = $7,160,000); "
               "smaller amounts are to the dollar. Exact figures: msomodel compare --format json "
               "(or csv) on the scenario file, or its workbook (msomodel export).")


def amount(value: Any, *, cents: bool = False) -> str:
    """An amount for a report table, by :data:`AMOUNT_RULE`: ``$71.6k``, ``$716k``, ``$7.16m``,
    ``$9,500`` (``-$7.16m`` when negative); an em dash for missing values. ``cents`` keeps the
    cents of an amount below $10,000 (a unit price of $6.56). The unit follows the rounded value,
    so $999,600 reads ``$1.00m``, never ``$1,000k``."""
    if missing(value):
        return "—"
    v = float(value)
    a = float(f"{abs(v):.3g}")
    if abs(v) < 1e4 and a < 1e4:
        return money(v, cents=cents)
    if a >= 1e6:
        m = a / 1e6
        text = f"${m:,.{2 if m < 10 else 1 if m < 100 else 0}f}m"
    else:
        k = a / 1e3
        text = f"${k:.{1 if k < 100 else 0}f}k"
    return f"-{text}" if v < 0 else text


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: every character but letters, digits and a few safe ones
    escaped, so nothing in it can end the string or the ``<style>`` element around it."""
    escaped = "".join(c if c.isalnum() or c in " .,-_()&'" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'
