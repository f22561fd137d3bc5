"""The chart style: colors per option, fonts and sizes legible in print (A4/Letter, ~16 cm wide)."""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg", force=False)  # headless by default; notebooks keep their inline backend
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

OPTION_COLORS = {"self_managed": "#4C5B6B", "mso": "#1B7F79", "software_only": "#D08C2E"}
ACCENT, NEGATIVE, POSITIVE, MUTED = "#B5403A", "#B5403A", "#2E7D4F", "#A7B0B8"
INFEASIBLE_ALPHA = 0.35

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 180,
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#E3E6EA",
    "grid.linewidth": 0.8,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.figsize": (7.0, 3.6),
    "figure.constrained_layout.use": True,
    "text.parse_math": False,  # labels are text: a "$" in a name is a dollar, never mathtext
}


def apply_style() -> None:
    """Make the package style the matplotlib default (used by the notebooks)."""
    plt.rcParams.update(RC)


@contextmanager
def styled():
    with plt.rc_context(RC):
        yield


def new_figure(width: float = 7.0, height: float = 3.6):
    """A figure and axes in the package style."""
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def _short_money(v: float, _pos: object = None) -> str:
    """An axis tick or chart label in dollars, to three significant figures, in the report's
    units: "$1.25m", "$12.5k", "$800" (a tick at 1,250,000 never reads as $1.2m)."""
    sign = "-" if v < 0 else ""
    v = abs(v)
    if round(v, -3) >= 1e6:
        return f"{sign}${float(f'{v / 1e6:.3g}'):g}m"
    if round(v) >= 1e3:
        return f"{sign}${float(f'{v / 1e3:.3g}'):g}k"
    return f"{sign}${v:.0f}"


MONEY = FuncFormatter(_short_money)
