"""What both batch runners share: the run in an output folder, slugs, the result, progress.

:mod:`.batch` (local process pool) and :mod:`.cluster` (Dask) both import this module and
nothing of each other but ``batch`` → ``cluster`` (``render_batch(scheduler=...)`` delegates).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .files import (
    RESERVED_SLUGS,
    check_output_dir,
    describe_os_error,
    folder_lock,
    new_run_id,
    other_run_dirs,
    run_dir,
    slugify,
    sweep_abandoned,
    sweep_temporaries,
)
from .index import read_sidecars, rebuild_index
from .render import RenderResult
from .sources import resolved, same_file

CLAIMS = "claims.json"


@dataclass
class BatchResult:
    """All results in input order, plus the index files rebuilt at the end."""

    results: list[RenderResult]
    out_dir: str
    index: dict[str, str] = field(default_factory=dict)  # "csv"/"json"/"html" -> path
    rows: list[dict[str, Any]] = field(default_factory=list)  # the whole index, every client
    index_error: str | None = None  # the index could not be written (e.g. a full disk)
    duration_s: float = 0.0

    @property
    def failed(self) -> list[RenderResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        """0 when every scenario rendered and the index was written, 1 otherwise."""
        return 1 if self.failed or self.index_error else 0


def unique_slugs(paths: Sequence[str | os.PathLike[str]],
                 taken: Mapping[str, str] | None = None) -> list[str]:
    """Output stems for ``paths``, unique among themselves and against ``taken``.

    ``taken`` maps slugs already in use (by reports in the folder, or by another run) to the
    resolved scenario path that owns them. A scenario that already owns a slug keeps it (a
    re-render replaces its own report); otherwise a file gets its own stem if free, else the
    first free ``-2``, ``-3``... So ``a/x.yaml x-2.yaml b/x.yaml`` give ``x``, ``x-2``, ``x-3``.
    """
    taken = dict(taken or {})
    keys = [resolved(p) for p in paths]
    slugs: list[str | None] = [None] * len(keys)
    used: set[str] = set()
    for i, key in enumerate(keys):  # 1: a scenario keeps the slug it already owns
        own = next((s for s, owner in taken.items() if same_file(owner, key) and s not in used),
                   None)
        if own is not None:
            slugs[i] = own
            used.add(own)
    blocked = set(taken) | set(RESERVED_SLUGS)
    for i, path in enumerate(paths):  # 2: its own stem, if no one else has it
        natural = slugify(path)
        if slugs[i] is None and natural not in blocked and natural not in used:
            slugs[i] = natural
            used.add(natural)
    for i, path in enumerate(paths):  # 3: the first free numbered stem
        if slugs[i] is None:
            natural, n = slugify(path), 2
            while f"{natural}-{n}" in blocked or f"{natural}-{n}" in used:
                n += 1
            slugs[i] = f"{natural}-{n}"
            used.add(slugs[i])  # type: ignore[arg-type]
    return [s for s in slugs if s is not None]


class Run:
    """One batch's claim on an output folder: its id, its private staging folder, its slugs.

    ``Run(out)`` checks the folder up front (:class:`~.files.OutputDirError`). Always
    :meth:`close` it (it removes this run's temporaries and nobody else's).
    """

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.out = check_output_dir(out_dir)
        self.id = new_run_id()
        self.folder = run_dir(self.out, self.id)

    def claim(self, paths: Sequence[str]) -> list[str]:
        """Slugs for ``paths`` against every report in the folder and every live run's claims."""
        with folder_lock(self.out):
            sweep_abandoned(self.out)
            taken = {}
            for sidecar in read_sidecars(self.out):
                taken[str(sidecar["slug"])] = str((sidecar.get("scenario") or {}).get("resolved"))
            for other in other_run_dirs(self.out, self.id):
                try:
                    taken.update(json.loads((other / CLAIMS).read_text(encoding="utf-8")))
                except (OSError, ValueError):
                    pass
            slugs = unique_slugs(paths, taken)
            claims = {s: resolved(p) for s, p in zip(slugs, paths, strict=True)}
            (self.folder / CLAIMS).write_text(json.dumps(claims), encoding="utf-8")
        return slugs

    def finish(self, batch: BatchResult) -> BatchResult:
        """Rebuild the index from every sidecar in the folder into ``batch``."""
        try:
            batch.index, batch.rows = rebuild_index(self.out, tmp_dir=run_dir(self.out, self.id))
        except OSError as exc:
            batch.index_error = f"cannot write the index: {describe_os_error(exc)}"
        return batch

    def close(self) -> None:
        sweep_temporaries(self.out, self.id)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class sigterm_as_interrupt:
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


class Progress:
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
