"""The explorer without a browser: set widget values, read the outputs."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import yaml

import msomodel
from msomodel import cli, tables
from msomodel.explorer import Explorer, model
from msomodel.explorer.app import notebook_json, voila_command

ROOT = Path(__file__).resolve().parents[1]
OHIO = ROOT / "scenarios" / "ohio_physician_single_site.yaml"
FLORIDA = ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml"


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
        expected = msomodel.compare(msomodel.load_scenario(path))
        for option in msomodel.OPTIONS:
            assert npv(ex, option) == expected.metrics[option]["npv"], (path.name, option)


def test_page_parts_are_filled(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0, draw=True, save_dir=tmp_path)
    assert 'id="mso-npv"' in ex.table.value
    assert tables.money(npv(ex)) in ex.table.value
    assert "highest value" in ex.recommendation.value
    assert "Break-even MSO fee" in ex.recommendation.value
    assert all(bytes(img.value).startswith(b"\x89PNG") for img in ex.images.values())
    assert ex.message.value == ""
    assert "Traceback" not in ex.widget._repr_mimebundle_()["text/plain"]


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


def test_what_drives_the_answer_is_the_tornado_of_the_current_settings(ex: Explorer) -> None:
    d = ex.drivers
    assert d is not None and not d.declared
    assert d.base["mso"] == pytest.approx(shown_incremental_npv(ex), rel=1e-9, abs=1e-6)
    assert d.base["software_only"] == pytest.approx(shown_incremental_npv(ex, "software_only"),
                                                    rel=1e-9, abs=1e-6)
    assert "mso.fee.level" in d.ranking("mso")
    assert "mso.fee.level" not in d.ranking("software_only")
    assert "software.no_show_reduction" in d.ranking("software_only")
    labels = {r.path: r.label for r in d.rows["mso"]}
    assert labels["mso.fee.level"] == "MSO fee"
    assert labels["mso.purchasing_discount"] == "Purchasing discount"
    assert labels["adjustments.volume_multiplier"] == "Visits per month (volume multiplier)"
    fee = next(r for r in d.rows["mso"] if r.path == "mso.fee.level")
    assert (fee.low_text, fee.high_text) == ("$9,600", "$14,400")  # +-20 % of $12,000
    assert fee.low_npv > d.base["mso"] > fee.high_npv  # a higher fee lowers the advantage
    swings = [r.swing for r in d.rows["mso"]]
    assert swings == sorted(swings, reverse=True)
    assert tables.money(d.base["mso"]) in ex.drivers_text.value
    assert "Third-party MSO" in ex.drivers_text.value

    ex.controls["fee_level"].value = 15000  # the tornado follows the settings
    d2 = ex.drivers
    assert d2 is not d and d2.base["mso"] < d.base["mso"]
    assert d2.base["mso"] == pytest.approx(shown_incremental_npv(ex), rel=1e-9, abs=1e-6)
    fee = next(r for r in d2.rows["mso"] if r.path == "mso.fee.level")
    assert (fee.low_value, fee.high_value) == pytest.approx((12000, 18000))
    assert ex.timings_ms["tornado"] > 0

    ex.controls["discount"].value = 12.0
    discount = next(r for r in ex.drivers.rows["mso"] if r.path == "mso.purchasing_discount")
    assert (discount.low_text, discount.high_text) == ("9.6%", "14.4%")


def test_the_drivers_toggle_shows_software_without_recomputing(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0, draw=True, save_dir=tmp_path)
    d, mso_png = ex.drivers, bytes(ex.drivers_image.value)
    assert mso_png.startswith(b"\x89PNG")
    assert ex.drivers_outcome.value == "mso"
    ex.drivers_outcome.value = "software_only"
    assert ex.drivers is d  # redrawn from the same tornado
    assert bytes(ex.drivers_image.value) != mso_png
    assert "Software only" in ex.drivers_text.value
    assert tables.money(d.base["software_only"]) in ex.drivers_text.value
    ex.controls["sw_price"].value = 900  # a recompute keeps the chosen outcome
    assert ex.drivers_outcome.value == "software_only" and ex.drivers is not d
    assert "Software only" in ex.drivers_text.value


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
    assert ex.drivers.declared and ex.drivers.ranking("mso") == ["mso.fee.level",
                                                                 "mso.purchasing_discount"]
    assert "declares" in ex.drivers_text.value
    ex.controls["fee_type"].value = "percentage"  # a dollar range no longer fits a percentage
    assert ex.message.value == ""
    assert not ex.drivers.declared and "20%" in ex.drivers_text.value
    assert "do not fit" in ex.drivers_text.value
    assert "mso.fee.level" in ex.drivers.ranking("mso")


def test_live_the_table_comes_first_and_the_drivers_follow(tmp_path: Path) -> None:
    ex = Explorer(OHIO, debounce=0.05, draw=False, save_dir=tmp_path)
    before = ex.drivers

    async def change() -> None:
        ex.controls["fee_level"].value = 15000
        await asyncio.sleep(0.12)  # the debounce fires: table now, drivers in the next step

    asyncio.run(change())
    assert ex.drivers is not before
    assert ex.drivers.base["mso"] == pytest.approx(shown_incremental_npv(ex), rel=1e-9, abs=1e-6)

    async def step() -> None:
        ex.controls["fee_level"].value = 16000
        ex.recompute()  # inside a running loop: the table now ...
        stale = ex.drivers
        assert ex.snapshot.data["mso"]["fee"]["per_site_monthly"] == 16000
        assert stale.base["mso"] != pytest.approx(shown_incremental_npv(ex), rel=1e-9)
        await asyncio.sleep(0)  # ... and the drivers in the next step of the loop
        assert ex.drivers is not stale
        ex.controls["fee_level"].value = 17000
        ex.flush()  # flush runs both at once
        assert ex.drivers.base["mso"] == pytest.approx(shown_incremental_npv(ex), rel=1e-9)

    asyncio.run(step())
    assert ex.drivers.base["mso"] == pytest.approx(shown_incremental_npv(ex), rel=1e-9, abs=1e-6)


def test_controls_that_do_nothing_are_disabled_with_a_note(ex: Explorer) -> None:
    assert all(not box.disabled for box in ex.role_boxes.values())
    assert ex.roles_note.value == ""
    mso = npv(ex)
    ex.controls["mso_kind"].value = "owned"  # the owned MSO employs the admin staff itself
    assert all(box.disabled for box in ex.role_boxes.values())
    assert "owned MSO" in ex.roles_note.value
    owned = npv(ex)
    ex.role_boxes["office_manager"].value = False
    assert npv(ex) == owned  # really does nothing
    ex.controls["mso_kind"].value = "third_party"
    assert all(not box.disabled for box in ex.role_boxes.values()) and ex.roles_note.value == ""
    assert npv(ex) < mso

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
    assert "software.no_show_reduction" not in ex.drivers.ranking("software_only")


def test_state_and_licence_update_feasibility(ex: Explorer) -> None:
    assert ex.snapshot.result.feasibility["self_managed"].allowed
    ex.controls["state"].value = "TX"
    ex.controls["licence"].value = "rn"
    assert not ex.snapshot.result.feasibility["self_managed"].allowed
    assert "Not permitted" in ex.table.value
    assert any(sev == "bad" for sev, _ in ex.snapshot.notes)


def test_mso_kind_and_hybrid_fee(ex: Explorer) -> None:
    ex.controls["mso_kind"].value = "owned"
    assert ex.snapshot.result.label("mso") == "Owned MSO + friendly PC"
    ex.controls["fee_type"].value = "hybrid"
    assert ex.controls["fee_base"].layout.display == ""
    ex.controls["fee_base"].value = 2000
    fee = ex.snapshot.data["mso"]["fee"]
    assert fee["type"] == "hybrid" and fee["base_per_site_monthly"] == 2000
    ex.controls["fee_type"].value = "flat"  # back to the scenario's structure and level
    assert ex.controls["fee_level"].value == 12000
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


def test_sites_opening_after_the_horizon_show_a_message(ex: Explorer) -> None:
    ex.controls["n_sites"].value = 12
    ex.controls["cadence"].value = 12
    assert "within the horizon" in ex.message.value


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
