"""The explorer as a local web app: Voilà serving ``notebooks/explore.ipynb`` on 127.0.0.1.

:func:`start` launches the server as a child process (in its own process group) and waits until
it answers (used by ``msomodel explore`` and by the browser test); :func:`serve` runs it until
Ctrl-C or SIGTERM and then stops every process it started.

The server is locked to its user (see ``docs/explorer-security.md``), through the settings Voilà
and jupyter_server already have, written to a private config file (never on the command line):

* a per-run random token (``Voila.token``; jupyter_server's token check, then its login cookie);
  :class:`ExplorerIdentityProvider` answers 403 instead of a login page and checks the Origin
  even on token-authenticated requests;
* the Host check (``allow_remote_access=False``, ``local_hostnames=["localhost"]``) against DNS
  rebinding, and jupyter_server's Origin check on the kernel WebSocket;
* idle kernels culled (``MappingKernelManager.cull_*``) and at most ``max_kernels`` at once
  (:class:`ExplorerKernelManager`: Voilà has no such setting, voila-dashboards/voila#617);
* kernel WebSockets must speak the ``v1.kernel.websocket.jupyter.org`` sub-protocol (what the
  page uses): in the legacy protocol a widget-state reply with binary buffers sends Voilà 0.5's
  ``read_header_from_binary_message`` into an endless, memory-hungry loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

HOST = "127.0.0.1"
DEFAULT_PORT = 8866
MAX_KERNELS = 4            # open explorer pages at once (each kernel is ~160 MB)
CULL_IDLE_TIMEOUT = 900    # seconds before an idle kernel without a connected page is stopped
CULL_INTERVAL = 60
WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"
STOP_TIMEOUT = 10.0

NOTEBOOK_CELLS = [
    ("markdown", "## Med spa operating model explorer\n\nSelf-managed, MSO or software only: "
                 "pick a starting scenario and move the controls; the figures, and what drives "
                 "them, update as you go."),
    ("code", "from msomodel.explorer import Explorer\n\nexplorer = Explorer()\nexplorer"),
]


def notebook_json() -> dict:
    """The explorer notebook: creates and displays the Explorer, nothing else."""
    cells = []
    for i, (kind, source) in enumerate(NOTEBOOK_CELLS):
        cell: dict = {"cell_type": kind, "id": f"explore-{i}", "metadata": {},
                      "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                        "language": "python", "name": "python3"},
                         "language_info": {"name": "python"}}}


def notebook_path() -> Path:
    """``notebooks/explore.ipynb`` of the source tree; for an installed package without it, a
    generated copy in the temporary folder."""
    repo = Path(__file__).resolve().parents[2] / "notebooks" / "explore.ipynb"
    if repo.is_file():
        return repo
    folder = Path(tempfile.gettempdir()) / f"msomodel-explorer-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / "explore.ipynb"
    path.write_text(json.dumps(notebook_json(), indent=1) + "\n", encoding="utf-8")
    return path


def free_port(start: int = DEFAULT_PORT, tries: int = 50) -> int:
    """The first port from ``start`` that can be bound on 127.0.0.1 (0: any free port)."""
    for port in ([0] if start == 0 else range(start, start + tries)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError(f"no free port on {HOST} in {start}..{start + tries - 1}")


def check_port(port: int) -> int:
    """``port`` if it is a TCP port (1-65535); else ValueError."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"{port!r} is not a TCP port (1-65535)")
    return port


# --------------------------------------------------------------------------- inside Voilà
class ExplorerIdentityProvider(PasswordIdentityProvider):
    """jupyter_server's token check (``?token=`` once, then its signed login cookie), except that
    a request without a valid token gets 403 (no login page: the URL printed by ``msomodel
    explore`` carries the token), and the Origin is checked even with a token."""

    async def get_user(self, handler: web.RequestHandler) -> Any:
        user = await self._get_user(handler)
        if user is None:
            handler.current_user = None
            handler._jupyter_current_user = None  # type: ignore[attr-defined]
            raise web.HTTPError(403, "no or wrong token: open the URL printed by msomodel explore")
        return user

    def should_check_origin(self, handler: web.RequestHandler) -> bool:
        return True


