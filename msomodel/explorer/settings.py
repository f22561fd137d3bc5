"""The explorer's settings: what the controls say, and how they are written into a scenario.

:class:`Settings` holds what the controls say, each field ``None`` when the control still shows
the starting scenario's value (so an untouched explorer reproduces the scenario exactly).  The
readers below take the starting values out of the scenario's raw dict, and
:func:`apply_settings` writes the settings into a copy of it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from msomodel import tables
from msomodel.rules.codes import normalise_licence
from msomodel.scenario.exit import band_for

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
    #: The legal structure: "auto" (the lawful one from the state rules), "direct", "friendly_pc".
    structure: str | None = None
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
    # -- the inputs a founder knows (issue 15)
    rent_monthly: float | None = None          # [USD/month per site]
    wage_multiplier: float | None = None       # pay rates [x]
    injectors: float | None = None             # treating providers per site [FTE]
    injector_hours: float | None = None        # bookable hours per injector [hours/month]
    buildout: float | None = None              # build-out and other start-up spend per site [USD]
    equipment: float | None = None             # devices per site, in all [USD]
    loan_share: float | None = None            # share of capital borrowed [fraction]
    loan_rate: float | None = None             # nominal APR [fraction/year]
    exit_multiple: float | None = None         # [x trailing-12-month EBITDA]


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


def exit_multiple(raw: dict[str, Any]) -> float:
    """The scenario's exit multiple: stated, else its sourced default by size and management
    model (:mod:`msomodel.scenario.exit`)."""
    stated = get(raw, "finance.exit_multiple")
    if stated is not None:
        return float(stated)
    key = get(raw, "finance.owner_is_key_provider")
    if key is None:
        try:
            key = normalise_licence(str(get(raw, "owner.licence", "none"))) != "none"
        except ValueError:
            key = False
    sites = raw.get("sites")
    return band_for(len(sites) if isinstance(sites, list) else 0, bool(key)).value


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
            raise SettingsError("Owner: choose both the state and the owner's license.")
        d["owner"] = owner
    if s.n_sites is not None or s.cadence_months is not None:
        d["sites"] = _sites(raw, s)
    adj = d.setdefault("adjustments", {})
    if s.volume_multiplier is not None:
        adj["volume_multiplier"] = float(s.volume_multiplier)
    if s.price_multiplier is not None:
        adj["price_multiplier"] = float(s.price_multiplier)
    if s.wage_multiplier is not None:
        adj["wage_multiplier"] = float(s.wage_multiplier)
    if not adj:
        d.pop("adjustments")
    if s.product_cost_share is not None:
        _scale_product_cost(d, raw, float(s.product_cost_share))
    if s.structure is not None:
        if s.structure not in ("auto", "direct", "friendly_pc", "both"):
            raise SettingsError(f"Structure: expected direct ownership or an owned MSO with a "
                                f"friendly PC, found '{s.structure}'.")
        d["structure"] = {**(d.get("structure") or {}), "type": s.structure}
    _site_inputs(d, raw, s)
    mso = d["mso"]
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
    if s.exit_multiple is not None:
        fin["exit_multiple"] = float(s.exit_multiple)
    if s.loan_share is not None or s.loan_rate is not None:
        loan = dict(fin.get("loan") or {"financed_fraction": 0.0, "rate_annual_nominal": 0.095,
                                        "term_months": 84})
        if s.loan_share is not None:
            loan["financed_fraction"] = float(s.loan_share)
        if s.loan_rate is not None:
            loan["rate_annual_nominal"] = float(s.loan_rate)
        fin["loan"] = loan
    if not fin:
        d.pop("finance")
    _check_openings(d)
    if s.name is None and _identity_changed(s):
        d["name"] = derived_name(d)
        d["description"] = derived_description(d, str(raw.get("name", "")))
    return d


# --------------------------------------------------------------------------- the founder's inputs
def _site_inputs(d: dict[str, Any], raw: dict[str, Any], s: Settings) -> None:
    """Rent, injectors and their hours, build-out and equipment, written into site_defaults."""
    sd = d["site_defaults"]
    if s.rent_monthly is not None:
        opex = sd.setdefault("opex", {})
        opex["rent"] = {**(opex.get("rent") or {}), "monthly": float(s.rent_monthly)}
    if s.injectors is not None or s.injector_hours is not None:
        cap = dict(sd.get("capacity") or {"providers": injectors(raw)})
        old = float(cap.get("providers", 0.0))
        if s.injectors is not None:
            cap["providers"] = float(s.injectors)
            ratio = float(s.injectors) / old if old > 0 else None
            for role in sd["staffing"]["roles"]:  # the injectors' payroll follows their number
                if role["kind"] == "clinical" and "injector" in role["name"]:
                    role["fte"] = float(role["fte"]) * ratio if ratio is not None else (
                        float(s.injectors))
        if s.injector_hours is not None:
            cap["hours_per_provider_month"] = float(s.injector_hours)
        sd["capacity"] = cap
    if s.buildout is not None:
        sd["startup_cost"] = float(s.buildout)
    if s.equipment is not None:
        items = sd.get("equipment") or []
        total = sum(float(x["cost"]) for x in items)
        if total > 0:
            sd["equipment"] = [{**x, "cost": float(x["cost"]) * float(s.equipment) / total}
                               for x in items]
        else:
            sd["equipment"] = [{"name": "equipment", "cost": float(s.equipment)}]


def rent(raw: dict[str, Any]) -> float:
    return float(get(raw, "site_defaults.opex.rent.monthly", 0.0) or 0.0)


def injectors(raw: dict[str, Any]) -> float:
    """Treating providers per site: the capacity's, else the FTE of the injector roles."""
    cap = get(raw, "site_defaults.capacity")
    if cap:
        return float(cap.get("providers", 0.0))
    return sum(float(r["fte"]) for r in raw["site_defaults"]["staffing"]["roles"]
               if r["kind"] == "clinical" and "injector" in r["name"])


