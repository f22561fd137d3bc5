"""The explorer without a browser: set widget values, read the outputs."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import yaml

import msomodel
from msomodel import cli, rules, tables
from msomodel.explorer import Explorer, model
from msomodel.explorer.app import notebook_json, voila_command
from tests.spelling import british

ROOT = Path(__file__).resolve().parents[1]
OHIO = ROOT / "scenarios" / "ohio_physician_single_site.yaml"
FLORIDA = ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml"
TEXAS = ROOT / "scenarios" / "texas_rn_single_site.yaml"


@pytest.fixture
def ex(tmp_path: Path) -> Explorer:
    return Explorer(OHIO, debounce=0, draw=False, save_dir=tmp_path)


def npv(ex: Explorer, option: str = "mso") -> float:
    assert ex.snapshot is not None
    return ex.snapshot.result.metrics[option]["npv"]


def test_untouched_explorer_reproduces_each_bundled_scenario(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0, draw=False, save_dir=tmp_path)
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert ex.load(path), ex.error
        expected = msomodel.compare(msomodel.load_scenario(path), trials=0)
        assert ex.snapshot.result.structure == expected.structure, path.name
        for option in msomodel.OPTIONS:
            assert npv(ex, option) == expected.metrics[option]["npv"], (path.name, option)
        d, e = ex.snapshot.result.decision, expected.decision
        assert (d.leader, d.runner_up, d.margin) == (e.leader, e.runner_up, e.margin), path.name
        assert ex.snapshot.data["name"] == model.load_raw(path)["name"]  # untouched: same name


def test_page_parts_are_filled(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0, draw=True, save_dir=tmp_path)
    assert 'id="mso-npv"' in ex.table.value
    assert tables.money(npv(ex)) in ex.table.value
    assert "Recommended" in ex.recommendation.value
    assert "Break-even third-party MSO fee" in ex.recommendation.value
    assert all(bytes(img.value).startswith(b"\x89PNG") for img in ex.images.values())
    assert ex.message.value == ""
    assert "Legal structure: Direct ownership" in ex.structure_banner.value
    assert "Traceback" not in ex.widget._repr_mimebundle_()["text/plain"]


def test_the_decision_is_shown_with_its_monte_carlo_after_the_table(tmp_path: Path) -> None:
    ex = Explorer(TEXAS, debounce=0, draw=False, save_dir=tmp_path)
    snap = ex.snapshot
    d = snap.result.decision
    assert snap.decided and d.trials == model.MC_TRIALS == 500
    full = msomodel.compare(msomodel.load_scenario(TEXAS), trials=500, seed=1).decision
    assert d.verdict == full.verdict and d.leader == full.leader == "mso"
    assert d.probability_best == pytest.approx(full.probability_best)
    rec = ex.recommendation.value
    assert "Probability best" in rec and f"{d.probability_best['mso']:.1%}" in rec
    assert "500 simulated trials" in rec
    assert "What would flip it" in ex.decision_details.value and "mso-flips" in ex.decision_details.value
    assert "Inputs that favor one option" in ex.decision_details.value
    assert "Probability best" in ex.table.value and f"{d.probability_best['mso']:.1%}" in ex.table.value
    assert "500 Monte Carlo trials" in ex.status.value
    shown = [ex.table.value, ex.recommendation.value, ex.decision_details.value, ex.status.value,
             ex.structure_banner.value]
    assert not [w for t in shown for w in british(t)]  # American English


def test_live_the_decision_waits_for_the_table(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0.05, draw=False, save_dir=tmp_path)

    async def step() -> None:
        ex.controls["fee_level"].value = 15000
        ex.recompute()  # inside a running loop: the table now, the decision later
        assert not ex.snapshot.decided and "Checking how sure" in ex.recommendation.value
        ex.flush()
        assert ex.snapshot.decided and "Probability best" in ex.recommendation.value

    asyncio.run(step())


def test_raising_a_percentage_fee_lowers_the_mso_npv(ex: Explorer) -> None:
    ex.controls["fee_type"].value = "percentage"
    ex.controls["fee_level"].value = 10.0
    low = npv(ex)
    ex.controls["fee_level"].value = 14.0
    assert npv(ex) < low
    assert ex.snapshot.data["mso"]["fee"] == {**ex.snapshot.data["mso"]["fee"], "type": "percentage",
                                              "percent": 0.14}
    assert "% of collections" in ex.snapshot.breakeven_text


def test_raising_a_flat_fee_lowers_the_mso_npv_and_leaves_the_others(ex: Explorer) -> None:
    before = {o: npv(ex, o) for o in msomodel.OPTIONS}
    ex.controls["fee_level"].value = 15000
    assert npv(ex) < before["mso"]
    assert npv(ex, "self_managed") == before["self_managed"]
    assert npv(ex, "software_only") == before["software_only"]


def test_a_larger_purchasing_discount_raises_the_mso_npv(ex: Explorer) -> None:
    low = npv(ex)
    ex.controls["discount"].value = 12.0
    assert npv(ex) > low


def test_more_sites_change_revenue_and_follow_the_cadence(ex: Explorer) -> None:
    one = ex.snapshot.result.metrics["self_managed"]["total_revenue"]
    ex.controls["n_sites"].value = 3
    assert ex.snapshot.result.metrics["self_managed"]["total_revenue"] > one
    assert [s["open_month"] for s in ex.snapshot.data["sites"]] == [1, 7, 13]
    ex.controls["cadence"].value = 3
    assert [s["open_month"] for s in ex.snapshot.data["sites"]] == [1, 4, 7]
    assert len(ex.snapshot.result.inputs.sites) == 3


def test_fewer_sites_keep_the_first_ones(tmp_path: Path) -> None:
    ex = Explorer(FLORIDA, debounce=0, draw=False, save_dir=tmp_path)
    ex.controls["n_sites"].value = 2
    assert ex.snapshot.result.inputs.sites == ["Miami", "Fort Lauderdale"]


def test_horizon_changes_the_number_of_months(ex: Explorer) -> None:
    ex.controls["horizon"].value = 84
    assert ex.snapshot.result.horizon == 84
    assert ex.snapshot.charts.months.size == 85
    assert ex.snapshot.charts.years.tolist() == list(range(1, 8))
    assert "NPV (84 months)" in ex.table.value


def test_volumes_prices_and_costs_move_the_figures(ex: Explorer) -> None:
    sm = npv(ex, "self_managed")
    ex.controls["visits"].value = 110
    assert npv(ex, "self_managed") > sm
    assert ex.snapshot.data["adjustments"]["volume_multiplier"] == pytest.approx(1.1)
    sm = npv(ex, "self_managed")
    ex.controls["ticket"].value = 90
    assert npv(ex, "self_managed") < sm
    sm = npv(ex, "self_managed")
    ex.controls["product_cost"].value = ex.controls["product_cost"].value + 5
    assert npv(ex, "self_managed") < sm
    share = model.product_cost_share(ex.snapshot.data)
    assert share == pytest.approx(ex.controls["product_cost"].value / 100)


def test_software_controls_move_the_software_npv(ex: Explorer) -> None:
    sw = npv(ex, "software_only")
    ex.controls["sw_price"].value = 900
    assert npv(ex, "software_only") < sw
    sw = npv(ex, "software_only")
    ex.controls["no_show"].value = 40
    assert npv(ex, "software_only") > sw


def test_absorbed_roles_and_discount_rate(ex: Explorer) -> None:
    mso = npv(ex)
    ex.role_boxes["office_manager"].value = False
    assert npv(ex) < mso  # the spa keeps paying the office manager
    assert ex.snapshot.data["mso"]["absorbed_roles"] == ["billing_admin"]
    mso = npv(ex)
    ex.controls["discount_rate"].value = 25
    assert npv(ex) < mso


def shown_incremental_npv(ex: Explorer, option: str = "mso") -> float:
    """The "NPV vs self-managed" figure of the key-figures table, as the page holds it."""
    cls = f"{option.replace('_', '-')}-incremental-npv"
    match = re.search(rf'class="[^"]*{cls}[^"]*" data-value="([^"]+)"', ex.table.value)
    assert match, ex.table.value
    return float(match.group(1))


def lead(ex: Explorer, versus: str) -> float:
    """The leader's NPV less ``versus``'s, from the table's NPV cells."""
    leader = ex.snapshot.result.decision.leader
    values = {o: float(re.search(rf'{o.replace("_", "-")}-npv"[^>]*data-value="([^"]+)"',
                                 ex.table.value).group(1)) for o in msomodel.OPTIONS}
    return values[leader] - values[versus]


