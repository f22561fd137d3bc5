"""Software only: self-managed plus a practice-management subscription.

Effects: reminders cut no-shows (booked = realized / (1 - r); with a relative reduction q the
realized share becomes 1 - r (1 - q), so treatment volume rises by r q / (1 - r)); online booking
adds treatment volume; administrative payroll shrinks by ``admin_hours_saved``; the vendor's
payment-processing rate replaces the ``card_processing`` share; replaced tools are dropped.
Against the baseline's existing tool (``existing_software``; the scenario's no-show rate and admin
hours are measured with it) only the *additional* effect counts: the offer's effects q_s (stated
against no tool) over the tool's q_b give a further relative fall ``1 - (1 - q_s) / (1 - q_b)``
(negative when the offer does less), for no-shows and admin hours alike, and a booking uplift
``(1 + u_s) / (1 + u_b) - 1``.  Equal effects: no gain.  That holds when the offer replaces the
tool (``software.replaces_opex`` covers ``existing_software.opex_item``); an add-on that keeps
the tool counts only positive further effects.
Price: the first location to open pays ``per_location_monthly``, every other location
``extra_location_monthly``; plus providers x ``per_provider_monthly`` and add-ons, escalated
yearly; an implementation fee per site before it opens.
"""

from __future__ import annotations

import numpy as np

from msomodel import timeline as tl
from msomodel.operations import Shared, operate
from msomodel.options.finish import Managed, option_exit_multiple
from msomodel.options.self_managed import split_payroll


def providers(x: dict) -> np.ndarray:
    """Treating providers per site (T, S): capacity providers, else clinical FTE."""
    clinical_fte = (x["fte"] * (1.0 - x["is_admin"])).sum(axis=-1)
    return np.where(x["has_capacity"] > 0, x["providers"], clinical_fte)


#: What the subscription reads (besides the openings).
_SUBSCRIPTION_INPUTS = ("open_month", "sw_first", "sw_extra", "sw_provider", "sw_addons",
                        "sw_esc", "fte", "is_admin", "has_capacity", "providers")


def subscription(x: dict, is_open: np.ndarray, horizon: int) -> np.ndarray:
    """Software fee per site and month (T, S, M); computed once for all trials when none of its
    inputs varies (:func:`msomodel.timeline.once_for_all_trials`)."""
    def fee(on: np.ndarray, *values: np.ndarray) -> np.ndarray:
        return _subscription(dict(zip(_SUBSCRIPTION_INPUTS, values, strict=True)), on, horizon)

    return tl.once_for_all_trials(fee, is_open, *(x[k] for k in _SUBSCRIPTION_INPUTS))


def _subscription(x: dict, is_open: np.ndarray, horizon: int) -> np.ndarray:
    S = x["open_month"].shape[1]
    first = np.arange(S) == np.argmin(x["open_month"], axis=1)[:, None]
    location = np.where(first, x["sw_first"][:, None], x["sw_extra"][:, None])
    monthly = location + providers(x) * x["sw_provider"][:, None] + x["sw_addons"][:, None]
    esc = tl.once_for_all_trials(lambda rate: tl.escalate(rate, horizon), x["sw_esc"])
    return monthly[..., None] * esc[:, None, :] * is_open


def beyond(offer: np.ndarray, existing: np.ndarray) -> np.ndarray:
    """The further relative reduction an offer cutting by ``offer`` gives over a tool already
    cutting by ``existing`` (both against no tool): ``1 - (1 - offer) / (1 - existing)``."""
    return 1.0 - (1.0 - offer) / np.maximum(1.0 - existing, 1e-9)


def further(effect: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The effect that counts: where the existing tool is kept (``kept`` = 1, an add-on) its
    effects stay, so an offer doing less adds nothing rather than undoing them."""
    return (1.0 - kept) * effect + kept * np.maximum(effect, 0.0)


def manage(x: dict, horizon: int, *, shared: Shared | None = None) -> Managed:
    kept = 1.0 - x["base_replaced"]
    r, q = x["no_show"], further(beyond(x["sw_noshow_red"], x["base_noshow_red"]), kept)[:, None]
    recovered = r * q / np.maximum(1.0 - r, 1e-9)
    booking = further((1.0 + x["sw_booking"]) / (1.0 + x["base_booking"]) - 1.0, kept)
    uplift = (1.0 + recovered) * (1.0 + booking[:, None]) - 1.0
    op = operate(x, horizon, shared=shared, treatment_uplift=uplift, card_rate=x["sw_proc_rate"])
    saved = further(beyond(x["sw_admin_saved"], x["base_admin_saved"]), kept)
    keep = 1.0 - x["is_admin"] * saved[:, None, None]
    clinical, admin = split_payroll(x, op, keep)
    one_time = tl.per_site_once(x["sw_impl"], x["open_month"], horizon)
    return Managed("software_only", op, clinical, admin, (1.0 - x["sw_replaces"])[:, None, :],
                   None, subscription(x, op.open, horizon), one_time,
                   option_exit_multiple(x, "sw_exit_multiple"))
