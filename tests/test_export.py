"""The Excel export: live formulas (with cached values) that LibreOffice recalculates to
msomodel's own figures, for every bundled scenario, and after an input is edited in the sheet.

LibreOffice Calc (Debian ``libreoffice-calc-nogui``, installed by scripts/ensure-system-deps.sh
when root) recalculates headless; without it these tests skip, except under ``CI=true`` where
they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import yaml

import msomodel
from msomodel.compare import ANNUAL_LINES
from msomodel.export import SHEET_NAMES, build
from msomodel.export.cli import main as cli_main
from msomodel.export.statement_rows import entity_title, line_label
from msomodel.export.summary_sheets import METRICS
from msomodel.export.workbook import ANNUAL_LABELS
from msomodel.financials import STATEMENTS
from msomodel.tables import STATEMENT_TITLES
from tests.spelling import british

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
IN_CI = os.environ.get("CI") == "true"
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
JSON_KEYS = {"npv": "npv", "pv_exit": "pv_exit", "npv_without_exit": "npv_without_exit",
             "irr_annual": "equity_irr_annual", "project_irr_annual": "project_irr_annual",
             "payback_month": "payback_month", "peak_funding": "peak_funding",
             "moic": "equity_multiple", "exit_value": "exit_value"}


def need_soffice() -> str:
    if SOFFICE:
        return SOFFICE
    if IN_CI:
        pytest.fail("LibreOffice (soffice) is missing (CI=true: the workbook recalculation tests "
                    "must run; scripts/ensure-system-deps.sh installs Debian's "
                    "libreoffice-calc-nogui as root)", pytrace=False)
    pytest.skip("LibreOffice (soffice) not installed: run scripts/ensure-system-deps.sh as root "
                "(Debian package libreoffice-calc-nogui) to recalculate the workbook")


def recalculate(path: Path, tmp: Path) -> Path:
    """Open ``path`` in headless LibreOffice with recalculation on load forced, save as .xlsx
    (with the recalculated values cached) and return the new file."""
    soffice = need_soffice()
    profile = tmp / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE)
    out = tmp / "recalculated"
    out.mkdir(exist_ok=True)
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=300)
    result = out / path.name
    assert result.is_file(), f"LibreOffice wrote no {result}"
    return result


def read_figures(path: Path) -> dict:
    """Summary metrics by option and annual totals by option, line and year, as cached in the
    file (values computed by whoever saved it last)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    out: dict = {"summary": {}, "annual": {}}
    ws = wb["Summary"]
    header = next(r for r in ws.iter_rows(min_row=1, max_row=10) if r[0].value == "Metric")
    options = {c.column: c.value for c in header[1:4]}
    labels = {v: k for k, v in METRICS.items()}
    for row in ws.iter_rows(min_row=header[0].row + 1, max_row=header[0].row + len(METRICS)):
        key = labels[row[0].value]
        for c in row[1:4]:
            out["summary"][(key, options[c.column])] = c.value
    line_of = {v: k for k, v in ANNUAL_LABELS.items()}
    # annual statement rows read "<entity>: <statement>: <line>" in the report's words
    statement_rows = {f"{entity_title(e)}: {STATEMENT_TITLES[st].lower()}: {line_label(li, st)}":
                      (e, st, li) for e in ("company", "pc", "mso", "consolidated")
                      for st, lines in STATEMENTS.items() for li in lines}
    check = ": " + line_label("check")
    out["statements"], out["checks"] = {}, []
    monthly = {"Net cash flow to the owner (equity)": "monthly_net_cash_flow",
               "Project (unlevered) cash flow": "monthly_unlevered_cash_flow"}
    for option, name in SHEET_NAMES.items():
        ws = wb[name]
        for row in ws.iter_rows(min_row=5):
            if row[0].value in monthly:
                out["annual"][(option, monthly[row[0].value])] = [c.value for c in row[2:]]
            found = statement_rows.get(str(row[0].value))
            if found:
                values = [c.value for c in row[2:] if c.value is not None]
                out["statements"][(option, *found)] = values
            if str(row[0].value).endswith(check):  # the balance-sheet identity, monthly too
                out["checks"] += [c.value for c in row[2:] if c.value is not None]
        start = next(r[0].row for r in ws.iter_rows(min_col=1, max_col=1)
                     if str(r[0].value).startswith("Annual totals"))
        years = [c.value for c in ws[start][2:] if c.value]
        for row in ws.iter_rows(min_row=start + 1):
            label = row[0].value
            if label is None:
                break
            key = line_of.get(label) or ("dscr" if label.startswith("DSCR") else label)
            for j, y in enumerate(years):
                out["annual"][(option, key, int(y.split()[1]))] = row[2 + j].value
    return out


