"""A site's costs as formulas on an option sheet: product cost (with the MSO's purchasing
discount), staff pay by role (loaded hourly and salaried pay raised yearly, commission on the
lines it is paid on), running costs by item (fixed part escalated yearly, share of revenue),
the software subscription, the third-party MSO's fee (flat, percentage, cost-plus, tiered or
hybrid, with escalator, floor, cap and renewal changes), the friendly PC's management fee, its
medical-director and administration costs, license conditions and one-time costs.

Each function writes rows on a :class:`~msomodel.export.grid.MonthSheet` and returns
(row, values) pairs; values (numpy, index 0..H) are the cached results and follow the engine's
formulas (:mod:`msomodel.operations`, :mod:`msomodel.options`).
"""

# Row formulas are lambdas of the month index that MonthSheet.line evaluates at once, inside
# the loop iteration that defines them, so late binding of loop variables cannot bite.
# ruff: noqa: B023

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from msomodel.export.grid import MonthSheet, col
from msomodel.export.inputs_sheet import InputsSheet
from msomodel.inputs import ModelInputs
from msomodel.operations import spread
from msomodel.scenario import OPTIONS


@dataclass
class SiteRevenue:
    """What the revenue block wrote for one site."""

    open_row: int
    revenue_row: int
    lines: list[int]
    units: dict[int, int]            # line -> units-sold row
    revenue: dict[int, int]          # line -> revenue row
    v_open: np.ndarray
    v_units: dict[int, np.ndarray]
    v_revenue: dict[int, np.ndarray]
    v_total: np.ndarray
    hired: tuple[int, np.ndarray] | None = None  # providers hired by demand: row, values
    #: membership lines recognized as their credit is redeemed: line -> (dues-billed row, its
    #: values, (k cell, k)); ``revenue`` then holds the recognized rows
    billed: dict[int, tuple[int, np.ndarray, tuple[str, int]]] = field(default_factory=dict)


@dataclass
class Ctx:
    """Option-level cells and values the site formulas use."""

    option: str
    friendly: bool
    year0: np.ndarray
    months: np.ndarray
    x: dict
    discount_row: int | None = None
    v_discount: np.ndarray | None = None
    admin_keep: str | None = None     # software: share of admin hours still paid
    v_admin_keep: float = 1.0
    credit: dict = field(default_factory=dict)  # membership line -> (treatment, units fn, ref)
    #: the owner's MSO's company costs in a cost-plus management fee's base, shared by the open
    #: sites: (row, values, sites-operating row, its values); None where none is included
    shared: tuple | None = None
    rows: dict[str, list[int]] = field(default_factory=dict)
    values: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, key: str, row: int, value: np.ndarray) -> None:
        self.rows.setdefault(key, []).append(row)
        self.values.setdefault(key, []).append(np.asarray(value, dtype=float))


def _esc(ref: str, k: int) -> str:
    return f"(1+{ref})^({col(k)}$4-1)"


def _sum(ms: MonthSheet, rows: list[int], k: int) -> str:
    return "+".join(ms.cell(r, k) for r in rows) if rows else "0"