def test_what_drives_the_answer_is_the_tornado_of_the_current_settings(ex: Explorer) -> None:
    d = ex.drivers
    assert d is not None and not d.declared
    assert d.leader == "mso" and d.versus == ("software_only", "self_managed")  # runner-up first
    assert d.result.baseline == "software_only"
    assert d.base["software_only"] == pytest.approx(lead(ex, "software_only"), rel=1e-9, abs=1e-6)
    assert d.base["self_managed"] == pytest.approx(shown_incremental_npv(ex), rel=1e-9, abs=1e-6)
    assert "mso.fee.level" in d.ranking()
    labels = {r.path: r.label for r in d.rows["software_only"]}
    assert labels["mso.fee.level"] == "MSO fee"
    assert labels["adjustments.volume_multiplier"] == "Visits per month (volume multiplier)"
    fee = next(r for r in d.rows["software_only"] if r.path == "mso.fee.level")
    assert (fee.low_text, fee.high_text) == ("$9,600", "$14,400")  # +-20 % of $12,000
    assert fee.low_npv > d.base["software_only"] > fee.high_npv  # a higher fee lowers the lead
    swings = [r.swing for r in d.rows["software_only"]]
    assert swings == sorted(swings, reverse=True)
    assert tables.money(d.base["software_only"]) in ex.drivers_text.value
    assert "Third-party MSO ahead of self-managed + software" in ex.drivers_text.value

    ex.controls["fee_level"].value = 12500  # the tornado follows the settings
    d2 = ex.drivers
    assert d2 is not d and d2.leader == "mso"
    assert d2.base["software_only"] < d.base["software_only"]
    assert d2.base["software_only"] == pytest.approx(lead(ex, "software_only"), rel=1e-9, abs=1e-6)
    fee = next(r for r in d2.rows["software_only"] if r.path == "mso.fee.level")
    assert (fee.low_value, fee.high_value) == pytest.approx((10000, 15000))
    ex.controls["fee_level"].value = 18000  # now software leads: the tornado follows the leader
    assert ex.drivers.leader == ex.snapshot.result.decision.leader == "software_only"
    assert ex.drivers.versus[0] == ex.snapshot.result.decision.runner_up
    assert ex.timings_ms["tornado"] > 0


