"""Loader validation with small broken data files, and overlays."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from msomodel.rules import (
    RulesDataError,
    assess_structures,
    load_rulebook,
    lookup,
    read_rulebook,
)
from msomodel.rules.loader import DATA_DIR, overlays_from_env

CASES = Path(__file__).parent / "cases" / "rules"
MINIMAL = CASES / "minimal.yaml"


def _data() -> dict:
    return yaml.safe_load(MINIMAL.read_text())


def _write(tmp_path: Path, data: dict, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _problem(tmp_path, data) -> str:
    path = _write(tmp_path, data)
    with pytest.raises(RulesDataError) as err:
        read_rulebook(path)
    assert str(path) in str(err.value)
    return str(err.value)


def test_minimal_file_loads_with_dated_records():
    book = load_rulebook(MINIMAL)
    assert lookup("OH", "none", on=dt.date(2026, 12, 31), rulebook=book).ownership == (
        "mso_required")
    after = lookup("OH", "none", on=dt.date(2027, 1, 1), rulebook=book)
    assert after.ownership == "with_licence" and after.last_checked == dt.date(2026, 11, 29)


def test_unknown_key_names_file_and_field_path(tmp_path):
    data = _data()
    data["states"]["OH"]["licences"]["np"] = dict(data["states"]["OH"]["licences"]["np"],
                                                  ownr="yes")
    assert "states.OH.licences.np.0.ownr" in _problem(tmp_path, data)


def test_missing_licence_is_reported(tmp_path):
    data = _data()
    del data["states"]["OH"]["licences"]["rn"]
    assert "states.OH.licences: missing records for: rn" in _problem(tmp_path, data)


def test_package_data_must_cover_every_jurisdiction(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    (copy / "states" / "WY.yaml").unlink()
    with pytest.raises(RulesDataError, match="no data for WY"):
        read_rulebook(copy)


def test_state_file_must_define_its_own_state(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    (copy / "states" / "WY.yaml").rename(copy / "states" / "XY.yaml")
    with pytest.raises(RulesDataError, match=r"XY.yaml: states: a file states/XY.yaml must"):
        read_rulebook(copy)


def test_missing_source_and_dangling_ref_are_reported(tmp_path):
    data = _data()
    data["states"]["OH"]["licences"]["pa"] = dict(data["states"]["OH"]["licences"]["pa"],
                                                  sources=[])
    assert "states.OH.licences.pa.0.sources" in _problem(tmp_path, data)
    data = _data()
    data["states"]["OH"]["licences"]["rn"] = dict(data["states"]["OH"]["licences"]["rn"],
                                                  sources=[{"ref": "nope", "says": "x"}])
    assert "states.OH.licences.rn.sources.0.ref: no bibliography entry" in _problem(tmp_path, data)


def test_confidence_needs_a_reason(tmp_path):
    data = _data()
    rec = dict(data["states"]["OH"]["licences"]["np"])
    rec.pop("confidence_reason")
    data["states"]["OH"]["licences"]["np"] = rec
    assert "states.OH.licences.np.0.confidence_reason" in _problem(tmp_path, data)


def test_bad_date_and_confidence_are_rejected(tmp_path):
    data = _data()
    lic = data["states"]["OH"]["licences"]
    lic["np"] = dict(lic["np"], last_checked="2026-13-01")
    lic["pa"] = dict(lic["pa"], confidence="certain")
    text = _problem(tmp_path, data)
    assert "states.OH.licences.np.0.last_checked" in text
    assert "states.OH.licences.pa.0.confidence" in text


def test_dates_out_of_order_within_a_record(tmp_path):
    data = _data()
    data["states"]["OH"]["licences"]["none"][1]["effective_to"] = "2026-06-01"
    assert "is before effective_from" in _problem(tmp_path, data)


def test_overlapping_periods_are_rejected(tmp_path):
    data = _data()
    data["states"]["OH"]["licences"]["none"][1]["effective_from"] = "2026-12-01"
    assert "periods overlap" in _problem(tmp_path, data)


def test_gap_between_periods_is_rejected(tmp_path):
    data = _data()
    data["states"]["OH"]["licences"]["none"][1]["effective_from"] = "2027-02-01"
    assert "gap between periods" in _problem(tmp_path, data)


def test_first_period_must_be_open_at_the_start(tmp_path):
    data = _data()
    data["states"]["OH"]["licences"]["none"][0]["effective_from"] = "2020-01-01"
    assert "must be open at the start" in _problem(tmp_path, data)


def test_contested_record_needs_two_sources_and_readings(tmp_path):
    data = _data()
    lic = data["states"]["OH"]["licences"]
    lic["np"] = dict(lic["np"], ownership="contested")
    assert "at least two different sources" in _problem(tmp_path, data)
    lic["np"] = dict(lic["np"], sources=[{"ref": "src", "says": "a"}, {"ref": "src2", "says": "b"}])
    assert "needs readings" in _problem(tmp_path, data)


def test_with_licence_needs_a_clinic_licence_condition(tmp_path):
    data = _data()
    data["states"]["OH"]["licences"]["none"][1]["conditions"] = []
    assert "needs a clinic_licence condition" in _problem(tmp_path, data)


def test_mso_required_must_agree_with_ownership(tmp_path):
    data = _data()
    lic = data["states"]["OH"]["licences"]
    lic["rn"] = dict(lic["rn"], mso_required=True)
    assert "mso_required must be false" in _problem(tmp_path, data)


def test_duplicate_keys_are_rejected(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(MINIMAL.read_text().replace("schema_version: 2\n",
                                                "schema_version: 2\nschema_version: 2\n"))
    with pytest.raises(RulesDataError, match="duplicate key 'schema_version'"):
        read_rulebook(path)


def test_cost_without_provenance_is_rejected(tmp_path):
    data = _data()
    data["conditions"]["c"].pop("cost_is_assumption")
    assert "conditions.c: a default cost needs cost_source" in _problem(tmp_path, data)


def test_bad_state_code(tmp_path):
    data = _data()
    data["states"]["ZZ"] = data["states"].pop("OH")
    assert "states.ZZ: unknown state code 'ZZ'" in _problem(tmp_path, data)


# --- overlays -----------------------------------------------------------------------------


def test_overlay_replaces_one_record_and_is_marked():
    base = lookup("OH", "np")
    book = load_rulebook(overlays=[CASES / "overlay_oh_np.yaml"])
    rule = lookup("OH", "np", rulebook=book)
    assert base.ownership == "yes" and rule.ownership == "mso_required"
    assert "(overlay)" in rule.origin and rule.sources[0].citation.startswith("Example LLP")
    assert assess_structures("OH", "np", rulebook=book)["direct"].status == "infeasible"
    # everything else is the package data, and the package data itself is untouched
    assert lookup("OH", "pa", rulebook=book) == lookup("OH", "pa")
    assert lookup("OH", "np").ownership == "yes"
    assert book.overlays and load_rulebook(overlays=[CASES / "overlay_oh_np.yaml"]) is book


def test_overlay_with_dangling_ref_names_the_overlay_file():
    with pytest.raises(RulesDataError, match=r"overlay_bad_ref.yaml \(overlay\): states\.OH"):
        load_rulebook(overlays=[CASES / "overlay_bad_ref.yaml"])


def test_overlay_with_typo_is_rejected_like_package_data():
    with pytest.raises(RulesDataError, match=r"(?s)overlay_typo.yaml.*states\.OH\.licences\.np\.0\.ownershp"):
        load_rulebook(overlays=[CASES / "overlay_typo.yaml"])


def test_overlays_from_env_splits_on_pathsep():
    import os

    env = {"MSOMODEL_RULES_OVERLAY": f"a.yaml{os.pathsep}b.yaml{os.pathsep}"}
    assert overlays_from_env(env) == ("a.yaml", "b.yaml")
    assert overlays_from_env({}) == ()