def site_costs(ms: MonthSheet, inp: InputsSheet, inputs: ModelInputs, s: int, rv: SiteRevenue,
               ctx: Ctx) -> None:
    """Write every cost line of site ``s`` and register the site totals in ``ctx``."""
    R, x, y, site = inp.ref, ctx.x, ctx.year0, inputs.sites[s]
    o = ctx.option
    H = len(ctx.months) - 1
    ms.heading(f"{site}: costs")
    op = rv.open_row

    # -- product cost ----------------------------------------------------------------------
    cost_rows, v_cost, disc_rows = [], [], []
    for j in rv.lines:
        # a line recognized as its credit is redeemed: its cost as billed, then spread the same way
        rev_row, v_rev = (rv.billed[j][:2] if j in rv.billed else (rv.revenue[j], rv.v_revenue[j]))
        v = (v_rev * x["cost_frac"][s, j]
             + rv.v_units[j] * x["cost_unit"][s, j] * (1 + x["cost_growth"][s, j]) ** y)
        extra = None
        if j in ctx.credit:  # members' credit costs the treatment's product
            t, units_of, _ = ctx.credit[j]
            v = v + (v_rev * x["redeem_share"][s, j] * x["cost_frac"][s, t]
                     + rv.v_units[j] * units_of(j) * x["cost_unit"][s, t]
                     * (1 + x["cost_growth"][s, t]) ** y)

            def extra(k, j=j, t=t, units_of=units_of, rev_row=rev_row):
                return (f"+{ms.cell(rev_row, k)}*{R('redeem_share', s, j)}*"
                        f"{R('cost_frac', s, t)}+{ms.cell(rv.units[j], k)}*{units_of(j, k)}*"
                        f"{R('cost_unit', s, t)}*{_esc(R('cost_growth', s, t), k)}")
        row = ms.line(f"{site}: {inputs.lines[j].replace('_', ' ')} product cost"
                      + (" (with the treatments members redeem)" if extra else "")
                      + (", as billed" if j in rv.billed else ""),
                      lambda k, j=j, extra=extra, rev_row=rev_row: (
                          f"{ms.cell(rev_row, k)}*{R('cost_frac', s, j)}+"
                          f"{ms.cell(rv.units[j], k)}*{R('cost_unit', s, j)}*"
                          f"{_esc(R('cost_growth', s, j), k)}" + (extra(k) if extra else "")), v)
        if j in rv.billed:
            k_ref, kv = rv.billed[j][2]
            v = spread(v, np.asarray(kv))
            row = ms.line(f"{site}: {inputs.lines[j].replace('_', ' ')} product cost (as the "
                          "credit is redeemed)",
                          lambda k, row=row, k_ref=k_ref: ms.spread(row, k_ref, k), v)
        cost_rows.append(row)
        v_cost.append(v)
        if x["discountable"][s, j] > 0:
            disc_rows.append((row, v))
    if ctx.discount_row is not None and disc_rows:
        v = sum(v_cost) - ctx.v_discount * sum(v for _, v in disc_rows)
        product = ms.line(f"{site}: product cost (after the MSO's discount on discountable lines)",
                          lambda k: (f"{_sum(ms, cost_rows, k)}-{ms.cell(ctx.discount_row, k)}*"
                                     f"({_sum(ms, [r for r, _ in disc_rows], k)})"), v, fmt="total")
    else:
        v = sum(v_cost) if v_cost else np.zeros(H + 1)
        product = ms.line(f"{site}: product cost", lambda k: _sum(ms, cost_rows, k), v,
                          fmt="total")
    ctx.add("product_cost", product, v)

    # -- staff -------------------------------------------------------------------------------
    clinical, admin, taken = [], [], []
    v_clin, v_adm, v_taken = [], [], []
    visits = _visits(ms, inputs, s, rv, ctx) if np.any(x["scale_on"][s] > 0) else None
    for r in range(len(inputs.roles)):
        if ("fte", (s, r)) not in inp.cells:
            continue
        name = inputs.roles[r]
        load = f"(1+{R('load', s, r)})"
        lines = [j for j in rv.lines if x["comm_mask"][s, r, j] > 0]
        # the role's FTE in month k: its input, or a row where headcount moves
        def fte(k: int, r: int = r) -> str:
            return R("fte", s, r)

        v_fte = x["fte"][s, r]
        if visits is not None and x["scale_on"][s, r] > 0:  # headcount follows the visits
            scaled, v_fte = _scaled_fte(ms, inp, inputs, s, r, visits, ctx)

            def fte(k: int, scaled: int = scaled) -> str:
                return ms.cell(scaled, k)
        if rv.hired is not None and x["hire_role"][s, r] > 0:  # each hire: one FTE of the role
            v_fte = x["fte"][s, r] + rv.hired[1]

            def fte(k: int, r: int = r) -> str:
                return f"({R('fte', s, r)}+{ms.cell(rv.hired[0], k)})"
        base = ((x["hourly"][s, r] * x["hours"][s, r] + x["salary"][s, r] / 12.0) * v_fte
                * x["wage_mult"] * (1 + x["load"][s, r]))
        v = base * (1 + x["raise"][s, r]) ** y * rv.v_open + (
            x["comm_rate"][s, r] * x["prod_share"][s, r] * (1 + x["load"][s, r])
            * sum((rv.v_revenue[j] for j in lines), np.zeros(H + 1)))
        commission = (f"+{R('comm_rate', s, r)}*{R('prod_share', s, r)}*{load}*("
                      + "+".join("{l" + str(j) + "}" for j in lines) + ")") if lines else ""
        row = ms.line(
            f"{site}: {name.replace('_', ' ')} pay (loaded{', with commission' if lines else ''})",
            lambda k: (f"({R('hourly', s, r)}*{R('hours', s, r)}+{R('salary', s, r)}/12)*"
                       f"{fte(k)}*WageMultiplier*"
                       f"{load}*{_esc(R('raise', s, r), k)}*{ms.cell(op, k)}"
                       + commission.format(**{f"l{j}": ms.cell(rv.revenue[j], k) for j in lines})),
            v)
        is_admin = x["is_admin"][s, r] > 0
        keep, v_keep = "", 1.0
        if o == "mso" and x["absorbed_role"][s, r] > 0:
            taken.append(row)
            v_taken.append(v)
            continue  # the MSO takes the role over: not on the payroll
        if o == "software_only" and is_admin:
            keep, v_keep = f"*{ctx.admin_keep}", ctx.v_admin_keep
        (admin if is_admin else clinical).append((row, keep))
        (v_adm if is_admin else v_clin).append(v * v_keep)

    def weighted(rows: list[tuple[int, str]], k: int) -> str:
        return "+".join(f"{ms.cell(r, k)}{w}" for r, w in rows) if rows else "0"

    zero = np.zeros(H + 1)
    ctx.add("staff_clinical", ms.line(f"{site}: staff, clinical", lambda k: weighted(clinical, k),
                                      sum(v_clin, zero), fmt="total"), sum(v_clin, zero))
    ctx.add("staff_admin", ms.line(f"{site}: staff, administrative" + (
        " (after software's admin-hours saving)" if o == "software_only" else ""),
        lambda k: weighted(admin, k), sum(v_adm, zero), fmt="total"), sum(v_adm, zero))

    # -- running costs ---------------------------------------------------------------------
    items, v_paid, v_pc, absorbed, v_absorbed = [], [], [], [], []
    for kk, item in enumerate(inputs.opex):
        if ("opex_monthly", (s, kk)) not in inp.cells:
            continue
        pct = R("opex_pct", s, kk)
        v_pct = x["opex_pct"][s, kk]
        if o == "software_only" and x["is_card_processing"][kk] > 0:
            pct = f"IF({R('sw_proc_rate')}>=0,{R('sw_proc_rate')},{pct})"
            v_pct = x["sw_proc_rate"] if x["sw_proc_rate"] >= 0 else v_pct
        v = (x["opex_monthly"][s, kk] * x["opex_mult"] * (1 + x["opex_esc"][s, kk]) ** y
             * rv.v_open + v_pct * rv.v_total)
        row = ms.line(f"{site}: {item.replace('_', ' ')} (in full)",
                      lambda k: (f"{R('opex_monthly', s, kk)}*OpexMultiplier*"
                                 f"{_esc(R('opex_esc', s, kk), k)}*{ms.cell(op, k)}+{pct}*"
                                 f"{ms.cell(rv.revenue_row, k)}"), v)
        if o == "mso":
            w, v_w = f"*(1-{R('absorbed_opex', kk)})", 1 - x["absorbed_opex"][kk]
            absorbed.append((row, f"*{R('absorbed_opex', kk)}"))
            v_absorbed.append(v * x["absorbed_opex"][kk])
        elif o == "software_only":
            w, v_w = f"*(1-{R('sw_replaces', kk)})", 1 - x["sw_replaces"][kk]
        else:
            w, v_w = "", 1.0
        items.append((row, w, x["opex_pc"][s, kk] > 0))
        v_paid.append(v * v_w)
        v_pc.append(v * v_w * (x["opex_pc"][s, kk] > 0))
    opex = ms.line(f"{site}: running costs paid by the business" + (
        " (less the MSO's share)" if o == "mso" else " (less replaced tools)"
        if o == "software_only" else ""), lambda k: weighted([(r, w) for r, w, _ in items], k),
        sum(v_paid, zero), fmt="total")
    ctx.add("opex", opex, sum(v_paid, zero))
    if ctx.friendly:
        pc_rows = [(r, w) for r, w, pc in items if pc]
        ctx.add("pc_opex", ms.line(f"{site}: of which borne by the PC",
                                   lambda k: weighted(pc_rows, k), sum(v_pc, zero)),
                sum(v_pc, zero))

    # -- software subscription ----------------------------------------------------------------
    if o == "software_only":
        first = int(np.argmin(x["open_month"])) == s
        loc = R("sw_first") if first else R("sw_extra")
        if x["has_capacity"][s] > 0:
            prov, v_prov = R("providers", s), x["providers"][s]
        else:
            cl = [r for r in range(len(inputs.roles)) if x["is_admin"][s, r] == 0
                  and ("fte", (s, r)) in inp.cells]
            prov = "(" + ("+".join(R("fte", s, r) for r in cl) or "0") + ")"
            v_prov = sum(x["fte"][s, r] for r in cl)
        v_loc = x["sw_first"] if first else x["sw_extra"]
        v = ((v_loc + v_prov * x["sw_provider"] + x["sw_addons"]) * (1 + x["sw_esc"]) ** y
             * rv.v_open)
        label = "first location" if first else "additional location"
        ctx.add("software_fee", ms.line(
            f"{site}: software subscription ({label} price + providers x per-provider + add-ons)",
            lambda k: (f"({loc}+{prov}*{R('sw_provider')}+{R('sw_addons')})*"
                       f"{_esc(R('sw_esc'), k)}*{ms.cell(op, k)}"), v, fmt="total"), v)

    # -- third-party MSO fee ------------------------------------------------------------------
    if o == "mso":
        cb = ms.line(f"{site}: the MSO's cost base (roles and running costs it takes over)",
                     lambda k: weighted([(r, "") for r in taken] + absorbed, k),
                     sum(v_taken, zero) + sum(v_absorbed, zero))
        v_cb = sum(v_taken, zero) + sum(v_absorbed, zero)
        fee_row, v_fee = fee(ms, inp, inputs.fee_type, "fee", f"{site}: third-party MSO fee", rv,
                             cb, v_cb, ctx)
        ctx.add("mso_fee", fee_row, v_fee)

    # -- friendly PC: structure costs, conditions, management fee --------------------------------
    oi = OPTIONS.index(o)
    if ctx.friendly:
        own = f"*(1-{R('provides_pc')})" if o == "mso" else ""
        v_own = (1 - x["provides_pc"]) if o == "mso" else 1.0
        v = (x["md_agreement"] + x["pc_admin"]) * v_own * rv.v_open
        ctx.add("structuring", ms.line(
            f"{site}: medical-director agreement + PC administration" + (
                " (0 where the MSO supplies the PC)" if o == "mso" else ""),
            lambda k: f"({R('md_agreement')}+{R('pc_admin')}){own}*{ms.cell(op, k)}", v), v)
    v = x["cond_monthly"][oi] * rv.v_open
    ctx.add("conditions", ms.line(f"{site}: license-condition costs",
                                  lambda k: f"{R('cond_monthly', oi)}*{ms.cell(op, k)}", v), v)
    if ctx.friendly:
        base_rows = [ctx.rows["staff_admin"][-1]]
        v_base = ctx.values["staff_admin"][-1] + ctx.values["opex"][-1] - ctx.values["pc_opex"][-1]
        parts = "{a}+{o}-{p}"
        extra = []
        for key in ("mso_fee", "software_fee"):
            if key in ctx.rows and len(ctx.rows[key]) == len(ctx.rows["staff_admin"]):
                extra.append(ctx.rows[key][-1])
                v_base = v_base + ctx.values[key][-1]
        shared = None  # (company-costs row, sites-operating row)
        if ctx.shared is not None:  # this site's equal share among the open sites
            row, v_shared, n_row, v_n = ctx.shared
            v_base = v_base + v_shared * rv.v_open / np.maximum(v_n, 1.0)
            shared = (row, n_row)
        cb = ms.line(f"{site}: the owner's MSO's cost base (admin staff, its running costs, "
                     "third-party fees" + (", its share of company costs" if shared else "") + ")",
                     lambda k: parts.format(a=ms.cell(base_rows[0], k), o=ms.cell(opex, k),
                                            p=ms.cell(ctx.rows["pc_opex"][-1], k))
                     + "".join(f"+{ms.cell(r, k)}" for r in extra)
                     + (f"+{ms.cell(shared[0], k)}*{ms.cell(op, k)}/MAX({ms.cell(shared[1], k)},1)"
                        if shared else ""), v_base)
        before = None
        if inputs.mgmt_fee_type == "sweep":
            keys = ("product_cost", "staff_clinical", "pc_opex", "structuring", "conditions")
            v_before = rv.v_total - sum(ctx.values[key][-1] for key in keys)
            before = (ms.line(f"{site}: PC EBITDA before the management fee", lambda k: (
                f"{ms.cell(rv.revenue_row, k)}-" + "-".join(
                    ms.cell(ctx.rows[key][-1], k) for key in keys)), v_before), v_before)
        fee_row, v_fee = fee(ms, inp, inputs.mgmt_fee_type, "mf",
                             f"{site}: management fee, PC to the owner's MSO", rv, cb, v_base, ctx,
                             before=before)
        ctx.add("management_fee", fee_row, v_fee)

    # -- the site's EBITDA (before the owner's MSO overhead; the management fee is intercompany) --
    keys = [k for k in ("product_cost", "staff_clinical", "staff_admin", "opex", "mso_fee",
                        "software_fee", "structuring", "conditions")
            if k in ctx.rows and len(ctx.rows[k]) == len(ctx.rows["product_cost"])]
    v = rv.v_total - sum(ctx.values[k][-1] for k in keys)
    ctx.add("site_ebitda", ms.line(f"{site}: EBITDA", lambda k: f"{ms.cell(rv.revenue_row, k)}-"
                                   + "-".join(ms.cell(ctx.rows[key][-1], k) for key in keys), v,
                                   fmt="total"), v)

    # -- one-time costs before opening ----------------------------------------------------------
    at = (ctx.months == x["open_month"][s] - 1).astype(float)
    when = f"{{c}}$2={R('open_month', s)}-1"
    v = at * x["cond_once"][oi]
    ctx.add("once_conditions", ms.line(
        f"{site}: one-time license-condition costs (before opening)",
        lambda k: f"IF({when.format(c=col(k))},{R('cond_once', oi)},0)", v), v)
    if o in ("mso", "software_only"):
        what, name = ("onboarding fee", "onboarding") if o == "mso" else (
            "software implementation fee", "sw_impl")
        v = at * x[name]
        ctx.add("once_option", ms.line(
            f"{site}: {what} (before opening)",
            lambda k: f"IF({when.format(c=col(k))},{R(name)},0)", v), v)


