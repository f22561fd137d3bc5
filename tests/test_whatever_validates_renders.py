"""Whatever ``validate`` accepts must render: generated valid scenarios (hypothesis) go through
``compare``, the JSON contract (no NaN or infinity) and every chart of the report.

Values are drawn across each field's whole schema range, including extremes a typo produces
(a price of 1e9, zero volume, a 100 % fee, a site opening in the last month); a scenario the
loader rejects is not a failure (it never reaches a report), but one it accepts must render or
be stopped by a clear input error.
"""

from __future__ import annotations

import json

import matplotlib
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import msomodel
from msomodel.charts import core
from tests.conftest import raw

matplotlib.use("Agg")
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

money = st.one_of(st.floats(0, 5e4), st.sampled_from([0.0, 1e6, 1e9, 1e12]))
share = st.floats(0.0, 1.0)
fees = st.one_of(
    st.builds(lambda v: {"type": "flat", "per_site_monthly": v}, money),
    st.builds(lambda p: {"type": "percentage", "percent": p}, share),
    st.builds(lambda m: {"type": "cost_plus", "markup": m}, st.floats(0, 10)),
    st.builds(lambda a, b: {"type": "tiered", "tiers": [{"up_to_monthly": 50000, "percent": a},
                                                       {"percent": b}]}, share, share),
    st.builds(lambda base, p: {"type": "hybrid", "base_per_site_monthly": base, "percent": p},
              money, share))


@st.composite
def scenarios(draw):
    data = raw("ohio_physician_single_site.yaml")
    horizon = draw(st.sampled_from([12, 24, 60, 120]))
    data["finance"]["horizon_months"] = horizon
    data["finance"]["discount_rate_annual"] = draw(st.floats(0, 1))
    data["finance"]["exit_multiple"] = draw(st.floats(0, 20))
    data["finance"]["tax_rate"] = draw(share)
    n = draw(st.integers(1, 6))
    data["sites"] = [{"name": f"Site {i}", "open_month": draw(st.integers(1, horizon)),
                      "ramp_months": draw(st.integers(0, 120)),
                      "ramp_start_fraction": draw(share)} for i in range(n)]
    line = data["site_defaults"]["service_lines"][0]
    line["price"] = draw(money)
    line["volume_per_month"] = draw(st.floats(0, 1e4))
    data["adjustments"] = {"volume_multiplier": draw(st.floats(0, 5)),
                           "price_multiplier": draw(st.floats(0, 5)),
                           "wage_multiplier": draw(st.floats(0, 5)),
                           "opex_multiplier": draw(st.floats(0, 5))}
    data["mso"]["fee"] = draw(fees)
    data["mso"]["revenue_uplift"] = draw(share)
    data["structure"] = {"type": draw(st.sampled_from(["auto", "direct", "friendly_pc"])),
                         "friendly_pc": {"management_fee": draw(fees),
                                         "mso_overhead_monthly": draw(money)}}
    data["owner"] = {"state": draw(st.sampled_from(["OH", "TX", "CA", "FL", "NY", "AZ"])),
                     "licence": draw(st.sampled_from(["physician", "np", "pa", "rn", "none"]))}
    data.pop("uncertainty", None)
    return data


@SETTINGS
@given(data=scenarios())
def test_a_valid_scenario_compares_serialises_and_draws(data):
    try:
        s = msomodel.scenario_from_dict(data)
    except msomodel.ScenarioError:
        assume(False)
    try:
        r = msomodel.compare(s, trials=0)
    except msomodel.ScenarioError as exc:  # a clear input error (e.g. overflowing results)
        assert "expected finite results" in str(exc)
        return
    text = json.dumps(r.to_dict(), allow_nan=False)
    assert '"schema_version": 2' in text
    assert r.decision.verdict in ("recommended", "too_close", "none_pays", "too_short",
                                  "no_lawful_option")
    figures = [core.cumulative_cash_flow(r), core.ebitda_by_year(r), core.fee_bridge(r),
               core.breakeven_fee(r)]
    if len(r.inputs.sites) > 1:
        figures.append(core.rollout(r))
    for fig in figures:
        fig.canvas.draw()
        matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("price", [1e308, 2e12])
def test_absurd_amounts_are_rejected_when_validated(price):
    data = raw("ohio_physician_single_site.yaml")
    data["site_defaults"]["service_lines"][0]["price"] = price
    with pytest.raises(msomodel.ScenarioError,
                       match=r"client.yaml: site_defaults.service_lines\[neurotoxin\].price: "
                             r"expected a value <= 1e\+12"):
        msomodel.scenario_from_dict(data, source="client.yaml")


def test_results_that_are_not_finite_are_input_errors_naming_the_file(monkeypatch):
    """Schema limits keep results finite; should a projection overflow all the same, compare
    names the file and the lines instead of printing NaN as $0."""
    import importlib

    import numpy as np

    cmp = importlib.import_module("msomodel.compare")

    real = cmp.engine.run

    def overflowing(*args, **kwargs):
        out = real(*args, **kwargs)
        out["mso"].site["revenue"][..., 5] = np.inf
        return out

    monkeypatch.setattr(cmp.engine, "run", overflowing)
    s = msomodel.scenario_from_dict(raw("ohio_physician_single_site.yaml"), source="client.yaml")
    with pytest.raises(msomodel.ScenarioError,
                       match=r"^client.yaml: expected finite results, found overflowing values "
                             r"in revenue"):
        msomodel.compare(s, trials=0)
