"""One option's monthly sheet, all formulas: volumes and revenue by site and service line, the
costs by site (:mod:`.costs`), EBITDA (PC and MSO under the friendly PC), tax with losses carried
forward, working capital, the exit, the net and the project cash flow.

Conventions (README): index 0 is the start; month m's flows fall at its end; growth steps up at
the start of each project year; tax = rate x taxable income with unlimited loss carry-forward
(cumulative tax = rate x running maximum of the cumulative taxable income); under the friendly
PC the PC and the MSO are taxed separately.
"""

# Row formulas are lambdas of the month index that MonthSheet.line evaluates at once, inside
# the loop iteration that defines them, so late binding of loop variables cannot bite.
# ruff: noqa: B023

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from msomodel import timeline as tl
from msomodel.export import costs, statement_rows
from msomodel.export.capital_sheet import Capital
from msomodel.export.grid import MonthSheet, col
from msomodel.export.inputs_sheet import InputsSheet
from msomodel.inputs import ModelInputs
from msomodel.operations import prepare, spread, volumes
from msomodel.options import Projection
from msomodel.options.software import beyond
from msomodel.options.statements import statements as engine_statements

DAYS = "(365/12)"
#: Cost lines of the P&L (sums of the site rows) and their labels.
LINES = {"product_cost": "Product cost", "staff_clinical": "Staff: clinical",
                "staff_admin": "Staff: administrative", "opex": "Running costs",
                "mso_fee": "Third-party MSO fee", "software_fee": "Software subscription",
                "structuring": "Friendly-PC costs (medical director, PC administration)",
                "conditions": "License-condition costs"}


def _hiring(ms: MonthSheet, inp: InputsSheet, x: dict, s: int, site: str, dem_row: int,
            demand: np.ndarray) -> tuple[int, np.ndarray, int, np.ndarray]:
    """Providers hired by demand (``capacity.hiring``, as :func:`msomodel.operations.hires`):
    the providers needed, those hired so far (never let go, at most ``max_providers``), this
    month's hires and their productive FTE, each hire ramping up over ``ramp_months``. Returns
    (hired row, values, productive row, values)."""
    R, c, H = inp.ref, col, len(demand) - 1
    per = f"{R('provider_hours', s)}*{R('utilisation', s)}"
    step, providers = R("hire_step", s), R("providers", s)
    v_per = x["provider_hours"][s] * x["utilisation"][s]
    need = np.ceil(demand / (v_per * x["hire_trigger"][s]) / x["hire_step"][s] - 1e-9) \
        * x["hire_step"][s]
    need_row = ms.line(
        f"{site}: providers needed (hours demanded / (hours x utilization x trigger), in steps)",
        lambda k: (f"-INT(-({ms.cell(dem_row, k)}/({per}*{R('hire_trigger', s)})/{step}-1E-9))"
                   f"*{step}"), need, fmt="number")
    room = x["hire_max"][s] - x["providers"][s]
    v_hired = np.clip(np.maximum.accumulate(need - x["providers"][s]), 0.0, room)
    hired_row = ms.next_row

    def hired(k: int) -> str:  # clipping commutes with the running maximum
        now = (f"MIN(MAX({ms.cell(need_row, k)}-{providers},0),"
               f"{R('hire_max', s)}-{providers})")
        return now if k == 0 else f"MAX({ms.cell(hired_row, k - 1)},{now})"

    ms.line(f"{site}: providers hired so far (never let go, at most max_providers)", hired,
            v_hired, fmt="number")
    v_new = tl.increase(v_hired)
    new_row = ms.line(f"{site}: providers hired this month",
                      lambda k: (ms.cell(hired_row, k) if k == 0 else
                                 f"{ms.cell(hired_row, k)}-{ms.cell(hired_row, k - 1)}"),
                      v_new, fmt="number")
    ramp = x["hire_ramp"][s]
    age = np.arange(H + 1)[:, None] - np.arange(H + 1)[None, :] + 1.0
    v_productive = (np.clip(age / ramp, 0.0, 1.0) * v_new[None, :]).sum(axis=1)
    rp = R("hire_ramp", s)

    def productive(k: int) -> str:  # sum over hires to date of min(1, months since hire / ramp)
        age_k = f"({c(k)}$2-$C$2:{c(k)}$2+1)"
        return (f"SUMPRODUCT({ms.cell(new_row, 0)}:{ms.cell(new_row, k)},"
                f"({age_k}>={rp})+({age_k}<{rp})*{age_k}/{rp})")

    prod_row = ms.line(f"{site}: hires' productive FTE (each reaching full over ramp_months)",
                       productive, v_productive, fmt="number")
    return hired_row, v_hired, prod_row, v_productive


@dataclass
class OptionSheet:
    option: str
    sheet: MonthSheet
    rows: dict[str, int] = field(default_factory=dict)  # annual line -> row
    net: int = 0
    unlevered: int = 0
    exit_row: int = 0
    #: Statement lines per entity: entity -> line -> row.
    statements: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Per site: (revenue row, EBITDA row).
    sites: list[tuple[int, int]] = field(default_factory=list)


class EngineValues:
    """The Engine values sheet: msomodel's own monthly figures, as values, for comparison."""

    def __init__(self, ms: MonthSheet):
        self.ms = ms

    def add(self, label: str, values: np.ndarray) -> int:
        return self.ms.line(label, lambda m: repr(float(values[m])), values, how="engine value")


