"""Appendix: every input with its value, unit and source; conventions and reproduction."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from msomodel.compare import Comparison
from msomodel.formatting import ACRONYMS, US_SPELLING, heading, key_text, lower_first
from msomodel.report.sections.common import _e, amount, block, schema_label

# ----------------------------------------------------------------- 7. assumptions
_GROUPS = {"structure": "Legal structure", "finance": "Finance", "adjustments": "Adjustments", "site_defaults": "Site economics",
           "sites": "Sites", "mso": "Third-party MSO offer", "software": "Software offer",
           "compliance": "Compliance", "owner": "Owner"}
_SUBGROUPS = {"service_lines": "Service line", "roles": "Role", "opex": "Running cost",
              "equipment": "Equipment", "capacity": "Capacity", "staffing": "Staffing"}
_LIST_GROUPS = ("service_lines", "roles", "opex", "equipment")
#: Groups whose field name is not the reader's word for them.
_NAMED = {"absorbed_opex": "Running costs it takes over",
          "replaces_opex": "Running costs it replaces"}


def _split_path(path: str) -> tuple[str, str, str]:
    """(section, sub-group, input) for the appendix."""
    parts = path.split(".")
    section = _GROUPS.get(parts[0], heading(parts[0]))
    rest = parts[1:]
    if parts[0] == "sites" and rest:
        name, rest = rest[0], rest[1:]
        if len(rest) > 2 and rest[0] == "overrides":
            rest = rest[1:]
        for i, part in enumerate(rest[:-2]):  # an override of one line, role or running cost
            if part in _LIST_GROUPS:
                return (section, f"Site: {name}, {_SUBGROUPS[part].lower()}: "
                        f"{key_words(rest[i + 1])}", ".".join(rest[i + 2:]))
        return section, f"Site: {name}", ".".join(rest)
    for i, part in enumerate(rest[:-2]):
        if part in _LIST_GROUPS:
            return (section, f"{_SUBGROUPS[part]}: {key_words(rest[i + 1])}",
                    ".".join(rest[i + 2:]))
    if len(rest) > 1:
        return section, _NAMED.get(rest[0]) or heading(rest[0]), ".".join(rest[1:])
    return section, "", ".".join(rest)


#: Licenses and roles that a name made from a key writes in capitals ("injector_rn").
_KEY_ACRONYMS = {**ACRONYMS, **US_SPELLING, "rn": "RN", "np": "NP", "pa": "PA", "md": "MD",
                 "ipl": "IPL", "prp": "PRP", "hr": "HR", "it": "IT"}


#: Keys that read better rephrased than spelled out word by word.
_KEY_WORDS = {"accounting_legal": "accounting and legal", "supplies_other": "other supplies"}


def key_words(key: str) -> str:
    """A key of the scenario (a line, role or running cost) in words: "injector_rn" ->
    "injector RN", "accounting_legal" -> "accounting and legal"."""
    return _KEY_WORDS.get(key) or " ".join(_KEY_ACRONYMS.get(w, w) for w in key.split("_") if w)


def input_name(path: str, name: str) -> str:
    """An input's label in the appendix with what the schema's words leave out: the key of a
    mapping ("Share of each running cost the MSO takes over: compliance") and the number of an
    unnamed list item ("No. 2: share of the practice held by this owner")."""
    label = schema_label(path) or plain_name(name)
    parent = path.rsplit(".", 1)[0]
    parts = name.split(".")
    if len(parts) == 1 and "." in path and schema_label(parent) == label:  # a mapping's key
        return f"{label}: {key_words(parts[0])}"
    if parts[0].isdigit():
        return f"No. {int(parts[0]) + 1}: {lower_first(label)}"
    return label


def plain_name(name: str) -> str:
    """An input's name within its group in words: "fee.per_site_monthly" -> "fee, per site
    monthly" (no dotted field paths reach the reader)."""
    return ", ".join(key_text(p) for p in name.split(".") if p) or "value"


def _file(path: str | None) -> str:
    return Path(path).name if path else "—"


def _unit_value(value: Any, unit: str) -> tuple[str, str]:
    if isinstance(value, bool):
        return ("yes" if value else "no"), ""
    if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        return str(value), unit
    if unit.startswith("fraction"):
        digits = 0 if abs(value * 100 - round(value * 100)) < 1e-9 else (
            1 if abs(value * 1000 - round(value * 1000)) < 1e-9 else 2)
        return f"{value * 100:.{digits}f}%", _per(unit.removeprefix("fraction"))
    if unit.startswith("USD"):
        cents = abs(value - round(value)) > 1e-9
        return amount(value, cents=cents), _per(unit.removeprefix("USD"))
    if float(value).is_integer():
        return f"{int(value):,}", _singular(unit) if abs(value) == 1 else unit
    return f"{value:,.4g}", unit


