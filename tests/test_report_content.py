"""The investor report's content: the real notebook rendered for bundled scenarios, read back with pypdf."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import papermill
import pypdf
import pytest
from system_packages import unavailable

import msomodel
from msomodel import tables
from msomodel.compare import Comparison
from msomodel.formatting import amount, lower_first
from msomodel.report import render_one, sections
from msomodel.report.render import DEFAULT_NOTEBOOK
from tests.spelling import british

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
RENDERED = ("texas_rn_single_site", "florida_entrepreneur_five_sites")
#: Section headings in reading order (the decision first, on page 2).
HEADINGS = ("The decision", "What would flip it", "Assumptions that favor one option",
            "Key figures", "Legal structure and compliance", "Annual P&L per option", "Charts",
            "Uncertainty", "Two-way grid", "Monte Carlo simulation", "Glossary",
            "Appendix: assumptions", "Conventions")
#: Dotted input paths (a reader sees the schema's words, never these).
RAW_PATH = re.compile(r"\b(?:finance|mso|software|site_defaults|structure|adjustments|owner|"
                      r"compliance|opex|sites|uncertainty)\.[a-z_]+|\b[a-z_]+(?:\.[a-z_]+){2,}\b")


def squash(text: str) -> str:
    """Whitespace collapsed and lines broken after a hyphen rejoined, so wrapped lines compare
    equal to one-line strings."""
    return " ".join(re.sub(r"-[ \t]*\n\s*", "-", text).split())


def page_body(text: str, title: str) -> str:
    """A page's text without its running header and footer (title, "msomodel", "Page X of Y",
    "Prepared for ..., DATE" and "Not legal or financial advice" under it), which renderers
    extract before or after the body."""
    text = squash(text).replace(f"{title} msomodel", " ", 1)
    text = re.sub(r"Page \d+ of \d+", " ", text, count=1)
    text = re.sub(r"Prepared for .*?, \d{1,2} [A-Z][a-z]+ \d{4}", " ", text, count=1)
    text = text.replace("Not legal or financial advice", " ", 1)
    return " ".join(text.split())


class Report:
    def __init__(self, name: str, pdf: Path) -> None:
        self.name = name
        self.scenario = msomodel.load_scenario(SCENARIOS / f"{name}.yaml")
        self.comparison = msomodel.compare(self.scenario)
        reader = pypdf.PdfReader(pdf)
        self.pages = [page.extract_text() for page in reader.pages]
        self.text = squash("\n".join(self.pages))
        self.images = sum(len(page.images) for page in reader.pages)
        self.pdf = pdf


#: Florida is rendered as a client receives it (preparer, date, logo); Texas with the defaults.
COVER = {"florida_entrepreneur_five_sites": {"prepared_by": "Jane Doe, Example Advisory LLC",
                                             "report_date": "2026-03-15"}}


def logo_png(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (240, 80), "#1B7F79").save(path)
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    out = tmp_path_factory.mktemp("reports")
    logo = sections.logo_data_uri(logo_png(out / "logo.png"))
    found = {}
    for name in RENDERED:
        cover = {**COVER[name], "logo": logo} if name in COVER else {}
        result = render_one(SCENARIOS / f"{name}.yaml", out, formats=("pdf",), parameters=cover)
        assert result.ok, result.error
        found[name] = Report(name, Path(result.outputs["pdf"]))
    return found


@pytest.fixture(scope="module")
def defaults() -> dict:
    return papermill.inspect_notebook(str(DEFAULT_NOTEBOOK))


@pytest.mark.parametrize("name", RENDERED)
def test_cover_and_headings_in_order(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    assert 8 <= len(r.pages) <= 30
    cover = squash(r.pages[0])
    assert r.scenario.name in cover
    assert "Not legal or financial advice." in cover
    assert r.scenario.sha256[:12] in cover
    assert f"msomodel {msomodel.__version__}" in cover
    assert f"Legal structure {r.comparison.structure_label}" in cover
    assert page_body(r.pages[1], r.scenario.name).startswith("The decision Legal structure: ")
    body = squash("\n".join(r.pages[1:]))
    positions, at = [], 0
    for heading in HEADINGS:  # each heading after the previous one
        at = body.find(heading, at)
        positions.append(at)
        assert at >= 0, (heading, positions)
    assert f"Page 2 of {len(r.pages)}" in r.text
    assert squash(r.comparison.compliance.disclaimer) in cover


@pytest.mark.parametrize("name", RENDERED)
def test_decision_page_states_the_structure_first_then_the_decision(
        reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    page = squash(r.pages[1])
    c = r.comparison
    found = c.compliance.structures[c.structure]
    structure_at = page.find(f"Legal structure: {c.structure_label} {tables.STATUS[found.status]}")
    verdict_at = page.find(tables.VERDICTS[c.decision.verdict])
    assert 0 <= structure_at < verdict_at, (structure_at, verdict_at)
    assert squash(found.reasons[0]) in page
    assert squash(sections.amounts_in_text(c.decision.sentence))[:120] in page


@pytest.mark.parametrize("name", RENDERED)
def test_decision_figures_equal_the_json_output(reports: dict[str, Report], defaults: dict,
                                                name: str) -> None:
    from msomodel.decision import DEFAULT_SEED, DEFAULT_TRIALS

    r = reports[name]
    trials, seed = int(defaults["trials"]["default"]), int(defaults["seed"]["default"])
    assert (trials, seed) == (DEFAULT_TRIALS, DEFAULT_SEED)  # the report decides as `compare` does
    data = json.loads(json.dumps(r.comparison.to_dict()))  # `msomodel compare --format json`
    rec = data["recommendation"]
    page = squash(r.pages[1])
    if rec["verdict"] == "recommended":
        assert rec["option"] == rec["leader"]
        assert f"Recommended option {rec['label']}" in page
    else:  # e.g. too close to call: no option is named, the verdict says why
        assert rec["option"] is None and rec["verdict"] == "too_close"
        assert tables.VERDICTS[rec["verdict"]] in page
    assert (f"Margin over the runner-up ({lower_first(rec['runner_up_label'])}) "
            f"{amount(rec['margin'])}") in page
    assert (f"Probability that {lower_first(rec['leader_label'])} is best "
            f"{tables.pct(rec['probability_best'][rec['leader']], 1)} of {trials:,} simulated "
            f"trials (seed {seed})") in page
    assert (rec["trials"], rec["seed"]) == (trials, seed)
    for option, figures in data["options"].items():
        assert figures["feasible"], option
        assert amount(figures["npv"]) in page, option
        assert amount(figures["p10_npv"]) in page, option  # every option's downside
        assert tables.pct(figures["probability_best"], 1) in page, option
    for figures in data["incremental"].values():
        assert amount(figures["npv"]) in r.text


@pytest.mark.parametrize("name", RENDERED)
def test_flips_and_asymmetric_assumptions_are_shown(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    decision = squash("\n".join(r.pages[1:4]))  # the decision runs over pages 2 to 4
    flips = tables.flips(r.comparison, amounts=amount)
    shown = flips[flips["Flips at"] != "no value in range"]
    assert len(shown) >= 1
    for row in shown.itertuples():
        assert squash(f"{row.Input} {row.Assumed} {row._3}") in decision, row
    asym = tables.asymmetries(r.comparison, amounts=amount)
    assert len(asym) >= 2
    for row in asym.itertuples():
        assert row.Input in decision
        assert squash(row.Source)[:40] in decision, row.Source
        assert row._7 in decision  # the lead when set equal
    assert "All of them" in decision


@pytest.mark.parametrize("name", RENDERED)
def test_returns_are_labelled(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    for words in ("project IRR", "equity IRR", "Equity IRR (levered, with exit)",
                  "Project IRR (unlevered, with exit)", "Equity multiple (MOIC)",
                  "Exit value (net of debt and tax)", "NPV without the exit"):
        assert words in r.text, words
    assert "IRR (annual)" not in r.text
    for option in ("mso", "software_only"):
        note = r.comparison.incremental_note(option)
        if note["irr_annual"]:
            assert squash(note["irr_annual"]) in r.text  # the footnote says why
    assert re.search(r"\d{2},\d{3}(\.\d)?%", r.text) is None  # no unbounded IRRs


@pytest.mark.parametrize("name", RENDERED)
def test_no_code_raw_paths_or_local_paths(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    assert r.images >= 7  # cash flow, EBITDA, bridge, break-even, tornado, grid, Monte Carlo
    for leak in ("import ", "msomodel.", "Traceback", "Warning:", "UserWarning", "In [", "Out[",
                 "<Figure", "DataFrame", "nan%", "$nan", str(ROOT), "/tmp/"):
        assert leak not in r.text, f"{leak!r} leaked into the {name} report"
    raw = sorted({m for m in RAW_PATH.findall(r.text)
                  if m.rsplit(".", 1)[-1] not in ("com", "org", "gov", "net", "edu", "io", "us")})
    assert not raw, raw  # web addresses of sources aside
    assert not british(r.text), british(r.text)[:5]  # American English, for US readers


@pytest.mark.parametrize("name", RENDERED)
def test_uncertainty_compares_the_leader_with_the_best_other_lawful_option(
        reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    d = r.comparison.decision
    assert d.runner_up is not None and r.comparison.feasibility[d.runner_up].allowed
    pair = sections.pair_words(r.comparison, (d.leader, d.runner_up))
    assert r.text.count(f"Pair: {squash(pair)}") == 3  # tornado, grid and Monte Carlo captions
    assert re.search(r"beats [a-z +-]+ in 0\.0 ?%", r.text) is None
    assert "Not permitted for this owner" not in r.text
    for option in msomodel.OPTIONS:
        assert f"{r.comparison.label(option)} (not permitted)" not in r.text
    leader, runner = r.comparison.label(d.leader), r.comparison.label(d.runner_up)
    assert f"{leader} is the best option open to this owner in {tables.pct(d.probability_best[d.leader], 1)} " \
           "of trials" in r.text  # the Monte Carlo section's probability is the decision's
    assert f"{leader} less {runner[0].lower() + runner[1:]}" in r.text


def test_texas_rn_has_three_feasible_options_under_the_friendly_pc(reports: dict[str, Report]) -> None:
    r = reports["texas_rn_single_site"]
    c = r.comparison
    assert c.structure == "friendly_pc"
    assert all(f.allowed for f in c.feasibility.values())
    for option in msomodel.OPTIONS:
        assert f"{c.label(option)} {tables.STATUS[c.feasibility[option].status]}" in r.text, option
    assert "Direct ownership Not permitted not evaluated here" in r.text
    for source in c.compliance.structures["friendly_pc"].sources:
        assert squash(source["citation"])[:60] in r.text
    for warning in c.warnings:
        assert squash(warning["message"])[:60] in r.text


@pytest.mark.parametrize("name", RENDERED)
def test_friendly_pc_split_and_both_break_even_fees(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    c = r.comparison
    leader = c.decision.leader
    assert f"Inside the friendly-PC structure: {c.label(leader)}" in r.text
    entities = c.entity_annual(leader)
    for entity in ("pc", "mso"):
        for value in entities[entity]["ebitda"]:
            assert amount(value) in r.text, (entity, value)
    pc, be = c.pc_breakeven, c.breakeven
    fee = sections.amounts_in_text
    # what the PC keeps is its physician owner's: the fee is the owner's lever, never "barely
    # changes the group's value"
    assert "decides how much of the PC's profit reaches you" in r.text
    assert "barely changes" not in r.text
    if c.inputs.mgmt_fee_type == "sweep":  # no level to break even at: what it leaves the PC
        assert f"The scenario's fee is {fee(tables.fee_level(pc.current, pc.unit))}: the PC " \
               "keeps nothing" in r.text
    else:
        assert f"At {fee(tables.fee_level(pc.level, pc.unit))} the PC breaks even" in r.text
    assert "Break-even third-party MSO fee" in r.text
    assert f"below {fee(tables.fee_level(be.level, be.unit))}" in r.text


def test_florida_says_what_each_option_leaves_the_pc_and_whose_it_is(
        reports: dict[str, Report]) -> None:
    """The management fee is the same under every option, so the third-party MSO's gains land
    in the PC, its physician owner's: the report gives the PC's EBITDA under each option, not
    in-house management's alone, and says where the difference goes."""
    from msomodel.report.sections.decision import pc_ebitda_by_option

    r = reports["florida_entrepreneur_five_sites"]
    c = r.comparison
    kept = pc_ebitda_by_option(c)
    assert set(kept) == {"self_managed", "software_only", "mso"}
    assert kept["mso"] - kept["self_managed"] > 1e6  # the case the sentence is for
    for option in kept:
        total = float(c.entity_annual(option)["pc"]["ebitda"].sum())
        assert kept[option] == total
    squashed = " ".join(r.text.split())
    assert (f"the PC's EBITDA over 5 years is {amount(kept['self_managed'])} in-house, "
            f"{amount(kept['mso'])} with the third-party MSO and "
            f"{amount(kept['software_only'])} with software.") in squashed
    assert (f"what the third-party MSO adds to the PC's profit "
            f"({amount(kept['mso'] - kept['self_managed'])} more than in-house) goes to its "
            "physician owner, not to you") in squashed


