"""The PDF engines: which one prints, that both print the report's page furniture, and that the
Chromium one is contained (no scripts, no fetches, no local files) and survives a browser that
crashes, hangs or cannot start.

Needs Debian's Chromium (`bash scripts/ensure-system-deps.sh` installs it as root); without it the
Chromium tests skip with that reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pypdf
import pytest
from system_packages import unavailable

import msomodel
from msomodel.report import chromium, render_one, run_report_command, sections
from msomodel.report.convert import PdfEngineError, pdf_engine, stylesheet, to_pdf

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "report"
STANDIN = FIXTURES / "standin.ipynb"


@pytest.fixture
def chromium_executable() -> str:
    found = chromium.find_chromium()
    if found:
        return found
    unavailable("no Chromium on PATH (chromium, chromium-browser, google-chrome); install it "
                "with `bash scripts/ensure-system-deps.sh` as root (apt-get install chromium)",
                "the Chromium PDF tests")


@pytest.fixture(autouse=True)
def _fresh_engine_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test inherits another's "this Chromium cannot start" verdict."""
    monkeypatch.setattr(chromium, "unusable", {})


def pages_text(pdf: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(pdf).pages]


def fake_browser(folder: Path, says: str = "No usable sandbox!") -> Path:
    """An executable that writes ``says`` on stderr and exits 3, as a browser that cannot run."""
    fake = folder / "fake-chromium"
    fake.write_text(f"#!/bin/sh\necho '{says}' >&2\nexit 3\n")
    fake.chmod(0o755)
    return fake


# -- which engine --------------------------------------------------------------------------------

def test_the_engine_is_chosen_by_msomodel_pdf_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "weasyprint")
    assert pdf_engine() == ("weasyprint", None)
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "WeasyPrint ")  # case and spaces do not matter
    assert pdf_engine() == ("weasyprint", None)
    assert pdf_engine("weasyprint") == ("weasyprint", None)  # an explicit choice wins
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "prince")
    with pytest.raises(PdfEngineError, match="one of auto, chromium, weasyprint, found 'prince'"):
        pdf_engine()
    with pytest.raises(PdfEngineError, match="found 'prince'"):
        pdf_engine(here=False)  # the name is checked even for another machine's workers
    assert pdf_engine("chromium", here=False) == ("chromium", None)


def test_auto_falls_back_to_weasyprint_and_chromium_insists(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    monkeypatch.setenv("MSOMODEL_CHROMIUM", str(tmp_path / "no-such-browser"))
    monkeypatch.delenv("MSOMODEL_PDF_ENGINE", raising=False)
    assert pdf_engine() == ("weasyprint", None)
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "chromium")
    with pytest.raises(PdfEngineError, match="no Chromium was found.*ensure-system-deps"):
        pdf_engine()


def test_auto_prefers_chromium(monkeypatch: pytest.MonkeyPatch, chromium_executable: str) -> None:
    monkeypatch.delenv("MSOMODEL_PDF_ENGINE", raising=False)
    monkeypatch.delenv("MSOMODEL_CHROMIUM", raising=False)
    assert pdf_engine() == ("chromium", chromium_executable)


# -- both engines print the page furniture -------------------------------------------------------

@pytest.fixture(scope="module")
def texas() -> msomodel.Comparison:
    return msomodel.compare(msomodel.load_scenario(ROOT / "scenarios" / "texas_rn_single_site.yaml"),
                            trials=0)


