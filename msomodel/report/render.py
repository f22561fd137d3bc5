"""Render one scenario end to end: papermill → executed notebook → HTML → PDF.

:func:`render_one` is the unit of work of every batch runner (the local process pool, later a Dask
worker): it takes plain arguments, never raises for a bad scenario, and returns a picklable
:class:`RenderResult`.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .files import (
    FAILED_DIR,
    commit_set,
    describe_os_error,
    new_run_id,
    output_path,
    run_dir,
    slugify,
    staging_dir,
    sweep_temporaries,
)
from .index import make_sidecar, sidecar_json
from .sources import scenario_name

#: What a report is rendered as by default.
FORMATS = ("ipynb", "html", "pdf")
#: Every format a report can add: ``xlsx`` is the comparison as a workbook of live formulas
#: (:mod:`msomodel.export`), written by the notebook from the very comparison it reports.
ALL_FORMATS = (*FORMATS, "xlsx")
#: Package data (``msomodel/notebooks``); ``notebooks/report.ipynb`` in a checkout links to it.
DEFAULT_NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "report.ipynb"


@dataclass
class RenderResult:
    """Outcome of rendering one scenario."""

    scenario_path: str
    slug: str
    status: str = "failed"  # "ok" | "failed"
    outputs: dict[str, str] = field(default_factory=dict)  # format -> file path
    error: str | None = None
    failed_notebook: str | None = None
    duration_s: float = 0.0
    key_figures: dict[str, Any] | None = None
    sidecar: str | None = None  # the set's sidecar (``<slug>.json``) once published

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plain(value: Any) -> Any:
    """``value`` as plain JSON types (paths become strings, numpy scalars numbers, tuples lists)."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"parameter value {value!r} is not JSON-able")


def describe_error(scenario_path: str, exc: BaseException) -> str:
    """One readable message: the scenario file, the failing cell and the error, never a traceback."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        if exc.ename == "ScenarioError":
            return f"{scenario_path}: invalid scenario:\n{exc.evalue}"
        return (
            f"{scenario_path}: notebook cell {exc.cell_index} (In [{exc.exec_count}]) raised "
            f"{exc.ename}: {exc.evalue}"
        )
    return f"{scenario_path}: {type(exc).__name__}: {exc}"


def overlay_setting() -> str:
    """This process's state-rules overlays as the notebook's ``rules_overlay`` parameter: the
    resolved files (``os.pathsep``-separated), ``""`` for none. Passed to every report, so the
    executed notebook records the overlays it used and a kernel elsewhere uses the same."""
    from msomodel.rules import overlays_from_env

    return os.pathsep.join(str(Path(p).resolve()) for p in overlays_from_env())


def render_one(
    scenario_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    formats: tuple[str, ...] | list[str] = FORMATS,
    notebook: str | os.PathLike[str] = DEFAULT_NOTEBOOK,
    kernel_name: str = "python3",
    parameters: dict[str, Any] | None = None,
    slug: str | None = None,
    prestart_next: bool = False,
    run_id: str | None = None,
) -> RenderResult:
    """Execute ``notebook`` for one scenario and write ``OUT/<slug>.{ipynb,html,pdf}`` and the
    sidecar ``OUT/<slug>.json`` as one set.

    The set is built in the run's staging folder (``run_id``: the batch's; by default one of its
    own) and moved into place only when complete; an earlier set's files the new one lacks are
    removed. On failure only ``OUT/failed/<slug>.ipynb`` (papermill's partially executed
    notebook) and a sidecar saying "failed" are written, and the result carries the error naming
    the scenario file and the failing cell (or the file that could not be written).
    ``prestart_next`` boots a kernel for this process's next report while this one runs.
    The notebook's ``rules_overlay`` is this process's :func:`overlay_setting` unless
    ``parameters`` give one.
    """
    import papermill

    from .chromium import ChromiumError
    from .convert import PdfEngineError, key_figures, quiet_logs, to_html, to_pdf
    from .kernels import process_pool

    started = time.perf_counter()
    formats = tuple(formats)
    unknown = set(formats) - set(ALL_FORMATS)
    if unknown:
        raise ValueError(f"unknown report formats {sorted(unknown)}; choose from {ALL_FORMATS}")
    scenario = str(Path(scenario_path).resolve())
    slug = slug or slugify(scenario_path)
    out = Path(out_dir)
    own_run = run_id is None
    run_id = run_id or new_run_id()
    result = RenderResult(scenario_path=os.fspath(scenario_path), slug=slug)
    params = plain({"scenario_path": scenario, "rules_overlay": overlay_setting(),
                    **(parameters or {})})
    quiet_logs()
    pool = process_pool(kernel_name)
    stage: Path | None = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = staging_dir(out, run_id, slug)
        executed = stage / f"{slug}.ipynb"  # papermill writes here; moved when the set is done
        workbook = stage / f"{slug}.xlsx"  # the notebook writes it here, if asked
        if "xlsx" in formats:
            params = {**params, "workbook_path": str(workbook)}
        kernel = pool.take()
        try:
            if prestart_next:
                pool.prestart()
            nb = papermill.execute_notebook(
                os.fspath(notebook), os.fspath(executed), parameters=params,
                kernel_name=kernel_name, progress_bar=False, log_output=False,
                request_save_on_cell_execute=False, km=kernel.km,
            )
        except Exception as exc:  # a failing scenario is a result, not a crash of the batch
            result.error = describe_error(result.scenario_path, exc)
            publish_failure(result, out, run_id, executed if executed.exists() else None)
            return result
        finally:
            pool.release(kernel)
        result.key_figures = key_figures(nb)
        title = _title(nb, result.key_figures, slug)
        staged: dict[str, Path] = {}
        if "ipynb" in formats:
            staged["ipynb"] = executed
        if "xlsx" in formats:
            if not workbook.is_file():  # a notebook of one's own that takes no workbook_path
                raise OSError(errno.ENOENT, "the notebook wrote no workbook (does it take the "
                              "workbook_path parameter?)", str(workbook))
            staged["xlsx"] = workbook
            _record_parameter(nb, executed, "workbook_path", str(workbook),
                              str(output_path(out, workbook.name)))
        if "html" in formats or "pdf" in formats:
            html = to_html(nb, title)
            if "html" in formats:
                staged["html"] = stage / f"{slug}.html"
                staged["html"].write_text(html, encoding="utf-8")
            if "pdf" in formats:
                staged["pdf"] = stage / f"{slug}.pdf"
                to_pdf(html, staged["pdf"], base_url=str(out.resolve()))
        publish_set(result, out, run_id, staged)
        return result
    except (ChromiumError, PdfEngineError) as exc:  # this report has no PDF: it failed
        result.status, result.outputs = "failed", {}
        result.error = f"{result.scenario_path}: cannot print its PDF: {exc}"
        try:
            publish_failure(result, out, run_id, None)
        except OSError:
            pass
        return result
    except OSError as exc:  # a full disk, a folder made read-only meanwhile: this scenario fails
        result.status, result.outputs = "failed", {}
        where = describe_os_error(exc)  # named as the final file, not the staged one
        where = where.replace(str(stage), str(out)) if stage is not None else where
        result.error = f"{result.scenario_path}: cannot write its report: {where}"
        try:
            publish_failure(result, out, run_id, None)
        except OSError:
            pass  # the error already says what could not be written
        return result
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        if own_run:
            sweep_temporaries(out, run_id)
        result.duration_s = round(time.perf_counter() - started, 3)


def publish_set(result: RenderResult, out: Path, run_id: str, staged: dict[str, Path]) -> None:
    """Commit a rendered scenario's staged files and its sidecar as one set (``result`` -> ok)."""
    sidecar = make_sidecar(
        slug=result.slug, scenario_path=result.scenario_path, status="ok",
        figures=result.key_figures, outputs={fmt: p.name for fmt, p in staged.items()})
    sidecar_path = run_dir(out, run_id) / result.slug / f"{result.slug}.json"
    sidecar_path.parent.mkdir(parents=True, exist_ok=True)
    sidecar_path.write_text(sidecar_json(sidecar), encoding="utf-8")
    final = commit_set(out, result.slug, staged.values(), sidecar_path)
    output_path(out, f"{result.slug}.ipynb", subdir=FAILED_DIR).unlink(missing_ok=True)
    result.outputs = {fmt: str(final[p.suffix]) for fmt, p in staged.items()}
    result.sidecar = str(final[".json"])
    result.status = "ok"


