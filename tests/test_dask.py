"""Reports and Monte Carlo on a Dask cluster (``--scheduler``): same files, index and numbers as
the local runs; a worker killed mid-batch costs nothing; clear CLI errors."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import distributed  # noqa: F401  (the test extra installs msomodel[dask])
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster  # noqa: E402

from msomodel.analysis.cluster import simulate_on_cluster  # noqa: E402
from msomodel.analysis.montecarlo import simulate  # noqa: E402
from msomodel.analysis_cli import load_with_spec  # noqa: E402
from msomodel.distributed import ClusterError, parse_scheduler  # noqa: E402
from msomodel.report import render_batch  # noqa: E402
from msomodel.report.cluster import make_bundle  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
MSOMODEL = Path(sys.executable).with_name("msomodel")
# a variant of a variant: ohio_physician_percentage_fee -> ohio_physician_single_site -> common/
GOOD = [SCENARIOS / "ohio_physician_single_site.yaml", SCENARIOS / "ohio_physician_percentage_fee.yaml"]


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                           dashboard_address=":0", silence_logs=50)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> list[Path]:
    """Two bundled scenarios (one extending a file that extends another) and a broken one."""
    folder = tmp_path_factory.mktemp("broken")
    broken = folder / "broken.yaml"
    broken.write_text("name: Broken on purpose\nsites: not-a-list\n", encoding="utf-8")
    return [*GOOD, broken]


@pytest.fixture(scope="module")
def local_run(scenarios, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    return render_batch(scenarios, out, jobs=2, formats=("ipynb", "html", "pdf"), progress=False)


def _csv(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _normalised_html(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"T_[0-9a-f]{5}", "T_x", text)  # pandas Styler's random table ids
    return re.sub(r"Prepared \d{1,2} \w+ \d{4}", "Prepared DATE", text)


def test_cluster_batch_gives_the_same_files_and_index(client, scenarios, local_run, tmp_path):
    batch = render_batch(scenarios, tmp_path, formats=("ipynb", "html", "pdf"), progress=False,
                         scheduler=client)
    local_out = Path(local_run.out_dir)
    assert [r.status for r in batch.results] == [r.status for r in local_run.results] \
        == ["ok", "ok", "failed"]
    names = lambda folder: sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")  # noqa: E731
                                  if p.is_file())
    assert names(tmp_path) == names(local_out)
    assert (tmp_path / "failed" / "broken.ipynb").is_file()
    # The index (key figures, links, the failure's message naming the client's file) is identical.
    assert _csv(batch.index["csv"]) == _csv(local_run.index["csv"])
    assert (tmp_path / "index.html").read_text() == (local_out / "index.html").read_text()
    failed = batch.results[2]
    assert failed.error == local_run.results[2].error
    assert failed.error.startswith(f"{scenarios[2]}: invalid scenario")
    for good in batch.results[:2]:
        html = Path(good.outputs["html"])
        assert _normalised_html(html) == _normalised_html(local_out / html.name)
        # the report names the client's file by name and hash (the bytes traveled unchanged),
        # never by a local path
        import hashlib

        digest = hashlib.sha256(Path(good.scenario_path).read_bytes()).hexdigest()
        text = html.read_text(encoding="utf-8")
        assert digest in text and Path(good.scenario_path).name in text
        assert str(Path(good.scenario_path).resolve()) not in text
        assert Path(good.outputs["pdf"]).read_bytes().startswith(b"%PDF")
        assert good.key_figures == next(r.key_figures for r in local_run.results
                                        if r.slug == good.slug)
    assert not list(tmp_path.glob(".msomodel-tmp-*"))


OVERLAY = ROOT / "tests" / "cases" / "rules" / "overlay_oh_np.yaml"
OVERLAY_NOTE = "comes from the overlay file overlay_oh_np.yaml"


def _ohio_np(folder: Path) -> Path:
    """Ohio lets an NP own the practice; counsel's overlay says an MSO is needed."""
    scenario = folder / "ohio_np.yaml"
    scenario.write_text(f"extends: {SCENARIOS / 'ohio_physician_single_site.yaml'}\n"
                        "name: Ohio NP\nowner: {state: OH, licence: np}\n", encoding="utf-8")
    return scenario


def _rules_overlay(ipynb: Path | bytes) -> str:
    import json

    raw = ipynb.read_bytes() if isinstance(ipynb, Path) else ipynb
    return json.loads(raw)["metadata"]["papermill"]["parameters"]["rules_overlay"]


