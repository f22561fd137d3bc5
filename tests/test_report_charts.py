"""Charts saved for reports: drawn once, the same picture as ``savefig(bbox_inches="tight")``."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from msomodel.charts.save import png_bytes  # noqa: E402
from msomodel.charts.style import new_figure, styled  # noqa: E402


def chart(legend_below: bool = False) -> Figure:
    with styled():
        fig, ax = new_figure()
        ax.plot(np.arange(61), np.cumsum(np.linspace(-3e4, 5e4, 61)), lw=2, label="Self-managed")
        ax.set_title("Cumulative net cash flow")
        ax.set_xlabel("Month")
        if legend_below:  # an artist outside the axes, as the tornado chart's legend
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
        else:
            ax.legend(loc="upper left")
    return fig


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


@pytest.mark.parametrize("legend_below", [False, True])
def test_drawn_once_looks_like_the_tight_savefig(legend_below: bool) -> None:
    fig = chart(legend_below)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=170, bbox_inches="tight", facecolor="white")
    before, after = pixels(buf.getvalue()), pixels(png_bytes(chart(legend_below), dpi=170))
    assert before.shape == after.shape  # the same crop, to the pixel
    # Only anti-aliased edges differ (the crop is rounded to whole pixels, savefig's is not).
    assert np.abs(before - after).mean() < 3
    ink_before, ink_after = (before < 128).all(axis=2), (after < 128).all(axis=2)
    assert abs(int(ink_before.sum()) - int(ink_after.sum())) < 0.05 * ink_before.sum()


def test_the_figure_is_left_as_it_was() -> None:
    fig = chart()
    dpi, face = fig.dpi, fig.get_facecolor()
    png_bytes(fig, dpi=170)
    assert fig.dpi == dpi and fig.get_facecolor() == face
    with pytest.raises(ValueError, match="opaque"):
        png_bytes(fig, facecolor="none")


def test_each_chart_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fig = chart()
    draws = []
    original = Figure.draw

    def counting(self: Figure, renderer: object) -> None:
        draws.append(renderer)
        original(self, renderer)

    monkeypatch.setattr(Figure, "draw", counting)
    png_bytes(fig)
    assert len(draws) == 1


def test_dollar_amounts_print_without_a_backslash() -> None:
    """The style turns mathtext off, so "$" is a dollar as it stands (never "\\$")."""
    from pathlib import Path

    import msomodel
    from msomodel.charts import core

    root = Path(__file__).resolve().parents[1]
    result = msomodel.compare(msomodel.load_scenario(root / "scenarios" / "ohio_physician_single_site.yaml"),
                              trials=0)
    for make in (core.fee_bridge, core.breakeven_fee):
        fig = make(result)
        texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
        assert any("$" in t for t in texts), make.__name__
        assert not any("\\" in t for t in texts), [t for t in texts if "\\" in t]


def test_an_empty_figure_is_the_whole_blank_figure() -> None:
    fig = Figure(figsize=(2, 1))
    image = pixels(png_bytes(fig, dpi=100))
    assert image.shape[0] >= 100 and image.shape[1] >= 200 and (image == 255).all()


@pytest.mark.parametrize(("value", "label"), [
    (0, "$0"), (800, "$800"), (999.6, "$1k"), (12_500, "$12.5k"), (250_000, "$250k"),
    (999_999, "$1m"), (1_250_000, "$1.25m"), (1_500_000, "$1.5m"), (-2_000_000, "-$2m"),
    (123_456_789, "$123m")])
def test_money_ticks_keep_three_significant_figures(value: float, label: str) -> None:
    # and in the report's units: "$1.25m" as in its tables and text, "$12.5k"
    from msomodel.charts.style import MONEY

    assert MONEY(value) == label


@pytest.mark.parametrize("name", ["california_np_three_sites", "florida_entrepreneur_five_sites",
                                  "texas_rn_single_site"])
def test_no_chart_text_runs_past_the_figure(name: str) -> None:
    """Every label, tick, title and legend of the report's charts lies inside its figure: California's tornado label ("... less self-managed + software (base
    $965k)") ran past the right edge and was cut in the PDF."""
    from pathlib import Path

    import matplotlib.pyplot as plt

    import msomodel
    from msomodel.analysis.montecarlo import simulate
    from msomodel.analysis.sensitivity import tornado
    from msomodel.charts import core
    from msomodel.charts.uncertainty import simulation_chart, tornado_chart

    scenario = msomodel.load_scenario(Path(__file__).parents[1] / "scenarios" / f"{name}.yaml")
    t = tornado(scenario, scenario.uncertainty, "mso")
    result = msomodel.compare(scenario, trials=0)
    figures = [tornado_chart(t), tornado_chart(t, "software_only"),
               simulation_chart(simulate(scenario, None, 200, 1), "mso"),
               core.rollout(result), core.cumulative_cash_flow(result),
               core.ebitda_by_year(result), core.fee_bridge(result), core.breakeven_fee(result)]
    from msomodel.report.sections.common import FIGURE_MAX_HEIGHT

    for fig in figures:
        width, height = fig.get_size_inches()  # as the report draws it (figure_html)
        fig.set_size_inches(width, min(height, FIGURE_MAX_HEIGHT))
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        # what is drawn (ticks outside the view are not), in pixels, against the canvas
        drawn = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
        assert drawn.x0 >= -1 and drawn.y0 >= -1, (name, drawn.bounds)
        assert drawn.x1 <= fig.bbox.width + 1 and drawn.y1 <= fig.bbox.height + 1, (
            name, [t.get_text() for t in fig.findobj(matplotlib.text.Text)
                   if t.get_visible() and t.get_window_extent(renderer).x1 > fig.bbox.width],
            drawn.bounds, fig.bbox.bounds)
        for ax in fig.axes:  # at that height, no two labels of an axis overlap
            for labels in (ax.get_yticklabels(), ax.get_xticklabels()):
                boxes = [t.get_window_extent(renderer) for t in labels
                         if t.get_visible() and t.get_text().strip()]
                for a, b in itertools.pairwise(boxes):
                    assert not a.overlaps(b), (name, [t.get_text() for t in labels])
        plt.close(fig)


def test_a_tall_chart_is_redrawn_to_the_height_the_page_shows() -> None:
    """print.css shows a chart at most 80 mm tall; a taller figure (the fee bridge: 4.9 in) was
    shrunk whole to fit, its text with it (to 65 %). figure_html now draws it at that height."""
    import base64
    import re

    from msomodel.report.sections.common import FIGURE_MAX_HEIGHT, figure_html

    css = (Path(__file__).parents[1] / "msomodel" / "report" / "print.css").read_text()
    shown_mm = float(re.search(r"figure\.chart img \{[^}]*max-height: (\d+)mm", css)[1])
    assert FIGURE_MAX_HEIGHT * 25.4 <= shown_mm
    with styled():
        fig, ax = new_figure(7.0, 4.9)
        ax.barh(range(8), range(8))
    html = figure_html(fig, title="Tall", dpi=100)
    png = base64.b64decode(re.search(r'base64,([^"]+)"', html)[1])
    height_in = Image.open(io.BytesIO(png)).size[1] / 100
    assert height_in <= shown_mm / 25.4  # shown at its own size: text at its own size
