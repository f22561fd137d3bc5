"""The legal structure applied to a management option: who owns which line, who is taxed.

- :func:`direct`: one entity, the owner's, earns the revenue and bears every cost.
- :func:`friendly_pc`: the physician-owned PC earns the revenue and bears product costs,
  clinical staff, the running costs marked ``owned_mso_entity: pc``, the medical-director
  agreement, PC administration and license conditions, and pays the management fee to the
  owner's MSO.  The MSO bears administrative staff, the other running costs, the software or the
  third-party MSO's fee and onboarding, its own overhead, the capital and the legal
  structuring.  Consolidated = PC + MSO with the intercompany fee eliminated; each entity is
  taxed on its own profit.  A third-party MSO that supplies the PC (``covers_pc``) covers the
  structure's set-up, medical-director and PC-administration costs with its fee.
"""

from __future__ import annotations

import numpy as np

from msomodel import timeline as tl
from msomodel.operations import Operation
from msomodel.options.fees import mso_fee
from msomodel.options.finish import Managed, Projection, capital, conditions, finish, site_lines


def direct(m: Managed, x: dict, horizon: int, *, cap: dict | None = None,
           cash_only: bool = False, **_: object) -> Projection:
    op = m.op
    cond, cond_once = conditions(x, m.option, op.open, horizon)
    site = site_lines(revenue=op.revenue, product_cost=op.product_cost, staff_clinical=m.clinical,
                      staff_admin=m.admin, opex=op.opex(m.opex_weights),
                      **_given(mso_fee=m.mso_fee, software_fee=m.software_fee), conditions=cond)
    T, M = op.revenue.shape[0], horizon + 1
    return finish(m.option, x, horizon, site, overhead=np.zeros((T, M)),
                  one_time=m.one_time + cond_once, exit_multiple=m.exit_multiple,
                  termination_fee=m.termination_fee, cap=cap,
                  deferred_dues=_dues(op), cash_only=cash_only)


def friendly_pc(m: Managed, x: dict, horizon: int, *, mgmt_fee_type: str,
                cap: dict | None = None, cash_only: bool = False) -> Projection:
    op = m.op
    cap = cap if cap is not None else capital(x, horizon)
    T, M = op.revenue.shape[0], horizon + 1
    covered = np.broadcast_to(0.0, (T,)) if m.covers_pc is None else m.covers_pc
    own = 1.0 - covered  # (T,) 0: the third-party MSO covers the PC's own costs
    weights = np.broadcast_to(m.opex_weights, op.opex_pct.shape)
    pc_opex, mso_opex = op.opex(weights * x["opex_pc"]), op.opex(weights * (1.0 - x["opex_pc"]))
    structuring = tl.once_for_all_trials(  # medical director and PC administration, monthly
        lambda md, admin, cov, on: ((md + admin) * (1.0 - cov))[:, None, None] * on,
        x["md_agreement"], x["pc_admin"], covered, op.open)
    cond, cond_once = conditions(x, m.option, op.open, horizon)
    overhead = x["mso_overhead"][:, None] * (tl.site_sum(op.open) > 0)

    def cost_base() -> np.ndarray:  # what the owner's MSO bears (a cost-plus fee only)
        total = m.admin + mso_opex
        for part in (m.mso_fee, m.software_fee):  # a missing one adds zero, as before
            total = total + (0.0 if part is None else part)
        return total + _shared_costs(x, op.open, overhead, cap)

    def before_fee() -> np.ndarray:  # the PC's EBITDA before the fee (a sweep fee only)
        out = op.revenue - op.product_cost
        for cost in (m.clinical, pc_opex, structuring, cond):
            out -= cost
        return out

    fee = mso_fee(x, mgmt_fee_type, op.revenue, cost_base, op.open, horizon, prefix="mf",
                  profit_before=before_fee)
    site = site_lines(revenue=op.revenue, product_cost=op.product_cost, staff_clinical=m.clinical,
                      staff_admin=m.admin, opex=pc_opex + mso_opex,
                      **_given(mso_fee=m.mso_fee, software_fee=m.software_fee),
                      structuring=structuring, conditions=cond)
    mso_once = m.one_time.copy()
    mso_once[:, 0] += x["structuring"] * own
    fee_total = tl.site_sum(fee)
    pc = {"revenue": op.revenue.sum(1), "product_cost": op.product_cost.sum(1),
          "staff_clinical": m.clinical.sum(1), "opex": pc_opex.sum(1),
          "structuring": tl.site_sum(structuring), "conditions": tl.site_sum(cond),
          "management_fee": fee_total}
    pc["ebitda"] = pc["revenue"] - sum(pc[k] for k in list(pc)[1:])
    mso = {"management_fee": fee_total, "staff_admin": m.admin.sum(1), "opex": mso_opex.sum(1),
           "mso_fee": _total(m.mso_fee, T, M), "software_fee": _total(m.software_fee, T, M),
           "overhead": overhead}
    mso["ebitda"] = mso["management_fee"] - sum(mso[k] for k in list(mso)[1:])
    return finish(m.option, x, horizon, site, overhead=overhead, one_time=mso_once + cond_once,
                  exit_multiple=m.exit_multiple, termination_fee=m.termination_fee,
                  taxable_parts=[pc["ebitda"] - cond_once, mso["ebitda"]],
                  entities={"pc": pc, "mso": mso}, cap=cap, capital_entity_one_time=mso_once,
                  deferred_dues=_dues(op), cash_only=cash_only,
                  site_totals={"revenue": pc["revenue"], "product_cost": pc["product_cost"]})


def _given(**lines: np.ndarray | None) -> dict[str, np.ndarray]:
    """The site lines an option has (a missing one is zero in :func:`site_lines`)."""
    return {k: v for k, v in lines.items() if v is not None}


def _total(line: np.ndarray | None, T: int, M: int) -> np.ndarray:
    """A site line summed over sites (T, M); zero when the option has none."""
    return np.zeros((T, M)) if line is None else tl.site_sum(line)


def _dues(op: Operation) -> np.ndarray | None:
    """Membership dues billed but not yet recognized, summed over sites (T, M), or None."""
    return None if op.deferred_dues is None else op.deferred_dues.sum(axis=1)


def _shared_costs(x: dict, is_open: np.ndarray, overhead: np.ndarray,
                  cap: dict) -> np.ndarray | float:
    """The owner's MSO's company-level costs a cost-plus MSA adds to the cost base (overhead,
    depreciation, interest, as ``cost_base_includes`` lists), shared equally by the open sites."""
    parts = [(x["mf_inc_overhead"], lambda: overhead),
             (x["mf_inc_depreciation"], lambda: cap["depreciation"]),
             (x["mf_inc_interest"], lambda: cap["interest"])]
    if not any(np.any(flag > 0) for flag, _ in parts):
        return 0.0
    total = sum(flag[:, None] * get() for flag, get in parts)              # (T, M)
    n_open = is_open.sum(axis=1, keepdims=True)
    return total[:, None, :] * np.divide(is_open, n_open, out=np.zeros_like(is_open),
                                         where=n_open > 0)


STRUCTURES = {"direct": direct, "friendly_pc": friendly_pc}
