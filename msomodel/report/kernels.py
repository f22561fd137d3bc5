"""Kernels started ahead of time.

A fresh kernel per report keeps reports independent (no state leaks from one client's scenario into
the next), but a kernel costs a Python start-up plus the imports of pandas, matplotlib and msomodel.
:class:`KernelPool` hides that cost: while one report executes, the next kernel is already booting
and importing those modules (silently, binding no names, so the notebook still starts from an empty
namespace at execution count 1). Each kernel serves exactly one notebook and is then killed.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from jupyter_client import AsyncKernelManager, BlockingKernelClient
from jupyter_core.utils import run_sync

#: Imported inside each kernel right after it starts (silently, binding no names).
#: Not msomodel.charts: it selects the Agg backend on import (headless scripts), which would
#: switch pyplot away from the inline backend of a notebook that shows figures itself.
WARM_MODULES = ("pandas", "matplotlib.pyplot", "matplotlib_inline.backend_inline", "msomodel")
#: Imported once per worker by the zygote that forks kernels (see :mod:`.zygote`): everything the
#: report notebook imports except pyplot (and the charts, which import it), and the state-rules
#: data, read once (``MODULE:FUNCTION`` entries are called).
ZYGOTE_MODULES = (
    "numpy", "pandas", "matplotlib", "matplotlib.figure", "PIL.Image", "msomodel",
    "msomodel.tables", "msomodel.compare", "msomodel.assumptions", "msomodel.calibration",
    "msomodel.analysis.montecarlo", "msomodel.analysis.sensitivity", "msomodel.analysis.grid",
    "msomodel.report.sections", "msomodel.rules:load_rulebook",
)


def forking_enabled() -> bool:
    """Kernels are forked from a pre-imported zygote on POSIX unless MSOMODEL_FORK_KERNELS=0."""
    return hasattr(os, "fork") and os.environ.get("MSOMODEL_FORK_KERNELS", "1") != "0"


class ForkedProcess:
    """The Popen surface jupyter_client's provisioner uses, for a kernel forked by the zygote."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                if psutil.Process(self.pid).status() == psutil.STATUS_ZOMBIE:
                    self.returncode = -signal.SIGKILL
            except psutil.NoSuchProcess:
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """A child process holding the heavy imports, which forks a kernel on request."""

    def __init__(self, modules: tuple[str, ...] = ZYGOTE_MODULES) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "msomodel.report.zygote", *modules],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=kernel_env(), text=True, bufsize=1, cwd=os.getcwd(),
        )

    def spawn(self, connection_file: str, cwd: str, env: dict[str, str]) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"connection_file": connection_file, "cwd": cwd, "env": env}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line.strip():
            raise RuntimeError("the kernel zygote exited")
        return int(line)

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()


class ForkingKernelManager(AsyncKernelManager):
    """An async kernel manager whose kernel process is forked by a :class:`Zygote`."""

    zygote: Zygote | None = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        provisioner = self.provisioner
        assert provisioner is not None and self.zygote is not None
        cwd = str(kw.get("cwd") or os.getcwd())
        pid = self.zygote.spawn(self.connection_file, cwd, dict(kw.get("env") or os.environ))
        provisioner.process = ForkedProcess(pid)  # type: ignore[attr-defined]
        provisioner.pid, provisioner.pgid, provisioner.cwd = pid, pid, cwd  # type: ignore[attr-defined]
        self._reconcile_connection_info(provisioner.connection_info)


