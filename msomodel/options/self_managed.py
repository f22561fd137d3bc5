"""Self-managed: the owner employs everyone, buys at single-site prices, pays every running cost."""

from __future__ import annotations

import numpy as np

from msomodel.operations import operate
from msomodel.options.finish import Projection, conditions, finish, site_lines


def split_payroll(x: dict, payroll: np.ndarray, keep: np.ndarray | None = None):
    """Clinical and administrative payroll (T, S, M); ``keep`` (T, S, R) scales each role."""
    paid = payroll if keep is None else payroll * keep[..., None]
    admin = x["is_admin"][..., None]
    return (paid * (1.0 - admin)).sum(axis=2), (paid * admin).sum(axis=2)


def project(x: dict, horizon: int, **_: object) -> Projection:
    op = operate(x, horizon)
    clinical, admin = split_payroll(x, op.payroll)
    cond, cond_once = conditions(x, "self_managed", op.open, horizon)
    site = site_lines(revenue=op.revenue, product_cost=op.product_cost, staff_clinical=clinical,
                      staff_admin=admin, opex=op.opex.sum(axis=2), conditions=cond)
    T, M = op.revenue.shape[0], horizon + 1
    return finish("self_managed", x, horizon, site, overhead=np.zeros((T, M)),
                  one_time=cond_once, exit_multiple=x["exit_multiple"])
