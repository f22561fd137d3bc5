"""The :class:`Explorer`: controls on the left, live results on the right.

Every control change schedules one recompute (debounced, so dragging a slider stays smooth):
controls -> :class:`~msomodel.explorer.model.Settings` -> scenario dict -> ``scenario_from_dict``
-> ``compare`` -> table and sentences; then, in a separate step of the event loop so the table
is on screen first, the charts and "What drives the answer" (the tornado of
:func:`msomodel.analysis.tornado`, one batched engine call).  An invalid combination shows a
message above the controls and keeps the last valid result on screen; nothing raises into the
page.  Controls that cannot change anything for the current settings (the admin roles of an
owned MSO, the opening spacing of a single site, ...) are disabled with a short note.
"""

from __future__ import annotations

import asyncio
import base64
import html
import os
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ipywidgets as W

from msomodel.explorer import model
from msomodel.explorer.draw import ChartSet, TornadoChart
from msomodel.explorer.model import FEE_LABELS, Drivers, Settings, SettingsError, Snapshot
from msomodel.loader import ScenarioError

DESC = {"description_width": "165px"}


def _full() -> W.Layout:
    """A fresh full-width layout (a Layout shared between widgets breaks their display)."""
    return W.Layout(width="97%")


LICENCE_LABELS = {"physician": "Physician (MD/DO)", "np": "Nurse practitioner",
                  "pa": "Physician assistant", "rn": "Registered nurse",
                  "none": "Lay owner (no licence)"}
MSO_KINDS = {"third_party": "Third-party MSO", "owned": "Owned MSO + friendly PC"}
DRIVER_TABS = (("MSO advantage", "mso"), ("Software advantage", "software_only"))
PATH_LABELS = (("mso.fee", "MSO fee"), ("mso", "MSO offer"), ("sites", "Sites"),
               ("finance", "Finance"), ("owner", "Owner"), ("software", "Software offer"),
               ("adjustments", "Volumes and prices"), ("site_defaults", "Site assumptions"))
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


