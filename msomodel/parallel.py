"""Independent pieces of work shared between this process and forked copies of it.

:func:`split_map` is ``[fn(item) for item in items]`` with the items split into ``workers``
contiguous slices: this process evaluates the first, each forked child one other, and the
children send their results back pickled through a pipe.  The results equal the serial
loop's, bit for bit and in the same order (each piece is computed by the same code on a copy of
the same memory), so a seeded Monte Carlo gives the same bits on one process or several.

It forks only where that is safe and cheap: on Linux, in a process with a single thread (no
BLAS thread pool, no Jupyter kernel's threads, no thread pool of a batch), and never from a
child.  Elsewhere, and whenever a child fails (an exception, a signal, a result that cannot be
pickled), the work is done here, serially: the answer never depends on the fork.  Warnings a
child raises are raised again here.  A child ends with its parent (Ctrl-C, an error here, or the
parent killed outright).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_in_child = False


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    """True where :func:`split_map` forks: Linux, one thread in the process, not a child."""
    if _in_child or not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def split_map(fn: Callable[[T], R], items: Sequence[T], workers: int = 1) -> list[R]:
    """``[fn(item) for item in items]``, on up to ``workers`` processes (see the module
    docstring); ``workers <= 1``, a single item or no safe fork: the plain loop."""
    n = min(workers, len(items))
    if n < 2 or not can_fork():
        return [fn(item) for item in items]
    bounds = [len(items) * k // n for k in range(n + 1)]
    parts = [items[lo:hi] for lo, hi in zip(bounds, bounds[1:], strict=False)]
    pending = [(*_start(fn, part), part) for part in parts[1:]]
    try:
        out = [fn(item) for item in parts[0]]
        while pending:
            pid, fd, part = pending.pop(0)
            results = _receive(pid, fd)  # the child is reaped and its pipe closed, whatever happens
            out += [fn(item) for item in part] if results is None else results
        return out
    finally:
        for pid, fd, _ in pending:  # an exception here (or Ctrl-C): no child outlives it
            _stop(pid, fd)


def _start(fn: Callable[[T], R], part: Sequence[T]) -> tuple[int, int]:
    """Fork a child that evaluates ``part`` and writes the pickled results to a pipe."""
    global _in_child
    parent = os.getpid()
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    _in_child = True  # pragma: no cover (runs in the child, whose exit skips coverage)
    code = 1
    try:
        _die_with(parent)
        os.close(read)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = [fn(item) for item in part]
        raised = [(str(w.message), w.category, w.filename, w.lineno) for w in caught]
        data = pickle.dumps((results, raised), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        code = 0
    except BaseException:  # noqa: BLE001 (the parent does this part itself)
        code = 1
    finally:
        os._exit(code)


def _die_with(parent: int) -> None:
    """End this child when its parent ends, however it ends (Linux's parent-death signal): a
    parent killed outright must not leave it computing for no one."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: it ends when it has finished its part
        pass
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _receive(pid: int, fd: int) -> list | None:
    """A child's results, or None if it did not deliver them (then the caller computes them)."""
    try:
        with os.fdopen(fd, "rb") as pipe:
            data = pipe.read()
    except BaseException:  # e.g. Ctrl-C while waiting: the pipe is closed, stop the child
        _stop(pid, None)
        raise
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        results, raised = pickle.loads(data)
    except Exception:  # noqa: BLE001 (a truncated payload: computed here instead)
        return None
    for message, category, filename, lineno in raised:
        warnings.warn_explicit(message, category, filename, lineno)
    return results


def _stop(pid: int, fd: int | None) -> None:
    """Kill a child that is no longer wanted, reap it and close its pipe (None: closed)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    if fd is not None:
        os.close(fd)
