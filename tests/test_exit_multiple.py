"""The exit multiple's default: a sourced band by size and management model (issue 11)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from msomodel import compare, load_scenario
from msomodel.assumptions import collect
from msomodel.inputs import compile_inputs
from msomodel.scenario.exit import BANDS, exit_band, exit_multiple
from tests.conftest import ROOT, build, raw


def _case(licence: str, sites: int, **finance) -> dict:
    data = raw("ohio_physician_single_site.yaml")
    data["owner"] = {"state": "OH", "licence": licence}
    data["sites"] = [{"name": f"S{i}", "open_month": 1 + 6 * i} for i in range(sites)]
    data["finance"].pop("exit_multiple", None)
    data["finance"].update(finance)
    return data


@pytest.mark.parametrize(("licence", "sites", "expected"), [
    ("physician", 1, 3.5), ("rn", 1, 3.5), ("none", 1, 4.75),
    ("np", 3, 5.0), ("none", 5, 6.5), ("none", 2, 6.5)])
def test_the_default_follows_size_and_management_model(licence, sites, expected):
    s = build(_case(licence, sites))
    assert exit_multiple(s) == expected
    assert compile_inputs(s).path_value("finance.exit_multiple") == expected


def test_a_stated_management_model_overrides_the_licence():
    assert exit_multiple(build(_case("physician", 1, owner_is_key_provider=False))) == 4.75
    assert exit_multiple(build(_case("none", 4, owner_is_key_provider=True))) == 5.0


def test_a_stated_multiple_wins_and_the_band_is_still_reported():
    s = build(_case("none", 5, exit_multiple=4.2))
    assert exit_multiple(s) == 4.2
    assert exit_band(s).value == 6.5


def test_every_band_holds_its_default_and_cites_a_url():
    for band in BANDS.values():
        assert band.low <= band.value <= band.high
        assert "https://" in band.source
    # owner dependence never raises the multiple; size never lowers it
    for size in ("single", "multi"):
        assert BANDS[(size, True)].value < BANDS[(size, False)].value
    for key in (True, False):
        assert BANDS[("single", key)].value <= BANDS[("multi", key)].value


def test_the_exit_uses_the_default_exactly():
    """The defaulted multiple gives the same figures as stating it, for every option."""
    c = compare(build(_case("none", 1)), trials=0)
    stated = compare(build(_case("none", 1, exit_multiple=4.75)), trials=0)
    other = compare(build(_case("none", 1, exit_multiple=4.0)), trials=0)
    for option in ("self_managed", "mso", "software_only"):
        assert c.metrics[option]["exit_value"] == stated.metrics[option]["exit_value"]
        assert c.metrics[option]["npv"] == stated.metrics[option]["npv"]
        assert c.metrics[option]["exit_value"] != other.metrics[option]["exit_value"]


def test_json_and_appendix_show_the_band_and_its_source():
    s = load_scenario(ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml")
    doc = json.loads(json.dumps(compare(s, trials=0).to_dict()))
    em = doc["assumptions"]["exit_multiple"]
    assert em == {"value": 6.5, "stated": False, "band": {
        "value": 6.5, "low": 5.0, "high": 8.0, "size": "multi", "owner_is_key_provider": False,
        "band": BANDS[("multi", False)].label, "source": BANDS[("multi", False)].source}}
    row = [a for a in collect(s) if a.path == "finance.exit_multiple"]
    assert len(row) == 1 and row[0].value == 6.5
    assert "businessbrokercollective.com" in row[0].source


def test_the_monte_carlo_can_sample_the_defaulted_multiple():
    from msomodel.analysis.montecarlo import simulate

    s = build(_case("physician", 1))
    spec = {"distributions": [{"path": "finance.exit_multiple", "dist": "uniform",
                               "low": 3.5, "high": 6.0}]}
    out = simulate(s, spec, 200, 7)
    sampled = out.samples["finance.exit_multiple"]
    assert 3.5 <= sampled.min() < sampled.max() <= 6.0
    npv = out.outcomes["self_managed.npv"].to_numpy()
    # NPV rises with the multiple, trial by trial (the exit is the only thing sampled)
    order = np.argsort(sampled.to_numpy())
    assert np.all(np.diff(npv[order]) > 0)


def test_the_explorer_shows_the_multiple_the_model_uses(bundled):
    """The explorer's slider starts at the multiple the scenario resolves to."""
    from msomodel.explorer.settings import exit_multiple as shown
    from msomodel.loader import _load_tree

    assert shown(_load_tree(bundled)) == exit_multiple(load_scenario(bundled))
