"""Loading scenario files: bounded safe YAML, ``extends:`` chains, errors written for people.

* :mod:`~msomodel.loading.yamlio`: one file, parsed once, limits on size, alias expansion and
  nesting, the line and column of every value;
* :mod:`~msomodel.loading.tree`: ``extends:`` (relative, absolute, ``msomodel:NAME``) and merging;
* :mod:`~msomodel.loading.messages`: pydantic errors as ``path: expected ..., found ...``;
* :mod:`~msomodel.loading.validate`: every problem of a file in one pass;
* :mod:`~msomodel.loading.folders`: which files of a folder are scenarios (not only bases).
"""

from msomodel.errors import Problem, ScenarioError
from msomodel.loading.tree import PACKAGED_PREFIX, bases_dir, deep_merge, load_tree, packaged_bases
from msomodel.loading.validate import load, load_scenario, resolve_sites, scenario_from_dict
from msomodel.loading.yamlio import LIMITS, limit

__all__ = ["LIMITS", "PACKAGED_PREFIX", "Problem", "ScenarioError", "bases_dir", "deep_merge",
           "limit", "load", "load_scenario", "load_tree", "packaged_bases", "resolve_sites",
           "scenario_from_dict"]
