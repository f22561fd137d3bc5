"""Uncertainty pages: tornado, two-way grid and Monte Carlo, always for one pair of lawful
options: the recommended option (or the leader) against the best other lawful option (the
decision's runner-up), never against an option the owner may not use."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from msomodel import tables
from msomodel.compare import Comparison, lower_first
from msomodel.decision import value_text
from msomodel.report.sections.common import _e, amount, block, figure_html, frame_html, input_label
from msomodel.scenario import OPTIONS

Pair = tuple[str, str]


def uncertainty_pair(result: Comparison) -> Pair | None:
    """(outcome, baseline): the leader and the runner-up, both lawful; None with fewer than two
    lawful options."""
    d = result.decision
    if d.leader is None or d.runner_up is None:
        return None
    return d.leader, d.runner_up


def pair_words(result: Comparison, pair: Pair) -> str:
    """'the third-party MSO (recommended) against self-managed + software (the best other
    option open to this owner)'."""
    outcome, baseline = pair
    role = "recommended" if result.decision.option == outcome else "highest NPV, not recommended"
    return (f"{lower_first(result.label(outcome))} ({role}) against "
            f"{lower_first(result.label(baseline))} (the best other option open to this owner)")


def no_pair_note(result: Comparison) -> str:
    return ('<p class="callout unknown">Fewer than two management options are open to this '
            "owner, so there is no pair of options to compare; the uncertainty pages are "
            "left out.</p>")


# ----------------------------------------------------------------- computations (package calls)
def tornado_for(result: Comparison, pair: Pair) -> Any:
    from msomodel.analysis import tornado

    return tornado(result.scenario, outcome=pair[0], baseline=pair[1], inputs=result.inputs)


def simulate(result: Comparison, trials: int, seed: int) -> Any:
    """The Monte Carlo of the scenario's uncertainty section under the comparison's structure,
    with the decision's trials and seed (so its probabilities are the decision's); None when
    the scenario declares no distributions or ``trials`` is 0."""
    from msomodel.analysis.montecarlo import simulate as run

    spec = result.scenario.uncertainty
    if trials <= 0 or spec is None or not spec.distributions:
        return None
    return run(result.scenario, None, trials, seed, inputs=result.inputs)


def probability_best(result: Comparison, sim: Any) -> dict[str, float]:
    """Share of trials in which each lawful option has the highest NPV (as the decision)."""
    lawful = [o for o in OPTIONS if result.feasibility[o].allowed]
    npv = sim.outcomes[[f"{o}.npv" for o in lawful]].to_numpy()
    winner = np.argmax(npv, axis=1)
    return {o: float(np.mean(winner == j)) for j, o in enumerate(lawful)}


# ----------------------------------------------------------------- tornado
def tornado_figure(tornado: Any, outcome: str) -> Any:
    """The package's tornado chart (its legend is the figure's, below the axis label)."""
    from msomodel.charts.uncertainty import tornado_chart

    return tornado_chart(tornado, outcome)


def tornado_block(result: Comparison, tornado: Any, pair: Pair) -> str:
    outcome, baseline = pair
    base = tornado.base.get(outcome, float("nan"))
    col = f"{outcome}_swing"
    top = tornado.table.sort_values(col, ascending=False).head(1)
    lead = ""
    if len(top) and float(top.iloc[0][col]) > 0:
        r = top.iloc[0]
        lead = (f" The widest swing comes from {_e(lower_first(r['label']))}: from "
                f"{_e(amount(r[f'{outcome}_low']))} to "
                f"{_e(amount(r[f'{outcome}_high']))}.")
    note = (f"Pair: {_e(pair_words(result, pair))}. Each bar moves one input between its low and "
            f"high value with everything else as in the scenario; the line is the base case, "
            f"{_e(lower_first(result.label(outcome)))}'s NPV less "
            f"{_e(lower_first(result.label(baseline)))}'s: {_e(amount(base))}.{lead}")
    return figure_html(tornado_figure(tornado, outcome),
                       title=f"Sensitivity: what moves {lower_first(result.label(outcome))}'s "
                             "lead",
                       note=note, max_height=3.0)