@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
def test_both_engines_print_header_footer_and_page_numbers(
        engine: str, texas: msomodel.Comparison, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    """The report's own cover (whose rule sets the footer) and one page of body text; the
    names carry characters CSS and HTML must escape."""
    if engine == "chromium":
        request.getfixturevalue("chromium_executable")
    title, client = 'Spa <Ana> & "Co"', 'Ana <&> "Co"'
    cover = sections.title_page(texas, title=title, version="9.9", date="2026-03-15",
                                prepared_for=client, prepared_by="Jane Doe")
    html = (f"<html><head><title>x</title><style>{stylesheet(title)}</style></head><body>"
            f"{cover}<h2>The financial plan</h2><p>Staffing and affiliate fees, first office.</p>"
            "</body></html>")
    to_pdf(html, tmp_path / "r.pdf", engine=engine)
    first, *rest = pages_text(tmp_path / "r.pdf")
    assert "Page 1" not in first and title in first
    body = rest[-1]
    for text in (title, "msomodel", f"Page {len(rest) + 1} of {len(rest) + 1}",
                 f"Prepared for {client} by Jane Doe, 15 March 2026",
                 "Not legal or financial advice", "The financial plan",
                 "affiliate fees, first office"):
        assert text in body, (engine, text, body)
    assert not set(body) & {"\ufb00", "\ufb01", "\ufb02", "\ufb03", "\ufb04"}  # no ligatures


# -- Chromium: contained -------------------------------------------------------------------------

class _Counting(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        _Counting.seen.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"FETCHED-CONTENT")

    def log_message(self, *args: object) -> None:
        pass


def test_chromium_runs_no_script_fetches_nothing_and_reads_no_file(
        chromium_executable: str, tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    _Counting.seen = []
    try:
        html = ("<html><body><p id='x'>static text</p>"
                "<script>document.getElementById('x').textContent = 'scripted';</script>"
                f"<img src='http://127.0.0.1:{port}/ip.png' alt=''>"
                f"<img src='http://localhost:{port}/host.png' alt=''>"
                f"<link rel='stylesheet' href='http://127.0.0.1:{port}/style.css'>"
                f"<iframe src='http://127.0.0.1:{port}/frame'></iframe>"
                f"<iframe src='{secret.as_uri()}'></iframe>"
                f"<object data='{secret.as_uri()}'></object></body></html>")
        chromium.print_pdf(chromium_executable, html, tmp_path / "page.pdf")
    finally:
        server.shutdown()
        server.server_close()
    text = " ".join(pages_text(tmp_path / "page.pdf"))
    assert "static text" in text and "scripted" not in text
    assert "TOP-SECRET-42" not in text and "FETCHED-CONTENT" not in text
    assert _Counting.seen == []  # not one request reached the server


# -- Chromium: resilient -------------------------------------------------------------------------

def test_a_browser_gone_mid_print_is_replaced_and_the_report_retried(
        chromium_executable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chromium.print_pdf(chromium_executable, "<p>warm up</p>", tmp_path / "zero.pdf")
    first = chromium.browser(chromium_executable)
    real_send = chromium.Browser.send

    def dies_on_print(self, method, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self is first and method == "Page.printToPDF":
            os.killpg(self.process.pid, signal.SIGKILL)  # crashed while printing
        return real_send(self, method, *args, **kwargs)

    monkeypatch.setattr(chromium.Browser, "send", dies_on_print)
    chromium.print_pdf(chromium_executable, "<p>one page</p>", tmp_path / "one.pdf")
    assert chromium.browser(chromium_executable) is not first
    assert "one page" in pages_text(tmp_path / "one.pdf")[0]
    assert not first.alive() and not Path(first.profile).exists()


def test_a_crashed_page_is_reported_at_once(chromium_executable: str, tmp_path: Path) -> None:
    """The renderer crashing while a page loads raises ChromiumGone (retried), not a timeout."""
    b = chromium.browser(chromium_executable)
    b.send("Target.getTargets", timeout=chromium.START_TIMEOUT_S)
    tab = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = b.send("Target.attachToTarget", {"targetId": tab, "flatten": True})["sessionId"]
    b.send("Inspector.enable", session=session)
    b.send("Page.enable", session=session)
    b.send("Page.navigate", {"url": "chrome://crash"}, session)
    with pytest.raises(chromium.ChromiumGone, match="crashed"):
        b.wait_for("Page.loadEventFired", session, chromium.LOAD_TIMEOUT_S)
    b.send("Target.closeTarget", {"targetId": tab})
    chromium.print_pdf(chromium_executable, "<p>after</p>", tmp_path / "after.pdf")
    assert chromium.browser(chromium_executable) is b  # only the page crashed, not the browser


def test_a_browser_that_stops_answering_is_killed_not_retried(
        chromium_executable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chromium.print_pdf(chromium_executable, "<p>warm up</p>", tmp_path / "zero.pdf")
    hung = chromium.browser(chromium_executable)
    started: list[chromium.Browser] = []
    real_init = chromium.Browser.__init__

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(chromium.Browser, "__init__", counting)
    monkeypatch.setattr(chromium, "PRINT_TIMEOUT_S", 0.0)  # no print can finish in time
    with pytest.raises(chromium.ChromiumTimeout, match="did not answer Page.printToPDF"):
        chromium.print_pdf(chromium_executable, "<p>slow</p>", tmp_path / "slow.pdf")
    assert started == [] and not hung.alive() and not Path(hung.profile).exists()
    monkeypatch.setattr(chromium, "PRINT_TIMEOUT_S", 120.0)
    chromium.print_pdf(chromium_executable, "<p>next</p>", tmp_path / "next.pdf")  # a new one
    assert len(started) == 1 and "next" in pages_text(tmp_path / "next.pdf")[0]


def test_the_browser_exits_with_its_process(chromium_executable: str,
                                            request: pytest.FixtureRequest) -> None:
    """A worker killed outright (no clean-up runs) leaves no browser behind: Chromium exits when
    its end of the pipe closes."""
    code = ("import os, sys\nfrom msomodel.report import chromium\n"
            f"b = chromium.browser({chromium_executable!r})\n"
            "b.send('Target.getTargets', timeout=60)\n"
            "print(b.process.pid, b.profile, flush=True)\nos.kill(os.getpid(), 9)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    pid_text, profile = done.stdout.split()
    pid = int(pid_text)
    request.addfinalizer(lambda: shutil.rmtree(profile, ignore_errors=True))  # no one else can
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    pytest.fail(f"Chromium {pid} outlived the process that started it by 30 s")


def test_a_browser_that_cannot_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     capsys: pytest.CaptureFixture) -> None:
    """Required (``chromium``): that scenario fails with Chromium's own words and only its
    sidecar is published. ``auto``: said once on stderr, and WeasyPrint prints instead."""
    monkeypatch.setenv("MSOMODEL_CHROMIUM", str(fake_browser(tmp_path)))
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "chromium")
    out = tmp_path / "out"
    result = render_one(FIXTURES / "alpha.yaml", out, formats=("html", "pdf"), notebook=STANDIN)
    assert not result.ok
    assert result.error.startswith(f"{FIXTURES / 'alpha.yaml'}: cannot print its PDF: Chromium")
    assert "cannot start" in result.error and "No usable sandbox!" in result.error
    assert sorted(p.name for p in out.iterdir()) == ["alpha.json"]
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "auto")
    for _ in range(2):
        again = render_one(FIXTURES / "alpha.yaml", out, formats=("html", "pdf"), notebook=STANDIN)
        assert again.ok, again.error
    assert sorted(p.name for p in out.iterdir()) == ["alpha.html", "alpha.json", "alpha.pdf"]
    assert pypdf.PdfReader(out / "alpha.pdf").metadata["/Producer"].startswith("WeasyPrint")
    said = capsys.readouterr().err
    assert said.count("printing PDFs with WeasyPrint instead") == 1 and "No usable sandbox!" in said


def test_report_command_checks_the_engine_before_rendering(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    monkeypatch.delenv("MSOMODEL_PDF_ENGINE", raising=False)
    monkeypatch.setenv("MSOMODEL_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "out"
    code = run_report_command([FIXTURES / "alpha.yaml"], out, jobs=1, progress=False,
                              pdf_engine="chromium")
    assert code == 2 and not out.exists()
    assert "no Chromium was found (MSOMODEL_CHROMIUM=" in capsys.readouterr().err
    assert "MSOMODEL_PDF_ENGINE" not in os.environ  # the command leaves the environment as it was
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "prince")
    assert run_report_command([FIXTURES / "alpha.yaml"], out, jobs=1, progress=False) == 2
    assert "MSOMODEL_PDF_ENGINE must be one of" in capsys.readouterr().err
    # Without a PDF to print, the engine does not matter.
    assert run_report_command([FIXTURES / "alpha.yaml"], out, jobs=1, progress=False,
                              formats=["html"], notebook=STANDIN) == 0
    # With one, the engine named is used and the environment restored afterwards.
    monkeypatch.delenv("MSOMODEL_PDF_ENGINE")
    assert run_report_command([FIXTURES / "alpha.yaml"], out, jobs=1, progress=False,
                              formats=["pdf"], notebook=STANDIN, pdf_engine="weasyprint") == 0
    assert pypdf.PdfReader(out / "alpha.pdf").metadata["/Producer"].startswith("WeasyPrint")
    assert "MSOMODEL_PDF_ENGINE" not in os.environ


def test_a_cluster_task_carries_the_clients_engine(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    """--pdf-engine reaches remote Dask workers through the task, not their environment."""
    from msomodel.report.cluster import make_bundle

    def bundle():  # type: ignore[no-untyped-def]
        return make_bundle(str(FIXTURES / "alpha.yaml"), "alpha", tmp_path / "out", ["pdf"],
                           STANDIN, "python3")

    monkeypatch.delenv("MSOMODEL_PDF_ENGINE", raising=False)
    assert bundle().pdf_engine is None  # the worker's own default
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "weasyprint")
    assert bundle().pdf_engine == "weasyprint"
