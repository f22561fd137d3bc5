"""Issue 13, the report a client receives: the cover (prepared for / by, date, logo) from the
scenario's ``report:`` settings or the ``msomodel report`` flags, through papermill, the local
pool and the Dask bundle; the one amount rule."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import msomodel
from msomodel.errors import ScenarioError
from msomodel.formatting import AMOUNT_RULE, amount, css_string
from msomodel.report import sections
from msomodel.report.cli import build_parser, cover_parameters, run_report_command
from msomodel.report.sections.cover import LogoError, cover_logo, logo_data_uri, scenario_logo
from msomodel.scenario import ReportSettings

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FIXTURES = ROOT / "tests" / "fixtures" / "report"
STANDIN = FIXTURES / "standin.ipynb"


def png(path: Path, size: tuple[int, int] = (120, 40)) -> Path:
    from PIL import Image

    Image.new("RGB", size, "#1B7F79").save(path)
    return path


# -- one rule for amounts -------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "text"), [
    (7_155_575, "$7.16m"), (715_575, "$716k"), (71_557, "$71.6k"), (15_277, "$15.3k"),
    (10_000, "$10.0k"), (9_499, "$9,499"), (999_600, "$1.00m"), (99_960, "$100k"),
    (12_345_678, "$12.3m"), (-1_234_567, "-$1.23m"), (-45_000, "-$45.0k"), (0, "$0"),
    (12.5, "$12"), (float("nan"), "—"), (None, "—"),
])
def test_one_amount_rule(value, text) -> None:
    assert amount(value) == text


def test_amount_keeps_cents_only_below_ten_thousand() -> None:
    assert amount(6.56, cents=True) == "$6.56"
    assert amount(12_500.5, cents=True) == "$12.5k"
    assert "$71.6k" in AMOUNT_RULE and "$7.16m" in AMOUNT_RULE


def test_amounts_in_sentences_follow_the_rule() -> None:
    text = ("NPV $5,535,479, $343,697 more; below $15,277 per site per month; $9,000 once; "
            "-$45,000; $6.56/unit; US$12,000")
    assert sections.amounts_in_text(text) == (
        "NPV $5.54m, $344k more; below $15.3k per site per month; $9,000 once; -$45.0k; "
        "$6.56/unit; US$12,000")


def test_tables_use_the_rule_only_when_asked(texas) -> None:
    from msomodel import tables

    exact = tables.key_figures(texas)  # the terminal and the explorer: to the dollar
    report = tables.key_figures(texas, amounts=amount)
    npv = texas.metrics["mso"]["npv"]
    row = f"NPV ({texas.horizon} months)"
    assert exact.loc[row, texas.label("mso")] == msomodel.formatting.money(npv)
    assert report.loc[row, texas.label("mso")] == amount(npv)


# -- the logo -------------------------------------------------------------------------------------

def test_logo_png_and_jpeg_become_data_uris(tmp_path: Path) -> None:
    from PIL import Image

    uri = logo_data_uri(png(tmp_path / "logo.png"))
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == (tmp_path / "logo.png").read_bytes()
    Image.new("RGB", (30, 30), "red").save(tmp_path / "logo.jpg")
    assert logo_data_uri(tmp_path / "logo.jpg").startswith("data:image/jpeg;base64,")
    assert logo_data_uri(uri) == uri  # a data URI passed on (the batch's) is checked again


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "is not a PNG or JPEG image"),
    (b"GIF89a....", "is not a PNG or JPEG image"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "damaged or truncated"),
    (b"", "is not a PNG or JPEG image"),
])
def test_a_bad_logo_is_a_clear_error(tmp_path: Path, content, message) -> None:
    path = tmp_path / "logo.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LogoError, match=message) as caught:
        logo_data_uri(path, what="--logo")
    assert str(caught.value).startswith("--logo: ")


def test_a_huge_logo_is_refused(tmp_path: Path, monkeypatch) -> None:
    from msomodel.report.sections import cover

    monkeypatch.setattr(cover, "MAX_LOGO_BYTES", 100)
    with pytest.raises(LogoError, match="larger than"):
        logo_data_uri(png(tmp_path / "big.png", (400, 400)))


# -- scenario metadata ----------------------------------------------------------------------------

def test_report_settings_are_optional_and_checked() -> None:
    assert ReportSettings().model_dump() == {"prepared_for": None, "prepared_by": None, "logo": None}
    assert ReportSettings(prepared_by="  Jane   Doe ").prepared_by == "Jane Doe"
    with pytest.raises(ValueError, match=r"\.png, \.jpg or \.jpeg"):
        ReportSettings(logo="logo.gif")
    with pytest.raises(ValueError, match="1 to 200 characters"):
        ReportSettings(prepared_for="x" * 201)
    with pytest.raises(ValueError):
        ReportSettings(logo_file="x.png")  # unknown keys are errors


def test_scenario_logo_is_relative_to_the_file_that_sets_it(tmp_path: Path) -> None:
    (tmp_path / "firm" / "brand").mkdir(parents=True)
    (tmp_path / "clients").mkdir()
    png(tmp_path / "firm" / "brand" / "logo.png")
    base = (SCENARIOS / "texas_rn_single_site.yaml").read_text()
    (tmp_path / "firm" / "base.yaml").write_text(
        base + "\nreport:\n  prepared_by: Example Advisory LLC\n  logo: brand/logo.png\n")
    (tmp_path / "clients" / "acme.yaml").write_text(
        "extends: ../firm/base.yaml\nname: Acme Spa\nreport: {prepared_for: Acme Spa LLC}\n")
    scenario = msomodel.load_scenario(tmp_path / "clients" / "acme.yaml")
    assert scenario.report.prepared_by == "Example Advisory LLC"  # merged from the base
    assert scenario.report.prepared_for == "Acme Spa LLC"
    found = scenario_logo(tmp_path / "clients" / "acme.yaml")
    assert found == (tmp_path / "firm" / "brand" / "logo.png").resolve()
    assert cover_logo("", tmp_path / "clients" / "acme.yaml").startswith("data:image/png")
    assert cover_logo("", SCENARIOS / "texas_rn_single_site.yaml") is None


def test_a_missing_scenario_logo_fails_the_report_as_an_invalid_scenario(tmp_path: Path) -> None:
    text = (SCENARIOS / "texas_rn_single_site.yaml").read_text()
    (tmp_path / "client.yaml").write_text(text + "\nreport: {logo: missing.png}\n")
    with pytest.raises(ScenarioError, match=r"client.yaml: report.logo: expected an image file, found no such file: .*missing.png"):
        cover_logo("", tmp_path / "client.yaml")


# -- the cover ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def texas():
    return msomodel.compare(msomodel.load_scenario(SCENARIOS / "texas_rn_single_site.yaml"),
                            trials=0)


def test_cover_defaults_to_the_scenario_and_today(texas) -> None:
    import datetime

    html = sections.title_page(texas, version="9.9")
    today = f"{datetime.date.today():%d %B %Y}".lstrip("0")
    assert f"<th>Prepared for</th><td>{sections.escape(texas.scenario.name)}</td>" in html
    assert "Prepared by" not in html and f"<th>Date</th><td>{today}</td>" in html
    assert "<img" not in html
    assert html.count("Not legal or financial advice.") == 1


def test_cover_takes_the_scenario_settings_and_the_callers_over_them(texas, tmp_path) -> None:
    import copy

    c = copy.copy(texas)
    c.scenario = texas.scenario.model_copy(update={"report": ReportSettings(
        prepared_for="Acme Spa LLC", prepared_by="Example Advisory LLC")})
    html = sections.title_page(c, version="9.9", date="2026-03-15")
    assert "<th>Prepared for</th><td>Acme Spa LLC</td>" in html
    assert "<th>Prepared by</th><td>Example Advisory LLC</td>" in html
    assert "<th>Date</th><td>15 March 2026</td>" in html
    footer = (css_string("Prepared for Acme Spa LLC by Example Advisory LLC, 15 March 2026")
              + ' "\\A" ' + css_string("Not legal or financial advice"))
    assert f"<style>@page {{ @bottom-left {{ content: {footer}; }} }}</style>" in html
    logo = logo_data_uri(png(tmp_path / "logo.png"))
    html = sections.title_page(c, version="9.9", prepared_by="Jane Doe", prepared_for="Other",
                               logo=logo)
    assert "<th>Prepared by</th><td>Jane Doe</td>" in html and "Other" in html
    assert f'<img alt="Logo" src="{logo}"/>' in html


def test_no_section_repeats_the_notice(texas) -> None:
    html = sections.compliance_section(texas) + "".join(sections.decision_section(texas))
    assert "legal advice" not in html.lower()
    assert texas.compliance.disclaimer not in html
    assert texas.compliance.disclaimer in sections.title_page(texas, version="9.9")


def test_glossary_states_the_amount_rule() -> None:
    html = sections.glossary(AMOUNT_RULE)
    assert html.count(sections.escape(AMOUNT_RULE)) == 1
    for term, _ in sections.GLOSSARY:
        assert sections.escape(term) in html


# -- the command line, the local pool and Dask ----------------------------------------------------

def test_report_flags_parse() -> None:
    args = build_parser().parse_args(["a.yaml", "--prepared-for", "Acme", "--prepared-by",
                                      "Jane Doe, Example LLC", "--logo", "x.png", "--date",
                                      "2026-03-15"])
    assert (args.prepared_for, args.prepared_by, args.logo, args.date) == (
        "Acme", "Jane Doe, Example LLC", "x.png", "2026-03-15")


def test_cover_parameters_are_checked_before_rendering(tmp_path: Path, capsys) -> None:
    params = cover_parameters(prepared_by=" Jane  Doe ", logo=png(tmp_path / "l.png"),
                              date="2026-03-15")
    assert params["prepared_by"] == "Jane Doe" and params["report_date"] == "2026-03-15"
    assert params["logo"].startswith("data:image/png;base64,")
    json.dumps(params)  # papermill parameters are JSON
    (tmp_path / "notes.png").write_text("not an image")
    for kwargs, message in (({"logo": tmp_path / "missing.png"}, "--logo: expected an image file, found no such file"),
                            ({"logo": tmp_path / "notes.png"}, "is not a PNG or JPEG image"),
                            ({"date": "15/03/2026"}, "--date: expected a date as YYYY-MM-DD"),
                            ({"prepared_by": "x" * 300}, "--prepared-by: expected 1 to 200")):
        code = run_report_command([FIXTURES / "alpha.yaml"], tmp_path / "out", notebook=STANDIN,
                                  progress=False, **kwargs)
        assert code == 2, kwargs
        assert message in capsys.readouterr().err
        assert not (tmp_path / "out").exists()  # nothing rendered


def _parameters(notebook: Path) -> dict:
    return json.loads(notebook.read_text())["metadata"]["papermill"]["parameters"]


@pytest.mark.slow
def test_cover_flags_reach_the_notebook_through_the_batch(tmp_path: Path) -> None:
    code = run_report_command([FIXTURES / "alpha.yaml"], tmp_path, formats=["ipynb"], jobs=1,
                              notebook=STANDIN, progress=False, prepared_by="Jane Doe",
                              prepared_for="Acme", logo=png(tmp_path / "l.png"), date="2026-03-15")
    assert code == 0
    params = _parameters(tmp_path / "alpha.ipynb")
    assert (params["prepared_by"], params["prepared_for"], params["report_date"]) == (
        "Jane Doe", "Acme", "2026-03-15")
    assert params["logo"].startswith("data:image/png;base64,")


def test_dask_bundle_ships_the_scenario_logo_and_the_parameters(tmp_path: Path) -> None:
    from msomodel.report.cluster import make_bundle

    (tmp_path / "clients").mkdir()
    (tmp_path / "brand").mkdir()
    png(tmp_path / "brand" / "logo.png")
    text = (SCENARIOS / "texas_rn_single_site.yaml").read_text()
    scenario = tmp_path / "clients" / "acme.yaml"
    scenario.write_text(text + "\nreport: {logo: ../brand/logo.png}\n")
    bundle = make_bundle(str(scenario), "acme", tmp_path / "out", ["pdf"], STANDIN, "python3",
                         parameters={"prepared_by": "Jane Doe"})
    assert bundle.main == "clients/acme.yaml"
    assert bundle.files["brand/logo.png"] == (tmp_path / "brand" / "logo.png").read_bytes()
    assert bundle.parameters == {"prepared_by": "Jane Doe"}


@pytest.mark.slow
def test_dask_task_renders_with_the_parameters(tmp_path: Path) -> None:
    """The task a Dask worker runs (here in-process): the bundle's parameters reach papermill."""
    from msomodel.report.cluster import make_bundle, render_bundle

    bundle = make_bundle(str(FIXTURES / "alpha.yaml"), "alpha", tmp_path, ["ipynb"], STANDIN,
                         "python3", parameters={"prepared_by": "Jane Doe"})
    rendered = render_bundle(bundle)
    assert rendered.result.ok, rendered.result.error
    params = json.loads(rendered.files["ipynb"])["metadata"]["papermill"]["parameters"]
    assert params["prepared_by"] == "Jane Doe"


