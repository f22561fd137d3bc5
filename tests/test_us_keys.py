"""US-spelled keys (``license``, ``utilization``, ``trigger_utilization``) read as the schema's,
in files, ``extends:`` chains, site overrides, dicts and input paths; both spellings is an error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import msomodel
from msomodel.analysis.grid import grid
from msomodel.scenario.spelling import canonical_keys, canonical_parts, canonical_path, us_spellings
from tests.conftest import ROOT, raw

FLORIDA = ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _client(folder: Path, spelling: str) -> Path:
    """A Florida variant setting every renamable key, in one spelling (``us`` or ``gb``)."""
    lic, util, trig = (("license", "utilization", "trigger_utilization") if spelling == "us"
                       else ("licence", "utilisation", "trigger_utilisation"))
    return _write(folder, f"client_{spelling}.yaml", f"""\
extends: {FLORIDA}
owner:
  state: FL
  {lic}: none
  ownership:
    - {{{lic}: none, share: 0.6}}
    - {{{lic}: rn, share: 0.4}}
site_defaults:
  capacity:
    {util}: 0.7
    hiring: {{role: injector_rn, {trig}: 0.85, max_providers: 4}}
  opex:
    license: {{monthly: 250}}        # an opex item the user names 'license': kept as written
sites: !replace
  - {{name: Miami, open_month: 1, overrides: {{capacity: {{{util}: 0.65}}}}}}
  - {{name: Tampa, open_month: 7}}
uncertainty:
  distributions:
    - {{path: adjustments.volume_multiplier, dist: pert, low: 0.70, mode: 1.0, high: 1.15}}
    - {{path: adjustments.price_multiplier, dist: pert, low: 0.90, mode: 1.0, high: 1.08}}
    - {{path: site_defaults.capacity.{util}, dist: triangular, low: 0.6, mode: 0.7, high: 0.8}}
