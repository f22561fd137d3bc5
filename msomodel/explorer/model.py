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
from pathlib import Path
from typing import Any

import numpy as np

from msomodel import compliance as rules_view
from msomodel import decision as decide
from msomodel import tables
from msomodel.analysis.distributions import follow
from msomodel.analysis.sensitivity import label as path_label
from msomodel.compare import Comparison, _sources, compare
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
    LICENCE_WORDS,
    Settings,
    SettingsError,
    absorbed_roles,
    apply_settings,
    average_ticket,
    cadence,
    derived_description,
    derived_name,
    equipment_cost,
    fee_level,
    get,
    injector_hours,
    injectors,
    loan,
    product_cost_share,
    rent,
    roles,
    treatment_visits,
)
from msomodel.formatting import lower_first
from msomodel.inputs import ModelInputs
from msomodel.loader import load_scenario, scenario_from_dict
from msomodel.metrics import fee_sweep
from msomodel.scenario import OPTION_LABELS, OPTIONS, Scenario

__all__ = [
    # compute (this module)
    "BREAKEVEN_POINTS", "GLOSSARY", "MC_TRIALS", "ChartData", "Snapshot", "SideBySide",
    "chart_data", "compute", "decision_details_html", "decision_html", "decide_snapshot", "feasibility_notes", "full_decision",
    "glossary_html", "key_figures_html", "quick_compare", "save_name", "side_by_side",
    "structure_choices", "structure_sentence",
    # settings
    "COMMON_FEE_KEYS", "DEFAULT_CADENCE", "DEFAULT_HYBRID_BASE", "DEFAULT_LEVEL", "FEE_LABELS",
    "FEE_TYPES", "LEVEL_KEY", "LICENCE_WORDS", "Settings", "SettingsError", "absorbed_roles",
    "apply_settings", "average_ticket", "cadence", "derived_description", "derived_name",
    "equipment_cost", "fee_level", "get", "injector_hours", "injectors", "loan",
    "product_cost_share", "rent", "roles", "treatment_visits",
    # files
    "bundled_scenarios", "default_save_dir", "load_raw", "repo_root", "safe_filename",
    "save_scenario", "scenario_folders",
    # drivers
    "DRIVER_LABELS", "DRIVER_OUTCOMES", "DRIVER_ROWS", "DRIVER_UNITS", "FEE_LEVEL_UNITS",
    "DriverRow", "Drivers", "driver_label", "driver_value", "drivers", "drivers_html",
]

BREAKEVEN_POINTS = 17
#: Monte Carlo trials of the page's "how sure" figure (the CLI's default is 2,000): enough for
#: a probability to about +-2 points, and quick enough to follow each change.
MC_TRIALS = 500
MC_SEED = 1


# --------------------------------------------------------------------------- compute
@dataclass
class ChartData:
    """Everything the three charts draw, in plain arrays."""

    labels: dict[str, str]
    allowed: dict[str, bool]
    months: np.ndarray
    #: cumulative net cash flow to the owner *before* the exit (the sale is drawn apart)
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
    #: exit value (net of debt) at the horizon, per option [USD]
    exit_value: dict[str, float] = field(default_factory=dict)


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
    #: True once the full decision (Monte Carlo, flips, asymmetric inputs) replaced the quick one
    decided: bool = False
    #: Simulated inputs whose distributions moved with the controls (see :func:`followed`)
    followed: list[str] = field(default_factory=list)

    @property
    def mso_npv(self) -> float:
        return float(self.result.metrics["mso"]["npv"])


def quick_compare(scenario: Scenario, structure: str | None = None) -> Comparison:
    """:func:`msomodel.compare.compare` without the decision's slow parts: the same
    projections, metrics, break-even fees and feasibility, and the base-case ranking only (no
    Monte Carlo, flip search or asymmetric inputs; :func:`full_decision` adds them after the
    table is on screen)."""
    return compare(scenario, structure=structure, trials=0, explain=False)


def followed(result: Comparison, start: ModelInputs | None) -> tuple[Scenario, list[str]]:
    """``result``'s scenario with each simulated input the controls moved away from ``start``
    (the starting scenario's inputs) taking its distribution along
    (:func:`msomodel.analysis.distributions.follow`), and the paths moved: so the Monte Carlo
    answers for the scenario on screen, not the file's."""
    scenario = result.scenario
    if start is None or not (scenario.uncertainty and scenario.uncertainty.distributions):
        return scenario, []
    spec, moved = follow(scenario.uncertainty, scenario, start, result.inputs)
    return (scenario.model_copy(update={"uncertainty": spec}) if moved else scenario), moved


