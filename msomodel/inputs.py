"""Validated scenario -> named numpy arrays for the engine.

Compiling only *copies* input values into arrays (no arithmetic), and records which scenario
path each element came from.  That makes any numeric input addressable by its dotted path
(``site_defaults.service_lines.filler.price``, ``mso.fee.percent``, ``sites.Downtown.open_month``)
and lets :meth:`ModelInputs.batch` give it a different value in every trial: the engine then
evaluates all trials as one array computation (leading axis = trials).

Axes: S sites, L service lines, R roles, K running-cost items, E equipment items, B fee tiers
(unions over all sites; an item a site lacks is zero there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from msomodel import timeline as tl
from msomodel.compliance import Compliance, assess
from msomodel.scenario import OPTIONS, Scenario
from msomodel.scenario.exit import exit_multiple
from msomodel.scenario.tax import tax_rate

_LEVELS = {
    "flat": ("flat", "per_site_monthly", "USD per site per month"),
    "percentage": ("pct", "percent", "share of collections"),
    "cost_plus": ("markup", "markup", "markup on the MSO's cost base"),
    "tiered": ("tier_scale", None, "multiple of the scenario's tier rates"),
    "hybrid": ("pct", "percent", "share of collections on top of the base fee"),
    "sweep": ("target", "target_margin", "the PC's margin left after the fee"),
}


def fee_level(fee_type: str, prefix: str = "fee",
              path: str = "mso.fee") -> tuple[str, str | None, str]:
    """(array name, scenario path, unit) of a fee structure's level: what a break-even fee is
    solved for.  ``prefix``/``path``: ``fee``/``mso.fee`` for the third-party MSO's fee,
    ``mf``/``structure.friendly_pc.management_fee`` for the friendly PC's management fee."""
    name, field, unit = _LEVELS[fee_type]
    return f"{prefix}_{name}", f"{path}.{field}" if field else None, unit


#: The third-party MSO fee's level per fee type: (array name, scenario path, unit).
FEE_LEVEL = {t: fee_level(t) for t in _LEVELS}


@dataclass
class ModelInputs:
    """Arrays (without a trials axis) plus the structure the engine needs."""

    arrays: dict[str, np.ndarray]
    paths: dict[str, list[tuple[str, tuple[int, ...]]]]
    horizon: int
    sites: list[str]
    lines: list[str]
    roles: list[str]
    opex: list[str]
    fee_type: str             # the third-party MSO's fee type
    mgmt_fee_type: str        # the friendly PC's management fee type
    structure: str            # "direct" or "friendly_pc"
    compliance: Compliance | None = None
    #: Read-only trials views of :attr:`arrays` by ``n`` (each with the array it views): a
    #: compare batches the same arrays some twenty times.  Not pickled.
    _views: dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_views": {}}

    def path_value(self, path: str) -> float:
        """Current value at a scenario path (the first element it feeds)."""
        name, idx = self.paths[self._key(path)][0]
        return float(self.arrays[name][idx])

    def _key(self, path: str) -> str:
        if path in self.paths:
            return path
        raise KeyError(
            f"'{path}' is not a numeric input of this scenario; e.g. "
            + ", ".join(sorted(self.paths)[:5])
        )

    def batch(
        self, n: int = 1, values: dict[str, Any] | None = None, arrays: dict[str, Any] | None = None
    ) -> dict[str, np.ndarray]:
        """Arrays with a leading trials axis of length ``n``.

        ``values`` maps scenario paths to arrays of shape ``(n,)`` (or scalars); ``arrays`` maps
        array names directly (e.g. ``fee_pct``) the same way.  Everything else is broadcast.
        """
        views = self._views.setdefault(n, {})
        out = {}
        for k, v in self.arrays.items():
            seen = views.get(k)
            if seen is None or seen[0] is not v:  # a new array under this name: a new view
                seen = views[k] = (v, _trials(v, n))
            out[k] = seen[1]
        writable: set[str] = set()

        def assign(name: str, idx: tuple[int, ...], value: Any) -> None:
            if name not in writable:
                out[name] = out[name].copy()
                writable.add(name)
            v = np.asarray(value, dtype=float)
            target = out[name][(slice(None), *idx)]
            out[name][(slice(None), *idx)] = v.reshape(v.shape + (1,) * (target.ndim - v.ndim))

        for path, value in (values or {}).items():
            for name, idx in self.paths[self._key(path)]:
                assign(name, idx, value)
        for name, value in (arrays or {}).items():
            if name not in out:
                raise KeyError(f"no input array named '{name}'")
            assign(name, (), value)
        return out


