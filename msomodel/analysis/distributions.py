"""Sampling the ``uncertainty.distributions`` of a scenario, with rank correlation.

- Every draw uses a ``numpy.random.Generator`` passed in (``default_rng(seed_sequence)``);
  the variables are drawn in the order of the spec, then reordered for correlation.
- Rank correlation by the Iman–Conover method: the samples of each variable keep their
  values (the marginal distributions are exact) and are *reordered* so that their ranks follow
  van der Waerden scores (normal quantiles ``Phi^-1(i / (n + 1))``) that have been given the
  target correlation.  The requested Spearman coefficient ``rho_s`` is converted to the
  Pearson coefficient of the normal scores with ``rho = 2 sin(pi rho_s / 6)`` (exact for a
  Gaussian copula), so the realized Spearman correlation is ``rho_s`` up to sampling error
  (about ``1 / sqrt(n)`` within one block).  ``|rho_s| = 1`` is applied as 0.9999.
  Correlation is imposed within each sampling block (see :mod:`.montecarlo`); a block with
  fewer than ``k + 2`` trials (k correlated inputs) is left uncorrelated.
- After reordering, samples are rounded (integer fields) and clipped to the field's schema
  bounds; the number of clipped samples is counted per input.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from msomodel.analysis import paths as P
from msomodel.analysis.spec import (
    Distribution,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    UncertaintySpec,
    Uniform,
    parse_spec,
)
from msomodel.errors import Problem, ScenarioError, locate
from msomodel.inputs import ModelInputs
from msomodel.scenario import Scenario


def draw(dist: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent samples of one distribution (before clipping), shape (n,)."""
    if isinstance(dist, Uniform):
        return rng.uniform(dist.low, dist.high, n) if dist.high > dist.low else np.full(n, dist.low)
    if isinstance(dist, Triangular):
        if dist.high == dist.low:
            return np.full(n, dist.low)
        return rng.triangular(dist.low, dist.mode, dist.high, n)
    if isinstance(dist, Pert):
        width = dist.high - dist.low
        if width == 0:
            return np.full(n, dist.low)
        a = 1.0 + dist.lamb * (dist.mode - dist.low) / width
        b = 1.0 + dist.lamb * (dist.high - dist.mode) / width
        return dist.low + width * rng.beta(a, b, n)
    if isinstance(dist, Normal):
        return rng.normal(dist.mean, dist.sd, n)
    if isinstance(dist, LogNormal):
        mu, sigma = dist.log_params()
        return rng.lognormal(mu, sigma, n)
    raise TypeError(f"unknown distribution {dist!r}")  # pragma: no cover - schema forbids


def mean_of(dist: Distribution) -> float:
    """Theoretical mean (unclipped) [unit of the input]."""
    if isinstance(dist, Uniform):
        return (dist.low + dist.high) / 2
    if isinstance(dist, Triangular):
        return (dist.low + dist.mode + dist.high) / 3
    if isinstance(dist, Pert):
        return (dist.low + dist.lamb * dist.mode + dist.high) / (dist.lamb + 2)
    if isinstance(dist, Normal):
        return dist.mean
    mu, sigma = dist.log_params()
    return float(np.exp(mu + sigma**2 / 2))


def sd_of(dist: Distribution) -> float:
    """Theoretical standard deviation (unclipped) [unit of the input]."""
    if isinstance(dist, Uniform):
        return (dist.high - dist.low) / np.sqrt(12)
    if isinstance(dist, Triangular):
        a, c, b = dist.low, dist.mode, dist.high
        return float(np.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18))
    if isinstance(dist, Pert):
        m = mean_of(dist)
        return float(np.sqrt((m - dist.low) * (dist.high - m) / (dist.lamb + 3)))
    if isinstance(dist, Normal):
        return dist.sd
    mu, sigma = dist.log_params()
    return float(np.sqrt(np.expm1(sigma**2) * np.exp(2 * mu + sigma**2)))


# --------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class Variable:
    """One sampled input: its path, distribution, schema bounds and base value."""

    path: str
    dist: Distribution
    bounds: P.Bounds
    base: float


@dataclass(frozen=True)
class SamplingPlan:
    """Compiled, checked ``distributions`` and ``correlations`` (picklable).

    ``correlated`` indexes the variables that take part in a correlation; ``score_corr`` is
    the Pearson correlation to give their normal scores (positive definite).
    """

    variables: tuple[Variable, ...]
    correlated: tuple[int, ...] = ()
    score_corr: np.ndarray | None = None

    @property
    def paths(self) -> list[str]:
        return [v.path for v in self.variables]


