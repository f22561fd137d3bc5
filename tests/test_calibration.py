"""The bundled base stays inside the published benchmarks, and docs/calibration.md is current."""

from __future__ import annotations

import pytest

from msomodel import calibration
from msomodel.compare import compare
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def result():
    return compare(calibration.base_scenario(), trials=0)


def test_the_base_is_inside_every_published_range(result):
    got = calibration.measured(result)
    for b in calibration.BENCHMARKS:
        assert b.low <= got[b.key] <= b.high, (b.label, got[b.key], b.low, b.high)
        assert b.url.startswith("https://") and b.source


def test_measured_figures_are_the_projections_own(result):
    got = calibration.measured(result)
    year5 = result.annual("self_managed").loc[5]
    assert got["revenue"] == pytest.approx(year5["revenue"], rel=1e-12)
    assert got["ebitda_margin"] == pytest.approx(year5["ebitda"] / year5["revenue"], rel=1e-12)
    # visits x spend per visit = the year's revenue
    visits = year5["revenue"] / got["revenue_per_visit"]
    assert 200 * 12 < visits < 400 * 12


def test_docs_calibration_is_current(result):
    committed = (ROOT / "docs" / "calibration.md").read_text()
    assert committed == calibration.markdown(result), (
        "docs/calibration.md is stale: run `python -m msomodel.calibration > docs/calibration.md`")
