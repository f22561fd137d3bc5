"""The explorer's logic without widgets: settings -> scenario dict -> comparison -> outputs.

:class:`Settings` holds what the controls say, each field ``None`` when the control still shows
the starting scenario's value (so an untouched explorer reproduces the scenario exactly).
:func:`apply_settings` writes them into a copy of the scenario's raw dict, :func:`compute` runs
``scenario_from_dict`` -> ``compare`` and prepares the table and the chart data (no drawing), and
:func:`save_scenario` writes the dict as a complete scenario YAML.
"""

from __future__ import annotations

import copy
import datetime
import html
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from msomodel import engine, finance, tables
from msomodel.compare import Comparison, compare
from msomodel.loader import _load_tree, scenario_from_dict
from msomodel.scenario import OPTIONS

FEE_TYPES = ("flat", "percentage", "cost_plus", "hybrid", "tiered")
FEE_LABELS = {"flat": "Flat fee per site", "percentage": "Percentage of collections",
              "cost_plus": "Cost plus markup", "hybrid": "Base fee + percentage",
              "tiered": "Tiered percentage"}
#: The field that holds each fee structure's level (tiered: a multiple of the tier rates).
LEVEL_KEY = {"flat": "per_site_monthly", "percentage": "percent", "cost_plus": "markup",
             "hybrid": "percent", "tiered": None}
#: A starting level when the user switches to a fee structure the scenario does not use.
DEFAULT_LEVEL = {"flat": 12000.0, "percentage": 0.12, "cost_plus": 0.25, "hybrid": 0.06,
                 "tiered": 1.0}
DEFAULT_HYBRID_BASE = 5000.0
COMMON_FEE_KEYS = ("floor_per_site_monthly", "cap_per_site_monthly", "escalator_annual",
                   "onboarding_fee_per_site", "term_months", "termination_fee",
                   "terminate_at_exit", "changes_per_year")
DEFAULT_CADENCE = 6
BREAKEVEN_POINTS = 17


class SettingsError(ValueError):
    """A control holds something that cannot become a scenario (shown next to the controls)."""


@dataclass
class Settings:
    """What the controls say; ``None`` keeps the starting scenario's value.

    Fractions are fractions (0.08 for 8 %), money is USD, months are months.
    """

    name: str | None = None
    state: str | None = None
    licence: str | None = None
    n_sites: int | None = None
    cadence_months: int | None = None
    volume_multiplier: float | None = None
    price_multiplier: float | None = None
    product_cost_share: float | None = None
    mso_kind: str | None = None
    fee_type: str | None = None
    fee_level: float | None = None
    fee_base: float | None = None
    #: (floor, cap) in USD per site per month, either None for "no limit"; None: unchanged.
    fee_limits: tuple[float | None, float | None] | None = None
    purchasing_discount: float | None = None
    absorbed_roles: tuple[str, ...] | None = None
    software_price: float | None = None
    no_show_reduction: float | None = None
    discount_rate: float | None = None
    horizon_months: int | None = None


# --------------------------------------------------------------------------- starting scenarios
def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def scenario_folders() -> list[Path]:
    """Where bundled scenarios are looked for: the repository's and the launch folder's."""
    folders = [repo_root() / "scenarios"]
    launch = os.environ.get("MSOMODEL_EXPLORER_CWD") or os.getcwd()
    folders.append(Path(launch) / "scenarios")
    out: list[Path] = []
    for f in folders:
        f = f.resolve()
        if f.is_dir() and f not in out:
            out.append(f)
    return out


def bundled_scenarios() -> dict[str, Path]:
    """Label -> path of the scenario files found in :func:`scenario_folders` (not ``common/``)."""
    found: dict[str, Path] = {}
    for folder in scenario_folders():
        for path in sorted(folder.glob("*.yaml")):
            label = path.stem.replace("_", " ").capitalize()
            if label in found:
                label = f"{label} ({folder})"
            found[label] = path
    return found


