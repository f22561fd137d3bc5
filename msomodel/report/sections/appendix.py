"""Appendix: every input with its value, unit and source; conventions and reproduction."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from msomodel import tables
from msomodel.compare import CONVENTIONS, Comparison
from msomodel.report.sections.common import _e, block

# ----------------------------------------------------------------- 7. assumptions
_GROUPS = {"structure": "Legal structure", "finance": "Finance", "adjustments": "Adjustments", "site_defaults": "Site economics",
           "sites": "Sites", "mso": "Third-party MSO offer", "software": "Software offer",
           "compliance": "Compliance", "owner": "Owner"}
_SUBGROUPS = {"service_lines": "Service line", "roles": "Role", "opex": "Running cost",
              "equipment": "Equipment", "capacity": "Capacity", "staffing": "Staffing"}
_LIST_GROUPS = ("service_lines", "roles", "opex", "equipment")


def _split_path(path: str) -> tuple[str, str, str]:
    """(section, sub-group, input) for the appendix."""
    parts = path.split(".")
    section = _GROUPS.get(parts[0], parts[0].replace("_", " ").capitalize())
    rest = parts[1:]
    if parts[0] == "sites" and rest:
        name, rest = rest[0], rest[1:]
        if len(rest) > 2 and rest[0] == "overrides":
            rest = rest[1:]
        return section, f"Site: {name}", ".".join(rest)
    for i, part in enumerate(rest[:-2]):
        if part in _LIST_GROUPS:
            return (section, f"{_SUBGROUPS[part]}: {rest[i + 1].replace('_', ' ')}",
                    ".".join(rest[i + 2:]))
    if len(rest) > 1:
        return section, rest[0].replace("_", " ").capitalize(), ".".join(rest[1:])
    return section, "", ".".join(rest)


def plain_name(name: str) -> str:
    """An input's name within its group in words: "fee.per_site_monthly" -> "fee, per site
    monthly" (no dotted field paths reach the reader)."""
    return ", ".join(p.replace("_", " ") for p in name.split(".") if p) or "value"


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
        return tables.money(value, cents=cents), _per(unit.removeprefix("USD"))
    if float(value).is_integer():
        return f"{int(value):,}", unit
    return f"{value:,.4g}", unit


def _per(rest: str) -> str:
    """The unit after a currency or fraction: "/month per site" -> "per month per site"."""
    rest = rest.strip()
    return f"per {rest[1:].strip()}" if rest.startswith("/") else rest


def assumptions_appendix(frame: pd.DataFrame) -> str:
    """``msomodel.assumptions.table`` grouped by section, one compact table per section."""
    out = []
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
                name = plain_name(r.name)
                if r.source == "model default":
                    defaults.append(f"{name} {value}" + (f" {unit}" if unit else ""))
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


def provenance(result: Comparison, *, version: str, parameters: dict[str, Any]) -> str:
    """Conventions, scenario hash, package version and the parameters the report was run with."""
    s = result.scenario
    params = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in parameters.items())
    conventions = "".join(f"<li>{_e(sentence.strip())}.</li>"
                          for sentence in CONVENTIONS.rstrip(". ").split(". ") if sentence.strip(" ."))
    return (block("<h3>Conventions</h3>", f'<ul class="conventions">{conventions}</ul>',
                  "<h3>Reproducing this report</h3>",
                    f'<table class="facts"><tr><th>Scenario file</th><td>{_e(_file(s.source_path))}</td>'
                    f"</tr><tr><th>SHA-256</th><td class=\"mono\">{_e(s.sha256)}</td></tr>"
                    f"<tr><th>Package</th><td>msomodel {_e(version)}</td></tr>{params}</table>"))


