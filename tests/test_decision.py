"""The recommendation: how sure it is, what would flip it, what it rests on, and when it must
not name a winner."""

from __future__ import annotations

import numpy as np
import pytest

import msomodel
from msomodel import decision
from msomodel.analysis import paths as P
from msomodel.analysis.montecarlo import simulate
from tests.conftest import build, raw

OHIO = "ohio_physician_single_site.yaml"


def _with(name: str, changes: dict[str, float], **top) -> msomodel.Scenario:
    """A bundled scenario rebuilt from its file with ``changes`` applied by scenario path."""
    data = raw(name)
    for path, value in changes.items():
        P.set_path(data, path, value)
    data.update(top)
    return build(data)


@pytest.fixture(scope="module")
def ohio():
    return msomodel.compare(build(raw(OHIO)))


def test_probability_best_is_the_monte_carlo_of_the_uncertainty_section(ohio):
    d = ohio.decision
    assert (d.trials, d.seed) == (decision.DEFAULT_TRIALS, decision.DEFAULT_SEED)
    sim = simulate(ohio.scenario, None, d.trials, d.seed)
    assert d.probability_best == pytest.approx(sim.probabilities()["best"], abs=0)
    assert sum(d.probability_best.values()) == pytest.approx(1.0)
    for option, p10 in d.p10_npv.items():
        assert p10 == pytest.approx(np.percentile(sim.outcomes[f"{option}.npv"], 10), rel=1e-12)
    # a different seed gives other trials, the same seed the same ones
    again = msomodel.compare(ohio.scenario, seed=d.seed).decision
    assert again.probability_best == d.probability_best
    other = msomodel.compare(ohio.scenario, seed=d.seed + 1).decision
    assert other.probability_best != d.probability_best


def test_margin_is_over_the_best_other_lawful_option(ohio):
    d = ohio.decision
    npv = {o: m["npv"] for o, m in ohio.metrics.items()}
    ranked = sorted(npv, key=npv.get, reverse=True)
    assert (d.leader, d.runner_up) == (ranked[0], ranked[1])
    assert d.margin == pytest.approx(npv[ranked[0]] - npv[ranked[1]], rel=1e-12)
    assert d.verdict == "recommended" and d.option == d.leader
    assert d.probability_best[d.leader] >= decision.THRESHOLD


#: Ohio without the baseline's existing booking tool: the software option is credited with its
#: full effects, so the MSO's lead is narrow enough for several inputs to flip within range.
NO_TOOL = {"existing_software.no_show_reduction": 0.0, "existing_software.admin_hours_saved": 0.0,
           "existing_software.online_booking_uplift": 0.0}


def test_each_flip_value_recomputed_by_hand_gives_equal_npvs():
    ohio = msomodel.compare(_with(OHIO, NO_TOOL))
    found = [f for f in ohio.decision.flips if f.value is not None]
    assert len(found) >= 3
    for flip in found:
        if flip.path == P.FEE_LEVEL_PATH:
            path = "mso.fee.per_site_monthly"  # the flat fee's own field
        else:
            path = flip.path
        # rebuilt from the file with the input at its flip value, no batching involved
        at = msomodel.compare(_with(OHIO, {**NO_TOOL, path: flip.value}), trials=0)
        lead, taker = at.metrics[ohio.decision.leader]["npv"], at.metrics[flip.taker]["npv"]
        assert lead == pytest.approx(taker, abs=1.0, rel=1e-6), flip
        # and a little past the flip value the taker is ahead
        step = 0.02 * (flip.searched[1] - flip.searched[0])
        past = flip.value - step if flip.stays_ahead == "above" else flip.value + step
        beyond = msomodel.compare(_with(OHIO, {**NO_TOOL, path: past}), trials=0)
        assert beyond.metrics[flip.taker]["npv"] > beyond.metrics[ohio.decision.leader]["npv"]


def test_the_sentence_names_the_flips_with_the_assumed_values(ohio):
    text = ohio.decision.sentence
    first = next(f for f in ohio.decision.flips if f.value is not None)
    assert text.startswith("Third-party MSO is recommended: NPV $960,829 over 5 years")
    assert f"best in {ohio.decision.probability_best['mso']:.1%} of 2,000 simulated trials" in text
    assert decision.flip_phrase(first, ohio.inputs) in text
    assert "assumed $12,000 per site per month" in text