class ExplorerKernelManager(AsyncMappingKernelManager):
    """Voilà's kernel manager with a limit on kernels running at once (503 beyond it)."""

    max_kernels = Integer(MAX_KERNELS, config=True,
                          help="Most kernels at once; a page beyond it gets 503 (0: no limit).")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._start_lock = asyncio.Lock()

    async def start_kernel(self, *, kernel_id: str | None = None, path: str | None = None,
                           **kwargs: Any) -> str:
        if kernel_id is not None or self.max_kernels <= 0:
            return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        async with self._start_lock:  # one start at a time, so the count cannot be raced
            running = len(self.list_kernel_ids())
            if running >= self.max_kernels:
                self.log.warning("Refusing a kernel: %d of %d running", running, self.max_kernels)
                raise web.HTTPError(503, f"{running} explorer pages are open (the limit is "
                                         f"{self.max_kernels}): close one, or wait until an "
                                         "idle one is stopped")
            return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)


class ExplorerKernelConnection(ZMQChannelsWebsocketConnection):
    """Kernel WebSockets only in the ``v1.kernel.websocket.jupyter.org`` sub-protocol (the page's);
    others are refused with 400 before the upgrade."""

    async def prepare(self) -> None:
        offered = self.websocket_handler.request.headers.get("Sec-WebSocket-Protocol", "")
        if WS_PROTOCOL not in [p.strip() for p in offered.split(",")]:
            raise web.HTTPError(400, f"the kernel WebSocket needs the {WS_PROTOCOL} sub-protocol")
        await super().prepare()


# --------------------------------------------------------------------------- starting Voilà
def voila_config(token: str, *, max_kernels: int = MAX_KERNELS,
                 cull_idle_timeout: int = CULL_IDLE_TIMEOUT,
                 cull_interval: int = CULL_INTERVAL) -> dict[str, Any]:
    """The Voilà configuration (``voila.json``): token, Host/Origin checks, kernel bounds."""
    return {
        "Voila": {
            "token": token,
            # Voilà itself sets allow_remote_access=True; these tornado settings override it.
            "tornado_settings": {"allow_remote_access": False, "local_hostnames": ["localhost"],
                                 "allow_origin": "", "disable_check_xsrf": False},
        },
        "VoilaConfiguration": {"show_tracebacks": False, "theme": "light",
                               "preheat_kernel": False},
        "ExplorerKernelManager": {"max_kernels": max_kernels,
                                  "cull_idle_timeout": cull_idle_timeout,
                                  "cull_interval": cull_interval,
                                  # an open page keeps its kernel; the limit bounds them
                                  "cull_connected": False, "cull_busy": False},
    }


# ``voila.py``: the classes above, loaded from this file alone (it imports no msomodel module),
# so that the Voilà process does not import the model (numpy, pandas: ~90 MB).
VOILA_PY = """# Written by msomodel explore for one run.
import importlib.util
import sys

_spec = importlib.util.spec_from_file_location("msomodel_explorer_server", {path!r})
_server = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _server
_spec.loader.exec_module(_server)
c.Voila.identity_provider_class = _server.ExplorerIdentityProvider
c.Voila.kernel_websocket_connection_class = _server.ExplorerKernelConnection
c.VoilaConfiguration.multi_kernel_manager_class = _server.ExplorerKernelManager
"""


def write_config(folder: Path, config: dict[str, Any]) -> None:
    """``voila.json`` and ``voila.py`` in ``folder``, readable by the user only."""
    files = {"voila.json": json.dumps(config, indent=1),
             "voila.py": VOILA_PY.format(path=str(Path(__file__).resolve()))}
    for name, text in files.items():
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)


def voila_command(notebook: Path, port: int, config_dir: Path | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "voila", str(notebook), f"--port={port}",
           f"--Voila.ip={HOST}", "--Voila.port_retries=0", "--no-browser",
           f"--Voila.root_dir={notebook.parent}"]
    if config_dir is not None:  # only our voila.json: a user's config cannot loosen it
        cmd.append(f"--Voila.config_file_paths={config_dir}")
    return cmd


