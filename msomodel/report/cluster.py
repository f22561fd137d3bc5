"""Render a batch of reports on a Dask cluster: one task per scenario.

What travels with a task (:class:`Bundle`): the bytes of the scenario file, of every file it
``extends:`` and of the logo its ``report: logo:`` names (read on the client, relative paths
kept), the bytes of the report notebook, the run's notebook parameters, and the bytes of the
client's state-rules overlays (``MSOMODEL_RULES_OVERLAY``), which the notebook's
``rules_overlay`` then names on the worker: the worker's own environment decides nothing. The
worker materializes them in a private temporary folder, renders there with :func:`render_one`,
and returns the output files' bytes with the :class:`RenderResult`; the client writes them
atomically into the output folder (``failed/`` for a failed scenario's partial notebook). So
workers need no access to the client's files, and a task has no side effect outside its own
temporary folder: a task retried after its worker died simply runs again.

The report shows the scenario's path and SHA-256. The bytes are the client's, so the hash is the
client's; the worker's temporary folders are mapped back to the client's folders in everything
returned (notebook, key figures, error messages), so the reports and the index are the same as
those of the local pool. The client publishes each scenario's files as one set with its sidecar,
exactly as a local worker does (:func:`~.render.publish_set`).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import BatchResult, Progress, Run, sigterm_as_interrupt
from .files import describe_os_error, staging_dir
from .render import (
    ALL_FORMATS,
    DEFAULT_NOTEBOOK,
    FORMATS,
    RenderResult,
    overlay_setting,
    publish_failure,
    publish_set,
)
from .sources import extends_chain

__all__ = ["Bundle", "Rendered", "extends_chain", "make_bundle", "render_batch_on_cluster",
           "render_bundle"]

#: Re-runs of a task that raised (a scenario that merely fails to render does not raise). Tasks
#: whose worker died are rescheduled by Dask itself (``distributed.scheduler.allowed-failures``).
RETRIES = 1
_WAIT_NOTE_S = 10.0


@dataclass
class Bundle:
    """One scenario and everything needed to render it, as bytes (picklable, small)."""

    scenario_path: str  # as given on the client (messages, RenderResult.scenario_path)
    root: str  # client folder that every file below is relative to (resolved)
    main: str  # the scenario file, relative to root (posix)
    files: dict[str, bytes]  # relative posix path -> content: the scenario and its extends chain
    notebook_name: str
    notebook: bytes
    notebook_path: str  # the notebook as the local batch passes it to papermill
    out_dir: str  # the client's output folder (resolved), as the local batch would see it
    slug: str
    formats: tuple[str, ...]
    kernel_name: str = "python3"
    prestart_next: bool = False
    parameters: dict[str, Any] = field(default_factory=dict)  # extra notebook parameters (JSON)
    pdf_engine: str | None = None  # the client's MSOMODEL_PDF_ENGINE; None: the worker's own
    # the client's state-rules overlays (resolved path, bytes; None if unreadable there), in
    # order; None: the worker's own MSOMODEL_RULES_OVERLAY (a caller's rules_overlay=None)
    overlays: list[tuple[str, bytes | None]] | None = None


@dataclass
class Rendered:
    """What a task returns: the result (client paths) and the files' bytes by format."""

    result: RenderResult
    files: dict[str, bytes] = field(default_factory=dict)
    failed_notebook: bytes | None = None
    worker: str = ""


# -- on the client ------------------------------------------------------------------------------

