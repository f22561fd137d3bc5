"""The explorer's controls: building the widget tree, filling it from a scenario, reading it.

:class:`ControlPanel` is the part of :class:`~msomodel.explorer.widgets.Explorer` that owns the
controls: it builds them (:meth:`~ControlPanel._build`), sets them from the starting scenario's
raw dict, re-scales the fee-level slider per fee structure, and reads them back as
:class:`~msomodel.explorer.settings.Settings`.  Wiring the controls to recomputes is the
Explorer's.
"""

from __future__ import annotations

import html
import os
from typing import Any

import ipywidgets as W

from msomodel.explorer import model
from msomodel.explorer.model import FEE_LABELS, Settings, SettingsError
from msomodel.explorer.style import STYLE, _note_html

DESC = {"description_width": "165px"}


def _full() -> W.Layout:
    """A fresh full-width layout (a Layout shared between widgets breaks their display)."""
    return W.Layout(width="97%")


LICENCE_LABELS = {"physician": "Physician (MD/DO)", "np": "Nurse practitioner",
                  "pa": "Physician assistant", "rn": "Registered nurse",
                  "none": "Lay owner (no licence)"}
MSO_KINDS = {"third_party": "Third-party MSO", "owned": "Owned MSO + friendly PC"}
DRIVER_TABS = (("MSO advantage", "mso"), ("Software advantage", "software_only"))
OTHER = "__other__"


def _slider(cls: type, description: str, lo: float, hi: float, step: float, fmt: str) -> W.Widget:
    return cls(description=description, min=lo, max=hi, step=step, readout_format=fmt,
               style=DESC, layout=_full(), continuous_update=True)


def _fit(widget: W.Widget, value: float, lo: float, hi: float) -> None:
    """Set ``value`` after widening the slider's range so it is never clipped."""
    widget.min = min(lo, value)
    widget.max = max(hi, value)
    widget.value = value


def _states() -> list[tuple[str, str]]:
    try:
        from msomodel.rules import STATE_NAMES
    except ImportError:  # pragma: no cover - the rules package ships with msomodel
        return []
    return sorted(((f"{name} ({code})", code) for code, name in STATE_NAMES.items()))