def _start_time(pid: int) -> str | None:
    """The process's start time (Linux ``/proc``), to never signal a reused PID."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _children(pid: int) -> list[tuple[int, str | None]]:
    """Direct children of ``pid`` (the kernels, each in its own session), as (pid, start time)."""
    out = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append((int(entry.name), _start_time(int(entry.name))))
    return out


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class App:
    process: subprocess.Popen
    url: str                   # with the token: what the user opens
    log_path: Path
    token: str = ""
    config_dir: Path | None = None
    base_url: str = ""
    _kernels: list[tuple[int, str | None]] = field(default_factory=list, repr=False)

    def kernel_pids(self) -> list[int]:
        """PIDs of the kernels Voilà is running now (Linux)."""
        return [pid for pid, _ in _children(self.process.pid)]

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM to Voilà's process group (Voilà then shuts its kernels down), SIGKILL after
        ``timeout``; then any kernel that is still there (each has its own process group)."""
        pid = self.process.pid
        if self.process.poll() is None:
            kernels = _children(pid)
            _killpg(pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _killpg(pid, signal.SIGKILL)
                self.process.wait()
            # Anything else left in Voilà's group (only now: once the group is empty, its ID
            # may be reused, so a later stop() must not signal it).
            _killpg(pid, signal.SIGKILL)
            self._kernels = kernels
        deadline = time.monotonic() + timeout
        for kpid, started in self._kernels:
            while started is not None and _start_time(kpid) == started:
                if time.monotonic() > deadline:
                    _killpg(kpid, signal.SIGKILL)
                    try:
                        os.kill(kpid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                    break
                time.sleep(0.1)
        self._kernels = []
        if self.config_dir is not None:
            shutil.rmtree(self.config_dir, ignore_errors=True)
            self.config_dir = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def start(port: int | None = None, *, scenario: str | os.PathLike[str] | None = None,
          timeout: float = 60.0, log_path: Path | None = None, max_kernels: int = MAX_KERNELS,
          cull_idle_timeout: int = CULL_IDLE_TIMEOUT, cull_interval: int = CULL_INTERVAL) -> App:
    """Start Voilà on ``127.0.0.1:port`` (default: first free from 8866) and wait until it answers."""
    port = free_port() if port is None else check_port(port)
    notebook = notebook_path()
    token = secrets.token_urlsafe(32)
    config_dir = Path(tempfile.mkdtemp(prefix="msomodel-voila-config-"))  # mode 0700
    config = voila_config(token, max_kernels=max_kernels, cull_idle_timeout=cull_idle_timeout,
                          cull_interval=cull_interval)
    write_config(config_dir, config)
    env = dict(os.environ)
    env["MSOMODEL_EXPLORER_CWD"] = os.getcwd()
    if scenario:
        env["MSOMODEL_EXPLORER_SCENARIO"] = str(Path(scenario).expanduser().resolve())
    log_path = log_path or Path(tempfile.mkstemp(prefix="msomodel-voila-", suffix=".log")[1])
    log = open(log_path, "wb")  # noqa: SIM115 (closed with the process)
    # Its own session and process group: Ctrl-C in the terminal reaches only us, and we stop
    # the whole group (see App.stop).
    try:
        process = subprocess.Popen(voila_command(notebook, port, config_dir), stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                   cwd=notebook.parent, start_new_session=True)
    except BaseException:
        shutil.rmtree(config_dir, ignore_errors=True)
        raise
    finally:
        log.close()
    base = f"http://{HOST}:{port}/"
    app = App(process, f"{base}?token={token}", log_path, token, config_dir, base)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Voilà exited with code {process.returncode}:\n"
                                   f"{app.log()[-3000:]}")
            try:  # any HTTP answer (403 without the token) means the server is up
                with urllib.request.urlopen(base + "voila/ready", timeout=2):  # noqa: S310
                    return app
            except urllib.error.HTTPError:
                return app
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"Voilà did not answer on {base} within {timeout:g} s:\n"
                           f"{app.log()[-3000:]}")
    except BaseException:  # including a signal while waiting: leave nothing behind
        app.stop()
        raise


class _Stop(Exception):
    """Raised by the SIGTERM/SIGHUP handler of :func:`serve`."""


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop(signum)


def serve(port: int | None = None, *, open_browser: bool = True,
          scenario: str | os.PathLike[str] | None = None,
          max_kernels: int = MAX_KERNELS) -> int:
    """Run the app until Ctrl-C or SIGTERM, then stop every process it started; an exit code."""
    handled = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {sig: signal.signal(sig, _raise_stop) for sig in handled}
    app: App | None = None
    try:
        print("Starting the msomodel explorer (Voilà)…", flush=True)
        try:
            app = start(port, scenario=scenario, max_kernels=max_kernels)
        except (OSError, RuntimeError, TimeoutError, ValueError) as exc:
            print(f"msomodel explore: {exc}", file=sys.stderr)
            return 1
        print(f"Explorer running at {app.url}  (Ctrl-C to stop)\n"
              "The link carries this run's access token: do not share it.", flush=True)
        if open_browser:
            webbrowser.open(app.url)
        code = app.process.wait()
        if code:
            print(f"msomodel explore: Voilà stopped (exit code {code}):\n{app.log()[-2000:]}",
                  file=sys.stderr)
        return code
    except (KeyboardInterrupt, _Stop):
        print("\nStopping the explorer.", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up
        for sig in handled:
            signal.signal(sig, signal.SIG_IGN)
        try:
            if app is not None:
                app.stop()
                app.log_path.unlink(missing_ok=True)
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for sig, old in previous.items():
                signal.signal(sig, old)
