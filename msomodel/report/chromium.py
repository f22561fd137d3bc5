"""PDF from report HTML in headless Chromium, one browser per process, driven over its pipe.

WeasyPrint lays a report out in Python: about 3.5 CPU-s for a 25-page report, more than the notebook
behind it. Chromium lays out the same HTML and print CSS (``@page`` margin boxes, ``Page X of Y``,
page breaks) in C++: about 0.5 s once the browser is running. :class:`Browser` keeps one headless
Chromium per process (a batch worker prints all its reports in it) and talks the DevTools protocol
over ``--remote-debugging-pipe``: JSON messages ending in a NUL byte on file descriptors 3 (to
Chromium) and 4 (from it), so no websocket library and no port.

Each report is printed in a new tab with JavaScript disabled and host names unresolvable (the
report is self-contained: images are data URIs), so a report can neither run code nor fetch
anything. When this process's end of the pipe closes (the process exits or is killed) Chromium
exits too.
"""

from __future__ import annotations

import atexit
import base64
import json
import multiprocessing.util
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: Looked up on PATH in this order when ``MSOMODEL_CHROMIUM`` does not name the executable.
EXECUTABLES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds a page may take to load, and to print, before the report fails.
LOAD_TIMEOUT_S, PRINT_TIMEOUT_S, START_TIMEOUT_S = 60.0, 300.0, 60.0

FLAGS = (
    "--headless", "--remote-debugging-pipe", "--disable-gpu", "--no-first-run",
    "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
    "--disable-sync", "--disable-component-update", "--disable-default-apps", "--mute-audio",
    "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND",
    "--user-agent=msomodel report",  # what a PDF reader shows as the file's Creator
)
#: ``Page.printToPDF``: the page size and margins come from the print CSS (A4, margin boxes).
PRINT_OPTIONS = {"preferCSSPageSize": True, "printBackground": True, "generateTaggedPDF": True,
                 "generateDocumentOutline": True}


class ChromiumError(RuntimeError):
    """Chromium could not be started, or failed to load or print a report."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable: ``MSOMODEL_CHROMIUM`` if set, else the first of
    :data:`EXECUTABLES` on PATH; None when there is none."""
    named = os.environ.get("MSOMODEL_CHROMIUM")
    if named:
        return shutil.which(named)
    for name in EXECUTABLES:
        found = shutil.which(name)
        if found:
            return found
    return None


_TRAMPOLINE = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
               "os.closerange(5, 1 << 16); os.execv(sys.argv[3], sys.argv[3:])")


