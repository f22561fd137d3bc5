"""Benchmark: one explorer recompute of a 5-site scenario.

Times, as medians (and 90th percentiles) over repeated runs after a warm-up:
(a) model: ``scenario_from_dict`` + the explorer's quick compare (``compare`` without the
    decision's flip search, asymmetric inputs and Monte Carlo; of which the break-even fee solve),
(b) table: key figures, HTML table, feasibility and compliance notes,
(c) chart data: cumulative cash flow, EBITDA by year and the break-even curve (one batched run),
(d) model + table + chart data (the target: well under 50 ms),
(e) drawing the three charts (matplotlib, updated in place, PNG; alternating between two
    settings),
(f) "What drives the answer": the tornado of the current settings (``msomodel.analysis.tornado``,
    one batched engine call for the MSO and software) and drawing it (updated in place, PNG,
    alternating between two nearby settings), which the page does after the table is shown,
(g) the decision the page adds after the table: Monte Carlo of ``model.MC_TRIALS`` trials, the
    flip values and the asymmetric inputs (``msomodel.decision.decide``),
(h) slider to table: a widget change until the key-figures table is on the page,
(i) the whole widget update without drawing (controls -> page, decision and tornado included),
(j) drawing alone, the three charts and the tornado for each of ``CHANGES`` successive slider
    positions (snapshots computed beforehand), in-place updates against today's
    redraw-everything drawing (``msomodel/explorer/draw.py`` of :data:`BASELINE_COMMIT`, read
    with ``git show``), interleaved, each pair's pixels compared (they differ only where text
    now sits at whole pixels, at most half a pixel away), and
(k) **the headline, what a founder waits for**: a slider change until the table *and every
    chart* (the three charts and the tornado, with the drivers behind it) show it, for
    ``CHANGES`` changes of the MSO fee slider and of the visits slider (which moves every
    chart), interleaved change by change against today's path in the same process (an
    Explorer drawing with today's classes, in today's order: the decision's Monte Carlo
    before the tornado); median and range.  The whole update, decision included, beside it.

``widget_update_with_drawing`` (read by ``bench_goals``) is (k) for the fee slider.
Timings on a shared machine are noisy: compare the ratios, measured in the same run.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_explorer``.
"""

from __future__ import annotations

import importlib.util
import io
import statistics
import subprocess
import sys
import tempfile
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
CHANGES = 24  # slider changes per series (>= 20)
BASELINE_COMMIT = "ffaf624"  # before the explorer's in-place charts (issue 17)
BASELINE_STAGES = ("_draw_charts", "_decide", "_compute_drivers", "_finish")
SLIDERS = {"fee_level": [10000 + 500 * i for i in range(CHANGES)],      # within $0-$40,000
           "visits": [80 + 2 * i for i in range(CHANGES)]}              # % of the scenario's


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


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_ms": statistics.median(ordered), "min_ms": ordered[0],
            "max_ms": ordered[-1], "p90_ms": ordered[int(0.9 * (len(ordered) - 1))],
            "changes": len(ordered)}


def _ratios(candidate: list[float], baseline: list[float]) -> dict[str, Any]:
    r = [c / b for c, b in zip(candidate, baseline, strict=True)]
    return {"ratio": statistics.median(r), "ratio_range": [min(r), max(r)]}


