"""The investor report's content: the real notebook rendered for bundled scenarios, read back with pypdf."""

from __future__ import annotations

import json
import re
from pathlib import Path

import papermill
import pypdf
import pytest

import msomodel
from msomodel import tables
from msomodel.report import render_one, sections
from msomodel.report.render import DEFAULT_NOTEBOOK

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
RENDERED = ("texas_rn_single_site", "florida_entrepreneur_five_sites")
HEADINGS = ("Executive summary", "Feasibility and compliance", "Annual P&L per option", "Charts",
            "Uncertainty", "Two-way grid: where the MSO pays off", "Monte Carlo simulation",
            "Appendix: assumptions", "Conventions")


def squash(text: str) -> str:
    """Whitespace collapsed and lines broken after a hyphen rejoined, so wrapped lines compare
    equal to one-line strings."""
    return " ".join(re.sub(r"-[ \t]*\n\s*", "-", text).split())


class Report:
    def __init__(self, name: str, pdf: Path) -> None:
        self.name = name
        self.scenario = msomodel.load_scenario(SCENARIOS / f"{name}.yaml")
        self.comparison = msomodel.compare(self.scenario)
        reader = pypdf.PdfReader(pdf)
        self.pages = [page.extract_text() for page in reader.pages]
        self.text = squash("\n".join(self.pages))
        self.images = sum(len(page.images) for page in reader.pages)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    out = tmp_path_factory.mktemp("reports")
    found = {}
    for name in RENDERED:
        result = render_one(SCENARIOS / f"{name}.yaml", out, formats=("pdf",))
        assert result.ok, result.error
        found[name] = Report(name, Path(result.outputs["pdf"]))
    return found


@pytest.fixture(scope="module")
def defaults() -> dict:
    return papermill.inspect_notebook(str(DEFAULT_NOTEBOOK))


@pytest.mark.parametrize("name", RENDERED)
def test_structure_title_and_headings(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    assert 8 <= len(r.pages) <= 30
    assert r.scenario.name in squash(r.pages[0])
    assert "Not legal or financial advice." in squash(r.pages[0])
    assert r.scenario.sha256[:12] in squash(r.pages[0])
    assert f"msomodel {msomodel.__version__}" in squash(r.pages[0])
    positions = [r.text.find(h) for h in HEADINGS]
    assert all(p >= 0 for p in positions), dict(zip(HEADINGS, positions, strict=True))
    assert positions == sorted(positions), "sections out of order"
    assert f"Page 2 of {len(r.pages)}" in r.text
    assert squash(r.comparison.compliance.disclaimer) in r.text


@pytest.mark.parametrize("name", RENDERED)
def test_npv_figures_match_the_json_output(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    data = json.loads(json.dumps(r.comparison.to_dict()))  # what `msomodel compare --format json` prints
    for option, figures in data["options"].items():
        assert tables.money(figures["npv"]) in r.text, option
    for option, figures in data["incremental"].items():
        assert tables.money(figures["npv"]) in r.text, option


@pytest.mark.parametrize("name", RENDERED)
def test_no_code_or_python_noise(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    assert r.images >= 6  # cash flow, EBITDA, bridge, break-even, tornado, Monte Carlo (+ roll-out)
    for leak in ("import ", "msomodel.", "Traceback", "Warning:", "UserWarning", "In [", "Out[",
                 "<Figure", "DataFrame", "nan%", "$nan"):
        assert leak not in r.text, f"{leak!r} leaked into the {name} report"


def test_texas_rn_self_managed_is_not_permitted_with_its_source(reports: dict[str, Report]) -> None:
    r = reports["texas_rn_single_site"]
    compliance = r.comparison.compliance.options["self_managed"]
    assert compliance.status == "infeasible"
    assert "Self-managed Not permitted" in r.text
    assert "Not permitted for this owner" in r.text  # the one line in the executive summary
    assert compliance.sources
    for source in compliance.sources:
        assert squash(source["citation"])[:60] in r.text
    for warning in r.comparison.warnings:
        assert squash(warning["message"])[:60] in r.text


def test_florida_has_the_pc_and_mso_pnl_and_the_per_site_table(reports: dict[str, Report]) -> None:
    r = reports["florida_entrepreneur_five_sites"]
    assert "The owned-MSO PC/MSO split" in r.text
    assert "Friendly PC (physician-owned practice)" in r.text and "MSO (owned by you)" in r.text
    entities = r.comparison.entity_annual()
    for entity in ("pc", "mso"):
        for value in entities[entity]["ebitda"]:
            assert tables.money(value) in r.text, (entity, value)
    assert "EBITDA by site" in r.text
    for site in r.scenario.sites:
        assert site.name in r.text
    by_site = tables.by_site(r.comparison, r.comparison.recommendation["option"])
    assert all(v in r.text for v in by_site.loc["Consolidated"])
    assert "Roll-out" in r.text


@pytest.mark.parametrize("name", RENDERED)
def test_monte_carlo_probability_matches_simulate(reports: dict[str, Report], defaults: dict,
                                                  name: str) -> None:
    from msomodel.analysis import simulate

    r = reports[name]
    trials, seed = defaults["trials"]["default"], defaults["seed"]["default"]
    sim = simulate(r.scenario, r.scenario.uncertainty, int(trials), int(seed))
    p = sim.probabilities()["mso_beats_self_managed"]
    assert f"beats self-managed in {tables.pct(p, 1)} of trials" in r.text
    assert f"{int(trials):,} trials (seed {int(seed)})" in r.text
    p50 = sim.percentiles().loc[("mso", "incremental_npv"), "P50"]
    assert tables.money(p50) in r.text
    top = sections._label(sim.drivers("mso").iloc[0]["path"])
    assert top in r.text


def test_no_distributions_means_tornado_only() -> None:
    comparison = msomodel.compare(msomodel.load_scenario(SCENARIOS / "ohio_physician_single_site.yaml"))
    html = "".join(sections.uncertainty_section(comparison, None))
    assert "declares no distributions" in html and "tornado" in html


def test_compliance_not_checked_without_owner() -> None:
    scenario = msomodel.load_scenario(SCENARIOS / "ohio_physician_single_site.yaml")
    comparison = msomodel.compare(scenario.model_copy(update={"owner": None}))
    assert comparison.compliance.checked is False
    assert "not checked" in sections.compliance_section(comparison)


def test_assumptions_appendix_lists_every_input() -> None:
    from msomodel import assumptions

    scenario = msomodel.load_scenario(SCENARIOS / "florida_entrepreneur_five_sites.yaml")
    frame = assumptions.table(scenario)
    html = sections.assumptions_appendix(frame)
    shown = len(re.findall(r'<td class="text name">', html))
    defaults = sum(len(m.split("; ")) for m in re.findall(r"scenario\):</span> ([^<]*)</td>", html))
    assert shown + defaults == len(frame)
    for source in set(frame["source"]) - {"model default"}:
        assert sections.escape(source) in html


def test_committed_notebook_has_no_outputs_and_json_able_parameters(defaults: dict) -> None:
    nb = json.loads(DEFAULT_NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    assert {"scenario_path", "output_title", "trials", "seed"} <= set(defaults)
    for name, spec in defaults.items():
        value = json.loads(spec["default"])  # the source text of the default: a JSON literal
        assert json.loads(json.dumps(value)) == value, name
