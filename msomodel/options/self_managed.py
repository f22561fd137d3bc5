"""Self-managed (in-house): the owner's business employs everyone, buys at single-site prices
and pays every running cost."""

from __future__ import annotations

import numpy as np

from msomodel.operations import Operation, Shared, operate
from msomodel.options.finish import Managed


def split_payroll(x: dict, op: Operation, keep: np.ndarray | float = 1.0):
    """Clinical and administrative payroll (T, S, M); ``keep`` (T, S, R) scales each role."""
    admin = x["is_admin"]
    return op.payroll((1.0 - admin) * keep), op.payroll(admin * keep)


def manage(x: dict, horizon: int, *, shared: Shared | None = None) -> Managed:
    op = operate(x, horizon, shared=shared)
    clinical, admin = split_payroll(x, op)
    T, M = op.revenue.shape[0], horizon + 1
    return Managed("self_managed", op, clinical, admin, 1.0, None, None, np.zeros((T, M)),
                   x["exit_multiple"])