def test_a_close_scenario_is_too_close_to_call():
    # the MSO fee at which the MSO and the software option tie in the base case
    base = msomodel.compare(build(raw(OHIO)), trials=0)
    tie = next(f for f in base.decision.flips if f.path == P.FEE_LEVEL_PATH)
    assert tie.taker == "software_only"
    close = msomodel.compare(_with(OHIO, {"mso.fee.per_site_monthly": tie.value - 5.0}))
    d = close.decision
    assert d.leader == "mso" and 0 < d.margin < 500
    assert d.probability_best["mso"] < decision.THRESHOLD
    assert d.verdict == "too_close" and d.option is None
    assert d.sentence.startswith("Too close to call between third-party MSO and self-managed + software")
    assert "What decides it:" in d.sentence
    assert close.to_dict()["recommendation"]["option"] is None


def test_too_close_names_the_option_that_wins_the_trials_the_leader_loses():
    """Florida: software leads the base case over self-managed, but the MSO wins far more of
    the trials software loses; the sentence weighs the leader against the MSO."""
    d = msomodel.compare(msomodel.load_scenario("scenarios/florida_entrepreneur_five_sites.yaml")
                         ).decision
    assert (d.verdict, d.leader, d.runner_up) == ("too_close", "software_only", "self_managed")
    p = d.probability_best
    assert p["mso"] > p["self_managed"]
    assert d.sentence.startswith("Too close to call between self-managed + software and "
                                 "third-party MSO: ")
    behind = d.npv["software_only"] - d.npv["mso"]
    assert (f"self-managed + software leads third-party MSO by {decision.money(behind)} of NPV "
            f"over 5 years (and self-managed, second in the base case, by "
            f"{decision.money(d.margin)}), but is best in only ") in d.sentence
    assert f"; third-party MSO is best in {p['mso']:.1%}." in d.sentence


def _asymmetric_exit():
    """Ohio with the software option credited nothing and the MSO alone exiting at a higher
    multiple: its lead rests on that one input."""
    data = raw(OHIO)
    data["mso"]["exit_multiple"] = 6.0
    data["mso"]["fee"]["per_site_monthly"] = 21000
    data["infeasible"] = {"software_only": {"reason": "no vendor in the area (test)"}}
    return build(data)


def test_equalising_an_asymmetric_input_changes_the_answer_where_it_should():
    s = _asymmetric_exit()
    r = msomodel.compare(s, trials=0)
    assert r.decision.leader == "mso"
    rows = {a.label: a for a in r.decision.asymmetries}
    exit_row = rows["MSO's exit multiple"]
    # equal_value is the default the scenario falls back on: one owner-led location, 3.5x
    assert (exit_row.value, exit_row.equal_value, exit_row.option) == (6.0, 3.5, "mso")
    assert exit_row.recommended_when_equal == "self_managed"
    # the row's answer is what a rebuilt scenario with the multiple set equal gives
    data = raw(OHIO)
    data["mso"]["fee"]["per_site_monthly"] = 21000
    data["infeasible"] = {"software_only": {"reason": "test"}}
    equal = msomodel.compare(build(data), trials=0)
    assert equal.decision.leader == "self_managed"
    assert exit_row.npv_when_equal["mso"] == pytest.approx(equal.metrics["mso"]["npv"], rel=1e-9)
    # inputs that do not change the answer say so
    uplift = rows["MSO's revenue uplift"]
    assert uplift.recommended_when_equal in ("mso", "self_managed")
    assert r.decision.all_equal.recommended_when_equal == "self_managed"


def test_asymmetric_inputs_carry_their_source():
    r = msomodel.compare(msomodel.load_scenario(f"scenarios/{OHIO}"), trials=0)
    rows = {a.label: a for a in r.decision.asymmetries}
    assert "no published figure" in rows["MSO's purchasing discount"].source
    assert "Tang 2022" in rows["Software's no-show reduction"].source


