"""The recommendation: which management option, how sure, and what would flip it.

A bare "highest NPV" is not a decision.  :func:`decide` takes the base-case NPVs of the
options the owner may use and adds, all through the vectorized engine:

- **margin**: the leader's NPV less the best other lawful option's (the runner-up);
- **probability of being best**: the share of a seeded Monte Carlo of the scenario's
  ``uncertainty.distributions`` (default 2,000 trials) in which each option has the highest
  NPV; and each option's downside, the P10 of its NPV;
- **what would flip it**: for each input that matters (the sampled ones, the inputs that
  differ between options, and the main drivers), the value at which another option takes the
  lead, solved on the base case with every other input held;
- **asymmetric assumptions**: every input that favors one option only (its own exit
  multiple, a revenue uplift, a purchasing discount, software effects), with its source and
  the recommendation when it is set equal across options (the effect removed).

The verdict (README, "The recommendation"):

- ``no_lawful_option``: no option is open to the owner;
- ``too_short``: the horizon is under :data:`SHORT_HORIZON_MONTHS`: too short to judge;
- ``none_pays``: no lawful option has a positive NPV;
- ``too_close``: the leader is best in fewer than :data:`THRESHOLD` of the trials;
- ``recommended``: otherwise (without declared uncertainty the sentence says it is untested).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from msomodel.analysis import montecarlo as mc
from msomodel.analysis import paths as P
from msomodel.analysis.evaluate import npv_by_path, one_blas_thread
from msomodel.analysis.sensitivity import label as path_label
from msomodel.formatting import lower_first, money
from msomodel.inputs import ModelInputs, fee_level
from msomodel.parallel import split_map
from msomodel.scenario import OPTION_LABELS, OPTIONS, Scenario
from msomodel.scenario.exit import exit_multiple

#: Below this probability of being best, the choice is "too close to call".
THRESHOLD = 2 / 3
#: Horizons shorter than this are too short to judge a med spa (most pay back in years 2-4).
SHORT_HORIZON_MONTHS = 24
DEFAULT_TRIALS = 2000
DEFAULT_SEED = 1
#: Inputs always tried for a flip value (when the scenario has them), besides the sampled ones.
DRIVERS = ("adjustments.volume_multiplier", "adjustments.price_multiplier",
           "adjustments.wage_multiplier", "finance.discount_rate_annual",
           "finance.exit_multiple", P.FEE_LEVEL_PATH)
#: Where the friendly PC's management fee is in a scenario.
MANAGEMENT_FEE = "structure.friendly_pc.management_fee"
#: How many flips the sentence names (the most important first).
SENTENCE_FLIPS = 3


@dataclass(frozen=True)
class Flip:
    """The value of one input at which the leader stops being best (base case otherwise).

    ``value`` is None when no value in ``searched`` flips it.  ``stays_ahead`` is ``"above"``
    when the leader leads for values above ``value``, ``"below"`` otherwise; ``taker`` is the
    option that leads on the other side.  ``swing`` [USD] is how much the leader's lead moves
    over the searched range (the ranking of importance).
    """

    path: str
    label: str
    current: float
    value: float | None
    stays_ahead: str | None
    taker: str | None
    searched: tuple[float, float]
    swing: float

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "label": self.label, "current": self.current,
                "flip_value": self.value, "stays_ahead": self.stays_ahead, "taker": self.taker,
                "searched": list(self.searched), "swing": self.swing}


@dataclass(frozen=True)
class Asymmetry:
    """An input that favors one option only, and the answer with its effect removed."""

    paths: tuple[str, ...]
    label: str
    option: str
    value: float
    equal_value: float
    source: str | None
    recommended_when_equal: str | None
    margin_when_equal: float | None
    npv_when_equal: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"paths": list(self.paths), "label": self.label, "option": self.option,
                "value": self.value, "equal_value": self.equal_value, "source": self.source,
                "recommended_when_equal": self.recommended_when_equal,
                "margin_when_equal": self.margin_when_equal,
                "npv_when_equal": dict(self.npv_when_equal)}


@dataclass
class Decision:
    verdict: str
    option: str | None                 # the recommended option (None unless recommended)
    leader: str | None                 # the highest-NPV lawful option, whatever the verdict
    runner_up: str | None
    margin: float | None
    npv: dict[str, float]
    probability_best: dict[str, float] | None
    p10_npv: dict[str, float] | None
    trials: int
    seed: int
    flips: list[Flip] = field(default_factory=list)
    asymmetries: list[Asymmetry] = field(default_factory=list)
    all_equal: Asymmetry | None = None
    sentence: str = ""
    horizon_months: int = 0
    untested_reason: str | None = None

    @property
    def label(self) -> str | None:
        return OPTION_LABELS[self.option] if self.option else None

    def to_dict(self) -> dict[str, Any]:
        num = _json_num
        return {
            "option": self.option, "label": self.label, "verdict": self.verdict,
            "leader": self.leader, "leader_label": OPTION_LABELS.get(self.leader or ""),
            "runner_up": self.runner_up, "runner_up_label": OPTION_LABELS.get(self.runner_up or ""),
            "margin": num(self.margin),
            "probability_best": (None if self.probability_best is None else
                                 {o: num(v) for o, v in self.probability_best.items()}),
            "p10_npv": None if self.p10_npv is None else {o: num(v) for o, v in self.p10_npv.items()},
            "threshold": THRESHOLD, "trials": self.trials, "seed": self.seed,
            "untested_reason": self.untested_reason,
            "flips": [f.to_dict() for f in self.flips],
            "asymmetric": [a.to_dict() for a in self.asymmetries],
            "all_asymmetries_equal": self.all_equal.to_dict() if self.all_equal else None,
            "reason": self.sentence,
        }


def _json_num(v: float | None) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


# --------------------------------------------------------------------------- asymmetries
def _asymmetric_inputs(scenario: Scenario, inputs: ModelInputs
                       ) -> list[tuple[tuple[str, ...], str, str, float, float]]:
    """(paths, label, option, value, equal value) of each input that favors one option."""
    mso, sw = scenario.mso, scenario.software
    out = []
    for opt, own, path, what in (("mso", mso.exit_multiple, "mso.exit_multiple", "MSO's exit multiple"),
                                 ("software_only", sw.exit_multiple, "software.exit_multiple",
                                  "Software option's exit multiple")):
        if own is not None and own != exit_multiple(scenario):
            out.append(((path,), what, opt, float(own), exit_multiple(scenario)))
    # An effect is set equal by giving it the value at which it adds nothing: none for the
    # MSO's (self-managed has no uplift or discount), the existing tool's for the software's
    # (its effects count only beyond the tool the baseline already has, msomodel.options.software).
    have = scenario.existing_software
    effects = (("mso", ("mso.revenue_uplift",), "MSO's revenue uplift", mso.revenue_uplift, 0.0),
               ("mso", ("mso.purchasing_discount", "mso.purchasing_discount_per_extra_site"),
                "MSO's purchasing discount", mso.purchasing_discount
                + mso.purchasing_discount_per_extra_site, 0.0),
               ("software_only", ("software.no_show_reduction",), "Software's no-show reduction",
                sw.no_show_reduction, have.no_show_reduction),
               ("software_only", ("software.online_booking_uplift",),
                "Software's online-booking uplift", sw.online_booking_uplift,
                have.online_booking_uplift),
               ("software_only", ("software.admin_hours_saved",), "Software's admin hours saved",
                sw.admin_hours_saved, have.admin_hours_saved))
    for opt, paths, what, value, neutral in effects:
        paths = tuple(p for p in paths if p in inputs.paths)
        if value > neutral and paths:  # an offer doing no more than the tool favors nothing
            out.append((paths, what, opt, float(P.base_value(inputs, paths[0])), float(neutral)))
    return out


def _best(npv: dict[str, np.ndarray], allowed: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Index into ``allowed`` of the best option per trial, and its lead over the next best."""
    stack = np.stack([npv[o] for o in allowed])          # (k, n)
    order = np.argsort(-stack, axis=0, kind="stable")
    best = order[0]
    top = np.take_along_axis(stack, order[:1], axis=0)[0]
    second = np.take_along_axis(stack, order[1:2], axis=0)[0] if len(allowed) > 1 else top * 0
    return best, top - second