class Explorer:
    """Interactive comparison of the three operating options for one scenario.

    >>> ex = Explorer("scenarios/ohio_physician_single_site.yaml", debounce=0)
    >>> ex.controls["fee_level"].value = 15000        # recomputes at once with debounce=0
    >>> ex.snapshot.mso_npv
    >>> ex.widget                                      # display it in a notebook
    """

    def __init__(self, scenario: str | os.PathLike[str] | None = None, *, debounce: float = 0.2,
                 save_dir: str | os.PathLike[str] | None = None, draw: bool = True) -> None:
        self.debounce = debounce
        self.draw_charts = draw
        self.raw: dict[str, Any] = {}
        self.origin: Path | None = None
        self.snapshot: Snapshot | None = None
        self.drivers: Drivers | None = None
        self.error: str | None = None
        self.last_saved: Path | None = None
        self.timings_ms: dict[str, float] = {}
        self._initial: dict[str, Any] = {}
        self._initial_roles: tuple[str, ...] = ()
        self.last_traceback: str | None = None
        self._fee_memory: dict[str, float] = {}
        self._base_fee_type = "flat"
        self._suspend = 0
        self._pending: asyncio.TimerHandle | None = None
        self._pending_after: asyncio.Handle | None = None
        self._started = 0.0
        self._no_shows = True
        self._charts = ChartSet() if draw else None
        self._tornado = TornadoChart() if draw else None
        self.bundled = model.bundled_scenarios()
        self._build(save_dir)
        start = scenario or os.environ.get("MSOMODEL_EXPLORER_SCENARIO") or self._first_bundled()
        if start:
            self.load(start)

    # ------------------------------------------------------------------ building the page
    def _first_bundled(self) -> str | None:
        preferred = [p for p in self.bundled.values() if p.name == "ohio_physician_single_site.yaml"]
        paths = preferred or list(self.bundled.values())
        return str(paths[0]) if paths else None

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

        c["scenario"].observe(self._on_scenario, "value")
        c["load"].on_click(lambda _: self._load_path(c["path"].value))
        c["path"].observe(lambda ch: self._load_path(ch["new"]) if ch["new"] else None, "value")
        c["fee_type"].observe(self._on_fee_type, "value")
        self.drivers_outcome.observe(lambda _: self._show_drivers(), "value")
        c["save"].on_click(lambda _: self._guard(self.save))
        c["render"].on_click(lambda _: self._guard(self.render_report))
        for key in ("name", "state", "licence", "n_sites", "cadence", "visits", "ticket",
                    "product_cost", "mso_kind", "fee_level", "fee_base", "fee_floor", "fee_cap",
                    "discount", "sw_price", "no_show", "discount_rate", "horizon"):
            c[key].observe(self._schedule, "value")

    @staticmethod
    def _note(text: str) -> W.HTML:
        return W.HTML(f"<div class='mx-note'>{html.escape(text)}</div>")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------------ loading a scenario
    @contextmanager
    def _suspended(self) -> Iterator[None]:
        self._suspend += 1
        try:
            yield
        finally:
            self._suspend -= 1

    def _on_scenario(self, change: dict[str, Any]) -> None:
        other = change["new"] == OTHER
        self.controls["path"].layout.display = "" if other else "none"
        self.controls["load"].layout.display = "" if other else "none"
        if not other and not self._suspend:
            self.load(change["new"])

    def _load_path(self, path: str) -> None:
        if path.strip():
            self.load(path.strip())

    def load(self, path: str | os.PathLike[str]) -> bool:
        """Start from a scenario file; False (and a message) if it cannot be read."""
        try:
            raw = model.load_raw(path)
            for key in ("name", "sites", "site_defaults", "mso", "software"):
                if key not in raw:
                    raise SettingsError(f"{path}: expected a '{key}' section in the scenario")
        except (ScenarioError, SettingsError) as exc:
            self._show_error(exc)
            return False
        self.raw, self.origin = raw, Path(path).expanduser().resolve()
        with self._suspended():
            self._set_from_raw()
        self._initial = {k: w.value for k, w in self.controls.items() if hasattr(w, "value")}
        self._initial_roles = self._checked_roles()
        self.recompute(defer=False)
        return True

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

    def _on_fee_type(self, change: dict[str, Any]) -> None:
        if self._suspend:
            return
        old, new = change["old"], change["new"]
        if old in model.LEVEL_KEY and self.controls["fee_level"].value is not None:
            self._fee_memory[old] = self._fee_level_from(old)
        self._configure_fee_level(new)
        self._schedule()

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

    def scenario_dict(self) -> dict[str, Any]:
        """The complete scenario the controls describe (raises SettingsError)."""
        return model.apply_settings(self.raw, self.settings())

    # ------------------------------------------------------------------ recomputing
    def _schedule(self, *_: Any) -> None:
        if self._suspend or not self.raw:
            return
        self._update_notes()
        if self.debounce <= 0:
            self.recompute()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # plain Python (tests, scripts): no event loop, recompute now
            self.recompute()
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(self.debounce, self._fire)

    def _fire(self) -> None:
        self._pending = None
        self.recompute()

    def flush(self) -> None:
        """Run a pending debounced recompute, and the charts and drivers after it, now."""
        if self._pending is not None:
            self._pending.cancel()
            self._fire()
        if self._pending_after is not None:
            self._pending_after.cancel()
            self._pending_after = None
            if self.snapshot is not None:
                self._after_table(self.snapshot)

    def recompute(self, *, defer: bool | None = None) -> bool:
        """Controls -> scenario -> compare -> outputs; False (and a message) if invalid.

        The table and sentences are shown at once; the charts and "What drives the answer"
        follow in the next step of the event loop when ``defer`` (default: when debouncing
        inside a running loop, i.e. live in a notebook or the app), else straight away.
        """
        started = time.perf_counter()
        try:
            data = self.scenario_dict()
            snap = model.compute(data, source=self.controls["name"].value or "<explorer>")
        except (ScenarioError, SettingsError) as exc:
            self._show_error(exc)
            return False
        except Exception as exc:  # never a traceback in the page
            self._show_error(exc, unexpected=True)
            return False
        self.snapshot, self.error = snap, None
        self.message.value = ""
        self._render(snap)
        self._started = started
        self.timings_ms = {**snap.timings_ms, "page": (time.perf_counter() - started) * 1e3}
        if self._pending_after is not None:
            self._pending_after.cancel()
            self._pending_after = None
        loop = _running_loop() if defer is None and self.debounce > 0 else None
        if defer and loop is None:
            loop = _running_loop()
        if loop is not None:
            self._pending_after = loop.call_soon(self._after_table, snap)
        else:
            self._after_table(snap)
        return True

    def _render(self, snap: Snapshot) -> None:
        """The fast part: title, recommendation, key figures and notes."""
        result = snap.result
        self.title.value = (f"<div class='mx-title'>{html.escape(result.scenario.name)}</div>"
                            f"<div class='mx-subtitle'>{len(result.inputs.sites)} site(s), "
                            f"{result.horizon} months, discount rate "
                            f"{result.scenario.finance.discount_rate_annual:.1%}</div>")
        self.recommendation.value = (
            f"<div class='mx-rec'><b>{html.escape(snap.recommendation)}</b>"
            f"<br>{html.escape(snap.breakeven_text)}</div>")
        self.table.value = snap.table_html
        self.notes.value = notes_html(snap.notes)
        no_show = result.inputs.arrays.get("no_show")
        self._no_shows = no_show is None or bool((no_show > 0).any())
        self._update_applicability()

    def _after_table(self, snap: Snapshot) -> None:
        """The slower part, once the table is on screen: charts, then what drives the answer."""
        self._pending_after = None
        if snap is not self.snapshot:  # superseded by a newer recompute
            return
        t = time.perf_counter()
        try:
            if self._charts is not None:
                for name, png in self._charts.draw(snap.charts).items():
                    self.images[name].value = png
                snap.timings_ms["draw"] = (time.perf_counter() - t) * 1e3
            self.drivers = model.drivers(snap.result)
            snap.timings_ms["tornado"] = self.drivers.timings_ms["tornado"]
            self._show_drivers()
        except Exception as exc:  # never a traceback in the page
            self.drivers = None
            self.last_traceback = traceback.format_exc()
            self.drivers_text.value = (f"<div class='mx-error'>What drives the answer could not "
                                       f"be computed: {html.escape(str(exc))}</div>")
            self.drivers_image.layout.display = "none"
        self.timings_ms = {**snap.timings_ms, "page": (time.perf_counter() - self._started) * 1e3}
        extra = "".join(f", {label} {snap.timings_ms[key]:.0f} ms" for key, label in
                        (("tornado", "drivers"), ("draw", "charts"), ("tornado_draw", "tornado chart"))
                        if key in snap.timings_ms)
        self.status.value = (f"<div class='mx-status'>Updated in {self.timings_ms['page']:.0f} ms "
                             f"(model {snap.timings_ms['model']:.0f} ms{extra}).</div>")

    def _show_drivers(self) -> None:
        """Draw the tornado of the chosen outcome from the last drivers (no recompute)."""
        d, outcome = self.drivers, self.drivers_outcome.value
        if d is None:
            return
        self.drivers_text.value = model.drivers_html(d, outcome)
        if self._tornado is not None:
            t = time.perf_counter()
            self.drivers_image.value = self._tornado.draw(d, outcome)
            self.drivers_image.layout.display = ""
            if self.snapshot is not None:
                self.snapshot.timings_ms["tornado_draw"] = (time.perf_counter() - t) * 1e3

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

    def _show_error(self, exc: BaseException, *, unexpected: bool = False) -> None:
        if isinstance(exc, ScenarioError):
            lines = [_problem_html(p.path, p.message) for p in exc.problems]
        elif unexpected:
            lines = [html.escape(f"Unexpected error: {type(exc).__name__}: {exc}")]
            self.last_traceback = traceback.format_exc()
        else:
            lines = [html.escape(str(exc))]
        self.error = "; ".join(str(p) for p in getattr(exc, "problems", [exc]))
        kept = " The results show the last valid settings." if self.snapshot else ""
        self.message.value = (f"<div class='mx-error'><b>Cannot use these settings.</b>{kept}"
                              f"<ul>{''.join(f'<li>{x}</li>' for x in lines)}</ul></div>")

    def _guard(self, action: Any) -> None:
        try:
            action()
        except (ScenarioError, SettingsError, OSError) as exc:
            self._file_message(f"Not saved: {exc}", ok=False)
        except Exception as exc:
            self._file_message(f"Failed: {type(exc).__name__}: {exc}", ok=False)

    # ------------------------------------------------------------------ save and report
    def save(self, folder: str | os.PathLike[str] | None = None, name: str | None = None) -> Path:
        """Write the current settings as a complete scenario YAML; returns its path."""
        data = self.scenario_dict()
        folder = folder or self.controls["save_dir"].value.strip() or model.default_save_dir()
        path = model.save_scenario(data, folder, name or data["name"],
                                   origin=self.origin.name if self.origin else None)
        self.last_saved = path
        self._file_message(f"Saved <code>{html.escape(str(path))}</code>. Check it with "
                           f"<code>msomodel validate</code>.", ok=True, raw_html=True)
        return path

    def render_report(self, out_dir: str | os.PathLike[str] | None = None) -> Path | None:
        """Save, then render the PDF report of the saved scenario; returns the PDF's path."""
        path = self.save()
        try:
            from msomodel.report import render_one
        except ImportError as exc:
            self._file_message(f"Reports are not available: {exc}", ok=False)
            return None
        self._file_message("Rendering the report… (this takes a few seconds)", ok=True)
        out = Path(out_dir) if out_dir else path.parent / "reports"
        self.controls["render"].disabled = True
        try:
            result = render_one(path, out, formats=("html", "pdf"))
        finally:
            self.controls["render"].disabled = False
        if not result.ok or "pdf" not in result.outputs:
            self._file_message(f"The report failed: {result.error or 'no PDF written'}", ok=False)
            return None
        pdf = Path(result.outputs["pdf"])
        data = base64.b64encode(pdf.read_bytes()).decode("ascii")
        self._file_message(
            f"Saved <code>{html.escape(str(path))}</code>; report: "
            f"<a download='{html.escape(pdf.name)}' href='data:application/pdf;base64,{data}'>"
            f"download {html.escape(pdf.name)}</a> (also at <code>{html.escape(str(pdf))}</code>).",
            ok=True, raw_html=True)
        return pdf

    def _file_message(self, text: str, *, ok: bool, raw_html: bool = False) -> None:
        body = text if raw_html else html.escape(text)
        self.file_status.value = f"<div class='mx-{'file' if ok else 'error'}'>{body}</div>"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _note_html(text: str) -> str:
    return f"<div class='mx-note mx-unused'>{html.escape(text)}</div>" if text else ""