def _location_parameters(d: Distribution) -> list[tuple[str, float]]:
    """The parameters that are values of the input itself (each must lie within its bounds);
    ``sd`` and the log-scale ``mu``/``sigma`` are not (``exp(mu)`` is checked as the median)."""
    if d.dist in ("uniform", "triangular", "pert"):
        return [(k, getattr(d, k)) for k in ("low", "mode", "high") if hasattr(d, k)]
    if d.dist == "normal":
        return [("mean", d.mean)]
    if d.mean is not None:
        return [("mean", d.mean)]
    return [("mu", float(np.exp(d.mu)))]


def compile_plan(spec: UncertaintySpec | dict | None, scenario: Scenario, inputs: ModelInputs,
                 source: str = "<uncertainty>") -> SamplingPlan:
    """Check the spec's paths against the scenario and build the :class:`SamplingPlan`.

    Raises
    ------
    msomodel.ScenarioError
        Naming ``uncertainty.distributions.<i>.path`` for an unknown path, or
        ``uncertainty.correlations`` when the coefficients are not jointly possible.
    """
    spec = parse_spec(spec, source)
    problems = []
    for i, d in enumerate(spec.distributions):
        msg = P.check_path(inputs, d.path)
        if msg:
            problems.append(Problem(source, f"uncertainty.distributions.{i}.path", msg))
            continue
        b = P.bounds(scenario, d.path)
        for name, value in _location_parameters(d):
            if not b.lower <= value <= b.upper:
                problems.append(Problem(
                    source, f"uncertainty.distributions.{i}.{name}",
                    f"expected a value the input {d.path} can take ({b.describe()}), found "
                    f"{value:g}"))
    if problems:
        raise ScenarioError(_located(problems, scenario, source))
    variables = tuple(Variable(d.path, d, P.bounds(scenario, d.path), P.base_value(inputs, d.path))
                      for d in spec.distributions)
    if not spec.correlations:
        return SamplingPlan(variables)
    index = {v.path: i for i, v in enumerate(variables)}
    members = sorted({index[p] for c in spec.correlations for p in c.paths})
    pos = {m: j for j, m in enumerate(members)}
    corr = np.eye(len(members))
    for c in spec.correlations:
        rho = 2.0 * np.sin(np.pi * np.clip(c.rank_correlation, -0.9999, 0.9999) / 6.0)
        for a in c.paths:
            for b in c.paths:
                if a != b:
                    corr[pos[index[a]], pos[index[b]]] = rho
    try:
        np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        raise ScenarioError(_located([Problem(
            source, "uncertainty.correlations",
            "expected rank correlations that can hold together (a positive definite matrix), "
            "found an impossible combination")], scenario, source)) from None
    return SamplingPlan(variables, tuple(members), corr)


def _located(problems: list[Problem], scenario: Scenario, source: str) -> list[Problem]:
    """Problems of the scenario's own section with their line and column in its file (a
    ``--spec`` file's are located by the command that read it)."""
    if source != scenario._source_path:
        return problems
    return locate(problems, source, scenario._marks)


#: A normal or lognormal distribution "includes" values within this many standard deviations
#: (of the variable, or of its log) of its centre: beyond 4, fewer than 1 trial in 15,000.
REACH_SD = 4.0


def reach(d: Distribution) -> tuple[float, float]:
    """The values a distribution can give: ``[low, high]``, or within :data:`REACH_SD`
    standard deviations (of ``log X`` for a lognormal) of its center."""
    if d.dist in ("uniform", "triangular", "pert"):
        return float(d.low), float(d.high)
    if d.dist == "normal":
        return float(d.mean - REACH_SD * d.sd), float(d.mean + REACH_SD * d.sd)
    mu, sigma = d.log_params()
    return float(np.exp(mu - REACH_SD * sigma)), float(np.exp(mu + REACH_SD * sigma))


def excluded_values(spec: UncertaintySpec | dict | None, scenario: Scenario,
                    inputs: ModelInputs, source: str = "<uncertainty>") -> list[Problem]:
    """A problem for each distribution that leaves out the scenario's own value of its input.

    Such a Monte Carlo simulates another scenario: its trials never come near the base case
    every other figure is computed for (as when a file sets ``adjustments.price_multiplier:
    1.1`` but keeps its base file's distribution of 0.9 to 1.08).  Unknown paths and parameters
    the input cannot take are :func:`compile_plan`'s to report."""
    spec = parse_spec(spec, source)
    problems = []
    for i, d in enumerate(spec.distributions):
        if P.check_path(inputs, d.path):
            continue
        b = P.bounds(scenario, d.path)
        if not all(b.lower <= v <= b.upper for _, v in _location_parameters(d)):
            continue
        value, (lo, hi) = P.base_value(inputs, d.path), reach(d)
        slack = 1e-9 * max(1.0, abs(value))
        if lo - slack <= value <= hi + slack:
            continue
        problems.append(Problem(
            source, f"uncertainty.distributions.{i}",
            f"expected a distribution that includes the scenario's value of {d.path} "
            f"({value:g}), found one from {lo:g} to {hi:g}: its trials would simulate another "
            "scenario (center it on the value; a file that extends a base restates "
            "uncertainty.distributions whole)"))
    return _located(problems, scenario, source)