# ----------------------------------------------------------------- grid
def grid_axes(result: Comparison, pair: Pair) -> tuple[tuple[str, Any, str], tuple[str, Any, str]]:
    """The two inputs the grid varies, with their values and axis labels.

    With the third-party MSO in the pair: its fee level against its purchasing discount (the
    deal's two levers).  With software in the pair: its no-show reduction against its admin
    hours saved.  Otherwise volume against wages.
    """
    from msomodel.analysis import paths as P

    def ok(path: str) -> bool:
        return P.check_path(result.inputs, path) is None

    if "mso" in pair and ok("mso.purchasing_discount"):
        be = result.breakeven
        top = 2.0 * max(be.current, be.level or 0.0) or 1.0
        if be.unit.startswith("share"):
            top = min(top, 1.0)
        if be.unit.startswith("USD"):
            fee = ("Third-party MSO fee (per site per month)", "money")
        elif be.unit.startswith("share"):
            fee = ("Third-party MSO fee (share of collections)", "percent")
        else:
            fee = (f"Third-party MSO fee ({be.unit})", "multiple")
        return (("mso.fee.level", np.linspace(0.0, top, 17), *fee),
                ("mso.purchasing_discount", np.linspace(0.0, 0.15, 13),
                 "Third-party MSO's purchasing discount", "percent"))
    if "software_only" in pair and ok("software.no_show_reduction") and ok("software.admin_hours_saved"):
        return (("software.no_show_reduction", np.linspace(0.0, 0.5, 11),
                 "Software's no-show reduction", "percent"),
                ("software.admin_hours_saved", np.linspace(0.0, 0.4, 9),
                 "Software's admin hours saved", "percent"))
    return (("adjustments.volume_multiplier", np.linspace(0.7, 1.3, 13), "Volume (x the scenario's)",
             "multiple"),
            ("adjustments.wage_multiplier", np.linspace(0.8, 1.2, 9), "Wages (x the scenario's)",
             "multiple"))


def grid_block(result: Comparison, pair: Pair) -> str:
    """Two-way grid of the pair's NPV difference with the break-even contour."""
    from msomodel.analysis.grid import grid
    from msomodel.charts.uncertainty import grid_heatmap

    outcome, baseline = pair
    (xp, xs, xl, xf), (yp, ys, yl, yf) = grid_axes(result, pair)
    found = grid(result.scenario, xp, xs, yp, ys, outcome=outcome, baseline=baseline,
                 inputs=result.inputs)
    a, b = lower_first(result.label(outcome)), lower_first(result.label(baseline))
    note = (f"Pair: {_e(pair_words(result, pair))}. Each cell is {_e(a)}'s NPV less {_e(b)}'s for "
            f"that pair of inputs, everything else as in the scenario; green: {_e(a)} is worth "
            "more. The black line is break-even; the white dot is this scenario.")
    return figure_html(grid_heatmap(found, xl, yl, x_format=xf, y_format=yf),
                       title=f"Two-way grid: where {a} stays ahead",
                       note=note, max_height=3.0)


# ----------------------------------------------------------------- Monte Carlo
def _dist_text(d: Any, fee_type: str | None = None) -> str:
    """A sampled input's range in words and in its unit: "0.70x to 1.15x, most likely 1.00x"."""
    v = d.model_dump()

    def g(key: str) -> str:
        return value_text(d.path, v[key], fee_type)

    if d.dist in ("pert", "triangular"):
        return f"{g('low')} to {g('high')}, most likely {g('mode')}"
    if d.dist == "uniform":
        return f"{g('low')} to {g('high')}, any value equally likely"
    if d.dist == "normal" or (d.dist == "lognormal" and v.get("mean") is not None):
        skew = ", never below 0" if d.dist == "lognormal" else ""
        return f"around {g('mean')}, typically within {g('sd')} of it{skew}"
    if d.dist == "lognormal":
        return f"positive, its logarithm around {g('mu')} (typically within {g('sigma')})"
    return str(d.dist)