def test_the_clients_rules_overlay_reaches_workers_that_lack_it(client, monkeypatch, tmp_path):
    # The cluster's workers started without MSOMODEL_RULES_OVERLAY (conftest clears it); the
    # client sets it now: the reports must follow the client, as a local batch does.
    scenario = _ohio_np(tmp_path)
    monkeypatch.setenv("MSOMODEL_RULES_OVERLAY", str(OVERLAY))
    local = render_batch([scenario], tmp_path / "local", jobs=1, formats=("ipynb", "html"),
                         progress=False)
    dask = render_batch([scenario], tmp_path / "dask", formats=("ipynb", "html"),
                        progress=False, scheduler=client)
    for batch in (local, dask):
        [result] = batch.results
        assert result.ok, result.error
        assert OVERLAY_NOTE in Path(result.outputs["html"]).read_text(encoding="utf-8")
        # the executed notebook records the overlay by the client's path, not a worker's
        assert _rules_overlay(Path(result.outputs["ipynb"])) == str(OVERLAY.resolve())
    assert dask.results[0].key_figures == local.results[0].key_figures
    html = lambda b: _normalised_html(Path(b.results[0].outputs["html"]))  # noqa: E731
    assert html(dask) == html(local)


def test_a_workers_own_rules_overlay_does_not_decide(monkeypatch, tmp_path):
    """The task as a worker runs it (in-process): a worker environment naming an overlay the
    client did not is ignored; a client overlay unreadable there fails naming the client path."""
    from msomodel.report.cluster import render_bundle

    scenario = _ohio_np(tmp_path)
    monkeypatch.delenv("MSOMODEL_RULES_OVERLAY", raising=False)
    bundle = make_bundle(str(scenario), "ohio_np", tmp_path / "out", ("ipynb",),
                         ROOT / "notebooks" / "report.ipynb", "python3")
    assert bundle.overlays == []
    monkeypatch.setenv("MSOMODEL_RULES_OVERLAY", str(OVERLAY))  # the "worker's" environment
    rendered = render_bundle(bundle)
    assert rendered.result.ok, rendered.result.error
    assert _rules_overlay(rendered.files["ipynb"]) == ""
    assert OVERLAY_NOTE.encode() not in rendered.files["ipynb"]

    missing = tmp_path / "gone" / "counsel.yaml"
    monkeypatch.setenv("MSOMODEL_RULES_OVERLAY", str(missing))
    bundle = make_bundle(str(scenario), "ohio_np", tmp_path / "out", ("ipynb",),
                         ROOT / "notebooks" / "report.ipynb", "python3")
    assert bundle.overlays == [(str(missing.resolve()), None)]
    rendered = render_bundle(bundle)
    assert not rendered.result.ok and str(missing.resolve()) in rendered.result.error
    assert "msomodel-dask-" not in rendered.result.error


def test_bundle_keeps_relative_paths_of_the_extends_chain(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "clients").mkdir()
    common = (ROOT / "msomodel" / "bases" / "benchmarks" / "single_site.yaml").read_bytes()
    (tmp_path / "base" / "common.yaml").write_bytes(common)
    variant = (SCENARIOS / "texas_rn_single_site.yaml").read_text(encoding="utf-8").replace(
        "extends: msomodel:benchmarks/single_site", "extends: ../base/common.yaml")
    (tmp_path / "clients" / "texas.yaml").write_text(variant, encoding="utf-8")
    bundle = make_bundle(str(tmp_path / "clients" / "texas.yaml"), "texas", tmp_path / "out",
                         ("html",), ROOT / "notebooks" / "report.ipynb", "python3")
    assert bundle.root == str(tmp_path.resolve())
    assert bundle.main == "clients/texas.yaml"
    assert bundle.files == {"clients/texas.yaml": variant.encode(), "base/common.yaml": common}


def test_simulation_matches_the_local_run_on_one_or_two_workers(client):
    scenario, section, source = load_with_spec(str(SCENARIOS / "texas_rn_single_site.yaml"))
    local = simulate(scenario, section, trials=3500, seed=11, source=source)
    two = simulate_on_cluster(scenario, section, 3500, 11, client, source=source)
    one = simulate_on_cluster(scenario, section, 3500, 11, "local:1", source=source,
                              groups_per_task=2)
    for other in (two, one):
        pd.testing.assert_frame_equal(other.percentiles(), local.percentiles(), check_exact=True)
        pd.testing.assert_frame_equal(other.outcomes, local.outcomes, check_exact=True)
        pd.testing.assert_frame_equal(other.samples, local.samples, check_exact=True)
        assert other.to_dict() == local.to_dict()
    assert np.isfinite(local.percentiles()["P50"].dropna().to_numpy()).all()


def test_cli_local_scheduler_renders(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(MSOMODEL), "report", str(GOOD[0]), "-o", str(out), "--formats", "ipynb,html",
         "--scheduler", "local:2", "--no-progress"],
        capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 of 1 reports rendered" in proc.stdout
    assert {p.name for p in out.iterdir()} == {
        "ohio_physician_single_site.ipynb", "ohio_physician_single_site.html",
        "ohio_physician_single_site.json", "index.csv", "index.json", "index.html"}