def test_the_drivers_toggle_shows_the_third_option_without_recomputing(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0, draw=True, save_dir=tmp_path)
    d, png = ex.drivers, bytes(ex.drivers_image.value)
    assert png.startswith(b"\x89PNG")
    assert ex.drivers_outcome.value == "software_only"
    assert [v for _, v in ex.drivers_outcome.options] == ["software_only", "self_managed"]
    ex.drivers_outcome.value = "self_managed"
    assert ex.drivers is d  # redrawn from the same tornado
    assert bytes(ex.drivers_image.value) != png
    assert "ahead of self-managed by" in ex.drivers_text.value
    assert tables.money(d.base["self_managed"]) in ex.drivers_text.value
    ex.controls["sw_price"].value = 900  # a recompute keeps the chosen comparison
    assert ex.drivers_outcome.value == "self_managed" and ex.drivers is not d


def test_driver_labels_fall_back_to_the_path() -> None:
    assert model.driver_label("mso.fee.level") == "MSO fee"
    assert model.driver_label("site_defaults.service_lines.filler.price") == \
        "site_defaults.service_lines.filler.price"
    assert model.driver_value(0.085, "mso.purchasing_discount") == "8.5%"
    assert model.driver_value(0.12, "mso.fee.level", "percentage") == "12%"
    assert model.driver_value(12000, "mso.fee.level", "flat") == "$12,000"
    assert model.driver_value(1.1, "mso.fee.level", "tiered") == "1.10x"


def test_declared_sensitivity_ranges_are_used_and_give_way_when_they_no_longer_fit(
        tmp_path: Path) -> None:
    raw = model.load_raw(OHIO)
    raw.pop("extends", None)
    raw["uncertainty"] = {"sensitivity": [
        {"path": "mso.fee.level", "low": 8000, "high": 16000},
        {"path": "mso.purchasing_discount", "low": 0.0, "high": 0.15}]}
    path = tmp_path / "declared.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    ex = Explorer(path, debounce=0, draw=False, save_dir=tmp_path)
    assert ex.drivers.declared and ex.drivers.ranking() == ["mso.fee.level",
                                                            "mso.purchasing_discount"]
    assert "declares" in ex.drivers_text.value
    ex.controls["fee_type"].value = "percentage"  # a dollar range no longer fits a percentage
    assert ex.message.value == ""
    assert not ex.drivers.declared and "20%" in ex.drivers_text.value
    assert "do not fit" in ex.drivers_text.value
    assert "mso.fee.level" in ex.drivers.ranking()