def full_decision(result: Comparison, trials: int = MC_TRIALS, seed: int = MC_SEED,
                  scenario: Scenario | None = None) -> decide.Decision:
    """The decision as ``compare`` makes it (Monte Carlo of ``trials``, flips, asymmetric
    inputs), written into ``result`` (its ``decision``); ``scenario`` replaces the result's
    for its ``uncertainty`` (see :func:`followed`)."""
    allowed = [o for o in OPTIONS if result.feasibility[o].allowed]
    d = decide.decide(scenario or result.scenario, result.inputs,
                      {o: m["npv"] for o, m in result.metrics.items()}, allowed, trials=trials,
                      seed=seed, sources=_sources(result.scenario))
    result.decision = d
    return d


def compute(data: dict[str, Any], *, source: str = "<explorer>") -> Snapshot:
    """``scenario_from_dict`` -> :func:`quick_compare` -> table HTML, sentences and chart data.

    Raises :class:`~msomodel.loader.ScenarioError` for an invalid scenario.
    """
    t0 = time.perf_counter()
    scenario = scenario_from_dict(data, source=source)
    result = quick_compare(scenario)  # Comparison caches its annual tables
    t1 = time.perf_counter()
    frame = tables.key_figures(result)
    table = key_figures_html(result, frame)
    recommendation = str(result.decision.sentence)
    breakeven_text = " ".join(tables.breakeven_lines(result, "chosen", "friendly PC"))
    notes = feasibility_notes(result)
    t2 = time.perf_counter()
    charts = chart_data(result)
    t3 = time.perf_counter()
    timings = {"model": (t1 - t0) * 1e3, "table": (t2 - t1) * 1e3, "chart_data": (t3 - t2) * 1e3,
               "total": (t3 - t0) * 1e3}
    return Snapshot(data, result, table, recommendation, breakeven_text, notes, charts, timings)


def decide_snapshot(snap: Snapshot, trials: int = MC_TRIALS,
                    start: ModelInputs | None = None) -> Snapshot:
    """Add the full decision to a snapshot: the Monte Carlo, flips and asymmetric inputs, and
    the table again with the probability of being best and the downside (``start``: see
    :func:`full_decision`)."""
    t = time.perf_counter()
    scenario, snap.followed = followed(snap.result, start)
    d = full_decision(snap.result, trials, scenario=scenario)
    snap.recommendation = str(d.sentence)
    snap.table_html = key_figures_html(snap.result, tables.key_figures(snap.result))
    snap.decided = True
    snap.timings_ms["decision"] = (time.perf_counter() - t) * 1e3
    return snap


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
        tip = term_help(str(label))
        head_cell = (f'<th class="mx-rowhead"><span class="mx-term" title="{esc(tip)}">'
                     f'{esc(str(label))}</span></th>' if tip else
                     f'<th class="mx-rowhead">{esc(str(label))}</th>')
        cells = [head_cell]
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
    exits = {o: result.projections[o].company["exit_value"][0] for o in OPTIONS}
    cumulative = {o: np.cumsum(result.projections[o].net_cash_flow[0] - exits[o]) for o in OPTIONS}
    annual = {o: result.annual(o)["ebitda"] for o in OPTIONS}
    years = annual["self_managed"].index.to_numpy()
    ebitda = {o: a.to_numpy(dtype=float) for o, a in annual.items()}

    be = result.breakeven
    sweep = fee_sweep(result.inputs, be, result.metrics["self_managed"]["npv"], points)
    scale, xlabel, ylabel, title = sweep.scale, sweep.xlabel, sweep.ylabel, sweep.title
    levels, values = sweep.levels, sweep.values
    return ChartData(labels, allowed, np.arange(result.horizon + 1), cumulative, years, ebitda,
                     levels * scale, np.asarray(values, dtype=float), be.current * scale,
                     None if be.level is None else be.level * scale, scale, xlabel, ylabel, title,
                     {o: float(exits[o].sum()) for o in OPTIONS})



