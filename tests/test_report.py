"""Reports: notebook → HTML → PDF for one scenario and for batches (stand-in notebook, no core needed)."""

from __future__ import annotations

import ast
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import papermill
import psutil
import pypdf
import pytest

from msomodel.report import render_batch, render_one, run_report_command
from msomodel.report.files import TEMP_PREFIX, output_path, slugify
from msomodel.report.render import plain

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "report"
STANDIN = FIXTURES / "standin.ipynb"
pytestmark = pytest.mark.slow


def pdf_text(path: Path) -> tuple[str, int, int]:
    reader = pypdf.PdfReader(path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    return text, len(reader.pages), images


def temporaries(out: Path) -> list[Path]:
    return list(out.rglob(f"{TEMP_PREFIX}*"))


def assert_clean_report(pdf: Path, title: str) -> None:
    text, pages, images = pdf_text(pdf)
    assert title in text
    assert 1 <= pages <= 40
    assert images >= 1
    for leak in ("import ", "msomodel.", "In [", "Traceback", "UserWarning", "stray"):
        assert leak not in text, f"{leak!r} leaked into {pdf.name}"
    assert f"Page 2 of {pages}" in text or pages == 1  # the first page is the cover, unnumbered


# -- one scenario ------------------------------------------------------------------------------

def test_render_one_writes_notebook_html_and_pdf(tmp_path: Path) -> None:
    result = render_one(FIXTURES / "alpha.yaml", tmp_path, notebook=STANDIN)
    assert result.ok, result.error
    assert set(result.outputs) == {"ipynb", "html", "pdf"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "alpha.html", "alpha.ipynb", "alpha.json", "alpha.pdf"]
    assert_clean_report(tmp_path / "alpha.pdf", "Spa alpha")
    html = (tmp_path / "alpha.html").read_text()
    assert "stray" not in html and "import " not in html and "data:image/png;base64" in html
    assert result.key_figures["recommendation"]["option"] == "mso"
    executed = json.loads((tmp_path / "alpha.ipynb").read_text())
    assert executed["metadata"]["papermill"]["parameters"]["scenario_path"].endswith("alpha.yaml")

    # Re-running replaces the whole set: no file of the earlier run is left beside the new one.
    again = render_one(FIXTURES / "alpha.yaml", tmp_path, formats=("pdf",), notebook=STANDIN)
    assert again.ok and set(again.outputs) == {"pdf"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alpha.json", "alpha.pdf"]
    assert json.loads((tmp_path / "alpha.json").read_text())["outputs"] == {"pdf": "alpha.pdf"}


def test_failed_render_keeps_partial_notebook_and_names_the_cell(tmp_path: Path) -> None:
    result = render_one(FIXTURES / "broken.yaml", tmp_path, notebook=STANDIN)
    assert not result.ok
    assert "broken.yaml" in result.error and "cell" in result.error
    assert "Traceback" not in result.error
    assert (tmp_path / "failed" / "broken.ipynb").is_file()
    assert [p.name for p in tmp_path.glob("broken.*")] == ["broken.json"]  # the sidecar only
    sidecar = json.loads((tmp_path / "broken.json").read_text())
    assert sidecar["status"] == "failed" and "broken.yaml" in sidecar["error"]
    assert sidecar["failed_notebook"] == "failed/broken.ipynb" and not temporaries(tmp_path)


# -- batches -----------------------------------------------------------------------------------

def test_batch_with_a_broken_scenario_completes_the_others(tmp_path: Path) -> None:
    paths = [FIXTURES / "alpha.yaml", FIXTURES / "broken.yaml", FIXTURES / "beta.yaml"]
    batch = render_batch(paths, tmp_path, jobs=2, notebook=STANDIN, progress=False)
    assert batch.exit_code == 1
    assert [r.status for r in batch.results] == ["ok", "failed", "ok"]
    for name in ("alpha", "beta"):
        assert_clean_report(tmp_path / f"{name}.pdf", f"Spa {name}")
    assert [p.name for p in tmp_path.glob("broken.*")] == ["broken.json"]
    assert (tmp_path / "failed" / "broken.ipynb").is_file()
    assert not temporaries(tmp_path)
    rows = {r["slug"]: r for r in csv.DictReader((tmp_path / "index.csv").open())}
    assert {s: r["status"] for s, r in rows.items()} == {
        "alpha": "ok", "broken": "failed", "beta": "ok"}
    assert "broken.yaml" in rows["broken"]["error"] and rows["alpha"]["pdf"] == "alpha.pdf"
    assert float(rows["alpha"]["npv_mso"]) == 528000.0
    assert rows["alpha"]["recommended_option"] == "mso" and rows["alpha"]["recommended"] == "Third-party MSO"
    index_html = (tmp_path / "index.html").read_text()
    assert 'href="alpha.pdf"' in index_html and "broken.yaml" in index_html


def test_same_stem_in_two_folders_gets_two_outputs(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "alpha.yaml").write_text((FIXTURES / "beta.yaml").read_text())
    out = tmp_path / "out"
    batch = render_batch([FIXTURES / "alpha.yaml", other / "alpha.yaml"], out, jobs=1,
                         formats=("html",), notebook=STANDIN, progress=False)
    assert batch.exit_code == 0
    assert {p.name for p in out.glob("*.html")} == {"alpha.html", "alpha-2.html", "index.html"}


def test_sigterm_leaves_no_kernels_and_no_partial_files(tmp_path: Path) -> None:
    script = (
        "import sys\nfrom msomodel.report import render_batch\n"
        f"render_batch([{str(FIXTURES / 'alpha.yaml')!r}] * 6, {str(tmp_path)!r}, jobs=2,"
        f" notebook={str(STANDIN)!r}, progress=False)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stderr=subprocess.PIPE)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    kernels: list[psutil.Process] = []
    while time.monotonic() < deadline and not kernels:
        time.sleep(0.2)
        kernels = [p for p in parent.children(recursive=True) if is_kernel(p)]
    assert kernels, "no kernel started"
    descendants = parent.children(recursive=True)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert proc.returncode != 0
    gone, alive = psutil.wait_procs(descendants, timeout=10)
    assert not alive, f"left running: {[p.cmdline() for p in alive]}"
    assert not temporaries(tmp_path)
    for pdf in tmp_path.glob("*.pdf"):
        pypdf.PdfReader(pdf)  # every PDF present is complete


def is_kernel(process: psutil.Process) -> bool:
    """A kernel, started by jupyter_client or forked by the zygote (which keeps its command line)."""
    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return False
    return "ipykernel" in command or "msomodel.report.zygote" in command


# -- names, parameters, CLI --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("path", "slug"),
    [("scenarios/Spa One (TX).yaml", "Spa_One_TX"), ("../../etc/passwd", "passwd"),
     ("a/..yaml", "scenario"), ("-rf.yaml", "rf"), ("über spa.yml", "ber_spa")],
)
def test_slugify(path: str, slug: str) -> None:
    assert slugify(path) == slug


@pytest.mark.parametrize("name", ["../x.pdf", "/etc/x.pdf", "a/b.pdf", "..", ""])
def test_output_path_refuses_to_leave_the_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError):
        output_path(tmp_path, name)


def test_parameters_are_converted_to_plain_json() -> None:
    import numpy as np

    assert plain({"p": Path("a/b.yaml"), "n": np.float64(1.5), "t": (1, 2)}) == {
        "p": "a/b.yaml", "n": 1.5, "t": [1, 2]}
    with pytest.raises(TypeError):
        plain({"x": object()})


@pytest.mark.parametrize("notebook", [ROOT / "notebooks" / "report.ipynb", STANDIN])
def test_notebook_parameters_are_json_able(notebook: Path) -> None:
    params = papermill.inspect_notebook(str(notebook))
    assert "scenario_path" in params
    for spec in params.values():
        value = ast.literal_eval(spec["default"])
        assert json.loads(json.dumps(value)) == value


def test_a_missing_file_among_others_fails_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = run_report_command([FIXTURES / "alpha.yaml", tmp_path / "gone.yaml"], out,
                              notebook=STANDIN, formats=["pdf"], progress=False)
    assert code == 1  # a failed scenario, not bad arguments
    assert_clean_report(out / "alpha.pdf", "Spa alpha")
    rows = {r["slug"]: r for r in csv.DictReader((out / "index.csv").open())}
    assert {s: r["status"] for s, r in rows.items()} == {"alpha": "ok", "gone": "failed"}
    assert "gone.yaml" in rows["gone"]["error"] and "no such file" in rows["gone"]["error"].lower()


def test_cli_rejects_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_report_command([tmp_path / "missing.yaml"], tmp_path) == 2  # nothing to render
    assert run_report_command([FIXTURES / "alpha.yaml"], tmp_path, formats=["docx"]) == 2
    assert "docx" in capsys.readouterr().err


# -- with the real model -----------------------------------------------------------------------

def test_bundled_scenario_renders_end_to_end(tmp_path: Path) -> None:
    import msomodel

    scenarios = sorted((ROOT / "scenarios").glob("*.yaml"))
    assert scenarios, "the bundled scenarios are missing"
    result = render_one(scenarios[0], tmp_path)
    assert result.ok, result.error
    name = msomodel.load_scenario(scenarios[0]).name
    assert_clean_report(Path(result.outputs["pdf"]), name)
    expected = msomodel.compare(msomodel.load_scenario(scenarios[0])).to_dict()
    assert result.key_figures["recommendation"] == plain(expected["recommendation"])
