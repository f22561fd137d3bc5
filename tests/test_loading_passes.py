"""Loading: every problem in one pass, named and located; extends chains; packaged bases; the
C parser; each file parsed once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import msomodel
from msomodel.loading import tree, yamlio
from tests.conftest import CASES, ROOT

GOOD_BASE = CASES / "good_base.yaml"


def problems(path) -> list[str]:
    with pytest.raises(msomodel.ScenarioError) as info:
        msomodel.load_scenario(path)
    return str(info.value).splitlines()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- one pass
MULTI = f"""\
extends: {GOOD_BASE}
finance:
  discount_rte_annual: 0.1
site_defaults:
  startup_cost: -5
  no_show_rate: true
mso:
  absorbed_roles: [receptionist]
compliance:
  condition_costs: {{lawyer_fees: {{monthly: 10}}}}
sites:
  - name: Only
  - name: Phoenix
    open_month: 30
    overrides:
      service_lines: [{{name: treatment, price: -1}}]
      staffing: {{payrol_load: 0.1}}
"""


def test_every_problem_in_one_pass(tmp_path):
    """Field errors, scenario-wide checks (each stops at its first problem in pydantic) and site
    overrides (merged only once the scenario is valid): all in one run, in file order."""
    f = write(tmp_path / "multi.yaml", MULTI)
    lines = problems(f)
    expected = [
        "finance.discount_rte_annual: expected a known field (did you mean 'discount_rate_annual'?)"
        ", found unknown field 'discount_rte_annual' (line 3, column 3)",
        "site_defaults.startup_cost: expected a value >= 0, found -5 (line 5, column 17)",
        "site_defaults.no_show_rate: expected a number, found true",
        "mso.absorbed_roles: expected one of the roles ['admin', 'injector'], found 'receptionist'"
        " (line 8, column 19)",
        "compliance.condition_costs.lawyer_fees: expected a condition that applies to this "
        "owner's state and license (none), found 'lawyer_fees'",
        "sites[Phoenix].open_month: expected a month within the horizon (<= 24), found 30"
        " (line 14, column 17)",
        "sites[Phoenix].overrides.service_lines[treatment].price: expected a value >= 0, found -1"
        " (line 16, column 48)",
        "sites[Phoenix].overrides.staffing.payrol_load: expected a known field (did you mean "
        "'payroll_load'?), found unknown field 'payrol_load' (line 17, column 18)",
    ]
    for text in expected:
        assert sum(text in line for line in lines) == 1, (text, lines)
    assert len(lines) == len(expected)
    assert all(line.startswith(f"{f}: ") for line in lines)
    numbers = [int(line.split("(line ")[1].split(",")[0]) for line in lines if "(line " in line]
    assert numbers == sorted(numbers)


def test_scenario_wide_checks_after_a_valid_file_report_them_all(tmp_path):
    f = write(tmp_path / "x.yaml", f"extends: {GOOD_BASE}\nmso: {{absorbed_roles: [nobody]}}\n"
              "sites: [{name: Only, open_month: 30}]\n")
    lines = problems(f)
    assert len(lines) == 2
    assert "mso.absorbed_roles:" in lines[0] and "sites[Only].open_month:" in lines[1]


def test_stand_ins_for_bad_numbers_raise_no_false_alarms(tmp_path):
    # the bad fee level is set aside for the second look; the fee's own check (floor <= cap)
    # holds a stand-in, so it is not reported; the scenario-wide check still is
    f = write(tmp_path / "x.yaml", f"extends: {GOOD_BASE}\nmso:\n  absorbed_roles: [nobody]\n"
              "  fee: {type: flat, per_site_monthly: -1, floor_per_site_monthly: 0}\n")
    lines = problems(f)
    assert len(lines) == 2, lines
    assert "mso.fee.per_site_monthly: expected a value >= 0, found -1" in lines[1]
    assert "mso.absorbed_roles" in lines[0]


def test_did_you_mean_knows_extends_and_the_fee_type(tmp_path):
    f = write(tmp_path / "x.yaml", f"extend: {GOOD_BASE}\n")
    assert any("(did you mean 'extends'?)" in line for line in problems(f))
    f = write(tmp_path / "y.yaml", f"extends: {GOOD_BASE}\n"
              "mso: {fee: {type: percentage, percnt: 0.1}}\n")
    assert any("mso.fee.percnt: expected a known field (did you mean 'percent'?)" in line
               for line in problems(f))


def test_booleans_where_booleans_belong_are_fine(tmp_path):
    f = write(tmp_path / "x.yaml", f"extends: {GOOD_BASE}\ncompliance: {{include_condition_costs: no}}\n")
    assert msomodel.load_scenario(f).compliance.include_condition_costs is False


def test_dict_scenarios_get_named_paths_without_lines():
    from tests.conftest import build, raw

    data = raw("hand_worked.yaml")
    data["sites"][0]["open_month"] = 99
    with pytest.raises(msomodel.ScenarioError) as info:
        build(data)
    assert str(info.value) == ("<dict>: sites[Only].open_month: expected a month within the "
                               "horizon (<= 24), found 99")


# --------------------------------------------------------------------------- extends
def test_errors_in_a_base_name_the_chain(tmp_path):
    write(tmp_path / "common" / "deep.yaml", GOOD_BASE.read_text())
    write(tmp_path / "common" / "base.yaml", "extends: deep.yaml\nsite_defaults:\n  startup_cost: -5\n")
    client = write(tmp_path / "client.yaml", "extends: common/base.yaml\nname: Client\n")
    assert problems(client) == [
        f"{client}: extends common/base.yaml: site_defaults.startup_cost: expected a value >= 0, "
        "found -5 (line 3, column 17)"]
    # a YAML error two bases down
    write(tmp_path / "common" / "deep.yaml", "name: [unclosed\n")
    assert problems(client) == [
        f"{client}: extends common/base.yaml: extends deep.yaml: invalid YAML: line 2, column 1: "
        "did not find expected ',' or ']' (while parsing a flow sequence)"]
    # a missing base of a base
    (tmp_path / "common" / "deep.yaml").unlink()
    (line,) = problems(client)
    assert line.startswith(f"{client}: extends common/base.yaml: extends: expected an existing "
                           f"file, found 'deep.yaml' (relative to the scenario's folder "
                           f"{tmp_path / 'common'}) (line 1, column 10)")


def test_a_value_overridden_by_the_variant_is_blamed_on_the_variant(tmp_path):
    write(tmp_path / "base.yaml", GOOD_BASE.read_text())
    client = write(tmp_path / "client.yaml", "extends: base.yaml\nsite_defaults:\n  startup_cost: -1\n")
    assert problems(client) == [f"{client}: site_defaults.startup_cost: expected a value >= 0, "
                                "found -1 (line 3, column 17)"]


def test_relative_extends_resolves_against_the_scenarios_folder(tmp_path, monkeypatch):
    write(tmp_path / "clients" / "common" / "base.yaml", GOOD_BASE.read_text())
    write(tmp_path / "clients" / "acme.yaml", "extends: common/base.yaml\nname: Acme\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert msomodel.load_scenario("../clients/acme.yaml").name == "Acme"
    write(tmp_path / "clients" / "lost.yaml", "extends: nowhere/base.yaml\n")
    (line,) = problems("../clients/lost.yaml")
    assert ("extends: expected an existing file, found 'nowhere/base.yaml' (relative to the "
            f"scenario's folder {tmp_path / 'clients'})") in line


def test_circular_extends(tmp_path):
    write(tmp_path / "a.yaml", "extends: b.yaml\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\n")
    (line,) = problems(tmp_path / "a.yaml")
    assert "extends b.yaml: extends: circular extends: a.yaml -> b.yaml -> a.yaml" in line


@pytest.fixture
def bases(tmp_path, monkeypatch) -> Path:
    """A packaged-bases folder with one base, benchmarks/single_site."""
    folder = tmp_path / "bases"
    write(folder / "benchmarks" / "single_site.yaml", GOOD_BASE.read_text())
    monkeypatch.setattr(tree, "bases_dir", lambda: folder)
    return folder


def test_packaged_base(tmp_path, bases):
    f = write(tmp_path / "client" / "x.yaml", "extends: msomodel:benchmarks/single_site\nname: X\n")
    s = msomodel.load_scenario(f)
    assert s.name == "X" and s.mso.fee.type == "flat"
    assert msomodel.loading.packaged_bases() == ["benchmarks/single_site"]


@pytest.mark.parametrize("name", ["benchmarks/nope", "../bases/benchmarks/single_site",
                                  "/etc/passwd", ""])
def test_unknown_packaged_base_lists_the_available_ones(tmp_path, bases, name):
    f = write(tmp_path / "x.yaml", f"extends: 'msomodel:{name}'\n")
    (line,) = problems(f)
    assert (f"extends: expected a packaged base (msomodel:benchmarks/single_site), found "
            f"'msomodel:{name}' (line 1, column 10)") in line


def test_no_packaged_bases_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(tree, "bases_dir", lambda: tmp_path / "none")
    f = write(tmp_path / "x.yaml", "extends: msomodel:benchmarks/single_site\n")
    assert "expected a packaged base (none are installed)" in problems(f)[0]


def test_packaged_bases_default_folder_is_in_the_package():
    assert tree.bases_dir() == Path(msomodel.__file__).parent / "bases"


# --------------------------------------------------------------------------- YAML
def test_the_c_parser_is_used_and_reads_like_the_pure_one():
    assert yaml.__with_libyaml__ and issubclass(yamlio.FastLoader, yaml.CSafeLoader)
    files = [*sorted((ROOT / "scenarios").rglob("*.yaml")), *sorted((ROOT / "msomodel" / "rules" / "data").rglob("*.yaml"))]
    for path in files:
        fast = yamlio.parse_file(path)
        pure = yamlio.parse_file(path, loader=yamlio.PureLoader)
        assert fast.data == pure.data and fast.marks == pure.marks, path


@pytest.mark.parametrize("loader", [yamlio.FastLoader, yamlio.PureLoader], ids=["c", "pure"])
@pytest.mark.parametrize("text, message", [
    ("a: 1\nb: {c: 1, c: 2}\n", "line 2, column 11: duplicate key 'c'"),
    ("a: !!python/object/apply:os.system [echo]\n", "could not determine a constructor"),
    ("a: &x 1\nb: *y\n", "found undefined alias"),
])
def test_both_parsers_are_safe_and_reject_duplicate_keys(tmp_path, loader, text, message):
    f = write(tmp_path / "x.yaml", text)
    with pytest.raises(msomodel.ScenarioError, match=message):
        yamlio.parse_file(f, loader=loader)


def test_each_file_is_parsed_once(monkeypatch):
    calls: list[Path] = []
    real = tree.parse_file
    monkeypatch.setattr(tree, "parse_file", lambda p, **kw: calls.append(Path(p).resolve()) or real(p, **kw))
    msomodel.load_scenario(ROOT / "scenarios" / "ohio_physician_percentage_fee.yaml")
    assert len(calls) == len(set(calls)) == 3  # the variant, its base and the shared benchmarks


def test_a_run_over_a_folder_parses_a_shared_base_once(monkeypatch, capsys):
    from msomodel.cli import main

    calls: list[Path] = []
    real = tree.parse_file
    monkeypatch.setattr(tree, "parse_file", lambda p, **kw: calls.append(Path(p).resolve()) or real(p, **kw))
    assert main(["validate", str(ROOT / "scenarios")]) == 0
    files = {*(ROOT / "scenarios").rglob("*.yaml"),
             ROOT / "msomodel" / "bases" / "benchmarks" / "single_site.yaml"}  # the shared base
    assert len(calls) == len(set(calls)) == len(files)
    capsys.readouterr()


def test_a_check_may_report_several_problems_at_once():
    """A model check may raise one message of several ``path: message`` lines: one problem each."""
    from msomodel.loading.messages import issues, render
    from msomodel.scenario import Scenario

    err = {"type": "value_error", "loc": (), "msg": "Value error",
           "ctx": {"error": "sites.0.open_month: too late\nmso.absorbed_roles: unknown role"}}
    found = issues([err], Scenario, {"sites": [{"name": "A"}]}, split=True)
    assert [(render(i.path), i.message) for i in found] == [
        ("sites[A].open_month", "too late"), ("mso.absorbed_roles", "unknown role")]


def test_many_problems_are_listed_up_to_a_limit_quickly(tmp_path):
    import time

    from msomodel.loading import validate

    lines = [f"extends: {GOOD_BASE}", "site_defaults:", "  service_lines:"]
    lines += [f"    - {{name: l{i}, volume_per_month: -1, price: -1}}" for i in range(3000)]
    f = write(tmp_path / "many.yaml", "\n".join(lines) + "\n")
    start = time.perf_counter()
    found = problems(f)
    assert time.perf_counter() - start < 5  # was quadratic in the number of list items
    assert len(found) == validate.MAX_PROBLEMS + 1
    assert found[-1] == f"{f}: ... and {6000 - validate.MAX_PROBLEMS} more problem(s) not shown"


def test_scenario_error_survives_pickling():
    """Report workers send errors between processes."""
    import pickle

    error = msomodel.ScenarioError([msomodel.Problem("a.yaml", "x", "bad", ("b.yaml",), 3, 4)])
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems and str(again) == str(error)


def test_chain_files_follows_extends_as_far_as_it_can(tmp_path, bases):
    from msomodel.loading.tree import chain_files

    write(tmp_path / "common" / "base.yaml", "extends: msomodel:benchmarks/single_site\n")
    client = write(tmp_path / "client.yaml", "extends: common/base.yaml\n")
    assert chain_files(client) == [client.resolve(), (tmp_path / "common" / "base.yaml").resolve(),
                                   (bases / "benchmarks" / "single_site.yaml").resolve()]
    bomb = write(tmp_path / "bomb.yaml", (CASES / "hostile" / "alias_bomb.yaml").read_text())
    assert chain_files(bomb) == [bomb.resolve()]
    write(tmp_path / "common" / "base.yaml", "extends: ../client.yaml\n")  # a cycle
    assert len(chain_files(client)) == 2