def write(ms: MonthSheet, inp: InputsSheet, inputs: ModelInputs, p: Projection, label: str,
          capital: Capital, engine: EngineValues) -> OptionSheet:
    option = p.option
    out = OptionSheet(option, ms)
    R = inp.ref
    H = inputs.horizon
    x1 = inputs.batch(1)
    x = {k: np.asarray(v[0], dtype=float) for k, v in x1.items()}
    m_idx = np.arange(H + 1)
    year0 = tl.project_year(H).astype(float)
    c = col

    # -- parameters ---------------------------------------------------------------------------
    ms.heading("Parameters of this option")
    if option == "mso":
        em = ms.scalar("Exit multiple (the MSO's own where set, else the finance one)",
                       f"IF({R('mso_exit_multiple')}>=0,{R('mso_exit_multiple')},ExitMultiple)",
                       x["mso_exit_multiple"] if x["mso_exit_multiple"] >= 0 else x["exit_multiple"],
                       fmt="number")
        all_up = ms.scalar("Volume uplift on every line (1 + revenue uplift)",
                           f"1+{R('uplift')}", 1 + x["uplift"], fmt="number")
    elif option == "software_only":
        em = ms.scalar("Exit multiple (the software option's own where set, else the finance one)",
                       f"IF({R('sw_exit_multiple')}>=0,{R('sw_exit_multiple')},ExitMultiple)",
                       x["sw_exit_multiple"] if x["sw_exit_multiple"] >= 0 else x["exit_multiple"],
                       fmt="number")
        q = beyond(x["sw_noshow_red"], x["base_noshow_red"])
        q_cell = ms.scalar("No-show reduction beyond the existing tool: 1-(1-offer)/(1-existing)",
                           f"1-(1-{R('sw_noshow_red')})/MAX(1-{R('base_noshow_red')},1E-9)", q,
                           fmt="pct")
        booking = (1 + x["sw_booking"]) / (1 + x["base_booking"]) - 1
        b_cell = ms.scalar("Online-booking uplift beyond the existing tool",
                           f"(1+{R('sw_booking')})/(1+{R('base_booking')})-1", booking, fmt="pct")
        tu_cells = []
        for s, site in enumerate(inputs.sites):
            r = x["no_show"][s]
            rec = r * q / max(1 - r, 1e-9)
            tu = (1 + rec) * (1 + booking) - 1
            tu_cells.append(ms.scalar(
                f"{site}: treatment volume uplift (1 + r q/(1-r)) x (1 + booking) - 1",
                f"(1+{R('no_show', s)}*{q_cell}/MAX(1-{R('no_show', s)},1E-9))*(1+{b_cell})-1",
                tu, fmt="pct"))
    else:
        em = ms.scalar("Exit multiple", "ExitMultiple", x["exit_multiple"], fmt="number")

    # -- volumes and revenue --------------------------------------------------------------------
    shared = prepare(x1, H)
    if option == "mso":
        steady, _, scale, _ = volumes(x1, shared, np.zeros((1, len(inputs.sites))),
                                   1.0 + x1["uplift"])
    elif option == "software_only":
        r, qq = x1["no_show"], beyond(x1["sw_noshow_red"], x1["base_noshow_red"])[:, None]
        rec = r * qq / np.maximum(1.0 - r, 1e-9)
        bk = (1.0 + x1["sw_booking"]) / (1.0 + x1["base_booking"]) - 1.0
        steady, _, scale, _ = volumes(x1, shared, (1.0 + rec) * (1.0 + bk[:, None]) - 1.0,
                                   np.ones(1))
    else:
        steady, _, scale, _ = volumes(x1, shared, np.zeros((1, len(inputs.sites))), np.ones(1))
    steady = steady[0]
    site_revenue_rows = []
    dues_rows: list[tuple[int, np.ndarray]] = []  # members' dues billed ahead of recognition
    site_rv: list[costs.SiteRevenue] = []
    site_credit: list[dict] = []
    for s, site in enumerate(inputs.sites):
        ms.heading(f"{site}: volumes and revenue")
        open_ = R("open_month", s)
        om, rm, rs = x["open_month"][s], x["ramp_months"][s], x["ramp_start"][s]
        is_open = ((m_idx >= om) & (m_idx >= 1)).astype(float)
        open_row = ms.line(f"{site}: operating (1 = open)",
                           lambda k: f"IF(AND({c(k)}$2>={open_},{c(k)}$2>=1),1,0)", is_open,
                           fmt="number")
        ramp = tl.ramp(np.asarray([om]), np.asarray([rm]), np.asarray([rs]), H)[0]
        ramp_row = ms.line(
            f"{site}: ramp (share of steady volume)",
            lambda k: (f"{ms.cell(open_row, k)}*({R('ramp_start', s)}+(1-{R('ramp_start', s)})*"
                       f"IF({R('ramp_months', s)}>0,MIN(MAX(({c(k)}$2-{open_})/"
                       f"MAX({R('ramp_months', s)},1),0),1),1))"), ramp, fmt="pct")
        lines = [j for j in range(len(inputs.lines)) if ("volume", (s, j)) in inp.cells]
        pre_rows, pre_vals = {}, {}
        for j in lines:
            name = inputs.lines[j]
            if option == "mso":
                up = f"*{all_up}"
            elif option == "software_only" and x["is_treatment"][s, j] > 0:
                up = f"*(1+{tu_cells[s]})"
            else:
                up = ""
            v = steady[s, j] * ramp * (1 + x["volume_growth"][s, j]) ** year0
            pre_vals[j] = v
            pre_rows[j] = ms.line(
                f"{site}: {name.replace('_', ' ')} units (before any capacity cap)",
                lambda k, j=j, up=up: (f"{R('volume', s, j)}*VolumeMultiplier{up}*"
                                       f"(1+{R('volume_growth', s, j)})^({c(k)}$4-1)*"
                                       f"{ms.cell(ramp_row, k)}"), v, fmt="number")
        scale_row = None
        credit = {j: int(np.argmax(x["redeem_on"][s, j])) for j in lines
                  if x["redeem_share"][s, j] > 0}  # membership line -> treatment its credit buys

        def credit_units(j: int, k: int | None = None, s: int = s, credit: dict = credit):
            """Treatments a member's credit buys a month: share x dues / the treatment's price."""
            t = credit[j]
            if k is None:
                return x["redeem_share"][s, j] * x["price"][s, j] * (
                    1 + x["price_growth"][s, j]) ** year0 / (
                    x["price"][s, t] * (1 + x["price_growth"][s, t]) ** year0)
            return (f"{R('redeem_share', s, j)}*{R('price', s, j)}*(1+{R('price_growth', s, j)})"
                    f"^({c(k)}$4-1)/({R('price', s, t)}*(1+{R('price_growth', s, t)})^({c(k)}$4-1))")

        # membership lines whose credit is redeemed over k > 1 months: line -> (k cell, k)
        late = {j: (R("redeem_months", s, j), int(max(round(x["redeem_months"][s, j]), 1)))
                for j in lines if round(x["redeem_months"][s, j]) > 1}

        def line_hours(j: int, k: int, s: int = s, credit: dict = credit,
                       pre_rows: dict = pre_rows) -> str:
            """Provider hours line ``j``'s units ask for in month ``k`` (with members' credit)."""
            out = f"{ms.cell(pre_rows[j], k)}*{R('hours_per_unit', s, j)}"
            if j in credit:
                out += (f"+{ms.cell(pre_rows[j], k)}*{credit_units(j, k)}*"
                        f"{R('hours_per_unit', s, credit[j])}")
            return out

        def v_line_hours(j: int) -> np.ndarray:
            out = pre_vals[j] * x["hours_per_unit"][s, j]
            if j in credit:
                out = out + pre_vals[j] * credit_units(j) * x["hours_per_unit"][s, credit[j]]
            return out

        def hours_terms(k: int) -> str:
            return "+".join(ms.cell(late_hours[j], k) if j in late_hours else line_hours(j, k)
                            for j in lines)

        late_hours: dict[int, int] = {}  # late line -> its hours as the credit is redeemed
        hired = None  # (row, values) of the providers hired so far, where the site hires
        if x["has_capacity"][s] > 0:
            v_hours = {j: v_line_hours(j) for j in lines}
            for j in late:
                name = inputs.lines[j].replace("_", " ")
                bought = ms.line(f"{site}: {name} provider hours the credit bought (as billed)",
                                 lambda k, j=j: line_hours(j, k), v_hours[j], fmt="number")
                v_hours[j] = spread(v_hours[j], np.asarray(late[j][1]))
                late_hours[j] = ms.line(
                    f"{site}: {name} provider hours as the credit is redeemed",
                    lambda k, j=j, bought=bought: ms.spread(bought, late[j][0], k), v_hours[j],
                    fmt="number")
            demand = sum(v_hours.values())
            dem_row = ms.line(f"{site}: provider hours demanded (with members' credit)",
                              hours_terms, demand, fmt="number")
            def providers(k: int) -> str:
                return R("providers", s)

            v_providers = np.full(H + 1, x["providers"][s])
            if x["hire_on"][s] > 0:
                hired_row, v_hired, productive, v_productive = _hiring(ms, inp, x, s, site,
                                                                       dem_row, demand)
                hired = (hired_row, v_hired)
                v_providers = v_providers + v_productive

                def providers(k: int) -> str:
                    return f"({R('providers', s)}+{ms.cell(productive, k)})"

            capacity = v_providers * x["provider_hours"][s] * x["utilisation"][s]
            cap_row = ms.line(f"{site}: provider hours available" + (
                " (with the hires' productive FTE)" if hired else ""),
                              lambda k: (f"{providers(k)}*{R('provider_hours', s)}*"
                                         f"{R('utilisation', s)}"), capacity, fmt="number")
            sc = np.where(demand > capacity, capacity / np.where(demand > 0, demand, 1.0), 1.0)
            if scale is not None:
                assert np.allclose(sc, scale[0, s])
            scale_row = ms.line(
                f"{site}: capacity scale on provider lines (1 = not binding)",
                lambda k: (f"IF({ms.cell(dem_row, k)}>{ms.cell(cap_row, k)},"
                           f"{ms.cell(cap_row, k)}/{ms.cell(dem_row, k)},1)"), sc, fmt="pct")
        units_rows, units_vals = {}, {}
        for j in lines:
            if scale_row is None:
                units_rows[j], units_vals[j] = pre_rows[j], pre_vals[j]
                continue
            capped = x["hours_per_unit"][s, j] > 0 or j in credit
            if j in late and capped:  # members admitted as the tightest redemption month allows
                kv = late[j][1]
                v_sigma = np.array([sc[m:min(m + kv, H + 1)].min() for m in range(H + 1)])
                sigma = ms.line(
                    f"{site}: {inputs.lines[j].replace('_', ' ')} share admitted (least scale "
                    "over the redemption months)",
                    lambda k, j=j: (f"MIN(INDEX({ms.span(scale_row)},1,{k + 1}):INDEX("
                                    f"{ms.span(scale_row)},1,MIN({k}+MAX(ROUND({late[j][0]},0),1),"
                                    f"{H + 1})))"), v_sigma, fmt="pct")
                units_vals[j] = pre_vals[j] * v_sigma
                units_rows[j] = ms.line(
                    f"{site}: {inputs.lines[j].replace('_', ' ')} members admitted",
                    lambda k, j=j, sigma=sigma: f"{ms.cell(pre_rows[j], k)}*{ms.cell(sigma, k)}",
                    units_vals[j], fmt="number")
                continue
            units_vals[j] = pre_vals[j] * (sc if capped else 1.0)
            units_rows[j] = ms.line(
                f"{site}: {inputs.lines[j].replace('_', ' ')} units sold",
                (lambda k, j=j: f"{ms.cell(pre_rows[j], k)}*{ms.cell(scale_row, k)}") if j in credit
                else (lambda k, j=j: (f"{ms.cell(pre_rows[j], k)}*IF({R('hours_per_unit', s, j)}>0,"
                                      f"{ms.cell(scale_row, k)},1)")), units_vals[j], fmt="number")
        total = np.zeros(H + 1)
        rev_rows, rev_vals, billed = {}, {}, {}
        for j in lines:
            name = inputs.lines[j].replace("_", " ")
            v = units_vals[j] * x["price"][s, j] * x["price_mult"] * (
                1 + x["price_growth"][s, j]) ** year0
            row = ms.line(f"{site}: {name} " + ("dues billed" if j in late else "revenue"),
                          lambda k, j=j: (f"{ms.cell(units_rows[j], k)}*{R('price', s, j)}*"
                                          f"PriceMultiplier*(1+{R('price_growth', s, j)})"
                                          f"^({c(k)}$4-1)"), v)
            if j in late:  # revenue as the credit is redeemed; the rest is owed to members
                billed[j] = (row, v, late[j])
                v_rec = spread(v, np.asarray(late[j][1]))
                rec = ms.line(f"{site}: {name} revenue (as the credit is redeemed)",
                              lambda k, row=row, j=j: ms.spread(row, late[j][0], k), v_rec)
                dues = ms.next_row
                dues_rows.append((ms.line(
                    f"{site}: {name} dues billed, not yet recognized (month end)",
                    lambda k, row=row, rec=rec, dues=dues: (
                        f"{ms.cell(row, k)}-{ms.cell(rec, k)}" if k == 0 else
                        f"{ms.cell(dues, k - 1)}+{ms.cell(row, k)}-{ms.cell(rec, k)}"),
                    np.cumsum(v - v_rec)), np.cumsum(v - v_rec)))
                row, v = rec, v_rec
            rev_rows[j], rev_vals[j] = row, v
            total = total + v
        site_revenue_rows.append(ms.line(
            f"{site}: revenue", lambda k: "+".join(ms.cell(rev_rows[j], k) for j in lines),
            total, fmt="total"))
        site_credit.append({j: (credit[j], credit_units, R) for j in credit})
        site_rv.append(costs.SiteRevenue(
            open_row, site_revenue_rows[-1], lines, units_rows, rev_rows, is_open, units_vals,
            rev_vals, total, hired, billed))

    # -- costs by site -------------------------------------------------------------------------
    friendly = bool(p.entities)
    ctx = costs.Ctx(option, friendly, year0, m_idx.astype(float), x)
    ms.heading("All sites: operating sites")
    n_open = sum(rv.v_open for rv in site_rv)
    open_sites = ms.line("Sites operating", lambda k: "+".join(
        ms.cell(rv.open_row, k) for rv in site_rv), n_open, fmt="number")
    if option == "mso":
        d = np.minimum(x["disc"] + x["disc_per_site"] * np.maximum(n_open - 1.0, 0.0),
                       max(x["disc_max"], x["disc"]))
        ctx.discount_row = ms.line(
            "Purchasing discount: min(discount + per extra site x (sites - 1), max(cap, discount))",
            lambda k: (f"MIN({R('disc')}+{R('disc_per_site')}*MAX({ms.cell(open_sites, k)}-1,0),"
                       f"MAX({R('disc_max')},{R('disc')}))"), d, fmt="pct")
        ctx.v_discount = d
    if option == "software_only":
        ctx.v_admin_keep = float((1 - x["sw_admin_saved"]) / max(1 - x["base_admin_saved"], 1e-9))
        ctx.admin_keep = ms.scalar(
            "Share of admin hours still paid: (1 - offer's saving)/(1 - existing tool's saving)",
            f"(1-{R('sw_admin_saved')})/MAX(1-{R('base_admin_saved')},1E-9)", ctx.v_admin_keep,
            fmt="pct")
    if friendly and any(x[f"mf_inc_{k}"] > 0 for k in ("overhead", "depreciation", "interest")):
        v = (x["mf_inc_overhead"] * x["mso_overhead"] * (n_open > 0)
             + x["mf_inc_depreciation"] * capital.values["depreciation"]
             + x["mf_inc_interest"] * capital.values["interest"])
        ctx.shared = (ms.line(
            "Owner's MSO company costs the MSA adds to the cost base (overhead, depreciation, "
            "interest, as cost_base_includes lists; 1 = included)",
            lambda k: (f"{R('mf_inc_overhead')}*{R('mso_overhead')}*"
                       f"IF({ms.cell(open_sites, k)}>0,1,0)+{R('mf_inc_depreciation')}*"
                       f"{capital.ref('depreciation', k)}+{R('mf_inc_interest')}*"
                       f"{capital.ref('interest', k)}"), v), v, open_sites, n_open)
    for s, rv in enumerate(site_rv):
        ctx.credit = site_credit[s]
        costs.site_costs(ms, inp, inputs, s, rv, ctx)

    # -- P&L ----------------------------------------------------------------------------------
    ms.heading("Profit and loss (all sites)")
    rows = out.rows
    zero = np.zeros(H + 1)

    def total_line(key: str, text: str) -> int:
        got = ctx.rows.get(key, [])
        v = sum(ctx.values.get(key, []), zero)
        return ms.line(text, lambda k: "+".join(ms.cell(r, k) for r in got) if got else "0", v,
                       fmt="total")

    def values_of(key: str) -> np.ndarray:
        return sum(ctx.values.get(key, []), zero)

    revenue = sum(rv.v_total for rv in site_rv)
    rows["revenue"] = ms.line("Revenue", lambda k: "+".join(ms.cell(r, k) for r in site_revenue_rows),
                              revenue, fmt="total")
    cost_rows = []
    for key, text in LINES.items():
        rows[key] = total_line(key, text)
        cost_rows.append(rows[key])
    overhead = (x["mso_overhead"] * (n_open > 0)) if friendly else zero
    rows["overhead"] = ms.line(
        "Owner's MSO overhead (while any site operates)",
        (lambda k: f"{R('mso_overhead')}*IF({ms.cell(open_sites, k)}>0,1,0)") if friendly
        else (lambda k: "0"), overhead)
    ebitda = revenue - sum(values_of(k) for k in LINES) - overhead
    rows["ebitda"] = ms.line(
        "EBITDA", lambda k: f"{ms.cell(rows['revenue'], k)}-" + "-".join(
            ms.cell(r, k) for r in [*cost_rows, rows["overhead"]]), ebitda, fmt="total")
    once_rows = ctx.rows.get("once_option", [])
    cond_rows = ctx.rows.get("once_conditions", [])
    own_v = values_of("once_option")
    if friendly:
        own = f"*(1-{R('provides_pc')})" if option == "mso" else ""
        v_own = (1 - x["provides_pc"]) if option == "mso" else 1.0
        struct_v = np.where(m_idx == 0, x["structuring"] * v_own, 0.0)
        struct_row = ms.line("One-time: legal structuring of the MSO, PC and MSA (index 0)",
                             lambda k: f"{R('structuring')}{own}" if k == 0 else "0", struct_v)
        once_rows = [*once_rows, struct_row]
        own_v = own_v + struct_v
    own_row = ms.line("One-time costs of the business side (onboarding, implementation, "
                      "structuring)", lambda k: "+".join(ms.cell(r, k) for r in once_rows)
                      if once_rows else "0", own_v)
    one_time = own_v + values_of("once_conditions")
    rows["one_time"] = ms.line("One-time costs", lambda k: "+".join(
        ms.cell(r, k) for r in [own_row, *cond_rows]), one_time, fmt="total")

    if friendly:
        ms.heading("Friendly PC and the owner's MSO")
        fee_row = total_line("management_fee", "Management fee, PC to the owner's MSO")
        pco_row = total_line("pc_opex", "Running costs borne by the PC")
        pc_e = (revenue - values_of("product_cost") - values_of("staff_clinical")
                - values_of("pc_opex") - values_of("structuring") - values_of("conditions")
                - values_of("management_fee"))
        pc_row = ms.line("PC EBITDA", lambda k: "-".join(ms.cell(r, k) for r in (
            rows["revenue"], rows["product_cost"], rows["staff_clinical"], pco_row,
            rows["structuring"], rows["conditions"], fee_row)), pc_e, fmt="total")
        mso_e = (values_of("management_fee") - values_of("staff_admin")
                 - (values_of("opex") - values_of("pc_opex")) - values_of("mso_fee")
                 - values_of("software_fee") - overhead)
        mso_row = ms.line("Owner's MSO EBITDA", lambda k: (
            f"{ms.cell(fee_row, k)}-{ms.cell(rows['staff_admin'], k)}-({ms.cell(rows['opex'], k)}"
            f"-{ms.cell(pco_row, k)})-{ms.cell(rows['mso_fee'], k)}-"
            f"{ms.cell(rows['software_fee'], k)}-{ms.cell(rows['overhead'], k)}"), mso_e,
            fmt="total")
        cond_v = values_of("once_conditions")
        pc_part = ms.line("PC EBITDA less its one-time costs (its taxable income)",
                          lambda k: f"{ms.cell(pc_row, k)}-({ms.cell(rows['one_time'], k)}-"
                                    f"{ms.cell(own_row, k)})", pc_e - cond_v)
        parts = [("PC", lambda k: ms.cell(pc_part, k), pc_e - cond_v)]
        last_base = (mso_row, own_row, mso_e, own_v, "Owner's MSO")
    else:
        parts = []
        last_base = (rows["ebitda"], rows["one_time"], ebitda, one_time, "Company")
    engine.add(f"{label}: EBITDA (msomodel, for reference)", p.company["ebitda"][0])
    engine.add(f"{label}: net cash flow (msomodel, for reference)", p.net_cash_flow[0])
    _check(ebitda, p.company["ebitda"][0], f"{option} EBITDA")
    out.sites = list(zip(site_revenue_rows, ctx.rows["site_ebitda"], strict=True))
    for s, v in enumerate(ctx.values["site_ebitda"]):
        _check(v, p.site["ebitda"][0][s], f"{option} EBITDA of {inputs.sites[s]}")

    # -- capital (from the Capital sheet) -------------------------------------------------------
    ms.heading("Capital and loan (Capital sheet)")
    for key in ("capex", "loan_draw", "loan_fee", "interest", "principal_repaid", "loan_balance",
                "depreciation"):
        rows[key] = ms.line(f"{capital.sheet.ws.get_name()}: {key.replace('_', ' ')}",
                            lambda k, key=key: capital.ref(key, k), capital.values[key])

    # -- tax ------------------------------------------------------------------------------------
    ms.heading("Tax (losses carried forward without limit)")
    rate = x["tax_rate"]

    def tax_block(name: str, taxable_f, taxable_v: np.ndarray) -> tuple[int, np.ndarray]:
        t_row = ms.line(f"{name}: taxable income", taxable_f, taxable_v)
        cum = np.cumsum(taxable_v)
        cum_row = ms.line(f"{name}: cumulative taxable income",
                          lambda k: (ms.cell(t_row, k) if k == 0 else
                                     f"{ms.cell(ms.next_row, k - 1)}+{ms.cell(t_row, k)}"),
                          cum)
        taxed = np.maximum.accumulate(np.maximum(cum, 0.0))
        taxed_row = ms.line(f"{name}: income taxed so far (running max of the cumulative, >= 0)",
                            lambda k: (f"MAX({ms.cell(cum_row, k)},0)" if k == 0 else
                                       f"MAX({ms.cell(ms.next_row, k - 1)},{ms.cell(cum_row, k)})"),
                            taxed)
        tax = rate * np.diff(taxed, prepend=0.0)
        tax_row = ms.line(f"{name}: tax",
                          lambda k: (f"TaxRate*{ms.cell(taxed_row, k)}" if k == 0 else
                                     f"TaxRate*({ms.cell(taxed_row, k)}-{ms.cell(taxed_row, k - 1)})"),
                          tax)
        return tax_row, tax

    dep, interest, fee_v = (capital.values[k] for k in ("depreciation", "interest", "loan_fee"))
    tax_rows, tax_vals = [], []
    for name, f, v in parts:
        r_, v_ = tax_block(name, f, v)
        tax_rows.append(r_)
        tax_vals.append(v_)
    base_row, once_row, base_v, once_v, base_name = last_base
    before = base_v - dep - once_v

    def before_f(k: int) -> str:
        return f"{ms.cell(base_row, k)}-{ms.cell(rows['depreciation'], k)}-{ms.cell(once_row, k)}"

    lev_row, lev_v = tax_block(base_name, lambda k: (f"{before_f(k)}-{ms.cell(rows['interest'], k)}"
                                                     f"-{ms.cell(rows['loan_fee'], k)}"),
                               before - interest - fee_v)
    unl_row, unl_v = tax_block(f"{base_name}, unlevered (no interest or loan fee)", before_f, before)
    tax_total = sum(tax_vals) + lev_v
    rows["tax"] = ms.line("Tax", lambda k: "+".join(ms.cell(r, k) for r in [*tax_rows, lev_row]),
                          tax_total, fmt="total")
    tax_unl_v = sum(tax_vals) + unl_v
    tax_unl = ms.line("Tax, unlevered", lambda k: "+".join(ms.cell(r, k)
                                                           for r in [*tax_rows, unl_row]), tax_unl_v)

    # -- working capital ------------------------------------------------------------------------
    ms.heading("Working capital")
    pcost = values_of("product_cost")
    inv_v = pcost * x["inventory_days"] / (365 / 12)
    pay_v = pcost * x["payables_days"] / (365 / 12)
    def_v = revenue * x["prepaid_share"] * x["prepaid_days"] / (365 / 12) + sum(
        (v for _, v in dues_rows), np.zeros(H + 1))
    inv = ms.line("Inventory (month end)",
                  lambda k: f"{ms.cell(rows['product_cost'], k)}*InventoryDays/{DAYS}", inv_v)
    pay = ms.line("Supplier payables (month end)",
                  lambda k: f"{ms.cell(rows['product_cost'], k)}*PayablesDays/{DAYS}", pay_v)
    dfr = ms.line("Deferred revenue (month end)" + (
        ": prepaid treatments and members' dues not yet recognized" if dues_rows else ""),
                  lambda k: f"{ms.cell(rows['revenue'], k)}*PrepaidShare*PrepaidDays/{DAYS}"
                  + "".join(f"+{ms.cell(r, k)}" for r, _ in dues_rows), def_v)
    net_wc = inv_v - pay_v - def_v
    nw = ms.line("Net working capital", lambda k: (f"{ms.cell(inv, k)}-{ms.cell(pay, k)}-"
                                                   f"{ms.cell(dfr, k)}"), net_wc)
    rows["working_capital_change"] = ms.line(
        "Working capital tied up (increase)",
        lambda k: ms.cell(nw, k) if k == 0 else f"{ms.cell(nw, k)}-{ms.cell(nw, k - 1)}",
        np.diff(net_wc, prepend=0.0))

    # -- exit -----------------------------------------------------------------------------------
    ms.heading("Exit at the horizon")
    last = H

    def trailing_sum(row: int) -> str:
        return f"SUM({ms.cell(row, max(last - 11, 0))}:{ms.cell(row, last)})"

    if friendly:  # the owner sells the MSO: its EBITDA less any trailing loss of the PC
        trailing = mso_e[-12:].sum() + min((pc_e - cond_v)[-12:].sum(), 0.0)
        tr = ms.scalar("Owner's MSO EBITDA of the last 12 months, less any PC loss in them",
                       f"{trailing_sum(mso_row)}+MIN({trailing_sum(pc_part)},0)", trailing)
    else:
        trailing = ebitda[-12:].sum()
        tr = ms.scalar("EBITDA of the last 12 months", trailing_sum(rows["ebitda"]), trailing)
    term = x["termination_fee"] if option == "mso" else 0.0
    term_ref = R("termination_fee") if option == "mso" else "0"
    own_multiple = {"mso": "mso_exit_multiple", "software_only": "sw_exit_multiple"}.get(option)
    multiple = (x[own_multiple] if own_multiple and x[own_multiple] >= 0 else x["exit_multiple"])
    if friendly:  # the PC keeps its working capital and what it owes clients
        gross = float(multiple) * max(trailing, 0.0) - term
        g = ms.scalar("Sale price of the MSO: multiple x max(0, trailing EBITDA) - termination fee",
                      f"{em}*MAX(0,{tr})-{term_ref}", gross)
        basis_v = (capital.values["capex"] - dep).sum()
        basis = ms.scalar("Tax basis: the MSO's fixed assets net",
                          f"SUM({ms.span(rows['capex'])})-SUM({ms.span(rows['depreciation'])})",
                          basis_v)
    else:
        gross = float(multiple) * max(trailing, 0.0) - term - def_v[-1]
        g = ms.scalar("Sale price: multiple x max(0, trailing EBITDA) - termination fee - deferred "
                      "revenue owed",
                      f"{em}*MAX(0,{tr})-{term_ref}-{ms.cell(dfr, last, absolute=True)}", gross)
        basis_v = (capital.values["capex"] - dep).sum() + inv_v[-1] - pay_v[-1]
        basis = ms.scalar("Tax basis: fixed assets net + inventory - payables",
                          f"SUM({ms.span(rows['capex'])})-SUM({ms.span(rows['depreciation'])})+"
                          f"{ms.cell(inv, last, absolute=True)}-{ms.cell(pay, last, absolute=True)}",
                          basis_v)
    etax_v = x["exit_tax_rate"] * max(gross - basis_v, 0.0)
    etax = ms.scalar("Tax on the gain: exit tax rate x max(0, price - basis)",
                     f"ExitTaxRate*MAX({g}-{basis},0)", etax_v)
    after = gross - etax_v
    after_c = ms.scalar("Sale price after tax", f"{g}-{etax}", after)
    bal_end = capital.values["loan_balance"][-1]
    ev_v = after - bal_end + x["cash_reserve"]
    ev = ms.scalar("Exit value to the owner: after tax - loan balance + cash reserve",
                   f"{after_c}-{ms.cell(rows['loan_balance'], last, absolute=True)}+CashReserve",
                   ev_v)
    ms.heading("Cash flow")
    is_last = m_idx == H
    rows["exit_tax"] = ms.line("Exit tax", lambda k: f"IF({c(k)}$2={H},{etax},0)", is_last * etax_v)
    rows["exit_value"] = ms.line("Exit value", lambda k: f"IF({c(k)}$2={H},{ev},0)", is_last * ev_v)
    reserve = ms.line("Cash reserve put in (index 0)",
                      lambda k: "-CashReserve" if k == 0 else "0",
                      np.where(m_idx == 0, -x["cash_reserve"], 0.0))
    if friendly:  # the PC's cash is its physician's, except that the MSO funds its shortfalls
        # and is repaid first: the owner's share is the change of min(0, the PC's cumulative cash)
        pc_cash_v = (pc_e - cond_v) - tax_vals[0] - np.diff(net_wc, prepend=0.0)
        pc_cash = ms.line("PC cash (taxable income - its tax - working capital tied up)",
                          lambda k: (f"{ms.cell(pc_part, k)}-{ms.cell(tax_rows[0], k)}-"
                                     f"{ms.cell(rows['working_capital_change'], k)}"), pc_cash_v)
        cum_pc_v = np.cumsum(pc_cash_v)
        cum_pc = ms.line("PC cumulative cash", lambda k: (
            ms.cell(pc_cash, k) if k == 0 else
            f"{ms.cell(ms.next_row, k - 1)}+{ms.cell(pc_cash, k)}"), cum_pc_v)
        owed_v = np.minimum(cum_pc_v, 0.0)
        owed = ms.line("Owed to the owner's MSO: min(0, PC cumulative cash)",
                       lambda k: f"MIN({ms.cell(cum_pc, k)},0)", owed_v)
        kept_v = pc_cash_v - np.diff(owed_v, prepend=0.0)
        rows["pc_retained"] = ms.line(
            "PC cash kept by its physician owner (PC cash - change in what it owes the MSO)",
            lambda k: (f"{ms.cell(pc_cash, k)}-{ms.cell(owed, k)}" if k == 0 else
                       f"{ms.cell(pc_cash, k)}-({ms.cell(owed, k)}-{ms.cell(owed, k - 1)})"),
            kept_v)
    else:
        rows["pc_retained"] = ms.line("PC cash kept by its physician owner (none: direct "
                                      "ownership)", lambda k: "0", np.zeros(H + 1))
    net_v = p.net_cash_flow[0]
    r = rows

    def common(k: int) -> str:
        kept = f"-{ms.cell(r['pc_retained'], k)}"
        return (f"{ms.cell(r['ebitda'], k)}-{ms.cell(r['one_time'], k)}-{ms.cell(r['capex'], k)}"
                f"-{ms.cell(r['working_capital_change'], k)}+{ms.cell(reserve, k)}{kept}")

    rows["net_cash_flow"] = ms.line(
        "Net cash flow to the owner (equity)",
        lambda k: (f"{common(k)}+{ms.cell(r['loan_draw'], k)}-{ms.cell(r['loan_fee'], k)}"
                   f"-{ms.cell(r['interest'], k)}-{ms.cell(r['principal_repaid'], k)}"
                   f"-{ms.cell(r['tax'], k)}+{ms.cell(r['exit_value'], k)}"), net_v, fmt="total")
    out.net = rows["net_cash_flow"]
    unl_v = p.company["unlevered_cash_flow"][0]
    out.unlevered = ms.line(
        "Project (unlevered) cash flow",
        lambda k: (f"{common(k)}-{ms.cell(tax_unl, k)}+IF({c(k)}$2={H},{after_c}+CashReserve,0)"),
        unl_v, fmt="total")
    cum = np.cumsum(net_v)
    out.rows["cumulative"] = cum_row = ms.line(
        "Cumulative net cash flow",
        lambda k: (ms.cell(out.net, k) if k == 0 else
                   f"{ms.cell(ms.next_row, k - 1)}+{ms.cell(out.net, k)}"), cum, fmt="total")
    neg = np.maximum.accumulate(cum < 0).astype(float)
    neg_row = ms.line("Has been negative (1 = yes)",
                      lambda k: (f"IF({ms.cell(cum_row, k)}<0,1,0)" if k == 0 else
                                 f"IF(OR({ms.cell(ms.next_row, k - 1)}=1,"
                                 f"{ms.cell(cum_row, k)}<0),1,0)"), neg, fmt="number")
    back = np.zeros(H + 1)
    back[1:] = (cum[1:] >= 0) & (neg[:-1] > 0)
    out.rows["paid_back"] = ms.line("Paid back this month (1 = cumulative >= 0 after being negative)",
                                    lambda k: "0" if k == 0 else
                                    f"IF(AND({ms.cell(cum_row, k)}>=0,{ms.cell(neg_row, k - 1)}=1),1,0)",
                                    back, fmt="number")
    out.rows["negative"] = neg_row
    out.exit_row = rows["exit_value"]

    # -- the three statements, monthly per entity -------------------------------------------------
    def at(row: int):
        return lambda k: ms.cell(row, k)

    def reserve_src(k: int) -> str:
        return "CashReserve" if k == 0 else "0"

    engine_lines = {e: {k: v[0] for k, v in d.items()} for e, d in engine_statements(p).items()}
    capital_src = {key: at(rows[name]) for key, name in (
        ("depreciation", "depreciation"), ("interest", "interest"), ("capex", "capex"),
        ("loan_draw", "loan_draw"), ("principal", "principal_repaid"),
        ("loan_balance", "loan_balance"))}
    working_src = {"inventory": at(inv), "payables": at(pay), "deferred_revenue": at(dfr)}
    if not friendly:
        src = {"revenue": at(rows["revenue"]), "ebitda": at(rows["ebitda"]),
               "one_time": lambda k: f"{ms.cell(rows['one_time'], k)}+{ms.cell(rows['loan_fee'], k)}",
               "tax": at(rows["tax"]), "reserve": reserve_src, **capital_src, **working_src}
        out.statements["company"] = statement_rows.entity(ms, "company", src,
                                                          engine_lines["company"])
    else:
        pc_src = {"revenue": at(rows["revenue"]), "ebitda": at(pc_row),
                  "one_time": lambda k: f"{ms.cell(rows['one_time'], k)}-{ms.cell(own_row, k)}",
                  "tax": at(tax_rows[0]), **working_src}
        mso_src = {"revenue": at(fee_row), "ebitda": at(mso_row),
                   "one_time": lambda k: f"{ms.cell(own_row, k)}+{ms.cell(rows['loan_fee'], k)}",
                   "tax": at(lev_row), "reserve": reserve_src, **capital_src}
        pc_rows = statement_rows.entity(ms, "pc", pc_src, engine_lines["pc"], funded=True)
        mso_src["advances_to_pc"] = lambda k: f"-{ms.cell(pc_rows['advances_from_mso'], k)}"
        mso_rows = statement_rows.entity(ms, "mso", mso_src, engine_lines["mso"])
        out.statements = {"pc": pc_rows, "mso": mso_rows,
                          "consolidated": statement_rows.consolidated(
                              ms, [pc_rows, mso_rows], rows["revenue"],
                              engine_lines["consolidated"])}
    return out


def _check(ours: np.ndarray, engine: np.ndarray, what: str) -> None:
    """The cached values must be msomodel's own (a mismatch is a bug in this module)."""
    if not np.allclose(ours, engine, rtol=1e-9, atol=1e-6):
        worst = float(np.abs(ours - engine).max())
        raise AssertionError(f"export: {what} differs from msomodel's by up to {worst:.6g}")