def simulation_tables(result: Comparison, sim: Any, pair: Pair) -> str:
    """P5/P50/P95 of NPV per lawful option and of the pair's difference; how often each is best."""
    from msomodel.analysis.evaluate import gap_key

    outcome, baseline = pair
    lawful = [o for o in OPTIONS if result.feasibility[o].allowed]
    npv = {o: result.metrics[o]["npv"] for o in lawful}
    rows, base = {}, {}
    for option in lawful:
        v = sim.outcomes[f"{option}.npv"].to_numpy()
        rows[f"{result.label(option)}: NPV"] = v
        base[f"{result.label(option)}: NPV"] = npv[option]
    gap = f"{result.label(outcome)} less {lower_first(result.label(baseline))}"
    rows[gap] = sim.outcomes[gap_key(outcome, baseline)].to_numpy()
    base[gap] = npv[outcome] - npv[baseline]
    at = {k: float(np.mean(v <= base[k])) for k, v in rows.items()}  # the base case's percentile
    frame = pd.DataFrame.from_dict(
        {k: [amount(q) for q in np.percentile(v, [5, 50, 95])]
         + [amount(v.mean()), amount(base[k]), f"P{100 * at[k]:.0f}"]
         for k, v in rows.items()}, orient="index",
        columns=["P5", "P50 (median)", "P95", "Mean", "Base case", "Base case at"])
    d = result.decision
    prob = d.probability_best or probability_best(result, sim)
    pframe = pd.DataFrame.from_dict(
        {**{f"{result.label(o)} is best": [tables.pct(prob[o], 1)] for o in lawful},
         f"{result.label(outcome)} beats {lower_first(result.label(baseline))}":
             [tables.pct(sim.beats(outcome, baseline), 1)]},
        orient="index", columns=["Share of trials"])
    return (block(frame_html(frame, caption=f"Spread of NPV over {sim.trials:,} trials "
                                            "(the options open to this owner)",
                             column_classes=["num"] * 6)
                  + _base_case_note(result, rows, at, lawful))
            + block(frame_html(pframe, caption="How often each outcome occurs",
                               column_classes=["num"])))


def _base_case_note(result: Comparison, rows: dict[str, np.ndarray], at: dict[str, float],
                    lawful: list[str]) -> str:
    """Where the scenario's own figures (the base case) sit among the trials, in words, when
    they sit away from the middle: the headline NPVs are then not the typical outcome."""
    options = [(o, at[f"{result.label(o)}: NPV"]) for o in lawful]
    [(gap, gap_at)] = [(k, at[k]) for k in rows if not k.endswith(": NPV")]
    high = [(o, p) for o, p in options if p >= 0.6]
    low = [(o, p) for o, p in options if p <= 0.4]
    if not high and not low:
        return ""

    def named(found: list[tuple[str, float]]) -> str:
        return ", ".join(f"{lower_first(result.label(o))} P{100 * p:.0f}" for o, p in found)

    parts = []
    if high:
        parts.append(f"above the median of the trials ({named(high)}): more trials fall "
                     "below it than above (ranges that reach further down than up, or limits "
                     "such as capacity that cap the upside), so the NPVs quoted elsewhere in "
                     "this report are better than the typical outcome, which is the median")
    if low:
        parts.append(f"below the median of the trials ({named(low)}): more trials fall above "
                     "it than below")
    text = ("The base case (the scenario's own values, behind every other figure in this "
            "report) is " + "; and ".join(parts) + ".")
    if 0.4 < gap_at < 0.6:
        text += (f" The difference ({lower_first(gap)}) is near its median (P{100 * gap_at:.0f}): "
                 "the comparison itself is not tilted by the ranges.")
    return f"<p>{_e(text)}</p>"


