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
from msomodel.explorer.settings import exit_multiple
from msomodel.explorer.style import STYLE, _note_html

DESC = {"description_width": "165px"}


def _full() -> W.Layout:
    """A fresh full-width layout (a Layout shared between widgets breaks their display)."""
    return W.Layout(width="97%")


LICENCE_LABELS = {"physician": "Physician (MD/DO)", "np": "Nurse practitioner",
                  "pa": "Physician assistant", "rn": "Registered nurse",
                  "none": "Lay owner (no license)"}
STRUCTURE_OPTIONS = [("Rules' choice", "auto"), ("Direct ownership", "direct"),
                     ("Owned MSO + friendly PC", "friendly_pc")]
OTHER = "__other__"

#: Hard limits of what a number box accepts, in the units the control shows (a slider's range
#: widens to a typed value within them); outside them the box is rejected with a message.
BOUNDS: dict[str, tuple[float, float]] = {
    "n_sites": (1, 200), "cadence": (0, 120), "visits": (0, 500), "ticket": (0, 500),
    "product_cost": (0, 100), "fee_base": (0, 1e6), "discount": (0, 100), "sw_price": (0, 1e5),
    "no_show": (0, 100), "discount_rate": (0, 100), "horizon": (12, 240), "rent": (0, 1e6),
    "wages": (0, 500), "injectors": (0, 50), "injector_hours": (0, 720), "buildout": (0, 1e8),
    "equipment": (0, 1e8), "loan_share": (0, 100), "loan_rate": (0, 50),
    "exit_multiple": (0, 50),
}
FEE_BOUNDS = {"flat": (0, 1e6), "percentage": (0, 100), "hybrid": (0, 100),
              "cost_plus": (0, 1000), "tiered": (0, 10)}


def _slider(cls: type, description: str, lo: float, hi: float, step: float, fmt: str) -> W.Widget:
    return cls(description=description, min=lo, max=hi, step=step, readout=False,
               readout_format=fmt, style=DESC, layout=W.Layout(flex="1 1 auto", width="auto"),
               continuous_update=True)


def _fit(widget: W.Widget, value: float, lo: float, hi: float) -> None:
    """Set ``value`` after widening the slider's range so it is never clipped."""
    widget.min = min(lo, value)
    widget.max = max(hi, value)
    widget.value = value


def _format(widget: W.Widget) -> str:
    """A slider's value as its box shows it ("12,000", "8.5", "3")."""
    fmt = widget.readout_format or ".2f"
    try:
        return format(widget.value, fmt)
    except (TypeError, ValueError):  # pragma: no cover
        return str(widget.value)


