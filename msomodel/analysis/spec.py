"""Parsing the ``uncertainty:`` section with located errors (:func:`parse_spec`).

The models and their documentation (distributions, parameters, correlations) live in
:mod:`msomodel.scenario.uncertainty`; they are re-exported here for existing callers.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from msomodel.errors import Problem, ScenarioError
from msomodel.scenario.uncertainty import (  # noqa: F401  (re-exported)
    Correlation,
    Distribution,
    LogNormal,
    Normal,
    Pert,
    SensitivityRange,
    Triangular,
    UncertaintySpec,
    Uniform,
)

_DIST_NAMES = "uniform, triangular, pert, normal, lognormal"
_WHERE = re.compile(r"^([a-z_][\w.]*): (expected .*)$")
_DIST_TAGS = re.compile(r"(distributions\.\d+)\.(uniform|triangular|pert|normal|lognormal)(?=\.|$)")


def parse_spec(data: Any, source: str = "<uncertainty>") -> UncertaintySpec:
    """Validate an ``uncertainty:`` mapping (already an :class:`UncertaintySpec` passes through).

    Raises
    ------
    msomodel.ScenarioError
        One ``SOURCE: uncertainty.dotted.path: expected ..., found ...`` line per problem.
    """
    from msomodel.loader import _problems

    if isinstance(data, UncertaintySpec):
        return data
    if data is None:
        return UncertaintySpec()
    try:
        return UncertaintySpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for p, err in zip(_problems(source, exc, ("uncertainty",), UncertaintySpec),
                          exc.errors(include_url=False), strict=True):
            path, message = _DIST_TAGS.sub(r"\1", p.path), p.message
            if err["type"].startswith("union_tag"):
                path = path.removesuffix(".dist")  # the loader already names the tag field
            if err["type"] == "union_tag_invalid":
                found = err["input"].get("dist") if isinstance(err["input"], dict) else None
                path, message = f"{path}.dist", f"expected one of {_DIST_NAMES}, found {found!r}"
            elif err["type"] == "union_tag_not_found":
                path, message = f"{path}.dist", f"expected a distribution name ({_DIST_NAMES})"
            else:
                where = _WHERE.match(message)  # cross-field checks name their own field
                if where:
                    path, message = f"{path}.{where[1]}", where[2]
            problems.append(Problem(p.file, path, message))
        raise ScenarioError(problems) from None
