"""The comparison charts: cash flow, EBITDA, fee-vs-savings bridge, break-even fee, roll-out.

Each function takes a :class:`~msomodel.compare.Comparison` and returns a matplotlib Figure.
Infeasible options are drawn faded and labeled "(not permitted)".
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from msomodel.charts.style import (
    INFEASIBLE_ALPHA,
    MONEY,
    MUTED,
    NEGATIVE,
    OPTION_COLORS,
    POSITIVE,
    new_figure,
    styled,
)
from msomodel.compare import Comparison
from msomodel.formatting import amount
from msomodel.scenario import OPTIONS


def _label(result: Comparison, option: str) -> str:
    text = result.label(option)
    return text if result.feasibility[option].allowed else f"{text} (not permitted)"


def cumulative_cash_flow(result: Comparison) -> Figure:
    """Cumulative net cash flow per option over the horizon; the exit value, which arrives in
    the last month, is drawn as a separate step so it does not flatten the operating curve."""
    with styled():
        fig, ax = new_figure()
        for option in OPTIONS:
            p = result.projections[option]
            cf = p.net_cash_flow[0]
            exit_value = float(p.company["exit_value"][0, -1])
            running = np.cumsum(cf)
            running[-1] -= exit_value
            alpha = 1.0 if result.feasibility[option].allowed else INFEASIBLE_ALPHA
            color = OPTION_COLORS[option]
            total = _money_text(running[-1] + exit_value)
            ax.plot(np.arange(cf.size), running, color=color, lw=2, alpha=alpha,
                    label=f"{_label(result, option)}: {total} with exit")
        ax.axhline(0, color="#333", lw=0.8)
        ax.yaxis.set_major_formatter(MONEY)
        ax.set_xlabel("Month")
        ax.set_title("Cumulative net cash flow to the owner (before exit)")
        # below the axes: inside, it sat on the curves' start (they all begin at the top left)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
        ax.set_xlim(0, result.horizon)
    return fig


def ebitda_by_year(result: Comparison) -> Figure:
    """Grouped bars of EBITDA by year per option."""
    with styled():
        fig, ax = new_figure()
        width = 0.26
        for k, option in enumerate(OPTIONS):
            annual = result.annual(option)["ebitda"]
            alpha = 1.0 if result.feasibility[option].allowed else INFEASIBLE_ALPHA
            ax.bar(annual.index + (k - 1) * width, annual.to_numpy(), width,
                   color=OPTION_COLORS[option], alpha=alpha, label=_label(result, option))
        ax.axhline(0, color="#333", lw=0.8)
        ax.yaxis.set_major_formatter(MONEY)
        ax.set_xticks(result.annual("self_managed").index)
        ax.set_xticklabels([f"Year {y}" for y in result.annual("self_managed").index])
        ax.set_title("EBITDA by year")
        ax.legend(loc="upper left")
    return fig


BRIDGE_LINES = (("revenue", "More revenue", 1), ("product_cost", "Purchasing savings", -1),
                ("staff_clinical", "Clinical staff", -1), ("staff_admin", "Admin staff taken over", -1),
                ("opex", "Running costs taken over", -1), ("software_fee", "Software fees", -1),
                ("conditions", "License conditions", -1), ("structuring", "PC structure", -1),
                ("overhead", "MSO overhead", -1), ("mso_fee", "MSO fee", -1))


def bridge_values(result: Comparison) -> list[tuple[str, float]]:
    """Steps from self-managed to MSO total EBITDA over the horizon [USD]."""
    sm, ms = result.annual("self_managed").sum(), result.annual("mso").sum()
    steps = [(label, sign * (ms[line] - sm[line])) for line, label, sign in BRIDGE_LINES]
    return [(label, value) for label, value in steps if abs(value) > 0.5]


def _money_text(v: float) -> str:
    """Money for labels and annotations, by the report's amount rule ("$5.00m", "$1.30m": three
    significant figures, where a tick may drop trailing zeros). The style turns mathtext off
    (``text.parse_math``), so a dollar sign is printed as it is."""
    return amount(v)


def fee_bridge(result: Comparison) -> Figure:
    """Where the money goes, from self-managed to MSO EBITDA over the horizon: one horizontal
    bar per step (gain right, cost left, value printed), then the net change; both totals are
    stated in the title.  Drawing deltas from zero keeps small steps legible next to large totals."""
    sm_total = float(result.annual("self_managed")["ebitda"].sum())
    ms_total = float(result.annual("mso")["ebitda"].sum())
    steps = bridge_values(result)
    labels = [s[0] for s in steps] + ["Net change"]
    values = [s[1] for s in steps] + [ms_total - sm_total]
    with styled():
        fig, ax = new_figure(7.0, max(2.6, 0.42 * len(labels) + 1.5))
        y = np.arange(len(labels))[::-1]
        colors = [POSITIVE if v >= 0 else NEGATIVE for v in values[:-1]] + [OPTION_COLORS["mso"]]
        ax.barh(y, values, color=colors, height=0.62)
        span = max(max(abs(v) for v in values), 1.0)
        for yi, v in zip(y, values, strict=True):
            sign = "+" if v > 0 else ""
            ax.annotate(f"{sign}{_money_text(v)}", (v, yi), xytext=(4 if v >= 0 else -4, 0),
                        textcoords="offset points", va="center", ha="left" if v >= 0 else "right",
                        fontsize=8.5, fontweight="bold" if yi == y[-1] else "normal")
        lo = min(0.0, min(values)) - 0.22 * span
        hi = max(0.0, max(values)) + 0.22 * span
        ax.set_xlim(lo, hi)
        ax.axvline(0, color="#333", lw=0.8)
        ax.axhline(0.5, color=MUTED, lw=0.6)
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.get_yticklabels()[-1].set_fontweight("bold")
        ax.xaxis.set_major_formatter(MONEY)
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"Change in EBITDA over {result.horizon} months:\nself-managed "
                      f"{_money_text(sm_total)} \u2192 {result.label('mso')} {_money_text(ms_total)}")
        ax.set_title("Where the money goes: fee against savings")
    return fig


def _level_text(value: float, unit: str) -> str:
    if unit.startswith("USD"):
        return _money_text(value)
    if unit.startswith("multiple"):
        return f"{value:.2f}x"
    return f"{value * 100:.1f}%"


def breakeven_fee(result: Comparison) -> Figure:
    """NPV advantage of the MSO over self-managed against the fee level, with both marked."""
    from msomodel.metrics import fee_sweep

    be = result.breakeven
    sweep = fee_sweep(result.inputs, be, result.metrics["self_managed"]["npv"])
    levels, y, scale = sweep.levels, sweep.values, sweep.scale
    with styled():
        fig, ax = new_figure()
        ax.plot(levels * scale, y, color=OPTION_COLORS["mso"], lw=2)
        ax.axhline(0, color="#333", lw=0.8)
        ax.axvline(be.current * scale, color=MUTED, ls="--", lw=1.5,
                   label=f"Scenario's fee: {_level_text(be.current, be.unit)}")
        if be.level is not None:
            ax.axvline(be.level * scale, color=NEGATIVE, lw=1.5,
                       label=f"Break-even fee: {_level_text(be.level, be.unit)}")
        ax.yaxis.set_major_formatter(MONEY)
        if be.unit.startswith("USD"):
            ax.xaxis.set_major_formatter(MONEY)
        ax.set_xlabel(sweep.xlabel)
        ax.set_ylabel(sweep.ylabel)
        ax.set_title(sweep.title)
        ax.legend(loc="upper right")
    return fig


def rollout(result: Comparison, option: str = "self_managed") -> Figure:
    """Revenue by site and year (stacked), with the number of open sites."""
    frame = result.annual_by_site(option, "revenue")
    with styled():
        fig, ax = new_figure()
        bottom = np.zeros(len(frame))
        palette = ["#1B7F79", "#4C5B6B", "#D08C2E", "#7A5C99", "#5B8C3A", "#B5403A", "#2F6690"]
        for k, site in enumerate(frame.columns):
            ax.bar(frame.index, frame[site], bottom=bottom, color=palette[k % len(palette)],
                   label=site, width=0.6)
            bottom += frame[site].to_numpy()
        opened = result.inputs.arrays["open_month"]
        years = frame.index.to_numpy()
        counts = [(opened <= 12 * y).sum() for y in years]
        ax2 = ax.twinx()
        ax2.plot(years, counts, color="#333", marker="o", lw=1.5, label="Sites open")
        ax2.set_ylim(0, max(counts) + 1)
        ax2.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole sites
        ax2.set_ylabel("Sites open (end of year)")
        ax2.grid(False)
        ax.yaxis.set_major_formatter(MONEY)
        ax.set_xticks(years)
        ax.set_xticklabels([f"Year {y}" for y in years])
        ax.set_title("Roll-out: revenue by site")
        ax.legend(loc="upper left", ncol=2)
    return fig
