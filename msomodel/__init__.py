"""msomodel: self-managed vs MSO vs practice-management software for medical spas.

The flow: scenario file -> :func:`load_scenario` (validated :class:`Scenario`) ->
:func:`msomodel.inputs.compile_inputs` (arrays) -> :mod:`msomodel.engine` (projections) ->
:mod:`msomodel.metrics` -> :func:`compare` (a :class:`Comparison` of pandas tables) ->
tables/charts -> notebook -> PDF.

The public names are imported on first use (PEP 562), so that ``import msomodel`` -- and every
command of the CLI, which imports a module of the package -- pays only for what it uses:
``msomodel validate`` never imports the engine or pandas.  ``from msomodel import compare``
works as before; ``msomodel.compare`` is the function, also after ``import msomodel.compare``
(the module is ``sys.modules["msomodel.compare"]``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_LAZY = {
    "OPTIONS": "msomodel.scenario",
    "Comparison": "msomodel.compare",
    "Problem": "msomodel.loader",
    "Scenario": "msomodel.scenario",
    "ScenarioError": "msomodel.loader",
    "compare": "msomodel.compare",
    "compare_structures": "msomodel.compare",
    "load_scenario": "msomodel.loader",
    "scenario_from_dict": "msomodel.loader",
}

__all__ = [
    "OPTIONS",
    "Comparison",
    "Problem",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "compare_structures",
    "load_scenario",
    "scenario_from_dict",
]

if TYPE_CHECKING:  # what type checkers and editors see: the names, eagerly
    from msomodel.compare import Comparison, compare, compare_structures
    from msomodel.loader import Problem, ScenarioError, load_scenario, scenario_from_dict
    from msomodel.scenario import OPTIONS, Scenario


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'msomodel' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package's module type: importing the submodule ``msomodel.compare`` must not
    replace the function ``msomodel.compare`` (the import system sets the attribute of a
    submodule's name on its package; an eager ``from ... import`` used to overwrite it)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType) \
                and value.__name__ == f"{__name__}.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