def _visits(ms: MonthSheet, inputs: ModelInputs, s: int, rv: SiteRevenue,
            ctx: Ctx) -> tuple[int, np.ndarray]:
    """The site's treatment visits delivered (units of its treatment lines): row and values."""
    x = ctx.x
    treat = [j for j in rv.lines if x["is_treatment"][s, j] > 0]
    v = sum((rv.v_units[j] for j in treat), np.zeros(len(ctx.months)))
    return ms.line(f"{inputs.sites[s]}: treatment visits delivered (units of treatment lines)",
                   lambda k: _sum(ms, [rv.units[j] for j in treat], k), v, fmt="number"), v


def _scaled_fte(ms: MonthSheet, inp: InputsSheet, inputs: ModelInputs, s: int, r: int,
                visits: tuple[int, np.ndarray], ctx: Ctx) -> tuple[int, np.ndarray]:
    """An administrative role that follows the site's treatment ``visits`` (:func:`_visits`):
    its FTE row, the most needed so far (``step x ceil(visits / (visits per FTE x step))``), at
    least ``fte`` and at most ``max_fte``; with its values."""
    R, x, site = inp.ref, ctx.x, inputs.sites[s]
    row, v_visits = visits
    per, step = R("scale_visits", s, r), R("scale_step", s, r)
    with np.errstate(over="ignore"):
        v_need = np.maximum.accumulate(np.ceil(v_visits / x["scale_visits"][s, r]
                                               / x["scale_step"][s, r] - 1e-9)
                                       * x["scale_step"][s, r])
    need = ms.next_row

    def needed(k: int) -> str:  # -INT(-y) is ceil(y) for either sign, as numpy's
        now = f"-INT(-({ms.cell(row, k)}/{per}/{step}-1E-9))*{step}"
        return now if k == 0 else f"MAX({ms.cell(need, k - 1)},{now})"

    name = inputs.roles[r].replace("_", " ")
    ms.line(f"{site}: {name} FTE needed by visits (the most so far)", needed, v_need,
            fmt="number")
    v = np.maximum(np.minimum(v_need, x["scale_max"][s, r]), x["fte"][s, r])
    return ms.line(f"{site}: {name} FTE (at least its fte, at most max_fte)",
                   lambda k: (f"MAX(MIN({ms.cell(need, k)},{R('scale_max', s, r)}),"
                              f"{R('fte', s, r)})"), v, fmt="number"), v