def test_live_the_table_comes_first_and_the_drivers_follow(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0.05, draw=False, save_dir=tmp_path)
    before = ex.drivers

    async def change() -> None:
        ex.controls["fee_level"].value = 12500
        await asyncio.sleep(0.5)  # the debounce fires: table now, the slow steps one by one

    asyncio.run(change())
    assert ex.drivers is not before
    assert ex.drivers.base["software_only"] == pytest.approx(lead(ex, "software_only"), rel=1e-9)

    async def step() -> None:
        ex.controls["fee_level"].value = 12800
        ex.recompute()  # inside a running loop: the table now ...
        stale = ex.drivers
        assert ex.snapshot.data["mso"]["fee"]["per_site_monthly"] == 12800
        assert stale.base["software_only"] != pytest.approx(lead(ex, "software_only"), rel=1e-9)
        for _ in range(12):  # ... charts, decision, drivers in the next steps of the loop
            await asyncio.sleep(0)
        assert ex.drivers is not stale
        ex.controls["fee_level"].value = 13100
        ex.flush()  # flush runs them all at once
        assert ex.drivers.base["software_only"] == pytest.approx(lead(ex, "software_only"),
                                                                 rel=1e-9)

    asyncio.run(step())


def test_controls_that_do_nothing_are_disabled_with_a_note(ex: Explorer) -> None:
    assert all(not box.disabled for box in ex.role_boxes.values())
    assert ex.roles_note.value == ""
    assert ex.controls["cadence"].disabled and "one site" in ex.cadence_note.value  # 1 site
    ex.controls["n_sites"].value = 2
    assert not ex.controls["cadence"].disabled and ex.cadence_note.value == ""

    assert not ex.controls["discount"].disabled
    ex.controls["product_cost"].value = 0
    assert ex.controls["discount"].disabled and "nothing to discount" in ex.discount_note.value
    ex.controls["product_cost"].value = 10
    assert not ex.controls["discount"].disabled
    assert not ex.controls["no_show"].disabled and ex.no_show_note.value == ""


def test_no_show_reduction_is_disabled_without_no_shows(tmp_path: Path) -> None:
    raw = model.load_raw(OHIO)
    raw.pop("extends", None)
    raw["site_defaults"]["no_show_rate"] = 0.0
    path = tmp_path / "no_no_shows.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    ex = Explorer(path, debounce=0, draw=False, save_dir=tmp_path)
    assert ex.controls["no_show"].disabled and "no no-shows" in ex.no_show_note.value
    assert all("software.no_show_reduction" not in ex.drivers.ranking(v) for v in ex.drivers.versus)


def test_a_texas_rn_gets_three_feasible_options_under_a_friendly_pc(ex: Explorer) -> None:
    assert ex.snapshot.result.structure == "direct"
    ex.controls["state"].value = "TX"
    ex.controls["licence"].value = "rn"
    result = ex.snapshot.result
    assert ex.error is None and ex.message.value == ""
    assert result.structure == "friendly_pc"
    assert all(result.feasibility[o].allowed for o in msomodel.OPTIONS)
    assert "Not permitted" not in ex.table.value
    assert "No option is open" not in ex.recommendation.value
    assert result.decision.verdict != "no_lawful_option"
    sentence = ex.structure_note.value
    assert "registered nurse may not own" in sentence
    assert "friendly PC" in sentence and f"confidence {rules.lookup('TX', 'rn').confidence}" in sentence and "source:" in sentence
    assert [v for _, v in ex.controls["structure"].options] == ["auto", "friendly_pc"]
    assert not any(sev == "bad" for sev, _ in ex.snapshot.notes)
    assert result.pc_breakeven is not None and result.inputs.mgmt_fee_type == "sweep"
    assert "Management fee (PC to your MSO): a sweep leaving the PC" in ex.recommendation.value
    assert "a sweep has no break-even level" in ex.recommendation.value


def test_where_both_structures_are_lawful_the_user_may_pick(ex: Explorer) -> None:
    assert [v for _, v in ex.controls["structure"].options] == ["auto", "direct", "friendly_pc"]
    assert "also open" in ex.structure_note.value
    ex.controls["structure"].value = "friendly_pc"
    assert ex.snapshot.result.structure == "friendly_pc"
    assert ex.snapshot.data["structure"]["type"] == "friendly_pc"
    assert ex.snapshot.result.compliance.structure_chosen_by == "scenario"
    assert "You chose" in ex.structure_note.value
    ex.controls["state"].value = "TX"  # a new owner: back to what the rules decide
    assert ex.controls["structure"].value == "auto"


