"""msomodel: self-managed vs MSO vs practice-management software for medical spas.

The flow: scenario file -> :func:`load_scenario` (validated :class:`Scenario`) ->
:func:`msomodel.inputs.compile_inputs` (arrays) -> :mod:`msomodel.engine` (projections) ->
:mod:`msomodel.metrics` -> :func:`compare` (a :class:`Comparison` of pandas tables) ->
tables/charts -> notebook -> PDF.
"""

from msomodel.compare import Comparison, compare
from msomodel.loader import Problem, ScenarioError, load_scenario, scenario_from_dict
from msomodel.scenario import OPTIONS, Scenario

__version__ = "0.1.0"

__all__ = [
    "OPTIONS",
    "Comparison",
    "Problem",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "load_scenario",
    "scenario_from_dict",
]
