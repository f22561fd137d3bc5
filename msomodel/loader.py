"""Scenario files: safe YAML loading, ``extends:`` variants, and errors written for people.

The implementation lives in :mod:`msomodel.loading`; this module keeps the historic names.
Every problem is reported as ``FILE: field.path: expected ..., found ... (line L, column C)``,
all problems of a file at once; see :mod:`msomodel.errors` for the format and
:mod:`msomodel.loading.yamlio` for the limits on input size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msomodel.errors import Problem, ScenarioError
from msomodel.loading.messages import _expected, _fields_at, _fmt, _problems
from msomodel.loading.tree import _is_named_list, deep_merge
from msomodel.loading.validate import (
    _annotate,
    _guarded,
    load,
    load_scenario,
    resolve_sites,
    scenario_from_dict,
)
from msomodel.loading.yamlio import parse_file

__all__ = ["Problem", "ScenarioError", "_annotate", "_expected", "_fields_at", "_fmt",
           "_is_named_list", "_load_tree", "_problems", "_read_yaml", "deep_merge",
           "load_scenario", "resolve_sites", "scenario_from_dict"]


def _read_yaml(path: Path) -> tuple[dict[str, Any], bytes]:
    """One YAML file (top level a mapping) and its bytes; raises ScenarioError."""
    parsed = _guarded(str(path), lambda: parse_file(Path(path)))
    return parsed.data, parsed.raw


def _load_tree(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The file's mapping with its ``extends:`` bases merged in; raises ScenarioError.

    Prefer :func:`msomodel.loading.load`, which also returns the file's bytes and the line of
    each value, so that the file need not be read twice.
    """
    return load(Path(path)).data
