"""Every CLI command, in-process (fast) and through the installed entry point (real exit codes)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy_financial as npf
import pytest

import msomodel
from msomodel.cli import main
from tests.conftest import CASES, ROOT

OHIO = str(ROOT / "scenarios" / "ohio_physician_single_site.yaml")
BAD = str(CASES / "bad" / "07_negative.yaml")


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_ok_and_bad(capsys):
    code, out, _ = run(capsys, "validate", OHIO)
    assert code == 0 and "ok (Ohio physician, single site, 1 site(s))" in out
    code, out, err = run(capsys, "validate", OHIO, BAD)
    assert code == 2
    assert "ok" in out
    assert f"{BAD}: site_defaults.service_lines[treatment].volume_per_month: expected a value >= 0, found -5" in err


def test_compare_table(capsys):
    code, out, _ = run(capsys, "compare", OHIO)
    assert code == 0
    for text in ("Direct ownership", "Self-managed", "Third-party MSO", "Self-managed + software",
                 "NPV (60 months)", "Probability best", "Equity IRR (levered, with exit)",
                 "Project IRR (unlevered, with exit)", "What would flip it", "Recommendation:",
                 "Break-even third-party MSO fee (against self-managed):", "not legal advice"):
        assert text in out


def test_compare_table_says_a_sweep_fee_has_no_break_even_and_a_flat_one_has(capsys):
    code, out, _ = run(capsys, "compare", "scenarios/california_np_three_sites.yaml", "--trials", "0")
    assert code == 0
    assert ("Management fee (PC to your MSO): a sweep leaving the PC 0.00% of collections; a sweep "
            "has no break-even level (the PC keeps what the sweep leaves it).") in out
    assert "at which the PC breaks even" not in out
    assert "1.67x the tier rates (scenario: 1.00x the tier rates)" in out
    code, out, _ = run(capsys, "compare", "scenarios/florida_entrepreneur_five_sites.yaml", "--trials", "0")
    assert code == 0 and "Management fee at which the PC breaks even: $" in out


def test_compare_json_contract(capsys):
    code, out, _ = run(capsys, "compare", OHIO, "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["schema_version"] == 2
    assert set(d) >= {"scenario", "structure", "assumptions", "options", "incremental",
                      "breakeven", "pc_breakeven", "recommendation", "compliance"}
    assert d["structure"]["id"] == "direct" and d["pc_breakeven"] is None
    rec = d["recommendation"]
    assert rec["trials"] == 2000 and rec["seed"] == 1 and rec["verdict"] in (
        "recommended", "too_close")
    assert sum(rec["probability_best"].values()) == pytest.approx(1.0)
    assert rec["margin"] == pytest.approx(
        d["options"][rec["leader"]]["npv"] - d["options"][rec["runner_up"]]["npv"], rel=1e-12)
    assert set(d["scenario"]) >= {"name", "path", "sha256"}
    assert d["assumptions"]["horizon_months"] == 60
    assert set(d["options"]) == {"self_managed", "mso", "software_only"}
    for o in d["options"].values():
        assert set(o) >= {"feasible", "npv", "project_irr_annual", "equity_irr_annual",
                          "equity_multiple", "exit_value", "npv_without_exit", "p10_npv",
                          "probability_best", "payback_month", "monthly_net_cash_flow", "annual"}
        assert o["npv_without_exit"] + o["pv_exit"] == pytest.approx(o["npv"], rel=1e-12)
        assert {"year", "revenue", "ebitda"} <= set(o["annual"][0])
        r = (1 + d["assumptions"]["discount_rate_annual"]) ** (1 / 12) - 1
        assert npf.npv(r, o["monthly_net_cash_flow"]) == pytest.approx(o["npv"], rel=1e-12)
    assert set(d["incremental"]) == {"mso", "software_only"}
    assert set(d["incremental"]["mso"]) >= {"npv", "irr_annual", "payback_month"}
    assert d["breakeven"]["level"] > 0 and d["recommendation"]["leader"] in d["options"]
    assert "not legal advice" in d["compliance"]["disclaimer"]


def test_compare_csv(capsys):
    code, out, _ = run(capsys, "compare", OHIO, "--format", "csv", "--trials", "0")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows[0].keys() == {"option", "metric", "year", "value"}
    npv = {r["option"]: float(r["value"]) for r in rows if r["metric"] == "npv" and not r["year"]}
    code, out, _ = run(capsys, "compare", OHIO, "--format", "json", "--trials", "0")
    d = json.loads(out)
    assert npv == {k: v["npv"] for k, v in d["options"].items()}


def test_compare_both_structures_side_by_side(capsys):
    code, out, _ = run(capsys, "compare", OHIO, "--structure", "both", "--format", "json",
                       "--trials", "0")
    d = json.loads(out)
    assert code == 0 and d["schema_version"] == 2
    assert [s["structure"]["id"] for s in d["structures"]] == ["direct", "friendly_pc"]
    direct, pc = d["structures"]
    assert pc["pc_breakeven"] is not None and "entities" in pc["options"]["self_managed"]
    # the friendly PC costs its structuring, so in-house is worth less under it
    assert pc["options"]["self_managed"]["npv"] < direct["options"]["self_managed"]["npv"]
    code, out, _ = run(capsys, "compare", OHIO, "--structure", "both", "--trials", "0")
    assert "— Direct ownership ==" in out and "— Owned MSO + friendly PC ==" in out


def test_compare_trials_flag_is_checked(capsys):
    with pytest.raises(SystemExit) as info:
        main(["compare", OHIO, "--trials", "-3"])
    assert info.value.code == 2
    assert "argument --trials: expected 0 to 1,000,000, found -3" in capsys.readouterr().err


def test_schema(capsys):
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    assert code == 0 and schema["additionalProperties"] is False
    assert {"name", "sites", "site_defaults", "mso", "software"} <= set(schema["required"])


def test_rules(capsys):
    code, out, _ = run(capsys, "rules", "OH", "--licence", "pa")
    assert code == 0 and "supervision" in out.lower() and "not legal advice" in out
    code, _, err = run(capsys, "rules", "XX")
    assert code == 2 and "XX" in err


def test_entry_point_bad_input_exit_code_and_no_traceback(tmp_path: Path):
    exe = Path(sys.executable).parent / "msomodel"
    proc = subprocess.run([str(exe), "compare", BAD], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "expected a value >= 0" in proc.stderr
    proc = subprocess.run([str(exe), "compare", str(tmp_path / "nope.yaml")], capture_output=True, text=True)
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_reference_doc_is_generated_from_schema(capsys):
    code, out, _ = run(capsys, "schema", "--markdown")
    assert code == 0
    committed = (ROOT / "docs" / "scenario-reference.md").read_text()
    assert committed == out, "docs/scenario-reference.md is stale: run `msomodel schema --markdown`"


def test_grid_command(capsys, tmp_path):
    chart = tmp_path / "grid.png"
    code, out, _ = run(capsys, "grid", OHIO, "--x", "mso.fee.level", "--x-values", "8000:24000:5",
                       "--y", "mso.purchasing_discount", "--y-values", "0,0.08", "--format", "json",
                       "--chart", str(chart))
    assert code == 0 and chart.stat().st_size > 10_000
    d = json.loads(out)
    assert d["x"]["values"] == [8000, 12000, 16000, 20000, 24000]
    # at the scenario's own discount (0.08), on a fine grid around it, the grid's break-even
    # (linear interpolation between columns) equals the directly solved fee
    code, out, _ = run(capsys, "grid", OHIO, "--x", "mso.fee.level", "--x-values", "18000:18700:8",
                       "--y", "mso.purchasing_discount", "--y-values", "0,0.08", "--format", "json")
    direct = json.loads(run(capsys, "compare", OHIO, "--format", "json")[1])["breakeven"]["level"]
    assert json.loads(out)["breakeven_x"][1] == pytest.approx(direct, rel=1e-6)
    code, _, err = run(capsys, "grid", OHIO, "--x", "mso.fee.levl", "--x-values", "1:2:2",
                       "--y", "mso.purchasing_discount", "--y-values", "0,0.1")
    assert code == 2 and "did you mean 'mso.fee.level'" in err


def test_grid_rejects_two_names_for_the_same_input(capsys):
    code, _, err = run(capsys, "grid", OHIO, "--x", "mso.fee.level", "--x-values", "1000:2000:2",
                       "--y", "mso.fee.per_site_monthly", "--y-values", "1000,2000")
    assert code == 2 and "name the same input" in err


def test_explore_reports_a_bad_starting_scenario_before_serving(capsys):
    code, _, err = run(capsys, "explore", "--no-browser", "--scenario", BAD)
    assert code == 2 and "expected a value >= 0" in err


def test_the_reference_minimal_example_validates_and_compares(tmp_path):
    import re

    text = (ROOT / "docs" / "scenario-reference.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    (tmp_path / "client.yaml").write_text(example)
    s = msomodel.load_scenario(tmp_path / "client.yaml")
    r = msomodel.compare(s, trials=0)
    assert (s.owner.state, s.owner.licence, len(s.sites)) == ("AZ", "pa", 2)
    assert all(f.allowed for f in r.feasibility.values())
    for section in ("## structure.friendly_pc", "## uncertainty.distributions[] (dist: pert)",
                    "## fee (type: tiered)", "`extends:`"):
        assert section in text
    assert "mapping or mapping" not in text


def test_validate_a_folder_checks_every_scenario_and_skips_only_bases(capsys, tmp_path):
    good = (CASES / "good_base.yaml").read_text()
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "shared.yaml").write_text(good)       # a subfolder: not searched
    (tmp_path / "partial.yaml").write_text("extends: common/shared.yaml\nsite_defaults: {startup_cost: -1}\n"
                                           "name: [not, text]\n")  # only a base: fixed below
    (tmp_path / "a_client.yaml").write_text("extends: partial.yaml\nname: Client A\n"
                                            "site_defaults: {startup_cost: 0}\n")
    (tmp_path / "b_broken.yaml").write_text("extends: common/shared.yaml\nsites: [{name: X, open_month: 99}]\n"
                                            "finance: {tax_rate: 2}\n")
    (tmp_path / "c_standalone.yaml").write_text(good)
    (tmp_path / "d_variant.yaml").write_text("extends: c_standalone.yaml\nname: Variant\n")
    (tmp_path / "notes.txt").write_text("not yaml")
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'a_client.yaml'}: ok (Client A, 1 site(s))" in out
    assert f"{tmp_path / 'partial.yaml'}: skipped, a base of a_client.yaml" in out
    assert f"{tmp_path / 'c_standalone.yaml'}: ok" in out  # extended, but a scenario itself
    assert f"{tmp_path / 'd_variant.yaml'}: ok (Variant" in out
    assert err.splitlines() == [  # every problem of the broken file, in file order
        f"{tmp_path / 'b_broken.yaml'}: sites[X].open_month: expected a month within the horizon "
        "(<= 24), found 99 (line 2, column 31)",
        f"{tmp_path / 'b_broken.yaml'}: finance.tax_rate: expected a value <= 1, found 2 (line 3, column 21)"]


def test_validate_an_empty_folder_is_an_error(capsys, tmp_path):
    code, out, err = run(capsys, "validate", str(tmp_path), OHIO)
    assert code == 2 and "ok" in out
    assert f"{tmp_path}: expected a folder with *.yaml scenario files, found none" in err


@pytest.mark.parametrize("command, texts", [
    (["validate"], ["SCENARIO", "folder", "examples:", "msomodel validate scenarios/", "exit",
                    "MSOMODEL_MAX_FILE_BYTES", "sites[Phoenix]", "extends"]),
    (["schema"], ["--markdown", "default: JSON", "examples:", "msomodel schema >"]),
    (["compare"], ["SCENARIO", "a scenario file (YAML", "msomodel:NAME"]),
])
def test_help_describes_arguments_with_an_example(capsys, command, texts):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert info.value.code == 0
    for text in texts:
        assert " ".join(text.split()) in out, text


def test_distribution_parameters_outside_the_fields_range_are_input_errors(capsys, tmp_path):
    path = tmp_path / "dist.yaml"
    path.write_text(f"extends: {CASES / 'good_base.yaml'}\nuncertainty:\n  distributions:\n"
                    "    - {path: mso.purchasing_discount, dist: normal, mean: -1000000000000, sd: 0.1}\n"
                    "    - {path: mso.purchasing_discount_max, dist: uniform, low: -5, high: 0.3}\n")
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert err.splitlines() == [
        f"{path}: uncertainty.distributions.0.mean: expected a value the input "
        "mso.purchasing_discount can take (>= 0 and <= 1), found -1e+12 (line 4, column 59)",
        f"{path}: uncertainty.distributions.1.low: expected a value the input "
        "mso.purchasing_discount_max can take (>= 0 and <= 1), found -5 (line 5, column 63)"]
    code, _, err = run(capsys, "compare", str(path))  # the decision's Monte Carlo says the same
    assert code == 2 and "uncertainty.distributions.0.mean" in err and "Traceback" not in err


def test_a_distribution_that_leaves_out_the_scenarios_own_value_is_an_input_error(capsys,
                                                                                  tmp_path):
    """A file that raises its prices but keeps its base's price distribution would have a
    Monte Carlo of another scenario beside its base case: named, with the way out."""
    path = tmp_path / "dear.yaml"
    path.write_text(f"extends: {OHIO}\nadjustments:\n  price_multiplier: 1.2\n")
    # located in the base that sets the distribution (its line), as validation's problems are
    line = next(i for i, t in enumerate(Path(OHIO).read_text().splitlines(), 1)
                if "{path: adjustments.price_multiplier" in t)
    expected = (f"{path}: extends {OHIO}: uncertainty.distributions.1: expected a distribution "
                "that includes the scenario's value of adjustments.price_multiplier (1.2), found "
                "one from 0.9 to 1.08: its trials would simulate another scenario (center it on "
                "the value; a file that extends a base restates uncertainty.distributions whole) "
                f"(line {line}, column 7)")
    for command in ("validate", "compare", "simulate"):
        code, out, err = run(capsys, command, str(path))
        assert (code, err.splitlines()) == (2, [expected]), command
    code, _, err = run(capsys, "compare", str(path), "--trials", "0")  # no Monte Carlo: no clash
    assert (code, err) == (0, "")
    # inside the range (its ends included), and a normal within 4 sd, pass
    path.write_text(f"extends: {OHIO}\nadjustments:\n  price_multiplier: 1.08\n"
                    "  wage_multiplier: 1.239\n")
    assert run(capsys, "validate", str(path))[0] == 0
    path.write_text(f"extends: {OHIO}\nadjustments:\n  wage_multiplier: 1.241\n")
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2 and "adjustments.wage_multiplier (1.241), found one from 0.76 to 1.24" in err
    # a spec passed to simulate from Python is the caller's what-if, not checked against the file
    s = msomodel.load_scenario(OHIO)
    spec = {"distributions": [{"path": "adjustments.price_multiplier", "dist": "uniform",
                               "low": 1.3, "high": 1.4}]}
    assert msomodel.analysis.simulate(s, spec, 10, seed=1).samples[
        "adjustments.price_multiplier"].min() >= 1.3


def test_every_subcommand_help_has_an_example(capsys):
    from msomodel.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert {"init", "diff", "compare", "report", "rules", "explore", "simulate",
            "export"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        out = capsys.readouterr().out
        assert "example" in out, name
        assert "%%" not in out, name


@pytest.mark.parametrize("command", [
    ["sensitivity", "scenarios/texas_rn_single_site.yaml"],
    ["simulate", "scenarios/texas_rn_single_site.yaml", "--trials", "20"],
    ["grid", "scenarios/texas_rn_single_site.yaml", "--x", "mso.fee.per_site_monthly",
     "--x-values", "8000:12000:3", "--y", "mso.purchasing_discount", "--y-values", "0:0.1:3"]])
def test_a_chart_that_cannot_be_written_is_an_input_error_before_any_output(capsys, tmp_path,
                                                                             command):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "folder.png").mkdir()
    for where, why in ((tmp_path / "afile" / "c.png", "a file stands where a folder of the path "
                                                      "should be"),
                       (tmp_path / "folder.png", "a folder has this name")):
        code, out, err = run(capsys, *command, "--chart", str(where))
        assert code == 2, err
        assert out == ""  # no table printed before the failure
        assert f"--chart {where}: cannot write it there ({why})" in err
        assert "Traceback" not in err and ".msomodel-tmp-" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "folder.png"]
    assert list((tmp_path / "folder.png").iterdir()) == []  # no temporary left behind


def test_written_files_get_the_umasks_permissions_not_mkstemps(capsys, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        code, _, err = run(capsys, "sensitivity", "scenarios/texas_rn_single_site.yaml",
                           "--chart", str(tmp_path / "t.png"))
        assert code == 0, err
        code, _, err = run(capsys, "init", str(tmp_path / "new"), "--state", "AZ", "--licence",
                           "pa", "--sites", "1", "--name", "Arizona")
        assert code == 0, err
    finally:
        os.umask(old)
    for path in (tmp_path / "t.png", tmp_path / "new" / "arizona.yaml"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_option_values_are_checked_by_name(capsys, tmp_path):
    def fails(*args: str) -> str:
        try:  # argparse's own errors exit from inside main()
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
        err = capsys.readouterr().err
        assert code == 2, (args, err)
        assert "Traceback" not in err and ".msomodel-init-" not in err
        return err

    texas = "scenarios/texas_rn_single_site.yaml"
    init = ["init", str(tmp_path / "i"), "--state", "AZ", "--licence", "pa", "--sites", "1"]
    assert "argument --seed: expected a whole number >= 0, found -1" in fails(
        "compare", texas, "--seed", "-1")
    assert "argument --seed: expected a whole number >= 0, found -1" in fails(
        "export", texas, "-o", str(tmp_path / "s.xlsx"), "--seed", "-1")
    assert "argument --seed: expected a whole number >= 0, found 'x'" in fails(
        "simulate", texas, "--seed", "x")
    assert "argument --start: expected a month YYYY-MM" in fails(*init, "--start", "03/2026")
    assert "between 1900-01 and 9979-12" in fails(*init, "--start", "9999-12")
    assert "argument --spacing: expected a whole number >= 1" in fails(*init, "--spacing", "-3")
    assert "--name: expected one line of text" in fails(*init, "--name", "a\nb: c")
    assert not (tmp_path / "i").exists() or not list((tmp_path / "i").iterdir())
    assert not (tmp_path / "s.xlsx").exists()
    code, _, err = run(capsys, "init", str(tmp_path / "j"), "--state", "AZ", "--licence", "pa",
                       "--sites", "3", "--spacing", "100")
    assert code == 0 and "the sites open 29 months apart" in err


def test_a_start_month_whose_projection_leaves_the_calendar_is_refused(capsys, tmp_path):
    path = tmp_path / "far.yaml"
    path.write_text(f"extends: {ROOT / 'scenarios' / 'texas_rn_single_site.yaml'}\n"
                    "finance: {start: 9999-12}\n")
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert ("finance.start: expected a month whose 60-month projection ends by the year 9999, "
            "found '9999-12' (it would end in 10004)") in err


def test_a_correlation_naming_a_misspelt_distribution_points_at_the_typo(capsys, tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(f"extends: {ROOT / 'scenarios' / 'texas_rn_single_site.yaml'}\n"
                    "uncertainty:\n  distributions:\n"
                    "    - {path: adjustments.volume_multipler, dist: pert, low: 0.7, mode: 1.0, "
                    "high: 1.15}\n  correlations:\n"
                    "    - {paths: [adjustments.volume_multiplier, adjustments.price_multiplier], "
                    "rank_correlation: 0.3}\n")
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert "(a distribution names 'adjustments.volume_multipler': is one of the two misspelt?)" in err


def test_a_folder_counts_scenario_files_whatever_the_case_of_their_extension(capsys, tmp_path):
    from msomodel.report.sources import expand_paths

    text = (ROOT / "scenarios" / "texas_rn_single_site.yaml").read_text()
    (tmp_path / "TEXAS.YAML").write_text(text)
    (tmp_path / "Texas2.Yml").write_text(text)
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert code == 0, err
    assert "TEXAS.YAML: ok" in out and "Texas2.Yml: ok" in out
    files, missing, empty = expand_paths([tmp_path], [])
    assert sorted(Path(p).name for p in files) == ["TEXAS.YAML", "Texas2.Yml"] and not missing


def test_a_scenario_path_that_is_no_file_says_what_it_is(capsys, tmp_path):
    for path, what in (("/dev/null", "a device or pipe, not a file"), (str(tmp_path), "a folder"),
                       (str(tmp_path / "gone.yaml"), "no such file")):
        for command in (["simulate", path, "--trials", "10"], ["sensitivity", path]):
            code, _, err = run(capsys, *command)
            assert code == 2 and f"{path}: expected a scenario file, found {what}" in err, err
    code, _, err = run(capsys, "validate", "/dev/null")
    assert code == 2 and "found a device or pipe, not a file" in err


def test_replacing_a_file_keeps_its_own_permissions(tmp_path):
    import os
    import stat

    from msomodel.atomic import replacing

    private = tmp_path / "private.yaml"
    private.write_text("old")
    os.chmod(private, 0o600)
    with replacing(private) as tmp:
        Path(tmp).write_text("new")
    assert private.read_text() == "new" and stat.S_IMODE(private.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["private.yaml"]


def test_diff_reports_the_problems_of_both_files_not_only_the_first(capsys, tmp_path):
    before = tmp_path / "v1.yaml"
    after = tmp_path / "v2.yaml"
    before.write_text("name: V1\nsites: not-a-list\n", encoding="utf-8")
    after.write_text("name: V2\nowner: {state: ZZ, licence: np}\nsites: []\n", encoding="utf-8")
    code, out, err = run(capsys, "diff", str(before), str(after), "--trials", "0")
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"{before}: sites" in err and f"{after}: " in err and "owner.state" in err
    good = ROOT / "scenarios" / "texas_rn_single_site.yaml"
    code, out, err = run(capsys, "diff", str(good), str(after), "--trials", "0")
    assert code == 2 and str(good) not in err and f"{after}: " in err


def test_diff_reports_the_monte_carlo_problems_of_both_files(capsys, tmp_path):
    """Problems only the inputs can show (a range leaving out the scenario's value) are checked
    in both files before either is simulated: both files' problems, with their lines."""
    texas = ROOT / "scenarios" / "texas_rn_single_site.yaml"

    def scenario(name: str, low: float, high: float) -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"extends: {texas}\nname: {name}\nuncertainty:\n  distributions:\n"
                        f"    - {{path: adjustments.volume_multiplier, dist: uniform, low: {low}, "
                        f"high: {high}}}\n    - {{path: adjustments.price_multiplier, "
                        f"dist: uniform, low: 0.9, high: 1.1}}\n", encoding="utf-8")
        return path

    before, after, good = scenario("v1", 1.3, 1.5), scenario("v2", 0.5, 0.8), scenario("ok", 0.8, 1.2)
    code, out, err = run(capsys, "diff", str(before), str(after), "--trials", "50")
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"{before}: uncertainty.distributions.0" in err and "from 1.3 to 1.5" in err
    assert f"{after}: uncertainty.distributions.0" in err and "from 0.5 to 0.8" in err
    assert err.count("(line 5, column 7)") == 2
    code, out, err = run(capsys, "diff", str(good), str(after), "--trials", "50")
    assert code == 2 and str(good) not in err and f"{after}: " in err
    code, out, err = run(capsys, "diff", str(before), str(after), "--trials", "0")  # none run
    assert code == 0 and "The recommendation is the same." in out


