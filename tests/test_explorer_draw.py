"""The explorer's charts drawn in place: the same pixels as a fresh chart, only what changed.

Speed is measured in ``benchmarks/bench_explorer.py``, never here.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from msomodel.explorer import Explorer, model
from msomodel.explorer.canvas import TextCachingCanvas, clear_cache, png_bytes
from msomodel.explorer.draw import CHARTS, ChartSet, TornadoChart

ROOT = Path(__file__).resolve().parents[1]
OHIO = ROOT / "scenarios" / "ohio_physician_single_site.yaml"
FLORIDA = ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml"


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def same(a: bytes, b: bytes) -> bool:
    pa, pb = pixels(a), pixels(b)
    return pa.shape == pb.shape and bool((pa == pb).all())


@pytest.fixture(scope="module")
def snapshots() -> list[model.Snapshot]:
    """Florida through changes that keep the charts' shape (in place) and change it
    (fewer sites, another fee type, the friendly PC), and back."""
    raw = model.load_raw(FLORIDA)
    settings = [model.Settings(), model.Settings(fee_level=12000.0),
                model.Settings(fee_level=30000.0), model.Settings(volume_multiplier=0.5),
                model.Settings(n_sites=2), model.Settings(n_sites=2, fee_level=9000.0),
                model.Settings(fee_type="percentage", fee_level=0.08),
                model.Settings(fee_type="percentage", fee_level=0.12),
                model.Settings(structure="friendly_pc"), model.Settings(horizon_months=84),
                model.Settings(price_multiplier=1.1), model.Settings()]
    return [model.compute(model.apply_settings(raw, s)) for s in settings]


def test_charts_updated_in_place_match_fresh_charts(snapshots: list[model.Snapshot]) -> None:
    live = ChartSet()
    for i, snap in enumerate(snapshots):
        moved = live.draw(snap.charts)
        fresh = ChartSet().draw(snap.charts)
        assert set(moved) == set(CHARTS)
        for name in CHARTS:
            assert same(moved[name], fresh[name]), (i, name)


def test_the_tornado_updated_in_place_matches_a_fresh_one(
        snapshots: list[model.Snapshot]) -> None:
    live = TornadoChart()
    shapes = set()
    for i, snap in enumerate(snapshots[:6]):
        d = model.drivers(snap.result)
        for versus in d.versus:
            png = live.draw(d, versus)
            shapes.add(live._shape)
            assert png.startswith(b"\x89PNG")
            assert same(png, TornadoChart().draw(d, versus)), (i, versus)
    assert len(shapes) > 1  # both paths ran: new shapes built, same shapes moved


def test_unchanged_charts_are_not_drawn_again(snapshots: list[model.Snapshot]) -> None:
    charts, tornado = ChartSet(), TornadoChart()
    snap = snapshots[0]
    first = charts.draw(snap.charts)
    assert charts.redrawn == list(CHARTS)
    again = charts.draw(snap.charts)
    assert charts.redrawn == [] and again == first
    d = model.drivers(snap.result)
    png = tornado.draw(d)
    assert tornado.redrawn
    assert tornado.draw(d) is png and not tornado.redrawn
    # another fee: every chart that shows the fee or the MSO's figures is drawn again
    charts.draw(snapshots[1].charts)
    assert set(charts.redrawn) == set(CHARTS)


def _text_figure(canvas_class: type, shift: float) -> Figure:
    fig = Figure(figsize=(3.2, 2.0), dpi=100, facecolor="white")
    canvas_class(fig)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1e6])
    ax.set_title("Cash $ and a title", fontweight="bold")
    ax.set_ylabel("USD [rotated]")
    fig.text(0.1 + shift, 0.05, "moved by a fraction of a pixel", color="#B5403A", alpha=0.6,
             fontsize=7.5)
    fig.text(0.5, 0.5, "at an angle", rotation=30, fontsize=9)
    return fig


@pytest.mark.parametrize("shift", [0.0, 0.0013, 0.01])
def test_the_text_cache_draws_the_pixels_agg_draws(shift: float) -> None:
    clear_cache()
    cached = _text_figure(TextCachingCanvas, 0.0)
    cached.canvas.draw()  # fills the cache at shift 0
    cached = _text_figure(TextCachingCanvas, shift)
    plain = _text_figure(FigureCanvasAgg, shift)
    for fig in (cached, plain):
        fig.canvas.draw()
    assert (np.asarray(cached.canvas.buffer_rgba()) == np.asarray(plain.canvas.buffer_rgba())).all()


@pytest.mark.parametrize("shift", [0.0, 0.0013, 0.3])
def test_text_at_whole_pixels_does_not_depend_on_what_the_cache_holds(shift: float) -> None:
    def snapped(s: float) -> np.ndarray:
        fig = _text_figure(TextCachingCanvas, s)
        fig.canvas.snap = True
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba()).copy()

    clear_cache()
    cold = snapped(shift)
    snapped(0.0)  # the cache now holds strings drawn elsewhere
    assert (snapped(shift) == cold).all()
    clear_cache()
    assert (snapped(shift) == cold).all()


def test_png_bytes_hold_the_canvas_pixels_exactly() -> None:
    fig = _text_figure(TextCachingCanvas, 0.0)
    fig.canvas.draw()
    png = png_bytes(fig.canvas)
    assert png.startswith(b"\x89PNG")
    assert (pixels(png) == np.asarray(fig.canvas.buffer_rgba())).all()


def test_charts_and_tornado_are_up_to_date_before_the_monte_carlo(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0, draw=True, save_dir=tmp_path)
    seen: dict[str, object] = {}
    decide = ex._decide

    def check_then_decide(snap: model.Snapshot) -> None:
        seen["drivers_for_this_change"] = ex.drivers is not None and ex.drivers.base == \
            model.drivers(snap.result).base
        seen["decided"] = snap.decided
        decide(snap)

    ex._decide = check_then_decide  # type: ignore[method-assign]
    ex.controls["fee_level"].value = 15000
    assert seen == {"drivers_for_this_change": True, "decided": False}
    assert ex.snapshot.decided
    assert 0 < ex.snapshot.timings_ms["to_charts"] <= ex.timings_ms["page"]