def make_bundle(scenario_path: str, slug: str, out_dir: Path, formats: Sequence[str],
                notebook: str | os.PathLike[str], kernel_name: str,
                notebook_bytes: bytes | None = None,
                parameters: dict[str, Any] | None = None) -> Bundle:
    """The scenario, its ``extends:`` chain and the logo its ``report: logo:`` names (at the same
    relative place, so it resolves on the worker as here), the notebook, and the parameters."""
    from .sections.cover import scenario_logo

    chain = extends_chain(scenario_path)
    if not chain:  # unreadable: ship the name alone, the worker reports it as the local run would
        chain = [Path(scenario_path).resolve()]
    logo = scenario_logo(scenario_path) if chain[0].is_file() else None
    shipped = [*chain, *([logo] if logo is not None and logo.is_file() else [])]
    root = Path(os.path.commonpath([str(p.parent) for p in shipped]))
    files = {}
    for p in shipped:
        try:
            files[p.relative_to(root).as_posix()] = p.read_bytes()
        except OSError:
            pass
    setting = dict(parameters or {}).get("rules_overlay", overlay_setting())
    overlays = None if setting is None else [
        (str(Path(p).resolve()), _read_or_none(Path(p))) for p in setting.split(os.pathsep)
        if p.strip()]
    return Bundle(
        scenario_path=os.fspath(scenario_path), root=str(root),
        main=chain[0].relative_to(root).as_posix(), files=files,
        notebook_name=Path(notebook).name,
        notebook=notebook_bytes if notebook_bytes is not None else Path(notebook).read_bytes(),
        notebook_path=os.fspath(notebook), out_dir=str(out_dir.resolve()), slug=slug,
        formats=tuple(formats), kernel_name=kernel_name, parameters=dict(parameters or {}),
        pdf_engine=os.environ.get("MSOMODEL_PDF_ENGINE"), overlays=overlays,
    )


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:  # the worker's render then fails naming this (client) path, as a local run
        return None


def render_batch_on_cluster(
    paths: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    scheduler: str | Any,
    formats: Sequence[str] = FORMATS,
    progress: bool = True,
    notebook: str | os.PathLike[str] = DEFAULT_NOTEBOOK,
    kernel_name: str = "python3",
    retries: int = RETRIES,
    parameters: dict[str, Any] | None = None,
) -> Any:
    """:func:`~msomodel.report.batch.render_batch` on Dask: same outputs, index and result.

    ``scheduler`` is a ``--scheduler`` string (``tcp://HOST:PORT``, ``local[:N]``) or a connected
    ``distributed.Client``. Raises :class:`msomodel.distributed.ClusterError` when the scheduler
    cannot be used, ``KeyboardInterrupt`` after cleaning up when interrupted. ``parameters``
    travel with every task (a logo as a data URI, so workers need no access to the file).
    """
    from msomodel.distributed import connect

    if isinstance(scheduler, str):
        with connect(scheduler) as client:
            return _render_with_client(paths, out_dir, client, formats, progress, notebook,
                                       kernel_name, retries, release_spares=not
                                       scheduler.strip().lower().startswith("local"),
                                       parameters=parameters)
    return _render_with_client(paths, out_dir, scheduler, formats, progress, notebook,
                               kernel_name, retries, release_spares=True, parameters=parameters)


