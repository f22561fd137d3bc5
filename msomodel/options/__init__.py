"""The operating options. Each module turns input arrays into a :class:`Projection`.

- :mod:`.self_managed` — the baseline: the owner runs everything.
- :mod:`.mso` — a third-party MSO for a fee, or the owner's own MSO with a friendly PC.
- :mod:`.software` — self-managed plus practice-management software.
Common finishing (capital, loan, depreciation, tax, exit, cash flow) lives in :mod:`.finish`.
"""

from msomodel.options.finish import SITE_LINES, Projection

__all__ = ["Projection", "SITE_LINES"]
