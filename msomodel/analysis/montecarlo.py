"""Monte Carlo simulation through the engine's trials axis, in seeded blocks and chunks.

Reproducibility and distribution
--------------------------------
Trials are grouped in a FIXED grid of sampling *blocks* of ``block_size`` trials (default
1,000; the last block may be shorter).  Block ``b`` draws its samples from
``default_rng(SeedSequence(seed, spawn_key=(b,)))`` -- the ``b``-th child of
``SeedSequence(seed).spawn(...)`` -- so its numbers depend only on (seed, b, block size),
never on how many blocks are evaluated together, in which order, or on which machine.

:func:`run_block` is the pure unit of work ``(problem, block index) -> BlockResult`` and
:func:`reduce_blocks` concatenates block results (in block order) into a
:class:`SimulationResult` on the client; :func:`simulate` is the local driver.  A Dask (or
any other) scheduler can map :func:`run_block` over ``range(problem.n_blocks)`` and reduce.
``chunk_size`` only sets how many trials go through one engine call (memory), not the
numbers: the same seed gives identical results for every chunk size.  By default it is sized
by array elements (:data:`CHUNK_ELEMENTS` (sites + :data:`COMPANY_SITES`) x months x trials,
:func:`chunk_trials`), so that the memory of one call stays about the same whatever the number
of sites.  Engine calls run with numpy's BLAS on one thread
(:func:`msomodel.analysis.evaluate.one_blas_thread`).

Outcomes per trial are listed in :mod:`msomodel.analysis.evaluate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.random  # noqa: F401 (numpy loads it on first use: here, before any fork)

from msomodel.analysis import paths as P
from msomodel.analysis.distributions import SamplingPlan, compile_plan, excluded_values, sample
from msomodel.analysis.evaluate import (
    CHALLENGERS,
    gap_key,
    irr_outcomes,
    npv_outcomes,
    one_blas_thread,
    outcomes,
)
from msomodel.analysis.spec import UncertaintySpec
from msomodel.errors import Problem, ScenarioError
from msomodel.inputs import ModelInputs, compile_inputs
from msomodel.scenario import OPTION_LABELS, OPTIONS, Scenario

if TYPE_CHECKING:
    import pandas as pd
else:
    from msomodel import lazy

    pd = lazy.module("pandas")

BLOCK_SIZE = 1000
#: Array elements ((sites + COMPANY_SITES) x months x trials) per engine call: 250 trials of
#: 5 sites x 60 months, 500 of one site.  Small calls stay in CPU cache; a 100-site scenario gets
#: 19 trials per call instead of 250.
CHUNK_ELEMENTS = 120_000
#: What a trial's company-level arrays (months by trial: capital, tax, cash flows, NPVs and
#: IRRs of each option) weigh in sites: measured, 1 site runs fastest at about 500 trials per
#: call and 5 sites at 250 (1,000 trials of 1 site were 1.1x slower than 250).
COMPANY_SITES = 3
#: Trials per engine call; None: sized by :data:`CHUNK_ELEMENTS` (:func:`chunk_trials`).
DEFAULT_CHUNK_SIZE: int | None = None
PERCENTILES = (5, 50, 95)
METRICS = ("npv", "irr_annual", "payback_month")


def chunk_trials(inputs: ModelInputs, chunk_size: int | None = None,
                 elements: int | None = None) -> int:
    """Trials per engine call: ``chunk_size`` if given, else as many trials as fit in
    ``elements`` array elements ((sites + :data:`COMPANY_SITES`) x months x trials; default
    :data:`CHUNK_ELEMENTS`), at least one."""
    if chunk_size is not None:
        return chunk_size
    elements = CHUNK_ELEMENTS if elements is None else elements
    per_trial = (len(inputs.sites) + COMPANY_SITES) * max(1, inputs.horizon)
    return max(1, elements // per_trial)


def _check_chunk_size(chunk_size: int | None) -> None:
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size: expected a whole number >= 1, found {chunk_size}")


@dataclass(frozen=True)
class MonteCarloProblem:
    """Everything a worker needs to evaluate any block (picklable)."""

    inputs: ModelInputs
    plan: SamplingPlan
    seed: int
    trials: int
    block_size: int = BLOCK_SIZE

    @property
    def n_blocks(self) -> int:
        return -(-self.trials // self.block_size)

    def block_range(self, block: int) -> tuple[int, int]:
        """First and one-past-last trial index of ``block``."""
        start = block * self.block_size
        return start, min(start + self.block_size, self.trials)

    def block_rng(self, block: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(block,)))


@dataclass
class BlockResult:
    """Per-trial outcomes and samples of one block (``start`` = its first trial index)."""

    block: int
    start: int
    outcomes: dict[str, np.ndarray]
    samples: dict[str, np.ndarray]
    clipped: dict[str, int]


def sample_block(problem: MonteCarloProblem, block: int) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The samples of one block: a pure function of (plan, seed, block, block size)."""
    start, stop = problem.block_range(block)
    return sample(problem.plan, problem.block_rng(block), stop - start)


