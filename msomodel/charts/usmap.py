"""US tile-grid map of the ownership answer for one owner license (matplotlib only).

One square tile per state and DC, placed on a fixed grid (no shapefile, nothing downloaded),
colored by the answer in force on a date: color-blind-safe (Okabe-Ito) colors, contested
answers amber *and* hatched so they never read as green/feasible, with a legend and an
optional highlighted state (thick outline). Not legal advice; the figure says so.
"""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from msomodel.atomic import replacing  # noqa: E402
from msomodel.rules import (  # noqa: E402
    LICENCE_LABELS,
    RuleBook,
    assess_structures,
    load_rulebook,
    lookup,
    normalise_licence,
    normalise_state,
)

#: (row, column) of each jurisdiction on a 8 x 12 grid, row 0 at the top.
TILES: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (0, 11),
    "VT": (1, 10), "NH": (1, 11),
    "WA": (2, 1), "ID": (2, 2), "MT": (2, 3), "ND": (2, 4), "MN": (2, 5), "IL": (2, 6),
    "WI": (2, 7), "MI": (2, 8), "NY": (2, 9), "RI": (2, 10), "MA": (2, 11),
    "OR": (3, 1), "NV": (3, 2), "WY": (3, 3), "SD": (3, 4), "IA": (3, 5), "IN": (3, 6),
    "OH": (3, 7), "PA": (3, 8), "NJ": (3, 9), "CT": (3, 10),
    "CA": (4, 1), "UT": (4, 2), "CO": (4, 3), "NE": (4, 4), "MO": (4, 5), "KY": (4, 6),
    "WV": (4, 7), "VA": (4, 8), "MD": (4, 9), "DE": (4, 10),
    "AZ": (5, 2), "NM": (5, 3), "KS": (5, 4), "AR": (5, 5), "TN": (5, 6), "NC": (5, 7),
    "SC": (5, 8), "DC": (5, 9),
    "OK": (6, 4), "LA": (6, 5), "MS": (6, 6), "AL": (6, 7), "GA": (6, 8),
    "HI": (7, 0), "TX": (7, 4), "FL": (7, 9),
}  # fmt: skip

#: Answer category -> (legend label, face color, hatch, text color). Okabe-Ito palette.
CATEGORIES: dict[str, tuple[str, str, str, str]] = {
    "owns": ("owns outright", "#0072B2", "", "white"),
    "owns_conditions": ("owns with conditions / license / physician co-owner", "#56B4E9", "",
                        "black"),
    "minority": ("minority stake only", "#CC79A7", "", "black"),
    "mso": ("must use owned MSO + friendly PC", "#5A5A5A", "", "white"),
    "contested": ("contested: consult counsel", "#E69F00", "///", "black"),
    "unknown": ("unknown: consult counsel", "#FFFFFF", "..", "black"),
}


def category(state: str, licence: str, *, on: dt.date | None = None,
             rulebook: RuleBook | None = None) -> str:
    """The map category of one jurisdiction's answer (see :data:`CATEGORIES`)."""
    book = rulebook or load_rulebook()
    rule = lookup(state, licence, on=on, rulebook=book)
    status = assess_structures(state, licence, on=on, rulebook=book)["direct"].status
    if status == "contested":
        return "contested"
    if status == "unknown":
        return "unknown"
    if rule.ownership == "minority_share":
        return "minority"
    if rule.ownership == "mso_required":
        return "mso"
    if status == "feasible":
        return "owns"
    return "owns_conditions"


def _wrap(label: str, width: int = 28) -> str:
    """A legend label on lines of at most about ``width`` characters (a narrow legend)."""
    return textwrap.fill(label, width, break_long_words=False)


def tile_map(
    licence: str,
    *,
    highlight: str | None = None,
    on: dt.date | None = None,
    rulebook: RuleBook | None = None,
) -> Figure:
    """Draw the tile map of the answer for owner ``licence`` on date ``on`` (default today).

    ``highlight`` (a state code or name) gets a thick outline. Returns a matplotlib
    :class:`~matplotlib.figure.Figure` (not shown, not saved).
    """
    lic = normalise_licence(licence)
    mark = normalise_state(highlight) if highlight else None
    book = rulebook or load_rulebook()
    day = on or dt.date.today()
    # Constrained layout keeps the legend (right of the tiles, the map is wider than tall)
    # and the notice (below) outside the map at any size: the report redraws the figure
    # shorter (FIGURE_MAX_HEIGHT), and a legend placed in figure fractions then covered tiles.
    fig = Figure(figsize=(8.0, 4.5), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    used: dict[str, int] = {}
    for code, (row, col) in TILES.items():
        cat = category(code, lic, on=day, rulebook=book)
        used[cat] = used.get(cat, 0) + 1
        _, face, hatch, ink = CATEGORIES[cat]
        x, y = col, -row
        ax.add_patch(Rectangle((x + 0.04, y + 0.04), 0.92, 0.92, facecolor=face,
                               edgecolor="#333333", linewidth=0.6, hatch=hatch))
        ax.text(x + 0.5, y + 0.5, code, ha="center", va="center", fontsize=9,
                fontweight="bold", color=ink)
    if mark is not None:
        row, col = TILES[mark]
        ax.add_patch(Rectangle((col - 0.02, -row - 0.02), 1.04, 1.04, facecolor="none",
                               edgecolor="black", linewidth=3.0, zorder=5))
    ax.set_xlim(-0.1, 12.1)
    ax.set_ylim(-7.1, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    title = f"Who may own the clinical entity: {LICENCE_LABELS[lic]} (rules in force {day})"
    fig.suptitle(title, fontsize=11, fontweight="bold")
    handles = [
        Patch(facecolor=CATEGORIES[c][1], edgecolor="#333333", hatch=CATEGORIES[c][2],
              label=f"{_wrap(CATEGORIES[c][0])} ({used.get(c, 0)})")
        for c in CATEGORIES
    ]
    if mark is not None:
        handles.append(Patch(facecolor="none", edgecolor="black", linewidth=3.0,
                             label=f"highlighted: {mark}"))
    fig.legend(handles=handles, loc="outside right center", fontsize=8, frameon=False)
    fig.supxlabel("Not legal advice; not reviewed by counsel. Source: msomodel rules data.",
                  fontsize=7, color="#555555")
    return fig


def save_tile_map(
    path: str | os.PathLike[str],
    licence: str,
    *,
    highlight: str | None = None,
    on: dt.date | None = None,
    rulebook: RuleBook | None = None,
) -> Path:
    """Draw :func:`tile_map` and write it to ``path`` (PNG; written to a temporary name,
    then renamed). Returns the path."""
    out = Path(path)
    fig = tile_map(licence, highlight=highlight, on=on, rulebook=rulebook)
    with replacing(out, suffix=out.suffix or ".png") as tmp:
        fig.savefig(tmp, format=(out.suffix.lstrip(".") or "png"), dpi=150)
    return out
