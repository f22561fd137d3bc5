"""Self-managed: the owner employs everyone, buys at single-site prices, pays every running cost."""

from __future__ import annotations

import numpy as np

from msomodel.operations import Operation, Shared, operate
from msomodel.options.finish import Projection, conditions, finish, site_lines


def split_payroll(x: dict, op: Operation, keep: np.ndarray | float = 1.0):
    """Clinical and administrative payroll (T, S, M); ``keep`` (T, S, R) scales each role."""
    admin = x["is_admin"]
    return op.payroll((1.0 - admin) * keep), op.payroll(admin * keep)


def project(x: dict, horizon: int, *, cap: dict | None = None, shared: Shared | None = None,
            **_: object) -> Projection:
    op = operate(x, horizon, shared=shared)
    clinical, admin = split_payroll(x, op)
    cond, cond_once = conditions(x, "self_managed", op.open, horizon)
    site = site_lines(revenue=op.revenue, product_cost=op.product_cost, staff_clinical=clinical,
                      staff_admin=admin, opex=op.opex(1.0), conditions=cond)
    T, M = op.revenue.shape[0], horizon + 1
    return finish("self_managed", x, horizon, site, overhead=np.zeros((T, M)),
                  one_time=cond_once, exit_multiple=x["exit_multiple"], cap=cap)