# --------------------------------------------------------------------------- flips
def _search_range(scenario: Scenario, inputs: ModelInputs, path: str,
                  dists: dict[str, Any]) -> tuple[float, float]:
    base = P.base_value(inputs, path)
    d = dists.get(path)
    if d is not None and getattr(d, "dist", None) in ("uniform", "triangular", "pert"):
        lo, hi = d.low, d.high
    elif d is not None and d.dist == "normal":
        lo, hi = d.mean - 3 * d.sd, d.mean + 3 * d.sd
    elif d is not None and d.dist == "lognormal":
        mu, sigma = d.log_params()
        lo, hi = float(np.exp(mu - 3 * sigma)), float(np.exp(mu + 3 * sigma))
    elif path == P.FEE_LEVEL_PATH:
        lo, hi = 0.0, 3.0 * base
    else:
        lo, hi = 0.5 * base, 1.5 * base
    width = max(hi - lo, abs(base) * 0.5, 1e-6)
    lo, hi = min(lo, base) - 0.5 * width, max(hi, base) + 0.5 * width
    (lo, hi), _ = P.bounds(scenario, path).clip(np.array([lo, hi], dtype=float))
    return float(lo), float(hi)


def _lead(npv: dict[str, np.ndarray], leader: str, others: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The leader's NPV less the best other's, and which other is best, per trial."""
    stack = np.stack([npv[o] for o in others])
    return npv[leader] - stack.max(axis=0), stack.argmax(axis=0)


def find_flips(scenario: Scenario, inputs: ModelInputs, leader: str, others: list[str],
               paths: list[str], *, points: int = 9, rounds: int = 4) -> list[Flip]:
    """For each path, the value where ``leader`` stops leading ``others`` (nearest the base).

    Every path and point is one trial of the same batched engine call; each round narrows the
    bracket around the sign change nearest the current value, and the last bracket is closed by
    linear interpolation.
    """
    dists = {d.path: d for d in (scenario.uncertainty.distributions if scenario.uncertainty else [])}
    base = {p: P.base_value(inputs, p) for p in paths}
    brackets = {p: _search_range(scenario, inputs, p, dists) for p in paths}
    grids = {p: np.linspace(*brackets[p], points) for p in paths}
    found: dict[str, tuple[float, float, float, float, int]] = {}
    swing: dict[str, float] = {}
    active = [p for p in paths if brackets[p][1] > brackets[p][0]]
    for r in range(rounds):
        if not active:
            break
        lead = _evaluate(inputs, leader, others, {p: grids[p] for p in active}, base)
        nxt = []
        for p in active:
            f, who = lead[p]
            if r == 0:
                swing[p] = float(np.nanmax(f) - np.nanmin(f))
            x = grids[p]
            cross = np.nonzero(np.sign(f[:-1]) * np.sign(f[1:]) <= 0)[0]
            cross = [k for k in cross if f[k] != f[k + 1] or f[k] == 0]
            if not cross:
                if r == 0:
                    found.pop(p, None)
                continue
            k = min(cross, key=lambda k: abs(0.5 * (x[k] + x[k + 1]) - base[p]))
            side = k + 1 if abs(f[k]) < 1e-12 or f[k] > 0 else k
            found[p] = (x[k], x[k + 1], f[k], f[k + 1], int(who[side if f[side] <= 0 else k]))
            if r < rounds - 1 and x[k + 1] - x[k] > 1e-12 * max(1.0, abs(x[k])):
                grids[p] = np.linspace(x[k], x[k + 1], points)
                nxt.append(p)
        active = nxt
    out = []
    for p in paths:
        current = base[p]
        if p not in found:
            out.append(Flip(p, path_label(p), current, None, None, None, brackets[p], swing.get(p, 0.0)))
            continue
        a, b, fa, fb, who = found[p]
        value = a if fa == fb else a + (b - a) * fa / (fa - fb)
        above = fb > fa  # the lead grows with the input: the leader leads above the flip value
        out.append(Flip(p, path_label(p), current, float(value), "above" if above else "below",
                        others[who], brackets[p], swing.get(p, 0.0)))
    return sorted(out, key=lambda f: -f.swing)


def _evaluate(inputs: ModelInputs, leader: str, others: list[str], grids: dict[str, np.ndarray],
              base: dict[str, float]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The leader's lead over the best other option at every grid point of every path (one
    batched call: each path's points are trials with every other input at its base value)."""
    sizes = [len(g) for g in grids.values()]
    n = sum(sizes)
    values = {p: np.full(n, base[p]) for p in grids}
    lo = 0
    for p, g in grids.items():
        values[p][lo:lo + len(g)] = g
        lo += len(g)
    res = npv_by_path(inputs, values, n, chunk_size=max(n, 1), gaps=False)
    lead, who = _lead({o: res[f"{o}.npv"] for o in [leader, *others]}, leader, others)
    out, lo = {}, 0
    for p, g in grids.items():
        out[p] = (lead[lo:lo + len(g)], who[lo:lo + len(g)])
        lo += len(g)
    return out


# --------------------------------------------------------------------------- the decision
def _simulation(scenario: Scenario, inputs: ModelInputs, trials: int, seed: int
                ) -> tuple[mc.MonteCarloProblem | None, list[list[int]], str | None]:
    """The decision's Monte Carlo and its groups of blocks (one engine batch each), or None and
    why there is none."""
    spec = scenario.uncertainty
    if trials <= 0:
        return None, [], "the Monte Carlo was switched off (trials = 0)"
    if spec is None or not spec.distributions:
        return None, [], "the scenario declares no uncertainty (no uncertainty.distributions)"
    problem = mc.prepare(scenario, spec, trials, seed, inputs=inputs)
    return problem, mc.block_groups(problem, mc.DEFAULT_CHUNK_SIZE), None


def _draws(results: list[mc.BlockResult]) -> dict[str, np.ndarray]:
    """Per-trial NPV of every option, in trial order."""
    results = sorted(results, key=lambda r: r.block)
    return {o: np.concatenate([r.outcomes[f"{o}.npv"] for r in results]) for o in OPTIONS}


def percentile(values: np.ndarray, q: float) -> float:
    """``float(np.percentile(values, q))`` of a 1-d array, to the bit (numpy's default 'linear'
    rule): the same order statistics and interpolation, without the ``np.unique`` inside
    numpy's version, whose first call imports ``numpy.ma`` (~11 ms of every ``compare``)."""
    values = np.asarray(values)
    n = values.size
    if n == 0 or values.ndim != 1 or values.dtype.kind != "f" or not 0 <= q <= 100:
        return float(np.percentile(values, q))  # numpy's own answer, error or warning
    virtual = (n - 1) * (q / 100)
    below = math.floor(virtual)
    if virtual >= n - 1:  # numpy's bounds rule: the largest value
        below = above = n - 1
        gamma = virtual - (-1)
    else:
        above = below + 1
        gamma = virtual - below
    part = np.partition(values, [below, above, n - 1] if above < n - 1 else [below, n - 1])
    if np.isnan(part[-1]):  # NaN sorts last: numpy then answers NaN
        return float("nan")
    a, b = part[below], part[above]
    diff = b - a
    return float(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma)


def decide(scenario: Scenario, inputs: ModelInputs, npv: dict[str, float],
           allowed: list[str], *, trials: int = DEFAULT_TRIALS, seed: int = DEFAULT_SEED,
           sources: Callable[[str], str | None] | None = None,
           explain: bool = True, workers: int = 1) -> Decision:
    """The decision for one structure's options (see the module docstring).

    ``npv``: base-case NPV per option [USD]; ``allowed``: the options the owner may use;
    ``sources``: the source of an input path (for the asymmetric inputs), if known;
    ``explain=False`` skips the flip values and the asymmetric inputs (with ``trials=0``: the
    base-case ranking alone, what the explorer shows before the rest is computed);
    ``workers``: processes for the Monte Carlo and the explanations (forked where safe,
    :func:`msomodel.parallel.split_map`; the same result on any number).
    """
    horizon = inputs.horizon
    if not allowed:
        d = Decision("no_lawful_option", None, None, None, None, dict(npv), None, None, trials,
                     seed, horizon_months=horizon)
        d.sentence = ("No option is open to this owner under any structure the state rules allow here; "
                      "consult counsel before going further.")
        return d
    ranked = sorted(allowed, key=lambda o: -npv[o])
    leader = ranked[0]
    runner = ranked[1] if len(ranked) > 1 else None
    margin = npv[leader] - npv[runner] if runner else None
    others = [o for o in allowed if o != leader]
    explained = bool(others and explain)
    found = _asymmetric_found(scenario, inputs, allowed) if explained else []
    problem, groups, untested = _simulation(scenario, inputs, trials, seed)

    def run(task: tuple[str, list[int]]) -> Any:
        what, blocks = task
        if what == "trials":
            return mc.run_blocks(problem, blocks, mc.DEFAULT_CHUNK_SIZE, irr=False, gaps=False)
        if what == "asymmetries":
            return _asymmetries(inputs, found, allowed, sources)
        return find_flips(scenario, inputs, leader, others, _flip_paths(scenario, inputs, found))

    # Independent pieces of work, shared among `workers` processes in contiguous slices: with
    # two, one takes the first half of the trials and the asymmetries, the other the rest and
    # the flip search (the longer of the two explanations).  The same results on any number.
    tasks = [("trials", g) for g in groups]
    if explained:
        half = (len(tasks) + 1) // 2
        tasks = [*tasks[:half], ("asymmetries", []), *tasks[half:], ("flips", [])]
    with one_blas_thread():  # its pools found here, once, rather than in every forked child
        done = split_map(run, tasks, workers)
    results = [r for (what, _), out in zip(tasks, done, strict=True) if what == "trials"
               for r in out]
    explanations = {what: out for (what, _), out in zip(tasks, done, strict=True)
                    if what != "trials"}
    asym = explanations.get("asymmetries", ([], None))
    flips: list[Flip] = explanations.get("flips", [])
    draws = _draws(results) if problem is not None else None
    prob = p10 = None
    if draws is not None:
        best, _ = _best(draws, allowed)
        prob = {o: float(np.mean(best == j)) for j, o in enumerate(allowed)}
        p10 = {o: percentile(draws[o], 10) for o in allowed}
    if horizon < SHORT_HORIZON_MONTHS:
        verdict = "too_short"
    elif npv[leader] <= 0:
        verdict = "none_pays"
    elif prob is not None and others and prob[leader] < THRESHOLD:
        verdict = "too_close"
    else:
        verdict = "recommended"
    d = Decision(verdict, leader if verdict == "recommended" else None, leader, runner, margin,
                 dict(npv), prob, p10, trials if draws is not None else 0, seed, flips, asym[0],
                 asym[1], horizon_months=horizon, untested_reason=untested)
    d.sentence = sentence(d, inputs)
    return d


def _asymmetric_found(scenario: Scenario, inputs: ModelInputs, allowed: list[str]
                      ) -> list[tuple[tuple[str, ...], str, str, float, float]]:
    """The asymmetric inputs (:func:`_asymmetric_inputs`) that favor an option the owner may use."""
    return [a for a in _asymmetric_inputs(scenario, inputs) if a[2] in allowed]


def _flip_paths(scenario: Scenario, inputs: ModelInputs,
                found: list[tuple[tuple[str, ...], str, str, float, float]]) -> list[str]:
    """The inputs searched for a flip: the sampled ones, the asymmetric ones, the main drivers."""
    sampled = [d.path for d in (scenario.uncertainty.distributions if scenario.uncertainty else [])]
    candidates = [*sampled, *(paths[0] for paths, *_ in found), *DRIVERS,
                  *_management_fee_path(inputs)]
    return list(dict.fromkeys(p for p in candidates if P.check_path(inputs, p) is None))


def _management_fee_path(inputs: ModelInputs) -> list[str]:
    """The level of the fee the owner's MSO charges the friendly PC, if it has one: what the
    PC keeps is its physician owner's, so the fee moves the owner's value (and may flip it)."""
    if inputs.structure != "friendly_pc" or inputs.mgmt_fee_type == "sweep":
        return []  # a sweep takes all above the PC's margin: no fee level to move
    _, path, _ = fee_level(inputs.mgmt_fee_type, "mf", MANAGEMENT_FEE)
    return [path] if path else []


def _asymmetries(inputs: ModelInputs, found: list[tuple[tuple[str, ...], str, str, float, float]],
                 allowed: list[str], sources: Callable[[str], str | None] | None
                 ) -> tuple[list[Asymmetry], Asymmetry | None]:
    """Each asymmetric input of ``found`` set equal across options (one trial each), and all of
    them."""
    if not found:
        return [], None
    n = len(found) + 1
    values: dict[str, np.ndarray] = {}
    for j, (paths, _, _, _, equal) in enumerate(found):
        for p in paths:
            v = values.setdefault(p, np.full(n, P.base_value(inputs, p)))
            v[j] = v[-1] = equal
    res = npv_by_path(inputs, values, n, chunk_size=n, gaps=False)
    out = []
    for j, (paths, what, opt, value, equal) in enumerate([*found, ((), "All of them", "", 0.0, 0.0)]):
        npv = {o: float(res[f"{o}.npv"][j]) for o in allowed}
        ranked = sorted(allowed, key=lambda o: -npv[o])
        margin = npv[ranked[0]] - npv[ranked[1]] if len(ranked) > 1 else None
        src = next((s for s in (sources(p) if sources else None for p in paths) if s), None)
        out.append(Asymmetry(tuple(paths), what, opt, value, equal, src, ranked[0], margin, npv))
    return out[:-1], out[-1]


# --------------------------------------------------------------------------- words
def input_value(flip: Flip, v: float, inputs: ModelInputs) -> str:
    """A value of the flip's input in its unit: $ per site per month, %, x or a number."""
    return value_text(flip.path, v, inputs.fee_type)


def value_text(path: str, v: float, fee_type: str | None = None) -> str:
    """A value of input ``path`` in its unit: $ per site per month, %, x or a number
    (``fee_type``: the third-party MSO's fee structure, for its fee level)."""
    if path == P.FEE_LEVEL_PATH and fee_type is not None:
        return money(v) + " per site per month" if fee_type == "flat" else (
            f"{v:.2f}x the tier rates" if fee_type == "tiered" else f"{v:.1%}")
    if path.endswith("per_site_monthly"):
        return money(v) + " per site per month"
    if "multiple" in path and "exit" in path:
        return f"{v:.2f}x"
    if path.endswith("_multiplier"):
        return f"{v:.2f}x"
    if "rate" in path or "discount" in path or "uplift" in path or "reduction" in path or \
            "saved" in path or "percent" in path or "margin" in path or "markup" in path:
        return f"{v:.1%}"
    if abs(v) >= 100:
        return money(v)
    return f"{v:.3g}"


#: Inputs named as a reader would in a sentence ("while the MSO's fee is below ...").
NOUNS = {P.FEE_LEVEL_PATH: "the third-party MSO's fee",
         "adjustments.volume_multiplier": "volume", "adjustments.price_multiplier": "prices",
         "adjustments.wage_multiplier": "wages", "adjustments.opex_multiplier": "running costs",
         "finance.discount_rate_annual": "the discount rate",
         "finance.exit_multiple": "the exit multiple", "mso.exit_multiple": "the MSO's exit multiple",
         "mso.revenue_uplift": "the MSO's revenue uplift",
         "mso.purchasing_discount": "the MSO's purchasing discount",
         "software.no_show_reduction": "software's no-show reduction",
         "software.admin_hours_saved": "software's admin hours saved",
         "software.online_booking_uplift": "software's online-booking uplift",
         **{f"{MANAGEMENT_FEE}.{f}": "the management fee your MSO charges the PC"
            for f in ("per_site_monthly", "percent", "markup", "target_margin")}}


_PLURAL = {"prices", "wages", "running costs"}


def share(p: float) -> str:
    """A share of trials to one decimal, as the report's tables give it, never rounded to a
    certainty it is not: 0.9996 is 'over 99.9%', 0.0004 'under 0.1%'."""
    if 0.9995 <= p < 1.0:
        return "over 99.9%"
    if 0.0 < p < 0.0005:
        return "under 0.1%"
    return f"{p:.1%}"


def flip_phrase(flip: Flip, inputs: ModelInputs) -> str:
    """'volume is above 0.82x (assumed 1.00x)'."""
    noun = NOUNS.get(flip.path, lower_first(flip.label))
    verb = "are" if noun in _PLURAL else "is"
    return (f"{noun} {verb} {flip.stays_ahead} {input_value(flip, flip.value, inputs)} "
            f"(assumed {input_value(flip, flip.current, inputs)})")


def and_list(parts: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def sentence(d: Decision, inputs: ModelInputs) -> str:
    """The recommendation in words: the verdict, how sure, and what it rests on."""
    years = d.horizon_months / 12
    if d.verdict == "no_lawful_option":
        return d.sentence
    lead = OPTION_LABELS[d.leader]
    runner = OPTION_LABELS[d.runner_up] if d.runner_up else None
    found = [f for f in d.flips if f.value is not None][:SENTENCE_FLIPS]
    deciders = and_list([flip_phrase(f, inputs) for f in found]) if found else ""
    if d.verdict == "too_short":
        return (f"No recommendation: a {d.horizon_months}-month horizon is too short to judge a "
                f"med spa (at least {SHORT_HORIZON_MONTHS} months are needed; most pay back in "
                f"years 2 to 4). Over this horizon {lower_first(lead)} leads with an NPV of "
                f"{money(d.npv[d.leader])}.")
    if d.verdict == "none_pays":
        return (f"No option pays over {years:g} years: the best, {lower_first(lead)}, has an NPV of "
                f"{money(d.npv[d.leader])}, so none of them is recommended on these assumptions.")
    margin = (f", {money(d.margin)} more than {lower_first(runner)}"
              f" ({d.margin / abs(d.npv[d.leader]):.1%} of its NPV)") if runner else ""
    sure = ""
    if d.probability_best is not None and d.runner_up:
        p = d.probability_best[d.leader]
        sure = f"; it is best in {share(p)} of {d.trials:,} simulated trials"
    if d.verdict == "too_close":
        # named against the option that wins most of the trials the leader loses, which need
        # not be the base case's second
        prob = d.probability_best
        rival = max((o for o in prob if o != d.leader), key=lambda o: (prob[o], o == d.runner_up))
        rival_label = lower_first(OPTION_LABELS.get(rival, rival))
        if rival == d.runner_up:
            ahead = f"leads by {money(d.margin)} of NPV over {years:g} years"
        else:  # the margin over the rival named, then over the base case's second
            ahead = (f"leads {rival_label} by {money(d.npv[d.leader] - d.npv[rival])} of NPV over "
                     f"{years:g} years (and {lower_first(runner)}, second in the base case, by "
                     f"{money(d.margin)})")
        text = (f"Too close to call between {lower_first(lead)} and {rival_label}: "
                f"{lower_first(lead)} {ahead}, but is best in only {share(prob[d.leader])} of "
                f"{d.trials:,} simulated "
                f"trials (a recommendation needs {THRESHOLD:.0%}); {rival_label} is best in "
                f"{share(prob[rival])}.")
        if deciders:
            text += f" What decides it: {lower_first(lead)} leads while {deciders}."
        return text
    text = (f"{lead} is recommended: NPV {money(d.npv[d.leader])} over {years:g} "
            f"years{margin}{sure}.")
    if deciders:
        text += f" It stays ahead while {deciders}."
    if d.untested_reason and d.runner_up:
        text += f" How sure this is was not measured: {d.untested_reason}."
    return text[0].upper() + text[1:]
