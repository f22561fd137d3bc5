"""Drawing the explorer's three charts from :class:`~msomodel.explorer.model.ChartData`.

The figures are created once (``matplotlib.figure.Figure``, no pyplot state, no GUI backend) and
redrawn in place on every update; each draw returns PNG bytes for an ``Image`` widget.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from msomodel.charts.style import (
    INFEASIBLE_ALPHA,
    MONEY,
    MUTED,
    NEGATIVE,
    OPTION_COLORS,
    RC,
    styled,
)
from msomodel.explorer.model import ChartData
from msomodel.scenario import OPTIONS

CHARTS = ("cash_flow", "ebitda", "breakeven")
SIZE = (5.0, 3.1)
DPI = 100


def _legend_label(data: ChartData, option: str) -> str:
    label = data.labels[option]
    return label if data.allowed[option] else f"{label} (not permitted)"


class ChartSet:
    """Three reusable figures; :meth:`draw` returns ``{chart: png_bytes}``."""

    def __init__(self) -> None:
        with styled():
            # Fixed margins: a layout engine would cost more than the drawing itself.
            self.figures = {name: Figure(figsize=SIZE, dpi=DPI, layout="none",
                                   facecolor="white")
                            for name in CHARTS}
            for name, fig in self.figures.items():
                FigureCanvasAgg(fig)
                fig.add_subplot()
                left = 0.19 if name == "breakeven" else 0.14
                fig.subplots_adjust(left=left, right=0.97, top=0.9, bottom=0.16)

    def draw(self, data: ChartData) -> dict[str, bytes]:
        with styled():
            self._cash_flow(data)
            self._ebitda(data)
            self._breakeven(data)
            return {name: self._png(fig) for name, fig in self.figures.items()}

    @staticmethod
    def _png(fig: Figure) -> bytes:
        """Render once on the Agg canvas and encode fast (savefig would lay out twice)."""
        canvas = fig.canvas
        canvas.draw()
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def _axes(self, name: str):
        ax = self.figures[name].axes[0]
        ax.clear()
        ax.grid(True, axis="y", color=RC["grid.color"], linewidth=RC["grid.linewidth"])
        return ax

    def _cash_flow(self, data: ChartData) -> None:
        ax = self._axes("cash_flow")
        for option in OPTIONS:
            alpha = 1.0 if data.allowed[option] else INFEASIBLE_ALPHA
            ax.plot(data.months, data.cumulative[option], color=OPTION_COLORS[option], lw=2,
                    alpha=alpha, label=_legend_label(data, option))
        ax.axhline(0, color="#333", lw=0.8)
        ax.yaxis.set_major_formatter(MONEY)
        ax.set_xlim(0, data.months[-1])
        ax.set_xlabel("Month")
        ax.set_title("Cumulative net cash flow to the owner")
        ax.legend(loc="upper left")

    def _ebitda(self, data: ChartData) -> None:
        ax = self._axes("ebitda")
        width = 0.26
        for k, option in enumerate(OPTIONS):
            alpha = 1.0 if data.allowed[option] else INFEASIBLE_ALPHA
            ax.bar(data.years + (k - 1) * width, data.ebitda[option], width,
                   color=OPTION_COLORS[option], alpha=alpha, label=_legend_label(data, option))
        ax.axhline(0, color="#333", lw=0.8)
        ax.yaxis.set_major_formatter(MONEY)
        step = max(1, int(np.ceil(len(data.years) / 10)))
        ticks = data.years[::step]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"Year {y}" for y in ticks])
        ax.set_title("EBITDA by year")
        ax.legend(loc="upper left")

    def _breakeven(self, data: ChartData) -> None:
        ax = self._axes("breakeven")
        ax.plot(data.fee_levels, data.fee_values, color=OPTION_COLORS["mso"], lw=2)
        ax.axhline(0, color="#333", lw=0.8)
        ax.axvline(data.fee_current, color=MUTED, ls="--", lw=1.6, label="Chosen fee")
        if data.fee_breakeven is not None:
            ax.axvline(data.fee_breakeven, color=NEGATIVE, lw=1.6, label="Break-even fee")
        ax.yaxis.set_major_formatter(MONEY)
        if data.fee_scale == 1.0 and data.fee_xlabel.startswith("MSO fee [USD"):
            ax.xaxis.set_major_formatter(MONEY)
        ax.set_xlim(data.fee_levels[0], data.fee_levels[-1])
        ax.set_xlabel(data.fee_xlabel)
        ax.set_ylabel(data.fee_ylabel)
        ax.set_title(data.fee_title)
        ax.legend(loc="upper right")