def test_a_software_effect_set_equal_is_the_existing_tools_and_an_equal_one_favours_nothing():
    """The software's effects count only beyond the tool the baseline already has: "set equal"
    gives the offer that tool's effect (no further gain), not zero (which would undo the tool)."""
    s = msomodel.load_scenario(f"scenarios/{OHIO}")
    have = s.existing_software
    assert have.no_show_reduction > 0 and have.online_booking_uplift > 0  # the bundled base
    r = msomodel.compare(s, trials=0)
    rows = {a.label: a for a in r.decision.asymmetries}
    assert rows["Software's no-show reduction"].equal_value == have.no_show_reduction
    assert rows["Software's admin hours saved"].equal_value == have.admin_hours_saved
    booking = s.software.online_booking_uplift
    assert (booking == have.online_booking_uplift) == (
        "Software's online-booking uplift" not in rows)
    # the row's answer is that of the scenario whose offer does just what the tool does
    data = raw(OHIO)
    data["software"] = {**data.get("software", {}), "no_show_reduction": have.no_show_reduction}
    same = msomodel.compare(build(data), trials=0)
    row = rows["Software's no-show reduction"]
    assert row.npv_when_equal["software_only"] == pytest.approx(
        same.metrics["software_only"]["npv"], rel=1e-9)
    # an offer doing just what the tool does is not listed at all
    listed = {a.label for a in same.decision.asymmetries}
    assert "Software's no-show reduction" not in listed


def test_the_baseline_is_never_an_infeasible_option():
    data = raw(OHIO)
    data["infeasible"] = {"software_only": {"reason": "test"}}
    r = msomodel.compare(build(data))
    d = r.decision
    assert d.runner_up == "self_managed"
    assert set(d.probability_best) == {"self_managed", "mso"}
    assert set(d.p10_npv) == {"self_managed", "mso"}
    assert all(f.taker != "software_only" for f in d.flips)


def test_a_short_horizon_gives_no_recommendation():
    s = _with(OHIO, {}, finance={**raw(OHIO)["finance"], "horizon_months": 12})
    d = msomodel.compare(s).decision
    assert d.verdict == "too_short" and d.option is None
    assert d.sentence.startswith("No recommendation: a 12-month horizon is too short to judge")


def test_when_nothing_pays_nothing_is_recommended():
    s = _with(OHIO, {"site_defaults.opex.rent.monthly": 60000})
    r = msomodel.compare(s)
    d = r.decision
    assert max(m["npv"] for m in r.metrics.values()) <= 0
    assert d.verdict == "none_pays" and d.option is None
    assert d.sentence.startswith("No option pays over 5 years")


def test_without_declared_uncertainty_the_sentence_says_it_is_untested():
    data = raw(OHIO)
    data.pop("uncertainty")
    d = msomodel.compare(build(data)).decision
    assert d.probability_best is None and d.trials == 0
    assert "How sure this is was not measured: the scenario declares no uncertainty" in d.sentence


def test_percentile_is_numpys_to_the_bit():
    import math

    from msomodel.decision import percentile

    rng = np.random.default_rng(11)
    for trial in range(3000):
        n = int(rng.integers(1, 2500)) if trial % 3 else int(rng.integers(1, 12))
        x = rng.standard_normal(n) * 10.0 ** int(rng.integers(-3, 9))
        if trial % 7 == 0:
            x = np.round(x)  # ties
        if trial % 50 == 0:
            x[rng.integers(n)] = np.nan
        for q in (10, 0, 100, 50, 2.5):
            want, got = float(np.percentile(x, q)), percentile(x, q)
            assert got == want or (math.isnan(want) and math.isnan(got)), (n, q)


def test_a_share_of_trials_is_never_rounded_to_a_certainty_it_is_not():
    assert [decision.share(p) for p in (1.0, 0.9996, 0.9995, 0.9994, 0.997, 0.5, 0.0005, 0.0004,
                                        0.0)] == [
        "100.0%", "over 99.9%", "over 99.9%", "99.9%", "99.7%", "50.0%", f"{0.0005:.1%}",
        "under 0.1%", "0.0%"]
    for name in ("california_np_three_sites", "ohio_physician_single_site"):  # the sentence's
        c = msomodel.compare(msomodel.load_scenario(f"scenarios/{name}.yaml"))  # words are share's
        p = c.decision.probability_best[c.decision.leader]
        assert f"it is best in {decision.share(p)} of 2,000 simulated trials" in c.decision.sentence