# --------------------------------------------------------------------------- plain words
#: A short plain explanation of every term the page shows (tooltips and the glossary panel).
GLOSSARY: dict[str, str] = {
    "NPV": "Net present value: all the cash the business pays you over the horizon, each month "
           "discounted at your discount rate, plus the sale at the end. Above $0 the option "
           "earns more than your required return; between options, higher is better.",
    "NPV without the exit": "The NPV leaving out the sale at the end of the horizon: what the "
                            "years of running the business are worth on their own.",
    "Probability best": "In how many of the simulated futures (the scenario's ranges of "
                        "volumes, prices, wages and costs) this option has the highest NPV.",
    "Downside NPV (P10)": "A bad-case NPV: in 1 simulated future out of 10 the NPV is lower.",
    "Equity IRR": "Internal rate of return on your own money: the yearly return on the cash you "
                  "put in, after loan payments (levered) and including the sale at the end. A "
                  "loan raises it when the business earns more than the loan costs.",
    "Project IRR": "The yearly return of the business as if it were paid for without a loan "
                   "(unlevered), including the sale at the end.",
    "Equity multiple": "Equity multiple, also MOIC (multiple on invested capital): the cash you "
                       "get back, sale included, divided by the cash you put in. 2.0x doubles "
                       "your money, whenever it comes back.",
    "Payback": "The first month in which the cash you have received adds up to what you put in.",
    "Peak funding need": "The most cash you must put in before the business pays for itself "
                         "(the low point of the cumulative cash flow): what you need to raise.",
    "EBITDA": "Earnings before interest, tax, depreciation and amortisation: the year's "
              "operating profit, before loan costs and tax.",
    "EBITDA margin": "EBITDA as a share of revenue.",
    "Exit value": "What the business sells for at the end of the horizon (the exit multiple "
                  "times the last 12 months' EBITDA), less the loan still owed.",
    "NPV vs self-managed": "How much more (or less) NPV this option gives than running the "
                           "business side yourself without software.",
    "Payback of the switch": "The month after which choosing this option instead of "
                             "self-managed has paid for itself for good (the cumulative "
                             "difference stays at or above $0). Shown only when the switch adds "
                             "value.",
    "IRR of the switch": "The yearly return of the difference between this option and "
                         "self-managed; shown only when that difference has one clear rate.",
    "Discount rate": "Your required return per year: what your money could earn elsewhere at "
                     "similar risk. Cash that comes later counts for less by this rate.",
    "Friendly PC": "A professional corporation owned by a physician that holds the medical "
                   "practice where the owner may not own it. Your MSO runs the business side "
                   "for it under a management services agreement and is paid a management fee.",
    "Third-party MSO": "A management services organization you hire: it takes over the "
                       "business side (admin staff, purchasing, compliance) for a fee.",
    "Exit multiple": "The sale price at the end of the horizon as a multiple of the last 12 "
                     "months' EBITDA.",
    "Break-even fee": "The third-party MSO fee at which hiring it gives the same NPV as "
                      "self-managed: a lower fee makes it worth it.",
}

_TERMS = (("NPV without", "NPV without the exit"), ("NPV vs", "NPV vs self-managed"),
          ("NPV (", "NPV"), ("Probability best", "Probability best"),
          ("Downside NPV", "Downside NPV (P10)"), ("Equity IRR", "Equity IRR"),
          ("Project IRR", "Project IRR"), ("Equity multiple", "Equity multiple"),
          ("Payback of the switch", "Payback of the switch"), ("Payback", "Payback"),
          ("Peak funding", "Peak funding need"), ("IRR of the switch", "IRR of the switch"),
          ("Exit value", "Exit value"))


def term_help(label: str) -> str:
    """The glossary entry for a row label of the key-figures table ("" when none)."""
    for prefix, key in _TERMS:
        if label.startswith(prefix):
            return GLOSSARY[key]
    if label.endswith("EBITDA margin"):
        return GLOSSARY["EBITDA margin"]
    if label.endswith("EBITDA"):
        return GLOSSARY["EBITDA"]
    return ""


def glossary_html() -> str:
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>"
                    for k, v in GLOSSARY.items())
    return f"<dl class='mx-glossary'>{items}</dl>"


# --------------------------------------------------------------------------- the structure
def structure_choices(result: Comparison) -> list[tuple[str, str]]:
    """(label, value) of the structure picker: the rules' choice, then each lawful structure."""
    found = result.compliance.structures
    short = {"direct": "direct", "friendly_pc": "friendly PC"}
    out = [(f"Rules' choice ({short[result.structure]})"
            if result.compliance.structure_chosen_by == "rules" else "Rules' choice", "auto")]
    for key, f in found.items():
        if f.status != "infeasible":
            out.append((f"{f.label} ({tables.STATUS.get(f.status, f.status).lower()})", key))
    return out