def test_florida_has_the_per_site_table_and_rollout(reports: dict[str, Report]) -> None:
    r = reports["florida_entrepreneur_five_sites"]
    assert "EBITDA by site" in r.text
    for site in r.scenario.sites:
        assert site.name in r.text
    by_site = tables.by_site(r.comparison, r.comparison.decision.leader, amounts=amount)
    assert all(v in r.text for v in by_site.loc["Consolidated"])
    assert "Roll-out" in r.text


@pytest.fixture(scope="module")
def texas() -> Comparison:
    return msomodel.compare(msomodel.load_scenario(SCENARIOS / "texas_rn_single_site.yaml"))


@pytest.mark.parametrize("verdict", ["too_close", "none_pays", "too_short"])
def test_verdicts_without_a_winner_read_as_such(texas, verdict: str) -> None:
    import copy

    c = copy.copy(texas)
    c.decision = dataclasses.replace(texas.decision, verdict=verdict, option=None,
                                     sentence="Words of the decision.")
    html = "".join(sections.decision_section(c))
    assert f'<div class="verdict-label">{tables.VERDICTS[verdict]}</div>' in html
    assert "Recommended</div>" not in html and "(recommended)" not in html
    assert (f"<th>Recommended option</th><td>none ({tables.VERDICTS[verdict].lower()}); "
            f"highest NPV: {lower_first(c.label(c.decision.leader))}</td>") in html


