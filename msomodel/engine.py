"""Run every management option under the scenario's legal structure: one array computation
for all trials.

>>> inputs = compile_inputs(scenario)
>>> projections = run(inputs)                                   # one trial
>>> projections = run(inputs, 1000, values={"mso.fee.percent": pct})  # 1,000 trials at once
"""

from __future__ import annotations

from typing import Any

from msomodel.inputs import ModelInputs
from msomodel.operations import prepare
from msomodel.options import Projection, mso, self_managed, software
from msomodel.options.finish import capital
from msomodel.options.structures import STRUCTURES
from msomodel.scenario import OPTIONS


def run(inputs: ModelInputs, n: int = 1, *, values: dict[str, Any] | None = None,
        arrays: dict[str, Any] | None = None,
        options: tuple[str, ...] = OPTIONS, cash_only: bool = False) -> dict[str, Projection]:
    """Projections of the chosen options for ``n`` trials (leading axis of every array);
    ``cash_only``: each with its sites' lines and net cash flow only (the same numbers)."""
    x = inputs.batch(n, values, arrays)
    h = inputs.horizon
    shared = prepare(x, h)  # the option-independent operating arrays
    cap = capital(x, h)     # the same for every option
    managers = {"self_managed": lambda: self_managed.manage(x, h, shared=shared),
                "mso": lambda: mso.manage(x, h, fee_type=inputs.fee_type, shared=shared),
                "software_only": lambda: software.manage(x, h, shared=shared)}
    apply = STRUCTURES[inputs.structure]
    return {name: apply(managers[name](), x, h, cap=cap, mgmt_fee_type=inputs.mgmt_fee_type,
                        cash_only=cash_only)
            for name in options}