_COUNTED = ("months", "years", "weeks", "days", "hours", "units", "sites", "visits", "people")


def _singular(unit: str) -> str:
    """The unit after a count of one: "months" -> "month", "units/month per site" ->
    "unit/month per site"; other units as they are."""
    for word in _COUNTED:
        if unit == word or unit.startswith((word + "/", word + " ")):
            return word[:-1] + unit[len(word):]
    return unit


def _per(rest: str) -> str:
    """The unit after a currency or fraction: "/month per site" -> "per month per site"."""
    rest = rest.strip()
    return f"per {rest[1:].strip()}" if rest.startswith("/") else rest


def assumptions_appendix(frame: pd.DataFrame) -> str:
    """``msomodel.assumptions.table`` grouped by section, one compact table per section."""
    from msomodel.assumptions import SOURCE_KINDS, source_counts

    counts = source_counts(frame)
    said = "; ".join(f"{n} {SOURCE_KINDS[k]}" for k, n in counts.items() if n)
    out = [block(f'<p class="source-counts"><strong>What the figures rest on.</strong> Of the '
                 f"{len(frame)} inputs, {_e(said)}.</p>")]
    frame = frame.copy()
    split = [_split_path(p) for p in frame["input"]]
    frame["section"] = [s[0] for s in split]
    frame["group"] = [s[1] for s in split]
    frame["name"] = [s[2] for s in split]
    for section, part in frame.groupby("section", sort=False):
        rows = []
        for group, sub in part.groupby("group", sort=False):
            if group:
                rows.append(f'<tr class="group"><th colspan="4">{_e(group)}</th></tr>')
            defaults = []
            for r in sub.itertuples():
                value, unit = _unit_value(r.value, r.unit)
                name = input_name(r.input, r.name)
                if r.source == "model default":
                    defaults.append(f"{lower_first(name)} {value}" + (f" {unit}" if unit else ""))
                    continue
                rows.append(f'<tr><td class="text name">{_e(name)}</td>'
                            f'<td class="num">{_e(value)}</td><td class="text unit">{_e(unit)}</td>'
                            f'<td class="text source">{_e(r.source)}</td></tr>')
            if defaults:
                rows.append(f'<tr class="defaults"><td colspan="4"><span>Model defaults (not set '
                            f'in the scenario):</span> {_e("; ".join(defaults))}</td></tr>')
        out.append(block(f"<h3>{_e(section)}</h3>",
                         '<table class="report assumptions"><colgroup><col class="c-name"/>'
                         '<col class="c-value"/><col class="c-unit"/><col class="c-source"/>'
                         '</colgroup><thead><tr><th class="text">Input</th>'
                         '<th class="num">Value</th><th class="text">Unit</th>'
                         '<th class="text">Source</th></tr></thead>'
                         f"<tbody>{''.join(rows)}</tbody></table>", keep=len(part) < 24))
    return "".join(out)


#: The conventions of :data:`msomodel.compare.CONVENTIONS`, in words for a reader.
CONVENTIONS_IN_WORDS = (
    "Cash flows are monthly: month 0 is the set-up before opening (build-out, equipment, "
    "onboarding fees), and each later month's cash flow is counted at the end of that month.",
    "An annual rate becomes a monthly one by compounding: the monthly rate is (1 + the annual "
    "rate) to the power 1/12, less 1; an IRR found month by month is annualized the same way. "
    "A loan's rate is the exception: it is a nominal APR, as lenders quote it, so its monthly "
    "rate is the APR / 12.",
    "NPV discounts every month's cash flow to month 0 at the scenario's discount rate and adds "
    "them up, the exit value included.",
    "The equity IRR is measured on the owner's cash flow after the loan (its draws, interest and "
    "repayments, and the exit net of the loan); the project IRR on the cash flow before any loan.",
    "Payback is the first month in which the cumulative cash flow is no longer negative; the "
    "payback of a switch between options is the month after which the cumulative difference "
    "stays at or above zero, shown only when the switch adds value (a positive NPV).",
    "The IRR of a switch is shown only where the difference in cash flows changes sign once; "
    "otherwise no single rate describes it.",
)


