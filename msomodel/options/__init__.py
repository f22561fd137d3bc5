"""The management options and the legal structures they run under.

Each management module turns input arrays into a :class:`~.finish.Managed` operation:

- :mod:`.self_managed` — the baseline: the business side is run in-house;
- :mod:`.software` — in-house with practice-management software;
- :mod:`.mso` — a third-party MSO's services for a fee.

:mod:`.structures` then applies the legal structure — direct ownership, or the owner's MSO
managing a friendly physician-owned PC — and :mod:`.finish` the capital, loan, tax and exit
common to all, giving a :class:`Projection`.
"""

from msomodel.options.finish import SITE_LINES, Managed, Projection

__all__ = ["Managed", "Projection", "SITE_LINES"]
