"""A pre-imported parent that forks kernels (``python -m msomodel.report.zygote MODULE...``).

Starting an IPython kernel costs a Python start-up plus the imports of ipykernel, pandas, numpy and
msomodel: about 1.5 s of CPU per report. This process pays that once: it imports those modules,
then, for every line ``{"connection_file", "cwd", "env"}`` read on stdin, forks a child that becomes
a fresh kernel (new session, own environment, reseeded random generators, empty user namespace)
and prints the child's pid. Nothing runs in this process but imports, so each child starts from
the state a fresh interpreter would reach after those imports. matplotlib's pyplot is deliberately
not imported here: it hooks into the running IPython shell, so it is imported inside the kernel.

An argument ``MODULE:FUNCTION`` imports the module and calls the function (no arguments) once,
e.g. ``msomodel.rules:load_rulebook`` reads and validates the state-rules data here, so every
kernel finds it in the rule book's cache instead of parsing the YAML again (the cache is keyed
by path and overlays: a kernel with another overlay reads its own).
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys


def _become_kernel(request: dict) -> None:
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # ipykernel exits when its parent dies: make that the zygote, whose own life ends with the
    # worker's (EOF on stdin). ipykernel read JPY_PARENT_PID at import, so pass it explicitly too.
    parent = str(os.getppid())
    os.environ["JPY_PARENT_PID"] = parent
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    from ipykernel.kernelapp import IPKernelApp

    argv = ["-f", request["connection_file"], f"--IPKernelApp.parent_handle={parent}"]
    sys.argv = ["ipykernel_launcher", *argv]
    IPKernelApp.launch_instance(argv=argv)


def main(modules: list[str]) -> None:
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    importlib.import_module("ipykernel.kernelapp")
    for name in modules:
        module, _, function = name.partition(":")
        try:
            loaded = importlib.import_module(module)
            if function:
                getattr(loaded, function)()
        except Exception:
            pass  # the kernel imports (or reads) it itself, and reports any error there
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in sys.stdin:  # EOF (the worker is gone) ends this process
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _become_kernel(request)
            finally:
                os._exit(0)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
