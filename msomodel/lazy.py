"""A module imported on first use: ``pd = lazy.module("pandas")`` costs nothing until ``pd.X``.

For modules on the path of short commands (``msomodel validate``, ``msomodel compare``) that
need pandas only in some of their functions.  Type checkers should see the real import::

    if TYPE_CHECKING:
        import pandas as pd
    else:
        pd = lazy.module("pandas")
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class _Lazy(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        real = importlib.import_module(self.__name__)
        self.__dict__.update(real.__dict__)  # later look-ups are plain attribute reads
        return getattr(real, name)


def module(name: str) -> Any:
    """A stand-in for the module ``name`` that imports it at the first attribute look-up."""
    return _Lazy(name)