def load_raw(path: str | Path) -> dict[str, Any]:
    """The scenario file as one dict, ``extends:`` resolved (raises ScenarioError)."""
    return _load_tree(Path(path).expanduser())


# --------------------------------------------------------------------------- reading defaults
def fee_level(fee: dict[str, Any]) -> float:
    key = LEVEL_KEY[fee["type"]]
    return 1.0 if key is None else float(fee[key])


def product_cost_share(raw: dict[str, Any]) -> float:
    """Product cost as a share of revenue of one site at steady state (site defaults)."""
    revenue = cost = 0.0
    for line in raw["site_defaults"]["service_lines"]:
        units, price = float(line["volume_per_month"]), float(line["price"])
        revenue += units * price
        if line.get("cost_fraction_of_price") is not None:
            cost += units * price * float(line["cost_fraction_of_price"])
        elif line.get("cost_per_unit") is not None:
            cost += units * float(line["cost_per_unit"])
    return cost / revenue if revenue > 0 else 0.0


def treatment_visits(raw: dict[str, Any]) -> float:
    """Treatment appointments booked per site per month at steady state (site defaults)."""
    return sum(float(x["volume_per_month"]) for x in raw["site_defaults"]["service_lines"]
               if x.get("kind", "treatment") == "treatment")


def average_ticket(raw: dict[str, Any]) -> float:
    lines = [x for x in raw["site_defaults"]["service_lines"]
             if x.get("kind", "treatment") == "treatment"]
    visits = sum(float(x["volume_per_month"]) for x in lines)
    revenue = sum(float(x["volume_per_month"]) * float(x["price"]) for x in lines)
    return revenue / visits if visits else 0.0


