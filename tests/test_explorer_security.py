"""The explorer is locked to its user, bounded in memory, and leaves no process behind.

Real HTTP and WebSocket clients against a running ``msomodel explore --no-browser --port P`` on
127.0.0.1 (issue 16, items 1-3; issue 15, SIGTERM).  Every server is stopped by PID in a
fixture or ``finally``; every loop is bounded in count and time; only loopback addresses.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import websocket  # websocket-client, a dependency of jupyter_server

from msomodel.explorer import Explorer
from msomodel.explorer import app as explorer_app
from msomodel.explorer.files import save_scenario

ROOT = Path(__file__).resolve().parents[1]
OHIO = ROOT / "scenarios" / "ohio_physician_single_site.yaml"
HOST = "127.0.0.1"
WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"
START_TIMEOUT = 90.0


# --------------------------------------------------------------------------- processes
def alive(pid: int) -> bool:
    """The process exists and is not a zombie (Linux /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    return [p for p in (int(e.name) for e in Path("/proc").glob("[0-9]*"))
            if _ppid(p) == pid and alive(p)]


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def group_alive(pgid: int) -> bool:
    members = [int(e.name) for e in Path("/proc").glob("[0-9]*") if _pgid(int(e.name)) == pgid]
    return any(alive(p) for p in members)


def _pgid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def port_is_free(port: int) -> bool:
    """Nothing listens: a connection is refused, and a server could bind it again (with
    SO_REUSEADDR, as tornado does: the closed connections may linger in TIME_WAIT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        if s.connect_ex((HOST, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_until(predicate, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    token: str
    output: Path

    @property
    def voila_pid(self) -> int:
        pids = children(self.process.pid)
        assert len(pids) == 1, pids
        return pids[0]

    def kernels(self) -> list[int]:
        return children(self.voila_pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        for pid in children(self.process.pid):  # should be none; never leave any
            os.kill(pid, signal.SIGKILL)


def explore_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from msomodel.cli import main; sys.exit(main())",
            "explore", *args]


def start_server(tmp: Path, *args: str) -> Server:
    port = explorer_app.free_port(0)
    out = tmp / f"explore-{port}.log"
    with open(out, "wb") as fh:
        process = subprocess.Popen(explore_command("--no-browser", "--port", str(port), *args),
                                   stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=ROOT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = re.search(rf"running at http://{HOST}:{port}/\?token=([\w-]+)", out.read_text())
            if found:
                return Server(process, port, found.group(1), out)
            assert process.poll() is None, out.read_text()
            time.sleep(0.2)
        raise AssertionError(f"no URL printed within {START_TIMEOUT} s:\n{out.read_text()}")
    except BaseException:
        Server(process, port, "", out).stop()
        raise


def request(server: Server, path: str, *, host: str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPResponse, str]:
    conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
    try:
        conn.request("GET", path, headers={"Host": host or f"{HOST}:{server.port}",
                                           **(headers or {})})
        response = conn.getresponse()
        return response.status, response, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


# --------------------------------------------------------------------------- one shared server
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("explore"), "--max-kernels", "1")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def page(server: Server) -> dict[str, str]:
    """The page opened with the token: the login cookie and the kernel it started."""
    status, response, body = request(server, f"/?token={server.token}")
    assert status == 200, body[-2000:]
    kernel = re.search(r'"kernelId": "([0-9a-f-]{36})"', body)
    assert kernel, body[-2000:]
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    return {"cookie": cookie, "kernel": kernel.group(1)}


pytestmark = pytest.mark.slow


def test_no_token_or_a_wrong_token_is_403_and_starts_no_kernel(server: Server) -> None:
    kernels = server.kernels()
    for path, headers in [("/", {}), ("/?token=wrong", {}), (f"/?token={server.token[:-1]}", {}),
                          ("/", {"Cookie": f"username-127-0-0-1-{server.port}=forged"}),
                          ("/login", {}), ("/api/kernels", {})]:
        status, _, _ = request(server, path, headers=headers)
        assert status == 403, (path, headers, status)
    assert server.kernels() == kernels


def test_a_foreign_host_is_403_even_with_the_token(server: Server) -> None:
    kernels = server.kernels()
    for host in ["attacker.example", f"attacker.example:{server.port}",
                 f"127.0.0.1.nip.io:{server.port}", f"localhost.attacker.example:{server.port}"]:
        status, _, _ = request(server, f"/?token={server.token}", host=host)
        assert status == 403, host
    assert server.kernels() == kernels


def test_the_token_opens_the_page_and_the_kernel_limit_holds(server: Server,
                                                             page: dict[str, str]) -> None:
    assert len(server.kernels()) == 1
    for host in [f"localhost:{server.port}", f"[::1]:{server.port}"]:  # loopback names pass
        status, _, body = request(server, f"/?token={server.token}", host=host)
        assert status == 503, (host, status, body[-500:])  # authorized, but the limit is 1
    status, _, _ = request(server, "/", headers={"Cookie": page["cookie"]})
    assert status == 503  # the cookie set on the first visit authenticates
    assert len(server.kernels()) == 1


def ws_url(server: Server, kernel: str, query: str = "") -> str:
    return f"ws://{HOST}:{server.port}/api/kernels/{kernel}/channels?session_id=t{query}"


def ws_refused(url: str, **kwargs) -> int:
    try:
        ws = websocket.create_connection(url, timeout=10, **kwargs)
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code
    ws.close()
    return 101


def test_kernel_websocket_needs_token_same_origin_and_the_v1_protocol(
        server: Server, page: dict[str, str]) -> None:
    cookie = [f"Cookie: {page['cookie']}"]
    same = f"http://{HOST}:{server.port}"
    url = ws_url(server, page["kernel"])
    assert ws_refused(url, subprotocols=[WS_PROTOCOL], origin=same) == 403  # no token
    assert ws_refused(url, header=cookie, subprotocols=[WS_PROTOCOL],
                      origin="http://attacker.example") == 403
    assert ws_refused(ws_url(server, page["kernel"], f"&token={server.token}"),
                      subprotocols=[WS_PROTOCOL], origin="http://attacker.example") == 403
    assert ws_refused(url, header=cookie, origin=same) == 400  # no sub-protocol
    assert ws_refused(url, header=cookie, subprotocols=[WS_PROTOCOL], origin=same) == 101


def test_asking_for_widget_state_keeps_the_server_bounded(server: Server,
                                                          page: dict[str, str]) -> None:
    from jupyter_client.session import Session
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    before = rss_mb(server.voila_pid)
    ws = websocket.create_connection(ws_url(server, page["kernel"]), timeout=10,
                                     header=[f"Cookie: {page['cookie']}"],
                                     subprotocols=[WS_PROTOCOL],
                                     origin=f"http://{HOST}:{server.port}")
    try:
        session = Session(key=b"", check_pid=False)
        comm = uuid.uuid4().hex

        def send(kind: str, content: dict, metadata: dict | None = None) -> None:
            msg = session.msg(kind, content=content, metadata=metadata or {})
            parts = [session.pack(msg[k]) for k in ("header", "parent_header", "metadata",
                                                     "content")]
            ws.send_binary(serialize_msg_to_ws_v1(parts, "shell"))

        send("comm_open", {"comm_id": comm, "target_name": "jupyter.widget.control",
                           "data": {}}, {"version": "1.0.0"})
        for _ in range(3):
            send("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}})
        received, messages, deadline = 0, 0, time.monotonic() + 30
        ws.settimeout(5)
        while time.monotonic() < deadline and messages < 2_000:
            try:
                received += len(ws.recv())
                messages += 1
            except websocket.WebSocketTimeoutException:
                break
    finally:
        ws.close()
    assert received > 100_000  # the widget states (with the chart images) came back
    assert rss_mb(server.voila_pid) - before < 50
    status, _, _ = request(server, "/", headers={"Cookie": page["cookie"]})
    assert status == 503  # still answering


# --------------------------------------------------------------------------- own servers
@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_outside_1_to_65535_exits_2(port: str) -> None:
    done = subprocess.run(explore_command("--no-browser", "--port", port), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "1-65535" in done.stderr and "Traceback" not in done.stderr
    assert "running at" not in done.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_every_process_and_frees_the_port(tmp_path: Path, sig: int) -> None:
    server = start_server(tmp_path)
    try:
        status, _, _ = request(server, f"/?token={server.token}")
        assert status == 200
        voila = server.voila_pid
        kernels = server.kernels()
        assert len(kernels) == 1
        group = _pgid(voila)
        assert group == voila != _pgid(server.process.pid)  # Voilà has its own group
        server.process.send_signal(sig)
        assert server.process.wait(40) == 0
        assert wait_until(lambda: not any(alive(p) for p in [voila, *kernels]), 10)
        assert not group_alive(group)
        assert all(not group_alive(k) for k in kernels)  # each kernel's own group too
        assert port_is_free(server.port)
        assert "Stopping the explorer" in server.output.read_text()
    finally:
        server.stop()


def test_idle_kernels_without_a_page_are_culled() -> None:
    app = explorer_app.start(explorer_app.free_port(0), timeout=START_TIMEOUT,
                             cull_idle_timeout=2, cull_interval=1)
    try:
        conn = http.client.HTTPConnection(HOST, int(app.base_url.rsplit(":", 1)[1].strip("/")),
                                          timeout=60)
        conn.request("GET", f"/?token={app.token}")
        assert conn.getresponse().status == 200
        conn.close()
        assert wait_until(lambda: len(app.kernel_pids()) == 1, 10)
        assert wait_until(lambda: app.kernel_pids() == [], 30), app.log()[-2000:]
    finally:
        app.stop()
    assert app.config_dir is None


def test_the_config_holding_the_token_is_private_and_not_on_the_command_line() -> None:
    app = explorer_app.start(explorer_app.free_port(0), timeout=START_TIMEOUT)
    try:
        assert app.config_dir is not None
        assert app.config_dir.stat().st_mode & 0o077 == 0
        config = json.loads((app.config_dir / "voila.json").read_text())
        assert config["Voila"]["token"] == app.token and len(app.token) >= 32
        cmdline = Path(f"/proc/{app.process.pid}/cmdline").read_bytes().decode()
        assert app.token not in cmdline
    finally:
        app.stop()


# --------------------------------------------------------------------------- overwriting
def test_saving_over_an_existing_file_asks_first(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0, draw=False, save_dir=tmp_path)
    first = ex.save()
    assert first is not None
    before = first.read_text()
    ex.controls["fee_level"].value = 15000
    assert ex.save() is None  # asks
    assert "already exists" in ex.file_status.value and "Overwrite" in ex.file_status.value
    assert ex.controls["save"].description == "Overwrite"
    assert first.read_text() == before
    assert Explorer(OHIO, debounce=0, draw=False, save_dir=tmp_path).render_report() is None
    ex.controls["save"].click()  # the confirmation
    assert first.read_text() != before and "15000" in first.read_text()
    assert ex.controls["save"].description == "Save scenario"
    assert "Saved" in ex.file_status.value
    assert not list(tmp_path.glob(".msomodel-tmp-*"))
    ex.controls["name"].value = "Another name"
    assert ex.save() is not None  # a new file needs no confirmation


def test_save_scenario_never_replaces_a_file_unless_told(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0, draw=False, save_dir=tmp_path)
    data = ex.scenario_dict()
    path = save_scenario(data, tmp_path, "x")
    with pytest.raises(FileExistsError):
        save_scenario(data, tmp_path, "x")
    assert save_scenario(data, tmp_path, "x", overwrite=True) == path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.yaml"]