def notes_html(notes: list[tuple[str, str]]) -> str:
    items = [(sev, text) for sev, text in notes if sev != "disclaimer"]
    disclaimer = [text for sev, text in notes if sev == "disclaimer"]
    body = "".join(f"<li class='mx-{sev}'>{html.escape(text)}</li>" for sev, text in items)
    if not items:
        body = "<li class='mx-ok'>All three options are open to this owner on the data available.</li>"
    foot = f"<div class='mx-disclaimer'>{html.escape(disclaimer[0])}</div>" if disclaimer else ""
    return f"<div class='mx-notes'><b>Ownership rules and deal warnings</b><ul>{body}</ul>{foot}</div>"


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


def _problem_html(path: str, message: str) -> str:
    label = next((lab for prefix, lab in PATH_LABELS if path == prefix or path.startswith(prefix + ".")),
                 None)
    where = f"<b>{html.escape(label)}</b>: " if label else ""
    detail = f" <span class='mx-path'>({html.escape(path)})</span>" if path else ""
    return f"{where}{html.escape(message)}{detail}"


STYLE = """
<style>
.mso-explorer { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2a33; }
.mso-explorer .mx-panel-title { font-size: 15px; font-weight: 600; margin: 4px 0 8px 0; }
.mso-explorer .mx-title { font-size: 22px; font-weight: 600; margin: 0 0 2px 0; }
.mso-explorer .mx-subtitle { color: #5c6873; font-size: 13px; margin-bottom: 10px; }
.mso-explorer .mx-rec { background: #eef7f6; border-left: 4px solid #1B7F79; padding: 10px 14px;
  font-size: 14px; line-height: 1.45; border-radius: 3px; margin-bottom: 10px; }
.mso-explorer .mx-note { color: #5c6873; font-size: 12px; line-height: 1.35; margin: -2px 0 6px 173px; }
.mso-explorer .mx-status { color: #8a949c; font-size: 11px; margin-top: 6px; }
.mso-explorer .mx-error { background: #fbeeed; border-left: 4px solid #B5403A; padding: 8px 12px;
  font-size: 13px; border-radius: 3px; margin-bottom: 8px; line-height: 1.4; }
.mso-explorer .mx-error ul { margin: 4px 0 0 0; padding-left: 18px; }
.mso-explorer .mx-path { color: #8a949c; font-size: 11px; }
.mso-explorer .mx-file { background: #f3f6f8; padding: 8px 12px; font-size: 12.5px;
  border-radius: 3px; line-height: 1.4; word-break: break-all; }
.mso-explorer table.mx-kf { border-collapse: collapse; width: 100%; font-size: 13.5px;
  margin-bottom: 10px; }
.mso-explorer table.mx-kf th, .mso-explorer table.mx-kf td { padding: 5px 10px;
  border-bottom: 1px solid #e3e6ea; }
.mso-explorer table.mx-kf thead th { text-align: right; font-size: 14px; border-bottom: 2px solid #c9d0d6;
  vertical-align: bottom; }
.mso-explorer table.mx-kf td { text-align: right; font-variant-numeric: tabular-nums; }
.mso-explorer table.mx-kf th.mx-rowhead { text-align: left; font-weight: 500; color: #3d4852; }
.mso-explorer table.mx-kf tr.mx-npv-row td { font-weight: 700; font-size: 14.5px; }
.mso-explorer table.mx-kf .recommended { background: #f2faf9; }
.mso-explorer table.mx-kf .infeasible { color: #9aa3ab; }
.mso-explorer .mx-badge { display: block; font-size: 10.5px; font-weight: 600; margin-top: 2px;
  text-transform: uppercase; letter-spacing: 0.04em; }
.mso-explorer .mx-badge-good { color: #1B7F79; }
.mso-explorer .mx-badge-bad { color: #B5403A; }
.mso-explorer .mx-notes { font-size: 13px; line-height: 1.4; padding: 4px 4px 0 4px; }
.mso-explorer .mx-notes li { margin-bottom: 5px; }
.mso-explorer .mx-notes ul { margin: 4px 0; padding-left: 18px; }
.mso-explorer li.mx-bad { color: #B5403A; }
.mso-explorer li.mx-warn { color: #8a5a00; }
.mso-explorer li.mx-info { color: #3d4852; }
.mso-explorer .mx-disclaimer { color: #8a949c; font-size: 11.5px; line-height: 1.35; }
.mso-explorer .mx-ok { color: #2E7D4F; }
.mso-explorer .widget-readout { min-width: 64px; }
.mso-explorer .mx-unused { color: #8a5a00; }
.mso-explorer .mx-section { font-size: 16px; font-weight: 600; }
.mso-explorer .mx-drivers-text { font-size: 13px; line-height: 1.45; color: #3d4852;
  margin: 2px 0 6px 0; }
.mso-explorer .mso-drivers { border-top: 1px solid #e3e6ea; padding-top: 10px; }
</style>
"""
