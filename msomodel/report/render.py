"""Render one scenario end to end: papermill → executed notebook → HTML → PDF.

:func:`render_one` is the unit of work of every batch runner (the local process pool, later a Dask
worker): it takes plain arguments, never raises for a bad scenario, and returns a picklable
:class:`RenderResult`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .files import FAILED_DIR, atomic_path, atomic_write_text, output_path, slugify, temp_path_for

FORMATS = ("ipynb", "html", "pdf")
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


def render_one(
    scenario_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    formats: tuple[str, ...] | list[str] = FORMATS,
    notebook: str | os.PathLike[str] = DEFAULT_NOTEBOOK,
    kernel_name: str = "python3",
    parameters: dict[str, Any] | None = None,
    slug: str | None = None,
    prestart_next: bool = False,
) -> RenderResult:
    """Execute ``notebook`` for one scenario and write ``OUT/<slug>.{ipynb,html,pdf}``.

    On failure nothing but ``OUT/failed/<slug>.ipynb`` (papermill's partially executed notebook) is
    written, and the result carries the error naming the scenario file and the failing cell.
    ``prestart_next`` boots a kernel for this process's next report while this one runs.
    """
    import papermill

    from .convert import key_figures, quiet_logs, to_html, to_pdf
    from .kernels import process_pool

    started = time.perf_counter()
    formats = tuple(formats)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown report formats {sorted(unknown)}; choose from {FORMATS}")
    scenario = str(Path(scenario_path).resolve())
    slug = slug or slugify(scenario_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = RenderResult(scenario_path=os.fspath(scenario_path), slug=slug)
    params = plain({"scenario_path": scenario, **(parameters or {})})
    final_nb = output_path(out, f"{slug}.ipynb")
    executed_tmp = temp_path_for(final_nb)  # papermill writes here; we move it when we know the outcome
    quiet_logs()

    pool = process_pool(kernel_name)
    kernel = pool.take()
    try:
        if prestart_next:
            pool.prestart()
        try:
            nb = papermill.execute_notebook(
                os.fspath(notebook), os.fspath(executed_tmp), parameters=params,
                kernel_name=kernel_name, progress_bar=False, log_output=False,
                request_save_on_cell_execute=False, km=kernel.km,
            )
        except Exception as exc:  # a failing scenario is a result, not a crash of the batch
            pool.release(kernel)
            result.error = describe_error(result.scenario_path, exc)
            if executed_tmp.exists():
                failed = output_path(out, f"{slug}.ipynb", subdir=FAILED_DIR)
                failed.parent.mkdir(exist_ok=True)
                os.replace(executed_tmp, failed)
                result.failed_notebook = str(failed)
            _remove_stale_outputs(out, slug)
            return result
        pool.release(kernel)
        result.key_figures = key_figures(nb)
        title = _title(nb, result.key_figures, slug)
        if "ipynb" in formats:
            os.replace(executed_tmp, final_nb)
            result.outputs["ipynb"] = str(final_nb)
        if "html" in formats or "pdf" in formats:
            html = to_html(nb, title)
            if "html" in formats:
                result.outputs["html"] = str(atomic_write_text(output_path(out, f"{slug}.html"), html))
            if "pdf" in formats:
                pdf = output_path(out, f"{slug}.pdf")
                with atomic_path(pdf) as tmp:
                    to_pdf(html, tmp, base_url=str(out.resolve()))
                result.outputs["pdf"] = str(pdf)
        stale = output_path(out, f"{slug}.ipynb", subdir=FAILED_DIR)
        stale.unlink(missing_ok=True)
        result.status = "ok"
        return result
    finally:
        pool.release(kernel)
        executed_tmp.unlink(missing_ok=True)
        result.duration_s = round(time.perf_counter() - started, 3)


def _remove_stale_outputs(out: Path, slug: str) -> None:
    """A failed re-run must not leave an earlier run's report looking current."""
    for fmt in FORMATS:
        output_path(out, f"{slug}.{fmt}").unlink(missing_ok=True)


def _title(nb: Any, figures: dict[str, Any] | None, slug: str) -> str:
    name = ((figures or {}).get("scenario") or {}).get("name")
    return str(name or nb.metadata.get("papermill", {}).get("parameters", {}).get("output_title") or slug)
