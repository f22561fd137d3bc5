"""PDF from report HTML in headless Chromium, one browser per process, driven over its pipe.

WeasyPrint lays a report out in Python: about 3.5 CPU-s for a 25-page report, more than the notebook
behind it. Chromium lays out the same HTML and print CSS (``@page`` margin boxes, ``Page X of Y``,
page breaks) in C++: about 0.5 s once the browser is running. :class:`Browser` keeps one headless
Chromium per process (a batch worker prints all its reports in it) and talks the DevTools protocol
over ``--remote-debugging-pipe``: JSON messages ending in a NUL byte on file descriptors 3 (to
Chromium) and 4 (from it), so no websocket library and no port.

Containment: each report is written into a fresh ``about:blank`` tab (``Page.setDocumentContent``,
no file on disk) with JavaScript disabled and host names unresolvable. The report is
self-contained (images are data URIs); from that page Chromium refuses ``file:`` URLs, and no
request reaches the network. When this process's end of the pipe closes (the process exits or is
killed) Chromium exits too.

Failures: a browser that is gone (it exited, or the page's renderer crashed) is replaced and the
report printed once more; a browser that stops answering is killed and the report fails (the
next report starts a new one); Chromium's own last words (its stderr) are quoted in the error.
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
import threading
import time
from pathlib import Path
from typing import Any

#: Looked up on PATH in this order when ``MSOMODEL_CHROMIUM`` does not name the executable.
EXECUTABLES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds Chromium may take to start, a command to answer, a page to load and to print.
START_TIMEOUT_S, COMMAND_TIMEOUT_S, LOAD_TIMEOUT_S, PRINT_TIMEOUT_S = 60.0, 30.0, 60.0, 120.0

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
#: Events that say the page's renderer is gone.
CRASHED = ("Inspector.targetCrashed", "Target.detachedFromTarget")


class ChromiumError(RuntimeError):
    """Chromium could not be started, or failed to load or print a report."""


class ChromiumGone(ChromiumError):
    """The browser exited, or the page's renderer crashed: a new browser may well succeed."""


class ChromiumUnusable(ChromiumGone):
    """A new browser exited before answering its first command, twice: it cannot run here (e.g.
    its sandbox is not allowed)."""


class ChromiumTimeout(ChromiumError):
    """The browser stopped answering (it is killed)."""


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


def _close(*fds: int) -> None:
    for fd in fds:
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass


