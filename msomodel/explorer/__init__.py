"""Explorer: an ipywidgets page to compare the options of a scenario live, and save it.

>>> from msomodel.explorer import Explorer
>>> Explorer()                      # in a notebook; `msomodel explore` serves it with Voilà

:mod:`.model` holds the logic without widgets (settings -> scenario dict -> outputs) and
re-exports its parts: :mod:`.settings` (what the controls say, written into a scenario),
:mod:`.files` (starting scenarios, saving) and :mod:`.drivers` (what drives the answer).
:mod:`.draw` holds the reusable charts, :mod:`.widgets` the :class:`Explorer`, :mod:`.controls`
its controls, :mod:`.style` the page's style sheet, :mod:`.app` the Voilà app.
"""

from msomodel.explorer.model import Settings, SettingsError, Snapshot, compute, save_scenario
from msomodel.explorer.widgets import Explorer

__all__ = ["Explorer", "Settings", "SettingsError", "Snapshot", "compute", "save_scenario"]