""")


def test_a_file_in_us_spelling_is_the_same_scenario(tmp_path):
    us = msomodel.load_scenario(_client(tmp_path, "us"))
    gb = msomodel.load_scenario(_client(tmp_path, "gb"))
    assert us.model_dump() == gb.model_dump()
    assert us.owner.licence == "none" and [o.licence for o in us.owner.ownership] == ["none", "rn"]
    assert us.site_defaults.capacity.utilisation == 0.7
    assert us.site_defaults.capacity.hiring.trigger_utilisation == 0.85
    assert "license" in us.site_defaults.opex and "licence" not in us.site_defaults.opex
    miami, tampa = us.site_assumptions()
    assert (miami.capacity.utilisation, tampa.capacity.utilisation) == (0.65, 0.7)
    paths = [d.path for d in us.uncertainty.distributions]
    assert "site_defaults.capacity.utilisation" in paths
    # what the report's provenance reads: the same keys (a path written in a value stays as written)
    assert {**us._tree, "uncertainty": None} == {**gb._tree, "uncertainty": None}


def test_us_spelling_gives_the_same_comparison(tmp_path):
    from msomodel.compare import compare_structures

    def figures(path):
        (r,) = compare_structures(msomodel.load_scenario(path), trials=200).values()
        d = r.to_dict()
        d.pop("scenario")  # its file name and hash
        return d

    us, gb = figures(_client(tmp_path, "us")), figures(_client(tmp_path, "gb"))
    assert us == gb
    assert us["recommendation"]["trials"] == 200


@pytest.mark.parametrize("base_key, child_key", [("licence", "license"), ("license", "licence")])
def test_each_file_of_a_chain_is_renamed_before_merging(tmp_path, base_key, child_key):
    base = _write(tmp_path, "base.yaml", f"extends: {FLORIDA}\nowner: {{state: FL, {base_key}: np}}\n")
    child = _write(tmp_path, "child.yaml", f"extends: base.yaml\nowner: {{{child_key}: rn}}\n")
    assert msomodel.load_scenario(child).owner.licence == "rn"  # the child's value wins
    assert msomodel.load_scenario(base).owner.licence == "np"


def test_both_spellings_in_one_mapping_is_a_located_error(tmp_path):
    path = _write(tmp_path, "both.yaml",
                  f"extends: {FLORIDA}\nowner:\n  state: FL\n  licence: np\n  license: rn\n")
    with pytest.raises(msomodel.ScenarioError) as info:
        msomodel.load_scenario(path)
    assert str(info.value) == (
        f"{path}: owner.licence: expected one spelling of this key, found both 'licence' and "
        "its US spelling 'license' (line 5, column 3)")
    exe = Path(sys.executable).parent / "msomodel"
    done = subprocess.run([str(exe), "validate", str(path)], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "found both 'licence' and its US spelling 'license' (line 5, column 3)" in done.stderr


def test_both_spellings_in_a_base_names_the_chain(tmp_path):
    _write(tmp_path, "base.yaml", f"extends: {FLORIDA}\nsite_defaults:\n  capacity:\n"
           "    utilisation: 0.7\n    utilization: 0.6\n")
    child = _write(tmp_path, "child.yaml", "extends: base.yaml\nname: x\n")
    with pytest.raises(msomodel.ScenarioError) as info:
        msomodel.load_scenario(child)
    assert str(info.value) == (
        f"{child}: extends base.yaml: site_defaults.capacity.utilisation: expected one spelling "
        "of this key, found both 'utilisation' and its US spelling 'utilization' "
        "(line 5, column 5)")


def test_a_bad_value_under_a_us_key_is_located_where_it_is_written(tmp_path):
    path = _write(tmp_path, "bad.yaml", f"extends: {FLORIDA}\nowner:\n  state: FL\n  license: xyz\n"
                  "site_defaults:\n  capacity: {utilization: 1.5}\n")
    with pytest.raises(msomodel.ScenarioError) as info:
        msomodel.load_scenario(path)
    lines = str(info.value).splitlines()
    assert lines == [
        f"{path}: owner.licence: expected one of 'physician', 'np', 'pa', 'rn' or 'none', found "
        "'xyz' (line 4, column 12)",
        f"{path}: site_defaults.capacity.utilisation: expected a value <= 1, found 1.5 "
        "(line 6, column 27)",
    ]


def test_a_dict_may_use_us_keys_and_both_is_an_error():
    data = raw("hand_worked.yaml")
    data["owner"] = {"state": "TX", "license": "rn"}
    assert msomodel.scenario_from_dict(data).owner.licence == "rn"
    assert data["owner"] == {"state": "TX", "license": "rn"}  # the caller's dict is not changed
    data["owner"]["licence"] = "np"
    with pytest.raises(msomodel.ScenarioError) as info:
        msomodel.scenario_from_dict(data)
    assert str(info.value) == ("<dict>: owner.licence: expected one spelling of this key, found "
                               "both 'licence' and its US spelling 'license'")


def test_only_schema_fields_are_renamed():
    data = {"owner": {"license": "rn"},
            "site_defaults": {"opex": {"license": {"monthly": 1}, "utilization": {"monthly": 2}},
                              "capacity": {"utilization": 0.5}},
            "infeasible": {"mso": {"license": 1}},  # not a field there: left for validation
            "license": "top level: not a field either"}
    renamed, both = canonical_keys(data)
    assert both == []
    assert renamed == {"owner": {"licence": "rn"},
                       "site_defaults": {"opex": {"license": {"monthly": 1},
                                                  "utilization": {"monthly": 2}},
                                         "capacity": {"utilisation": 0.5}},
                       "infeasible": {"mso": {"license": 1}},
                       "license": "top level: not a field either"}


def test_input_paths_in_us_spelling():
    assert canonical_path("site_defaults.capacity.utilization") == "site_defaults.capacity.utilisation"
    assert (canonical_path("sites.Miami.overrides.capacity.hiring.trigger_utilization")
            == "sites.Miami.overrides.capacity.hiring.trigger_utilisation")
    assert canonical_path("site_defaults.opex.license.monthly") == "site_defaults.opex.license.monthly"
    assert canonical_path("sites.utilization.open_month") == "sites.utilization.open_month"  # a site
    assert canonical_path("mso.fee.level") == "mso.fee.level"
    assert canonical_parts(("sites", "[Miami]", "overrides", "capacity", "utilization")) == (
        "sites", "[Miami]", "overrides", "capacity", "utilisation")


def test_every_renamable_key_is_found_from_the_schema():
    assert us_spellings() == [("licence", "license"), ("trigger_utilisation", "trigger_utilization"),
                              ("utilisation", "utilization")]
    assert "`licence` or `license`" in (ROOT / "docs" / "scenario-reference.md").read_text()


def test_grid_takes_a_us_spelled_path(tmp_path):
    s = msomodel.load_scenario(_client(tmp_path, "gb"))
    us = grid(s, "site_defaults.capacity.utilization", [0.6, 0.8], "mso.purchasing_discount", [0, 0.1])
    gb = grid(s, "site_defaults.capacity.utilisation", [0.6, 0.8], "mso.purchasing_discount", [0, 0.1])
    assert us.x_path == "site_defaults.capacity.utilisation"
    assert (us.values == gb.values).all()