def labels_by_option(doc: dict) -> dict[str, str]:
    return {o: doc["options"][o]["label"] for o in doc["options"]}


def differences(figures: dict, doc: dict) -> dict[str, float]:
    """Largest absolute difference of money figures, relative difference of IRRs, and
    mismatches of payback months against the JSON document."""
    label_to = {v: k for k, v in labels_by_option(doc).items()}
    money, irr, other = 0.0, 0.0, 0
    for (key, label), value in figures["summary"].items():
        if key == "incremental_npv":
            continue
        want = doc["options"][label_to[label]][JSON_KEYS[key]]
        if want is None:
            other += value not in ("—", "never")
            continue
        if key == "payback_month":
            other += int(value) != int(want)
        elif key in ("irr_annual", "project_irr_annual"):
            # relative, on a scale of at least 1 % a year: an IRR near zero (the engine solves
            # the discount factor to 1e-12) is compared to about 1e-11 absolute
            irr = max(irr, abs(value - want) / max(abs(want), 0.01))
        elif key == "moic":
            irr = max(irr, abs(value - want) / max(abs(want), 1e-12))
        else:
            money = max(money, abs(value - want))
    for option, entry in doc["options"].items():
        for key in ("monthly_net_cash_flow", "monthly_unlevered_cash_flow"):
            got = figures["annual"][(option, key)]
            assert len(got) == len(entry[key])
            money = max(money, max(abs(a - b) for a, b in zip(got, entry[key], strict=True)))
        for year in entry["annual"]:
            for line in ANNUAL_LINES:
                want = year.get(line)
                got = figures["annual"].get((option, line, year["year"]))
                if want is None:
                    other += got not in (None, "")
                    continue
                if line == "ebitda_margin":
                    irr = max(irr, abs(got - want) / max(abs(want), 1e-12))
                else:
                    money = max(money, abs(got - want))
        for y in entry["statements"]["debt_service"]["years"]:  # DSCR: the JSON rounds to 0.01
            got = figures["annual"][(option, "dscr", y["year"])]
            if y["dscr"] is None:
                other += got != "—"
            else:
                other += abs(got - y["dscr"]) > 0.0051
        for entity, statements in entry["statements"]["entities"].items():
            for name, years in statements.items():
                for y in years:  # the JSON rounds statements to the cent
                    for line, want in y.items():
                        if line == "year":
                            continue
                        got = figures["statements"][(option, entity, name, line)][y["year"] - 1]
                        other += abs(got - want) > 0.0051
        other += sum(abs(v) > 1e-6 for v in figures["checks"])
        for site in entry["sites"]:
            for y in site["annual"]:
                for what, key in (("revenue", "revenue"), ("EBITDA", "ebitda")):
                    got = figures["annual"][(option, f"{site['name']}: {what}", y["year"])]
                    money = max(money, abs(got - y[key]))
    return {"money": money, "relative": irr, "mismatches": other}


def check(figures: dict, doc: dict) -> None:
    diff = differences(figures, doc)
    assert diff["money"] < 0.005, diff
    assert diff["relative"] < 1e-9, diff
    assert diff["mismatches"] == 0, diff


@pytest.fixture(scope="module")
def results() -> dict[str, msomodel.Comparison]:
    return {p.stem: msomodel.compare(msomodel.load_scenario(p), trials=200) for p in SCENARIOS}


