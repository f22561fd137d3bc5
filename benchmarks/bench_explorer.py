"""Benchmark: one explorer recompute of a 5-site scenario.

Times, as medians (and 90th percentiles) over repeated runs after a warm-up:
(a) model: ``scenario_from_dict`` + the explorer's quick compare (``compare`` without the
    decision's flip search, asymmetric inputs and Monte Carlo; of which the break-even fee solve),
(b) table: key figures, HTML table, feasibility and compliance notes,
(c) chart data: cumulative cash flow, EBITDA by year and the break-even curve (one batched run),
(d) model + table + chart data (the target: well under 50 ms),
(e) drawing the three charts (matplotlib, reused figures, PNG),
(f) "What drives the answer": the tornado of the current settings (``msomodel.analysis.tornado``,
    one batched engine call for the MSO and software) and drawing it (reused figure, PNG), which
    the page does after the table is shown, and
(g) the decision the page adds after the table: Monte Carlo of ``model.MC_TRIALS`` trials, the
    flip values and the asymmetric inputs (``msomodel.decision.decide``),
(h) slider to table: a widget change until the key-figures table is on the page, and
(i) the whole widget update (controls -> page), with and without drawing, decision and tornado
    included.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_explorer``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from msomodel import metrics
from msomodel.explorer import Explorer, model
from msomodel.explorer.draw import ChartSet, TornadoChart
from msomodel.inputs import compile_inputs
from msomodel.loader import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml"
REPEATS = 30


def _time(fn: Callable[[], Any], repeats: int = REPEATS) -> dict[str, float]:
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e3)
    samples.sort()
    return {"median_ms": statistics.median(samples),
            "p90_ms": samples[int(0.9 * (len(samples) - 1))]}


def main() -> dict[str, Any]:
    data = model.apply_settings(model.load_raw(SCENARIO), model.Settings())
    assert len(data["sites"]) == 5
    snap = model.compute(data)
    parts: dict[str, list[float]] = {"model": [], "table": [], "chart_data": [], "total": []}
    model.compute(data)
    for _ in range(REPEATS):
        timings = model.compute(data).timings_ms
        for key in parts:
            parts[key].append(timings[key])
    out: dict[str, Any] = {"scenario": SCENARIO.name, "sites": 5, "repeats": REPEATS}
    for key, samples in parts.items():
        samples.sort()
        out[key] = {"median_ms": statistics.median(samples),
                    "p90_ms": samples[int(0.9 * (len(samples) - 1))]}

    scenario = scenario_from_dict(data)
    inputs = compile_inputs(scenario)
    base_npv = snap.result.metrics["self_managed"]["npv"]
    out["breakeven_solve_in_compare"] = _time(lambda: metrics.breakeven(inputs, base_npv))

    charts = ChartSet()
    out["draw_three_charts"] = _time(lambda: charts.draw(snap.charts), repeats=10)

    out["tornado"] = _time(lambda: model.drivers(snap.result))
    drivers = model.drivers(snap.result)
    out["tornado_inputs"] = len(drivers.result.table)
    tornado = TornadoChart()
    out["draw_tornado"] = _time(lambda: tornado.draw(drivers), repeats=10)
    out["model_table_chart_data_tornado"] = {
        k: out["total"][k] + out["tornado"][k] for k in ("median_ms", "p90_ms")}
    out["decision_mc"] = _time(lambda: model.decide_snapshot(model.compute(data)), repeats=5)
    out["decision_mc"] = {k: v - out["total"]["median_ms"] for k, v in out["decision_mc"].items()}

    levels = iter(range(10000, 10000 + 250 * 1000, 250))  # within the slider (max $40,000)
    quiet = Explorer(SCENARIO, debounce=0, draw=False)
    to_table: list[float] = []

    def update() -> None:
        quiet.controls["fee_level"].value = next(levels)
        to_table.append(quiet.snapshot.timings_ms["to_table"])

    out["widget_update_no_drawing"] = _time(update, repeats=10)
    to_table.sort()
    out["slider_to_table"] = {"median_ms": statistics.median(to_table),
                              "p90_ms": to_table[int(0.9 * (len(to_table) - 1))]}
    full = Explorer(SCENARIO, debounce=0, draw=True)
    out["widget_update_with_drawing"] = _time(
        lambda: setattr(full.controls["fee_level"], "value", next(levels)), repeats=5)

    print(f"Explorer recompute, {SCENARIO.name} (5 sites), median / p90 over {REPEATS} runs:")
    print("  (the page shows the table first; charts and tornado follow in the next loop step)")
    rows = [("model (scenario_from_dict + compare)", "model"),
            ("  of which the break-even fee solve", "breakeven_solve_in_compare"),
            ("table (key figures, HTML, notes)", "table"), ("chart data", "chart_data"),
            ("model + table + chart data", "total"), ("drawing the three charts", "draw_three_charts"),
            (f"tornado ({out['tornado_inputs']} inputs, 1 engine call)", "tornado"),
            ("drawing the tornado", "draw_tornado"),
            ("model + table + chart data + tornado", "model_table_chart_data_tornado"),
            (f"decision ({model.MC_TRIALS} trials, flips, asymmetries)", "decision_mc"),
            ("slider to table (widget)", "slider_to_table"),
            ("widget update, no drawing (all steps)", "widget_update_no_drawing"),
            ("widget update, with drawing", "widget_update_with_drawing")]
    for label, key in rows:
        print(f"  {label:<44} {out[key]['median_ms']:7.1f} ms  {out[key]['p90_ms']:7.1f} ms")
    return out


if __name__ == "__main__":
    main()
