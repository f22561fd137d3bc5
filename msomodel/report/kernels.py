"""Kernels started ahead of time.

A fresh kernel per report keeps reports independent (no state leaks from one client's scenario into
the next), but a kernel costs a Python start-up plus the imports of pandas, matplotlib and msomodel.
:class:`KernelPool` hides that cost: while one report executes, the next kernel is already booting
and importing those modules (silently, binding no names, so the notebook still starts from an empty
namespace at execution count 1). Each kernel serves exactly one notebook and is then killed.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
from pathlib import Path

from jupyter_client import AsyncKernelManager, BlockingKernelClient
from jupyter_core.utils import run_sync

WARM_MODULES = ("pandas", "matplotlib.pyplot", "matplotlib_inline.backend_inline", "msomodel")


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

    def __init__(self, kernel_name: str, modules: tuple[str, ...], cwd: str | None = None) -> None:
        # nbclient drives kernels through the async API; handing it a blocking manager makes it
        # nest event loops across threads, which can hang. So: an async manager, started here.
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
            pid = self.pid
            if pid:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass


    def kill_now(self) -> None:
        """Kill from a signal handler: no event loop, no messages, just SIGKILL and file removal."""
        pid = self.pid
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
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

    def prestart(self) -> None:
        if self._spare is None:
            self._spare = self._start()

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

    def kill_now(self) -> None:
        for kernel in list(self._live):
            kernel.kill_now()
        self._live.clear()
        self._spare = None

    def _start(self) -> WarmKernel:
        kernel = WarmKernel(self.kernel_name, self.modules)
        self._live.add(kernel)
        return kernel


_POOL: KernelPool | None = None


def process_pool(kernel_name: str = "python3") -> KernelPool:
    """The kernel pool of this process (one per worker), closed at interpreter exit."""
    global _POOL
    if _POOL is None or _POOL.kernel_name != kernel_name:
        if _POOL is not None:
            _POOL.close()
        _POOL = KernelPool(kernel_name)
        atexit.register(_POOL.close)
    return _POOL