def _trials(v: np.ndarray, n: int) -> np.ndarray:
    """``np.broadcast_to(v, (n, *v.shape))``: read-only, stride 0 on the trials axis."""
    return tl.for_all_trials(v[None], n)


class _Builder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.paths: dict[str, list[tuple[str, tuple[int, ...]]]] = {}

    def new(self, name: str, shape: tuple[int, ...], fill: float = 0.0) -> None:
        self.arrays[name] = np.full(shape, fill, dtype=float)

    def put(self, name: str, idx: tuple[int, ...], value: Any, path: str | None) -> None:
        self.arrays[name][idx] = float(value) if value is not None else 0.0
        if path is not None and isinstance(path, str):
            self.paths.setdefault(path, []).append((name, idx))

    def scalar(self, name: str, value: Any, path: str | None) -> None:
        self.new(name, ())
        self.put(name, (), value, path)


def _union(lists: list[list[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for names in lists:
        for n in names:
            seen.setdefault(n, None)
    return list(seen)


def compile_inputs(scenario: Scenario, compliance: Compliance | None = None,
                   structure: str | None = None) -> ModelInputs:
    """Turn a validated scenario into :class:`ModelInputs` under one legal structure.

    ``compliance``: reuse an assessment already made (it names the structure); by default the
    scenario's owner is assessed here under ``structure`` (None: the rules' or the scenario's
    choice, see :func:`msomodel.compliance.choose_structure`)."""
    resolved = scenario.site_assumptions()
    prov = scenario.site_provenance()
    S = len(resolved)
    lines = _union([[x.name for x in sa.service_lines] for sa in resolved])
    roles = _union([[x.name for x in sa.staffing.roles] for sa in resolved])
    opex = _union([list(sa.opex) for sa in resolved])
    equip = _union([[x.name for x in sa.equipment] for sa in resolved])
    L, R, K, E = len(lines), len(roles), len(opex), max(len(equip), 1)
    b = _Builder()

    for name in ("open_month", "ramp_months", "ramp_start", "no_show", "providers",
                 "provider_hours", "utilisation", "has_capacity", "startup", "hire_on",
                 "hire_trigger", "hire_max", "hire_step", "hire_ramp"):
        b.new(name, (S,))
    b.new("hire_role", (S, R))
    for name in ("volume", "price", "price_growth", "volume_growth", "cost_frac", "cost_unit",
                 "cost_growth", "hours_per_unit", "discountable", "is_treatment", "redeem_share"):
        b.new(name, (S, L))
    for name in ("fte", "hourly", "hours", "salary", "comm_rate", "prod_share", "raise", "load",
                 "is_admin", "absorbed_role"):
        b.new(name, (S, R))
    b.new("comm_mask", (S, R, L))
    b.new("redeem_on", (S, L, L))  # membership line -> the treatment line its credit buys
    b.new("redeem_months", (S, L), 1.0)  # months over which a month's credit is redeemed
    for name in ("scale_on", "scale_visits", "scale_step", "scale_max"):  # admin scaling
        b.new(name, (S, R), 1.0 if name != "scale_on" else 0.0)
    for name in ("opex_monthly", "opex_pct", "opex_esc", "opex_pc"):
        b.new(name, (S, K))
    b.new("equipment", (S, E))

    mso = scenario.mso
    absorbed = set(mso.absorbed_roles) if mso.absorbed_roles is not None else None
    for i, (site, sa, pv) in enumerate(zip(scenario.sites, resolved, prov, strict=True)):
        sp = f"sites.{site.name}"
        b.put("open_month", (i,), site.open_month, f"{sp}.open_month")
        b.put("ramp_months", (i,), site.ramp_months, f"{sp}.ramp_months")
        b.put("ramp_start", (i,), site.ramp_start_fraction, f"{sp}.ramp_start_fraction")
        b.put("no_show", (i,), sa.no_show_rate, pv["no_show_rate"])
        if sa.capacity is not None:
            cp = pv["capacity"]
            b.put("has_capacity", (i,), 1.0, None)
            b.put("providers", (i,), sa.capacity.providers, cp["providers"])
            b.put("provider_hours", (i,), sa.capacity.hours_per_provider_month,
                  cp["hours_per_provider_month"])
            b.put("utilisation", (i,), sa.capacity.utilisation, cp["utilisation"])
            hire = sa.capacity.hiring
            if hire is not None:
                hp = cp.get("hiring") or {}
                b.put("hire_on", (i,), 1.0, None)
                b.put("hire_role", (i, roles.index(hire.role)), 1.0, None)
                for arr, attr in (("hire_trigger", "trigger_utilisation"),
                                  ("hire_max", "max_providers"), ("hire_step", "step_fte"),
                                  ("hire_ramp", "ramp_months")):
                    b.put(arr, (i,), getattr(hire, attr), hp.get(attr))
        b.put("startup", (i,), sa.startup_cost, pv["startup_cost"])
        for e, item in enumerate(sa.equipment):
            b.put("equipment", (i, equip.index(item.name)), item.cost, pv["equipment"][e]["cost"])
        treatments = [x.name for x in sa.service_lines if x.kind == "treatment"]
        for k, line in enumerate(sa.service_lines):
            j, lp = lines.index(line.name), pv["service_lines"][k]
            for arr, attr in (("volume", "volume_per_month"), ("price", "price"),
                              ("price_growth", "price_growth_annual"),
                              ("volume_growth", "volume_growth_annual"),
                              ("cost_frac", "cost_fraction_of_price"), ("cost_unit", "cost_per_unit"),
                              ("cost_growth", "cost_growth_annual"),
                              ("hours_per_unit", "provider_hours_per_unit")):
                b.put(arr, (i, j), getattr(line, attr), lp[attr])
            b.put("discountable", (i, j), line.discountable, None)
            b.put("is_treatment", (i, j), line.kind == "treatment", None)
            if line.redeemed_on is not None:
                b.put("redeem_share", (i, j), line.redemption_share, lp.get("redemption_share"))
                b.put("redeem_on", (i, j, lines.index(line.redeemed_on)), 1.0, None)
            if line.kind == "membership":
                b.put("redeem_months", (i, j), line.redemption_months,
                      lp.get("redemption_months"))
        for k, role in enumerate(sa.staffing.roles):
            r, rp = roles.index(role.name), pv["staffing"]["roles"][k]
            b.put("fte", (i, r), role.fte, rp["fte"])
            b.put("hourly", (i, r), role.hourly_rate, rp["hourly_rate"])
            b.put("hours", (i, r), role.hours_per_fte_month, rp["hours_per_fte_month"])
            b.put("salary", (i, r), role.salary_annual, rp["salary_annual"])
            b.put("comm_rate", (i, r), role.commission_rate, rp["commission_rate"])
            b.put("prod_share", (i, r), role.production_share, rp["production_share"])
            b.put("raise", (i, r), role.raise_annual, rp["raise_annual"])
            if role.payroll_load is None:
                b.put("load", (i, r), sa.staffing.payroll_load, pv["staffing"]["payroll_load"])
            else:
                b.put("load", (i, r), role.payroll_load, rp["payroll_load"])
            b.put("is_admin", (i, r), role.kind == "administrative", None)
            if role.scales_with is not None:
                sw = rp.get("scales_with")
                sw = sw if isinstance(sw, dict) else {}
                b.put("scale_on", (i, r), 1.0, None)
                for arr, attr in (("scale_visits", "visits_per_fte"), ("scale_step", "step_fte"),
                                  ("scale_max", "max_fte")):
                    b.put(arr, (i, r), getattr(role.scales_with, attr), sw.get(attr))
            takes = role.kind == "administrative" if absorbed is None else role.name in absorbed
            b.put("absorbed_role", (i, r), takes, None)
            for line_name in role.commission_lines or treatments:
                b.put("comm_mask", (i, r, lines.index(line_name)), 1.0, None)
        for key, item in sa.opex.items():
            k, op = opex.index(key), pv["opex"][key]
            b.put("opex_monthly", (i, k), item.monthly, op["monthly"])
            b.put("opex_pct", (i, k), item.percent_of_revenue, op["percent_of_revenue"])
            b.put("opex_esc", (i, k), item.escalator_annual, op["escalator_annual"])
            b.put("opex_pc", (i, k), item.owned_mso_entity == "pc", None)

    fin = scenario.finance
    b.scalar("discount_rate", fin.discount_rate_annual, "finance.discount_rate_annual")
    b.scalar("tax_rate", tax_rate(scenario), "finance.tax_rate")
    b.scalar("dep_months", fin.depreciation_months, "finance.depreciation_months")
    b.scalar("exit_multiple", exit_multiple(scenario), "finance.exit_multiple")
    loan = fin.loan
    b.scalar("loan_frac", loan.financed_fraction if loan else 0.0,
             "finance.loan.financed_fraction" if loan else None)
    b.scalar("loan_rate", loan.rate_annual_nominal if loan else 0.0,
             "finance.loan.rate_annual_nominal" if loan else None)
    b.scalar("loan_term", loan.term_months if loan else 1, "finance.loan.term_months" if loan else None)
    b.scalar("loan_sba", float(bool(loan and loan.program == "sba_7a")), None)
    b.scalar("dep_equip_months", fin.equipment_depreciation_months or fin.depreciation_months,
             "finance.equipment_depreciation_months" if fin.equipment_depreciation_months
             else "finance.depreciation_months")
    b.scalar("cash_reserve", fin.cash_reserve, "finance.cash_reserve")
    b.scalar("exit_tax_rate", fin.exit_tax_rate, "finance.exit_tax_rate")
    wc = fin.working_capital
    for arr, attr in (("inventory_days", "inventory_days"), ("payables_days", "payables_days"),
                      ("prepaid_share", "prepaid_share"), ("prepaid_days", "prepaid_days")):
        b.scalar(arr, getattr(wc, attr), f"finance.working_capital.{attr}")
    adj = scenario.adjustments
    for arr, attr in (("vol_mult", "volume_multiplier"), ("price_mult", "price_multiplier"),
                      ("wage_mult", "wage_multiplier"), ("opex_mult", "opex_multiplier")):
        b.scalar(arr, getattr(adj, attr), f"adjustments.{attr}")

    _compile_mso(b, scenario, opex)
    _compile_structure(b, scenario)
    _compile_software(b, scenario, opex)
    compliance = compliance or assess(scenario, structure)
    b.new("cond_monthly", (len(OPTIONS),))
    b.new("cond_once", (len(OPTIONS),))
    for o, option in enumerate(OPTIONS):
        b.put("cond_monthly", (o,), compliance.options[option].monthly, None)
        b.put("cond_once", (o,), compliance.options[option].one_time, None)
    return ModelInputs(b.arrays, b.paths, fin.horizon_months, [s.name for s in scenario.sites],
                       lines, roles, opex, mso.fee.type,
                       scenario.structure.friendly_pc.management_fee.type,
                       compliance.structure, compliance)


def _compile_fee(b: _Builder, fee, prefix: str, p: str) -> None:
    """Arrays ``{prefix}_flat``, ``_pct``, ... of one fee structure; ``p`` its scenario path."""
    t = fee.type
    b.scalar(f"{prefix}_flat", getattr(fee, "per_site_monthly", 0.0),
             f"{p}.per_site_monthly" if t == "flat" else None)
    b.scalar(f"{prefix}_base", getattr(fee, "base_per_site_monthly", 0.0),
             f"{p}.base_per_site_monthly" if t == "hybrid" else None)
    b.scalar(f"{prefix}_pct", getattr(fee, "percent", 0.0),
             f"{p}.percent" if t in ("percentage", "hybrid") else None)
    b.scalar(f"{prefix}_markup", getattr(fee, "markup", 0.0), f"{p}.markup" if t == "cost_plus" else None)
    b.scalar(f"{prefix}_overhead", getattr(fee, "overhead_per_site_monthly", 0.0),
             f"{p}.overhead_per_site_monthly" if t == "cost_plus" else None)
    b.scalar(f"{prefix}_tier_scale", 1.0, None)
    tiers = getattr(fee, "tiers", [])
    B = max(len(tiers), 1)
    b.new(f"{prefix}_tier_edges", (B,), np.inf)
    b.new(f"{prefix}_tier_rates", (B,))
    for i, tier in enumerate(tiers):
        b.put(f"{prefix}_tier_edges", (i,), np.inf if tier.up_to_monthly is None else tier.up_to_monthly,
              f"{p}.tiers.{i}.up_to_monthly" if tier.up_to_monthly is not None else None)
        b.put(f"{prefix}_tier_rates", (i,), tier.percent, f"{p}.tiers.{i}.percent")
    b.scalar(f"{prefix}_floor", fee.floor_per_site_monthly or 0.0,
             f"{p}.floor_per_site_monthly" if fee.floor_per_site_monthly is not None else None)
    b.scalar(f"{prefix}_cap", np.inf if fee.cap_per_site_monthly is None else fee.cap_per_site_monthly,
             f"{p}.cap_per_site_monthly" if fee.cap_per_site_monthly is not None else None)
    b.scalar(f"{prefix}_esc", fee.escalator_annual, f"{p}.escalator_annual")
    for part in ("overhead", "depreciation", "interest"):
        b.scalar(f"{prefix}_inc_{part}", float(part in getattr(fee, "cost_base_includes", [])),
                 None)
    b.scalar(f"{prefix}_target", getattr(fee, "target_margin", 0.0),
             f"{p}.target_margin" if t == "sweep" else None)
    b.scalar(f"{prefix}_term", fee.term_months, f"{p}.term_months")
    b.scalar(f"{prefix}_renewal", fee.renewal_change, f"{p}.renewal_change")


def _compile_mso(b: _Builder, scenario: Scenario, opex: list[str]) -> None:
    mso, fee = scenario.mso, scenario.mso.fee
    _compile_fee(b, fee, "fee", "mso.fee")
    b.scalar("onboarding", fee.onboarding_fee_per_site, "mso.fee.onboarding_fee_per_site")
    b.scalar("termination_fee", fee.termination_fee if fee.terminate_at_exit else 0.0,
             "mso.fee.termination_fee" if fee.terminate_at_exit else None)
    for arr, attr in (("disc", "purchasing_discount"), ("disc_per_site", "purchasing_discount_per_extra_site"),
                      ("disc_max", "purchasing_discount_max"), ("uplift", "revenue_uplift")):
        b.scalar(arr, getattr(mso, attr), f"mso.{attr}")
    b.scalar("provides_pc", mso.provides_friendly_pc, None)
    b.scalar("mso_exit_multiple", mso.exit_multiple if mso.exit_multiple is not None else -1.0,
             "mso.exit_multiple" if mso.exit_multiple is not None else None)
    b.new("absorbed_opex", (len(opex),))
    for key, share in mso.absorbed_opex.items():
        b.put("absorbed_opex", (opex.index(key),), share, f"mso.absorbed_opex.{key}")


def _compile_structure(b: _Builder, scenario: Scenario) -> None:
    pc = scenario.structure.friendly_pc
    _compile_fee(b, pc.management_fee, "mf", "structure.friendly_pc.management_fee")
    for arr, attr in (("structuring", "structuring_legal_one_time"),
                      ("md_agreement", "medical_director_agreement_monthly"),
                      ("pc_admin", "pc_administration_monthly"),
                      ("mso_overhead", "mso_overhead_monthly")):
        b.scalar(arr, getattr(pc, attr), f"structure.friendly_pc.{attr}")


def _compile_software(b: _Builder, scenario: Scenario, opex: list[str]) -> None:
    sw = scenario.software
    b.scalar("sw_exit_multiple", sw.exit_multiple if sw.exit_multiple is not None else -1.0,
             "software.exit_multiple" if sw.exit_multiple is not None else None)
    for arr, attr in (("sw_first", "per_location_monthly"), ("sw_provider", "per_provider_monthly"),
                      ("sw_addons", "add_ons_monthly"), ("sw_impl", "implementation_fee_per_site"),
                      ("sw_esc", "price_escalator_annual"), ("sw_admin_saved", "admin_hours_saved"),
                      ("sw_noshow_red", "no_show_reduction"), ("sw_booking", "online_booking_uplift")):
        b.scalar(arr, getattr(sw, attr), f"software.{attr}")
    extra = sw.extra_location_monthly
    b.scalar("sw_extra", sw.per_location_monthly if extra is None else extra,
             "software.extra_location_monthly" if extra is not None else None)
    if extra is None:  # follows the first-location price
        b.paths["software.per_location_monthly"].append(("sw_extra", ()))
    rate = sw.payment_processing_rate
    b.scalar("sw_proc_rate", -1.0 if rate is None else rate,
             "software.payment_processing_rate" if rate is not None else None)
    have = scenario.existing_software
    for arr, attr in (("base_noshow_red", "no_show_reduction"), ("base_admin_saved", "admin_hours_saved"),
                      ("base_booking", "online_booking_uplift")):
        b.scalar(arr, getattr(have, attr), f"existing_software.{attr}")
    # how much of the existing tool the offer replaces (an add-on keeps the tool's effects)
    b.scalar("base_replaced", sw.replaces_opex.get(have.opex_item, 0.0) if have.opex_item else 1.0,
             None)
    b.new("sw_replaces", (len(opex),))
    for key, share in sw.replaces_opex.items():
        b.put("sw_replaces", (opex.index(key),), share, f"software.replaces_opex.{key}")
    b.new("is_card_processing", (len(opex),))
    if "card_processing" in opex:
        b.put("is_card_processing", (opex.index("card_processing"),), 1.0, None)