def test_uncertainty_problems_found_after_validation_name_their_line(capsys, tmp_path):
    """A --spec file's problems, and those of a scenario's own section that only the inputs can
    show (a misspelt path, a range leaving out the scenario's value), give line and column."""
    texas = ROOT / "scenarios" / "texas_rn_single_site.yaml"
    head = ("# a what-if\n"
            "distributions:\n"
            "  - {path: adjustments.volume_multiplier, dist: pert, low: 0.7, mode: 1.0, high: 1.15}\n")
    typo = tmp_path / "typo.yaml"
    typo.write_text(head + "  - {path: adjustments.no_such_input, dist: uniform, low: 0, high: 1}\n",
                    encoding="utf-8")
    code, out, err = run(capsys, "simulate", str(texas), "--spec", str(typo))
    assert code == 2 and out == ""
    assert f"{typo}: uncertainty.distributions.1.path: expected a numeric input" in err
    assert err.rstrip().endswith("(line 4, column 12)"), err
    name = tmp_path / "name.yaml"
    name.write_text(head + "  - {path: adjustments.price_multiplier, dist: normall, mean: 1}\n",
                    encoding="utf-8")
    for command in ("simulate", "sensitivity"):
        code, out, err = run(capsys, command, str(texas), "--spec", str(name))
        assert code == 2 and out == ""
        assert f"{name}: uncertainty.distributions.1.dist: expected one of" in err
        assert err.rstrip().endswith("(line 4, column 48)"), err
    text = texas.read_text(encoding="utf-8")
    bad = tmp_path / "texas.yaml"
    bad.write_text(text.replace("path: software.admin_hours_saved", "path: software.admin_hours_savd")
                   .replace("low: 0.90, mode: 1.0, high: 1.08", "low: 1.02, mode: 1.05, high: 1.08"),
                   encoding="utf-8")
    lines = text.splitlines()
    typo = next(i for i, t in enumerate(lines, 1) if "software.admin_hours_saved" in t)
    price = next(i for i, t in enumerate(lines, 1) if "low: 0.90, mode: 1.0, high: 1.08" in t)
    for argv in (["validate"], ["compare", "--trials", "100"], ["simulate", "--trials", "100"]):
        code, _, err = run(capsys, argv[0], str(bad), *argv[1:])
        assert code == 2, err
        assert "uncertainty.distributions.1: expected a distribution that includes" in err
        assert f"(line {price}, column 7)" in err
        if argv[0] == "validate":  # the others stop at the first check that fails
            assert "distributions.5.path: expected a numeric input" in err
            assert f"(line {typo}, column 14)" in err
