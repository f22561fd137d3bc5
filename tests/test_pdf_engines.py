"""The PDF engines: which one prints, that both print the report's page furniture, and that the
Chromium one is contained (no scripts, no fetches) and survives a dead browser.

Needs Debian's Chromium (`bash scripts/ensure-system-deps.sh` installs it as root); without it the
Chromium tests skip with that reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pypdf
import pytest
from system_packages import unavailable

from msomodel.formatting import css_string
from msomodel.report import chromium, render_one
from msomodel.report.convert import PdfEngineError, pdf_engine, stylesheet, to_pdf

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "report"


@pytest.fixture
def chromium_executable() -> str:
    found = chromium.find_chromium()
    if found:
        return found
    unavailable("no Chromium on PATH (chromium, chromium-browser, google-chrome); install it "
                "with `bash scripts/ensure-system-deps.sh` as root (apt-get install chromium)",
                "the Chromium PDF tests")


def pages_text(pdf: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(pdf).pages]


# -- which engine --------------------------------------------------------------------------------

def test_the_engine_is_chosen_by_msomodel_pdf_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "weasyprint")
    assert pdf_engine() == ("weasyprint", None)
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "WeasyPrint ")  # case and spaces do not matter
    assert pdf_engine() == ("weasyprint", None)
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "prince")
    with pytest.raises(PdfEngineError, match="one of auto, chromium, weasyprint, found 'prince'"):
        pdf_engine()


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

FOOTER = 'Prepared for Spa "Ana" <& Co>, 15 March 2026'


def two_page_report(title: str) -> str:
    """A cover, then one page of body text: the report's stylesheet and the cover's footer rule."""
    footer = f"<style>@page {{ @bottom-left {{ content: {css_string(FOOTER)}; }} }}</style>"
    return (f"<html><head><title>{title}</title><style>{stylesheet(title)}</style></head><body>"
            f'{footer}<section class="cover"><h1>{title}</h1></section>'
            "<h2>The financial plan</h2><p>Staffing and affiliate fees, first office.</p>"
            "</body></html>")


@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
def test_both_engines_print_header_footer_and_page_numbers(engine: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           request: pytest.FixtureRequest) -> None:
    if engine == "chromium":
        request.getfixturevalue("chromium_executable")
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", engine)
    title = "Spa <Ana> & Co"
    to_pdf(two_page_report(title), tmp_path / "r.pdf")
    cover, body = pages_text(tmp_path / "r.pdf")
    assert "Page" not in cover and "Prepared for" not in cover  # the cover has no furniture
    for text in (title, "msomodel", "Page 2 of 2", FOOTER, "The financial plan",
                 "affiliate fees, first office"):
        assert text in body, (engine, text, body)
    assert not set(body) & {"\ufb00", "\ufb01", "\ufb02", "\ufb03", "\ufb04"}  # no ligatures
    assert not (tmp_path / ".r.print.html").exists()  # Chromium's input file is gone


# -- Chromium: contained and resilient -----------------------------------------------------------

def test_chromium_runs_no_script_and_fetches_nothing(chromium_executable: str,
                                                     tmp_path: Path) -> None:
    html = tmp_path / "page.html"
    html.write_text("<html><body><p id='x'>static text</p>"
                    "<script>document.getElementById('x').textContent = 'scripted';</script>"
                    "<img src='https://example.com/tracker.png' alt=''></body></html>")
    chromium.browser(chromium_executable).print_pdf(html, tmp_path / "page.pdf")
    text = " ".join(pages_text(tmp_path / "page.pdf"))
    assert "static text" in text and "scripted" not in text


def test_a_dead_browser_is_replaced(chromium_executable: str, tmp_path: Path) -> None:
    html = tmp_path / "page.html"
    html.write_text("<p>one page</p>")
    chromium.print_pdf(chromium_executable, html, tmp_path / "one.pdf")
    first = chromium.browser(chromium_executable)
    os.killpg(first.process.pid, signal.SIGKILL)  # crashed between two reports
    first.process.wait()
    chromium.print_pdf(chromium_executable, html, tmp_path / "two.pdf")
    assert chromium.browser(chromium_executable) is not first
    assert "one page" in pages_text(tmp_path / "two.pdf")[0]
    assert not Path(first.profile).exists()  # the dead one's profile folder was removed


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
    pid, profile = done.stdout.split()
    pid = int(pid)
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


def test_a_browser_that_cannot_print_fails_that_report(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    """A "browser" that exits at once: the scenario fails with a message, nothing is published
    but its failed sidecar, and the next report (WeasyPrint here) is unaffected."""
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("MSOMODEL_CHROMIUM", str(fake))
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "chromium")
    out = tmp_path / "out"
    standin = FIXTURES / "standin.ipynb"
    result = render_one(FIXTURES / "alpha.yaml", out, formats=("html", "pdf"), notebook=standin)
    assert not result.ok
    assert result.error.startswith(f"{FIXTURES / 'alpha.yaml'}: cannot print its PDF: Chromium")
    assert sorted(p.name for p in out.iterdir()) == ["alpha.json"]
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "weasyprint")
    again = render_one(FIXTURES / "alpha.yaml", out, formats=("html", "pdf"), notebook=standin)
    assert again.ok and sorted(p.name for p in out.iterdir()) == [
        "alpha.html", "alpha.json", "alpha.pdf"]


def test_report_command_checks_the_engine_before_rendering(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    from msomodel.report import run_report_command

    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "auto")  # restored after the command sets it
    monkeypatch.setenv("MSOMODEL_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "out"
    code = run_report_command([FIXTURES / "alpha.yaml"], out, jobs=1, progress=False,
                              pdf_engine="chromium")
    assert code == 2 and not out.exists()
    assert "no Chromium was found (MSOMODEL_CHROMIUM=" in capsys.readouterr().err
    monkeypatch.setenv("MSOMODEL_PDF_ENGINE", "prince")
    assert run_report_command([FIXTURES / "alpha.yaml"], out, jobs=1, progress=False) == 2
    assert "MSOMODEL_PDF_ENGINE must be one of" in capsys.readouterr().err
    # Without a PDF to print, the engine does not matter.
    assert run_report_command([FIXTURES / "alpha.yaml"], out, jobs=1, progress=False,
                              formats=["html"], notebook=FIXTURES / "standin.ipynb") == 0