def baseline_draw() -> Any:
    """Today's ``msomodel/explorer/draw.py`` (:data:`BASELINE_COMMIT`) as a module, or None
    (no git history)."""
    try:
        text = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:msomodel/explorer/draw.py"],
                              cwd=ROOT, capture_output=True, check=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tempfile.TemporaryDirectory(prefix="msomodel-bench-explorer-") as folder:
        path = Path(folder) / "explorer_draw_baseline.py"
        path.write_text(text, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("explorer_draw_baseline", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)  # read: the file may go
    return module


def _pixels(png: bytes) -> Any:
    import numpy as np
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def drawing_vs_baseline(old: Any) -> dict[str, Any]:
    """(j): the three charts and the tornado drawn for each slider position, in place against
    today's classes, interleaved; with the pixels of each pair compared."""
    raw = model.load_raw(SCENARIO)
    snaps = []
    for key, values in SLIDERS.items():
        for v in values:
            settings = (model.Settings(fee_level=float(v)) if key == "fee_level"
                        else model.Settings(volume_multiplier=v / 100))
            snap = model.compute(model.apply_settings(raw, settings))
            snaps.append((snap, model.drivers(snap.result)))
    sides = {"candidate": (ChartSet(), TornadoChart()), "baseline": (old.ChartSet(), old.TornadoChart())}
    times: dict[str, list[float]] = {"candidate": [], "baseline": []}
    differing: list[float] = []
    for charts, tornado in sides.values():  # warm-up: first figures, fonts
        charts.draw(snaps[-1][0].charts)
        tornado.draw(snaps[-1][1])
    for i, (snap, drivers) in enumerate(snaps):
        pngs = {}
        for name in (("candidate", "baseline") if i % 2 == 0 else ("baseline", "candidate")):
            charts, tornado = sides[name]
            t = time.perf_counter()
            out = charts.draw(snap.charts)
            out["tornado"] = tornado.draw(drivers)
            times[name].append((time.perf_counter() - t) * 1e3)
            pngs[name] = out
        for k, png in pngs["candidate"].items():
            a, b = _pixels(png), _pixels(pngs["baseline"][k])
            differing.append(1.0 if a.shape != b.shape else float((a != b).any(axis=2).mean()))
    return {**_stats(times["candidate"]), "baseline": _stats(times["baseline"]),
            **_ratios(times["candidate"], times["baseline"]),
            "differing_pixels_max_share": max(differing)}


def _explorer(old: Any | None) -> tuple[Explorer, dict[str, float]]:
    """An Explorer, and where it notes when the tornado (its last chart) is drawn; with
    ``old``: today's drawing classes in today's order (the baseline)."""
    ex = Explorer(SCENARIO, debounce=0, draw=True)
    if old is not None:
        ex._charts, ex._tornado = old.ChartSet(), old.TornadoChart()
        ex.STAGES = BASELINE_STAGES
    marks: dict[str, float] = {}
    inner = ex._compute_drivers

    def drivers_then_mark(snap: Any) -> None:
        inner(snap)
        marks["charts"] = time.perf_counter()

    ex._compute_drivers = drivers_then_mark  # type: ignore[method-assign]
    return ex, marks


def widget_vs_baseline(old: Any | None) -> dict[str, Any]:
    """(k): slider change -> table and every chart (and the whole update), interleaved
    change by change against today's path."""
    sides = {"candidate": _explorer(None)}
    if old is not None:
        sides["baseline"] = _explorer(old)
    out: dict[str, Any] = {}
    for slider, values in SLIDERS.items():
        charts: dict[str, list[float]] = {name: [] for name in sides}
        whole: dict[str, list[float]] = {name: [] for name in sides}
        for ex, _ in sides.values():  # warm-up at a position not in the series
            ex.controls[slider].value = values[0] - (250 if slider == "fee_level" else 1)
        for i, value in enumerate(values):
            order = list(sides) if i % 2 == 0 else list(sides)[::-1]
            for name in order:
                ex, marks = sides[name]
                marks.clear()
                t = time.perf_counter()
                ex.controls[slider].value = value
                end = time.perf_counter()
                if "charts" not in marks or ex.error:
                    raise RuntimeError(f"{slider}={value}: the charts were not updated "
                                       f"({ex.error or 'no drivers'})")
                charts[name].append((marks["charts"] - t) * 1e3)
                whole[name].append((end - t) * 1e3)
        row = _stats(charts["candidate"])
        row["whole_update"] = _stats(whole["candidate"])
        if "baseline" in sides:
            row["baseline"] = _stats(charts["baseline"])
            row.update(_ratios(charts["candidate"], charts["baseline"]))
            row["whole_update"]["baseline"] = _stats(whole["baseline"])
            row["whole_update"].update(_ratios(whole["candidate"], whole["baseline"]))
        row["slider"] = slider
        out[slider] = row
    return out


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

    # (e), (f): alternate between two settings, since a chart whose data did not change is
    # not drawn again
    other = model.compute(model.apply_settings(model.load_raw(SCENARIO),
                                               model.Settings(volume_multiplier=0.9)))
    turns = iter(range(10**6))
    charts = ChartSet()
    out["draw_three_charts"] = _time(
        lambda: charts.draw((snap if next(turns) % 2 else other).charts), repeats=10)

    out["tornado"] = _time(lambda: model.drivers(snap.result))
    drivers = model.drivers(snap.result)
    out["tornado_inputs"] = len(drivers.result.table)
    # (the tornado between visits at 90 % and 92 %: the same leader and rows, so updated in
    # place; across a change of leader it is built again, as in (j) and (k))
    near = model.drivers(model.compute(model.apply_settings(
        model.load_raw(SCENARIO), model.Settings(volume_multiplier=0.92))).result)
    other_drivers = model.drivers(other.result)
    tornado = TornadoChart()
    out["draw_tornado"] = _time(
        lambda: tornado.draw(near if next(turns) % 2 else other_drivers), repeats=10)
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

    old = baseline_draw()
    out["baseline_commit"] = BASELINE_COMMIT if old is not None else None
    out["draw_charts_and_tornado"] = (drawing_vs_baseline(old) if old is not None else
                                      {"not_measured": "no git history for the baseline"})
    widget = widget_vs_baseline(old)
    out["widget_update_with_drawing"] = widget["fee_level"]
    out["widget_update_with_drawing_visits"] = widget["visits"]

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
            ("widget update, no drawing (all steps)", "widget_update_no_drawing")]
    for label, key in rows:
        print(f"  {label:<44} {out[key]['median_ms']:7.1f} ms  {out[key]['p90_ms']:7.1f} ms")
    _print_against_baseline(out)
    return out


def _print_against_baseline(out: dict[str, Any]) -> None:
    base = f"today's redraw-everything path ({out['baseline_commit']})" \
        if out["baseline_commit"] else "no baseline (no git history)"
    print(f"\nAgainst {base}, interleaved, median [min-max] over {CHANGES} changes each:")

    def line(label: str, row: dict[str, Any]) -> None:
        text = f"  {label:<52} {row['median_ms']:6.0f} ms [{row['min_ms']:.0f}-{row['max_ms']:.0f}]"
        if "baseline" in row:
            b = row["baseline"]
            text += (f"  vs {b['median_ms']:4.0f} ms [{b['min_ms']:.0f}-{b['max_ms']:.0f}]"
                     f"  ratio {row['ratio']:.2f} [{row['ratio_range'][0]:.2f}-"
                     f"{row['ratio_range'][1]:.2f}]")
        print(text)

    drawing = out["draw_charts_and_tornado"]
    if "median_ms" in drawing:
        line("drawing 3 charts + tornado", drawing)
        print(f"    (pixels differing from today's, text now at whole pixels: at most "
              f"{drawing['differing_pixels_max_share']:.1%} of a chart)")
    for key, name in (("widget_update_with_drawing", "MSO fee"),
                      ("widget_update_with_drawing_visits", "visits")):
        line(f"{name} slider -> table and every chart", out[key])
        line("  ... whole update (the decision's Monte Carlo too)", out[key]["whole_update"])


if __name__ == "__main__":
    main()