def test_hybrid_fee(ex: Explorer) -> None:
    ex.controls["fee_type"].value = "hybrid"
    assert ex.controls["fee_base"].layout.display == ""
    ex.controls["fee_base"].value = 2000
    fee = ex.snapshot.data["mso"]["fee"]
    assert fee["type"] == "hybrid" and fee["base_per_site_monthly"] == 2000
    ex.controls["fee_type"].value = "flat"  # back to the scenario's structure and level
    assert ex.controls["fee_level"].value == 12000
    assert ex.boxes["fee_level"].value == "12,000"
    assert ex.controls["fee_base"].layout.display == "none"


def test_fee_cap_below_floor_shows_a_message_and_keeps_the_last_result(ex: Explorer) -> None:
    ex.controls["fee_level"].value = 14000
    good = ex.snapshot
    ex.controls["fee_floor"].value = "20,000"
    floor_snapshot = ex.snapshot
    ex.controls["fee_cap"].value = "5000"
    assert ex.snapshot is floor_snapshot
    assert ex.error and "below" in ex.error
    assert "Cannot use these settings" in ex.message.value
    assert "MSO fee" in ex.message.value and "Traceback" not in ex.message.value
    assert 'id="mso-npv"' in ex.table.value  # the last good table stays
    ex.controls["fee_floor"].value = ""
    ex.controls["fee_cap"].value = ""
    assert ex.error is None and ex.message.value == ""
    assert npv(ex) == good.mso_npv


def test_text_that_is_not_an_amount_shows_a_message(ex: Explorer) -> None:
    ex.controls["fee_floor"].value = "lots"
    assert "Fee floor" in ex.message.value and "lots" in ex.message.value


def test_sites_opening_after_the_horizon_show_a_message_in_words_and_recover(
        ex: Explorer) -> None:
    ex.controls["n_sites"].value = 10
    ex.controls["cadence"].value = 6
    good = ex.snapshot
    assert len(good.data["sites"]) == 10
    ex.controls["n_sites"].value = 20  # site 11 would open in month 61
    assert ex.snapshot is good  # the previous valid result stays shown
    assert "Site 11" in ex.message.value and "after the 5-year horizon" in ex.message.value
    assert "fewer sites or shorter spacing" in ex.message.value
    assert "open_month" not in ex.message.value
    ex.controls["state"].value = "TX"  # other changes still answer (no freeze) ...
    ex.controls["licence"].value = "rn"
    assert ex.snapshot is good and "Site 11" in ex.message.value
    ex.controls["cadence"].value = 3  # ... and fixing it recovers at once
    assert ex.error is None and ex.message.value == ""
    assert len(ex.snapshot.result.inputs.sites) == 20
    assert ex.snapshot.result.structure == "friendly_pc"


def test_number_boxes_reject_bad_input_visibly(ex: Explorer) -> None:
    good = ex.snapshot
    box = ex.boxes["fee_level"]
    box.value = "-5000"
    assert ex.controls["fee_level"].value == 12000  # not clamped to $0
    assert ex.snapshot is good
    assert "Fee ($/site/month)" in ex.message.value and "-5000" in ex.message.value
    assert box.has_class("mx-invalid") if hasattr(box, "has_class") else "mx-invalid" in box._dom_classes
    box.value = "abc"
    assert "abc" in ex.message.value and ex.snapshot is good
    ex.controls["rent"].value = 7000  # the bad box still blocks recomputes ...
    assert ex.snapshot is good
    box.value = "15,000"  # ... until it is fixed
    assert ex.message.value == "" and "mx-invalid" not in box._dom_classes
    assert ex.controls["fee_level"].value == 15000
    assert ex.snapshot.data["mso"]["fee"]["per_site_monthly"] == 15000
    assert ex.snapshot.data["site_defaults"]["opex"]["rent"]["monthly"] == 7000
    ex.boxes["fee_level"].value = "60000"  # beyond the slider but valid: the range widens
    assert ex.controls["fee_level"].max >= 60000 and ex.controls["fee_level"].value == 60000
    ex.boxes["horizon"].value = "6"
    assert "Horizon (months)" in ex.message.value and "from 12 to 240" in ex.message.value


