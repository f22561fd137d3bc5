"""MSO options.

Third-party: the spa pays the MSO's fee (see :mod:`.fees`) and an onboarding fee per site; in
return the absorbed administrative roles leave its payroll, the absorbed share of running costs
is no longer paid, products are bought at the MSO's discount, and volume may rise by
``revenue_uplift``.

Owned MSO with a friendly PC: the physician-owned PC earns the revenue and bears product costs,
clinical staff, the running costs marked ``owned_mso_entity: pc``, the medical-director
agreement and PC administration, and pays the management fee to the owner's MSO.  The MSO
bears administrative staff, the other running costs, corporate overhead, the capital and the
legal structuring.  Licence-condition costs (e.g. a clinic licence) sit with the PC.  Consolidated = PC + MSO with the intercompany fee eliminated; entities are
taxed separately.  ``absorbed_opex`` here is a saving from centralising.
"""

from __future__ import annotations

import numpy as np

from msomodel import timeline as tl
from msomodel.operations import Shared, operate, prepare
from msomodel.options.fees import mso_fee, purchasing_discount
from msomodel.options.finish import Projection, conditions, finish, site_lines
from msomodel.options.self_managed import split_payroll


def _exit_multiple(x: dict) -> np.ndarray:
    return np.where(x["mso_exit_multiple"] >= 0, x["mso_exit_multiple"], x["exit_multiple"])


def _operate(x: dict, horizon: int, shared: Shared | None):
    shared = shared if shared is not None else prepare(x, horizon)
    return operate(x, horizon, shared=shared, all_uplift=1.0 + x["uplift"],
                   discount=purchasing_discount(x, shared.open))


def project(x: dict, horizon: int, *, fee_type: str, mso_kind: str,
            cap: dict | None = None, shared: Shared | None = None) -> Projection:
    if mso_kind == "owned":
        return _owned(x, horizon, fee_type, cap, shared)
    op = _operate(x, horizon, shared)
    taken = x["absorbed_role"]
    clinical, admin = split_payroll(x, op, 1.0 - taken)
    share = x["absorbed_opex"][:, None, :]
    absorbed_opex = op.opex(share)
    cost_base = op.payroll(taken) + absorbed_opex
    fee = mso_fee(x, fee_type, op.revenue, cost_base, op.open, horizon)
    cond, cond_once = conditions(x, "mso", op.open, horizon)
    site = site_lines(revenue=op.revenue, product_cost=op.product_cost, staff_clinical=clinical,
                      staff_admin=admin, opex=op.opex(1.0 - share), mso_fee=fee,
                      conditions=cond)
    onboarding = np.broadcast_to(x["onboarding"][:, None], x["open_month"].shape)
    one_time = tl.at_index(onboarding, x["open_month"] - 1.0, horizon).sum(axis=1) + cond_once
    T, M = op.revenue.shape[0], horizon + 1
    return finish("mso", x, horizon, site, overhead=np.zeros((T, M)), one_time=one_time,
                  exit_multiple=_exit_multiple(x), termination_fee=x["termination_fee"], cap=cap)


def _owned(x: dict, horizon: int, fee_type: str, cap: dict | None,
           shared: Shared | None) -> Projection:
    op = _operate(x, horizon, shared)
    clinical, admin = split_payroll(x, op)
    kept = (1.0 - x["absorbed_opex"])[:, None, :]
    pc_opex, mso_opex = op.opex(kept * x["opex_pc"]), op.opex(kept * (1.0 - x["opex_pc"]))
    structuring = (x["md_agreement"] + x["pc_admin"])[:, None, None] * op.open
    fee = mso_fee(x, fee_type, op.revenue, admin + mso_opex, op.open, horizon)
    cond, cond_once = conditions(x, "mso", op.open, horizon)
    site = site_lines(revenue=op.revenue, product_cost=op.product_cost, staff_clinical=clinical,
                      staff_admin=admin, opex=pc_opex + mso_opex, structuring=structuring,
                      conditions=cond)
    any_open = (op.open.sum(axis=1) > 0).astype(float)
    overhead = x["mso_overhead"][:, None] * any_open
    one_time = cond_once.copy()
    one_time[:, 0] += x["structuring"]
    pc = {"revenue": op.revenue.sum(1), "product_cost": op.product_cost.sum(1),
          "staff_clinical": clinical.sum(1), "opex": pc_opex.sum(1),
          "structuring": structuring.sum(1), "conditions": cond.sum(1),
          "management_fee": fee.sum(1)}
    pc["ebitda"] = pc["revenue"] - sum(pc[k] for k in list(pc)[1:])
    mso = {"management_fee": fee.sum(1), "staff_admin": admin.sum(1), "opex": mso_opex.sum(1),
           "overhead": overhead}
    mso["ebitda"] = mso["management_fee"] - mso["staff_admin"] - mso["opex"] - overhead
    # the PC deducts its licence conditions' one-time costs; the MSO its legal structuring
    mso_once = np.zeros_like(one_time)
    mso_once[:, 0] = x["structuring"]
    return finish("mso", x, horizon, site, overhead=overhead, one_time=one_time,
                  exit_multiple=_exit_multiple(x), termination_fee=None,
                  taxable_parts=[pc["ebitda"] - cond_once, mso["ebitda"]],
                  entities={"pc": pc, "mso": mso}, cap=cap, capital_entity_one_time=mso_once)