class ControlPanel:
    """The controls of the :class:`~msomodel.explorer.widgets.Explorer` (a base class of it).

    Uses the Explorer's ``bundled``, ``raw``, ``origin``, ``_initial``, ``_initial_roles``,
    ``_fee_memory``, ``_no_shows``, :meth:`_suspended` and :meth:`_schedule`.
    """

    # ------------------------------------------------------------------ building the controls
    def _build(self, save_dir: str | os.PathLike[str] | None) -> None:
        c: dict[str, W.Widget] = {}
        options = [(label, str(path)) for label, path in self.bundled.items()]
        c["scenario"] = W.Dropdown(description="Starting scenario", style=DESC, layout=_full(),
                                   options=[*options, ("Another file…", OTHER)])
        c["path"] = W.Text(description="Scenario file", placeholder="path/to/scenario.yaml",
                           style=DESC, layout=W.Layout(width="100%", display="none"))
        c["load"] = W.Button(description="Load file", layout=W.Layout(width="120px",
                                                                     display="none"))
        c["name"] = W.Text(description="Scenario name", style=DESC, layout=_full(),
                           continuous_update=False)
        c["state"] = W.Dropdown(description="State", style=DESC, layout=_full(),
                                options=[("Not specified", ""), *_states()])
        c["licence"] = W.Dropdown(description="Owner's licence", style=DESC, layout=_full(),
                                  options=[("Not specified", ""),
                                           *((v, k) for k, v in LICENCE_LABELS.items())])
        c["n_sites"] = _slider(W.IntSlider, "Number of sites", 1, 20, 1, "d")
        c["cadence"] = _slider(W.IntSlider, "Opening every (months)", 0, 36, 1, "d")
        c["visits"] = _slider(W.FloatSlider, "Visits per month (%)", 50, 200, 1, ".0f")
        c["ticket"] = _slider(W.FloatSlider, "Average ticket (%)", 50, 200, 1, ".0f")
        c["product_cost"] = _slider(W.FloatSlider, "Product cost (% of rev.)", 0, 60, 0.1, ".1f")
        c["mso_kind"] = W.Dropdown(description="MSO kind", style=DESC, layout=_full(),
                                   options=[(v, k) for k, v in MSO_KINDS.items()])
        c["fee_type"] = W.Dropdown(description="Fee structure", style=DESC, layout=_full(),
                                   options=[(FEE_LABELS[k], k) for k in model.FEE_TYPES[:4]])
        c["fee_level"] = _slider(W.FloatSlider, "Fee level", 0, 1, 0.01, ".2f")
        c["fee_base"] = _slider(W.FloatSlider, "Base fee ($/site/month)", 0, 30000, 250, ",.0f")
        c["fee_floor"] = W.Text(description="Fee floor ($/site/mo)", placeholder="none",
                                style=DESC, layout=_full(), continuous_update=False)
        c["fee_cap"] = W.Text(description="Fee cap ($/site/mo)", placeholder="none",
                              style=DESC, layout=_full(), continuous_update=False)
        c["discount"] = _slider(W.FloatSlider, "Purchasing discount (%)", 0, 30, 0.5, ".1f")
        c["sw_price"] = _slider(W.FloatSlider, "Software ($/location/mo)", 0, 2000, 10, ",.0f")
        c["no_show"] = _slider(W.FloatSlider, "No-show reduction (%)", 0, 60, 1, ".0f")
        c["discount_rate"] = _slider(W.FloatSlider, "Discount rate (%/year)", 0, 40, 0.5, ".1f")
        c["horizon"] = _slider(W.IntSlider, "Horizon (months)", 12, 240, 12, "d")
        c["save_dir"] = W.Text(description="Save to folder", style=DESC, layout=_full(),
                               value=str(save_dir or model.default_save_dir()))
        c["save"] = W.Button(description="Save scenario", icon="save", button_style="primary",
                             layout=W.Layout(width="48%"))
        c["render"] = W.Button(description="Render report", icon="file-pdf-o",
                               layout=W.Layout(width="48%"))
        for key, widget in c.items():
            widget.add_class(f"mso-{key.replace('_', '-')}")
        self.controls = c
        self.roles_box = W.VBox(layout=W.Layout(padding="0 0 0 173px"))
        self.role_boxes: dict[str, W.Checkbox] = {}

        self.visits_note = W.HTML()
        self.cadence_note = W.HTML()
        self.discount_note = W.HTML()
        self.roles_note = W.HTML()
        self.no_show_note = W.HTML()
        self.ticket_note = W.HTML()
        self.fee_note = W.HTML()
        self.message = W.HTML(layout=_full())
        self.message.add_class("mso-message")
        self.file_status = W.HTML(layout=_full())
        self.file_status.add_class("mso-file-status")

        note = self._note
        sections = [
            ("Scenario", [c["scenario"], c["path"], c["load"], c["name"]]),
            ("Owner and state", [c["state"], c["licence"],
                                 note("Feasibility follows the state's ownership rules.")]),
            ("Sites", [c["n_sites"], c["cadence"], self.cadence_note,
                       note("Extra sites copy the site defaults; openings are spaced evenly "
                            "from the first site's month once you move the spacing.")]),
            ("Volumes and prices", [c["visits"], self.visits_note, c["ticket"], self.ticket_note,
                                    c["product_cost"]]),
            ("MSO offer", [c["mso_kind"], c["fee_type"], c["fee_level"], c["fee_base"],
                           self.fee_note, c["fee_floor"], c["fee_cap"], c["discount"],
                           self.discount_note, note("Admin roles the MSO takes over:"),
                           self.roles_box, self.roles_note]),
            ("Software offer", [c["sw_price"], c["no_show"], self.no_show_note]),
            ("Finance", [c["discount_rate"], c["horizon"]]),
        ]
        self.accordion = W.Accordion(children=[W.VBox(items) for _, items in sections],
                                     titles=tuple(t for t, _ in sections), selected_index=4)
        self.accordion.add_class("mso-accordion")
        save_box = W.VBox([c["save_dir"], W.HBox([c["save"], c["render"]],
                                                 layout=W.Layout(justify_content="space-between")),
                           self.file_status], layout=W.Layout(margin="12px 0 0 0"))
        controls = W.VBox([W.HTML("<div class='mx-panel-title'>Assumptions</div>"), self.message,
                           self.accordion, save_box],
                          layout=W.Layout(width="480px", min_width="480px", padding="0 18px 0 0"))

        self.title = W.HTML()
        self.recommendation = W.HTML(layout=_full())
        self.recommendation.add_class("mso-recommendation")
        self.table = W.HTML(layout=_full())
        self.table.add_class("mso-key-figures")
        self.notes = W.HTML(layout=_full())
        self.notes.add_class("mso-notes")
        self.status = W.HTML()
        self.images = {name: W.Image(format="png", layout=W.Layout(width="100%"))
                       for name in ("cash_flow", "ebitda", "breakeven")}
        charts = W.GridBox([self.images["cash_flow"], self.images["ebitda"],
                            self.images["breakeven"], self.notes],
                           layout=W.Layout(grid_template_columns="1fr 1fr", grid_gap="10px 16px",
                                           width="100%", align_items="flex-start"))
        self.drivers_outcome = W.ToggleButtons(options=list(DRIVER_TABS), value="mso",
                                               style={"button_width": "160px"})
        self.drivers_outcome.add_class("mso-drivers-outcome")
        self.drivers_image = W.Image(format="png", layout=W.Layout(width="100%",
                                                                   max_width="920px"))
        self.drivers_image.add_class("mso-drivers-chart")
        self.drivers_text = W.HTML(layout=_full())
        self.drivers_text.add_class("mso-drivers-text")
        drivers = W.VBox([W.HBox([W.HTML("<div class='mx-section'>What drives the answer</div>"),
                                  self.drivers_outcome],
                                 layout=W.Layout(justify_content="space-between",
                                                 align_items="center")),
                          self.drivers_text, self.drivers_image],
                         layout=W.Layout(width="97%", margin="14px 0 0 0"))
        drivers.add_class("mso-drivers")
        results = W.VBox([self.title, self.recommendation, self.table, charts, drivers,
                          self.status], layout=W.Layout(flex="1 1 auto", min_width="0"))
        self.widget = W.VBox([W.HTML(STYLE), W.HBox([controls, results],
                                                    layout=W.Layout(align_items="flex-start"))])
        self.widget.add_class("mso-explorer")

    @staticmethod
    def _note(text: str) -> W.HTML:
        return W.HTML(f"<div class='mx-note'>{html.escape(text)}</div>")

    # ------------------------------------------------------------------ from the scenario
    def _set_from_raw(self) -> None:
        c, raw, get = self.controls, self.raw, model.get
        match = [str(p) for p in self.bundled.values() if p.resolve() == self.origin]
        if match:
            c["scenario"].value = match[0]
        else:
            c["scenario"].value = OTHER
            c["path"].value = str(self.origin)
        c["name"].value = str(raw["name"])
        owner = raw.get("owner") or {}
        state = str(owner.get("state", "")).upper()
        c["state"].value = state if state in [v for _, v in c["state"].options] else ""
        c["licence"].value = owner.get("licence", "")
        n = len(raw["sites"])
        _fit(c["n_sites"], n, 1, max(20, n))
        _fit(c["cadence"], model.cadence(raw), 0, 36)
        _fit(c["visits"], 100 * float(get(raw, "adjustments.volume_multiplier", 1.0)), 50, 200)
        _fit(c["ticket"], 100 * float(get(raw, "adjustments.price_multiplier", 1.0)), 50, 200)
        _fit(c["product_cost"], 100 * model.product_cost_share(raw), 0, 60)
        c["mso_kind"].value = raw["mso"]["kind"]
        fee = raw["mso"]["fee"]
        self._base_fee_type = fee["type"]
        types = list(model.FEE_TYPES[:4]) + (["tiered"] if fee["type"] == "tiered" else [])
        c["fee_type"].options = [(FEE_LABELS[k], k) for k in types]
        c["fee_type"].value = fee["type"]
        self._fee_memory = {fee["type"]: model.fee_level(fee)}
        self._configure_fee_level(fee["type"])
        _fit(c["fee_base"], float(fee.get("base_per_site_monthly", model.DEFAULT_HYBRID_BASE)),
             0, 30000)
        c["fee_floor"].value = _money_text(fee.get("floor_per_site_monthly"))
        c["fee_cap"].value = _money_text(fee.get("cap_per_site_monthly"))
        _fit(c["discount"], 100 * float(raw["mso"].get("purchasing_discount", 0.0)), 0, 30)
        absorbed = set(model.absorbed_roles(raw))
        self.role_boxes = {}
        for name, kind in model.roles(raw):
            if kind == "administrative" or name in absorbed:
                box = W.Checkbox(value=name in absorbed, indent=False,
                                 description=name.replace("_", " ").capitalize())
                box.add_class(f"mso-role-{name.replace('_', '-')}")
                box.observe(self._schedule, "value")
                self.role_boxes[name] = box
        self.roles_box.children = tuple(self.role_boxes.values())
        sw = raw["software"]
        _fit(c["sw_price"], float(sw["per_location_monthly"]), 0, 2000)
        _fit(c["no_show"], 100 * float(sw.get("no_show_reduction", 0.0)), 0, 60)
        _fit(c["discount_rate"], 100 * float(get(raw, "finance.discount_rate_annual", 0.12)), 0, 40)
        _fit(c["horizon"], int(get(raw, "finance.horizon_months", 60)), 12, 240)
        visits, ticket = model.treatment_visits(raw), model.average_ticket(raw)
        self._visits, self._ticket = visits, ticket
        self._update_notes()

    def _checked_roles(self) -> tuple[str, ...]:
        return tuple(name for name, box in self.role_boxes.items() if box.value)

    # ------------------------------------------------------------------ the fee controls
    def _configure_fee_level(self, kind: str) -> None:
        """Re-scale the level slider for a fee structure and restore that structure's level."""
        w = self.controls["fee_level"]
        level = self._fee_memory.get(kind, model.DEFAULT_LEVEL[kind])
        with self._suspended():
            if kind == "flat":
                w.description, w.readout_format, w.step = "Fee ($/site/month)", ",.0f", 250
                _fit(w, level, 0, max(40000, round(2 * level, -3)))
            elif kind in ("percentage", "hybrid"):
                w.description, w.readout_format, w.step = "Fee (% of collections)", ".1f", 0.5
                _fit(w, 100 * level, 0, 30 if kind == "hybrid" else 40)
            elif kind == "cost_plus":
                w.description, w.readout_format, w.step = "Markup on MSO cost (%)", ".0f", 5
                _fit(w, 100 * level, 0, 200)
            else:
                w.description, w.readout_format, w.step = "Tier rates (x scenario)", ".2f", 0.05
                _fit(w, level, 0, 3)
            self.controls["fee_base"].layout.display = "" if kind == "hybrid" else "none"

    def _fee_level_value(self) -> float:
        kind, value = self.controls["fee_type"].value, float(self.controls["fee_level"].value)
        return value / 100 if kind in ("percentage", "hybrid", "cost_plus") else value

    def _fee_level_from(self, kind: str) -> float:
        value = float(self.controls["fee_level"].value)
        return value / 100 if kind in ("percentage", "hybrid", "cost_plus") else value

    # ------------------------------------------------------------------ settings
    def settings(self) -> Settings:
        """What the controls say, ``None`` where they still show the scenario's value."""
        c, init = self.controls, self._initial

        def raw(key: str) -> Any:
            return None if _same(c[key], init.get(key)) else c[key].value

        def pct(key: str) -> float | None:
            v = raw(key)
            return None if v is None else float(v) / 100

        kind = c["fee_type"].value
        level_changed = kind != self._base_fee_type or not _same(c["fee_level"], init.get("fee_level"))
        limits = None
        if raw("fee_floor") is not None or raw("fee_cap") is not None:
            limits = (_parse_money(c["fee_floor"].value, "Fee floor"),
                      _parse_money(c["fee_cap"].value, "Fee cap"))
        roles = self._checked_roles()
        return Settings(
            name=raw("name"), state=raw("state") or None, licence=raw("licence") or None,
            n_sites=raw("n_sites"), cadence_months=raw("cadence"),
            volume_multiplier=pct("visits"), price_multiplier=pct("ticket"),
            product_cost_share=pct("product_cost"), mso_kind=raw("mso_kind"),
            fee_type=None if kind == self._base_fee_type else kind,
            fee_level=self._fee_level_value() if level_changed else None,
            fee_base=float(c["fee_base"].value) if kind == "hybrid" and (
                raw("fee_base") is not None or self._base_fee_type != "hybrid") else None,
            fee_limits=limits, purchasing_discount=pct("discount"),
            absorbed_roles=None if roles == self._initial_roles else roles,
            software_price=raw("sw_price"), no_show_reduction=pct("no_show"),
            discount_rate=pct("discount_rate"), horizon_months=raw("horizon"),
        )

    # ------------------------------------------------------------------ notes beside the controls
    def _update_applicability(self) -> None:
        """Disable, with a note, the controls that cannot change anything right now."""
        c = self.controls
        owned = c["mso_kind"].value == "owned"
        for box in self.role_boxes.values():
            box.disabled = owned
        self.roles_note.value = _note_html(
            "Not used with an owned MSO: it employs the admin staff in its own entity, so "
            "there are no roles to hand over." if owned else "")
        single = int(c["n_sites"].value) <= 1
        c["cadence"].disabled = single
        self.cadence_note.value = _note_html(
            "Not used with one site: there are no openings to space." if single else "")
        no_product = float(c["product_cost"].value) <= 0
        c["discount"].disabled = no_product
        self.discount_note.value = _note_html(
            "Not used while product cost is 0%: there is nothing to discount." if no_product
            else "")
        c["no_show"].disabled = not self._no_shows
        self.no_show_note.value = _note_html(
            "" if self._no_shows else "Not used: the scenario has no no-shows to reduce.")

    def _update_notes(self) -> None:
        c = self.controls
        if not self.raw:
            return
        self._update_applicability()
        self.visits_note.value = (f"<div class='mx-note'>≈ {self._visits * c['visits'].value / 100:,.0f}"
                                  " treatment visits per site per month at steady state</div>")
        self.ticket_note.value = (f"<div class='mx-note'>≈ ${self._ticket * c['ticket'].value / 100:,.0f}"
                                  " per treatment visit</div>")
        kind = c["fee_type"].value
        hint = {"flat": "per open site per month", "percentage": "of each site's collections",
                "cost_plus": "on top of the costs the MSO takes over",
                "hybrid": "of collections, on top of the base fee",
                "tiered": "multiple of the scenario's marginal tier rates"}[kind]
        self.fee_note.value = f"<div class='mx-note'>Fee level: {hint}.</div>"


def _same(widget: W.Widget, initial: Any) -> bool:
    """Whether a control still shows its starting value.

    The browser snaps a slider's value to its step when it first draws it; a difference of less
    than half a step is that snapping, not the user, so the scenario's exact value is kept.
    """
    value = widget.value
    if isinstance(widget, W.FloatSlider) and initial is not None:
        return abs(float(value) - float(initial)) < 0.5 * float(widget.step) - 1e-12
    return value == initial


def _money_text(value: Any) -> str:
    return "" if value is None else f"{float(value):,.0f}"


def _parse_money(text: str, what: str) -> float | None:
    clean = text.strip().replace(",", "").replace("$", "")
    if clean.lower() in ("", "none", "-"):
        return None
    try:
        value = float(clean)
    except ValueError:
        raise SettingsError(f"{what}: expected an amount in dollars, found '{text}'") from None
    if value < 0 or value != value or value in (float("inf"), float("-inf")):
        raise SettingsError(f"{what}: expected an amount of at least $0, found '{text}'")
    return value