def _rule(result: Comparison) -> Any:
    comp = result.compliance
    if not comp.checked or not comp.state or not comp.licence:
        return None
    try:
        from msomodel.rules import lookup
        return lookup(comp.state, comp.licence)
    except (ImportError, KeyError, ValueError):  # pragma: no cover - an unknown state or license
        return None


def structure_sentence(result: Comparison) -> str:
    """One sentence (HTML): which legal structure is lawful for this owner and why, with the
    rule's status, confidence and source, and the structure the options are compared under."""
    esc = html.escape
    comp = result.compliance
    chosen = rules_view.STRUCTURE_LABELS[result.structure]
    if not comp.checked:
        return (f"No state or license given: the ownership rules were not checked; the options "
                f"are compared under <b>{esc(lower_first(chosen))}</b>.")
    found = comp.structures
    direct, pc = found["direct"], found["friendly_pc"]
    rule = _rule(result)
    why = esc(direct.reasons[0] if direct.reasons else "")
    status = tables.STATUS.get(direct.status, direct.status).lower()
    conf = f"; confidence {esc(rule.confidence)}" if rule is not None else ""
    cited = (rule.sources[0].citation if rule is not None and rule.sources else
             (direct.sources[0]["citation"] if direct.sources else ""))
    src = f"; source: {esc(cited)}" if cited else ""
    basis = f" <span class='mx-rule'>(direct ownership: {esc(status)}{conf}{src})</span>"
    if result.compliance.structure_chosen_by != "rules":
        how = f"You chose <b>{esc(lower_first(chosen))}</b>"
    elif result.structure == "friendly_pc":
        how = ("So the three options are compared under <b>an MSO you own that manages a "
               "physician-owned friendly PC</b>")
    else:
        how = "So the three options are compared under <b>direct ownership</b>"
    other = pc if result.structure == "direct" else direct
    alt = ""
    if other.status != "infeasible":
        alt = (f"; {esc(lower_first(other.label))} is also open "
               f"({esc(tables.STATUS.get(other.status, other.status).lower())}): pick it under "
               "Legal structure to compare")
    elif result.structure == "friendly_pc" and direct.status == "infeasible":
        alt = ""
    if found[result.structure].status == "infeasible":
        how = f"You chose <b>{esc(lower_first(chosen))}</b>, which the state rules do not open to this owner"
    return f"{why}{basis} {how}{alt}."


# --------------------------------------------------------------------------- the decision
def decision_html(snap: Snapshot, trials: int = MC_TRIALS) -> str:
    """Verdict and sentence, how sure, and the break-even fees (the box above the table)."""
    return _decision_parts(snap, trials)[0]


def decision_details_html(snap: Snapshot) -> str:
    """Once decided: what would flip it and the asymmetric inputs (below the table)."""
    return _decision_parts(snap, MC_TRIALS)[1]