class Browser:
    """One headless Chromium and the DevTools session to it.

    Starting returns at once (the browser boots while the caller works); the first command waits
    for it. Not thread-safe: :func:`print_pdf` serializes the callers of a process.
    """

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.owner = os.getpid()  # a forked child must not close its parent's browser
        self._buffer = bytearray()
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self._started = False
        self.profile = ""
        read_cmd = write_cmd = read_out = write_out = -1
        try:
            read_cmd, write_cmd = os.pipe()  # we write commands, Chromium reads them on fd 3
            read_out, write_out = os.pipe()  # Chromium writes results on fd 4, we read them
            read_cmd = _above_4(read_cmd)
            write_out = _above_4(write_out)
            self.profile = tempfile.mkdtemp(prefix="msomodel-chromium-")
            flags = [*FLAGS, f"--user-data-dir={self.profile}"]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
            with open(self.log_path, "wb") as log:
                # A trampoline puts the pipe ends on fds 3 and 4 and execs the browser (no
                # preexec_fn: unsafe with threads); close_fds keeps everything else out of it.
                self.process = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(read_cmd),
                     str(write_out), executable, *flags, "about:blank"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                    pass_fds=(read_cmd, write_out), start_new_session=True)
        except OSError as exc:
            _close(read_cmd, write_cmd, read_out, write_out)
            if self.profile:
                shutil.rmtree(self.profile, ignore_errors=True)
            raise ChromiumGone(f"cannot start {executable}: {exc}") from exc
        _close(read_cmd, write_out)  # the browser's ends, now in the browser
        self._out, self._in = write_cmd, read_out

    @property
    def log_path(self) -> Path:
        return Path(self.profile) / "chromium-stderr.log"

    def alive(self) -> bool:
        return self.process.poll() is None

    # -- the protocol ---------------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float | None = None) -> dict[str, Any]:
        """Run one DevTools command and return its result (events meanwhile are kept).
        ``timeout``: seconds, default :data:`COMMAND_TIMEOUT_S`."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._out, data):]
        except OSError as exc:
            raise ChromiumGone(self._gone(f"Chromium is gone ({method}: {exc})")) from exc
        deadline = time.monotonic() + (COMMAND_TIMEOUT_S if timeout is None else timeout)
        while True:
            reply = self._next(deadline, method, session)
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise ChromiumError(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})

    def wait_for(self, event: str, session: str, timeout: float) -> dict[str, Any]:
        """The next ``event`` of ``session`` (possibly one received during a command)."""
        for i, seen in enumerate(self._events):
            if seen.get("method") == event and seen.get("sessionId") == session:
                return self._events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline, event, session)
            if message.get("method") == event and message.get("sessionId") == session:
                self._events.remove(message)
                return message

    def _next(self, deadline: float, waiting_for: str, session: str | None) -> dict[str, Any]:
        """The next message; events are kept, and one saying ``session``'s page crashed raises."""
        message = self._read(deadline, waiting_for)
        if "method" in message:
            self._events.append(message)
            crashed = message["method"] in CRASHED and session is not None and session in (
                message.get("sessionId"), message.get("params", {}).get("sessionId"))
            if crashed:
                raise ChromiumGone(f"the page crashed while Chromium was on {waiting_for}")
        return message

    def _read(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        poller = select.poll()
        poller.register(self._in, select.POLLIN)
        scanned = 0
        while (end := self._buffer.find(b"\0", scanned)) < 0:
            scanned = len(self._buffer)
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise ChromiumTimeout(f"Chromium did not answer {waiting_for} in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise ChromiumGone(self._gone(f"Chromium exited while waiting for {waiting_for}"))
            self._buffer += chunk
        message = bytes(self._buffer[:end])
        del self._buffer[:end + 1]
        return json.loads(message)

    def _gone(self, what: str) -> str:
        """``what``, with the last lines Chromium wrote to its stderr (why it exited)."""
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            lines = []
        lines = [line.strip() for line in lines if line.strip() and "dbus" not in line.lower()]
        said = " | ".join(lines[-3:])  # (headless Chromium always complains about D-Bus)
        return f"{what}; it said: {said}" if said else what

    # -- printing -------------------------------------------------------------------------------

    def print_pdf(self, html: str, target: Path) -> None:
        """Write ``html`` into a new blank tab (no JavaScript) and its PDF to ``target``."""
        if not self._started:
            self.send("Target.getTargets", timeout=START_TIMEOUT_S)  # waits for the boot
            self._started = True
        tab = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self.send("Target.attachToTarget", {"targetId": tab, "flatten": True})[
                "sessionId"]
            self.send("Emulation.setScriptExecutionDisabled", {"value": True}, session)
            self.send("Inspector.enable", session=session)  # reports a crash of the page
            self.send("Page.enable", session=session)
            frame = self.send("Page.getFrameTree", session=session)["frameTree"]["frame"]["id"]
            self.send("Page.setDocumentContent", {"frameId": frame, "html": html}, session)
            self.wait_for("Page.loadEventFired", session, LOAD_TIMEOUT_S)
            printed = self.send("Page.printToPDF", PRINT_OPTIONS, session, PRINT_TIMEOUT_S)
            target.write_bytes(base64.b64decode(printed["data"]))
        except ChromiumTimeout:
            self.kill()  # a browser that stopped answering gets no more commands
            raise
        finally:
            if self.alive():
                try:
                    self.send("Target.closeTarget", {"targetId": tab}, timeout=5)
                except ChromiumTimeout:
                    self.kill()
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
                pass
        self.kill()

    def kill(self, wait: bool = True) -> None:
        """Stop the browser and its renderers now and remove its profile; ``wait=False`` (in a
        signal handler) does not reap it."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the renderers too, even after the leader
        except OSError:
            pass
        if wait:
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        _close(self._out, self._in)
        self._out = self._in = -1
        shutil.rmtree(self.profile, ignore_errors=True)


# -- one browser per process ---------------------------------------------------------------------

_BROWSER: Browser | None = None
#: Executables that could not start in this process, with the reason (``auto`` skips them).
unusable: dict[str, str] = {}
_LOCK = threading.Lock()  # e.g. a Dask worker with several threads: one print at a time


def browser(executable: str) -> Browser:
    """This process's browser, started if there is none (or it died, or is another executable)."""
    global _BROWSER
    if _BROWSER is not None and _BROWSER.owner != os.getpid():
        _BROWSER = None  # inherited through fork (see _forget_in_child): the parent's
    if _BROWSER is None or not _BROWSER.alive() or _BROWSER.executable != executable:
        if _BROWSER is not None:
            _BROWSER.kill()
        _BROWSER = Browser(executable)
        # Pool workers leave through os._exit, which skips atexit but runs these finalizers.
        multiprocessing.util.Finalize(_BROWSER, _BROWSER.close, exitpriority=10)
    return _BROWSER


def print_pdf(executable: str, html: str, target: Path) -> None:
    """Print ``html`` to ``target`` in this process's browser; once more in a new browser if
    that one was gone (it exited, or crashed on this or an earlier report). Raises
    :class:`ChromiumError`: :class:`ChromiumUnusable` if the new browser did not even start,
    :class:`ChromiumGone` if it too went away."""
    with _LOCK:
        try:
            browser(executable).print_pdf(html, target)
        except ChromiumGone:
            close_browser()
            try:
                browser(executable).print_pdf(html, target)
            except ChromiumGone as exc:
                if _BROWSER is None or not _BROWSER._started:  # never answered: cannot run here
                    raise ChromiumUnusable(f"Chromium ({executable}) cannot start: {exc}") from exc
                raise


def close_browser() -> None:
    global _BROWSER
    if _BROWSER is not None and _BROWSER.owner == os.getpid():
        _BROWSER.close()
    _BROWSER = None


def kill_browser() -> None:
    """For signal handlers: stop this process's browser without talking to it or waiting."""
    if _BROWSER is not None and _BROWSER.owner == os.getpid():
        _BROWSER.kill(wait=False)


def _forget_in_child() -> None:
    """After a fork: the child lets go of its copy of the pipe, so the parent's browser still
    exits with the parent (the child never talks to it)."""
    global _BROWSER
    if _BROWSER is not None:
        _close(_BROWSER._out, _BROWSER._in)
        _BROWSER = None


atexit.register(close_browser)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