def provenance(result: Comparison, *, version: str, parameters: dict[str, Any]) -> str:
    """Conventions in words; the scenario's name, file name and hash, the package version and
    the parameters the report was run with (never a local path)."""
    s = result.scenario
    shown = {k: v for k, v in parameters.items() if k not in ("Scenario", "Scenario file")}
    params = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in shown.items())
    conventions = "".join(f"<li>{_e(sentence)}</li>" for sentence in CONVENTIONS_IN_WORDS)
    return (block("<h3>Conventions</h3>", f'<ul class="conventions">{conventions}</ul>')
            + block("<h3>Reproducing this report</h3>",
                  '<p class="small">The same scenario (same hash), package version and '
                  "parameters give the same figures.</p>",
                  f'<table class="facts"><tr><th>Scenario</th><td>{_e(s.name)}</td></tr>'
                  f"<tr><th>Scenario file</th><td>{_e(_file(s.source_path))}</td></tr>"
                  f'<tr><th>SHA-256</th><td class="mono">{_e(s.sha256 or "—")}</td></tr>'
                  f"<tr><th>Package</th><td>msomodel {_e(version)}</td></tr>{params}</table>"))


# ----------------------------------------------------------------- glossary
#: (term, definition) in the order a reader meets them; :func:`glossary` adds the amount rule.
GLOSSARY = (
    ("NPV (net present value)", "Every month's cash flow over the horizon, the exit value "
     "included, discounted to today at the scenario's discount rate and added up: what the "
     "option is worth now to an investor who needs that return."),
    ("Equity IRR (levered)", "The yearly return on the owner's own money: the rate at which the "
     "owner's cash flow after the loan (draws, interest, repayments, exit net of debt) has an "
     "NPV of zero."),
    ("Project IRR (unlevered)", "The same rate on the business's cash flow before any loan: the "
     "return of the project itself, however it is financed."),
    ("MOIC (equity multiple)", "Multiple on invested capital: the cash returned to the owner, "
     "exit included, divided by the cash the owner put in. 2.0x doubles the money."),
    ("Payback", "The first month in which the owner's cumulative cash flow is no longer "
     "negative."),
    ("Peak funding need", "The lowest point of the owner's cumulative cash flow: the most money "
     "the owner must have put in before the business pays its own way."),
    ("EBITDA", "Earnings before interest, taxes, depreciation and amortisation: revenue less "
     "operating costs, a measure of the business's running profit."),
    ("DSCR (debt-service coverage ratio)", "Here, a year's EBITDA divided by the loan payments "
     "due in it (interest and principal), the operating-cash-flow measure SBA lenders use; the "
     "Debt service table adds the stricter ratio after tax. Lenders ask for a minimum, often "
     "1.25x; below 1.0x the business cannot pay its loan from its own cash."),
    ("P5, P10, P50, P90, P95", "Percentiles of the simulated outcomes: 10% of trials fall "
     "below the P10 (the downside case the decision uses), half below the P50 (the median) and "
     "90% below the P90; the uncertainty tables show the wider P5 and P95 (5% of trials below, "
     "5% above)."),
    ("PC (professional corporation)", "A medical practice owned by licensed clinicians; in "
     "states that restrict who may own a practice, it employs the clinicians and earns the "
     "medical revenue."),
    ("Friendly PC", "A PC owned by a physician who works with the lay or non-physician owner's "
     "management company under a management agreement."),
    ("MSO (management services organization)", "A company that runs the business side of a "
     "practice (staff, premises, marketing, billing) for a fee; it may be a third party or "
     "owned by you."),
    ("MSA (management services agreement)", "The contract between the practice (PC) and the MSO "
     "that sets the services and the management fee."),
    ("CPOM (corporate practice of medicine)", "The rule in many states that only licensed "
     "clinicians may own a medical practice or control medical decisions; it is why some owners "
     "need a friendly PC."),
    ("FMV (fair market value)", "The price an independent party would pay for the services; "
     "management fees and medical-director pay are expected to be at FMV, not a share of "
     "profits or referrals."),
    ("Exit value", "What the owner receives at the end of the horizon: the sale price (the "
     "last 12 months' EBITDA times the exit multiple) less the loan left, any termination fee, "
     "the tax on the gain and the prepaid treatments still owed (deferred revenue), plus the "
     "cash reserve back."),
    ("Discount rate", "The yearly return an investor requires; NPV is measured against it."),
)


def glossary(amount_rule: str) -> str:
    """The terms of the report in plain words, and how amounts are written."""
    rows = "".join(f'<tr><th class="text term">{_e(term)}</th><td class="text">{_e(text)}</td></tr>'
                   for term, text in (*GLOSSARY, ("Amounts ($k, $m)", amount_rule)))
    return block('<table class="glossary"><colgroup><col class="c-term"/><col class="c-def"/>'
                 f"</colgroup><tbody>{rows}</tbody></table>", keep=False, breakable=True)