def _above_4(fd: int) -> int:
    """``fd`` moved to a number above 4, so redirecting onto fds 3 and 4 cannot clobber it."""
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    """One headless Chromium and the DevTools session to it.

    Starting returns at once (the browser boots while the caller works); the first command waits
    for it. Not thread-safe: one caller at a time, as in a batch worker.
    """

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.profile = tempfile.mkdtemp(prefix="msomodel-chromium-")
        read_cmd, write_cmd = os.pipe()  # we write commands, Chromium reads them on fd 3
        read_out, write_out = os.pipe()  # Chromium writes results on fd 4, we read them
        read_cmd, write_out = _above_4(read_cmd), _above_4(write_out)
        flags = [*FLAGS, f"--user-data-dir={self.profile}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox

        # A trampoline puts the pipe ends on fds 3 and 4 and execs the browser (no preexec_fn:
        # unsafe with threads); close_fds keeps everything else of this process out of it.
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(read_cmd), str(write_out),
                 executable, *flags, "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(read_cmd, write_out), start_new_session=True)
        except OSError as exc:
            for fd in (read_cmd, write_cmd, read_out, write_out):
                os.close(fd)
            shutil.rmtree(self.profile, ignore_errors=True)
            raise ChromiumError(f"cannot start {executable}: {exc}") from exc
        os.close(read_cmd)
        os.close(write_out)
        self._out, self._in = write_cmd, read_out
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self._started = False
        self.owner = os.getpid()  # a forked child must not close its parent's browser

    # -- the protocol ---------------------------------------------------------------------------

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = LOAD_TIMEOUT_S) -> dict[str, Any]:
        """Run one DevTools command and return its result (events meanwhile are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._out, data):]
        except OSError as exc:
            raise ChromiumError(f"Chromium is gone ({method}): {exc}") from exc
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline, method)
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise ChromiumError(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_for(self, event: str, session: str, timeout: float) -> dict[str, Any]:
        """The next ``event`` of ``session`` (possibly one received during a command)."""
        for i, seen in enumerate(self._events):
            if seen.get("method") == event and seen.get("sessionId") == session:
                return self._events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(deadline, event)
            if message.get("method") == event and message.get("sessionId") == session:
                return message
            if "method" in message:
                self._events.append(message)

    def _read(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise ChromiumError(f"Chromium did not answer {waiting_for} in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise ChromiumError(f"Chromium exited while waiting for {waiting_for}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    # -- printing -------------------------------------------------------------------------------

    def print_pdf(self, html_file: Path, target: Path) -> None:
        """Load ``html_file`` in a new tab (no JavaScript) and write its PDF to ``target``."""
        if not self._started:
            self.send("Target.getTargets", timeout=START_TIMEOUT_S)  # waits for the boot
            self._started = True
        tab = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self.send("Target.attachToTarget", {"targetId": tab, "flatten": True})[
                "sessionId"]
            self.send("Emulation.setScriptExecutionDisabled", {"value": True}, session)
            self.send("Page.enable", session=session)
            loaded = self.send("Page.navigate", {"url": html_file.resolve().as_uri()}, session)
            if loaded.get("errorText"):
                raise ChromiumError(f"cannot load {html_file}: {loaded['errorText']}")
            self.wait_for("Page.loadEventFired", session, LOAD_TIMEOUT_S)
            printed = self.send("Page.printToPDF", PRINT_OPTIONS, session, PRINT_TIMEOUT_S)
            target.write_bytes(base64.b64decode(printed["data"]))
        finally:
            if self.alive():
                try:
                    self.send("Target.closeTarget", {"targetId": tab})
                except ChromiumError:
                    pass
            self._events.clear()

    def close(self) -> None:
        """Quit the browser (killing it if it does not quit) and remove its profile."""
        if self.owner != os.getpid():
            return  # a forked child's copy: the browser is its parent's
        if self.alive():
            try:
                self.send("Browser.close", timeout=5)
            except ChromiumError:
                pass
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()
        self.kill()

    def kill(self) -> None:
        """Stop the browser now (e.g. from a signal handler) and remove its profile."""
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # the browser and its renderers
            except OSError:
                self.process.kill()
            self.process.wait()
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass
        self._out = self._in = -1
        shutil.rmtree(self.profile, ignore_errors=True)


# -- one browser per process ---------------------------------------------------------------------

_BROWSER: Browser | None = None


def browser(executable: str) -> Browser:
    """This process's browser, started if there is none (or it died, or is another executable)."""
    global _BROWSER
    if _BROWSER is not None and _BROWSER.owner != os.getpid():
        _BROWSER = None  # inherited through fork: the parent's, not ours
    if _BROWSER is None or not _BROWSER.alive() or _BROWSER.executable != executable:
        if _BROWSER is not None:
            _BROWSER.kill()
        _BROWSER = Browser(executable)
        # Pool workers leave through os._exit, which skips atexit but runs these finalizers.
        multiprocessing.util.Finalize(_BROWSER, _BROWSER.close, exitpriority=10)
    return _BROWSER


def print_pdf(executable: str, html_file: Path, target: Path) -> None:
    """Print ``html_file`` to ``target`` in this process's browser; once more in a new browser
    if that one fails (it may have crashed or hung on an earlier report)."""
    try:
        browser(executable).print_pdf(html_file, target)
    except ChromiumError:
        close_browser()
        browser(executable).print_pdf(html_file, target)


def close_browser() -> None:
    global _BROWSER
    if _BROWSER is not None and _BROWSER.owner == os.getpid():
        _BROWSER.close()
    _BROWSER = None


def kill_browser() -> None:
    """For signal handlers: stop this process's browser without talking to it."""
    if _BROWSER is not None and _BROWSER.owner == os.getpid():
        _BROWSER.kill()


atexit.register(close_browser)