def evaluate_samples(inputs: ModelInputs, values: dict[str, np.ndarray], n: int,
                     chunk_size: int | None = DEFAULT_CHUNK_SIZE, *,
                     irr_blocks: Sequence[int] = (), irr: bool = True,
                     gaps: bool = True) -> dict[str, np.ndarray]:
    """Outcomes of ``n`` trials given ``{path: values (n,)}``, ``chunk_size`` per engine call
    (None: :func:`chunk_trials`), with BLAS on one thread.

    IRR and payback are solved per group of trials given by ``irr_blocks`` (sizes adding up
    to ``n``; default: all ``n`` together), independently of the chunking; ``irr=False``
    gives NPVs only, and ``gaps=False`` without the incremental and gap NPVs (the options'
    NPVs: what a decision needs).
    """
    with one_blas_thread():
        return _evaluate_samples(inputs, values, n, chunk_trials(inputs, chunk_size),
                                 irr_blocks, irr, gaps)


def _evaluate_samples(inputs: ModelInputs, values: dict[str, np.ndarray], n: int,
                      chunk_size: int, irr_blocks: Sequence[int],
                      irr: bool, gaps: bool = True) -> dict[str, np.ndarray]:
    parts, flows = [], []
    for lo in range(0, n, chunk_size):
        hi = min(lo + chunk_size, n)
        plain, arrays = P.batch_arguments(inputs, hi - lo, {p: v[lo:hi] for p, v in values.items()})
        out, cf = npv_outcomes(inputs, hi - lo, plain, arrays, gaps=gaps)
        parts.append(out)
        flows.append(cf)
    result = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    if not irr:
        return result
    cash = {o: np.concatenate([f[o] for f in flows]) for o in flows[0]}
    del flows
    solved, lo = [], 0
    for size in irr_blocks or [n]:
        solved.append(irr_outcomes({o: cf[lo:lo + size] for o, cf in cash.items()}))
        lo += size
    result.update({k: np.concatenate([s[k] for s in solved]) for k in solved[0]})
    return result


def run_blocks(problem: MonteCarloProblem, blocks: Sequence[int],
               chunk_size: int | None = DEFAULT_CHUNK_SIZE, *,
               irr: bool = True, gaps: bool = True) -> list[BlockResult]:
    """Sample ``blocks`` and evaluate them together, ``chunk_size`` trials per engine call
    (None: :func:`chunk_trials`; IRR and payback block by block, unless ``irr=False``;
    ``gaps=False``: without the incremental and gap NPVs)."""
    drawn = [sample_block(problem, b) for b in blocks]
    sizes = [problem.block_range(b)[1] - problem.block_range(b)[0] for b in blocks]
    values = {p: np.concatenate([v[p] for v, _ in drawn]) for p in problem.plan.paths}
    out = evaluate_samples(problem.inputs, values, sum(sizes), chunk_size, irr_blocks=sizes,
                           irr=irr, gaps=gaps)
    results, lo = [], 0
    for b, (v, clipped), size in zip(blocks, drawn, sizes, strict=True):
        results.append(BlockResult(b, problem.block_range(b)[0],
                                   {k: a[lo:lo + size] for k, a in out.items()}, v, clipped))
        lo += size
    return results


def run_block(problem: MonteCarloProblem, block: int,
              chunk_size: int | None = DEFAULT_CHUNK_SIZE) -> BlockResult:
    """Sample and evaluate one block (the unit of work for a distributed scheduler)."""
    return run_blocks(problem, [block], chunk_size)[0]