def test_founder_inputs_move_the_figures(ex: Explorer) -> None:
    base = npv(ex, "self_managed")
    steps = [("rent", 14000, lambda d: d["site_defaults"]["opex"]["rent"]["monthly"] == 14000, -1),
             ("wages", 120, lambda d: d["adjustments"]["wage_multiplier"] == pytest.approx(1.2), -1),
             ("buildout", 700000, lambda d: d["site_defaults"]["startup_cost"] == 700000, -1),
             ("equipment", 400000, lambda d: sum(x["cost"] for x in d["site_defaults"]["equipment"])
              == pytest.approx(400000), -1),
             ("exit_multiple", 6.0, lambda d: d["finance"]["exit_multiple"] == 6.0, 1),
             ("loan_rate", 14.0, lambda d: d["finance"]["loan"]["rate_annual_nominal"]
              == pytest.approx(0.14), -1)]
    for key, value, check, sign in steps:
        ex.controls[key].value = value
        assert ex.error is None, (key, ex.error)
        assert check(ex.snapshot.data), key
        now = npv(ex, "self_managed")
        assert (now - base) * sign > 0, key
        base = now
    ex.controls["injectors"].value = 1.0  # fewer injectors: less capacity and payroll
    data = ex.snapshot.data["site_defaults"]
    assert data["capacity"]["providers"] == 1.0
    assert {r["name"]: r["fte"] for r in data["staffing"]["roles"]}["injector_rn"] == 0.5
    ex.controls["injector_hours"].value = 120
    assert ex.snapshot.data["site_defaults"]["capacity"]["hours_per_provider_month"] == 120
    ex.controls["loan_share"].value = 0
    assert ex.snapshot.data["finance"]["loan"]["financed_fraction"] == 0


def test_the_name_and_description_follow_the_edits(ex: Explorer, tmp_path: Path) -> None:
    assert ex.controls["name"].value == "Ohio physician, single site"
    ex.controls["state"].value = "TX"
    ex.controls["licence"].value = "rn"
    ex.controls["n_sites"].value = 2
    data = ex.snapshot.data
    assert data["name"] == "Texas registered nurse, 2 sites"
    assert ex.controls["name"].value == data["name"]
    assert "registered nurse opening 2 locations in Texas" in data["description"]
    assert "Texas registered nurse, 2 sites" in ex.title.value
    assert "Ohio" not in ex.title.value.split("Built in")[0]
    path = ex.save()
    assert path.name == "texas_registered_nurse_2_sites.yaml"
    saved = yaml.safe_load(path.read_text())
    assert saved["name"] == data["name"] and saved["owner"] == {"state": "TX", "licence": "rn"}
    ex.controls["name"].value = "Austin plan B"  # a typed name wins over the derived one
    ex.controls["n_sites"].value = 3
    assert ex.snapshot.data["name"] == "Austin plan B"


def test_saving_never_silently_reuses_the_starting_file_name(ex: Explorer, tmp_path: Path) -> None:
    ex.controls["fee_level"].value = 13000  # the name stays the starting scenario's
    assert ex.snapshot.data["name"] == "Ohio physician, single site"
    path = ex.save()
    assert path.name != OHIO.name and path.name == "ohio_physician_single_site_edited.yaml"
    assert "starting file" in ex.file_status.value


def test_reset_goes_back_to_the_starting_scenario(ex: Explorer) -> None:
    start = npv(ex)
    ex.controls["state"].value = "TX"
    ex.controls["licence"].value = "rn"
    ex.controls["fee_level"].value = 15000
    ex.controls["name"].value = "Something else"
    ex.boxes["rent"].value = "-1"
    assert ex.message.value
    ex.controls["reset"].click()
    assert ex.controls["state"].value == "OH" and ex.controls["fee_level"].value == 12000
    assert ex.controls["name"].value == "Ohio physician, single site"
    assert ex.message.value == "" and not ex.box_errors
    assert npv(ex) == start and ex.snapshot.data["name"] == "Ohio physician, single site"


def test_two_saved_scenarios_side_by_side(ex: Explorer, tmp_path: Path) -> None:
    first = ex.save()
    ex.controls["state"].value = "TX"
    ex.controls["licence"].value = "rn"
    second = ex.save()
    assert {ex.controls["cmp_a"].value, ex.controls["cmp_b"].value} == {str(first), str(second)}
    found = ex.compare_files()
    assert found is not None and len(found.results) == 2
    html = ex.side_by_side.value
    assert "Side by side" in html and "Texas registered nurse, single site" in html
    assert "Direct ownership" in html and "Owned MSO + friendly PC" in html
    for r in found.results:
        assert tables.money(r.metrics["mso"]["npv"]) in html
    assert ex.compare_files(first, tmp_path / "missing.yaml") is None
    assert "Cannot compare" in ex.compare_status.value


