"""The explorer as a local web app: Voilà serving ``notebooks/explore.ipynb`` on 127.0.0.1.

:func:`start` launches the server as a child process and waits until it answers (used by
``msomodel explore`` and by the browser test); :func:`serve` runs it until Ctrl-C.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import webbrowser
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
DEFAULT_PORT = 8866

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


def voila_command(notebook: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "voila", str(notebook), f"--port={port}",
            f"--Voila.ip={HOST}", "--Voila.port_retries=0", "--no-browser",
            "--VoilaConfiguration.show_tracebacks=False", "--theme=light",
            f"--Voila.root_dir={notebook.parent}"]


@dataclass
class App:
    process: subprocess.Popen
    url: str
    log_path: Path

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def start(port: int | None = None, *, scenario: str | os.PathLike[str] | None = None,
          timeout: float = 60.0, log_path: Path | None = None) -> App:
    """Start Voilà on ``127.0.0.1:port`` (default: first free from 8866) and wait until it answers."""
    port = free_port() if port is None else port
    notebook = notebook_path()
    env = dict(os.environ)
    env["MSOMODEL_EXPLORER_CWD"] = os.getcwd()
    if scenario:
        env["MSOMODEL_EXPLORER_SCENARIO"] = str(Path(scenario).expanduser().resolve())
    log_path = log_path or Path(tempfile.mkstemp(prefix="msomodel-voila-", suffix=".log")[1])
    log = open(log_path, "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(voila_command(notebook, port), stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=env, cwd=notebook.parent)
    log.close()
    app = App(process, f"http://{HOST}:{port}/", log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Voilà exited with code {process.returncode}:\n{app.log()[-3000:]}")
        try:  # any HTTP answer means the server is up (the page itself would start a kernel)
            with urllib.request.urlopen(app.url + "voila/ready", timeout=2):  # noqa: S310
                return app
        except urllib.error.HTTPError:
            return app
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    app.stop()
    raise TimeoutError(f"Voilà did not answer on {app.url} within {timeout:g} s:\n{app.log()[-3000:]}")


def serve(port: int | None = None, *, open_browser: bool = True,
          scenario: str | os.PathLike[str] | None = None) -> int:
    """Run the app until Ctrl-C; returns an exit code."""
    print("Starting the msomodel explorer (Voilà)…", flush=True)
    try:
        app = start(port, scenario=scenario)
    except (OSError, RuntimeError, TimeoutError) as exc:
        print(f"msomodel explore: {exc}", file=sys.stderr)
        return 1
    print(f"Explorer running at {app.url}  (Ctrl-C to stop)", flush=True)
    if open_browser:
        webbrowser.open(app.url)
    try:
        return app.process.wait()
    except KeyboardInterrupt:
        print("\nStopping the explorer.", flush=True)
        return 0
    finally:
        app.stop()
        app.log_path.unlink(missing_ok=True)