# --------------------------------------------------------------------------- the result
def _percentile(values: np.ndarray, metric: str) -> tuple[list[float | None], float]:
    """P5/P50/P95 and the share of trials where the metric is undefined (NaN).

    Payback: "never" (NaN) counts as later than any month, percentiles use the empirical
    quantile (``inverted_cdf``) and are None where they fall on "never".  NPV and IRR:
    linear interpolation over the trials where the metric is defined.
    """
    undefined = float(np.mean(np.isnan(values))) if values.size else 0.0
    if metric == "payback_month":
        q = np.percentile(np.where(np.isnan(values), np.inf, values), PERCENTILES,
                          method="inverted_cdf")
    elif undefined < 1.0:
        q = np.nanpercentile(values, PERCENTILES)
    else:
        q = np.full(len(PERCENTILES), np.nan)
    return [float(v) if np.isfinite(v) else None for v in q], undefined


def spearman(samples: pd.DataFrame, target: np.ndarray) -> pd.Series:
    """Spearman rank correlation of each column with ``target`` (average ranks for ties;
    NaN for a constant column), computed as one matrix operation."""
    ranks = samples.rank(method="average").to_numpy(dtype=float)
    t = pd.Series(target).rank(method="average").to_numpy(dtype=float)
    rc, tc = ranks - ranks.mean(axis=0), t - t.mean()
    den = np.sqrt((rc**2).sum(axis=0) * (tc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(den > 0, (rc * tc[:, None]).sum(axis=0) / np.where(den > 0, den, 1.0), np.nan)
    return pd.Series(rho, index=samples.columns, name="spearman")


@dataclass
class SimulationResult:
    """Per-trial outcomes and samples of a Monte Carlo run, with summaries.

    ``outcomes`` has one row per trial and the columns of
    :func:`msomodel.analysis.evaluate.outcome_keys` [USD, fraction/year, month];
    ``samples`` one column per sampled path [unit of the input].
    """

    scenario: str
    trials: int
    seed: int
    block_size: int
    labels: dict[str, str]
    feasible: dict[str, bool]
    outcomes: pd.DataFrame
    samples: pd.DataFrame
    clipped: dict[str, int]
    base: dict[str, float] = field(default_factory=dict)

    # ----------------------------------------------------------------- summaries
    def percentiles(self) -> pd.DataFrame:
        """Rows (option, metric); columns P5, P50, P95, mean and the undefined share."""
        rows = {}
        for option in OPTIONS:
            for metric in METRICS:
                v = self.outcomes[f"{option}.{metric}"].to_numpy()
                q, undefined = _percentile(v, metric)
                mean = float(np.nanmean(v)) if undefined < 1.0 else None
                rows[(option, metric)] = [*q, mean, undefined]
        for option in CHALLENGERS:
            v = self.outcomes[f"incremental.{option}.npv"].to_numpy()
            q, undefined = _percentile(v, "npv")
            rows[(option, "incremental_npv")] = [*q, float(v.mean()), undefined]
        frame = pd.DataFrame.from_dict(
            rows, orient="index", columns=[*(f"P{p}" for p in PERCENTILES), "mean", "undefined_share"])
        frame.index = pd.MultiIndex.from_tuples(frame.index, names=["option", "metric"])
        return frame

    def probabilities(self) -> dict[str, Any]:
        """P(each option has the highest NPV among the feasible ones), P(MSO beats
        self-managed) and P(software beats self-managed) (incremental NPV > 0)."""
        allowed = [o for o in OPTIONS if self.feasible.get(o, True)]
        best: dict[str, float | None] = {o: 0.0 for o in OPTIONS}
        if allowed:
            npv = self.outcomes[[f"{o}.npv" for o in allowed]].to_numpy()
            winner = np.argmax(npv, axis=1)
            for j, o in enumerate(allowed):
                best[o] = float(np.mean(winner == j))
        else:
            best = {o: None for o in OPTIONS}
        return {
            "best": best,
            "mso_beats_self_managed": float(np.mean(self.outcomes["incremental.mso.npv"] > 0)),
            "software_beats_self_managed": float(
                np.mean(self.outcomes["incremental.software_only.npv"] > 0)),
        }

    def beats(self, outcome: str, baseline: str) -> float:
        """Share of trials in which ``outcome``'s NPV exceeds ``baseline``'s."""
        return float(np.mean(self.outcomes[gap_key(outcome, baseline)] > 0))

    def drivers(self, outcome: str = "mso", top: int | None = None,
                baseline: str = "self_managed") -> pd.DataFrame:
        """Sampled inputs ranked by |Spearman correlation| with the NPV of ``outcome`` less
        ``baseline``'s (any two options)."""
        if self.samples.shape[1] == 0:
            return pd.DataFrame(columns=["path", "spearman"])
        rho = spearman(self.samples, self.outcomes[gap_key(outcome, baseline)].to_numpy())
        frame = rho.rename_axis("path").reset_index()
        frame = frame.iloc[np.argsort(-np.nan_to_num(np.abs(frame["spearman"].to_numpy())),
                                      kind="stable")].reset_index(drop=True)
        return frame if top is None else frame.head(top)

    def histogram(self, outcome: str = "incremental.mso.npv", bins: int = 40) -> pd.DataFrame:
        """Histogram of one outcome column: bin edges [unit of the outcome], counts, share."""
        v = self.outcomes[outcome].to_numpy()
        v = v[np.isfinite(v)]
        counts, edges = np.histogram(v, bins=bins)
        return pd.DataFrame({"left": edges[:-1], "right": edges[1:], "count": counts,
                             "share": counts / max(len(v), 1)})

    def cdf(self, outcome: str = "incremental.mso.npv", points: int = 101) -> pd.DataFrame:
        """Empirical CDF at ``points`` evenly spaced probabilities (finite values only)."""
        v = self.outcomes[outcome].to_numpy()
        v = v[np.isfinite(v)]
        prob = np.linspace(0.0, 1.0, points)
        values = np.quantile(v, prob) if v.size else np.full(points, np.nan)
        return pd.DataFrame({"value": values, "probability": prob})

    # ----------------------------------------------------------------- JSON
    def to_dict(self, top_drivers: int = 10, bins: int = 40) -> dict[str, Any]:
        """JSON-ready summary (no per-trial data; NaN becomes None)."""
        pct = self.percentiles()
        options: dict[str, Any] = {}
        for (option, metric), row in pct.iterrows():
            entry = options.setdefault(option, {"label": self.labels.get(option, option),
                                                "feasible": self.feasible.get(option, True)})
            entry[metric] = {k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else
                                 float(v)) for k, v in row.items()}
        drivers = {o: [{"path": r.path, "spearman": None if np.isnan(r.spearman) else float(r.spearman)}
                       for r in self.drivers(o, top_drivers).itertuples()] for o in CHALLENGERS}
        hist = self.histogram(bins=bins)
        return {
            "scenario": self.scenario,
            "trials": self.trials,
            "seed": self.seed,
            "block_size": self.block_size,
            "options": options,
            "probabilities": self.probabilities(),
            "drivers": drivers,
            "clipped": dict(self.clipped),
            "base": {k: (None if not np.isfinite(v) else float(v)) for k, v in self.base.items()},
            "histogram_incremental_mso_npv": {
                "edges": [float(hist["left"].iloc[0]), *map(float, hist["right"])] if len(hist) else [],
                "counts": [int(c) for c in hist["count"]],
            },
            "conventions": "P5/P50/P95 over trials; IRR percentiles over trials where it is defined "
                           "(undefined_share = share without one); payback percentiles treat "
                           "'never' as later than any month (None = never); probabilities of "
                           "'best' among feasible options by NPV.",
        }


def reduce_blocks(problem: MonteCarloProblem, results: Iterable[BlockResult], *,
                  scenario_name: str, feasible: dict[str, bool], labels: dict[str, str],
                  base: dict[str, float] | None = None) -> SimulationResult:
    """Concatenate block results in block order into a :class:`SimulationResult`."""
    ordered = sorted(results, key=lambda r: r.block)
    if [r.block for r in ordered] != list(range(problem.n_blocks)):
        raise ValueError("reduce_blocks needs the result of every block exactly once")
    keys = list(ordered[0].outcomes)
    out = pd.DataFrame({k: np.concatenate([r.outcomes[k] for r in ordered]) for k in keys})
    samples = pd.DataFrame({p: np.concatenate([r.samples[p] for r in ordered])
                            for p in problem.plan.paths})
    clipped = {p: sum(r.clipped[p] for r in ordered) for p in problem.plan.paths}
    return SimulationResult(scenario_name, problem.trials, problem.seed, problem.block_size,
                            labels, feasible, out, samples, clipped, base or {})


def prepare(scenario: Scenario, spec: UncertaintySpec | dict | None, trials: int, seed: int, *,
            block_size: int = BLOCK_SIZE, source: str | None = None,
            inputs: ModelInputs | None = None) -> MonteCarloProblem:
    """Check the spec and build the :class:`MonteCarloProblem` (no evaluation); ``inputs``:
    the scenario's compiled inputs when already at hand (they fix the legal structure)."""
    if trials < 1:
        raise ValueError(f"trials: expected a whole number >= 1, found {trials}")
    if block_size < 1:
        raise ValueError(f"block_size: expected a whole number >= 1, found {block_size}")
    source = source or scenario.source_path or "<uncertainty>"
    if spec is None:  # the scenario's own uncertainty: section
        spec = scenario.uncertainty
    inputs = inputs if inputs is not None else compile_inputs(scenario)
    plan = compile_plan(spec, scenario, inputs, source)
    if not plan.variables:
        raise ScenarioError([Problem(source, "uncertainty.distributions",
                                     "expected at least one distribution to simulate, found none")])
    return MonteCarloProblem(inputs, plan, int(seed), int(trials), int(block_size))


def simulate(scenario: Scenario, spec: UncertaintySpec | dict | None, trials: int, seed: int,
             chunk_size: int | None = DEFAULT_CHUNK_SIZE, *, block_size: int = BLOCK_SIZE,
             source: str | None = None, inputs: ModelInputs | None = None) -> SimulationResult:
    """Monte Carlo over the distributions of ``spec``, ``trials`` trials, seeded by ``seed``.

    Trials are evaluated ``chunk_size`` at a time (default: sized by array elements,
    :func:`chunk_trials`; whole blocks are grouped when ``chunk_size >= block_size``);
    memory grows with the chunk size, not with ``trials``
    (apart from the per-trial outcome table, ~100 bytes per trial).  The same ``seed`` gives
    identical numbers for every ``chunk_size``.  ``inputs``: the scenario's compiled inputs
    (``Comparison.inputs``: they fix the legal structure), if already at hand.
    """
    _check_chunk_size(chunk_size)
    problem = prepare(scenario, spec, trials, seed, block_size=block_size, source=source,
                      inputs=inputs)
    if spec is None:  # the scenario's own ranges must include its own values (a spec passed
        # in is the caller's what-if, e.g. an opening moved to month 55 +- 10)
        excluded = excluded_values(scenario.uncertainty, scenario, problem.inputs,
                                   source or scenario.source_path or "<uncertainty>")
        if excluded:  # its trials would never come near the base case they are reported beside
            raise ScenarioError(excluded)
    chunk_size = chunk_trials(problem.inputs, chunk_size)
    results: list[BlockResult] = []
    for blocks in block_groups(problem, chunk_size):
        results += run_blocks(problem, blocks, chunk_size)
    return finish(scenario, problem, results)


def block_groups(problem: MonteCarloProblem,
                 chunk_size: int | None = DEFAULT_CHUNK_SIZE) -> list[list[int]]:
    """The blocks evaluated together by one :func:`run_blocks` call: whole blocks are grouped
    when ``chunk_size >= block_size`` (None: :func:`chunk_trials`; the local driver and a
    distributed one use the same groups, hence the same engine calls)."""
    per_call = max(1, chunk_trials(problem.inputs, chunk_size) // problem.block_size)
    return [list(range(first, min(first + per_call, problem.n_blocks)))
            for first in range(0, problem.n_blocks, per_call)]


def finish(scenario: Scenario, problem: MonteCarloProblem,
           results: Iterable[BlockResult]) -> SimulationResult:
    """Reduce the block results of ``problem`` with the scenario's base case, labels and
    feasibility (on the client, after a local or distributed run)."""
    inputs = problem.inputs
    assert inputs.compliance is not None
    base = {k: float(v[0]) for k, v in outcomes(inputs, 1).items()}
    return reduce_blocks(problem, results, scenario_name=scenario.name,
                         feasible={o: f.status != "infeasible"
                                   for o, f in inputs.compliance.options.items()},
                         labels=dict(OPTION_LABELS), base=base)
