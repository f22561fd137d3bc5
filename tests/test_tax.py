"""The default profit-tax rate: federal 21 % plus the owner's state's corporate income tax rate,
deducted federally (``msomodel.scenario.tax``), with its source, in the engine, the JSON and the
appendix; a stated rate wins."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import msomodel
from msomodel import assumptions
from msomodel.rules import STATE_NAMES
from msomodel.scenario import tax

ROOT = Path(__file__).resolve().parent.parent
CA = ROOT / "scenarios" / "california_np_three_sites.yaml"
TX = ROOT / "scenarios" / "texas_rn_single_site.yaml"


def test_hand_worked_defaults():
    # California: 0.21 + 0.0884 x (1 - 0.21) = 0.21 + 0.069836 = 0.279836
    assert tax.default_for("CA").value == pytest.approx(0.279836, abs=1e-12)
    # Florida: 0.21 + 0.055 x 0.79 = 0.25345; New Jersey at 9 % (the transit fee left out)
    assert tax.default_for("fl").value == pytest.approx(0.25345, abs=1e-12)
    assert tax.default_for("NJ").value == pytest.approx(0.21 + 0.09 * 0.79, abs=1e-12)
    # a margin or gross-receipts tax, or none: the federal rate alone
    for state in ("TX", "OH", "NV", "WA", "SD", "WY"):
        assert tax.default_for(state).value == 0.21, state
        assert tax.STATES[state].kind in ("gross_receipts", "none")
    assert tax.default_for(None).value == 0.25  # no owner state: the sourced average
    assert "27.98%" in tax.default_for("CA").source and "Revenue and Taxation Code" in \
        tax.default_for("CA").source


def test_every_jurisdiction_has_a_rate_with_its_source():
    assert set(tax.STATES) == set(STATE_NAMES) and len(tax.STATES) == 51
    for code, st in tax.STATES.items():
        assert 0.0 <= st.rate <= 0.12, code
        assert (st.rate > 0) == (st.kind == "income"), code
        assert "http" in st.source and st.note.endswith("."), code


def test_the_engine_the_json_and_the_appendix_use_the_state_default(tmp_path):
    s = msomodel.load_scenario(CA)
    assert s.finance.tax_rate is None  # the bundled base states none
    c = msomodel.compare(s, trials=0)
    assert float(c.inputs.arrays["tax_rate"]) == tax.default_for("CA").value
    doc = c.to_dict()["assumptions"]["tax_rate"]
    assert doc["value"] == tax.default_for("CA").value and doc["stated"] is False
    assert doc["default"]["state"] == "CA" and doc["default"]["state_rate"] == 0.0884
    rows = [a for a in assumptions.collect(s) if a.path == "finance.tax_rate"]
    assert len(rows) == 1 and rows[0].source.startswith("default: federal 21% + CA 8.84%")
    # Texas: federal alone; a lower tax than California's leaves more of the same EBITDA
    t = msomodel.compare(msomodel.load_scenario(TX), trials=0)
    assert float(t.inputs.arrays["tax_rate"]) == 0.21


def test_a_stated_rate_wins(tmp_path):
    variant = tmp_path / "stated.yaml"
    variant.write_text(yaml.safe_dump({"extends": str(CA), "finance": {"tax_rate": 0.37}}))
    s = msomodel.load_scenario(variant)
    c = msomodel.compare(s, trials=0)
    assert float(c.inputs.arrays["tax_rate"]) == 0.37
    doc = c.to_dict()["assumptions"]["tax_rate"]
    assert doc["value"] == 0.37 and doc["stated"] is True
    rows = [a for a in assumptions.collect(s) if a.path == "finance.tax_rate"]
    assert len(rows) == 1 and rows[0].value == 0.37 and not rows[0].source.startswith("default")
    base = msomodel.compare(msomodel.load_scenario(CA), trials=0).to_dict()
    assert c.to_dict()["options"]["mso"]["npv"] < base["options"]["mso"]["npv"]  # more tax


def test_state_tax_doc_is_generated():
    committed = (ROOT / "docs" / "state-tax.md").read_text(encoding="utf-8")
    assert committed == tax.markdown(), "docs/state-tax.md is stale: python -m msomodel.scenario.tax > docs/state-tax.md"