def _decision_parts(snap: Snapshot, trials: int) -> tuple[str, str]:
    esc = html.escape
    result = snap.result
    d = result.decision
    verdict = tables.VERDICTS.get(d.verdict, d.verdict)
    cls = {"recommended": "good", "too_close": "warn"}.get(d.verdict, "bad")
    badge = ("" if snap.recommendation.startswith(verdict) else
             f"<span class='mx-verdict'>{esc(verdict)}</span> ")
    parts = [f"<div class='mx-rec mx-verdict-{cls}'>{badge}"
             f"<b class='mx-sentence'>{esc(snap.recommendation)}</b>"]
    if not snap.decided:
        parts.append(f"<div class='mx-pending'>Checking how sure this is ({trials:,} simulated "
                     "trials) and what would flip it…</div>")
    else:
        if d.probability_best and d.leader:
            p = d.probability_best[d.leader]
            parts.append(f"<div class='mx-prob'>Probability best: <b>{decide.share(p)}</b> for "
                         f"{esc(lower_first(OPTION_LABELS[d.leader]))}, from {d.trials:,} simulated "
                         f"trials of the scenario's ranges (seed {d.seed}; the command line "
                         f"uses {decide.DEFAULT_TRIALS:,}). A recommendation needs "
                         f"{decide.THRESHOLD:.0%}.</div>")
        if snap.followed:
            names = ", ".join(lower_first(path_label(p)) for p in snap.followed)
            parts.append(f"<div class='mx-note0 mso-followed'>The simulated ranges of {esc(names)} "
                         "move with your settings (with the value on screen).</div>")
    parts.append(f"<div class='mx-breakeven'>{esc(snap.breakeven_text)}</div></div>")
    head, parts = "".join(parts), []
    if snap.decided:
        flips = [f for f in d.flips if f.value is not None][:5]
        if flips:
            rows = "".join(
                f"<tr><td>{esc(f.label)}</td><td>{esc(decide.input_value(f, f.current, result.inputs))}"
                f"</td><td>{esc(decide.input_value(f, f.value, result.inputs))}</td>"
                f"<td>{esc(OPTION_LABELS[f.taker]) if f.taker else '—'}</td></tr>" for f in flips)
            parts.append(
                "<div class='mx-subsection'>What would flip it</div><table class='mx-small "
                "mso-flips'><thead><tr><th>Input</th><th>Assumed</th><th>Flips at</th>"
                f"<th>Then best</th></tr></thead><tbody>{rows}</tbody></table>")
        elif d.leader and d.runner_up:
            parts.append("<div class='mx-subsection'>What would flip it</div><div class='mx-note0'>"
                         "No single input in its searched range changes the leader.</div>")
        asym = [*d.asymmetries, *([d.all_equal] if d.all_equal and len(d.asymmetries) > 1
                                  else [])]
        if asym:
            frame = tables.asymmetries(result)
            rows = "".join(
                "<tr>" + "".join(f"<td>{esc(str(r[c]))}</td>" for c in
                                 ("Input", "Favors", "Value", "Source", "Best when equal",
                                  "Lead when equal")) + "</tr>"
                for _, r in frame.iterrows())
            parts.append(
                "<div class='mx-subsection'>Inputs that favor one option</div><table "
                "class='mx-small mso-asymmetries'><thead><tr><th>Input</th><th>Favors</th>"
                "<th>Value</th><th>Source</th><th>Best when set equal</th><th>Lead then</th>"
                f"</tr></thead><tbody>{rows}</tbody></table>")
    return head, "".join(parts)


# --------------------------------------------------------------------------- saving and comparing
def save_name(name: str, origin: str | None) -> tuple[str, bool]:
    """The name to save under, and whether it was changed so the starting file keeps its name."""
    if origin and safe_filename(name) == origin:
        return f"{name} (edited)", True
    return name, False


def _state(code: str | None) -> str:
    if not code:
        return "—"
    try:
        from msomodel.rules import STATE_NAMES
    except ImportError:  # pragma: no cover
        return code
    return STATE_NAMES.get(code, code)


@dataclass
class SideBySide:
    paths: list[str]
    results: list[Comparison]
    html: str


def side_by_side(paths: list[str]) -> SideBySide:
    """Two (or more) scenario files compared column by column (base case, no Monte Carlo).

    Raises :class:`~msomodel.loader.ScenarioError` for a file that does not load.
    """
    esc = html.escape
    results = [quick_compare(load_scenario(p)) for p in paths]
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, values: list[str]) -> None:
        rows.append((label, values))

    row("File", [Path(p).name for p in paths])
    row("Owner", [(f"{LICENCE_WORDS.get(r.compliance.licence or '', '—')} in "
                   f"{_state(r.compliance.state)}") for r in results])
    row("Structure", [r.structure_label for r in results])
    row("Sites", [str(len(r.inputs.sites)) for r in results])
    row("Horizon", [f"{r.horizon} months" for r in results])
    row("Leader (base case)", [OPTION_LABELS[r.decision.leader] if r.decision.leader else "—"
                               for r in results])
    row("Verdict", [tables.VERDICTS.get(r.decision.verdict, r.decision.verdict) for r in results])
    for o in OPTIONS:
        row(f"NPV: {OPTION_LABELS[o]}", [tables.money(r.metrics[o]["npv"])
                                         if r.feasibility[o].allowed else "not permitted"
                                         for r in results])
    for o in OPTIONS:
        row(f"Peak funding: {OPTION_LABELS[o]}", [tables.money(r.metrics[o]["peak_funding"])
                                                  for r in results])
    row("Break-even MSO fee", [tables.fee_level(r.breakeven.level, r.breakeven.unit)
                               for r in results])
    head = "".join(f"<th>{esc(r.scenario.name)}</th>" for r in results)
    body = "".join(f"<tr><th class='mx-rowhead'>{esc(label)}</th>"
                   + "".join(f"<td>{esc(v)}</td>" for v in values) + "</tr>"
                   for label, values in rows)
    table = (f"<table class='mx-kf mso-side-by-side'><thead><tr><th></th>{head}</tr></thead>"
             f"<tbody>{body}</tbody></table>")
    return SideBySide([str(p) for p in paths], results, table)
