"""Report outputs under stress: colliding names, interrupted re-runs, concurrent runs, full disks,
a folder that is a portfolio, and labels with "$" (stand-in notebook unless noted)."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest

from msomodel.report import convert, render_batch, run_report_command
from msomodel.report.common import Run
from msomodel.report.files import TEMP_PREFIX, new_run_id

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "report"
STANDIN = FIXTURES / "standin.ipynb"
pytestmark = pytest.mark.slow


def scenario(path: Path, name: str) -> Path:
    """A stand-in scenario called ``name``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"name: {json.dumps(name)}\nmonths: 60\n"
                    "options: {self_managed: 9000, mso: 11000, software_only: 10000}\n")
    return path


def batch(paths: list[Path], out: Path, formats: tuple[str, ...] = ("ipynb",)):  # noqa: ANN201
    return render_batch(paths, out, jobs=1, formats=formats, notebook=STANDIN, progress=False)


def index_rows(out: Path) -> dict[str, dict]:
    return {r["slug"]: r for r in json.loads((out / "index.json").read_text())["rows"]}


def temporaries(out: Path) -> list[Path]:
    return list(out.rglob(f"{TEMP_PREFIX}*"))


def rendered_from(notebook: Path) -> str:
    return json.loads(notebook.read_text())["metadata"]["papermill"]["parameters"]["scenario_path"]


# -- names -------------------------------------------------------------------------------------

def test_colliding_names_never_overwrite_and_rows_link_their_own_files(tmp_path: Path) -> None:
    a = scenario(tmp_path / "a" / "x.yaml", "Spa from a")
    x2 = scenario(tmp_path / "x-2.yaml", "Spa x-2")
    b = scenario(tmp_path / "b" / "x.yaml", "Spa from b")
    out = tmp_path / "out"
    result = batch([a, x2, b], out)
    assert result.exit_code == 0
    assert [r.slug for r in result.results] == ["x", "x-2", "x-3"]
    rows = index_rows(out)
    for path, slug in ((a, "x"), (x2, "x-2"), (b, "x-3")):
        assert rendered_from(out / rows[slug]["ipynb"]) == str(path.resolve())
    # Rendering b again alone replaces b's own report, never a's.
    before = (out / "x.ipynb").read_bytes()
    again = batch([b], out)
    assert again.results[0].slug == "x-3" and (out / "x.ipynb").read_bytes() == before
    assert sorted(index_rows(out)) == ["x", "x-2", "x-3"]


# -- one set at a time -------------------------------------------------------------------------