@pytest.fixture(scope="module")
def workbooks(results, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("xlsx")
    return {name: build(r, folder / f"{name}.xlsx") for name, r in results.items()}


def test_formulas_are_formulas_with_cached_values(workbooks, results):
    for name, path in workbooks.items():
        wb = openpyxl.load_workbook(path)
        summary = wb["Summary"]
        npv = next(r for r in summary.iter_rows() if r[0].value == METRICS["npv"])
        assert all(str(c.value).startswith("=") and "NPV(" in c.value for c in npv[1:4]), name
        irr = next(r for r in summary.iter_rows() if r[0].value == METRICS["irr_annual"])
        assert all("IRR(" in str(c.value) for c in irr[1:4])
        for sheet in [*SHEET_NAMES.values(), "Capital"]:
            ws = wb[sheet]
            rows: dict = {}
            for r in ws.iter_rows(min_row=5):
                if r[0].value:
                    rows.setdefault(r[0].value, r)
                # every figure on an option or capital sheet is a formula
                for c in r[2:]:
                    if c.value is not None and not str(c.value).startswith("Year "):
                        assert str(c.value).startswith("="), (name, sheet, c.coordinate, c.value)
            if sheet != "Capital":
                for label in ("Revenue", "EBITDA", "Tax", "Net cash flow to the owner (equity)"):
                    assert all(str(c.value).startswith("=") for c in rows[label][2:]), label
        assert "IPMT(" in "".join(str(c.value) for r in wb["Capital"].iter_rows() for c in r)
        # Cached values: what a viewer that does not recalculate shows, equal to the JSON
        check(read_figures(path), results[name].to_dict())


def error_cells(path: Path) -> list[tuple[str, str, str]]:
    """Cells holding a spreadsheet error (#NAME?, #VALUE!, Err:502, ...) after recalculation."""
    wb = openpyxl.load_workbook(path, data_only=True)
    return [(ws.title, c.coordinate, c.value) for ws in wb for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and (c.value.startswith("#") or c.value.startswith("Err:"))]


@pytest.mark.parametrize("name", [p.stem for p in SCENARIOS])
def test_recalculated_equals_msomodel(name, workbooks, results, tmp_path):
    need_soffice()
    recalculated = recalculate(workbooks[name], tmp_path)
    assert error_cells(recalculated) == []
    figures = read_figures(recalculated)
    doc = results[name].to_dict()
    check(figures, doc)


COMMON_EDITS = [
    ("finance.discount_rate_annual", 0.11),
    ("finance.tax_rate", 0.3),
    ("finance.exit_multiple", 3.5),
    ("finance.loan.rate_annual_nominal", 0.07),
    ("site_defaults.startup_cost", 600000.0),
    ("finance.working_capital.inventory_days", 60.0),
    ("finance.cash_reserve", 80000.0),
    ("adjustments.volume_multiplier", 0.9),
    ("adjustments.wage_multiplier", 1.05),
    ("site_defaults.service_lines.neurotoxin.price", 480.0),
]
#: Per scenario: its fee levels, a site's rent, and (Ohio) fewer providers so capacity binds.
EDITS = {
    "ohio_physician_single_site": [("mso.fee.per_site_monthly", 15000.0),
                                   ("site_defaults.opex.rent.monthly", 11000.0),
                                   ("site_defaults.capacity.providers", 1.0)],
    "ohio_physician_percentage_fee": [("mso.fee.percent", 0.11),
                                      ("structure.friendly_pc.management_fee.target_margin", 0.03)],
    "texas_rn_single_site": [("mso.fee.per_site_monthly", 7000.0),
                             ("structure.friendly_pc.management_fee.target_margin", 0.05),
                             ("site_defaults.opex.rent.monthly", 9500.0)],
    "florida_entrepreneur_five_sites": [
        ("mso.fee.per_site_monthly", 11000.0),
        ("structure.friendly_pc.management_fee.per_site_monthly", 60000.0),
        ("sites.Tampa.overrides.opex.rent.monthly", 9000.0)],
    "california_np_three_sites": [("mso.fee.tiers.1.percent", 0.1),
                                  ("mso.fee.floor_per_site_monthly", 9000.0),
                                  ("sites.Irvine.overrides.opex.rent.monthly", 14000.0)],
}
NAMED_LISTS = ("sites", "service_lines", "roles", "equipment")


def _edit_scenario(path: Path, edits: list[tuple[str, float]], tmp: Path) -> msomodel.Scenario:
    """The scenario with ``edits`` applied, as a variant file that extends it (named list
    items merge by name; a fee's tiers list is given whole)."""
    original = msomodel.load_scenario(path)
    tree: dict = {}
    for dotted, value in edits:
        keys = dotted.split(".")
        if "tiers" in keys:
            i = keys.index("tiers")
            tiers = tree.get("_tiers") or [t.model_dump() for t in original.mso.fee.tiers]
            tiers[int(keys[i + 1])][keys[i + 2]] = value
            tree["_tiers"] = tiers
            continue
        node = tree
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    if "_tiers" in tree:
        tree.setdefault("mso", {}).setdefault("fee", {})["tiers"] = tree.pop("_tiers")

    def lists(node):
        if not isinstance(node, dict):
            return node
        return {k: ([{"name": n, **lists(v)} for n, v in node[k].items()]
                    if k in NAMED_LISTS else lists(node[k])) for k in node}

    variant = tmp / "edited.yaml"
    variant.write_text(yaml.safe_dump({"extends": str(path), **lists(tree)}))
    return msomodel.load_scenario(variant)


@pytest.mark.parametrize("name", [p.stem for p in SCENARIOS])
def test_edited_inputs_recalculate(name, results, tmp_path):
    """Edit inputs on the Inputs sheet (openpyxl), recalculate in LibreOffice: the workbook's
    figures equal msomodel's for the scenario with the same change."""
    need_soffice()
    edits = COMMON_EDITS + EDITS[name]
    path = build(results[name], tmp_path / "edit.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Inputs"]
    cells = {r[4].value: r[1] for r in ws.iter_rows(min_row=5) if r[4].value}
    for dotted, value in edits:
        cells[dotted].value = value
    wb.save(path)
    figures = read_figures(recalculate(path, tmp_path))
    scenario = _edit_scenario(ROOT / "scenarios" / f"{name}.yaml", edits, tmp_path)
    doc = msomodel.compare(scenario, trials=0).to_dict()
    assert doc["options"]["mso"]["npv"] != results[name].to_dict()["options"]["mso"]["npv"]
    check(figures, doc)


#: Variants covering what the bundled scenarios do not: every other fee type for the third-party
#: MSO and the management fee, floor/cap/renewal changes, a termination fee at the exit, own exit
#: multiples, software's card rate and per-provider price, an SBA 7(a) loan, a separate
#: equipment life, the owner's MSO overhead, an MSO that does not supply the PC.
VARIANTS = {
    "hybrid_direct": ("ohio_physician_single_site.yaml", {
        "mso": {"fee": {"type": "hybrid", "base_per_site_monthly": 4000, "percent": 0.06,
                        "floor_per_site_monthly": 5000, "cap_per_site_monthly": 15000,
                        "escalator_annual": 0.03, "term_months": 12, "renewal_change": 0.05,
                        "termination_fee": 30000, "terminate_at_exit": True,
                        "onboarding_fee_per_site": 8000},
                "exit_multiple": 5.0},
        "software": {"payment_processing_rate": 0.026, "per_provider_monthly": 40,
                     "exit_multiple": 4.8},
        "finance": {"equipment_depreciation_months": 60,
                    "loan": {"program": "sba_7a", "term_months": 120}}}),
    "cost_plus_percentage_pc": ("texas_rn_single_site.yaml", {
        "mso": {"provides_friendly_pc": False,
                "fee": {"type": "cost_plus", "markup": 0.25, "overhead_per_site_monthly": 2000,
                        "escalator_annual": 0.02, "term_months": 24}},
        "structure": {"friendly_pc": {
            "management_fee": {"type": "percentage", "percent": 0.3,
                               "floor_per_site_monthly": 20000},
            "mso_overhead_monthly": 3000}}}),
    "tiered_management_fee_roll_out": ("florida_entrepreneur_five_sites.yaml", {
        "mso": {"fee": {"type": "hybrid", "base_per_site_monthly": 6000, "percent": 0.05,
                        "cap_per_site_monthly": 16000}},
        "structure": {"friendly_pc": {"management_fee": {
            "type": "tiered", "tiers": [{"up_to_monthly": 100000, "percent": 0.4},
                                        {"percent": 0.3}],
            "cap_per_site_monthly": 70000}}}}),
    "no_loan_short_horizon": ("ohio_physician_single_site.yaml", {
        "finance": {"loan": None, "horizon_months": 30, "cash_reserve": 0,
                    "working_capital": {"inventory_days": 0, "payables_days": 0,
                                        "prepaid_share": 0}}}),
    # the front desk follows treatment visits (every option: software keeps a share of the
    # admin hours, the MSO takes roles over), and a cost-plus MSO fee bills the scaled payroll
    "admin_scales_with_visits": ("florida_entrepreneur_five_sites.yaml", {
        "site_defaults": {"staffing": {"roles": [
            {"name": "front_desk", "scales_with": {"visits_per_fte": 180, "step_fte": 0.5,
                                                   "max_fte": 3}},
            {"name": "billing_admin", "scales_with": {"visits_per_fte": 400, "step_fte": 0.25,
                                                      "max_fte": 1.5}}]}},
        "mso": {"fee": {"type": "cost_plus", "markup": 0.12}}}),
    # providers hired by demand at five sites, under every option (the MSO's uplift and the
    # software's recovered visits change the demand, so the hires differ by option)
    "providers_hired_by_demand": ("florida_entrepreneur_five_sites.yaml", {
        "site_defaults": {"capacity": {"providers": 1, "hiring": {
            "role": "injector_rn", "trigger_utilisation": 0.9, "max_providers": 2.5,
            "step_fte": 0.5, "ramp_months": 4}}}}),
    # a cost-plus management fee whose base takes the owner's MSO's overhead, depreciation and
    # loan interest, shared by the open sites (five sites opening at different months)
    "management_fee_on_company_costs": ("florida_entrepreneur_five_sites.yaml", {
        "structure": {"friendly_pc": {"management_fee": {
            "type": "cost_plus", "markup": 0.15,
            "cost_base_includes": ["overhead", "depreciation", "interest"]}}}}),
    # members' credit redeemed over four months at five sites under the friendly PC (the PC
    # owes the unredeemed credit), with a percentage MSO fee on recognized revenue
    "membership_credit_over_months": ("florida_entrepreneur_five_sites.yaml", {
        "site_defaults": {"service_lines": [{"name": "memberships", "redemption_months": 4}]},
        "mso": {"fee": {"type": "percentage", "percent": 0.08}}}),
    "no_capacity_late_opening": ("texas_rn_single_site.yaml", {
        "site_defaults": {"capacity": None},
        "sites": [{"name": "Austin", "open_month": 4, "ramp_months": 0}]}),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_other_fee_types_and_terms_recalculate(name, tmp_path):
    need_soffice()
    base, changes = VARIANTS[name]
    variant = tmp_path / f"{name}.yaml"
    variant.write_text(yaml.safe_dump({"extends": str(ROOT / "scenarios" / base), **changes}))
    result = msomodel.compare(msomodel.load_scenario(variant), trials=0)
    path = build(result, tmp_path / f"{name}.xlsx")
    doc = result.to_dict()
    check(read_figures(path), doc)
    recalculated = recalculate(path, tmp_path)
    assert error_cells(recalculated) == []
    check(read_figures(recalculated), doc)
    # every Inputs row reads as words, with a unit, never as an engine array's name (the
    # cost-base switches had read "mf_inc_overhead")
    for r in openpyxl.load_workbook(path)["Inputs"].iter_rows(min_row=6):
        if isinstance(r[0].value, str) and r[1].value is not None:
            assert not re.fullmatch(r"[a-z_]+(?: \[.*\])?", r[0].value), (name, r[0].value)


def test_inputs_sheet_lists_every_input(workbooks, results):
    """Every input of the scenario (assumptions table) is on the Inputs sheet with its unit and
    source; the formulas' inputs carry the scenario's values."""
    from msomodel.assumptions import collect

    for name, path in workbooks.items():
        ws = openpyxl.load_workbook(path)["Inputs"]
        rows = {r[4].value: r for r in ws.iter_rows(min_row=5) if r[4].value}
        for a in collect(results[name].scenario):
            assert a.path in rows, (name, a.path)
            assert rows[a.path][3].value == a.source
        inputs = results[name].inputs
        for p in inputs.paths:
            assert rows[p][1].value == pytest.approx(inputs.path_value(p)), (name, p)
        names = openpyxl.load_workbook(path).defined_names
        assert {"DiscountRate", "TaxRate", "ExitMultiple", "LoanRate"} <= set(names)
        # an input the formulas read is never listed under "no formula reads them" (the fee's
        # term was, while a constant copy of it was what the formulas read)
        labels = [r[0].value for r in ws.iter_rows(min_row=5)]
        other = labels.index("Other inputs (documented here; no formula reads them)")
        live = {r[4].value for r in ws.iter_rows(min_row=5, max_row=other + 4) if r[4].value}
        assert "mso.fee.term_months" in live, name
        # every input a formula reads says its unit (the schema's where the file sets none)
        for r in ws.iter_rows(min_row=6, max_row=other + 4):
            if r[4].value:
                assert r[2].value, (name, r[4].value)
        if inputs.structure == "friendly_pc":
            assert "structure.friendly_pc.management_fee.term_months" in live, name
            assert "mso.provides_friendly_pc" in live, name  # read by the MSO sheet's formulas
        # model constants read as words with a unit and a reason, never as engine array names;
        # an open cap shows "none" (a number the formulas compare with, and a format)
        start = labels.index("Model constants (no scenario field: structure or a switch, read "
                             "from the scenario)")
        for r in ws.iter_rows(min_row=start + 6, max_row=other + 4):  # labels[i] is row i + 5
            if r[0].value is None or r[4].value:  # a yes/no switch, shown with its path
                continue
            assert not re.fullmatch(r"[a-z_]+(?: \[.*\])?", r[0].value), (name, r[0].value)
            assert r[3].value.startswith("model constant: ") and len(r[3].value) > 20, r[3].value
            if isinstance(r[1].value, float) and r[1].value >= 1e299:
                assert r[1].number_format.startswith('[>=1E+299]"none"'), (name, r[0].value)
        # the inputs no formula reads: every one with a unit that reads after its value ("1
        # month", "yes/no"), and numbers and words aligned alike in one column
        rest = [r for r in ws.iter_rows(min_row=other + 6) if r[4].value]
        assert rest, name
        for r in rest:
            assert r[2].value, (name, r[4].value)
            assert r[1].alignment.horizontal == "right", (name, r[4].value)
            if r[1].value in ("yes", "no"):
                assert r[2].value == "yes/no", (name, r[4].value)
            if r[1].value == 1:
                assert not r[2].value.endswith(("months", "years")), (name, r[4].value)
        for r in ws.iter_rows(min_row=6, max_row=other + 4):
            if r[1].value == 1 and isinstance(r[2].value, str):
                assert not r[2].value.endswith(" months") and r[2].value != "months", r[4].value


def test_cli_writes_and_rejects_bad_input(tmp_path, capsys):
    out = tmp_path / "client.xlsx"
    assert cli_main([str(SCENARIOS[0]), "-o", str(out), "--trials", "0"]) == 0
    assert out.is_file() and not list(tmp_path.glob(".*.xlsx"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: msomodel:benchmarks/single_site\nname: x\nowner: {state: OH, "
                   "licence: physician}\nfinance: {tax_rate: lots}\n")
    assert cli_main([str(bad), "-o", str(tmp_path / "bad.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "tax_rate" in err
    assert not (tmp_path / "bad.xlsx").exists()
    assert cli_main([str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "m.xlsx")]) == 2


def test_statements_and_summary_read_as_words(workbooks):
    """Labels a reader sees are words (the report's), never the engine's keys."""
    from msomodel.tables import BALANCE_LABELS, STATUS, VERDICTS

    for name, path in workbooks.items():
        wb = openpyxl.load_workbook(path)
        labels = [r[0] for r in wb["Statements"].iter_rows(min_row=3, max_col=1, values_only=True)
                  if isinstance(r[0], str)]
        assert labels and all(t[:1].isupper() and "_" not in t for t in labels), name
        loan = {BALANCE_LABELS["due_from_pc"], BALANCE_LABELS["due_to_mso"]}  # friendly PC only
        assert set(BALANCE_LABELS.values()) - loan <= set(labels), name
        values = {v for r in wb["Summary"].iter_rows(values_only=True) for v in r
                  if isinstance(v, str)}
        assert not values & (set(STATUS) | set(VERDICTS)), (name, values & set(STATUS))
        assert values & set(VERDICTS.values()), name
        texts = [v for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r
                 if isinstance(v, str) and not v.startswith("=")]
        assert not [w for t in texts for w in british(t)], name  # American English


def test_the_calendar_months_follow_the_start_month_input(workbooks, tmp_path):
    # month headers are formulas of the Inputs sheet's start month: edit it, recalculate in
    # LibreOffice, and every sheet's calendar moves (month 13 = the start + 12 months)
    import datetime as dt

    name, path = next(iter(workbooks.items()))
    wb = openpyxl.load_workbook(path)
    assert wb["Inputs"]["E5"].value == "finance.start"
    wb["Inputs"]["B5"].value = dt.datetime(2031, 7, 1)
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    out = openpyxl.load_workbook(recalculate(edited, tmp_path), data_only=True)
    sheet = out[SHEET_NAMES["self_managed"]]
    months = [c.value for c in sheet[3][2:]]  # row 3: "Month"; column C is index 0 ("start")
    assert months[0] == "start", name
    assert months[1] == dt.datetime(2031, 7, 1) and months[13] == dt.datetime(2032, 7, 1)
    formulas = openpyxl.load_workbook(path)[SHEET_NAMES["self_managed"]]
    assert formulas.cell(3, 4).value == "=EDATE(StartDate,0)"
