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

import contextlib
import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    children: list[_Child | None] = []
    try:
        for part in parts[1:]:
            children.append(_start(fn, part))  # None: no fork (e.g. EAGAIN), done here
        out = [fn(item) for item in parts[0]]
        for child, part in zip(children, parts[1:], strict=True):
            results = child.results() if child is not None else None
            out += [fn(item) for item in part] if results is None else results
        return out
    finally:
        for child in children:  # an exception here (or Ctrl-C): no child outlives it
            if child is not None:
                child.stop()


@dataclass
class _Child:
    """A forked child: its pid until reaped, the read end of its pipe until closed, and a
    descriptor of the process itself (``pidfd``, Linux 5.3+) if one could be opened."""

    pid: int | None
    fd: int | None
    pidfd: int | None = None

    def results(self) -> list | None:
        """The child's results, or None if it did not deliver them whole (the caller then
        computes them).  The payload is framed by its length, so it is trusted by its own
        completeness, not by an exit status (unknowable where SIGCHLD is ignored)."""
        with os.fdopen(self.fd, "rb") as pipe:
            self.fd = None
            data = pipe.read()
        self._reap()
        size = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
        if size != len(data) - 8:
            return None
        try:
            results, raised = pickle.loads(data[8:])
        except Exception:  # noqa: BLE001 (not our payload after all: computed here instead)
            return None
        for message, category, filename, lineno, module in raised:
            where = {}  # (module=None is not "unknown" to warn_explicit: it drops the warning)
            if module in sys.modules:  # its filters and once-per-place registry, as if raised here
                where = {"module": module, "registry": vars(sys.modules[module]).setdefault(
                    "__warningregistry__", {})}
            warnings.warn_explicit(message, category, filename, lineno, **where)
        return results

    def stop(self) -> None:
        """Kill the child if it still runs, reap it, close its pipe (idempotent)."""
        if self.pid is not None:
            self._kill()
            self._reap()
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)

    def _kill(self) -> None:
        """SIGKILL to the child, and never to another process that took its number.

        Through its pidfd the signal reaches that process or none.  Without one, its pid is
        safe only while the kernel keeps it for us (an unreaped child); where SIGCHLD is ignored
        an ended child is reaped at once and its number is free, so it is left to end by itself
        (its part done, or with this process)."""
        with contextlib.suppress(ProcessLookupError):
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            elif not _children_reaped_by_kernel():
                os.kill(self.pid, signal.SIGKILL)

    def _reap(self) -> None:
        pid, self.pid = self.pid, None
        if pid is not None:
            with contextlib.suppress(ChildProcessError):  # SIGCHLD ignored: reaped already
                os.waitpid(pid, 0)
        if self.pidfd is not None:
            pidfd, self.pidfd = self.pidfd, None
            os.close(pidfd)


def _children_reaped_by_kernel() -> bool:
    """True where an ended child is reaped at once (SIGCHLD ignored), freeing its pid."""
    return signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN


def _pidfd(pid: int) -> int | None:
    """A descriptor of process ``pid`` (Linux 5.3+), or None: none, or the child has ended."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _start(fn: Callable[[T], R], part: Sequence[T]) -> _Child | None:
    """Fork a child that evaluates ``part`` and writes its results to a pipe; None if the
    system refuses a pipe or a process (the caller then does that part itself)."""
    global _in_child
    parent = os.getpid()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered here is written twice
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        read, write = os.pipe()
    except OSError:
        return None
    # Ctrl-C and SIGTERM wait until each side knows which it is: the child must never run
    # this process's handlers (and then its program), only die.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.close(read)
        os.close(write)
        return None
    if pid:
        os.close(write)
        child = _Child(pid, read, _pidfd(pid))
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return child
    _in_child = True  # pragma: no cover (runs in the child, whose exit skips coverage)
    code = 1
    try:
        for signum in _STOP_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        _die_with(parent)
        os.close(read)
        with warnings.catch_warnings(record=True) as caught:  # under this process's filters
            results = [fn(item) for item in part]
        raised = [(str(w.message), w.category, w.filename, w.lineno, _module_of(w.filename))
                  for w in caught]
        data = pickle.dumps((results, raised), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(len(data).to_bytes(8, "little") + data)
        code = 0
    except BaseException:  # noqa: BLE001 (the parent does this part itself)
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):  # what the part printed, as a loop would
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code)


def _module_of(filename: str) -> str | None:
    """The name of the loaded module whose file is ``filename`` (for warning filters)."""
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename:
            return name
    return None


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
