"""Charts in one consistent style (matplotlib; presentation only, no model logic).

:mod:`.style` holds the palette and figure defaults; :mod:`.core` the comparison charts;
:mod:`.uncertainty` the sensitivity and Monte Carlo charts.
"""

from msomodel.charts.style import OPTION_COLORS, apply_style, new_figure

__all__ = ["OPTION_COLORS", "apply_style", "new_figure"]
