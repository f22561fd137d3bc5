"""Sensitivity and Monte Carlo charts: tornado, heatmap with break-even contour, distribution.

Each function takes a result of :mod:`msomodel.analysis` and returns a matplotlib Figure in
the package style (legible when printed ~16 cm wide).
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from msomodel.analysis.evaluate import gap_key
from msomodel.analysis.grid import GridResult
from msomodel.analysis.montecarlo import SimulationResult
from msomodel.analysis.sensitivity import TornadoResult, label
from msomodel.charts.style import (
    MONEY,
    MUTED,
    NEGATIVE,
    OPTION_COLORS,
    POSITIVE,
    new_figure,
    styled,
)
from msomodel.decision import value_text
from msomodel.formatting import amount

_OUTCOME_NAME = {"mso": "the third-party MSO", "software_only": "self-managed + software",
                 "self_managed": "self-managed"}


def _short(path: str, v: float, fee_type: str | None) -> str:
    """An input's value in its unit, short enough for a tick label: "$14.0k", "12.0%", "1.10x"
    (the input's label says per what)."""
    text = value_text(path, v, fee_type)
    for tail in (" per site per month", " the tier rates"):
        text = text.removesuffix(tail)
    return _plain(MONEY(v)) if text.startswith("$") else text


def _plain(text: str) -> str:
    """Text for a label as it is: the style turns mathtext off (``text.parse_math``), so a
    dollar sign is never read as maths (escaping it would print the backslash too)."""
    return text


def _wrapped(text: str, width: int = 46) -> str:
    """An axis label on lines of at most ``width`` characters (the figure keeps its size, so
    a long one-line label would run past its edge)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text


def tornado_chart(result: TornadoResult, outcome: str | None = None, top: int = 12) -> Figure:
    """Horizontal bars of the incremental NPV [USD] at each input's low and high value,
    widest swing on top; the vertical line is the base case."""
    outcome = outcome or result.outcome
    versus = _OUTCOME_NAME[result.baseline]
    table = result.table.sort_values(f"{outcome}_swing", ascending=False, kind="stable")
    table = table[table[f"{outcome}_swing"] > 0].head(top)  # inputs without effect are left out
    base = result.base[outcome]
    with styled():
        fig, ax = new_figure(7.0, max(2.4, 0.42 * len(table) + 1.2))
        y = np.arange(len(table))[::-1]
        for yi, row in zip(y, table.itertuples(), strict=True):
            lo, hi = getattr(row, f"{outcome}_low"), getattr(row, f"{outcome}_high")
            ax.barh(yi, lo - base, left=base, color=NEGATIVE, alpha=0.85, height=0.62,
                    label="Input at low value" if yi == y[0] else None)
            ax.barh(yi, hi - base, left=base, color=POSITIVE, alpha=0.85, height=0.62,
                    label="Input at high value" if yi == y[0] else None)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{r.label}  ({_short(r.path, r.low_value, result.fee_type)} – "
                            f"{_short(r.path, r.high_value, result.fee_type)})"
                            for r in table.itertuples()])
        ax.axvline(base, color="#333", lw=1.0)
        ends = table[[f"{outcome}_low", f"{outcome}_high"]].to_numpy()
        if ends.size and ends.min() < 0 < ends.max():
            ax.axvline(0, color=MUTED, lw=0.8, ls="--")
        ax.xaxis.set_major_formatter(MONEY)
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(_wrapped(f"NPV of {_OUTCOME_NAME[outcome]} less {versus} "
                               f"(base {amount(base)})"))
        ax.set_title(_wrapped(f"What drives {_OUTCOME_NAME[outcome]}'s lead over {versus}", 42))
        # below the axis label, however many lines it has (the layout makes room for it)
        fig.legend(loc="outside lower center", ncol=2)
    return fig


#: Tick formats of a grid's axes by name.
AXIS_FORMATS = {"money": MONEY, "percent": PercentFormatter(1.0, decimals=0),
                "multiple": FuncFormatter(lambda v, _pos=None: f"{v:.2f}x")}


def grid_heatmap(result: GridResult, x_label: str | None = None,
                 y_label: str | None = None, *, x_format: str | None = None,
                 y_format: str | None = None) -> Figure:
    """Heatmap of the incremental NPV [USD] with the break-even contour (NPV = 0) and the
    scenario's own point marked; ``x_format``/``y_format`` name the axes' tick formats
    (:data:`AXIS_FORMATS`; default: matplotlib's)."""
    x, y, z = result.x_values, result.y_values, result.values
    with styled():
        fig, ax = new_figure(7.0, 4.4)
        span = max(float(np.nanmax(np.abs(z))), 1.0)
        norm = TwoSlopeNorm(vmin=-span, vcenter=0.0, vmax=span)
        mesh = ax.pcolormesh(x, y, z, cmap="RdYlGn", norm=norm, shading="nearest")
        bar = fig.colorbar(mesh, ax=ax, format=MONEY)
        bar.set_label(f"NPV of {_OUTCOME_NAME[result.outcome]}\nless "
                      f"{_OUTCOME_NAME[result.baseline]}")
        if len(x) > 1 and len(y) > 1 and np.nanmin(z) < 0 < np.nanmax(z):
            cs = ax.contour(x, y, z, levels=[0.0], colors="#111", linewidths=2.0)
            ax.clabel(cs, fmt={0.0: "break-even"}, fontsize=8.5)
        bx, by = result.base_point
        ax.plot([bx], [by], marker="o", ms=7, mfc="white", mec="#111", ls="none",
                label="This scenario")
        ax.grid(False)
        ax.set_xlabel(x_label or label(result.x_path))
        ax.set_ylabel(y_label or label(result.y_path))
        for axis, name in ((ax.xaxis, x_format), (ax.yaxis, y_format)):
            if name:
                axis.set_major_formatter(AXIS_FORMATS[name])
        ax.set_title(f"Where {_OUTCOME_NAME[result.outcome]} beats "
                     f"{_OUTCOME_NAME[result.baseline]} (green) — line: break-even")
        ax.legend(loc="upper right", frameon=True)
    return fig


def simulation_chart(result: SimulationResult, outcome: str = "mso", bins: int = 40,
                     baseline: str = "self_managed") -> Figure:
    """Histogram and CDF of the NPV [USD] of ``outcome`` less ``baseline``'s, with P5/P50/P95
    marked and the probability that it beats the baseline in the title."""
    v = result.outcomes[gap_key(outcome, baseline)].to_numpy()
    p_win = float(np.mean(v > 0))
    p5, p50, p95 = np.percentile(v, [5, 50, 95])
    color = OPTION_COLORS[outcome]
    with styled():
        fig, ax = new_figure(7.0, 3.8)
        counts, _, _ = ax.hist(v, bins=bins, color=color, alpha=0.75, edgecolor="white",
                               linewidth=0.4)
        ax.set_ylim(0, max(float(counts.max()), 1.0) * 1.22)  # room for the percentile labels
        ax.set_ylabel("Trials")
        ax.xaxis.set_major_formatter(MONEY)
        for q in (p5, p50, p95):
            ax.axvline(q, color="#333", lw=0.9, ls=":")
        ax.axvline(0, color=NEGATIVE, lw=1.4)
        twin = ax.twinx()
        xs = np.sort(v)
        twin.plot(xs, np.arange(1, xs.size + 1) / xs.size, color="#222", lw=1.6, label="CDF")
        for q, name in ((p5, "P5"), (p50, "P50"), (p95, "P95")):  # above the CDF line
            twin.annotate(f"{name}\n{amount(q)}", (q, 0.98),
                          xycoords=("data", "axes fraction"), ha="center", va="top", fontsize=8,
                          zorder=5, bbox={"boxstyle": "round,pad=0.15", "fc": "white",
                                          "ec": "none", "alpha": 0.9})
        twin.set_ylim(0, 1.02)
        twin.set_ylabel("Share of trials at or below")
        twin.spines["right"].set_visible(True)
        twin.grid(False)
        name, versus = _OUTCOME_NAME[outcome], _OUTCOME_NAME[baseline]
        ax.set_xlabel(_wrapped(f"NPV of {name} less {versus}", 70))
        ax.set_title(f"P({name} beats {versus}) = {p_win:.0%}  "
                     f"({result.trials:,} trials, seed {result.seed})")
    return fig
