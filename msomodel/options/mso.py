"""Third-party MSO: a services company runs the business side for a fee.

The spa (or, under the friendly-PC structure, the owner's MSO) pays the MSO's fee (see
:mod:`.fees`) and an onboarding fee per site; in return the absorbed administrative roles
leave the payroll, the absorbed share of running costs is no longer paid, products are bought
at the MSO's discount, and volume may rise by ``revenue_uplift``.  An MSO that supplies the
physician-owned PC (``provides_friendly_pc``) covers the friendly-PC structure's own costs.
"""

from __future__ import annotations

from msomodel import timeline as tl
from msomodel.operations import Shared, operate, prepare
from msomodel.options.fees import mso_fee, purchasing_discount
from msomodel.options.finish import Managed, option_exit_multiple
from msomodel.options.self_managed import split_payroll


def manage(x: dict, horizon: int, *, fee_type: str, shared: Shared | None = None) -> Managed:
    shared = shared if shared is not None else prepare(x, horizon)
    op = operate(x, horizon, shared=shared, all_uplift=1.0 + x["uplift"],
                 discount=purchasing_discount(x, shared.open))
    taken = x["absorbed_role"]
    clinical, admin = split_payroll(x, op, 1.0 - taken)
    share = x["absorbed_opex"][:, None, :]
    fee = mso_fee(x, fee_type, op.revenue, lambda: op.payroll(taken) + op.opex(share), op.open,
                  horizon)  # the cost base: what the MSO takes over (a cost-plus fee only)
    one_time = tl.per_site_once(x["onboarding"], x["open_month"], horizon)
    return Managed("mso", op, clinical, admin, 1.0 - share, fee, None, one_time,
                   option_exit_multiple(x, "mso_exit_multiple"), x["termination_fee"],
                   x["provides_pc"])
