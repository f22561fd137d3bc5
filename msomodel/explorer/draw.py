"""Drawing the explorer's charts: the three of :class:`~msomodel.explorer.model.ChartData`
and the tornado of :class:`~msomodel.explorer.drivers.Drivers`.

The figures are created once (``matplotlib.figure.Figure``, no pyplot state, no GUI backend)
and updated in place on every change: their artists are moved (``set_data``, ``set_height``,
``set_xdata``) and the axes rescaled exactly as a freshly built chart would be, they are built
again only when what they show changes shape, and a chart whose content did not change is not
drawn at all.  Each draw returns PNG bytes for an ``Image`` widget.  Why not a client-side
chart library: drawing here is what costs, and it is mostly text (see :mod:`.canvas`, which
makes it cheap); the PNGs keep the charts exactly as the tests and reports know them, with no
new dependency.  ``benchmarks/bench_explorer.py`` measures it against the redraw-everything
charts of before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter

from msomodel.charts.style import (
    INFEASIBLE_ALPHA,
    MONEY,
    MUTED,
    NEGATIVE,
    OPTION_COLORS,
    RC,
    styled,
)
from msomodel.explorer.canvas import TextCachingCanvas, png_bytes
from msomodel.explorer.drivers import DRIVER_ROWS, Drivers
from msomodel.explorer.model import ChartData
from msomodel.formatting import lower_first
from msomodel.scenario import OPTIONS

CHARTS = ("cash_flow", "ebitda", "breakeven")
SIZE = (5.0, 3.1)
DPI = 100


def _legend_label(data: ChartData, option: str) -> str:
    label = data.labels[option]
    return label if data.allowed[option] else f"{label} (not permitted)"


class ChartSet:
    """Three reusable figures; :meth:`draw` returns ``{chart: png_bytes}``.

    A chart is built (its artists created, as a fresh figure would be) only when what it shows
    changes shape: the options' labels or permissions, the number of months or years, the
    fee's unit and labels, whether there is a break-even fee or a sale to mention.  Otherwise
    :meth:`draw` moves its artists in place (``set_data``, ``set_height``, ``set_xdata``) and
    rescales the axes; a chart whose content did not change at all is not drawn again (its
    last PNG is returned; :attr:`redrawn` names the charts drawn by the last call).  Drawing
    goes through :class:`~msomodel.explorer.canvas.TextCachingCanvas` (text at whole pixels).
    """

    def __init__(self) -> None:
        self.redrawn: list[str] = []
        self._shape: dict[str, tuple | None] = dict.fromkeys(CHARTS)
        self._last: dict[str, tuple[tuple, bytes]] = {}
        self._artists: dict[str, dict[str, Any]] = {name: {} for name in CHARTS}
        with styled():
            # Fixed margins: a layout engine would cost more than the drawing itself.
            self.figures = {name: Figure(figsize=SIZE, dpi=DPI, layout="none",
                                   facecolor="white")
                            for name in CHARTS}
            for fig in self.figures.values():
                TextCachingCanvas(fig, snap=True)

    def draw(self, data: ChartData) -> dict[str, bytes]:
        out, self.redrawn = {}, []
        with styled():
            for name in CHARTS:
                content = _content(name, data)
                last = self._last.get(name)
                if last is not None and last[0] == content:
                    out[name] = last[1]
                    continue
                built = getattr(self, f"_{name}")(data)
                out[name] = self._png(self.figures[name])
                if built:
                    _freeze_labels(self.figures[name].axes[0], keep_y=name == "breakeven")
                self._last[name] = (content, out[name])
                self.redrawn.append(name)
        return out

    @staticmethod
    def _png(fig: Figure) -> bytes:
        """Render once on the Agg canvas and encode fast (savefig would lay out twice)."""
        fig.canvas.draw()
        return png_bytes(fig.canvas)

    def _axes(self, name: str):
        """New axes for chart ``name`` (a chart built again starts from nothing)."""
        fig = self.figures[name]
        fig.clear()
        ax = fig.add_subplot()
        left = 0.19 if name == "breakeven" else 0.14
        fig.subplots_adjust(left=left, right=0.97, top=0.9, bottom=0.16)
        ax.grid(True, axis="y", color=RC["grid.color"], linewidth=RC["grid.linewidth"])
        self._artists[name] = {}
        return ax

    def _rebuilt(self, name: str, shape: tuple) -> bool:
        """True if ``name`` had to be built afresh for ``shape`` (else: update in place)."""
        if self._shape[name] == shape:
            return False
        self._shape[name] = shape
        return True

    @staticmethod
    def _rescale(ax, zero) -> None:
        """Autoscale as a fresh chart does: on the data alone, then, only if the zero line
        falls outside, on the zero line too (``axhline`` asks for a rescale only then)."""
        zero.set_visible(False)
        ax.relim(visible_only=True)
        zero.set_visible(True)
        ax.autoscale_view()
        low, high = ax.get_ybound()
        if not low <= 0 <= high:
            ax.relim()
            ax.autoscale_view()

    def _cash_flow(self, data: ChartData) -> bool:
        shape = (tuple(_legend_label(data, o) for o in OPTIONS), tuple(data.allowed.values()),
                 bool(data.exit_value), len(data.months))
        note = _sale_note(data)
        if not self._rebuilt("cash_flow", shape):
            art = self._artists["cash_flow"]
            for option in OPTIONS:
                art[option].set_data(data.months, data.cumulative[option])
            if note is not None:
                art["note"].set_text(note)
            self._rescale(self.figures["cash_flow"].axes[0], art["zero"])
            return False
        ax = self._axes("cash_flow")
        art = self._artists["cash_flow"]
        for option in OPTIONS:
            alpha = 1.0 if data.allowed[option] else INFEASIBLE_ALPHA
            (art[option],) = ax.plot(data.months, data.cumulative[option],
                                     color=OPTION_COLORS[option], lw=2, alpha=alpha,
                                     label=_legend_label(data, option))
        art["zero"] = ax.axhline(0, color="#333", lw=0.8)
        ax.yaxis.set_major_formatter(MONEY)
        ax.set_xlim(0, data.months[-1])
        ax.set_xlabel("Month")
        ax.set_title("Cumulative cash to the owner, before the sale", y=1.0)
        ax.legend(loc="upper left")
        if note is not None:
            art["note"] = ax.text(0.99, 0.03, note, transform=ax.transAxes, ha="right",
                                  va="bottom", fontsize=7.5, color=MUTED)
        return True

    def _ebitda(self, data: ChartData) -> bool:
        shape = (tuple(_legend_label(data, o) for o in OPTIONS), tuple(data.allowed.values()),
                 tuple(data.years.tolist()))
        if not self._rebuilt("ebitda", shape):
            art = self._artists["ebitda"]
            for option in OPTIONS:
                for rect, value in zip(art[option], data.ebitda[option], strict=True):
                    rect.set_height(value)
            self._rescale(self.figures["ebitda"].axes[0], art["zero"])
            return False
        ax = self._axes("ebitda")
        art = self._artists["ebitda"]
        width = 0.26
        for k, option in enumerate(OPTIONS):
            alpha = 1.0 if data.allowed[option] else INFEASIBLE_ALPHA
            art[option] = ax.bar(data.years + (k - 1) * width, data.ebitda[option], width,
                                 color=OPTION_COLORS[option], alpha=alpha,
                                 label=_legend_label(data, option)).patches
        art["zero"] = ax.axhline(0, color="#333", lw=0.8)
        ax.yaxis.set_major_formatter(MONEY)
        step = max(1, int(np.ceil(len(data.years) / 10)))
        ticks = data.years[::step]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"Year {y}" for y in ticks])
        ax.set_title("EBITDA by year", y=1.0)
        ax.legend(loc="upper left")
        return True

    def _breakeven(self, data: ChartData) -> bool:
        money_x = data.fee_scale == 1.0 and data.fee_xlabel.startswith("MSO fee [USD")
        shape = (data.fee_breakeven is None, money_x, data.fee_xlabel, data.fee_ylabel,
                 data.fee_title, len(data.fee_levels))
        if not self._rebuilt("breakeven", shape):
            art = self._artists["breakeven"]
            art["curve"].set_data(data.fee_levels, data.fee_values)
            art["current"].set_xdata([data.fee_current, data.fee_current])
            if data.fee_breakeven is not None:
                art["breakeven"].set_xdata([data.fee_breakeven, data.fee_breakeven])
            ax = self.figures["breakeven"].axes[0]
            ax.set_xlim(data.fee_levels[0], data.fee_levels[-1])
            self._rescale(ax, art["zero"])
            return False
        ax = self._axes("breakeven")
        art = self._artists["breakeven"]
        (art["curve"],) = ax.plot(data.fee_levels, data.fee_values, color=OPTION_COLORS["mso"],
                                  lw=2)
        art["zero"] = ax.axhline(0, color="#333", lw=0.8)
        art["current"] = ax.axvline(data.fee_current, color=MUTED, ls="--", lw=1.6,
                                    label="Chosen fee")
        if data.fee_breakeven is not None:
            art["breakeven"] = ax.axvline(data.fee_breakeven, color=NEGATIVE, lw=1.6,
                                          label="Break-even fee")
        ax.yaxis.set_major_formatter(MONEY)
        if money_x:
            ax.xaxis.set_major_formatter(MONEY)
        ax.set_xlim(data.fee_levels[0], data.fee_levels[-1])
        ax.set_xlabel(data.fee_xlabel)
        ax.set_ylabel(data.fee_ylabel)
        ax.set_title(data.fee_title, y=1.0)
        ax.legend(loc="upper right")
        return True


def _freeze_labels(ax: Any, keep_y: bool = False) -> None:
    """Keep the axis labels where the last draw put them, so that later draws skip measuring
    every tick label to place them (a sixth of a redraw).  Below the x axis the tick labels
    are one line of one font, as tall whatever they say, so the place holds; the y axes have
    no label except the break-even chart's (``keep_y``), which still follows its tick labels'
    width.  An empty label draws nothing wherever it is."""
    axes_y = ax.transAxes.inverted().transform((0.0, ax.xaxis.label.get_position()[1]))[1]
    ax.xaxis.set_label_coords(0.5, axes_y)
    if not keep_y:
        ax.yaxis.set_label_coords(0.0, 0.5)


def _sale_note(data: ChartData) -> str | None:
    if not data.exit_value:
        return None
    best = max(data.exit_value.values())
    # Not escaped: the style draws text as text (text.parse_math off), so "\$" would show.
    return f"Sale at month {int(data.months[-1])} not drawn: up to {MONEY(best)} (see Exit value)"


def _content(name: str, data: ChartData) -> tuple:
    """Everything chart ``name`` shows, as a comparable key."""
    common = (tuple(data.labels.items()), tuple(data.allowed.items()))
    if name == "cash_flow":
        return (*common, data.months.tobytes(),
                *(np.asarray(data.cumulative[o]).tobytes() for o in OPTIONS),
                _sale_note(data))
    if name == "ebitda":
        return (*common, data.years.tobytes(),
                *(np.asarray(data.ebitda[o]).tobytes() for o in OPTIONS))
    return (data.fee_levels.tobytes(), data.fee_values.tobytes(), data.fee_current,
            data.fee_breakeven, data.fee_scale, data.fee_xlabel, data.fee_ylabel, data.fee_title)


TORNADO_WIDTH = 9.2          # [in] at DPI: about the width of the results column
TORNADO_LEFT = 3.55          # [in] room for the assumptions and their ranges
TORNADO_ROW = 0.32           # [in] per assumption
TORNADO_TOP = 0.42           # [in] the title
TORNADO_BOTTOM = 0.62        # [in] the money axis and the legend
LOW_SHADE = 0.38             # opacity of the "low value" bars relative to the "high" ones


class _StepMoney(Formatter):
    """``$1.15M``, ``$450k``: like the package's money ticks, with as many decimals as the tick
    spacing needs (so neighboring ticks never read the same)."""

    ticks: np.ndarray = np.empty(0)

    def set_locs(self, locs) -> None:
        self.ticks = np.asarray(locs, dtype=float)

    def __call__(self, x: float, pos: int | None = None) -> str:
        locs = self.ticks
        step = float(np.min(np.diff(locs))) if locs.size > 1 else abs(x) or 1.0
        sign, a = ("-" if x < 0 else ""), abs(x)
        if a < 0.5:
            return "$0"
        if a >= 1e6 or step >= 1e6:
            places = 0 if step >= 1e6 else 1 if step >= 1e5 else 2 if step >= 1e4 else 3
            return f"{sign}${a / 1e6:.{places}f}M"
        if a >= 1e3:
            places = 0 if step >= 1e3 else 1
            return f"{sign}${a / 1e3:.{places}f}k"
        return f"{sign}${a:.0f}"


class TornadoChart:
    """One reusable figure: the tornado of the incremental NPV of the MSO or of software.

    Each bar starts at the current incremental NPV (the dark line) and ends where moving one
    assumption to its low value (light) or high value (dark) takes it; when both ends fall on
    the same side the shorter bar is drawn on top.  The axes and styling are set up once; a
    redraw replaces only the bars, lines and labels.
    """

    def __init__(self, rows: int = DRIVER_ROWS) -> None:
        self.rows = rows
        self.redrawn = False
        self._artists: list = []
        self._bars: list = []
        self._base_line: Any = None
        self._shape: tuple | None = None
        self._last: tuple[tuple, bytes] | None = None
        with styled():
            self.figure = Figure(figsize=(TORNADO_WIDTH, 3.0), dpi=DPI, layout="none",
                                 facecolor="white")
            TextCachingCanvas(self.figure, snap=True)
            ax = self.axes = self.figure.add_subplot()
            ax.xaxis.set_major_formatter(_StepMoney())
            ax.grid(True, axis="x", color=RC["grid.color"], linewidth=RC["grid.linewidth"])
            ax.grid(False, axis="y")
            ax.set_axisbelow(True)
            ax.spines["left"].set_visible(False)
            ax.tick_params(axis="y", length=0, labelsize=9)
            self.title = self.figure.text(0.012, 1.0, "", ha="left", va="top", fontsize=10.5,
                                          fontweight="bold", color="#1f2a33")

    def draw(self, d: Drivers, versus: str | None = None) -> bytes:
        versus = versus or d.versus[0]
        outcome = d.leader
        rows = d.rows[versus][: self.rows]
        n = max(len(rows), 1)
        base = d.base[versus]
        color = np.array(to_rgba(OPTION_COLORS[outcome]))
        alpha = 1.0 if d.allowed[versus] else INFEASIBLE_ALPHA
        shade = {False: color * [1, 1, 1, LOW_SHADE * alpha], True: color * [1, 1, 1, alpha]}
        y = np.arange(len(rows))[::-1].astype(float)
        ends = np.array([[r.low_npv, r.high_npv] for r in rows]).reshape(-1, 2)
        longer = np.abs(ends[:, 1] - base) >= np.abs(ends[:, 0] - base)  # high end longer?
        lo, hi = float(min(base, ends.min(initial=base))), float(max(base, ends.max(initial=base)))
        pad = 0.06 * (hi - lo or abs(base) or 1.0)
        zero = lo - pad < 0 < hi + pad
        labels = [f"{r.label}   {r.low_text} – {r.high_text}" for r in rows]
        title = (f"{d.labels[outcome]}: NPV advantage over {lower_first(d.labels[versus])} "
                 "as one assumption at a time moves")
        content = (title, tuple(labels), base, ends.tobytes(), alpha, outcome)
        if self._last is not None and self._last[0] == content:
            self.redrawn = False
            return self._last[1]
        shape = (len(rows), outcome, alpha, zero, d.labels[versus] if zero else None)
        fig, ax = self.figure, self.axes
        with styled():
            built = shape != self._shape
            if built:
                self._build(rows, n, y, ends, longer, base, shade, zero, d.labels[versus])
                self._shape = shape
            else:  # the same bars, lines and legend: move them
                for first, bars in zip((True, False), self._bars, strict=True):
                    is_high = longer if first else ~longer
                    value = np.where(is_high, ends[:, 1], ends[:, 0])
                    for rect, v, h in zip(bars, value, is_high, strict=True):
                        rect.set_x(base)
                        rect.set_width(v - base)
                        rect.set_facecolor(shade[bool(h)])
                        rect.sticky_edges.x[:] = [base]
                self._base_line.set_xdata([base, base])
            ax.set_xlim(lo - pad, hi + pad)
            ax.set_yticks(y, labels)
            self.title.set_text(title)
            png = ChartSet._png(fig)
            if built:
                _freeze_labels(ax)
        self._last, self.redrawn = (content, png), True
        return png

    def _build(self, rows: list, n: int, y: np.ndarray, ends: np.ndarray, longer: np.ndarray,
               base: float, shade: dict, zero: bool, versus_label: str) -> None:
        """New bars, lines and legend for a new shape (rows, colors, the zero line)."""
        fig, ax = self.figure, self.axes
        height = TORNADO_TOP + TORNADO_BOTTOM + TORNADO_ROW * n
        fig.set_size_inches(TORNADO_WIDTH, height)
        fig.subplots_adjust(left=TORNADO_LEFT / TORNADO_WIDTH, right=0.975,
                            top=1 - TORNADO_TOP / height, bottom=TORNADO_BOTTOM / height)
        self.title.set_y(1 - 0.1 / height)
        for artist in self._artists:
            artist.remove()
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        new, self._bars = [], []
        for first in (True, False):  # the longer bar of each row first, the shorter on top
            is_high = longer if first else ~longer
            value = np.where(is_high, ends[:, 1], ends[:, 0])
            bars = ax.barh(y, value - base, left=base, height=0.62, linewidth=0,
                           color=[shade[bool(h)] for h in is_high])
            new.append(bars)
            self._bars.append(bars.patches)
        ax.set_ylim(-0.6, n - 0.4)
        self._base_line = ax.axvline(base, color="#1f2a33", lw=1.3)
        new.append(self._base_line)
        handles = [Patch(color=shade[False], label="Assumption at its low value"),
                   Patch(color=shade[True], label="Assumption at its high value"),
                   Line2D([], [], color="#1f2a33", lw=1.3, label="Current settings")]
        if zero:
            new.append(ax.axvline(0, color=NEGATIVE, lw=1.1, ls="--"))
            handles.append(Line2D([], [], color=NEGATIVE, lw=1.1, ls="--",
                                  label=f"Level with {lower_first(versus_label)}"))
        if rows:
            axes_height = height - TORNADO_TOP - TORNADO_BOTTOM
            ax.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=8.5,
                      bbox_to_anchor=(0.5 - 0.5 * TORNADO_LEFT / (TORNADO_WIDTH - TORNADO_LEFT),
                                      -0.27 / axes_height),
                      borderaxespad=0.0, handlelength=1.6, columnspacing=1.4)
        else:
            new.append(ax.text(0.5, 0.5, "No varied assumption changes this figure.",
                               transform=ax.transAxes, ha="center", va="center", color=MUTED))
        self._artists = new