@pytest.mark.parametrize("command", [
    ["report", str(GOOD[0]), "-o", "out"],
    ["simulate", str(GOOD[0]), "--trials", "100"],
])
@pytest.mark.parametrize("address", ["tcp://127.0.0.1:{port}", "nonsense", "local:0"])
def test_cli_bad_scheduler_is_a_clear_error(tmp_path, command, address):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = address.format(port=port)
    proc = subprocess.run(
        [str(MSOMODEL), *command, "--scheduler", address], capture_output=True, text=True,
        timeout=60, cwd=tmp_path, env={**os.environ, "MSOMODEL_SCHEDULER_TIMEOUT": "1"},
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"msomodel {command[0]}: --scheduler" in proc.stderr
    assert ("cannot reach a Dask scheduler" in proc.stderr) == address.startswith("tcp://")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("local:3", "local:3"), ("LOCAL:1", "local:1"), ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
    ("10.0.0.5:8786", "tcp://10.0.0.5:8786"), ("tls://sched.example:8786", "tls://sched.example:8786"),
])
def test_parse_scheduler(text, expected):
    assert str(parse_scheduler(text)) == expected


@pytest.mark.parametrize("text", ["", "local:x", "local:-1", "tcp://", "host"])
def test_parse_scheduler_rejects(text):
    with pytest.raises(ClusterError, match="--scheduler"):
        parse_scheduler(text)


def test_importing_msomodel_does_not_import_dask():
    code = ("import sys, msomodel, msomodel.distributed, msomodel.report, msomodel.analysis_cli, "
            "msomodel.cli; msomodel.cli.build_parser(); "
            "print(any(m == 'dask' or m.startswith(('dask.', 'distributed')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("command", ["report", "simulate"])
def test_without_dask_the_option_names_the_extra(tmp_path, command):
    code = ("import sys; sys.modules['dask'] = sys.modules['distributed'] = None; "
            "from msomodel.cli import main; "
            f"sys.exit(main([{command!r}, {str(GOOD[0])!r}, '--scheduler', 'local:2']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "install msomodel[dask]" in proc.stderr


def test_killing_a_worker_mid_batch_still_completes_every_scenario(client, tmp_path):
    """Runs last: the nanny restarts the killed worker, but nothing after needs the cluster."""
    paths = [*GOOD, SCENARIOS / "texas_rn_single_site.yaml"]
    holder: dict = {}

    def run() -> None:
        holder["batch"] = render_batch(paths, tmp_path, formats=("ipynb",), progress=False,
                                       scheduler=client)

    thread = threading.Thread(target=run)
    thread.start()
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        busy = [w for w, keys in client.processing().items()
                if any("msomodel-report" in str(k) for k in keys)]
        victim = busy[0] if busy else None
        time.sleep(0.05)
    assert victim is not None, "no report task ever started"
    time.sleep(1.5)  # mid-render: the kernel is executing the notebook
    pid = client.run(os.getpid, workers=[victim])[victim]
    assert any("msomodel-report" in str(k) for k in client.processing()[victim])
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=150)
    assert not thread.is_alive()
    batch = holder["batch"]
    assert [r.status for r in batch.results] == ["ok"] * 3, [r.error for r in batch.results]
    assert sorted(p.name for p in tmp_path.glob("*.ipynb")) == sorted(
        f"{p.stem}.ipynb" for p in paths)
    assert [row["status"] for row in _csv(batch.index["csv"])] == ["ok"] * 3


def test_a_workbook_comes_back_from_the_cluster(client, tmp_path):
    """--formats xlsx on Dask: the workbook the worker's notebook wrote travels back, with the
    same cached figures as the local pool's."""
    import openpyxl

    texas = SCENARIOS / "texas_rn_single_site.yaml"
    local = render_batch([texas], tmp_path / "local", jobs=1, formats=("xlsx",), progress=False)
    dask = render_batch([texas], tmp_path / "dask", formats=("ipynb", "xlsx"), progress=False,
                        scheduler=client)

    def summary(batch) -> list:
        [result] = batch.results
        assert result.ok, result.error
        ws = openpyxl.load_workbook(result.outputs["xlsx"], data_only=True)["Summary"]
        return [[c.value for c in row] for row in ws.iter_rows()]

    assert summary(dask) == summary(local)
    workbook = tmp_path / "dask" / "texas_rn_single_site.xlsx"
    assert workbook.is_file()
    # its executed notebook names the client's workbook, not the worker's staging folder
    nb = json.loads((tmp_path / "dask" / "texas_rn_single_site.ipynb").read_text())
    assert nb["metadata"]["papermill"]["parameters"]["workbook_path"] == str(workbook.resolve())