def drivers_table(result: Comparison, sim: Any, pair: Pair) -> str:
    """The sampled inputs, the ranges they are drawn from, ranked by how strongly they move the
    pair's NPV difference (the simulation's rank correlation, in words)."""
    outcome, baseline = pair
    frame = sim.drivers(outcome, baseline=baseline)
    if frame.empty:
        return ""
    spec = result.scenario.uncertainty
    dists = {d.path: d for d in (getattr(spec, "distributions", None) or [])}
    a = result.label(outcome)
    out = pd.DataFrame({
        "Range drawn from": [_dist_text(dists[p], result.inputs.fee_type) if p in dists else ""
                             for p in frame["path"]],
        "Moves with the lead (-1 to +1)": ["—" if pd.isna(v) else
                                           ("0.00" if abs(v) < 0.005 else f"{v:+.2f}")
                                           for v in frame["spearman"]],
        f"Effect on {lower_first(a)}'s lead": [
            "—" if pd.isna(v) or abs(v) < 0.005 else ("raises it" if v > 0 else "lowers it")
            for v in frame["spearman"]],
    }, index=[input_label(p) for p in frame["path"]])
    corr = list(getattr(spec, "correlations", None) or [])
    note = "".join(f'<p class="small">{_e(input_label(c.paths[0]))} and '
                   f"{_e(lower_first(input_label(c.paths[1])))} are drawn together: they tend to "
                   f"move {'in step' if c.rank_correlation > 0 else 'in opposite directions'} "
                   f"(correlation {c.rank_correlation:+.2f}).</p>"
                   for c in corr)
    return block(frame_html(out, caption=f"What drives the result: the inputs drawn at random, "
                            f"ranked by how strongly they move {lower_first(a)}'s lead over "
                            f"{lower_first(result.label(baseline))} (+1: always together, 0: "
                            "not at all, -1: always opposite)",
                            column_classes=["text", "num", "text"]), note)


def uncertainty_section(result: Comparison, sim: Any, pair: Pair | None = None) -> list[str]:
    """The Monte Carlo part of the uncertainty section (or why there is none)."""
    pair = pair or uncertainty_pair(result)
    if sim is None:
        return ['<p class="callout unknown">The scenario declares no distributions '
                "(<em>uncertainty: distributions</em>), so no Monte Carlo simulation was run; "
                "the tornado above is the only uncertainty analysis in this report.</p>"]
    if pair is None:
        return [no_pair_note(result)]
    from msomodel.charts.uncertainty import simulation_chart

    outcome, baseline = pair
    d = result.decision
    prob = d.probability_best or probability_best(result, sim)
    a, b = lower_first(result.label(outcome)), lower_first(result.label(baseline))
    intro = (f"<p>{sim.trials:,} trials (random seed {sim.seed}), each drawing the uncertain inputs "
             "from the ranges the scenario gives; the same seed reproduces these figures exactly, "
             "and they are the trials "
             f"behind the decision. {_e(result.label(outcome))} is the best option open to this owner in "
             f"<strong>{tables.pct(prob[outcome], 1)}</strong> of trials, and beats {_e(b)} in "
             f"<strong>{tables.pct(sim.beats(outcome, baseline), 1)}</strong>.</p>")
    chart = figure_html(simulation_chart(sim, outcome, baseline=baseline),
                        title="Monte Carlo simulation", lead=intro, max_height=2.8,
                        note=f"Pair: {_e(pair_words(result, pair))}. Bars: how often each "
                             f"difference in NPV ({_e(a)} less {_e(b)}) occurred; line: share of "
                             f"trials at or below it. Right of the red line, {_e(a)} is worth "
                             "more.")
    return [chart, simulation_tables(result, sim, pair), drivers_table(result, sim, pair)]