def parse_number(text: str, what: str, lo: float, hi: float, *, integer: bool = False) -> float:
    """A number typed in a box, or SettingsError naming the setting (never clamped)."""
    clean = text.strip().replace(",", "").replace("$", "").replace("%", "").rstrip("x")
    span = f"from {lo:,.0f} to {hi:,.0f}" if hi >= 100 else f"from {lo:g} to {hi:g}"
    try:
        value = float(clean)
    except ValueError:
        raise SettingsError(f"{what}: expected a number {span}, found '{text}'. The box keeps "
                            "your text until you fix it; the results show the last valid "
                            "settings.") from None
    if value != value or not lo <= value <= hi:
        raise SettingsError(f"{what}: expected a number {span}, found '{text}'. Nothing was "
                            "changed; the results show the last valid settings.")
    if integer and value != int(value):
        raise SettingsError(f"{what}: expected a whole number, found '{text}'.")
    return int(value) if integer else value


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
        c["reset"] = W.Button(description="Reset to the starting scenario", icon="undo",
                              layout=W.Layout(width="97%"))
        c["state"] = W.Dropdown(description="State", style=DESC, layout=_full(),
                                options=[("Not specified", ""), *_states()])
        c["licence"] = W.Dropdown(description="Owner's license", style=DESC, layout=_full(),
                                  options=[("Not specified", ""),
                                           *((v, k) for k, v in LICENCE_LABELS.items())])
        c["structure"] = W.Dropdown(description="Legal structure", style=DESC, layout=_full(),
                                    options=list(STRUCTURE_OPTIONS), value="auto")
        c["n_sites"] = _slider(W.IntSlider, "Number of sites", 1, 20, 1, "d")
        c["cadence"] = _slider(W.IntSlider, "Opening every (months)", 0, 36, 1, "d")
        c["injectors"] = _slider(W.FloatSlider, "Injectors per site", 0, 6, 0.5, ".1f")
        c["injector_hours"] = _slider(W.FloatSlider, "Injector hours / month", 40, 200, 5, ".0f")
        c["rent"] = _slider(W.FloatSlider, "Rent ($/site/month)", 0, 30000, 250, ",.0f")
        c["buildout"] = _slider(W.FloatSlider, "Build-out ($/site)", 0, 1500000, 10000, ",.0f")
        c["equipment"] = _slider(W.FloatSlider, "Equipment ($/site)", 0, 800000, 5000, ",.0f")
        c["visits"] = _slider(W.FloatSlider, "Visits per month (%)", 50, 200, 1, ".0f")
        c["ticket"] = _slider(W.FloatSlider, "Average ticket (%)", 50, 200, 1, ".0f")
        c["product_cost"] = _slider(W.FloatSlider, "Product cost (% of rev.)", 0, 60, 0.1, ".1f")
        c["wages"] = _slider(W.FloatSlider, "Pay rates (% of scenario)", 50, 200, 1, ".0f")
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
        c["loan_share"] = _slider(W.FloatSlider, "Loan (% of capital)", 0, 90, 5, ".0f")
        c["loan_rate"] = _slider(W.FloatSlider, "Loan rate (%/year)", 0, 20, 0.25, ".2f")
        c["exit_multiple"] = _slider(W.FloatSlider, "Exit multiple (x EBITDA)", 0, 10, 0.25, ".2f")
        c["save_dir"] = W.Text(description="Save to folder", style=DESC, layout=_full(),
                               value=str(save_dir or model.default_save_dir()))
        c["save"] = W.Button(description="Save scenario", icon="save", button_style="primary",
                             layout=W.Layout(width="48%"))
        c["render"] = W.Button(description="Render report", icon="file-pdf-o",
                               layout=W.Layout(width="48%"))
        c["cmp_a"] = W.Dropdown(description="Scenario A", style=DESC, layout=_full())
        c["cmp_b"] = W.Dropdown(description="Scenario B", style=DESC, layout=_full())
        c["compare"] = W.Button(description="Compare side by side", icon="columns",
                                layout=W.Layout(width="97%"))
        for key, widget in c.items():
            widget.add_class(f"mso-{key.replace('_', '-')}")
        self.controls = c
        # a number box beside every slider: typed values are checked, never clamped
        self.boxes: dict[str, W.Text] = {}
        self.box_errors: dict[str, str] = {}
        rows: dict[str, W.Widget] = {}
        for key, widget in c.items():
            if isinstance(widget, (W.IntSlider, W.FloatSlider)):
                box = W.Text(layout=W.Layout(width="96px"), continuous_update=False)
                box.add_class("mx-box")
                box.add_class(f"mso-{key.replace('_', '-')}-box")
                self.boxes[key] = box
                box.observe(lambda ch, k=key: self._on_box(k, ch["new"]), "value")
                widget.observe(lambda ch, k=key: self._sync_box(k), "value")
                rows[key] = W.HBox([widget, box], layout=W.Layout(width="97%"))
            else:
                rows[key] = widget
        self.roles_box = W.VBox(layout=W.Layout(padding="0 0 0 173px"))
        self.role_boxes: dict[str, W.Checkbox] = {}

        self.visits_note = W.HTML()
        self.cadence_note = W.HTML()
        self.discount_note = W.HTML()
        self.roles_note = W.HTML()
        self.no_show_note = W.HTML()
        self.ticket_note = W.HTML()
        self.fee_note = W.HTML()
        self.structure_note = W.HTML(layout=_full())
        self.structure_note.add_class("mso-structure-note")
        self.message = W.HTML(layout=_full())
        self.message.add_class("mso-message")
        self.file_status = W.HTML(layout=_full())
        self.file_status.add_class("mso-file-status")

        note, r = self._note, rows
        sections = [
            ("Scenario", [r["scenario"], r["path"], r["load"], r["name"],
                          note("The name and description follow your choices of owner and "
                               "sites until you type a name."), r["reset"]]),
            ("Owner and legal structure", [r["state"], r["licence"], r["structure"],
                                           self.structure_note]),
            ("Sites", [r["n_sites"], r["cadence"], self.cadence_note,
                       note("Extra sites copy the site defaults; openings are spaced evenly "
                            "from the first site's month once you move the spacing."),
                       r["injectors"], r["injector_hours"],
                       note("Injectors: treating providers per site (their capacity and the "
                            "injector roles' pay follow)."),
                       r["rent"], r["buildout"], r["equipment"]]),
            ("Volumes, prices and pay", [r["visits"], self.visits_note, r["ticket"],
                                         self.ticket_note, r["product_cost"], r["wages"],
                                         note("Pay rates scale every role's hourly and salaried "
                                              "pay.")]),
            ("Third-party MSO offer", [r["fee_type"], r["fee_level"], r["fee_base"],
                                       self.fee_note, r["fee_floor"], r["fee_cap"],
                                       r["discount"], self.discount_note,
                                       note("Admin roles the MSO takes over:"), self.roles_box,
                                       self.roles_note]),
            ("Software offer", [r["sw_price"], r["no_show"], self.no_show_note]),
            ("Finance", [r["discount_rate"], note(model.GLOSSARY["Discount rate"]), r["horizon"],
                         r["loan_share"], r["loan_rate"], r["exit_multiple"],
                         note(model.GLOSSARY["Exit multiple"])]),
        ]
        self.accordion = W.Accordion(children=[W.VBox(items) for _, items in sections],
                                     titles=tuple(t for t, _ in sections), selected_index=1)
        self.accordion.add_class("mso-accordion")
        save_box = W.VBox([c["save_dir"], W.HBox([c["save"], c["render"]],
                                                 layout=W.Layout(justify_content="space-between")),
                           self.file_status], layout=W.Layout(margin="12px 0 0 0"))
        self.compare_status = W.HTML(layout=_full())
        self.compare_status.add_class("mso-compare-status")
        compare_box = W.VBox([W.HTML("<div class='mx-panel-title'>Compare two saved scenarios"
                                     "</div>"), c["cmp_a"], c["cmp_b"], c["compare"],
                              self.compare_status], layout=W.Layout(margin="14px 0 0 0"))
        controls = W.VBox([W.HTML("<div class='mx-panel-title'>Assumptions</div>"), self.message,
                           self.accordion, save_box, compare_box],
                          layout=W.Layout(width="500px", min_width="500px", padding="0 18px 0 0"))

        self.title = W.HTML()
        self.structure_banner = W.HTML(layout=_full())
        self.structure_banner.add_class("mso-structure-banner")
        self.recommendation = W.HTML(layout=_full())
        self.recommendation.add_class("mso-recommendation")
        self.table = W.HTML(layout=_full())
        self.table.add_class("mso-key-figures")
        self.decision_details = W.HTML(layout=_full())
        self.decision_details.add_class("mso-decision-details")
        self.notes = W.HTML(layout=_full())
        self.notes.add_class("mso-notes")
        self.status = W.HTML()
        self.images = {name: W.Image(format="png", layout=W.Layout(width="100%"))
                       for name in ("cash_flow", "ebitda", "breakeven")}
        charts = W.GridBox([self.images["cash_flow"], self.images["ebitda"],
                            self.images["breakeven"], self.notes],
                           layout=W.Layout(grid_template_columns="1fr 1fr", grid_gap="10px 16px",
                                           width="100%", align_items="flex-start"))
        self.drivers_outcome = W.ToggleButtons(options=[("vs the runner-up", "")], value="",
                                               style={"button_width": "290px"})
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
        self.side_by_side = W.HTML(layout=_full())
        self.side_by_side.add_class("mso-side-by-side")
        glossary = W.Accordion(children=[W.HTML(model.glossary_html())],
                               titles=("What the terms mean",), selected_index=None)
        glossary.add_class("mso-glossary")
        self.glossary = glossary
        results = W.VBox([self.title, self.structure_banner, self.recommendation, self.table,
                          self.decision_details, charts, drivers, self.side_by_side, glossary, self.status],
                         layout=W.Layout(flex="1 1 auto", min_width="0"))
        self.widget = W.VBox([W.HTML(STYLE), W.HBox([controls, results],
                                                    layout=W.Layout(align_items="flex-start"))])
        self.widget.add_class("mso-explorer")

    # ------------------------------------------------------------------ the number boxes
    def _sync_box(self, key: str) -> None:
        """A slider moved (or was set): its box shows the value, and any rejection clears."""
        box = self.boxes[key]
        text = _format(self.controls[key])
        self.box_errors.pop(key, None)
        box.remove_class("mx-invalid")
        if box.value != text:
            with self._suspended():
                box.value = text

    def _box_bounds(self, key: str) -> tuple[float, float]:
        if key == "fee_level":
            return FEE_BOUNDS[self.controls["fee_type"].value]
        return BOUNDS[key]

    def _on_box(self, key: str, text: str) -> None:
        """A typed value: checked against the setting's limits; rejected visibly, not clamped."""
        if self._suspend:
            return
        w, box = self.controls[key], self.boxes[key]
        what = str(w.description)
        lo, hi = self._box_bounds(key)
        try:
            value = parse_number(text, what, lo, hi, integer=isinstance(w, W.IntSlider))
        except SettingsError as exc:
            self.box_errors[key] = str(exc)
            box.add_class("mx-invalid")
            self._show_error(exc)
            return
        self.box_errors.pop(key, None)
        box.remove_class("mx-invalid")
        if value == w.value:
            self._schedule()  # the same value again: recompute to clear the message
            return
        with self._suspended():
            w.min, w.max = min(w.min, value), max(w.max, value)
        w.value = value  # the slider's observer schedules the recompute

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
        self._shown_name = str(raw["name"])
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
        asked = str(get(raw, "structure.type", "auto"))
        c["structure"].options = list(STRUCTURE_OPTIONS)
        c["structure"].value = asked if asked in ("direct", "friendly_pc") else "auto"
        _fit(c["injectors"], model.injectors(raw), 0, 6)
        _fit(c["injector_hours"], model.injector_hours(raw), 40, 200)
        _fit(c["rent"], model.rent(raw), 0, 30000)
        _fit(c["buildout"], float(raw["site_defaults"].get("startup_cost", 0.0)), 0, 1500000)
        _fit(c["equipment"], model.equipment_cost(raw), 0, 800000)
        _fit(c["wages"], 100 * float(get(raw, "adjustments.wage_multiplier", 1.0)), 50, 200)
        share, apr = model.loan(raw)
        _fit(c["loan_share"], 100 * share, 0, 90)
        _fit(c["loan_rate"], 100 * apr, 0, 20)
        _fit(c["exit_multiple"], exit_multiple(raw), 0, 10)
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
            self.boxes["fee_base"].layout.display = "" if kind == "hybrid" else "none"
        self._sync_box("fee_level")

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
        if self.box_errors:  # a rejected number box: nothing recomputes until it is fixed
            raise SettingsError(next(iter(self.box_errors.values())))

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
            name=self._typed_name(), state=raw("state") or None, licence=raw("licence") or None,
            n_sites=raw("n_sites"), cadence_months=raw("cadence"),
            volume_multiplier=pct("visits"), price_multiplier=pct("ticket"),
            product_cost_share=pct("product_cost"), structure=raw("structure"),
            fee_type=None if kind == self._base_fee_type else kind,
            fee_level=self._fee_level_value() if level_changed else None,
            fee_base=float(c["fee_base"].value) if kind == "hybrid" and (
                raw("fee_base") is not None or self._base_fee_type != "hybrid") else None,
            fee_limits=limits, purchasing_discount=pct("discount"),
            absorbed_roles=None if roles == self._initial_roles else roles,
            software_price=raw("sw_price"), no_show_reduction=pct("no_show"),
            discount_rate=pct("discount_rate"), horizon_months=raw("horizon"),
            rent_monthly=raw("rent"), wage_multiplier=pct("wages"), injectors=raw("injectors"),
            injector_hours=raw("injector_hours"), buildout=raw("buildout"),
            equipment=raw("equipment"), loan_share=pct("loan_share"), loan_rate=pct("loan_rate"),
            exit_multiple=raw("exit_multiple"),
        )

    def _typed_name(self) -> str | None:
        """The name the user typed, None while the box shows the name the page chose."""
        value = self.controls["name"].value
        return None if value == self._shown_name else value

    def _show_name(self, name: str) -> None:
        """Show the scenario's (derived) name in the name box without it counting as typed."""
        if self._typed_name() is not None:
            return
        self._shown_name = name
        with self._suspended():
            self.controls["name"].value = name

    # ------------------------------------------------------------------ notes beside the controls
    def _update_applicability(self) -> None:
        """Disable, with a note, the controls that cannot change anything right now."""
        c = self.controls
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