def kernel_env() -> dict[str, str]:
    """Environment for kernels: the parent's, with this msomodel checkout importable first."""
    env = os.environ.copy()
    package_root = str(Path(__file__).resolve().parents[2])
    parts = [package_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # silences a debugger start-up warning
    return env


def _warm_code(modules: tuple[str, ...]) -> str:
    # Expression statements only: nothing is bound in the user namespace.
    lines = [f"__import__('importlib').import_module({m!r})" for m in modules]
    return "\n".join(f"try:\n    {line}\nexcept Exception:\n    pass" for line in lines)


class WarmKernel:
    """One started kernel whose warm-up imports were queued right after launch."""

    def __init__(self, kernel_name: str, modules: tuple[str, ...], cwd: str | None = None,
                 zygote: Zygote | None = None) -> None:
        # nbclient drives kernels through the async API; handing it a blocking manager makes it
        # nest event loops across threads, which can hang. So: an async manager, started here.
        if zygote is not None:
            self.km: AsyncKernelManager = ForkingKernelManager(kernel_name=kernel_name)
            self.km.zygote = zygote  # type: ignore[attr-defined]
        else:
            self.km = AsyncKernelManager(kernel_name=kernel_name)
        run_sync(self.km.start_kernel)(
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=kernel_env(),
            cwd=cwd or os.getcwd(),
        )
        self._client = BlockingKernelClient()
        self._client.load_connection_info(self.km.get_connection_info())
        self._client.start_channels()
        if modules:
            self._client.execute(_warm_code(modules), silent=True, store_history=False)

    @property
    def pid(self) -> int | None:
        process = getattr(self.km.provisioner, "process", None)
        return getattr(process, "pid", None)

    def shutdown(self) -> None:
        """Kill the kernel (and its process group) now; safe to call twice."""
        try:
            self._client.stop_channels()
        except Exception:
            pass
        try:
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:
            self._kill_group()


    def _kill_group(self) -> None:
        """SIGKILL the kernel's process group, if it has one."""
        pid = self.pid
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass

    def kill_now(self) -> None:
        """Kill from a signal handler: no event loop, no messages, just SIGKILL and file removal."""
        self._kill_group()
        try:
            Path(self.km.connection_file).unlink(missing_ok=True)
        except (OSError, TypeError):
            pass


class KernelPool:
    """At most one spare kernel, started ahead for the next report of this process."""

    def __init__(self, kernel_name: str = "python3", modules: tuple[str, ...] = WARM_MODULES):
        self.kernel_name = kernel_name
        self.modules = modules
        self._spare: WarmKernel | None = None
        self._live: set[WarmKernel] = set()
        self._zygote: Zygote | None = None

    def prestart(self) -> None:
        if self._spare is None:
            self._spare = self._start()

    def start_zygote(self) -> None:
        """Launch the zygote now (non-blocking), so its imports overlap the caller's own."""
        self._get_zygote()

    def take(self) -> WarmKernel:
        """The spare kernel if there is one, else a newly started kernel. The caller shuts it down."""
        kernel, self._spare = self._spare, None
        return kernel or self._start()

    def release(self, kernel: WarmKernel) -> None:
        kernel.shutdown()
        self._live.discard(kernel)

    def close(self) -> None:
        for kernel in list(self._live):
            self.release(kernel)
        self._spare = None
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def kill_now(self) -> None:
        for kernel in list(self._live):
            kernel.kill_now()
        self._live.clear()
        self._spare = None
        if self._zygote is not None:
            self._zygote.process.kill()

    def _start(self) -> WarmKernel:
        kernel = WarmKernel(self.kernel_name, self.modules, zygote=self._get_zygote())
        self._live.add(kernel)
        return kernel


    def _get_zygote(self) -> Zygote | None:
        if not forking_enabled():
            return None
        if self._zygote is None or not self._zygote.alive():
            self._zygote = Zygote()
        return self._zygote


_POOL: KernelPool | None = None


def process_pool(kernel_name: str = "python3") -> KernelPool:
    """The kernel pool of this process (one per worker), closed at interpreter exit."""
    global _POOL
    if _POOL is None or _POOL.kernel_name != kernel_name:
        if _POOL is not None:
            _POOL.close()
        _POOL = KernelPool(kernel_name)
        atexit.register(_POOL.close)
        # Pool workers leave through os._exit, which skips atexit but runs these finalizers.
        multiprocessing.util.Finalize(_POOL, _POOL.close, exitpriority=10)
    return _POOL