def roles(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, kind) of the roles on the site-default roster."""
    return [(r["name"], r["kind"]) for r in raw["site_defaults"]["staffing"]["roles"]]


def absorbed_roles(raw: dict[str, Any]) -> list[str]:
    listed = raw["mso"].get("absorbed_roles")
    if listed is None:  # the schema's default: every administrative role
        return [name for name, kind in roles(raw) if kind == "administrative"]
    return list(listed)


def cadence(raw: dict[str, Any]) -> int:
    months = [int(s.get("open_month", 1)) for s in raw["sites"]]
    return months[-1] - months[-2] if len(months) > 1 and months[-1] > months[-2] else DEFAULT_CADENCE


def get(raw: dict[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


# --------------------------------------------------------------------------- settings -> dict
def _fee(base: dict[str, Any], s: Settings) -> dict[str, Any]:
    kind = s.fee_type or base["type"]
    if kind == "tiered" and base["type"] != "tiered":
        raise SettingsError("A tiered fee needs tiers from the starting scenario; "
                            "choose another fee structure.")
    fee: dict[str, Any] = {k: copy.deepcopy(v) for k, v in base.items() if k in COMMON_FEE_KEYS}
    if kind == base["type"]:
        fee.update(copy.deepcopy(base))
    fee["type"] = kind
    level = s.fee_level if s.fee_level is not None else (
        None if kind == base["type"] else DEFAULT_LEVEL[kind])
    if level is not None:
        if kind == "tiered":
            fee["tiers"] = [{**t, "percent": min(1.0, float(t["percent"]) * level)}
                            for t in base["tiers"]]
        else:
            fee[LEVEL_KEY[kind]] = float(level)
    if kind == "hybrid":
        if s.fee_base is not None:
            fee["base_per_site_monthly"] = float(s.fee_base)
        fee.setdefault("base_per_site_monthly", DEFAULT_HYBRID_BASE)
    if s.fee_limits is not None:
        floor, cap = s.fee_limits
        if floor is not None and cap is not None and cap < floor:
            raise SettingsError(f"MSO fee: the cap ({tables.money(cap)}) is below the floor "
                                f"({tables.money(floor)}); raise the cap or lower the floor.")
        for key, value in zip(("floor_per_site_monthly", "cap_per_site_monthly"), s.fee_limits,
                              strict=True):
            if value is None:
                fee.pop(key, None)
            else:
                fee[key] = float(value)
    return fee


def _sites(raw: dict[str, Any], s: Settings) -> list[dict[str, Any]]:
    sites = copy.deepcopy(raw["sites"])
    n = len(sites) if s.n_sites is None else int(s.n_sites)
    if n < 1:
        raise SettingsError("At least one site is needed.")
    step = cadence(raw) if s.cadence_months is None else int(s.cadence_months)
    names = {x["name"] for x in sites}
    template = {k: v for k, v in sites[-1].items() if k in ("ramp_months", "ramp_start_fraction")}
    while len(sites) < n:
        k = len(sites) + 1
        while f"Site {k}" in names:
            k += 1
        names.add(f"Site {k}")
        last = int(sites[-1].get("open_month", 1))
        sites.append({"name": f"Site {k}", "open_month": last + step, **template})
    sites = sites[:n]
    if s.cadence_months is not None:
        first = int(sites[0].get("open_month", 1))
        for i, site in enumerate(sites):
            site["open_month"] = first + i * step
    return sites


def apply_settings(raw: dict[str, Any], s: Settings) -> dict[str, Any]:
    """A complete scenario dict: ``raw`` (no ``extends:``) with the settings written in."""
    d = copy.deepcopy(raw)
    d.pop("extends", None)
    if s.name is not None:
        if not s.name.strip():
            raise SettingsError("Scenario name: expected some text, found nothing.")
        d["name"] = s.name.strip()
    if s.state is not None or s.licence is not None:
        owner = dict(d.get("owner") or {})
        if s.state is not None:
            owner["state"] = s.state
        if s.licence is not None:
            owner["licence"] = s.licence
        if not owner.get("state") or not owner.get("licence"):
            raise SettingsError("Owner: choose both the state and the owner's licence.")
        d["owner"] = owner
    if s.n_sites is not None or s.cadence_months is not None:
        d["sites"] = _sites(raw, s)
    adj = d.setdefault("adjustments", {})
    if s.volume_multiplier is not None:
        adj["volume_multiplier"] = float(s.volume_multiplier)
    if s.price_multiplier is not None:
        adj["price_multiplier"] = float(s.price_multiplier)
    if not adj:
        d.pop("adjustments")
    if s.product_cost_share is not None:
        _scale_product_cost(d, raw, float(s.product_cost_share))
    mso = d["mso"]
    if s.mso_kind is not None:
        mso["kind"] = s.mso_kind
    if any(v is not None for v in (s.fee_type, s.fee_level, s.fee_base, s.fee_limits)):
        mso["fee"] = _fee(raw["mso"]["fee"], s)
    if s.purchasing_discount is not None:
        mso["purchasing_discount"] = float(s.purchasing_discount)
        if s.purchasing_discount > float(mso.get("purchasing_discount_max", 0.15)):
            mso["purchasing_discount_max"] = float(s.purchasing_discount)
    if s.absorbed_roles is not None:
        mso["absorbed_roles"] = list(s.absorbed_roles)
    sw = d["software"]
    if s.software_price is not None:
        old = float(sw["per_location_monthly"])
        sw["per_location_monthly"] = float(s.software_price)
        if sw.get("extra_location_monthly") is not None:
            ratio = float(sw["extra_location_monthly"]) / old if old else 1.0
            sw["extra_location_monthly"] = float(s.software_price) * ratio
    if s.no_show_reduction is not None:
        sw["no_show_reduction"] = float(s.no_show_reduction)
    fin = d.setdefault("finance", {})
    if s.discount_rate is not None:
        fin["discount_rate_annual"] = float(s.discount_rate)
    if s.horizon_months is not None:
        fin["horizon_months"] = int(s.horizon_months)
    return d


def _scale_product_cost(d: dict[str, Any], raw: dict[str, Any], target: float) -> None:
    """Scale every default service line's product cost so the steady-state share is ``target``."""
    base = product_cost_share(raw)
    for line in d["site_defaults"]["service_lines"]:
        if base <= 0:
            line.pop("cost_per_unit", None)
            line["cost_fraction_of_price"] = target
        elif line.get("cost_fraction_of_price") is not None:
            line["cost_fraction_of_price"] = min(1.0, float(line["cost_fraction_of_price"]) * target / base)
        elif line.get("cost_per_unit") is not None:
            line["cost_per_unit"] = float(line["cost_per_unit"]) * target / base


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

    be, inputs = result.breakeven, result.inputs
    name = {"flat": "fee_flat", "percentage": "fee_pct", "cost_plus": "fee_markup",
            "tiered": "fee_tier_scale", "hybrid": "fee_pct"}[inputs.fee_type]
    top = max(be.current, be.level or 0.0) * 1.6 or 1.0
    levels = np.linspace(0.0, top, points)
    proj = engine.run(inputs, levels.size, arrays={name: levels}, options=("mso",))["mso"]
    if be.target == "pc_breaks_even":
        values = proj.entities["pc"]["ebitda"].sum(axis=-1)
        ylabel, title = "PC EBITDA over the horizon", "Management fee that lets the PC break even"
    else:
        rate = finance.monthly_rate(inputs.arrays["discount_rate"])
        values = finance.npv(rate, proj.net_cash_flow) - result.metrics["self_managed"]["npv"]
        ylabel, title = "MSO NPV minus self-managed NPV", "Break-even MSO fee"
    scale = 1.0 if be.unit.startswith("USD") else 100.0
    if be.unit.startswith("USD"):
        xlabel = "MSO fee [USD per site per month]"
    elif be.unit.startswith("multiple"):
        xlabel, scale = "Fee as a multiple of the scenario's tier rates [x]", 1.0
    elif be.unit.startswith("markup"):
        xlabel = "Markup on the MSO's cost base [%]"
    else:
        xlabel = f"MSO fee [{be.unit}, %]"
    return ChartData(labels, allowed, np.arange(result.horizon + 1), cumulative, years, ebitda,
                     levels * scale, np.asarray(values, dtype=float), be.current * scale,
                     None if be.level is None else be.level * scale, scale, xlabel, ylabel, title)