def publish_failure(result: RenderResult, out: Path, run_id: str, partial: Path | None) -> None:
    """Record a failed scenario: its partial notebook in ``failed/`` (moved in whole, and only
    if it is a complete file) and a sidecar saying "failed"; the earlier set's reports go, so
    none looks current."""
    result.status = "failed"
    failed = output_path(out, f"{result.slug}.ipynb", subdir=FAILED_DIR)
    if partial is not None and _complete_json(partial):
        failed.parent.mkdir(exist_ok=True)
        os.replace(partial, failed)  # same file system: the run folder is inside ``out``
        result.failed_notebook = str(failed)
    else:
        failed.unlink(missing_ok=True)  # an older run's would not match this error
    sidecar = make_sidecar(
        slug=result.slug, scenario_path=result.scenario_path, status="failed", figures=None,
        outputs={}, error=result.error, name=scenario_name(result.scenario_path),
        failed_notebook=f"{FAILED_DIR}/{failed.name}" if result.failed_notebook else None)
    sidecar_path = run_dir(out, run_id) / f"{result.slug}.json"
    sidecar_path.write_text(sidecar_json(sidecar), encoding="utf-8")
    result.sidecar = str(commit_set(out, result.slug, [], sidecar_path)[".json"])


def _record_parameter(nb: Any, path: Path, name: str, staged: str, final: str) -> None:
    """Record in the executed notebook (``nb``, saved at ``path``) the parameter ``name`` as the
    ``final`` path its file is moved to, not the ``staged`` one the run wrote it at (a folder
    that is gone afterwards): in papermill's parameters and in its injected cell."""
    import nbformat

    nb.metadata.papermill.parameters[name] = final
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace(staged, final)
    nbformat.write(nb, os.fspath(path))


def _complete_json(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def _title(nb: Any, figures: dict[str, Any] | None, slug: str) -> str:
    name = ((figures or {}).get("scenario") or {}).get("name")
    return str(name or nb.metadata.get("papermill", {}).get("parameters", {}).get("output_title") or slug)
