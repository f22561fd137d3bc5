"""Scenario files: bundled ones validate; every broken file gives its exact, located error."""

from __future__ import annotations

from pathlib import Path

import pytest

import msomodel
from msomodel.loader import deep_merge
from tests.conftest import CASES, build, raw

BAD = sorted((CASES / "bad").glob("*.yaml"))


def _expected(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith("# expect: "), f"{path.name} must state its expected error"
    return first[len("# expect: "):]


def test_corpus_is_large_enough():
    assert len(BAD) >= 20


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_scenario_gives_located_error(path):
    with pytest.raises(msomodel.ScenarioError) as info:
        msomodel.load_scenario(path)
    text = str(info.value)
    assert _expected(path) in text
    # every line names a file first
    for line in text.splitlines():
        assert line.split(": ", 1)[0].endswith(".yaml"), line


def test_bundled_scenarios_validate(bundled):
    s = msomodel.load_scenario(bundled)
    assert s.sha256 and len(s.sha256) == 64
    assert s.source_path == str(bundled)


def test_missing_file():
    with pytest.raises(msomodel.ScenarioError, match="no such file"):
        msomodel.load_scenario(CASES / "does_not_exist.yaml")


def test_extends_merges_and_variant_replaces_fee_type():
    base = msomodel.load_scenario("scenarios/ohio_physician_single_site.yaml")
    variant = msomodel.load_scenario("scenarios/ohio_physician_percentage_fee.yaml")
    assert base.mso.fee.type == "flat" and variant.mso.fee.type == "percentage"
    assert variant.mso.fee.percent == 0.15
    assert variant.mso.purchasing_discount == base.mso.purchasing_discount
    assert variant.site_defaults == base.site_defaults


def test_deep_merge_rules():
    base = {"a": {"b": 1, "c": 2}, "items": [{"name": "x", "v": 1}, {"name": "y", "v": 2}], "l": [1, 2]}
    over = {"a": {"c": 3}, "items": [{"name": "y", "v": 5}, {"name": "z", "v": 6}], "l": [9]}
    out = deep_merge(base, over)
    assert out == {"a": {"b": 1, "c": 3}, "l": [9],
                   "items": [{"name": "x", "v": 1}, {"name": "y", "v": 5}, {"name": "z", "v": 6}]}
    assert base["a"]["c"] == 2  # inputs untouched
    assert deep_merge(base, {"items": []})["items"] == []


def test_site_overrides_apply_to_one_site_only():
    s = msomodel.load_scenario("scenarios/california_np_three_sites.yaml")
    la, irvine, sd = s.site_assumptions()
    assert la.opex["rent"].monthly == 15000 and irvine.opex["rent"].monthly == 12500
    bc = {x.name: x for x in sd.service_lines}["body_contouring"]
    assert bc.volume_per_month == 8 and bc.price == 900  # merged by name, price kept
    assert {x.name: x for x in la.service_lines}["body_contouring"].volume_per_month == 12


def test_provenance_paths_point_at_the_source_of_each_value():
    from msomodel.inputs import compile_inputs

    inputs = compile_inputs(msomodel.load_scenario("scenarios/california_np_three_sites.yaml"))
    rent = inputs.opex.index("rent")
    assert inputs.paths["sites.Los Angeles.overrides.opex.rent.monthly"] == [("opex_monthly", (0, rent))]
    # the default rent feeds no site (all three override it); default price feeds all three
    assert "site_defaults.opex.rent.monthly" not in inputs.paths
    line = inputs.lines.index("filler")
    assert inputs.paths["site_defaults.service_lines.filler.price"] == [
        ("price", (i, line)) for i in range(3)]


def test_scenario_from_dict_reports_dict_source():
    data = raw("hand_worked.yaml")
    data["finance"]["horizon_months"] = 6
    with pytest.raises(msomodel.ScenarioError, match=r"<dict>: finance.horizon_months: expected a value >= 12, found 6"):
        build(data)


def test_a_file_that_is_not_utf8_says_what_it_is_and_where(tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: ok\ndescription: café\n".encode("latin-1"))
    wide = tmp_path / "wide.yaml"
    wide.write_bytes("name: x\n".encode("utf-16"))  # with its byte-order mark
    with pytest.raises(msomodel.ScenarioError, match=r"found a byte that is not UTF-8 \(0xe9 at "
                                                     r"byte 25, line 2; save the file as UTF-8\)"):
        msomodel.load_scenario(latin)
    with pytest.raises(msomodel.ScenarioError, match=r"found UTF-16 text \(save the file as UTF-8\)"):
        msomodel.load_scenario(wide)
