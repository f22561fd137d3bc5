"""Render many scenarios on a pool of warm worker processes, with progress and an index.

Each worker imports papermill, nbconvert and WeasyPrint once (initializer) and keeps a kernel booting
ahead of its next report (:mod:`.kernels`). At most ``jobs`` scenarios are in flight, so "running"
in the progress bar is exact and cancelling leaves no queued work. Ctrl-C or SIGTERM stops the
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import slugify, sweep_temporaries
from .index import write_index
from .render import DEFAULT_NOTEBOOK, FORMATS, RenderResult, render_one


@dataclass
class BatchResult:
    """All results in input order, plus the index files written at the end."""

    results: list[RenderResult]
    out_dir: str
    index: dict[str, str] = field(default_factory=dict)  # "csv"/"html" -> path
    duration_s: float = 0.0

    @property
    def failed(self) -> list[RenderResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        """0 when every scenario rendered, 1 otherwise."""
        return 1 if self.failed else 0


def unique_slugs(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Output stems for ``paths``; a repeated stem gets ``-2``, ``-3``... in input order."""
    seen: dict[str, int] = {}
    slugs = []
    for path in paths:
        slug = slugify(path)
        seen[slug] = seen.get(slug, 0) + 1
        slugs.append(slug if seen[slug] == 1 else f"{slug}-{seen[slug]}")
    return slugs


def render_batch(
    paths: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    jobs: int | None = None,
    formats: Sequence[str] = FORMATS,
    progress: bool = True,
    notebook: str | os.PathLike[str] = DEFAULT_NOTEBOOK,
    kernel_name: str = "python3",
    scheduler: Any = None,
) -> BatchResult:
    """Render every scenario into ``out_dir`` and write ``index.csv`` and ``index.html`` there.

    ``jobs`` worker processes (default: the CPU count); with one job or one scenario the reports
    are rendered in this process. Raises ``KeyboardInterrupt`` after cleaning up when interrupted.
    With ``scheduler`` (``tcp://HOST:PORT``, ``local[:N]`` or a ``distributed.Client``) the
    reports are rendered on a Dask cluster instead (:mod:`.cluster`; ``jobs`` is then ignored).
    """
    if scheduler is not None:
        from .cluster import render_batch_on_cluster

        return render_batch_on_cluster(paths, out_dir, scheduler, formats=formats,
                                       progress=progress, notebook=notebook,
                                       kernel_name=kernel_name)
    started = time.perf_counter()
    paths = [os.fspath(p) for p in paths]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths) or 1))
    tasks = [
        {"scenario_path": p, "out_dir": str(out), "formats": tuple(formats), "notebook": os.fspath(notebook),
         "kernel_name": kernel_name, "slug": s}
        for p, s in zip(paths, unique_slugs(paths), strict=True)
    ]
    bar = _Progress(len(tasks), enabled=progress)
    try:
        with _sigterm_as_interrupt():
            if jobs == 1:
                results = _run_here(tasks, bar)
            else:
                results = _run_pool(tasks, jobs, bar)
    except BaseException:
        sweep_temporaries(out)
        raise
    finally:
        bar.close()
    batch = BatchResult(results=results, out_dir=str(out))
    batch.index = write_index(results, out)
    batch.duration_s = round(time.perf_counter() - started, 3)
    return batch


# -- in this process ---------------------------------------------------------------------------

def _run_here(tasks: list[dict[str, Any]], bar: _Progress) -> list[RenderResult]:
    from .convert import warm_imports
    from .kernels import process_pool

    results = []
    try:
        if tasks:
            process_pool(tasks[0]["kernel_name"]).start_zygote()  # imports in parallel with ours
        warm_imports()
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

_WORKER_OUT_DIR: str | None = None


def _init_worker(kernel_name: str) -> None:
    """Runs once per worker: heavy imports now, a kernel booting for the first report."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
    signal.signal(signal.SIGTERM, _terminate_worker)
    from .convert import warm_imports
    from .kernels import process_pool

    pool = process_pool(kernel_name)
    pool.start_zygote()  # the kernels' imports run while this worker imports the converters
    warm_imports()
    pool.prestart()


def _worker_render(task: dict[str, Any], prestart_next: bool) -> RenderResult:
    global _WORKER_OUT_DIR
    _WORKER_OUT_DIR = task["out_dir"]
    return render_one(**task, prestart_next=prestart_next)


def _terminate_worker(signum: int, frame: Any) -> None:
    """SIGTERM in a worker: kill its kernels, delete its temporaries, exit at once."""
    from .files import TEMP_PREFIX
    from .kernels import _POOL

    if _POOL is not None:
        _POOL.kill_now()
    if _WORKER_OUT_DIR:
        for folder in (Path(_WORKER_OUT_DIR), Path(_WORKER_OUT_DIR) / "failed"):
            for tmp in folder.glob(f"{TEMP_PREFIX}{os.getpid()}-*"):
                tmp.unlink(missing_ok=True)
    os._exit(128 + signum)


def _run_pool(tasks: list[dict[str, Any]], jobs: int, bar: _Progress) -> list[RenderResult]:
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    executor = ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker,
        initargs=(tasks[0]["kernel_name"],),
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


class _sigterm_as_interrupt:
    """While rendering, SIGTERM in the main process behaves like Ctrl-C."""

    def __enter__(self) -> None:
        self._previous = None
        if multiprocessing.parent_process() is None and _is_main_thread():
            self._previous = signal.signal(signal.SIGTERM, _raise_interrupt)

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def _is_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class _Progress:
    """tqdm bar on stderr: reports done, with running and failed counts in the postfix."""

    def __init__(self, total: int, enabled: bool) -> None:
        from tqdm import tqdm

        self.running = self.ok = self.failed = 0
        self._make = lambda: tqdm(total=total, unit="report", file=sys.stderr, disable=not enabled,
                                  dynamic_ncols=True, desc="reports")
        self._bar: Any = None

    @property
    def bar(self) -> Any:
        # Created on first use, i.e. after the pool has forked its workers (tqdm starts a thread).
        if self._bar is None:
            self._bar = self._make()
        return self._bar

    def started(self) -> None:
        self.running += 1
        self._show()

    def finished(self, result: RenderResult) -> None:
        self.running -= 1
        if result.ok:
            self.ok += 1
        else:
            self.failed += 1
            self.bar.write(f"FAILED {result.error}", file=sys.stderr)
        self._show(refresh=False)
        self.bar.update(1)

    def _show(self, refresh: bool = True) -> None:
        self.bar.set_postfix(ok=self.ok, running=self.running, failed=self.failed, refresh=refresh)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
