"""The ``uncertainty:`` section of a scenario: tornado ranges, distributions, rank correlations.

Every value is in the unit of the input it applies to (see that field's description in
:mod:`msomodel.scenario`).  Inputs are named by their dotted scenario path, the same paths
:attr:`msomodel.inputs.ModelInputs.paths` lists (``mso.purchasing_discount``,
``site_defaults.service_lines.filler.price``, ``sites.Columbus.open_month``, ...), plus the
pseudo-paths of :data:`msomodel.analysis.paths.PSEUDO_PATHS` (``mso.fee.level``,
``sites.count``).  Whether a path exists is checked against the scenario when the section
is used (:func:`msomodel.analysis.distributions.compile_plan`), not here.

Example::

    uncertainty:
      sensitivity:            # optional: tornado ranges, else +-20 % of the base value
        - {path: adjustments.volume_multiplier, low: 0.8, high: 1.2}
      distributions:
        - {path: mso.purchasing_discount, dist: triangular, low: 0.03, mode: 0.08, high: 0.15}
        - {path: adjustments.volume_multiplier, dist: pert, low: 0.75, mode: 1.0, high: 1.15}
      correlations:
        - {paths: [adjustments.volume_multiplier, adjustments.price_multiplier],
           rank_correlation: -0.3}

Distributions (parameters in the unit of the input):

- ``uniform``: ``low``, ``high``.
- ``triangular``: ``low``, ``mode``, ``high``.
- ``normal``: ``mean``, ``sd``.
- ``lognormal``: EITHER ``mean`` and ``sd`` of the variable itself (converted to the
  underlying normal: ``sigma**2 = log(1 + sd**2 / mean**2)``, ``mu = log(mean) - sigma**2 / 2``)
  OR ``mu`` and ``sigma`` of ``log(X)``; not both.
- ``pert`` (beta-PERT): ``low``, ``mode``, ``high``, ``lamb`` (default 4):
  ``X = low + (high - low) * Beta(1 + lamb (mode - low) / (high - low),
  1 + lamb (high - mode) / (high - low))``, mean ``(low + lamb mode + high) / (lamb + 2)``.

A zero-width distribution (``low == high``, ``sd: 0``) puts all its mass on one value.
Correlations are Spearman rank correlations, imposed by the Iman–Conover method (see
:mod:`msomodel.analysis.distributions`); a group of more than two paths gets the same
coefficient between every pair.
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
