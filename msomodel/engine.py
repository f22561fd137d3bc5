"""Run every option over the compiled inputs: one array computation for all trials.

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
from msomodel.scenario import OPTIONS

PROJECTORS = {"self_managed": self_managed.project, "mso": mso.project,
              "software_only": software.project}


def run(inputs: ModelInputs, n: int = 1, *, values: dict[str, Any] | None = None,
        arrays: dict[str, Any] | None = None,
        options: tuple[str, ...] = OPTIONS) -> dict[str, Projection]:
    """Projections of the chosen options for ``n`` trials (leading axis of every array)."""
    x = inputs.batch(n, values, arrays)
    # the same for every option: capital, and the option-independent operating arrays
    common = {"cap": capital(x, inputs.horizon), "shared": prepare(x, inputs.horizon)}
    static = {"fee_type": inputs.fee_type, "mso_kind": inputs.mso_kind}
    return {
        name: PROJECTORS[name](x, inputs.horizon, **common, **(static if name == "mso" else {}))
        for name in options
    }