def test_contested_structure_never_reads_as_feasible(texas) -> None:
    import copy

    c = copy.copy(texas)
    c.compliance = copy.copy(texas.compliance)
    c.compliance.structures = {k: copy.copy(v) for k, v in texas.compliance.structures.items()}
    c.compliance.structures[c.structure].status = "contested"
    html = sections.structure_statement(c) + sections.compliance_section(c)
    assert "Contested: consult counsel" in html
    assert f"Legal structure: {c.structure_label}</strong> " \
           '<span class="badge unknown">Contested: consult counsel</span>' in html


def test_both_structures_side_by_side() -> None:
    from msomodel.compare import compare_structures

    scenario = msomodel.load_scenario(SCENARIOS / "ohio_physician_single_site.yaml")
    scenario = scenario.model_copy(update={
        "structure": scenario.structure.model_copy(update={"type": "both"})})
    found = list(compare_structures(scenario, trials=200).values())
    assert [c.structure for c in found] == ["direct", "friendly_pc"]
    html = sections.structures_side_by_side(found)
    for c in found:
        assert f"<th class=\"num\">{c.structure_label}</th>" in html
        for option in msomodel.OPTIONS:
            assert amount(c.metrics[option]["npv"]) in html
    assert sections.structure_title("The decision", found[1], True) == \
        "The decision: Owned MSO + friendly PC"


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
    from html import unescape

    defaults = sum(len(unescape(m).split("; "))
                   for m in re.findall(r"scenario\):</span> ([^<]*)</td>", html))
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