def test_an_interrupted_rerun_leaves_the_old_set_whole(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    spa = scenario(tmp_path / "spa.yaml", "Spa first version")
    out = tmp_path / "out"
    assert batch([spa], out, ("html", "pdf")).exit_code == 0
    old = {p.name: p.read_bytes() for p in out.glob("spa.*")}
    assert sorted(old) == ["spa.html", "spa.json", "spa.pdf"]

    scenario(spa, "Spa second version")

    def interrupted(*args: object, **kwargs: object) -> None:  # Ctrl-C between HTML and PDF
        raise KeyboardInterrupt

    monkeypatch.setattr(convert, "to_pdf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        batch([spa], out, ("html", "pdf"))
    assert {p.name: p.read_bytes() for p in out.glob("spa.*")} == old  # no new HTML beside it
    assert not temporaries(out)
    assert index_rows(out)["spa"]["status"] == "stale"  # the index says it is out of date

    monkeypatch.undo()
    assert batch([spa], out, ("html",)).exit_code == 0  # fewer formats: the old PDF goes
    assert sorted(p.name for p in out.glob("spa.*")) == ["spa.html", "spa.json"]
    assert "Spa second version" in (out / "spa.html").read_text()
    assert index_rows(out)["spa"]["status"] == "ok"


# -- concurrent runs ---------------------------------------------------------------------------

def test_a_run_sweeps_only_its_own_temporaries(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    other = Run(out)  # another batch, mid-render: it has claimed a slug and staged a file
    assert other.claim([str(FIXTURES / "alpha.yaml")]) == ["alpha"]
    (other.folder / "alpha").mkdir()
    (other.folder / "alpha" / "alpha.html").write_text("theirs, half-built")
    elsewhere = out / f"{TEMP_PREFIX}otherhost-4242-0badcafe"  # a run on another machine
    elsewhere.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host = new_run_id().rsplit("-", 2)[0]
    abandoned = out / f"{TEMP_PREFIX}{host}-{dead}-deadbeef"  # a killed run of this machine
    abandoned.mkdir()

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(convert, "to_html", interrupted)
    mine = scenario(tmp_path / "mine" / "alpha.yaml", "My alpha")
    with pytest.raises(KeyboardInterrupt):
        batch([mine], out, ("html",))
    assert (other.folder / "alpha" / "alpha.html").read_text() == "theirs, half-built"
    assert elsewhere.is_dir() and not abandoned.exists()
    assert {p.name for p in temporaries(out) if p.parent == out} == {other.folder.name,
                                                                      elsewhere.name}
    monkeypatch.undo()
    result = batch([mine], out, ("html",))  # the other run still holds "alpha"
    assert result.results[0].slug == "alpha-2"
    other.close()
    assert not other.folder.exists()


# -- I/O errors --------------------------------------------------------------------------------

def test_a_full_disk_fails_the_scenario_with_the_path_and_no_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"

    def full(html: str, target: Path, base_url: str | None = None) -> None:
        Path(target).write_bytes(b"%PDF-1.7 trunc")
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(convert, "to_pdf", full)
    from msomodel.report import index

    real_write = index.atomic_write_text

    def index_disk_full(final: Path, text: str, tmp_dir: Path | None = None) -> Path:
        if final.name == "index.html":
            raise OSError(errno.ENOSPC, "No space left on device", str(final))
        return real_write(final, text, tmp_dir)

    monkeypatch.setattr(index, "atomic_write_text", index_disk_full)
    code = run_report_command([FIXTURES / "alpha.yaml"], out, jobs=1, formats=["html", "pdf"],
                              progress=False, notebook=STANDIN)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "alpha.yaml: cannot write its report" in err and "No space left on device" in err
    assert f"{out / 'alpha.pdf'}: No space" in err  # the file that could not be written
    assert "cannot write the index" in err and "index.html" in err
    assert sorted(p.name for p in out.iterdir()) == ["alpha.json", "index.csv", "index.json"]
    assert json.loads((out / "alpha.json").read_text())["status"] == "failed"
    assert not temporaries(out)


def test_a_partial_notebook_is_never_left_truncated(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill

    def truncated(notebook: str, output: str, **kwargs: object) -> None:
        Path(output).write_text('{"cells": [{"cell_ty')  # the disk filled up mid-write
        raise OSError(errno.ENOSPC, "No space left on device", output)

    out = tmp_path / "out"
    (out / "failed").mkdir(parents=True)
    (out / "failed" / "alpha.ipynb").write_text("{}")  # an older run's: it does not belong
    monkeypatch.setattr(papermill, "execute_notebook", truncated)
    result = batch([FIXTURES / "alpha.yaml"], out)
    failure = result.results[0]
    assert not failure.ok and "No space left on device" in failure.error
    assert "alpha.yaml" in failure.error and "Traceback" not in failure.error
    assert not (out / "failed" / "alpha.ipynb").exists() and failure.failed_notebook is None
    assert not temporaries(out)


# -- a folder is a portfolio -------------------------------------------------------------------

def test_rendering_into_a_folder_updates_its_index(tmp_path: Path) -> None:
    clients, out = tmp_path / "clients", tmp_path / "out"
    alpha = scenario(clients / "alpha.yaml", "Spa alpha")
    beta = scenario(clients / "beta.yaml", "Spa beta")
    formula = scenario(clients / "formula.yaml", "=HYPERLINK(\"http://evil\",\"x\")")
    assert batch([alpha, formula], out).exit_code == 0
    assert batch([beta], out).exit_code == 0  # a second run: the first one's rows stay
    rows = index_rows(out)
    assert sorted(rows) == ["alpha", "beta", "formula"]
    assert {r["status"] for r in rows.values()} == {"ok"}
    assert rows["alpha"]["recommended"] == "Third-party MSO" and rows["alpha"]["npv_mso"] == 528000.0

    scenario(alpha, "Spa alpha, new rent")
    formula.unlink()
    batch([beta], out)
    rows = index_rows(out)
    assert rows["alpha"]["status"] == "stale" and "changed" in rows["alpha"]["stale_reason"]
    assert rows["formula"]["status"] == "stale" and "gone" in rows["formula"]["stale_reason"]
    csv_text = (out / "index.csv").read_text()
    assert csv_text.count("\n") == 4  # a header and one row per client
    assert "\"'=HYPERLINK(" in csv_text and ",\"=HYPERLINK" not in csv_text
    page = (out / "index.html").read_text()
    assert "3 clients: 1 ok, 2 stale" in page and "=HYPERLINK(&quot;http://evil" in page


# -- with the real model -----------------------------------------------------------------------

def test_a_dollar_sign_in_names_is_text_not_mathtext(tmp_path: Path) -> None:
    """``Cost $5 to $9`` as the scenario's name and "$...$" in site names, which charts show."""
    from msomodel.report import render_one

    result = render_one(FIXTURES / "dollar.yaml", tmp_path, formats=("html",))
    assert result.ok, result.error
    page = (tmp_path / "dollar.html").read_text()
    assert "Cost $5 to $9" in page and "Uptown $5^^$" in page


def test_a_report_can_carry_its_workbook_which_recalculates_to_its_figures(tmp_path: Path) -> None:
    """``--formats ...,xlsx``: the notebook writes the workbook from the very comparison it
    reports (same trials, seed and rules); LibreOffice recalculates it to that comparison's every
    figure, the index links it, and a re-run without xlsx removes it (one set per client)."""
    import msomodel
    from msomodel.export import build
    from tests.test_export import check, need_soffice, read_figures, recalculate

    need_soffice()
    texas = ROOT / "scenarios" / "texas_rn_single_site.yaml"
    code = run_report_command([str(texas)], tmp_path, formats=("ipynb", "pdf", "xlsx"),
                              progress=False)
    assert code == 0
    workbook = tmp_path / "texas_rn_single_site.xlsx"
    assert workbook.is_file() and (tmp_path / "texas_rn_single_site.pdf").is_file()
    row = index_rows(tmp_path)["texas_rn_single_site"]
    assert row["xlsx"] == workbook.name and row["pdf"] == "texas_rn_single_site.pdf"
    # the executed notebook records where its workbook is, not the staging folder it wrote to
    nb = json.loads((tmp_path / "texas_rn_single_site.ipynb").read_text())
    assert nb["metadata"]["papermill"]["parameters"]["workbook_path"] == str(workbook.resolve())
    [injected] = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert f'workbook_path = "{workbook.resolve()}"' in "".join(injected["source"])
    assert f'href="{workbook.name}"' in (tmp_path / "index.html").read_text()
    comparison = msomodel.compare(msomodel.load_scenario(texas))  # the report's trials, seed
    check(read_figures(recalculate(workbook, tmp_path)), comparison.to_dict())
    assert row["npv_mso"] == pytest.approx(comparison.to_dict()["options"]["mso"]["npv"],
                                           abs=0.01)
    # the Monte Carlo rows too (probability of being best, P10): the same 2,000 trials, seed 1
    own = build(comparison, tmp_path / "own.xlsx")
    assert summary(workbook) == summary(own)
    assert run_report_command([str(texas)], tmp_path, formats=("pdf",), progress=False) == 0
    assert not workbook.exists() and index_rows(tmp_path)["texas_rn_single_site"]["xlsx"] is None


def summary(path: Path) -> list:
    import openpyxl

    ws = openpyxl.load_workbook(path, data_only=True)["Summary"]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_a_users_own_workbook_of_the_same_name_survives_a_report_run(tmp_path: Path) -> None:
    """A workbook the report did not write (msomodel export -o reports/<slug>.xlsx, perhaps with
    edited inputs) is not the report's to remove, with or without xlsx among its formats."""
    own = tmp_path / "texas_rn_single_site.xlsx"
    own.write_bytes(b"the user's own workbook")
    texas = ROOT / "scenarios" / "texas_rn_single_site.yaml"
    assert run_report_command([str(texas)], tmp_path, formats=("ipynb",), progress=False) == 0
    assert own.read_bytes() == b"the user's own workbook"


def test_the_reports_workbook_follows_the_rules_overlay(tmp_path: Path, monkeypatch) -> None:
    """Ohio lets an NP own the practice; counsel's overlay says an MSO is needed: the report's
    workbook is of the friendly-PC comparison the report shows."""
    scenario = tmp_path / "ohio_np.yaml"
    scenario.write_text(f"extends: {ROOT / 'scenarios' / 'ohio_physician_single_site.yaml'}\n"
                        "name: Ohio NP\nowner: {state: OH, licence: np}\n", encoding="utf-8")
    monkeypatch.setenv("MSOMODEL_RULES_OVERLAY",
                       str(ROOT / "tests" / "cases" / "rules" / "overlay_oh_np.yaml"))
    out = tmp_path / "out"
    assert run_report_command([str(scenario)], out, formats=("xlsx",), progress=False) == 0
    assert summary(out / "ohio_np.xlsx")[1][0] == "Legal structure: Owned MSO + friendly PC"