def injector_hours(raw: dict[str, Any]) -> float:
    return float(get(raw, "site_defaults.capacity.hours_per_provider_month", 140.0))


def equipment_cost(raw: dict[str, Any]) -> float:
    return sum(float(x["cost"]) for x in raw["site_defaults"].get("equipment") or [])


def loan(raw: dict[str, Any]) -> tuple[float, float]:
    """(share borrowed, APR) of the scenario's loan; (0, 9.5 %) without one."""
    found = get(raw, "finance.loan") or {}
    return float(found.get("financed_fraction", 0.0)), float(found.get("rate_annual_nominal", 0.095))


def _horizon_words(months: int) -> str:
    return f"{months // 12}-year" if months % 12 == 0 else f"{months}-month"


def _check_openings(d: dict[str, Any]) -> None:
    """A site that opens after the horizon, said in words (before the schema says it in paths)."""
    horizon = int(get(d, "finance.horizon_months", 60))
    late = [(i, site) for i, site in enumerate(d["sites"], 1)
            if int(site.get("open_month", 1)) > horizon]
    if late:
        i, site = late[0]
        who = f"Site {i}" if site["name"] in (f"Site {i}", "") else f"Site {i} ({site['name']})"
        more = f" (and {len(late) - 1} more)" if len(late) > 1 else ""
        raise SettingsError(
            f"{who}{more} would open in month {int(site.get('open_month', 1))}, after the "
            f"{_horizon_words(horizon)} horizon: choose fewer sites or shorter spacing between "
            "openings, or a longer horizon.")


# --------------------------------------------------------------------------- the name follows
LICENCE_WORDS = {"physician": "physician", "np": "nurse practitioner", "pa": "physician assistant",
                 "rn": "registered nurse", "none": "lay owner"}


def _identity_changed(s: Settings) -> bool:
    """Whether a setting that the name describes (owner, sites, structure) was changed."""
    return any(v is not None for v in (s.state, s.licence, s.n_sites, s.structure))


def _state_name(code: str) -> str:
    try:
        from msomodel.rules import STATE_NAMES
    except ImportError:  # pragma: no cover
        return code
    return STATE_NAMES.get(code.upper(), code)


def _sites_words(n: int) -> str:
    return "single site" if n == 1 else f"{n} sites"


def derived_name(d: dict[str, Any]) -> str:
    """``"Texas registered nurse, single site"``: the owner and the number of sites."""
    owner = d.get("owner") or {}
    n = len(d["sites"])
    if not owner.get("state"):
        return f"{d['name']}, {_sites_words(n)}"
    who = LICENCE_WORDS.get(str(owner.get("licence")), str(owner.get("licence")))
    return f"{_state_name(str(owner['state']))} {who}, {_sites_words(n)}"


def derived_description(d: dict[str, Any], start: str) -> str:
    owner = d.get("owner") or {}
    n = len(d["sites"])
    where = ""
    if owner.get("state"):
        who = LICENCE_WORDS.get(str(owner.get("licence")), str(owner.get("licence")))
        where = f"A {who} opening {n} location{'s' if n > 1 else ''} in " \
                f"{_state_name(str(owner['state']))}; "
    structure = get(d, "structure.type", "auto")
    how = {"direct": "under direct ownership", "friendly_pc": "through an MSO the owner owns "
           "with a physician-owned friendly PC", "both": "under both legal structures"}.get(
        structure, "under the structure the state's rules allow")
    text = (f"{where}compares running the business side in-house, with practice-management "
            f"software, or through a third-party MSO, {how}.")
    text = text[0].upper() + text[1:]
    return f"{text} Built in the msomodel explorer from \"{start}\"." if start else text


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