def fee(ms: MonthSheet, inp: InputsSheet, fee_type: str, prefix: str, label: str,
        rv: SiteRevenue, cost_base: int, v_cost_base: np.ndarray, ctx: Ctx,
        before: tuple[int, np.ndarray] | None = None) -> tuple[int, np.ndarray]:
    """A fee structure's monthly amount for one site (see :mod:`msomodel.options.fees`)."""
    R, x, y = inp.ref, ctx.x, ctx.year0
    H = len(ctx.months) - 1

    def a(name: str) -> str:
        return R(f"{prefix}_{name}")

    def v(name: str) -> float:
        return float(x[f"{prefix}_{name}"])

    esc = (1 + v("esc")) ** y
    rev, op = rv.revenue_row, rv.open_row
    if fee_type == "flat":
        raw = v("flat") * esc * rv.v_open

        def f(k):
            return f"{a('flat')}*{_esc(a('esc'), k)}*{ms.cell(op, k)}"
    elif fee_type == "percentage":
        raw = v("pct") * rv.v_total

        def f(k):
            return f"{a('pct')}*{ms.cell(rev, k)}"
    elif fee_type == "cost_plus":
        raw = (v_cost_base + v("overhead") * esc * rv.v_open) * (1 + v("markup"))

        def f(k):
            return (f"({ms.cell(cost_base, k)}+{a('overhead')}*{_esc(a('esc'), k)}*"
                    f"{ms.cell(op, k)})*(1+{a('markup')})")
    elif fee_type == "tiered":
        edges = x[f"{prefix}_tier_edges"]
        rates = x[f"{prefix}_tier_rates"]
        raw = np.zeros(H + 1)
        terms = []
        for b in range(len(edges)):
            lo = 0.0 if b == 0 else edges[b - 1]
            raw = raw + np.clip(rv.v_total - lo, 0.0, edges[b] - lo) * rates[b] * v("tier_scale")
            lo_ref = "0" if b == 0 else R(f"{prefix}_tier_edges", b - 1)
            terms.append((lo_ref, R(f"{prefix}_tier_edges", b), R(f"{prefix}_tier_rates", b)))

        def f(k):
            return "(" + "+".join(
                f"MIN(MAX({ms.cell(rev, k)}-{lo},0),{hi}-{lo})*{rate}" for lo, hi, rate in terms
            ) + f")*{a('tier_scale')}"
    elif fee_type == "hybrid":
        raw = v("base") * esc * rv.v_open + v("pct") * rv.v_total

        def f(k):
            return (f"{a('base')}*{_esc(a('esc'), k)}*{ms.cell(op, k)}+"
                    f"{a('pct')}*{ms.cell(rev, k)}")
    elif fee_type == "sweep":  # the PC keeps target x revenue; the MSO takes the rest
        raw = before[1] - v("target") * rv.v_total

        def f(k):
            return f"{ms.cell(before[0], k)}-{a('target')}*{ms.cell(rev, k)}"
    else:  # pragma: no cover - the schema admits only the types above
        raise ValueError(f"unknown fee type {fee_type!r}")
    raw_row = ms.line(f"{label} before floor, cap and renewals ({fee_type.replace('_', '-')})",
                      f, raw)
    renewals = np.maximum(ctx.months - 1.0, 0.0) // v("term")
    no_floor = fee_type == "sweep" and v("floor") == 0  # a sweep may be negative (MSO funds PC)
    value = (np.clip(raw, -np.inf if no_floor else v("floor") * esc, v("cap") * esc) * rv.v_open
             * (1 + v("renewal")) ** renewals)

    def floored(k: int) -> str:
        return (ms.cell(raw_row, k) if no_floor else
                f"MAX({ms.cell(raw_row, k)},{a('floor')}*{_esc(a('esc'), k)})")
    row = ms.line(f"{label} (floor and cap per open site, escalated; renewal changes)",
                  lambda k: (f"MIN({floored(k)},"
                             f"{a('cap')}*{_esc(a('esc'), k)})*{ms.cell(op, k)}*"
                             f"(1+{a('renewal')})^INT(MAX({col(k)}$2-1,0)/{a('term')})"),
                  value, fmt="total")
    return row, value
