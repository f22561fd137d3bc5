"""Render many scenarios on a pool of warm worker processes, with progress and an index.

Each worker imports papermill and nbconvert once (initializer), starts its PDF engine (a headless
Chromium, or imports WeasyPrint) and keeps a kernel booting ahead of its next report
(:mod:`.kernels`). At most ``jobs`` scenarios are in flight, so "running" in the progress bar is
exact and canceling leaves no queued work. Ctrl-C or SIGTERM stops the
workers, kills their kernels and removes temporaries; finished reports stay, nothing half-written.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from .common import BatchResult, Progress, Run, sigterm_as_interrupt
from .render import DEFAULT_NOTEBOOK, FORMATS, RenderResult, render_one

__all__ = ["BatchResult", "render_batch"]


def render_batch(
    paths: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    jobs: int | None = None,
    formats: Sequence[str] = FORMATS,
    progress: bool = True,
    notebook: str | os.PathLike[str] = DEFAULT_NOTEBOOK,
    kernel_name: str = "python3",
    scheduler: Any = None,
    parameters: dict[str, Any] | None = None,
) -> BatchResult:
    """Render every scenario into ``out_dir`` and rebuild its index (csv, json, html) there.

    ``jobs`` worker processes (default: the CPU count); with one job or one scenario the reports
    are rendered in this process. The index covers every report in ``out_dir``, not only this
    batch's (see :mod:`.index`). Raises :class:`~.files.OutputDirError` if ``out_dir`` cannot be
    used, ``KeyboardInterrupt`` after cleaning up when interrupted. With ``scheduler``
    (``tcp://HOST:PORT``, ``local[:N]`` or a ``distributed.Client``) the reports are rendered on
    a Dask cluster instead (:mod:`.cluster`; ``jobs`` is then ignored). ``parameters``: extra
    notebook parameters for every scenario (JSON-able: e.g. ``prepared_by``, ``logo`` as a data
    URI, ``report_date``), as ``msomodel report --prepared-by/--logo/--date`` pass them.
    """
    if scheduler is not None:
        from .cluster import render_batch_on_cluster

        return render_batch_on_cluster(paths, out_dir, scheduler, formats=formats,
                                       progress=progress, notebook=notebook,
                                       kernel_name=kernel_name, parameters=parameters)
    started = time.perf_counter()
    paths = [os.fspath(p) for p in paths]
    with Run(out_dir) as run:
        jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths) or 1))
        tasks = [
            {"scenario_path": p, "out_dir": str(run.out), "formats": tuple(formats),
             "notebook": os.fspath(notebook), "kernel_name": kernel_name, "slug": s,
             "run_id": run.id, "parameters": dict(parameters or {})}
            for p, s in zip(paths, run.claim(paths), strict=True)
        ]
        bar = Progress(len(tasks), enabled=progress)
        try:
            with sigterm_as_interrupt():
                if jobs == 1:
                    results = _run_here(tasks, bar)
                else:
                    results = _run_pool(tasks, jobs, bar)
        except BaseException:
            run.finish(BatchResult(results=[], out_dir=str(run.out)))  # the reports finished
            raise
        finally:
            bar.close()
        batch = run.finish(BatchResult(results=results, out_dir=str(run.out)))
    batch.duration_s = round(time.perf_counter() - started, 3)
    return batch


# -- in this process ---------------------------------------------------------------------------

def _run_here(tasks: list[dict[str, Any]], bar: Progress) -> list[RenderResult]:
    from .convert import warm_imports
    from .kernels import process_pool

    results = []
    try:
        if tasks:
            process_pool(tasks[0]["kernel_name"]).start_zygote()  # imports in parallel with ours
        warm_imports(pdf=any("pdf" in task["formats"] for task in tasks))
        for i, task in enumerate(tasks):
            bar.started()
            result = render_one(**task, prestart_next=i + 1 < len(tasks))
            bar.finished(result)
            results.append(result)
    finally:
        if tasks:
            process_pool(tasks[0]["kernel_name"]).close()
    return results


# -- on a pool of warm workers -----------------------------------------------------------------

#: Imported once by the fork server, before it forks any worker.
WORKER_PRELOAD = ["msomodel.report.batch", "msomodel.report.convert", "msomodel.report.render"]


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers come from a fork server: a fresh interpreter that imported the renderer and never
    ran an event loop, a kernel or a thread. Forking this process instead would hand each worker
    the caller's live state (after an in-process render: zmq sockets, an epoll set shared with
    this process, a kernel pool), on which a worker can spin forever."""
    if sys.platform == "win32" or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return context


def _init_worker(kernel_name: str, pdf: bool = True) -> None:
    """Runs once per worker: heavy imports now, a kernel booting for the first report."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
    signal.signal(signal.SIGTERM, _terminate_worker)
    from .convert import warm_imports
    from .kernels import process_pool

    pool = process_pool(kernel_name)
    pool.start_zygote()  # the kernels' imports run while this worker imports the converters
    warm_imports(pdf)
    pool.prestart()


def _worker_render(task: dict[str, Any], prestart_next: bool) -> RenderResult:
    return render_one(**task, prestart_next=prestart_next)


def _terminate_worker(signum: int, frame: Any) -> None:
    """SIGTERM in a worker: kill its kernels and its browser and exit at once (its staging folder
    is inside the run's, which the batch removes)."""
    from .chromium import kill_browser
    from .kernels import _POOL

    if _POOL is not None:
        _POOL.kill_now()
    kill_browser()
    os._exit(128 + signum)


def _run_pool(tasks: list[dict[str, Any]], jobs: int, bar: Progress) -> list[RenderResult]:
    executor = ProcessPoolExecutor(
        max_workers=jobs, mp_context=_worker_context(), initializer=_init_worker,
        initargs=(tasks[0]["kernel_name"], any("pdf" in task["formats"] for task in tasks)),
    )
    results: dict[int, RenderResult] = {}
    in_flight: dict[Future[RenderResult], int] = {}
    queue = list(enumerate(tasks))
    try:
        while queue or in_flight:
            while queue and len(in_flight) < jobs:
                i, task = queue.pop(0)
                # A kernel is started ahead only if some worker will need another one.
                in_flight[executor.submit(_worker_render, task, len(queue) >= jobs)] = i
                bar.started()
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                i = in_flight.pop(future)
                results[i] = _outcome(future, tasks[i])
                bar.finished(results[i])
    except BaseException:
        _abort(executor, list(in_flight))
        raise
    executor.shutdown(wait=True)
    return [results[i] for i in range(len(tasks))]


def _outcome(future: Future[RenderResult], task: dict[str, Any]) -> RenderResult:
    try:
        return future.result()
    except Exception as exc:  # a worker died (e.g. out of memory): that scenario failed, not the batch
        return RenderResult(
            scenario_path=task["scenario_path"], slug=task["slug"],
            error=f"{task['scenario_path']}: worker failed: {type(exc).__name__}: {exc}",
        )


def _abort(executor: ProcessPoolExecutor, futures: list[Future[RenderResult]]) -> None:
    """Cancel everything, stop the workers and make sure no kernel outlives them."""
    import psutil

    for future in futures:
        future.cancel()
    workers = list((getattr(executor, "_processes", None) or {}).values())
    descendants = []
    for worker in workers:
        try:
            descendants += psutil.Process(worker.pid).children(recursive=True)
        except psutil.Error:
            pass
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    deadline = time.monotonic() + 5
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
    for process in descendants:
        try:
            process.kill()
        except psutil.Error:
            pass
    executor.shutdown(wait=False, cancel_futures=True)