# --------------------------------------------------------------------------- saving
_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def safe_filename(name: str) -> str:
    """``"Dr Lee's 3 sites!"`` -> ``dr_lee_s_3_sites.yaml``; never hidden, never a path."""
    stem = _UNSAFE.sub("_", name.strip().lower()).strip("._-")[:80]
    return f"{stem or 'scenario'}.yaml"


def default_save_dir() -> Path:
    return Path("~/msomodel-scenarios").expanduser()


def save_scenario(data: dict[str, Any], folder: str | Path, name: str, *,
                  origin: str | None = None) -> Path:
    """Write ``data`` as a complete scenario YAML ``folder/<safe name>.yaml`` (atomically).

    Validates first (raises ScenarioError) so that what is saved always loads.
    """
    scenario_from_dict(data)
    target = Path(folder).expanduser().resolve() / safe_filename(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = f"# Saved by the msomodel explorer on {stamp}"
    header += f" (starting scenario: {origin}).\n" if origin else ".\n"
    header += "# A complete scenario: check it with `msomodel validate`, run `msomodel compare`.\n"
    text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    fd, tmp = tempfile.mkstemp(prefix=".msomodel-tmp-", suffix=".yaml", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target



# --------------------------------------------------------------------------- what drives the answer
#: Plain-English names of the tornado's inputs (unknown paths are shown as their path).
DRIVER_LABELS: dict[str, str] = {
    "adjustments.volume_multiplier": "Visits per month (volume multiplier)",
    "adjustments.price_multiplier": "Average ticket (price multiplier)",
    "adjustments.wage_multiplier": "Wages (multiplier)",
    "adjustments.opex_multiplier": "Running costs (multiplier)",
    "mso.fee.level": "MSO fee",
    "mso.fee.per_site_monthly": "MSO fee",
    "mso.fee.percent": "MSO fee",
    "mso.fee.markup": "MSO fee (markup)",
    "mso.fee.base_per_site_monthly": "MSO base fee",
    "mso.purchasing_discount": "Purchasing discount",
    "mso.revenue_uplift": "Extra visits the MSO brings",
    "mso.exit_multiple": "Sale value (MSO exit multiple)",
    "software.no_show_reduction": "No-show reduction (software)",
    "software.admin_hours_saved": "Admin time saved (software)",
    "software.per_location_monthly": "Software price",
    "site_defaults.no_show_rate": "No-show rate",
    "site_defaults.opex.rent.monthly": "Rent",
    "finance.discount_rate_annual": "Discount rate",
    "finance.exit_multiple": "Sale value (exit multiple)",
    "sites.count": "Number of sites",
}
#: How each input's values are written: ``pct`` (fractions and multipliers), ``money``, ``x``.
DRIVER_UNITS: dict[str, str] = {
    "adjustments.volume_multiplier": "pct", "adjustments.price_multiplier": "pct",
    "adjustments.wage_multiplier": "pct", "adjustments.opex_multiplier": "pct",
    "mso.fee.per_site_monthly": "money", "mso.fee.percent": "pct", "mso.fee.markup": "pct",
    "mso.fee.base_per_site_monthly": "money", "mso.purchasing_discount": "pct",
    "mso.revenue_uplift": "pct", "mso.exit_multiple": "x", "software.no_show_reduction": "pct",
    "software.admin_hours_saved": "pct", "software.per_location_monthly": "money",
    "site_defaults.no_show_rate": "pct", "site_defaults.opex.rent.monthly": "money",
    "finance.discount_rate_annual": "pct", "finance.exit_multiple": "x", "sites.count": "count",
}
FEE_LEVEL_UNITS = {"flat": "money", "percentage": "pct", "cost_plus": "pct", "hybrid": "pct",
                   "tiered": "x"}
DRIVER_OUTCOMES = ("mso", "software_only")
DRIVER_ROWS = 10


def driver_label(path: str) -> str:
    """``"mso.purchasing_discount"`` -> ``"Purchasing discount"``; an unknown path stays as is."""
    return DRIVER_LABELS.get(path, path)


def driver_value(value: float, path: str, fee_type: str | None = None) -> str:
    """An input's value as the page writes it: 80%, $9,600, 4.5x, 3."""
    unit = FEE_LEVEL_UNITS.get(fee_type or "", "") if path == "mso.fee.level" else DRIVER_UNITS.get(path)
    if unit == "money":
        return tables.money(value)
    if unit == "pct":
        v = 100 * value
        return f"{v:.0f}%" if abs(v - round(v)) < 0.05 else f"{v:.1f}%"
    if unit == "x":
        return f"{value:.2f}x" if path == "mso.fee.level" else f"{value:.1f}x"
    if unit == "count":
        return f"{value:.0f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


@dataclass
class DriverRow:
    """One input of the tornado: its range and the incremental NPV at each end [USD]."""

    path: str
    label: str
    low_value: float
    high_value: float
    low_text: str
    high_text: str
    low_npv: float
    high_npv: float

    @property
    def swing(self) -> float:
        return abs(self.high_npv - self.low_npv)

    @property
    def crosses_zero(self) -> bool:
        return min(self.low_npv, self.high_npv) < 0 < max(self.low_npv, self.high_npv)


@dataclass
class Drivers:
    """The tornado of the current settings, for the MSO and for software (one engine call).

    ``rows[outcome]`` holds the inputs with an effect on that outcome, widest swing first;
    ``base[outcome]`` the incremental NPV over self-managed of the settings as they are.
    """

    base: dict[str, float]
    rows: dict[str, list[DriverRow]]
    labels: dict[str, str]
    allowed: dict[str, bool]
    declared: bool
    note: str
    skipped: list[str]
    result: Any  # msomodel.analysis.TornadoResult
    timings_ms: dict[str, float] = field(default_factory=dict)

    def ranking(self, outcome: str = "mso") -> list[str]:
        return [r.path for r in self.rows[outcome]]


def drivers(result: Comparison) -> Drivers:
    """``msomodel.analysis.tornado`` of the comparison's scenario, labelled for the page.

    The ranges are the scenario's ``uncertainty.sensitivity`` when it declares them, else
    +-20 % of each input's current value.  Declared ranges that no longer fit the settings (e.g.
    a fee range in dollars after switching to a percentage fee) give way to the +-20 % ranges.
    """
    from msomodel.analysis.sensitivity import tornado
    from msomodel.loader import ScenarioError

    t0 = time.perf_counter()
    scenario = result.scenario
    spec = getattr(scenario, "uncertainty", None)
    declared = getattr(spec, "sensitivity", None) is not None
    note = ""
    try:
        tr = tornado(scenario)
    except ScenarioError:
        if not declared:
            raise
        tr = tornado(scenario, spec={})
        declared = False
        note = ("The scenario's own sensitivity ranges do not fit the current settings; "
                "each input is moved 20% either way instead.")
    fee_type = result.inputs.fee_type
    rows: dict[str, list[DriverRow]] = {}
    for outcome in DRIVER_OUTCOMES:
        table = tr.table.sort_values(f"{outcome}_swing", ascending=False, kind="stable")
        rows[outcome] = [
            DriverRow(r.path, driver_label(r.path), float(r.low_value), float(r.high_value),
                      driver_value(r.low_value, r.path, fee_type),
                      driver_value(r.high_value, r.path, fee_type),
                      float(getattr(r, f"{outcome}_low")), float(getattr(r, f"{outcome}_high")))
            for r in table.itertuples() if getattr(r, f"{outcome}_swing") > 0]
    out = Drivers(dict(tr.base), rows, {o: result.label(o) for o in DRIVER_OUTCOMES},
                  {o: result.feasibility[o].allowed for o in DRIVER_OUTCOMES}, declared, note,
                  [driver_label(p) for p in tr.skipped], tr)
    out.timings_ms["tornado"] = (time.perf_counter() - t0) * 1e3
    return out


def drivers_html(d: Drivers, outcome: str) -> str:
    """The sentence under the tornado: how to read it and what stands out."""
    esc = html.escape
    who = d.labels[outcome]
    how = ("Each bar moves one assumption across the range the scenario declares for it"
           if d.declared else "Each bar moves one assumption 20% below and above its current value")
    base = d.base[outcome]
    standing = (f"{esc(who)} ahead of self-managed by {esc(tables.money(base))}" if base >= 0
                else f"{esc(who)} behind self-managed by {esc(tables.money(-base))}")
    parts = [f"{how}, the others as set. The line marks the current settings: {standing} "
             "of NPV."]
    rows = d.rows[outcome]
    if rows:
        top = rows[0]
        parts.append(f"It depends most on <b>{esc(top.label)}</b>: at {esc(top.low_text)} the "
                     f"advantage is {esc(tables.money(top.low_npv))}, at {esc(top.high_text)} "
                     f"it is {esc(tables.money(top.high_npv))}.")
        flips = [r.label for r in rows if r.crosses_zero]
        if flips:
            ahead = "self-managed" if d.base[outcome] > 0 else esc(who)
            parts.append(f"At one end of its range, {ahead} would come out ahead: "
                         f"{esc(', '.join(flips))}.")
    else:
        parts.append("None of the varied inputs changes it.")
    if not d.allowed[outcome]:
        parts.append(f"{esc(who)} is not permitted for this owner; shown for reference.")
    if d.note:
        parts.append(esc(d.note))
    return f"<div class='mx-drivers-text'>{' '.join(parts)}</div>"