def test_a_logo_path_that_is_a_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(LogoError, match=r"--logo: expected an image file, found a folder: "):
        logo_data_uri(tmp_path, what="--logo")


def test_the_cover_states_the_whole_mso_offer() -> None:
    """The cover's offer line gives the fee as the offer states it (every band of a tiered fee,
    a floor, a cap, the escalator, onboarding and the term), not "1.00 x the tier rates"."""
    from msomodel.report.sections.cover import offer_text
    from msomodel.scenario.fees import CostPlusFee, HybridFee, PercentageFee

    ca = msomodel.load_scenario(ROOT / "scenarios" / "california_np_three_sites.yaml")
    assert offer_text(ca.mso.fee) == (
        "12.0% of each site's monthly collections up to $100k, 9.0% to $200k, 7.0% above; at "
        "least $6,000 per site per month; onboarding $20.0k per site; 24-month term")
    fl = msomodel.load_scenario(ROOT / "scenarios" / "florida_entrepreneur_five_sites.yaml")
    assert offer_text(fl.mso.fee) == ("$14.0k per site per month; rising 3.0% a year; "
                                      "onboarding $15.0k per site; 24-month term")
    assert offer_text(PercentageFee(type="percentage", percent=0.15, cap_per_site_monthly=30000,
                                    term_months=36)) == (
        "15.0% of each site's collections; at most $30.0k per site per month; 36-month term")
    assert offer_text(HybridFee(type="hybrid", base_per_site_monthly=5000, percent=0.05)) == (
        "$5,000 per site per month plus 5.0% of collections; 36-month term")
    assert offer_text(CostPlusFee(type="cost_plus", markup=0.3, overhead_per_site_monthly=4000)) \
        == "its costs plus a 30.0% markup (its own cost $4,000 per site per month); 36-month term"