def test_the_cash_flow_chart_leaves_the_exit_out(ex: Explorer) -> None:
    c = ex.snapshot.charts
    for o in msomodel.OPTIONS:
        flows = ex.snapshot.result.projections[o].net_cash_flow[0]
        exit_value = ex.snapshot.result.metrics[o]["exit_value"]
        assert c.cumulative[o][-1] == pytest.approx(flows.sum() - exit_value, rel=1e-9)
        assert c.exit_value[o] == pytest.approx(exit_value)
        assert abs(c.cumulative[o][-1] - c.cumulative[o][-2]) < 0.5 * exit_value  # no spike


def test_every_term_has_a_plain_explanation(ex: Explorer) -> None:
    for term in ("NPV", "Equity IRR", "Project IRR", "Equity multiple", "Peak funding need",
                 "Payback of the switch", "Discount rate", "Friendly PC"):
        assert len(model.GLOSSARY[term]) > 40, term
        assert term in model.glossary_html()
    table = ex.table.value
    assert table.count('class="mx-term" title=') >= 12
    assert "MOIC" in table and "multiple on invested capital" in table


def test_a_successful_recompute_or_save_clears_the_error_banners(ex: Explorer, tmp_path: Path) -> None:
    ex.controls["fee_floor"].value = "9000"
    ex.controls["fee_cap"].value = "1000"
    ex.controls["save"].click()
    assert "Not saved" in ex.file_status.value and ex.message.value
    ex.controls["fee_cap"].value = ""
    assert ex.message.value == "" and "Not saved" not in ex.file_status.value
    ex.save()
    assert "Saved" in ex.file_status.value and ex.message.value == ""