# -- issue 13: the report a client receives ------------------------------------------------------

@pytest.mark.parametrize("name", RENDERED)
def test_cover_names_client_preparer_and_date(reports: dict[str, Report], name: str) -> None:
    import datetime

    r = reports[name]
    cover = squash(r.pages[0])
    assert f"Prepared for {r.scenario.name}" in cover  # the client: the scenario's name
    if name in COVER:
        assert f"Prepared by {COVER[name]['prepared_by']}" in cover
        assert "Date 15 March 2026" in cover
        footer = f"Prepared for {r.scenario.name} by {COVER[name]['prepared_by']}, 15 March 2026"
    else:
        assert "Prepared by" not in cover
        today = f"{datetime.date.today():%d %B %Y}".lstrip("0")
        assert f"Date {today}" in cover
        footer = f"Prepared for {r.scenario.name}, {today}"
    for page in r.pages[1:]:  # the running footer and the notice under it
        assert footer in squash(page) and "Not legal or financial advice" in page


@pytest.mark.parametrize("name", RENDERED)
def test_logo_is_embedded_on_the_cover(reports: dict[str, Report], name: str, tmp_path: Path) -> None:
    """The logo (a solid #1B7F79 block) is drawn in the cover's top-right corner, from the PDF
    alone (a data URI: nothing fetched); without one that corner is blank."""
    import subprocess

    import numpy as np
    from PIL import Image

    subprocess.run([pdftoppm(), "-png", "-r", "40", "-f", "1", "-l", "1", str(reports[name].pdf),
                    str(tmp_path / "cover")], check=True, capture_output=True, timeout=120)
    page = np.asarray(Image.open(next(tmp_path.glob("cover*.png"))).convert("RGB")).astype(int)
    h, w, _ = page.shape
    corner = page[: h // 6, w // 2:]
    logo = (np.abs(corner - np.array([0x1B, 0x7F, 0x79])).sum(axis=2) < 40).sum()
    if name in COVER:
        assert logo > 200, logo
    else:
        assert logo == 0, logo


@pytest.mark.parametrize("name", RENDERED)
def test_each_warning_is_printed_once(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    body = " ".join([squash(r.pages[0]), *(page_body(p, r.scenario.name) for p in r.pages[1:])])
    assert body.count("Not legal or financial advice") == 1  # the cover's; footers say it too
    assert r.text.count("Not legal or financial advice") == len(r.pages)
    assert r.text.count(squash(r.comparison.compliance.disclaimer)) == 1
    assert r.text.lower().count("not legal advice") == 1  # the notice's sentence, nowhere else
    assert r.text.count("consult an attorney") == 1
    for warning in r.comparison.warnings:
        assert r.text.count(squash(warning["message"])[:60]) == 1


#: An amount of $10,000 or more written to the dollar (the report writes it $k or $m).
DOLLARS = re.compile(r"-?\$(?:\d{1,3}(?:,\d{3}){2,}|\d{2,3},\d{3})(?![\d,]*\d)")
#: Sections other modules write (their heading, the heading that follows them or None: the end),
#: not yet on the one amount rule.
NOT_YET_ON_THE_RULE = (("Financial statements Statements for", "Charts Cumulative cash flow"),
                       ("Appendix: monthly statements", "Appendix: assumptions"),
                       ("Appendix: calibration against published benchmarks", None))


def split_statements(body: str) -> tuple[str, str]:
    """(the report without the sections of :data:`NOT_YET_ON_THE_RULE`, those sections)."""
    inside = []
    for start, end in NOT_YET_ON_THE_RULE:
        a = body.find(start)
        if a < 0:
            continue
        b = body.find(end, a + 1) if end else -1
        b = b if b > a else len(body)
        inside.append(body[a:b])
        body = body[:a] + body[b:]
    return body, " ".join(inside)


def test_the_dollar_pattern() -> None:
    assert DOLLARS.findall("$9,999 $10,000 -$716,000 $1,935,979 $1,500 $12.5k $7.16m") == [
        "$10,000", "-$716,000", "$1,935,979"]


@pytest.mark.parametrize("name", RENDERED)
def test_statements_and_calibration_follow_the_amount_rule(reports: dict[str, Report],
                                                           name: str) -> None:
    _, others = split_statements(squash("\n".join(reports[name].pages[1:])))
    assert others and not DOLLARS.findall(others)


@pytest.mark.parametrize("name", RENDERED)
def test_amounts_follow_one_rule_stated_once(reports: dict[str, Report], name: str) -> None:
    from msomodel.formatting import AMOUNT_RULE

    r = reports[name]
    assert r.text.count(squash(AMOUNT_RULE)) == 1
    body = squash("\n".join(r.pages[1:]))
    others, _ = split_statements(body)
    # $10,000 and more read $k/$m in every table and sentence (the rule's own examples aside)
    assert not DOLLARS.findall(others.replace(squash(AMOUNT_RULE), ""))
    key = tables.key_figures(r.comparison, amounts=amount)
    for value in key.iloc[:, 0]:
        assert value in body
    data = r.comparison.to_dict()  # the JSON keeps exact figures
    assert isinstance(data["options"]["mso"]["npv"], float)


@pytest.mark.parametrize("name", RENDERED)
def test_glossary_defines_the_terms_before_the_appendix(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    at, appendix = r.text.find("Glossary NPV"), r.text.find("Appendix: assumptions")
    assert 0 < at < appendix
    glossary = r.text[at:appendix]
    for term in ("NPV (net present value)", "Equity IRR (levered)", "Project IRR (unlevered)",
                 "MOIC", "Payback", "Peak funding need", "DSCR", "PC (professional corporation)",
                 "MSO (management", "MSA (management services agreement)",
                 "CPOM (corporate practice of medicine)", "FMV (fair market value)", "EBITDA",
                 "P5, P10, P50, P90, P95", "Amounts ($k, $m)"):
        assert term in glossary, term


@pytest.mark.parametrize("name", RENDERED)
def test_acronyms_and_counts_read_as_words(reports: dict[str, Report], name: str) -> None:
    # headings made from field names keep their acronyms; a count of one takes the singular;
    # a label starting with an acronym keeps it when it follows a comma
    text = reports[name].text
    for wrong in ("Friendly pc", "iRR", "nPV", " 1 months", " 1 years", " 1 units"):
        assert wrong not in text, wrong


@pytest.mark.parametrize("name", RENDERED)
def test_plain_labels_and_reproduction_by_name_and_hash(reports: dict[str, Report], name: str) -> None:
    r = reports[name]
    for jargon in ("Spearman", "spearman", "vectorised", "vectorized", "lamb", "PERT (", "pert (",
                   "Rank correlation", "cf[m]", "irr_monthly", "r_monthly"):
        assert jargon not in r.text, jargon
    words = [w for w in re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", r.text)]
    urls = " ".join(re.findall(r"\S*(?:https?://|www\.)\S*", r.text))
    assert [w for w in words if w not in urls and w != name] == []  # no snake_case field names
    at = r.text.find("Reproducing this report")
    reproduce = r.text[at:]
    assert f"Scenario {r.scenario.name}" in reproduce
    assert r.scenario.sha256 in reproduce.replace(" ", "")
    assert str(SCENARIOS) not in r.text and str(Path.home()) not in r.text


def test_input_labels_come_from_the_schema() -> None:
    assert sections.input_label("sites.Tampa.overrides.opex.rent.monthly") == \
        "Fixed amount in project year 1"
    assert sections.schema_label("site_defaults.service_lines.botox.volume_per_month") == \
        "Steady-state units sold"
    assert sections.schema_label("site_defaults.service_lines.laser.cost_growth_annual") == \
        "Growth of cost per unit per year"
    assert "_" not in sections.schema_label("finance.depreciation_months")
    assert sections.schema_label("no.such.field") is None


# -- no page more than half blank ----------------------------------------------------------------
#: A4 and the report's page margins (print.css): the running header and footer are outside the
#: body, so a page holding nothing but them reads as empty.
PAGE_MM, TOP_MM, BOTTOM_MM, SIDE_MM = (210.0, 297.0), 22.0, 20.0, 18.0


def pdftoppm() -> str:
    """The pdftoppm binary (Debian poppler-utils); skipped without it, except in CI."""
    import shutil

    found = shutil.which("pdftoppm")
    if found:
        return found
    unavailable("pdftoppm (Debian poppler-utils) is missing; install it with "
                "`bash scripts/ensure-system-deps.sh` as root (apt-get install poppler-utils)",
                "the page-fill test")


def page_fill(pdf: Path, folder: Path, dpi: int = 30) -> list[float]:
    """Per page, the share of the body (inside the margins) down to its last inked line: 1.0 for
    a page filled to the bottom margin, 0.3 for one whose content stops a third of the way."""
    import subprocess

    import numpy as np
    from PIL import Image

    prefix = folder / pdf.stem
    subprocess.run([pdftoppm(), "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True,
                   capture_output=True, timeout=300)
    fills = []
    for png in sorted(folder.glob(f"{pdf.stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        gray = np.asarray(Image.open(png).convert("L"))
        h, w = gray.shape
        top, bottom = round(h * TOP_MM / PAGE_MM[1]), round(h * (1 - BOTTOM_MM / PAGE_MM[1]))
        side = round(w * SIDE_MM / PAGE_MM[0])
        body = gray[top:bottom, side:w - side]
        inked = np.flatnonzero((body < 235).any(axis=1))
        fills.append(0.0 if inked.size == 0 else (inked[-1] + 1) / body.shape[0])
    return fills


def test_page_fill_sees_a_half_blank_page(tmp_path: Path) -> None:
    """The measure itself: a page whose content stops a third of the way down reads below half."""
    from msomodel.report.convert import stylesheet, to_pdf

    css = stylesheet("Layout check")
    block = "<div style='break-before: page; height: {}mm; background: #333'></div>"
    html = (f"<html><head><style>{css}</style></head><body><section class='cover'>Cover</section>"
            + block.format(200) + block.format(60) + block.format(240)
            + "<p style='break-before: page'>Last</p></body></html>")
    to_pdf(html, tmp_path / "check.pdf")
    fills = page_fill(tmp_path / "check.pdf", tmp_path)
    assert len(fills) == 5
    assert fills[0] > 0.0  # the cover (its text near the top)
    assert 0.75 < fills[1] < 0.82  # 200 of the body's 255 mm
    assert 0.2 < fills[2] < 0.27  # 60 mm: more than half blank
    assert fills[3] > 0.93
    assert 0.0 < fills[4] < 0.1  # the last page: one line


@pytest.mark.parametrize("name", RENDERED)
def test_no_page_is_more_than_half_blank(reports: dict[str, Report], name: str,
                                         tmp_path: Path) -> None:
    fills = page_fill(reports[name].pdf, tmp_path)
    assert len(fills) == len(reports[name].pages)
    blank = {i + 1: round(f, 2) for i, f in enumerate(fills[:-1]) if f < 0.5}
    assert not blank, f"pages of {name} more than half blank (page: share filled): {blank}"


@pytest.mark.parametrize("name", sorted({p.stem for p in SCENARIOS.glob("*.yaml")} - set(RENDERED)))
def test_every_other_bundled_report_fills_its_pages(name: str, tmp_path: Path) -> None:
    pdftoppm()  # skip (or fail in CI) before rendering
    result = render_one(SCENARIOS / f"{name}.yaml", tmp_path, formats=("pdf",))
    assert result.ok, result.error
    fills = page_fill(Path(result.outputs["pdf"]), tmp_path)
    blank = {i + 1: round(f, 2) for i, f in enumerate(fills[:-1]) if f < 0.5}
    assert not blank, f"pages of {name} more than half blank (page: share filled): {blank}"


def test_headings_from_field_names_keep_their_acronyms() -> None:
    from msomodel.formatting import heading, lower_first

    assert heading("friendly_pc") == "Friendly PC"
    assert heading("mso_fee") == "MSO fee"
    assert heading("owner") == "Owner"
    assert lower_first("IRR of the switch") == "IRR of the switch"
    assert lower_first("Payback of the switch") == "payback of the switch"


def test_the_break_even_fee_against_the_leader_stands_beside_the_one_against_self_managed() -> None:
    # Florida: software leads, so two MSO fees matter and the reader is told which is which
    c = msomodel.compare(msomodel.load_scenario(SCENARIOS / "florida_entrepreneur_five_sites.yaml"),
                         trials=0)
    flip = next(f for f in c.decision.flips if f.path == "mso.fee.level")
    assert c.decision.leader == "software_only" and flip.taker == "mso"
    assert abs(flip.value - c.breakeven.level) > 100  # two different break-evens
    text = sections.breakeven_sentence(c)
    assert f"only if its fee is below {amount(c.breakeven.level)} per site per month" in text
    assert (f"Against self-managed + software, the option that leads, the fee would have to fall "
            f"below {amount(flip.value)} per site per month") in text
    # Texas: the MSO leads; its lead over software ends at a lower fee than over self-managed
    t = msomodel.compare(msomodel.load_scenario(SCENARIOS / "texas_rn_single_site.yaml"), trials=0)
    flip = next(f for f in t.decision.flips if f.path == "mso.fee.level")
    assert t.decision.leader == "mso" and flip.value < t.breakeven.level
    assert (f"Against self-managed + software, the third-party MSO leads while its fee stays "
            f"below {amount(flip.value)} per site per month") in sections.breakeven_sentence(t)


def test_a_payback_that_only_the_sale_reaches_says_so() -> None:
    import numpy as np

    c = msomodel.compare(msomodel.load_scenario(SCENARIOS / "florida_entrepreneur_five_sites.yaml"),
                         trials=0)
    for option in msomodel.OPTIONS:
        p = c.projections[option]
        without = np.cumsum(p.net_cash_flow[0] - p.company["exit_value"][0])
        assert c.metrics[option]["payback_month"] == c.horizon and (without < 0).all()
        note = c.payback_note(option)
        assert note.startswith(f"reached only in month {c.horizon}, by counting the sale")
        assert f"still {msomodel.formatting.money(-without[-1])} short" in note
    # Texas pays back from its own cash before the sale: no note
    t = msomodel.compare(msomodel.load_scenario(SCENARIOS / "texas_rn_single_site.yaml"), trials=0)
    assert [t.payback_note(o) for o in msomodel.OPTIONS] == [None, None, None]


def test_the_spread_of_npv_places_the_base_case_among_the_trials() -> None:
    """The Monte Carlo table gives each NPV's base case and its percentile among the trials;
    California's base cases sit above the median (its ranges reach further below), and the
    report says so in words, with the pair's difference near its own median."""
    import numpy as np

    import msomodel
    from msomodel.analysis.evaluate import gap_key
    from msomodel.report.sections.uncertainty import simulation_tables, uncertainty_pair

    c = msomodel.compare(msomodel.load_scenario(SCENARIOS / "california_np_three_sites.yaml"))
    sim = sections.simulate(c, 2000, 1)
    pair = uncertainty_pair(c)
    html = simulation_tables(c, sim, pair)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Base case Base case at" in text
    for option in ("self_managed", "mso", "software_only"):
        v = sim.outcomes[f"{option}.npv"].to_numpy()
        base = c.metrics[option]["npv"]
        at = float(np.mean(v <= base))
        assert 0.6 <= at < 0.7 and base > np.median(v)  # the case the note is for
        assert f"{c.label(option)}: NPV " in text
        assert f"{amount(base)} P{100 * at:.0f}" in text
    gap = sim.outcomes[gap_key(*pair)].to_numpy()
    gap_at = float(np.mean(gap <= c.metrics[pair[0]]["npv"] - c.metrics[pair[1]]["npv"]))
    assert "is above the median of the trials (self-managed P63, third-party MSO P63" in text
    assert "the NPVs quoted elsewhere in this report are better than the typical outcome" in text
    assert f"is near its median (P{100 * gap_at:.0f})" in text


@pytest.mark.parametrize(("name", "option", "breached"), [
    ("florida_entrepreneur_five_sites", "software_only", "years 1 and 2: a lender would want "
     "those years funded"),
    ("texas_rn_single_site", "mso", "year 1: a lender would want that year funded")])
def test_debt_service_gives_both_coverages_and_says_which_it_tests(name, option, breached):
    """The lender's table: EBITDA, tax, debt service, the DSCR (EBITDA / debt service, what the
    covenant is tested on) and the stricter ratio after tax; a negative ratio reads
    "negative", and the years below the covenant read as English."""
    import numpy as np

    import msomodel
    from msomodel.report.sections.statements import debt_block

    c = msomodel.compare(msomodel.load_scenario(SCENARIOS / f"{name}.yaml"), trials=0)
    f = c.financials(option)
    text = " ".join(re.sub(r"<[^>]+>", " ", debt_block(c, f)).split())
    d = f.debt
    tax = np.asarray(f.annual_lines[f.main]["income_statement"]["tax"])
    assert tax.sum() > 0
    expect = []
    for ratio in (d["dscr"].to_numpy(), (d["ebitda"].to_numpy() - tax) / d["debt_service"]):
        expect.append(" ".join("negative" if r < 0 else f"{r:.2f}x" for r in ratio))
    assert f"Coverage (DSCR): EBITDA / debt service {expect[0]} " in text
    assert f"Coverage after tax: (EBITDA - tax) / debt service {expect[1]} " in text
    assert "Tax paid " + " ".join(amount(t) for t in tax) in text
    assert f"Coverage falls below the covenant in {breached}" in text
    assert "negative" in expect[0] and not re.search(r"-\d+\.\d\dx", text)  # no "-4.80x"


def test_key_figures_give_the_calendar_of_the_horizon_and_of_each_payback() -> None:
    """The projection's dates are stated: the key figures' caption names its first and last
    month, and each payback month its calendar month (Florida starts in January 2027)."""
    import msomodel
    from msomodel.report.sections.decision import key_figures_table

    c = msomodel.compare(msomodel.load_scenario(SCENARIOS / "florida_entrepreneur_five_sites.yaml"),
                         trials=0)
    assert (c.scenario.finance.start_date.year, c.scenario.finance.start_date.month) == (2027, 1)
    text = " ".join(re.sub(r"<[^>]+>", " ", key_figures_table(c)).split())
    assert "Key figures (60-month horizon, Jan 2027 to Dec 2031; discount rate 18.0%)" in text
    assert text.count("month 60, Dec 2031") == 3
    ohio = msomodel.compare(msomodel.load_scenario(SCENARIOS / "ohio_physician_single_site.yaml"),
                            trials=0)
    text = " ".join(re.sub(r"<[^>]+>", " ", key_figures_table(ohio)).split())
    start = ohio.scenario.finance.start_date
    for option in ("self_managed", "mso", "software_only"):
        m = int(ohio.metrics[option]["payback_month"])
        months = start.month - 1 + m - 1
        when = f"{['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][months % 12]} {start.year + months // 12}"
        assert f"month {m}, {when}" in text, option


def test_appendix_labels_keep_what_the_schema_words_leave_out() -> None:
    """Each appendix row says which item it is: an unnamed list item's number, a mapping's key,
    the line or running cost a site override changes; keys read as words ("injector RN")."""
    import msomodel
    from msomodel.assumptions import table
    from msomodel.report.sections.appendix import assumptions_appendix

    s = msomodel.load_scenario(SCENARIOS / "california_np_three_sites.yaml")
    text = " ".join(re.sub(r"<[^>]+>", " ", assumptions_appendix(table(s))).split())
    assert "No. 1: share of the practice held by this owner 60%" in text
    assert "No. 2: share of the practice held by this owner 40%" in text
    assert "This owner's share" not in text
    assert "Running costs it takes over" in text and "Absorbed opex" not in text
    for key in ("compliance", "accounting and legal", "software", "marketing"):
        assert f"Share of each running cost the MSO takes over: {key} " in text, key
    assert "Site: Irvine, running cost: rent Fixed amount in project year 1" in text
    assert ("Site: San Diego, service line: body contouring Steady-state units sold" in text)
    assert "Role: injector RN" in text and "injector rn" not in text