def follow(spec: UncertaintySpec | dict | None, scenario: Scenario, start: ModelInputs,
           now: ModelInputs, source: str = "<uncertainty>") -> tuple[UncertaintySpec, list[str]]:
    """The spec with each distribution moved with its input, and the paths moved.

    For a scenario changed after its distributions were written (the explorer's controls):
    where the input's value went from ``start``'s to ``now``'s, its distribution is scaled by
    their ratio when both have the same sign (so its relative width is kept), else shifted by
    their difference (a lognormal, which cannot be shifted, only scaled); location
    parameters stay within the input's bounds.  An unchanged input, a path either set does not
    compile, a changed fee structure and the number of sites keep theirs."""
    spec = parse_spec(spec, source)
    moved, out = [], []
    for d in spec.distributions:
        new = d
        same_fee = d.path != P.FEE_LEVEL_PATH or start.fee_type == now.fee_type
        if (d.path != P.SITES_COUNT_PATH and same_fee and not P.check_path(start, d.path)
                and not P.check_path(now, d.path)):
            a, b = P.base_value(start, d.path), P.base_value(now, d.path)
            if abs(b - a) > 1e-12 * max(1.0, abs(a)):
                new = _moved(d, a, b, P.bounds(scenario, d.path))
        if new is not d:
            moved.append(d.path)
        out.append(new)
    return spec.model_copy(update={"distributions": out}), moved


def _moved(d: Distribution, a: float, b: float, bounds: P.Bounds) -> Distribution:
    k = b / a if a != 0 and b / a > 0 else None
    if d.dist == "lognormal":  # its center (mean, or median exp(mu)) kept within the bounds
        if k is None:
            return d
        top, floor = bounds.upper, max(bounds.lower, 1e-12)
        if d.mean is not None:
            return d.model_copy(update={"mean": float(np.clip(d.mean * k, floor, top)),
                                        "sd": d.sd * k})
        return d.model_copy(update={"mu": float(np.clip(d.mu + np.log(k), np.log(floor),
                                                        np.log(top)))})

    def at(v: float) -> float:
        return float(np.clip(v * k if k is not None else v + (b - a), bounds.lower, bounds.upper))

    if d.dist == "normal":
        return d.model_copy(update={"mean": at(d.mean), "sd": d.sd * (k if k is not None else 1.0)})
    return d.model_copy(update={name: at(getattr(d, name)) for name in ("low", "mode", "high")
                                if hasattr(d, name)})


# --------------------------------------------------------------------------- sampling
@lru_cache(maxsize=8)
def _scores(n: int) -> np.ndarray:
    """Van der Waerden scores Phi^-1(i / (n + 1)), i = 1..n."""
    inv = NormalDist().inv_cdf
    out = np.array([inv(i / (n + 1)) for i in range(1, n + 1)])
    out.flags.writeable = False
    return out


def iman_conover(samples: np.ndarray, score_corr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reorder the columns of ``samples`` (n, k) so that their ranks follow normal scores with
    Pearson correlation ``score_corr`` (k, k); values of each column are unchanged."""
    n, k = samples.shape
    if n < k + 2:
        return samples
    scores = np.column_stack([rng.permutation(_scores(n)) for _ in range(k)])
    try:
        actual = np.linalg.cholesky(np.corrcoef(scores, rowvar=False))
    except np.linalg.LinAlgError:
        return samples
    target = np.linalg.cholesky(score_corr)
    shaped = np.linalg.solve(actual, scores.T).T @ target.T  # = S inv(F)^T P^T
    ranks = np.argsort(np.argsort(shaped, axis=0, kind="stable"), axis=0, kind="stable")
    return np.take_along_axis(np.sort(samples, axis=0), ranks, axis=0)


def sample(plan: SamplingPlan, rng: np.random.Generator, n: int
           ) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """``n`` joint samples: ``{path: values (n,)}`` (rounded and clipped) and the number of
    clipped samples per path."""
    raw = np.column_stack([draw(v.dist, rng, n) for v in plan.variables]) if plan.variables \
        else np.zeros((n, 0))
    if plan.correlated and plan.score_corr is not None:
        cols = list(plan.correlated)
        raw[:, cols] = iman_conover(raw[:, cols], plan.score_corr, rng)
    values, clipped = {}, {}
    for j, v in enumerate(plan.variables):
        values[v.path], clipped[v.path] = v.bounds.clip(raw[:, j])
    return values, clipped