def _render_with_client(paths: Iterable[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
                        client: Any, formats: Sequence[str], progress: bool,
                        notebook: str | os.PathLike[str], kernel_name: str, retries: int,
                        release_spares: bool, parameters: dict[str, Any] | None = None) -> Any:
    from distributed import as_completed

    from msomodel.distributed import worker_slots

    started = time.perf_counter()
    paths = [os.fspath(p) for p in paths]
    formats = tuple(formats)
    unknown = set(formats) - set(ALL_FORMATS)
    if unknown:
        raise ValueError(f"unknown report formats {sorted(unknown)}; choose from {ALL_FORMATS}")
    with Run(out_dir) as run:
        out = run.out
        notebook_bytes = Path(notebook).read_bytes()
        bundles = [make_bundle(p, s, out, formats, notebook, kernel_name, notebook_bytes,
                               parameters)
                   for p, s in zip(paths, run.claim(paths), strict=True)]
        bar = Progress(len(bundles), enabled=progress)
        results: dict[int, RenderResult] = {}
        in_flight: dict[Any, int] = {}
        queue = list(enumerate(bundles))
        batch_id = uuid.uuid4().hex[:8]
        try:
            with sigterm_as_interrupt():
                pending = as_completed()

                def top_up() -> None:
                    # At most one task per worker thread in flight: "running" is exact, a worker
                    # that frees up gets the next scenario, and an interrupt leaves no queued work.
                    slots = max(1, _slots_or_wait(client, worker_slots, bool(in_flight)))
                    while queue and len(in_flight) < slots:
                        i, bundle = queue.pop(0)
                        bundle.prestart_next = len(queue) >= slots  # a kernel ahead if needed
                        future = client.submit(render_bundle, bundle, retries=retries, pure=False,
                                               key=f"msomodel-report-{bundle.slug}-{batch_id}-{i}")
                        in_flight[future] = i
                        pending.add(future)
                        bar.started()

                top_up()
                for future in pending:
                    i = in_flight.pop(future)
                    results[i] = _receive(future, bundles[i], out, run.id)
                    bar.finished(results[i])
                    top_up()
        except BaseException:
            for future in in_flight:
                future.cancel()
            run.finish(BatchResult(results=[], out_dir=str(out)))  # the reports finished
            raise
        finally:
            bar.close()
        if release_spares:
            _release_spare_kernels(client, kernel_name)
        ordered = [results[i] for i in range(len(bundles))]
        batch = run.finish(BatchResult(results=ordered, out_dir=str(out)))
    batch.duration_s = round(time.perf_counter() - started, 3)
    return batch


def _slots_or_wait(client: Any, slots_of: Any, busy: bool) -> int:
    """Worker threads now; with none connected and nothing running, wait (saying so once)."""
    slots = slots_of(client)
    if slots or busy:
        return slots
    print(f"msomodel report: waiting for Dask workers to connect to {client.scheduler.address} ...",
          file=sys.stderr)
    while not slots:
        try:
            client.wait_for_workers(1, timeout=_WAIT_NOTE_S)
        except TimeoutError:
            pass
        slots = slots_of(client)
    return slots


def _receive(future: Any, bundle: Bundle, out: Path, run_id: str) -> RenderResult:
    """Publish the files a task returned as one set (staged, then moved in) and return its
    result with client paths."""
    try:
        rendered: Rendered = future.result()
    except Exception as exc:  # the task raised, or its workers kept dying (KilledWorker)
        result = RenderResult(
            scenario_path=bundle.scenario_path, slug=bundle.slug,
            error=f"{bundle.scenario_path}: worker failed: {type(exc).__name__}: {exc}",
        )
        return _publish_failure(result, out, run_id, None)
    result = rendered.result
    try:
        stage = staging_dir(out, run_id, bundle.slug)
        if result.ok:
            staged = {}
            for fmt in ALL_FORMATS:
                if fmt in rendered.files:
                    staged[fmt] = stage / f"{bundle.slug}.{fmt}"
                    staged[fmt].write_bytes(rendered.files[fmt])
            publish_set(result, out, run_id, staged)
            return result
        partial = None
        if rendered.failed_notebook is not None:
            partial = stage / f"{bundle.slug}.ipynb"
            partial.write_bytes(rendered.failed_notebook)
        return _publish_failure(result, out, run_id, partial)
    except OSError as exc:
        result.status, result.outputs = "failed", {}
        result.error = f"{bundle.scenario_path}: cannot write its report: {describe_os_error(exc)}"
        return _publish_failure(result, out, run_id, None)


def _publish_failure(result: RenderResult, out: Path, run_id: str,
                     partial: Path | None) -> RenderResult:
    try:
        publish_failure(result, out, run_id, partial)
    except OSError:
        result.status = "failed"  # the error already names the scenario; nothing more to write
    return result


def _release_spare_kernels(client: Any, kernel_name: str) -> None:
    """On a long-lived cluster, don't leave a kernel booted ahead idling on every worker."""
    try:
        client.run(_drop_spare, kernel_name)
    except Exception:
        pass


def _drop_spare(kernel_name: str) -> None:
    from . import kernels

    pool = kernels._POOL
    if pool is not None and pool.kernel_name == kernel_name:
        spare, pool._spare = pool._spare, None
        if spare is not None:
            pool.release(spare)


# -- on the worker ------------------------------------------------------------------------------

_WARM: set[str] = set()


def _warm(kernel_name: str) -> None:
    """Once per worker process: the kernel zygote and the converters' imports (as the pool does)."""
    if kernel_name in _WARM:
        return
    from .convert import warm_imports
    from .kernels import process_pool

    process_pool(kernel_name).start_zygote()
    warm_imports()
    _WARM.add(kernel_name)


def render_bundle(bundle: Bundle) -> Rendered:
    """The task: materialize the bundle in a temporary folder, render, return bytes and result.

    Idempotent and side-effect free outside its temporary folder, which is always removed.
    """
    import nbformat

    from .chromium import ChromiumError
    from .convert import PdfEngineError, key_figures, to_html, to_pdf
    from .render import _title, render_one

    _warm(bundle.kernel_name)
    tmp = Path(tempfile.mkdtemp(prefix="msomodel-dask-")).resolve()
    try:
        scenario_root, nb_dir, out = tmp / "scenario", tmp / "notebook", tmp / "out"
        for rel, content in bundle.files.items():
            target = scenario_root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        nb_dir.mkdir()
        notebook = nb_dir / bundle.notebook_name
        notebook.write_bytes(bundle.notebook)
        scenario = scenario_root / bundle.main
        # Worker folders -> the client's, in everything that goes back.
        mapping = [(str(scenario_root) + os.sep, os.path.join(bundle.root, "")),
                   (str(notebook), bundle.notebook_path), (str(out), bundle.out_dir)]
        parameters = dict(bundle.parameters)
        if bundle.overlays is not None:
            placed = _place_overlays(bundle.overlays, tmp / "rules")
            parameters["rules_overlay"] = os.pathsep.join(w for w, _ in placed)
            mapping += placed
        result = render_one(scenario, out, formats=("ipynb", *(
                                f for f in bundle.formats if f == "xlsx")), notebook=notebook,
                            kernel_name=bundle.kernel_name, slug=bundle.slug,
                            prestart_next=bundle.prestart_next, parameters=parameters)
        back = RenderResult(scenario_path=bundle.scenario_path, slug=bundle.slug,
                            duration_s=result.duration_s)
        rendered = Rendered(result=back, worker=_worker_address())
        if not result.ok:
            back.error = _client_error(result.error or "", str(scenario), bundle, mapping)
            if result.failed_notebook:
                nb = nbformat.read(result.failed_notebook, as_version=4)
                rendered.failed_notebook = _dumps(_map_strings(nb, mapping))
            return rendered
        started = time.perf_counter()
        nb = nbformat.from_dict(_map_strings(nbformat.read(result.outputs["ipynb"], as_version=4),
                                             mapping))
        back.key_figures = key_figures(nb)
        if "ipynb" in bundle.formats:
            rendered.files["ipynb"] = _dumps(nb)
        if "xlsx" in bundle.formats:
            rendered.files["xlsx"] = Path(result.outputs["xlsx"]).read_bytes()
        if "html" in bundle.formats or "pdf" in bundle.formats:
            html = to_html(nb, _title(nb, back.key_figures, bundle.slug))
            if "html" in bundle.formats:
                rendered.files["html"] = html.encode("utf-8")
            if "pdf" in bundle.formats:
                pdf = out / f"{bundle.slug}.pdf"
                try:
                    to_pdf(html, pdf, base_url=str(out), engine=bundle.pdf_engine)
                except (ChromiumError, PdfEngineError) as exc:  # no PDF: this report failed
                    rendered.files = {}
                    back.error = f"{bundle.scenario_path}: cannot print its PDF: {exc}"
                    return rendered
                rendered.files["pdf"] = pdf.read_bytes()
        back.status = "ok"
        back.duration_s = round(result.duration_s + time.perf_counter() - started, 3)
        return rendered
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _place_overlays(overlays: list[tuple[str, bytes | None]],
                    folder: Path) -> list[tuple[str, str]]:
    """The client's overlay files written under ``folder`` (one sub-folder each, names kept;
    an unreadable one is left absent, so reading it fails there): (worker path, client path)."""
    placed = []
    for i, (client_path, content) in enumerate(overlays):
        target = folder / str(i) / Path(client_path).name
        target.parent.mkdir(parents=True, exist_ok=True)
        if content is not None:
            target.write_bytes(content)
        placed.append((str(target), client_path))
    return placed


def _client_error(error: str, worker_scenario: str, bundle: Bundle,
                  mapping: list[tuple[str, str]]) -> str:
    """The error as the local run words it: prefixed with the path as given, client folders."""
    prefix = f"{worker_scenario}: "
    if error.startswith(prefix):
        return f"{bundle.scenario_path}: {_map_text(error[len(prefix):], mapping)}"
    return _map_text(error, mapping)


def _map_text(text: str, mapping: list[tuple[str, str]]) -> str:
    for worker, client in mapping:
        text = text.replace(worker, client)
    return text


def _map_strings(value: Any, mapping: list[tuple[str, str]]) -> Any:
    """``value`` (JSON-like) with every worker folder in its strings replaced by the client's."""
    if isinstance(value, str):
        return _map_text(value, mapping)
    if isinstance(value, dict):
        return {k: _map_strings(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, mapping) for v in value]
    return value


def _dumps(nb: Any) -> bytes:
    import nbformat

    return nbformat.writes(nbformat.from_dict(nb)).encode("utf-8")


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except Exception:
        return ""
