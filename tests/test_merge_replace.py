"""`!replace`: a child file replaces a base's list or mapping instead of merging with it."""

from __future__ import annotations

import subprocess
import sys

import msomodel
from tests.conftest import ROOT

FLORIDA = ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml"


def _write(tmp_path, body: str):
    path = tmp_path / "child.yaml"
    path.write_text(f"extends: {FLORIDA}\nname: child\n{body}")
    return path


def test_sites_replace_keeps_only_the_childs_sites(tmp_path):
    s = msomodel.load_scenario(_write(tmp_path, "sites: !replace\n  - {name: Alpha, open_month: 1}\n"
                                                "  - {name: Beta, open_month: 7}\n"))
    assert [x.name for x in s.sites] == ["Alpha", "Beta"]
    assert [x.open_month for x in s.sites] == [1, 7]


def test_without_the_tag_sites_merge_by_name(tmp_path):
    s = msomodel.load_scenario(_write(tmp_path, "sites:\n  - {name: Alpha, open_month: 1}\n"))
    base = [x.name for x in msomodel.load_scenario(FLORIDA).sites]
    assert [x.name for x in s.sites] == [*base, "Alpha"]


def test_replace_a_mapping_and_a_sites_service_lines(tmp_path):
    body = ("site_defaults:\n  service_lines: !replace\n"
            "    - {name: laser, volume_per_month: 10, price: 100}\n"
            "    - {name: skin_treatments, volume_per_month: 5, price: 80}\n"
            "finance: !replace\n  horizon_months: 36\n")
    s = msomodel.load_scenario(_write(tmp_path, body))
    assert [line.name for line in s.site_defaults.service_lines] == ["laser", "skin_treatments"]
    assert s.finance.horizon_months == 36
    assert s.finance.loan is None  # the base's loan went with the replaced mapping
    assert s.finance.exit_tax_rate == 0.0


def test_replace_on_a_scalar_is_a_clear_error(tmp_path):
    path = _write(tmp_path, "sites: !replace 3\n")
    run = subprocess.run([sys.executable, "-m", "msomodel.cli", "validate", str(path)],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert "!replace goes on a list or a mapping" in run.stderr + run.stdout
    assert "Traceback" not in run.stderr