def test_an_unexpected_error_shows_a_message_not_a_traceback(ex: Explorer, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(model, "compute", boom)
    ex.controls["fee_level"].value = 13000
    assert "engine exploded" in ex.message.value
    assert "Traceback" not in ex.message.value


def test_unreadable_starting_file_shows_a_message(ex: Explorer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    assert not ex.load(bad)
    assert "invalid YAML" in ex.message.value
    assert ex.snapshot is not None  # still showing the previous scenario


def test_saved_yaml_round_trips_to_the_same_figures(ex: Explorer, tmp_path: Path, capsys) -> None:
    ex.controls["n_sites"].value = 5
    ex.controls["fee_type"].value = "percentage"
    ex.controls["fee_level"].value = 11.5
    ex.controls["discount"].value = 10.5
    ex.controls["visits"].value = 104
    ex.controls["product_cost"].value = 21.3
    ex.controls["horizon"].value = 72
    ex.controls["name"].value = "Dr Lee's five sites / test"
    path = ex.save()
    assert path == tmp_path / "dr_lee_s_five_sites_test.yaml"
    text = path.read_text()
    assert "extends" not in yaml.safe_load(text)
    assert not list(tmp_path.glob(".msomodel-tmp-*"))
    again = msomodel.compare(msomodel.load_scenario(path))
    for option in msomodel.OPTIONS:
        assert again.metrics[option]["npv"] == pytest.approx(npv(ex, option), rel=1e-9, abs=0)
    assert cli.main(["validate", str(path)]) == 0
    assert cli.main(["compare", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert out["options"]["mso"]["npv"] == pytest.approx(npv(ex), rel=1e-9)
    assert "Saved" in ex.file_status.value


def test_save_refuses_an_invalid_scenario(ex: Explorer, tmp_path: Path) -> None:
    ex.controls["fee_floor"].value = "9000"
    ex.controls["fee_cap"].value = "1000"
    ex.controls["save"].click()
    assert "Not saved" in ex.file_status.value
    assert not list(tmp_path.glob("*.yaml"))


@pytest.mark.parametrize(("name", "expected"), [
    ("Ohio single site", "ohio_single_site.yaml"),
    ("../../etc/passwd", "etc_passwd.yaml"),
    (".hidden", "hidden.yaml"),
    ("   ", "scenario.yaml"),
    ("Café Rosé #2", "caf_ros_2.yaml"),
])
def test_file_names_are_sanitised(name: str, expected: str) -> None:
    assert model.safe_filename(name) == expected


def test_render_report_failure_shows_the_message(ex: Explorer, monkeypatch) -> None:
    import msomodel.report as report

    class Failed:
        ok, outputs, error = False, {}, "scenario.yaml: notebook cell 3 raised ValueError: nope"

    monkeypatch.setattr(report, "render_one", lambda *a, **k: Failed())
    assert ex.render_report() is None
    assert "The report failed" in ex.file_status.value and "nope" in ex.file_status.value


def test_render_report_links_the_pdf(ex: Explorer, monkeypatch, tmp_path: Path) -> None:
    import msomodel.report as report

    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(b"%PDF-1.4 test")

    class Done:
        ok, outputs, error = True, {"pdf": str(pdf)}, None

    calls = []
    monkeypatch.setattr(report, "render_one", lambda *a, **k: calls.append((a, k)) or Done())
    assert ex.render_report() == pdf
    assert calls[0][0][0] == ex.last_saved
    assert calls[0][1]["formats"] == ("html", "pdf")
    assert "data:application/pdf;base64," in ex.file_status.value


def test_changes_are_debounced_inside_an_event_loop(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0.05, draw=False, save_dir=tmp_path)
    runs = []
    original = ex.recompute
    ex.recompute = lambda: runs.append(1) or original()  # type: ignore[method-assign]

    async def drag() -> None:
        for level in (12500, 13000, 13500, 14000):
            ex.controls["fee_level"].value = level
        assert runs == []
        await asyncio.sleep(0.2)

    asyncio.run(drag())
    assert len(runs) == 1
    assert ex.snapshot.data["mso"]["fee"]["per_site_monthly"] == 14000


def test_slider_snapping_in_the_browser_does_not_count_as_a_change(ex: Explorer) -> None:
    before = npv(ex)
    shown = ex.controls["product_cost"].value
    ex.controls["product_cost"].value = round(shown, 1)  # what the browser sends back
    assert npv(ex) == before


def test_explore_command_is_registered() -> None:
    args = cli.build_parser().parse_args(["explore", "--port", "9123", "--no-browser"])
    assert args.command == "explore" and args.port == 9123 and args.no_browser
    assert args.func.__module__ == "msomodel.explorer_cli"


def test_voila_binds_to_localhost_only(tmp_path: Path) -> None:
    cmd = voila_command(tmp_path / "explore.ipynb", 9123)
    assert "--Voila.ip=127.0.0.1" in cmd and "--port=9123" in cmd and "--no-browser" in cmd


def test_notebook_is_committed_without_outputs_and_only_shows_the_explorer() -> None:
    nb = json.loads((ROOT / "notebooks" / "explore.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert "".join(code[0]["source"]).strip().endswith("explorer")
    assert nb == notebook_json()
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_notebook_runs_top_to_bottom(tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "notebooks" / "explore.ipynb", as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=120,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[-1].outputs
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


def test_a_control_moved_on_a_simulated_input_takes_its_distribution_along(tmp_path: Path) -> None:
    # California draws the price multiplier from PERT(0.99, 1.10, 1.19) around its 1.10.  Move
    # the average-ticket control to 130 %: the Monte Carlo must simulate around 1.30 (the same
    # relative spread, 0.99 x 1.30 / 1.10 ...), not the file's range, which no longer includes
    # the value on screen.
    cal = ROOT / "scenarios" / "california_np_three_sites.yaml"
    ex = Explorer(cal, debounce=0, draw=False, save_dir=tmp_path)
    ex.controls["ticket"].value = 130
    ex.flush()
    d = ex.snapshot.result.decision
    assert ex.snapshot.decided and ex.snapshot.result.inputs.path_value(
        "adjustments.price_multiplier") == pytest.approx(1.3)
    data = ex.scenario_dict()
    k = 1.3 / 1.1
    for dist in data["uncertainty"]["distributions"]:
        if dist["path"] == "adjustments.price_multiplier":
            dist.update(low=0.99 * k, mode=1.10 * k, high=1.19 * k)
    by_hand = msomodel.compare(msomodel.scenario_from_dict(data), trials=model.MC_TRIALS,
                               seed=model.MC_SEED).decision
    assert d.probability_best == pytest.approx(by_hand.probability_best)
    assert d.p10_npv == pytest.approx(by_hand.p10_npv)
    assert ex.snapshot.followed == ["adjustments.price_multiplier"]
    assert "The simulated ranges of prices (multiplier) move with your settings" in \
        ex.recommendation.value
    # the file's own range would answer for another scenario (and is refused by compare)
    stale = msomodel.scenario_from_dict(ex.scenario_dict())
    with pytest.raises(msomodel.ScenarioError, match="price_multiplier"):
        msomodel.compare(stale, trials=model.MC_TRIALS)
    # an untouched input keeps its distribution exactly: the volume multiplier's
    spec, moved = msomodel.analysis.distributions.follow(
        stale.uncertainty, stale, ex._start_inputs, ex.snapshot.result.inputs)
    assert moved == ["adjustments.price_multiplier"]
    assert spec.distributions[0] == stale.uncertainty.distributions[0]
