"""The explorer's logic without widgets: settings -> scenario dict -> comparison -> outputs.

:class:`Settings` holds what the controls say, each field ``None`` when the control still shows
the starting scenario's value (so an untouched explorer reproduces the scenario exactly).
:func:`apply_settings` writes them into a copy of the scenario's raw dict, :func:`compute` runs
``scenario_from_dict`` -> ``compare`` and prepares the table and the chart data (no drawing), and
:func:`save_scenario` writes the dict as a complete scenario YAML.

The parts live in their own modules and are re-exported here: :mod:`.settings` (Settings and
:func:`apply_settings`), :mod:`.files` (starting scenarios and saving), :mod:`.drivers` (what
drives the answer).  This module keeps :func:`compute` and what the page shows of a comparison.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from msomodel import tables
from msomodel.compare import Comparison, compare
from msomodel.explorer.drivers import (
    DRIVER_LABELS,
    DRIVER_OUTCOMES,
    DRIVER_ROWS,
    DRIVER_UNITS,
    FEE_LEVEL_UNITS,
    DriverRow,
    Drivers,
    driver_label,
    driver_value,
    drivers,
    drivers_html,
)
from msomodel.explorer.files import (
    bundled_scenarios,
    default_save_dir,
    load_raw,
    repo_root,
    safe_filename,
    save_scenario,
    scenario_folders,
)
from msomodel.explorer.settings import (
    COMMON_FEE_KEYS,
    DEFAULT_CADENCE,
    DEFAULT_HYBRID_BASE,
    DEFAULT_LEVEL,
    FEE_LABELS,
    FEE_TYPES,
    LEVEL_KEY,
    Settings,
    SettingsError,
    absorbed_roles,
    apply_settings,
    average_ticket,
    cadence,
    fee_level,
    get,
    product_cost_share,
    roles,
    treatment_visits,
)
from msomodel.loader import scenario_from_dict
from msomodel.metrics import fee_sweep
from msomodel.scenario import OPTIONS

__all__ = [
    # compute (this module)
    "BREAKEVEN_POINTS", "ChartData", "Snapshot", "chart_data", "compute", "feasibility_notes",
    "key_figures_html",
    # settings
    "COMMON_FEE_KEYS", "DEFAULT_CADENCE", "DEFAULT_HYBRID_BASE", "DEFAULT_LEVEL", "FEE_LABELS",
    "FEE_TYPES", "LEVEL_KEY", "Settings", "SettingsError", "absorbed_roles", "apply_settings",
    "average_ticket", "cadence", "fee_level", "get", "product_cost_share", "roles",
    "treatment_visits",
    # files
    "bundled_scenarios", "default_save_dir", "load_raw", "repo_root", "safe_filename",
    "save_scenario", "scenario_folders",
    # drivers
    "DRIVER_LABELS", "DRIVER_OUTCOMES", "DRIVER_ROWS", "DRIVER_UNITS", "FEE_LEVEL_UNITS",
    "DriverRow", "Drivers", "driver_label", "driver_value", "drivers", "drivers_html",
]

BREAKEVEN_POINTS = 17


# --------------------------------------------------------------------------- compute
@dataclass
class ChartData:
    """Everything the three charts draw, in plain arrays."""

    labels: dict[str, str]
    allowed: dict[str, bool]
    months: np.ndarray
    cumulative: dict[str, np.ndarray]
    years: np.ndarray
    ebitda: dict[str, np.ndarray]
    fee_levels: np.ndarray
    fee_values: np.ndarray
    fee_current: float
    fee_breakeven: float | None
    fee_scale: float
    fee_xlabel: str
    fee_ylabel: str
    fee_title: str


@dataclass
class Snapshot:
    """One recompute: the comparison and what the page shows of it."""

    data: dict[str, Any]
    result: Comparison
    table_html: str
    recommendation: str
    breakeven_text: str
    notes: list[tuple[str, str]]  # (severity, text)
    charts: ChartData
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def mso_npv(self) -> float:
        return float(self.result.metrics["mso"]["npv"])


def compute(data: dict[str, Any], *, source: str = "<explorer>") -> Snapshot:
    """``scenario_from_dict`` -> ``compare`` -> table HTML, sentences and chart data.

    Raises :class:`~msomodel.loader.ScenarioError` for an invalid scenario.
    """
    t0 = time.perf_counter()
    scenario = scenario_from_dict(data, source=source)
    result = compare(scenario)  # Comparison caches its annual tables
    t1 = time.perf_counter()
    frame = tables.key_figures(result)
    table = key_figures_html(result, frame)
    recommendation = str(result.recommendation["reason"])
    be = result.breakeven
    what = "PC break-even fee" if be.target == "pc_breaks_even" else "Break-even MSO fee"
    breakeven_text = (f"{what}: {tables.fee_level(be.level, be.unit)} "
                      f"(chosen: {tables.fee_level(be.current, be.unit)}).")
    notes = feasibility_notes(result)
    t2 = time.perf_counter()
    charts = chart_data(result)
    t3 = time.perf_counter()
    timings = {"model": (t1 - t0) * 1e3, "table": (t2 - t1) * 1e3, "chart_data": (t3 - t2) * 1e3,
               "total": (t3 - t0) * 1e3}
    return Snapshot(data, result, table, recommendation, breakeven_text, notes, charts, timings)


def feasibility_notes(result: Comparison) -> list[tuple[str, str]]:
    """(severity, text) lines: ownership rules per option, conditions, then deal warnings.

    Severity is ``bad`` (option not permitted), ``warn``, ``info`` or ``ok``; the last line,
    ``("disclaimer", ...)``, is the rules data's disclaimer when there is one.
    """
    compliance = getattr(result, "compliance", None)
    data = compliance.to_dict() if hasattr(compliance, "to_dict") else (
        compliance if isinstance(compliance, dict) else result.to_dict().get("compliance"))
    data = data if isinstance(data, dict) else {}
    notes: list[tuple[str, str]] = []
    by_reason: dict[tuple[str, str], list[str]] = {}
    for option in OPTIONS:
        f = result.feasibility[option]
        severity = "bad" if not f.allowed else ("ok" if f.status == "feasible" else "warn")
        status = tables.STATUS.get(f.status, f.status)
        for reason in f.reasons or [""]:
            by_reason.setdefault((severity, f"{status}: {reason}" if reason else status),
                                 []).append(result.label(option))
    for (severity, text), labels in by_reason.items():
        who = "All options" if len(labels) == len(OPTIONS) else " and ".join(labels)
        if severity == "ok" and text == tables.STATUS["feasible"]:
            continue
        notes.append((severity, f"{who} — {text}"))
    for option, info in (data.get("options") or {}).items():
        for cond in (info or {}).get("conditions") or []:
            cost = []
            if cond.get("monthly"):
                cost.append(f"{tables.money(cond['monthly'])}/month per site")
            if cond.get("one_time"):
                cost.append(f"{tables.money(cond['one_time'])} once per site")
            extra = f" ({', '.join(cost)})" if cost else ""
            label = result.label(option) if option in OPTIONS else option
            notes.append(("warn", f"{label} requires: {cond.get('description', cond.get('id'))}{extra}"))
    for warning in data.get("warnings") or []:
        if isinstance(warning, dict):
            severity = "warn" if warning.get("severity") in ("warning", "error") else "info"
            notes.append((severity, str(warning.get("message") or warning.get("code"))))
        else:
            notes.append(("warn", str(warning)))
    cited = compliance.citations() if hasattr(compliance, "citations") else []
    if cited:
        notes.append(("info", "Sources: " + "; ".join(f"[{i}] {c}" for i, c in enumerate(cited, 1))))
    if data.get("disclaimer"):
        notes.append(("disclaimer", str(data["disclaimer"])))
    return notes


def key_figures_html(result: Comparison, frame: Any) -> str:
    """The key-figures table with stable hooks: ``id="mso-npv"`` and ``id="mso-incremental-npv"``,
    ``data-value`` on the NPV and "NPV vs self-managed" cells."""
    esc = html.escape
    rec = result.recommendation.get("option")
    head = ['<th class="mx-rowhead"></th>']
    for option in OPTIONS:
        cls = [f"opt-{option}"]
        badge = ""
        if not result.feasibility[option].allowed:
            cls.append("infeasible")
            badge = '<span class="mx-badge mx-badge-bad">Not permitted</span>'
        elif option == rec:
            cls.append("recommended")
            badge = '<span class="mx-badge mx-badge-good">Recommended</span>'
        head.append(f'<th class="{" ".join(cls)}">{esc(result.label(option))}{badge}</th>')
    rows = []
    for label, values in frame.iterrows():
        is_npv = str(label).startswith("NPV (")
        is_inc = str(label) == "NPV vs self-managed"
        cells = [f'<th class="mx-rowhead">{esc(str(label))}</th>']
        for option, text in zip(OPTIONS, values.tolist(), strict=True):
            cls = [f"opt-{option}"]
            attrs = ""
            if not result.feasibility[option].allowed:
                cls.append("infeasible")
            if is_npv:
                cls.append(f"{option.replace('_', '-')}-npv")
                attrs = f' data-value="{float(result.metrics[option]["npv"])!r}"'
                if option == "mso":
                    attrs += ' id="mso-npv"'
            elif is_inc and option in result.incremental:
                cls.append(f"{option.replace('_', '-')}-incremental-npv")
                attrs = f' data-value="{float(result.incremental[option]["npv"])!r}"'
                if option == "mso":
                    attrs += ' id="mso-incremental-npv"'
            cells.append(f'<td class="{" ".join(cls)}"{attrs}>{esc(str(text))}</td>')
        rows.append(f'<tr class="{"mx-npv-row" if is_npv else ""}">{"".join(cells)}</tr>')
    return (f'<table class="mx-kf"><thead><tr>{"".join(head)}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def chart_data(result: Comparison, points: int = BREAKEVEN_POINTS) -> ChartData:
    """Arrays for the cash-flow, EBITDA and break-even-fee charts."""
    labels = {o: result.label(o) for o in OPTIONS}
    allowed = {o: result.feasibility[o].allowed for o in OPTIONS}
    cumulative = {o: np.cumsum(result.projections[o].net_cash_flow[0]) for o in OPTIONS}
    annual = {o: result.annual(o)["ebitda"] for o in OPTIONS}
    years = annual["self_managed"].index.to_numpy()
    ebitda = {o: a.to_numpy(dtype=float) for o, a in annual.items()}

    be = result.breakeven
    sweep = fee_sweep(result.inputs, be, result.metrics["self_managed"]["npv"], points)
    scale, xlabel, ylabel, title = sweep.scale, sweep.xlabel, sweep.ylabel, sweep.title
    levels, values = sweep.levels, sweep.values
    return ChartData(labels, allowed, np.arange(result.horizon + 1), cumulative, years, ebitda,
                     levels * scale, np.asarray(values, dtype=float), be.current * scale,
                     None if be.level is None else be.level * scale, scale, xlabel, ylabel, title)
