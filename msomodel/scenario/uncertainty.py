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

import difflib
import math
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from msomodel.scenario.base import Float
from msomodel.scenario.spelling import canonical_path


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


#: A path may spell its keys the US way (``site_defaults.capacity.utilization``); it is read in the
#: schema's spelling (:func:`msomodel.scenario.spelling.canonical_path`).
Path = Annotated[str, Field(min_length=1, description="Dotted scenario path of a numeric input."),
                 BeforeValidator(canonical_path)]


def _ordered(low: float, mode: float | None, high: float) -> None:
    if low > high:
        raise ValueError(f"low: expected a value <= high ({high:g}), found {low:g}")
    if mode is not None and not low <= mode <= high:
        raise ValueError(f"mode: expected a value in [low, high] = [{low:g}, {high:g}], found {mode:g}")


class SensitivityRange(_Spec):
    """Low and high value of one input for the tornado [unit of the input]."""

    path: Path
    low: Float
    high: Float

    @model_validator(mode="after")
    def _check(self) -> "SensitivityRange":
        _ordered(self.low, None, self.high)
        return self


class Uniform(_Spec):
    path: Path
    dist: Literal["uniform"]
    low: Float
    high: Float

    @model_validator(mode="after")
    def _check(self) -> "Uniform":
        _ordered(self.low, None, self.high)
        return self


class Triangular(_Spec):
    path: Path
    dist: Literal["triangular"]
    low: Float
    mode: Float
    high: Float

    @model_validator(mode="after")
    def _check(self) -> "Triangular":
        _ordered(self.low, self.mode, self.high)
        return self


class Pert(_Spec):
    path: Path
    dist: Literal["pert"]
    low: Float
    mode: Float
    high: Float
    lamb: Float = Field(4.0, gt=0.0, le=100.0, description="Weight of the mode (4 = classic PERT).")

    @model_validator(mode="after")
    def _check(self) -> "Pert":
        _ordered(self.low, self.mode, self.high)
        return self


class Normal(_Spec):
    path: Path
    dist: Literal["normal"]
    mean: Float
    sd: Float = Field(ge=0.0)


class LogNormal(_Spec):
    path: Path
    dist: Literal["lognormal"]
    mean: Float | None = Field(None, gt=0.0, description="Mean of the variable itself.")
    sd: Float | None = Field(None, ge=0.0, description="Standard deviation of the variable.")
    mu: Float | None = Field(None, description="Mean of log(X).")
    sigma: Float | None = Field(None, ge=0.0, description="Standard deviation of log(X).")

    @model_validator(mode="after")
    def _check(self) -> "LogNormal":
        natural = self.mean is not None or self.sd is not None
        log = self.mu is not None or self.sigma is not None
        if natural and log:
            raise ValueError("give mean and sd, or mu and sigma, not both")
        if natural and (self.mean is None or self.sd is None):
            raise ValueError("lognormal needs both mean and sd")
        if log and (self.mu is None or self.sigma is None):
            raise ValueError("lognormal needs both mu and sigma")
        if not natural and not log:
            raise ValueError("lognormal needs mean and sd (of the variable) or mu and sigma (of its log)")
        return self

    def log_params(self) -> tuple[float, float]:
        """(mu, sigma) of log(X)."""
        if self.mu is not None and self.sigma is not None:
            return self.mu, self.sigma
        assert self.mean is not None and self.sd is not None
        s2 = math.log1p((self.sd / self.mean) ** 2)
        return math.log(self.mean) - s2 / 2.0, math.sqrt(s2)


Distribution = Annotated[Uniform | Triangular | Pert | Normal | LogNormal, Field(discriminator="dist")]


class Correlation(_Spec):
    """Spearman rank correlation between every pair of ``paths`` (each needs a distribution)."""

    paths: list[Path] = Field(min_length=2)
    rank_correlation: Float = Field(ge=-1.0, le=1.0)

    @model_validator(mode="after")
    def _check(self) -> "Correlation":
        if len(set(self.paths)) != len(self.paths):
            raise ValueError("paths must be different inputs")
        return self


class UncertaintySpec(_Spec):
    """The ``uncertainty:`` section of a scenario file."""

    sensitivity: list[SensitivityRange] | None = Field(
        None, description="Tornado ranges; default: +-20 % of the base value of the key inputs."
    )
    distributions: list[Distribution] = Field(
        default_factory=list,
        description="Monte Carlo distributions, one per input path; each must include the "
                    "scenario's own value of its input (a normal or lognormal: within 4 sd)."
    )
    correlations: list[Correlation] = Field(
        default_factory=list, description="Rank correlations between inputs with distributions."
    )

    @model_validator(mode="after")
    def _check(self) -> "UncertaintySpec":
        seen: set[str] = set()
        for d in self.distributions:
            if d.path in seen:
                raise ValueError(f"distributions: expected one distribution per path, found '{d.path}' twice")
            seen.add(d.path)
        pairs: set[frozenset[str]] = set()
        for i, c in enumerate(self.correlations):
            for p in c.paths:
                if p not in seen:
                    near = difflib.get_close_matches(p, sorted(seen), n=1, cutoff=0.8)
                    hint = (f" (a distribution names '{near[0]}': is one of the two misspelt?)"
                            if near else "")
                    raise ValueError(
                        f"correlations.{i}.paths: expected a path with a distribution, found "
                        f"'{p}'{hint}")
            for a in c.paths:
                for b in c.paths:
                    if a < b:
                        if frozenset((a, b)) in pairs:
                            raise ValueError(
                                f"correlations.{i}.paths: expected each pair once, found {a}, {b} again"
                            )
                        pairs.add(frozenset((a, b)))
        return self
