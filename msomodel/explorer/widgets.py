"""The :class:`Explorer`: controls on the left, live results on the right.

Every control change schedules one recompute (debounced, so dragging a slider stays smooth):
controls -> :class:`~msomodel.explorer.model.Settings` -> scenario dict -> ``scenario_from_dict``
-> ``compare`` -> table and sentences; then, in separate steps of the event loop so the table
is on screen first, the charts, "What drives the answer" (the tornado of
:func:`msomodel.analysis.tornado`, one batched engine call) and last the decision's Monte Carlo
(the slowest step: every chart is up to date before it starts).  The charts are updated in
place (:mod:`.draw`): a slider move redraws what changed, not the figures.  An invalid combination shows a
message above the controls and keeps the last valid result on screen; nothing raises into the
page.  Controls that cannot change anything for the current settings (the admin roles of an
owned MSO, the opening spacing of a single site, ...) are disabled with a short note.

The controls themselves (building them, setting them from the scenario, reading them back as
settings) are :class:`~msomodel.explorer.controls.ControlPanel`'s, a base class of the Explorer.
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

from msomodel.explorer import model
from msomodel.explorer.controls import OTHER, STRUCTURE_OPTIONS, ControlPanel
from msomodel.explorer.draw import ChartSet, TornadoChart
from msomodel.explorer.files import save_target
from msomodel.explorer.model import Drivers, SettingsError, Snapshot
from msomodel.explorer.style import _problem_html, notes_html
from msomodel.formatting import lower_first
from msomodel.loader import ScenarioError


class Explorer(ControlPanel):
    """Interactive comparison of the three operating options for one scenario.

    >>> ex = Explorer("scenarios/ohio_physician_single_site.yaml", debounce=0)
    >>> ex.controls["fee_level"].value = 15000        # recomputes at once with debounce=0
    >>> ex.snapshot.mso_npv
    >>> ex.widget                                      # display it in a notebook
    """

    #: The steps after the table, in order (each its own step of the event loop when live).
    STAGES: tuple[str, ...] = ("_draw_charts", "_compute_drivers", "_decide", "_finish")

    def __init__(self, scenario: str | os.PathLike[str] | None = None, *, debounce: float = 0.2,
                 save_dir: str | os.PathLike[str] | None = None, draw: bool = True) -> None:
        self.debounce = debounce
        self.draw_charts = draw
        self.raw: dict[str, Any] = {}
        self._start_inputs: Any = None  # the starting scenario's ModelInputs, once computed
        self.origin: Path | None = None
        self.snapshot: Snapshot | None = None
        self.drivers: Drivers | None = None
        self.error: str | None = None
        self.last_saved: Path | None = None
        self._confirm_overwrite: Path | None = None  # the file a second click may replace
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
        self._shown_name = ""
        self._stages: list[Any] = []
        self.compared: model.SideBySide | None = None
        self._charts = ChartSet() if draw else None
        self._tornado = TornadoChart() if draw else None
        self.bundled = model.bundled_scenarios()
        self._build(save_dir)
        self._connect()
        start = scenario or os.environ.get("MSOMODEL_EXPLORER_SCENARIO") or self._first_bundled()
        if start:
            self.load(start)

    # ------------------------------------------------------------------ the page
    def _first_bundled(self) -> str | None:
        preferred = [p for p in self.bundled.values() if p.name == "ohio_physician_single_site.yaml"]
        paths = preferred or list(self.bundled.values())
        return str(paths[0]) if paths else None

    def _connect(self) -> None:
        """Wire the controls: a change of value schedules a recompute."""
        c = self.controls
        c["scenario"].observe(self._on_scenario, "value")
        c["load"].on_click(lambda _: self._load_path(c["path"].value))
        c["path"].observe(lambda ch: self._load_path(ch["new"]) if ch["new"] else None, "value")
        c["fee_type"].observe(self._on_fee_type, "value")
        self.drivers_outcome.observe(lambda _: self._show_drivers(), "value")
        c["save"].on_click(lambda _: self._guard(self.save))
        c["render"].on_click(lambda _: self._guard(self.render_report))
        c["reset"].on_click(lambda _: self.reset())
        c["compare"].on_click(lambda _: self.compare_files())
        c["state"].observe(self._on_owner, "value")
        c["licence"].observe(self._on_owner, "value")
        for key in ("name", "structure", "n_sites", "cadence", "injectors", "injector_hours",
                    "rent", "buildout", "equipment", "visits", "ticket", "product_cost", "wages",
                    "fee_level", "fee_base", "fee_floor", "fee_cap", "discount", "sw_price",
                    "no_show", "discount_rate", "horizon", "loan_share", "loan_rate",
                    "exit_multiple"):
            c[key].observe(self._schedule, "value")

    def _on_owner(self, change: dict[str, Any]) -> None:
        """A new state or licence: the structure goes back to what the rules decide."""
        if self._suspend:
            return
        with self._suspended():
            self.controls["structure"].options = list(STRUCTURE_OPTIONS)
            self.controls["structure"].value = "auto"
        self._schedule()

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
        self.box_errors.clear()
        with self._suspended():
            self._set_from_raw()
        self._initial = {k: w.value for k, w in self.controls.items() if hasattr(w, "value")}
        self._initial_roles = self._checked_roles()
        self._refresh_compare_choices()
        self._start_inputs = None
        ok = self.recompute(defer=False)
        # the file's own inputs: a control moved away from them takes its distribution along
        self._start_inputs = self.snapshot.result.inputs if ok and self.snapshot else None
        return True

    def reset(self) -> bool:
        """Back to the starting scenario as its file says (every control, the name)."""
        if self.origin is None:
            return False
        self.controls["name"].value = self._shown_name  # a typed name goes too
        ok = self.load(self.origin)
        if ok:
            self._file_message("Reset to the starting scenario.", ok=True)
        return ok

    # ------------------------------------------------------------------ fee type and settings
    def _on_fee_type(self, change: dict[str, Any]) -> None:
        if self._suspend:
            return
        old, new = change["old"], change["new"]
        if old in model.LEVEL_KEY and self.controls["fee_level"].value is not None:
            self._fee_memory[old] = self._fee_level_from(old)
        self._configure_fee_level(new)
        self._schedule()

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
        if "mx-error" in self.file_status.value:  # an old failure no longer applies
            self.file_status.value = ""
        self._show_name(str(data["name"]))
        self._render(snap)
        snap.timings_ms["to_table"] = (time.perf_counter() - started) * 1e3
        self._started = started
        self.timings_ms = {**snap.timings_ms, "page": (time.perf_counter() - started) * 1e3}
        if self._pending_after is not None:
            self._pending_after.cancel()
            self._pending_after = None
        loop = _running_loop() if defer is None and self.debounce > 0 else None
        if defer and loop is None:
            loop = _running_loop()
        self._stages = [getattr(self, name) for name in self.STAGES]
        if loop is not None:
            self._pending_after = loop.call_soon(self._next_stage, snap)
        else:
            self._after_table(snap)
        return True

    def _render(self, snap: Snapshot) -> None:
        """The fast part: title, recommendation, key figures and notes."""
        result = snap.result
        desc = result.scenario.description or ""
        self.title.value = (f"<div class='mx-title'>{html.escape(result.scenario.name)}</div>"
                            f"<div class='mx-description'>{html.escape(desc)}</div>"
                            f"<div class='mx-subtitle'>{len(result.inputs.sites)} site(s), "
                            f"{result.horizon} months, discount rate "
                            f"{result.scenario.finance.discount_rate_annual:.1%}; "
                            f"{html.escape(lower_first(result.structure_label))}</div>")
        sentence = model.structure_sentence(result)
        self.structure_note.value = f"<div class='mx-structure-note'>{sentence}</div>"
        self.structure_banner.value = (f"<div class='mx-structure'><b>Legal structure: "
                                       f"{html.escape(result.structure_label)}.</b> {sentence}"
                                       "</div>")
        choices = model.structure_choices(result)
        w = self.controls["structure"]
        with self._suspended():
            value = w.value
            if value not in [v for _, v in choices]:
                label = next(lab for lab, v in STRUCTURE_OPTIONS if v == value)
                choices.append((f"{label} (not open to this owner)", value))
            w.options = choices
            w.value = value
        self.recommendation.value = model.decision_html(snap)
        self.decision_details.value = model.decision_details_html(snap)
        self.table.value = snap.table_html
        self.notes.value = notes_html(snap.notes)
        no_show = result.inputs.arrays.get("no_show")
        self._no_shows = no_show is None or bool((no_show > 0).any())
        self._update_applicability()

    def _next_stage(self, snap: Snapshot) -> None:
        """Run the next slow step, then schedule the one after it (so a newer change can
        supersede the rest between steps)."""
        self._pending_after = None
        if snap is not self.snapshot or not self._stages:  # superseded by a newer recompute
            return
        stage = self._stages.pop(0)
        self._run_stage(stage, snap)
        if self._stages:
            loop = _running_loop()
            if loop is not None:
                self._pending_after = loop.call_soon(self._next_stage, snap)
            else:  # pragma: no cover - no loop: finish now
                self._after_table(snap)

    def _after_table(self, snap: Snapshot) -> None:
        """The slower part, once the table is on screen: charts, what drives the answer, then
        the decision (Monte Carlo, flips, asymmetric inputs)."""
        self._pending_after = None
        if snap is not self.snapshot:  # superseded by a newer recompute
            return
        while self._stages:
            self._run_stage(self._stages.pop(0), snap)

    def _run_stage(self, stage: Any, snap: Snapshot) -> None:
        try:
            stage(snap)
        except Exception as exc:  # never a traceback in the page
            self.last_traceback = traceback.format_exc()
            if stage == self._compute_drivers:
                self.drivers = None
                self.drivers_text.value = (f"<div class='mx-error'>What drives the answer could "
                                           f"not be computed: {html.escape(str(exc))}</div>")
                self.drivers_image.layout.display = "none"
            elif stage == self._decide:
                self.recommendation.value += (f"<div class='mx-error'>How sure this is could not "
                                              f"be computed: {html.escape(str(exc))}</div>")

    def _draw_charts(self, snap: Snapshot) -> None:
        if self._charts is not None:
            t = time.perf_counter()
            for name, png in self._charts.draw(snap.charts).items():
                self.images[name].value = png
            snap.timings_ms["draw"] = (time.perf_counter() - t) * 1e3

    def _decide(self, snap: Snapshot) -> None:
        model.decide_snapshot(snap, start=self._start_inputs)
        self.recommendation.value = model.decision_html(snap)
        self.decision_details.value = model.decision_details_html(snap)
        self.table.value = snap.table_html

    def _compute_drivers(self, snap: Snapshot) -> None:
        self.drivers = model.drivers(snap.result)
        snap.timings_ms["tornado"] = self.drivers.timings_ms["tornado"]
        d = self.drivers
        tabs = [(f"vs {lower_first(d.labels[v])}" + (" (runner-up)" if i == 0 else ""), v)
                for i, v in enumerate(d.versus)]
        keep = self.drivers_outcome.value
        with self._suspended():
            self.drivers_outcome.options = tabs
            self.drivers_outcome.value = keep if keep in d.versus else d.versus[0]
        self._show_drivers()
        # every chart now shows this change: what a slider move waits for
        snap.timings_ms["to_charts"] = (time.perf_counter() - self._started) * 1e3

    def _finish(self, snap: Snapshot) -> None:
        self.timings_ms = {**snap.timings_ms, "page": (time.perf_counter() - self._started) * 1e3}
        extra = "".join(f", {label} {snap.timings_ms[key]:.0f} ms" for key, label in
                        (("decision", f"decision with {model.MC_TRIALS} trials"),
                         ("tornado", "drivers"), ("draw", "charts"),
                         ("tornado_draw", "tornado chart"))
                        if key in snap.timings_ms)
        self.status.value = (f"<div class='mx-status'>Updated in {self.timings_ms['page']:.0f} ms "
                             f"(model {snap.timings_ms['model']:.0f} ms{extra}). How sure: "
                             f"{model.MC_TRIALS} Monte Carlo trials here, to stay responsive "
                             f"(<code>msomodel compare</code> runs 2,000).</div>")

    def _show_drivers(self) -> None:
        """Draw the tornado of the chosen comparison from the last drivers (no recompute)."""
        d, versus = self.drivers, self.drivers_outcome.value
        if d is None or not d.versus:
            return
        versus = versus if versus in d.versus else d.versus[0]
        self.drivers_text.value = model.drivers_html(d, versus)
        if self._tornado is not None:
            t = time.perf_counter()
            self.drivers_image.value = self._tornado.draw(d, versus)
            self.drivers_image.layout.display = ""
            if self.snapshot is not None:
                self.snapshot.timings_ms["tornado_draw"] = (time.perf_counter() - t) * 1e3

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
    def save(self, folder: str | os.PathLike[str] | None = None, name: str | None = None, *,
             overwrite: bool = False) -> Path | None:
        """Write the current settings as a complete scenario YAML; returns its path.

        An existing file is not replaced at the first click: the message asks, the Save button
        becomes "Overwrite", and the next save to that same file replaces it (returns None
        until then).  ``overwrite=True`` replaces it at once.
        """
        data = self.scenario_dict()
        folder = folder or self.controls["save_dir"].value.strip() or model.default_save_dir()
        name, renamed = model.save_name(name or data["name"],
                                        self.origin.name if self.origin else None)
        target = save_target(folder, name)
        try:
            path = model.save_scenario(data, folder, name,
                                       origin=self.origin.name if self.origin else None,
                                       overwrite=overwrite or self._confirm_overwrite == target)
        except FileExistsError:
            self._confirm_overwrite = target
            self.controls["save"].description = "Overwrite"
            self.controls["save"].button_style = "danger"
            self._file_message(f"<code>{html.escape(str(target))}</code> already exists. Click "
                               f"<b>Overwrite</b> to replace it, or change the name or folder.",
                               ok=False, raw_html=True)
            return None
        self._confirm_overwrite = None
        self.controls["save"].description = "Save scenario"
        self.controls["save"].button_style = "primary"
        previous, self.last_saved = self.last_saved, path
        note = (" (not under the starting file's name: rename the scenario to choose another)"
                if renamed else "")
        self.message.value = ""  # what is saved is valid: no error banner stays
        self._file_message(f"Saved <code>{html.escape(str(path))}</code>{html.escape(note)}. "
                           f"Check it with <code>msomodel validate</code>.", ok=True,
                           raw_html=True)
        self._refresh_compare_choices(newest=(previous, path))
        return path

    def render_report(self, out_dir: str | os.PathLike[str] | None = None) -> Path | None:
        """Save, then render the PDF report of the saved scenario; returns the PDF's path."""
        path = self.save()
        if path is None:  # asking before overwriting
            return None
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

    # ------------------------------------------------------------------ side by side
    def _compare_files(self) -> list[tuple[str, str]]:
        """(label, path) of the scenarios to compare: the saved ones, then the bundled ones."""
        folder = Path(self.controls["save_dir"].value.strip() or model.default_save_dir())
        saved = sorted(folder.expanduser().glob("*.yaml")) if folder.expanduser().is_dir() else []
        out = [(f"Saved: {p.name}", str(p)) for p in saved]
        out += [(f"Bundled: {label}", str(p)) for label, p in self.bundled.items()]
        return out

    def _refresh_compare_choices(self, newest: tuple[Path | None, Path] | None = None) -> None:
        """Fill the two pickers; after a save, B is the file just saved and A the one before."""
        choices = self._compare_files()
        values = [v for _, v in choices]
        want = {}
        if newest is not None:
            before, now = newest
            want = {"cmp_b": str(now)}
            if before is not None and str(before) != str(now):
                want["cmp_a"] = str(before)
        for pick, key in enumerate(("cmp_a", "cmp_b")):
            w = self.controls[key]
            keep = want.get(key, w.value)
            w.options = choices
            if keep in values:
                w.value = keep
            elif values:
                w.value = values[min(pick, len(values) - 1)]

    def compare_files(self, a: str | os.PathLike[str] | None = None,
                      b: str | os.PathLike[str] | None = None) -> model.SideBySide | None:
        """Two scenario files side by side (base case); None (and a message) if one fails."""
        paths = [str(a or self.controls["cmp_a"].value or ""), str(b or self.controls["cmp_b"].value or "")]
        if not all(paths):
            self.compare_status.value = "<div class='mx-error'>Choose two scenarios.</div>"
            return None
        try:
            found = model.side_by_side(paths)
        except (ScenarioError, OSError) as exc:
            self.compare_status.value = (f"<div class='mx-error'>Cannot compare: "
                                         f"{html.escape(str(exc))}</div>")
            return None
        self.compared = found
        self.compare_status.value = "<div class='mx-file'>Shown below the results.</div>"
        self.side_by_side.value = ("<div class='mx-section'>Side by side</div>" + found.html)
        return found

    def _file_message(self, text: str, *, ok: bool, raw_html: bool = False) -> None:
        body = text if raw_html else html.escape(text)
        self.file_status.value = f"<div class='mx-{'file' if ok else 'error'}'>{body}</div>"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
